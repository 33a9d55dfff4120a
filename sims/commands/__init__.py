"""The command line, ``python -m sims.run COMMAND ...``: one argparse subparser per command.

Each command module declares its ``parents()`` (shared options, :mod:`sims.commands.common`),
``configure(parser)`` (its own options, and ``set_defaults(func=...)``) and the function
that runs it. Commands sit above everything else: no module outside this package imports
it (a test checks), so the domain packages (``sims.ner``, ``sims.sweep``, ...) never depend
on a command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from sims.commands.parsing import CommandParser, OneLineParser, fail, guarded

PROG = "python -m sims.run"


@dataclasses.dataclass(frozen=True)
class Command:
    """One subcommand: its name, one line of help, and how its parser is built."""

    name: str
    help: str
    parents: Callable[[], list[argparse.ArgumentParser]]
    configure: Callable[[argparse.ArgumentParser], None]
    interrupted: str = "interrupted"


def _commands() -> dict[str, Command]:
    from sims.commands import listing, metrics, ner, report, sweep

    def of(module: ModuleType, name: str, **kwargs: object) -> Command:
        return Command(name, module.HELP, module.parents, module.configure, **kwargs)  # type: ignore[arg-type]

    return {
        "report": of(report, "report"),
        "list": of(listing, "list"),
        "metrics": of(metrics, "metrics"),
        "ner": of(ner, "ner", interrupted=ner.INTERRUPTED),
        "evaluate": Command("evaluate", ner.EVALUATE_HELP, ner.parents, ner.configure_evaluate),
        "predict": Command("predict", ner.PREDICT_HELP, ner.parents, ner.configure_predict),
        "sweep": of(sweep, "sweep", interrupted=sweep.INTERRUPTED),
    }


COMMANDS = _commands()


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The root parser: ``--version`` and one subparser per command."""
    from qcircuits import __version__

    root = OneLineParser(prog=prog, description="Build, simulate, describe and train parameterized circuits.",
                         epilog=f"without a command, a circuit report ({prog} report --help)")
    root.add_argument("--version", action="version", version=f"qcircuits-toolkit {__version__}")
    commands = root.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=CommandParser)
    for command in COMMANDS.values():
        parents: list[Any] = command.parents()  # plain parsers; typeshed wants the subparser class
        parser = commands.add_parser(command.name, help=command.help, description=command.help, parents=parents)
        command.configure(parser)
    return root


def command_parser(name: str, prog: str) -> argparse.ArgumentParser:
    """One command's parser on its own, for a script that is that command (``examples/ner_conll.py``)."""
    command = COMMANDS[name]
    parser = CommandParser(prog=prog, description=command.help, parents=command.parents())
    command.configure(parser)
    return parser


def run_parsed(prog: str, args: argparse.Namespace) -> int:
    """Runs the command ``args`` names, with one-line errors (exit code 2)."""
    command = COMMANDS[args.command] if getattr(args, "command", None) else None
    interrupted = command.interrupted if command else "interrupted"
    return guarded(prog, lambda: args.func(args), interrupted=interrupted)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sims.run``: old mode flags are rewritten to their command first (with a note)."""
    from sims.commands.legacy import rewrite

    argv = list(sys.argv[1:] if argv is None else argv)
    check_not_shadowed()
    try:
        argv, replaced = rewrite(argv, COMMANDS)
    except ValueError as exc:
        fail(PROG, str(exc))
    args = build_parser().parse_args(argv)
    code = run_parsed(f"{PROG} {args.command}", args)
    if replaced:  # after the run, so that an error stays one line
        print(f"note: the mode flags still work, but `{PROG} {replaced} ...` is the command now "
              f"(see {PROG} {replaced} --help)", file=sys.stderr)
    return code


def script_main(name: str, prog: str, argv: Sequence[str] | None = None) -> int:
    """A script that is one command (the examples): ``prog ARGS`` is ``python -m sims.run NAME ARGS``."""
    check_not_shadowed()
    args = command_parser(name, prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    args.command = name
    return run_parsed(prog, args)


def check_not_shadowed() -> None:
    """Stops (one line) when a user's own ``sims/`` folder shadows ours; notes a ``plugins/`` one."""
    shadow = shadowing_package()
    if shadow:
        fail(PROG, shadow + ": rename it, or run from another folder")
    shadow = shadowing_package(("plugins",))
    if shadow:  # harmless to the toolkit; a plugin file that does `import plugins` gets that folder
        print(f"note: {shadow}; plugin files should use 'from qcircuits import plugins'", file=sys.stderr)


def shadowing_package(names: Sequence[str] = ("sims",)) -> str | None:
    """A folder that shadows one of our packages on ``sys.path``, described in one line.

    A user project with its own ``sims/`` folder on the path would otherwise fail far from
    the cause. The toolkit itself imports the registry as ``qcircuits.plugins``, so a
    ``plugins/`` folder only matters to plugin files that ``import plugins``.
    """
    import importlib.util
    from pathlib import Path

    ours = Path(__file__).resolve().parents[2]
    for name in names:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        # Once imported, `plugins` is qcircuits.plugins (its canonical home): ours too.
        if origin is not None and origin.parent not in (ours / name, ours / "qcircuits" / name):
            return (f"the {name!r} package imported from {origin.parent} is not this toolkit's ({ours / name}); "
                    f"a folder named {name!r} on the path shadows it")
    return None
