"""``python -m sims.run`` subcommands: each with its own options, and the old flags still working."""

import json

import pytest
from helpers import one_line_exit

from sims.commands import COMMANDS
from sims.run import main


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_subcommand_has_its_own_help(name, capsys):
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m sims.run {name}")
    foreign = {"report": "--epochs", "list": "--qubits", "metrics": "--head", "ner": "--samples",
               "sweep": "--qubits", "evaluate": "--epochs", "predict": "--qubits"}[name]
    assert foreign not in out


@pytest.mark.parametrize("argv, message", [
    (["report", "--epochs", "3"], "unrecognized arguments: --epochs 3"),
    (["metrics", "--batch", "4"], "unrecognized arguments: --batch 4"),
    (["ner", "--readout", "z"], "unrecognized arguments: --readout z"),
    (["list", "--qubits", "3"], "unrecognized arguments: --qubits"),  # "3" is taken as the pattern
    (["report", "--qubits", "2-4"], "argument --qubits: expected an integer; got '2-4'"),
    (["predict", "run", "--epochs", "3"], "python -m sims.run predict: error: unrecognized arguments: --epochs 3"),
    (["evaluate", "run"], "the following arguments are required: file"),
    (["--list", "--metrics"], "--list and --metrics are different modes; give one of them"),
    (["--task", "ner", "--compare", "sim_*"], "--compare and --task ner are different modes"),
    (["--task", "other"], "argument --task: invalid choice: 'other'"),
    (["--compare"], "argument --compare: expected one argument"),
    (["metrics", "--qubits", "3", "--depth", "0-2"], "depth must be >= 1"),
    (["sweep", "f.toml", "--depth", "2"], "unrecognized arguments: --depth 2"),
    (["sweep", "f.toml", "--executor", "slurm"], "invalid choice: 'slurm'"),
    (["sweep", "f.toml", "--set", "epochs"], "--set 'epochs': expected NAME=VALUE"),
])
def test_an_option_of_another_subcommand_is_one_line_with_exit_code_2(capsys, argv, message):
    assert message in one_line_exit(capsys, lambda: main(argv))


def test_list_takes_a_pattern(capsys):
    assert main(["list", "sim_1*"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names and all(n.startswith("sim_1") for n in names)


def test_report_subcommand_is_the_plain_command(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    common = ["--ansatz", "sim_02", "--qubits", "3", "--batch", "4", "--seed", "5"]
    assert main([*common, "--json", str(old)]) == 0
    assert main(["report", *common, "--json", str(new)]) == 0
    a, b = (json.loads(p.read_text()) for p in (old, new))
    assert a["expectations"] == b["expectations"] and a["ansatz"] == b["ansatz"]


def test_metrics_subcommand_matches_the_old_flag_and_only_the_old_flag_gets_a_note(tmp_path, capsys):
    common = ["--ansatz", "sim_02", "--qubits", "3", "--depth", "1", "--samples", "200", "--grad-samples", "20"]
    assert main(["metrics", *common, "--out-dir", str(tmp_path / "new")]) == 0
    new = capsys.readouterr().err
    assert main(["--metrics", *common, "--out-dir", str(tmp_path / "old")]) == 0
    old = capsys.readouterr().err
    assert "note: the mode flags still work" in old and "note:" not in new
    tables = [json.loads(next((tmp_path / d).glob("*.json")).read_text()) for d in ("new", "old")]
    assert tables[0]["rows"] == tables[1]["rows"]


@pytest.mark.parametrize("old, new, replaced", [
    ([], ["report"], None),
    (["--ansatz", "x", "--qubits", "3"], ["report", "--ansatz", "x", "--qubits", "3"], None),
    (["--task", "report", "--batch", "4"], ["report", "--batch", "4"], None),
    (["--list", "--plugin", "p.py"], ["list", "--plugin", "p.py"], "list"),
    (["--metrics", "--qubits", "2-4"], ["metrics", "--qubits", "2-4"], "metrics"),
    (["--compare=sim_*", "--depth", "1"], ["metrics", "--compare", "sim_*", "--depth", "1"], "metrics"),
    (["--task=ner", "--epochs", "2"], ["ner", "--epochs", "2"], "ner"),
    (["--executor", "local", "--sweep", "f.toml"], ["sweep", "f.toml", "--executor", "local"], "sweep"),
    (["metrics", "--list"], ["metrics", "--list"], None),  # a command named first: its parser decides
])
def test_old_mode_flags_are_rewritten_to_their_command(old, new, replaced):
    from sims.commands import COMMANDS
    from sims.commands.legacy import rewrite

    assert rewrite(old, COMMANDS) == (new, replaced)


def test_every_command_is_a_subparser_that_names_its_function():
    import argparse

    from sims.commands import COMMANDS, build_parser

    root = build_parser()
    subparsers = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == set(COMMANDS)
    for name, parser in subparsers.choices.items():
        assert callable(parser.get_default("func")), name
        assert "--plugin" in parser.format_help() or name == "sweep", name


def test_the_commands_use_no_private_argparse_table():
    from helpers import ROOT

    for path in (ROOT / "sims").rglob("*.py"):
        assert "_option_string_actions" not in path.read_text(encoding="utf-8"), path
