"""Argument parsing helpers: one-line errors with exit code 2."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are a single line (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def fail(prog: str, message: str) -> NoReturn:
    """Prints ``prog: error: message`` to stderr and exits with code 2."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def guarded(prog: str, action: Callable[[], object], *, interrupted: str = "interrupted") -> int:
    """Runs ``action``; a :class:`ConfigurationError` becomes one line and exit code 2."""
    from qcircuits.errors import ConfigurationError

    try:
        action()
    except ConfigurationError as exc:
        fail(prog, str(exc))
    except KeyboardInterrupt:
        fail(prog, interrupted)
    return 0


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def integer(text: str) -> int:
    """argparse type: any integer (range checked by the ansatz, with its own message)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
