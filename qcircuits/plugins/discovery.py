"""Finding plugins: built-in modules, installed entry points, modules and files.

Entry points live in the group ``qcircuits.ansatze``; each names one factory
(``name = "package.module:function"``) and is imported only when first used.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import pkgutil
import sys
from collections.abc import Iterable
from pathlib import Path

from qcircuits.plugins.errors import PluginError
from qcircuits.plugins.registry import REGISTRY, Registry
from qcircuits.plugins.sources import BUILTIN_PACKAGE, BUILTIN_SOURCE, loading_source, names_elsewhere

ENTRY_POINT_GROUP = "qcircuits.ansatze"


def load_builtins(registry: Registry) -> None:
    """Imports every module of :mod:`plugins.builtin` and gives ``registry`` their entries.

    The modules' decorators register into the global :data:`REGISTRY` (once, on
    first import); another registry gets the same entries copied.
    """
    package = importlib.import_module(BUILTIN_PACKAGE)
    with loading_source(BUILTIN_SOURCE):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}")
    if registry is not REGISTRY:
        for name in REGISTRY.names_from(BUILTIN_SOURCE):
            registry.adopt(REGISTRY.entry(name))


def scan_entry_points(registry: Registry) -> None:
    """Adds one lazy entry per installed entry point (nothing is imported yet)."""
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        origin = f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"
        registry.add_lazy(ep.name, f"entry point {ep.value} from {origin}", ep.load, target=ep.value)


def load_plugins(specs: Iterable[str] | None, registry: Registry = REGISTRY) -> list[str]:
    """Loads every plugin of ``specs`` (the command lines' repeated ``--plugin``), in order.

    Returns:
        Every name they registered.
    """
    return [name for spec in specs or () for name in load_plugin(spec, registry)]


def load_plugin(spec: str, registry: Registry = REGISTRY) -> list[str]:
    """Loads a plugin given as a module name or a ``.py`` file path.

    Args:
        spec: ``"package.module"`` or a path to a Python file.
        registry: the registry to register into.

    Returns:
        Names the plugin registered (ansatze, then those of other registries such as NER heads).

    Raises:
        PluginError: if the module or file is missing, fails to import, or
            registers nothing.
    """
    registry.list()  # discover built-ins first, so a clash is reported against them
    if not isinstance(spec, str) or not spec.strip():
        raise PluginError(f"Plugin {spec!r} must be a .py file or a module name such as 'my_package.ansatze'.")
    if Path(spec).is_dir():
        raise PluginError(f"Plugin {spec!r} is a folder; expected a .py file or an importable module name.")
    looks_like_file = spec.endswith(".py") or os.sep in spec or "/" in spec
    source = _load_file(Path(spec)) if looks_like_file else _load_module(spec)
    names = registry.names_from(source) + names_elsewhere(source)
    if not names:
        raise PluginError(
            f"Plugin {spec!r} registered no ansatz; decorate a factory with "
            "@plugins.register_ansatz."
        )
    return names


def _load_module(name: str) -> str:
    source = f"module {name}"
    if name in sys.modules:
        return source
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise PluginError(f"Plugin module {name!r} was not found; make sure it is installed or on PYTHONPATH.")
    with loading_source(source):
        try:
            importlib.import_module(name)
        except PluginError:
            raise
        except (Exception, SystemExit) as exc:  # exit() in a plugin is a failed plugin
            raise PluginError(f"Plugin module {name!r} failed to import: {type(exc).__name__}: {exc}") from None
    return source


def _load_file(path: Path) -> str:
    path = path.resolve()
    source = f"file {path}"
    if not path.is_file():
        raise PluginError(f"Plugin file {str(path)!r} does not exist; expected a .py file.")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    module_name = f"qcircuits_plugin_{path.stem}_{digest}"
    if module_name in sys.modules:
        return source
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"Plugin file {str(path)!r} cannot be imported; expected a .py file.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    with loading_source(source):
        try:
            spec.loader.exec_module(module)
        except PluginError:
            del sys.modules[module_name]
            raise
        except (Exception, SystemExit) as exc:  # exit() in a plugin is a failed plugin
            del sys.modules[module_name]
            line = getattr(exc, "lineno", None)
            where = f" (line {line})" if line else ""
            raise PluginError(
                f"Plugin file {str(path)!r} failed to load{where}: {type(exc).__name__}: {exc}"
            ) from None
    return source
