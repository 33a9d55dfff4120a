"""The NER head registry: every kind of tagging head (``quantum``, ``bottleneck``, ``linear``,
or a user's own) is one :class:`Head` subclass, registered with :func:`register_head`.

The built-in kinds (``sims.ner.heads.builtin``) register themselves the same way a user's
head does, from a module given with ``--plugin``. Reading the registry needs no
TensorFlow: names, folder names and labels come from the class; only :meth:`Head.build`
and :meth:`Head.features` run inside the Keras layer (:class:`sims.ner.heads.layer.TaggingHead`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

from qcircuits.errors import ConfigurationError
from qcircuits.plugins.sources import add_source_lister, current_source


class RunOptions(Protocol):
    """What a head reads of a run's options (:class:`~sims.ner.options.NerOptions` has it all)."""

    ansatz: str
    qubits: int
    depth: int

H = TypeVar("H", bound=type["Head"])
T = TypeVar("T")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Head:
    """One kind of tagging head: what turns word vectors into the features the tag layer reads.

    A new head is one subclass in one file::

        @register_head
        class Residual(Head):
            name = "residual_tanh"
            description = "two tanh layers with a skip connection"

            def build(self, layer):
                from sims.tf_env import keras
                layer.projection = keras.layers.Dense(layer.qubits, name="projection")

            def features(self, layer, x, mask):
                u = layer.projected(x)
                return u + tf.tanh(u)

    The :class:`~sims.ner.heads.layer.TaggingHead` layer owns the sub-layers (``layer.projection``,
    ``layer.blocks``) so that checkpoints name them the same for every kind, and it adds
    the shared parts: layer normalisation and trainable scaling of the projection
    (``layer.projected``), and the final linear layer to the tags. Import TensorFlow
    inside the methods, so that listing heads and checking options stay fast.

    Attributes:
        name: the name given to ``--head``.
        description: one line for ``--help`` and listings.
        uses_circuit: the head runs a circuit: the ansatz options apply, the backend must
            give gradients, and its circuits' weights get ``--circuit-learning-rate``.
        uses_design: the head-design options (scaling, readout, blocks, ...) apply.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    uses_circuit: ClassVar[bool] = False
    uses_design: ClassVar[bool] = True

    def build(self, layer: Any) -> None:
        """Creates the head's sub-layers on ``layer`` (a ``TaggingHead``); none by default."""

    def features(self, layer: Any, x: Any, mask: Any) -> Any:
        """``[..., hidden] -> [..., width]``: what the tag layer reads (the word vectors by default)."""
        return x

    def run_name(self, options: RunOptions) -> str:
        """What follows ``ner-<data>-<name>`` in a run's default folder name."""
        return f"-w{options.qubits}" if self.uses_design else ""

    def label(self, options: RunOptions) -> str:
        """The configuration's name in comparisons (before the design tag)."""
        return self.name


_HEADS: dict[str, type[Head]] = {}
_SOURCES: dict[str, str] = {}  # name -> the plugin source that registered it ("file x.py", "module m")
_builtins_loaded = False


def _names_from(source: str) -> list[str]:
    return [name for name, registered_by in _SOURCES.items() if registered_by == source]


add_source_lister(_names_from)  # `--plugin` accepts a module or file that registers only heads


BUILTIN_PACKAGE = "sims.ner.heads.builtin"
DEFAULT_HEAD = "quantum"


def _ensure_builtins() -> None:
    """Imports every module of :data:`BUILTIN_PACKAGE` once (each registers its head), as the
    ansatz registry discovers its built-ins: a new module there is a new head, listed nowhere
    else. The default head's module comes first, so that it leads ``--help`` and listings."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    import importlib
    import pkgutil

    package = importlib.import_module(BUILTIN_PACKAGE)
    names = sorted((info.name for info in pkgutil.iter_modules(package.__path__)), key=lambda n: n != DEFAULT_HEAD)
    for name in names:
        importlib.import_module(f"{BUILTIN_PACKAGE}.{name}")


def register_head(cls: H) -> H:
    """Class decorator: adds a :class:`Head` subclass to the registry under ``cls.name``.

    Raises:
        ConfigurationError: for a class that is not a ``Head``, a bad name, or a name
            already taken by another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, Head)):
        raise ConfigurationError(f"register_head takes a Head subclass; got {cls!r}.")
    name = cls.name
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigurationError(f"Head name {name!r} of {cls.__qualname__} must be lower-case letters, digits "
                                 "and underscores, starting with a letter.")
    old = _HEADS.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ConfigurationError(f"Head {name!r} is already registered by {old.__module__}.{old.__qualname__}.")
    _HEADS[name] = cls
    _SOURCES[name] = current_source() or f"module {cls.__module__}"
    return cls


BUILTIN_SOURCE_PREFIX = f"module {BUILTIN_PACKAGE}"


def head_source(name: str) -> str:
    """Where head ``name`` was registered (``"file x.py"``, ``"module m"``)."""
    _ensure_builtins()
    return _SOURCES.get(name, "unknown source")


def call_plugin_head(name: str, step: str, action: Callable[[], T]) -> T:
    """Runs a head's ``build`` or ``features``; a plugin head that fails is named in one line.

    As with ansatz plugins, whatever a user's head raises (``SystemExit`` too) becomes a
    :class:`ConfigurationError` naming the head, its source and the step; the built-in heads'
    errors keep their traceback (they are our bugs).
    """
    source = head_source(name)
    if source.startswith(BUILTIN_SOURCE_PREFIX):
        return action()
    try:
        return action()
    except ConfigurationError:
        raise
    except (Exception, SystemExit) as exc:
        raise ConfigurationError(f"Head {name!r} ({source}) failed in {step}: {type(exc).__name__}: {exc}") from None


def unregister_head(name: str) -> None:
    """Removes a head (for tests and notebooks); unknown names are ignored."""
    _HEADS.pop(name, None)
    _SOURCES.pop(name, None)


def head_names() -> tuple[str, ...]:
    """Registered head names, built-ins first, in registration order."""
    _ensure_builtins()
    return tuple(_HEADS)


def get_head(name: str) -> Head:
    """The head kind registered as ``name``.

    Raises:
        ConfigurationError: for an unknown name (naming the registered ones and the closest).
    """
    _ensure_builtins()
    if name not in _HEADS:
        close = difflib.get_close_matches(str(name), list(_HEADS), n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigurationError(f"Unknown head {name!r}; expected one of {', '.join(_HEADS)}.{hint}")
    return _HEADS[name]()
