"""The ansatz registry: register, list, get, create.

Families register with :func:`register_ansatz`. The built-in families use the
same decorator; they are imported the first time the registry is queried.
Installed distributions declare entry points in the group
``qcircuits.ansatze``; those are listed at once but imported only when used
(see :mod:`plugins.discovery`).
"""

from __future__ import annotations

import builtins
import dataclasses
import difflib
import fnmatch
import re
from collections.abc import Callable
from typing import Any, TypeVar, overload

from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from qcircuits.plugins.errors import DuplicateAnsatzError, PluginError, UnknownAnsatzError, UnknownOptionError
from qcircuits.plugins.sources import BUILTIN_PACKAGE, current_source, loading_source

Factory = Callable[..., Ansatz]
F = TypeVar("F", bound=Callable[..., Any])

# What fills a registry on first use (built-ins, entry points). plugins/__init__.py installs
# plugins.discovery's functions here: discovery imports this module, so this one does not import it.
DISCOVERERS: list[Callable[[Registry], None]] = []
__all__ = ["AnsatzEntry", "BUILTIN_PACKAGE", "REGISTRY", "Registry", "create", "get", "list_ansatze",
           "loading_source", "register_ansatz", "shape"]


@dataclasses.dataclass
class AnsatzEntry:
    """One registered family.

    Attributes:
        name: registry key.
        source: where it came from: ``built-in``, ``entry point ...``, ``module ...`` or
            ``file ...``.
        factory: builds an :class:`Ansatz`; ``None`` until a lazy entry point loads.
        description: one line (the factory docstring's first line by default).
        shape: optional ``shape(qubits=..., depth=..., **options) -> int`` giving
            the number of trainable weights without building the circuit.
        loader: for lazy entries, a callable that imports the plugin.
        target: for lazy entries, the ``module:attribute`` they point at.
    """

    name: str
    source: str
    factory: Factory | None = None
    description: str = ""
    shape: Callable[..., int] | None = None
    loader: Callable[[], Any] | None = None
    target: str = ""

    @property
    def builtin(self) -> bool:
        return self.source == "built-in"


def _first_line(text: str | None) -> str:
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _natural_key(name: str) -> builtins.list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


