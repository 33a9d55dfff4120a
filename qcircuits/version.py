"""The toolkit's version: the installed distribution's, or the source tree's when not installed."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qcircuits-toolkit")
except PackageNotFoundError:  # a clone used without installing
    __version__ = "0.2.0.dev0"
