"""What every command shares: one-line errors with exit code 2, and one-line warnings."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are a single line (no usage dump).

    Abbreviated option names are not accepted: what a user typed must name one option
    exactly (``--seed`` is never taken for ``--seeds``).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message += f" (see {self.prog} --help for its options)"
        self.exit(2, f"{self.prog}: error: {message}\n")


class CommandParser(OneLineParser):
    """A subcommand's parser: arguments it does not know are its error (named with its own prog),
    not left to the root parser."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error("unrecognized arguments: " + " ".join(extras))
        return namespace, extras


def fail(prog: str, message: str) -> NoReturn:
    """Prints ``prog: error: message`` to stderr and exits with code 2."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def guarded(prog: str, action: Callable[[], object], *, interrupted: str = "interrupted") -> int:
    """Runs ``action``: a :class:`ConfigurationError` becomes one line and exit code 2, and a
    :class:`~qcircuits.errors.ToolkitWarning` one line ``prog: warning: ...``.

    Returns:
        The action's exit code when it returns an int, else 0.
    """
    import warnings

    from qcircuits.errors import ConfigurationError, ToolkitWarning

    default_show = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ToolkitWarning):
            print(f"{prog}: warning: {message}", file=sys.stderr)
        else:
            default_show(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        result = action()
    except ConfigurationError as exc:
        fail(prog, str(exc))
    except KeyboardInterrupt:
        fail(prog, interrupted)
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141  # 128 + SIGPIPE, what a shell reports for such a pipe
    finally:
        warnings.showwarning = default_show
    return result if isinstance(result, int) and not isinstance(result, bool) else 0