class Registry:
    """A mapping from names to ansatz families, with lazy discovery."""

    def __init__(self, *, discover: bool = True):
        self._entries: dict[str, AnsatzEntry] = {}
        self._discover = discover
        self._discovered = False
        self.failures: dict[str, str] = {}
        """Plugins that failed to load: name -> one-line reason."""

    # -- registration -----------------------------------------------------------------
    def register(self, factory: Factory, name: str | None = None, *, description: str | None = None,
                 shape: Callable[..., int] | None = None, source: str | None = None) -> Factory:
        """Registers ``factory`` under ``name`` (default: its ``__name__``).

        Raises:
            TypeError: if ``factory`` is not callable.
            DuplicateAnsatzError: if another source already registered the name.
        """
        if not callable(factory):
            raise TypeError(f"An ansatz factory must be callable; got {factory!r}.")
        name = name or factory.__name__
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", name):
            raise PluginError(f"Invalid ansatz name {name!r}; expected letters, digits, '_' or '-'.")
        source = source or current_source() or _source_of(factory)
        existing = self._entries.get(name)
        if existing is not None and not _same_registration(existing, factory, source):
            raise DuplicateAnsatzError(
                f"Ansatz {name!r} is registered twice: by {existing.source} and by {source}; "
                "rename one of them."
            )
        self._entries[name] = AnsatzEntry(
            name=name, source=source, factory=factory,
            description=description if description is not None else _first_line(factory.__doc__),
            shape=shape,
        )
        return factory

    def add_lazy(self, name: str, source: str, loader: Callable[[], Any], target: str = "") -> None:
        """Adds an entry that imports its plugin on first use (entry points).

        A name that is already taken is recorded in :attr:`failures` instead.
        """
        if name in self._entries:
            self.failures[name] = (
                f"entry point {name!r} ({source}) clashes with {self._entries[name].source}; skipped"
            )
            return
        self._entries[name] = AnsatzEntry(name=name, source=source, loader=loader, target=target)

    def adopt(self, entry: AnsatzEntry) -> None:
        """Adds an entry registered elsewhere (the built-ins, into a separately made registry)."""
        self._entries.setdefault(entry.name, entry)

    def entry(self, name: str) -> AnsatzEntry:
        """The entry for ``name`` as registered (a lazy one is not loaded)."""
        return self._entries[name]

    # -- snapshots (tests, interactive sessions) -----------------------------------
    def snapshot(self) -> tuple[dict[str, AnsatzEntry], dict[str, str]]:
        """The registry's state, for :meth:`restore` (built-ins discovered first)."""
        self._ensure_discovered()
        return dict(self._entries), dict(self.failures)

    def restore(self, state: tuple[dict[str, AnsatzEntry], dict[str, str]]) -> None:
        """Puts back a state taken by :meth:`snapshot`: later registrations and failures are dropped."""
        entries, failures = state
        self._entries.clear()
        self._entries.update(entries)
        self.failures.clear()
        self.failures.update(failures)

    # -- queries ----------------------------------------------------------------------
    def _ensure_discovered(self) -> None:
        if self._discover and not self._discovered:
            self._discovered = True
            for discover in DISCOVERERS:
                discover(self)

    def list(self, pattern: str = "*") -> list[str]:
        """Registered names matching an fnmatch ``pattern``, naturally sorted.

        Lazy entry points are listed without being imported.

        Raises:
            TypeError: if ``pattern`` is not a string.
        """
        if not isinstance(pattern, str):
            raise TypeError(f"pattern must be a string such as 'sim_*'. Given: {pattern!r}")
        self._ensure_discovered()
        return sorted((n for n in self._entries if fnmatch.fnmatchcase(n, pattern)), key=_natural_key)

    def get(self, name: str) -> AnsatzEntry:
        """The loaded entry for ``name``.

        Raises:
            UnknownAnsatzError: with the closest registered names.
            PluginError: if the plugin fails to load.
        """
        if not isinstance(name, str):
            raise TypeError(f"An ansatz name must be a string such as 'hardware_efficient'. Given: {name!r}")
        self._ensure_discovered()
        entry = self._entries.get(name)
        if entry is None:
            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            failed = f" (plugin {name!r} failed to load: {self.failures[name]})" if name in self.failures else ""
            raise UnknownAnsatzError(
                f"Unknown ansatz {name!r}{failed}.{hint} Run `python -m sims.run list` to see all."
            )
        if entry.factory is None:
            self._load_lazy(entry)
        return self._entries[name]

    def _load_lazy(self, entry: AnsatzEntry) -> None:
        try:
            assert entry.loader is not None, "a lazy entry has a loader"
            with loading_source(entry.source):
                obj = entry.loader()
        except (Exception, SystemExit) as exc:  # a broken plugin must not take the others down
            reason = f"{type(exc).__name__}: {exc}"
            self.failures[entry.name] = reason
            raise PluginError(f"Plugin {entry.name!r} ({entry.source}) failed to load: {reason}") from None
        current = self._entries[entry.name]
        if current.factory is not None:  # the plugin registered itself by decorator
            return
        if not callable(obj):
            reason = f"entry point gave {type(obj).__name__}, not an ansatz factory"
            self.failures[entry.name] = reason
            raise PluginError(f"Plugin {entry.name!r} ({entry.source}) is invalid: {reason}.")
        del self._entries[entry.name]
        self.register(obj, entry.name, source=entry.source)

    def describe(self, pattern: str = "*") -> builtins.list[tuple[str, str, str]]:
        """``(name, description, source)`` for each match, loading lazy entries.

        A plugin that fails to load is described by its error, not raised.
        """
        rows = []
        for name in self.list(pattern):
            try:
                entry = self.get(name)
                rows.append((name, entry.description, entry.source))
            except PluginError as exc:
                rows.append((name, f"(failed to load) {exc}", self._entries[name].source))
        return rows

    def create(self, name: str, **options: Any) -> Ansatz:
        """Builds ansatz ``name`` with ``options`` and checks its contract.

        Raises:
            UnknownAnsatzError, PluginError, ContractError, ConfigurationError.
        """
        from qcircuits.plugins.contract import check_ansatz  # local: contract imports cirq gate tables

        entry = self.get(name)
        _bind_options(name, entry, options)
        assert entry.factory is not None, "get() loads lazy entries"
        try:
            ansatz = entry.factory(**options)
        except ConfigurationError:
            raise  # a bad option value, already named by the builder
        except (Exception, SystemExit) as exc:  # a broken plugin is named, in one line (exit() included)
            raise PluginError(
                f"Ansatz {name!r} ({entry.source}) failed while building: {type(exc).__name__}: {exc}") from None
        if not isinstance(ansatz, Ansatz):
            raise PluginError(
                f"Ansatz {name!r} ({entry.source}) returned {type(ansatz).__name__}; "
                "expected a qcircuits.Ansatz (build it with qcircuits.AnsatzBuilder)."
            )
        check_ansatz(ansatz, name=name)
        # ``options`` must rebuild it: the builder records the common ones (normalised), the
        # family's own (an entangler, say) are added here so a saved layer rebuilds the same circuit.
        missing = {k: v for k, v in options.items() if k not in ansatz.options}
        if missing:
            ansatz = dataclasses.replace(ansatz, options={**ansatz.options, **missing})
        return ansatz

    def shape(self, name: str, **options: Any) -> int:
        """Number of trainable weights of ``name`` with ``options``.

        Uses the family's ``shape`` function when it declares one (no circuit is
        built); otherwise builds the ansatz and counts.
        """
        entry = self.get(name)
        if entry.shape is None:
            return self.create(name, **options).n_weights
        _check_shape_options(name, entry, options)
        try:
            return int(entry.shape(**options))
        except (Exception, SystemExit) as exc:
            raise PluginError(f"Ansatz {name!r} ({entry.source}): its shape function failed: "
                              f"{type(exc).__name__}: {exc}") from None

    def names_from(self, source: str) -> builtins.list[str]:
        """Names registered by one source, e.g. ``"file /abs/path.py"``."""
        return sorted((n for n, e in self._entries.items() if e.source == source), key=_natural_key)

    def unregister(self, name: str) -> None:
        """Removes ``name`` (mainly for tests and interactive sessions)."""
        self._entries.pop(name, None)


