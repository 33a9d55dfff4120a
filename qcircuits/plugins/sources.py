"""Where registrations come from: ``built-in``, ``file x.py``, ``module m``, ``entry point ...``.

A module of its own so that the registry and the discovery code (which imports
plugins) both read it without importing each other.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

BUILTIN_PACKAGE = "qcircuits.plugins.builtin"
BUILTIN_SOURCE = "built-in"

# Registries besides the ansatz registry that a plugin may fill (the NER heads in sims): each
# lister maps a source to the names registered from it, so such a plugin is not refused as empty.
_other_listers: list[Callable[[str], list[str]]] = []

_loading_source: contextvars.ContextVar[str | None] = contextvars.ContextVar("_loading_source", default=None)


@contextlib.contextmanager
def loading_source(source: str) -> Iterator[None]:
    """Marks registrations made inside the block as coming from ``source``."""
    token = _loading_source.set(source)
    try:
        yield
    finally:
        _loading_source.reset(token)


def current_source() -> str | None:
    """The source of the plugin being loaded now, if any."""
    return _loading_source.get()


def add_source_lister(lister: Callable[[str], list[str]]) -> None:
    """Adds another registry's ``source -> names registered from it`` to what plugin loading checks."""
    if lister not in _other_listers:
        _other_listers.append(lister)


def names_elsewhere(source: str) -> list[str]:
    """Names that ``source`` registered in the other registries (see :func:`add_source_lister`)."""
    return [name for lister in _other_listers for name in lister(source)]
