"""Exceptions for invalid user input.

Every error a user can cause by passing a bad value derives from
:class:`ConfigurationError`, so a command-line front end can turn exactly these
into a one-line message and exit code 2 while real bugs keep their traceback.
"""

from __future__ import annotations


class ConfigurationError(ValueError):
    """A user-supplied value is invalid; the message names it and what was expected."""


class ResourceLimitError(ConfigurationError):
    """A request would need more memory (or other resources) than is available."""