def _bind_options(name: str, entry: AnsatzEntry, options: dict[str, Any]) -> None:
    """Checks ``options`` against the factory's signature before calling it.

    Raises:
        UnknownOptionError: naming the options the family does not take, and the ones it does.
    """
    import inspect

    assert entry.factory is not None, "get() loads lazy entries"
    signature = inspect.signature(entry.factory)
    try:
        signature.bind(**options)
    except TypeError:
        takes = [p.name for p in signature.parameters.values()
                 if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
        unknown = sorted(set(options) - set(takes))
        raise UnknownOptionError(
            f"Ansatz {name!r} does not take these options: {', '.join(unknown) or 'as given'}; "
            f"it takes: {', '.join(takes)}.", name=name, options=unknown) from None


def _check_shape_options(name: str, entry: AnsatzEntry, options: dict[str, Any]) -> None:
    """What ``create`` would refuse before building: unknown options, and bad qubit or layer counts."""
    from qcircuits.validation import MAX_DEPTH, MAX_QUBITS, check_int

    _bind_options(name, entry, options)
    if "qubits" in options:
        check_int("qubits", options["qubits"], minimum=1, maximum=MAX_QUBITS)
    if options.get("depth") is not None:
        check_int("depth", options["depth"], minimum=1, maximum=MAX_DEPTH)


def _source_of(factory: Factory) -> str:
    module = getattr(factory, "__module__", "") or ""
    if module == BUILTIN_PACKAGE or module.startswith(BUILTIN_PACKAGE + "."):
        return "built-in"
    return f"module {module}"


def _same_registration(entry: AnsatzEntry, factory: Factory, source: str) -> bool:
    """Re-importing the same plugin from the same place is not a duplicate."""
    if entry.factory is None:
        # The lazy entry being loaded right now, or its module imported by another route.
        return entry.source == source or entry.target.split(":")[0] == getattr(factory, "__module__", None)
    same_code = (getattr(entry.factory, "__module__", None), getattr(entry.factory, "__qualname__", None)) == (
        getattr(factory, "__module__", None), getattr(factory, "__qualname__", None))
    return entry.factory is factory or (same_code and entry.source == source)


REGISTRY = Registry()
"""The process-wide registry used by the module-level functions and the CLI."""


@overload
def register_ansatz(name: F, *, description: str | None = None,
                    shape: Callable[..., int] | None = None) -> F: ...


@overload
def register_ansatz(name: str | None = None, *, description: str | None = None,
                    shape: Callable[..., int] | None = None) -> Callable[[F], F]: ...


def register_ansatz(name: str | Callable[..., Any] | None = None, *, description: str | None = None,
                    shape: Callable[..., int] | None = None) -> Any:
    """Decorator that registers an ansatz family in the global registry.

    Use as ``@register_ansatz`` or ``@register_ansatz("my_name", shape=...)``.

    Args:
        name: registry key (default: the function's name).
        description: one line for ``--list`` (default: the docstring's first line).
        shape: ``shape(qubits=..., depth=..., **options) -> int`` weights count.
    """
    if callable(name):  # bare @register_ansatz
        return REGISTRY.register(name)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"register_ansatz takes a name (str) or an ansatz factory function; "
                        f"got {name!r} ({type(name).__name__}).")


    def decorator(factory: F) -> F:
        REGISTRY.register(factory, name, description=description, shape=shape)
        return factory

    return decorator


def list_ansatze(pattern: str = "*") -> list[str]:
    """Registered ansatz names matching an fnmatch pattern, e.g. ``"sim*"``."""
    return REGISTRY.list(pattern)


def get(name: str) -> AnsatzEntry:
    """The registry entry for ``name`` (loads a lazy plugin)."""
    return REGISTRY.get(name)


def create(name: str, **options: Any) -> Ansatz:
    """Builds a registered ansatz, e.g. ``create("strongly_entangling", qubits=6, depth=3)``."""
    return REGISTRY.create(name, **options)


def shape(name: str, **options: Any) -> int:
    """Number of trainable weights of a registered ansatz with ``options``."""
    return REGISTRY.shape(name, **options)
