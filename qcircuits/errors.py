"""Exceptions for invalid user input.

Every error a user can cause by passing a bad value derives from
:class:`ConfigurationError`, so a command-line front end can turn exactly these
into a one-line message and exit code 2 while real bugs keep their traceback.
"""

from __future__ import annotations


class ConfigurationError(ValueError):
    """A user-supplied value is invalid; the message names it and what was expected."""

    # Raised inside a Keras layer's call or while a tf.function traces, the error would be rewrapped
    # with a multi-line message (Keras appends the call arguments; autograph makes it a StagingError).
    # These attributes are the two frameworks' own opt-outs: our type and our one line survive.
    ag_pass_through = True
    _keras_call_info_injected = True


class ResourceLimitError(ConfigurationError):
    """A request would need more memory (or other resources) than is available."""


class ToolkitWarning(UserWarning):
    """A warning of this toolkit about a value the user gave (the command line prints it as one line)."""
