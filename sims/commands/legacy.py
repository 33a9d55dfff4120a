"""The mode flags of earlier versions, rewritten to commands before parsing.

``--list`` is ``list``, ``--metrics`` and ``--compare P`` are ``metrics [--compare P]``,
``--task ner`` is ``ner``, ``--task report`` and no command at all are ``report``, and
``--sweep FILE`` is ``sweep FILE``. The rest of the line is kept as it is, so each
command's own parser checks it.
"""

from __future__ import annotations

from collections.abc import Mapping

TASKS = {"report": "report", "ner": "ner"}


def rewrite(argv: list[str], commands: Mapping[str, object]) -> tuple[list[str], str | None]:
    """``argv`` with a command first.

    Returns:
        The new argument list, and the command that replaced a mode flag (None when the
        line named a command, or was a plain report).

    Raises:
        ValueError: for two modes at once, or a flag without its value (one line).
    """
    if argv and (argv[0] in commands or argv[0] in ("-h", "--help", "--version")):
        return argv, None
    modes: list[tuple[str, str]] = []  # (command, the flag as typed)
    rest: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest += argv[i:]
            break
        flag, has_value, value = token.partition("=")
        if flag in ("--compare", "--task", "--sweep"):
            if not has_value:
                if i + 1 >= len(argv):
                    raise ValueError(f"argument {flag}: expected one argument")
                i, value = i + 1, argv[i + 1]
            if flag == "--compare":
                modes.append(("metrics", "--compare"))
                rest += ["--compare", value]
            elif flag == "--sweep":
                modes.append(("sweep", "--sweep"))
                positional.append(value)
            else:
                if value not in TASKS:
                    raise ValueError(f"argument --task: invalid choice: {value!r} (choose from 'report', 'ner')")
                modes.append((TASKS[value], f"--task {value}"))
        elif token == "--list":
            modes.append(("list", "--list"))
        elif token == "--metrics":
            modes.append(("metrics", "--metrics"))
        else:
            rest.append(token)
        i += 1
    chosen = {command for command, _ in modes}
    if len(chosen) > 1:
        flags = sorted({flag for _, flag in modes})
        raise ValueError(f"{' and '.join(flags)} are different modes; give one of them (or one command).")
    command = chosen.pop() if chosen else "report"
    replaced = command if modes and command != "report" else None
    return [command, *positional, *rest], replaced
