"""Argument parsing helpers: one-line errors with exit code 2."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are a single line (no usage dump).

    Abbreviated option names are not accepted: what a user typed must name one option
    exactly, so that the options given can be checked against the mode (see
    :func:`given_options`).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class RaisingParser(OneLineParser):
    """A parser whose errors raise :class:`ConfigurationError` instead of exiting.

    For options that do not come from a command line (a sweep file), so the caller can
    name where the bad value came from.
    """

    def error(self, message: str) -> NoReturn:
        from qcircuits.errors import ConfigurationError

        raise ConfigurationError(message)


def fail(prog: str, message: str) -> NoReturn:
    """Prints ``prog: error: message`` to stderr and exits with code 2."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def guarded(prog: str, action: Callable[[], object], *, interrupted: str = "interrupted") -> int:
    """Runs ``action``; a :class:`ConfigurationError` becomes one line and exit code 2.

    Returns:
        The action's exit code when it returns an int, else 0.
    """
    from qcircuits.errors import ConfigurationError

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
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


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


MAX_SEED = 2 ** 32 - 1


def seed(text: str) -> int:
    """argparse type: a random seed, an integer from 0 to 2^32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed; got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {MAX_SEED}; got {value}")
    return value


def seed_list(text: str) -> list[int]:
    """argparse type: a comma list of seeds, each 0 to 2^32-1, none repeated."""
    values = [seed(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected seeds like 0,1,2; got {text!r}")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"expected different seeds; got {text!r}")
    return values


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (learning rates)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text!r}")
    return value


def given_options(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The ``dest`` of every option that appears on the command line ``argv``."""
    actions = parser._option_string_actions  # argparse's own table of option strings
    given = set()
    for token in argv:
        if token == "--":
            break
        if token.startswith("-"):
            action = actions.get(token.split("=", 1)[0])
            if action is not None:
                given.add(action.dest)
    return given
