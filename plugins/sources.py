"""Where registrations come from: ``built-in``, ``file x.py``, ``module m``, ``entry point ...``.

A module of its own so that the registry and the discovery code (which imports
plugins) both read it without importing each other.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

BUILTIN_PACKAGE = "plugins.builtin"
BUILTIN_SOURCE = "built-in"

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
