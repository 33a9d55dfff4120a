"""``python -m sims.run`` subcommands: each with its own options, and the old flags still working."""

import json

import pytest
from helpers import one_line_exit, run_python

from sims.run import SUBCOMMANDS, main


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_each_subcommand_has_its_own_help(name, capsys):
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m sims.run {name}")
    foreign = {"report": "--epochs", "list": "--qubits", "metrics": "--head", "ner": "--samples",
               "sweep": "--qubits"}[name]
    assert foreign not in out


@pytest.mark.parametrize("argv, message", [
    (["report", "--epochs", "3"], "unrecognized arguments: --epochs 3"),
    (["metrics", "--batch", "4"], "unrecognized arguments: --batch 4"),
    (["ner", "--readout", "z"], "unrecognized arguments: --readout z"),
    (["list", "--qubits", "3"], "unrecognized arguments: --qubits"),  # "3" is taken as the pattern
    (["report", "--qubits", "2-4"], "--qubits expects an integer here"),
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


def test_metrics_subcommand_matches_the_old_flag_and_only_the_old_flag_gets_a_note(tmp_path):
    common = ["--ansatz", "sim_02", "--qubits", "3", "--depth", "1", "--samples", "200", "--grad-samples", "20"]
    new = run_python("-m", "sims.run", "metrics", *common, "--out-dir", str(tmp_path / "new"))
    old = run_python("-m", "sims.run", "--metrics", *common, "--out-dir", str(tmp_path / "old"))
    assert new.returncode == old.returncode == 0, new.stderr + old.stderr
    assert "note: the mode flags still work" in old.stderr and "note:" not in new.stderr
    tables = [json.loads(next((tmp_path / d).glob("*.json")).read_text()) for d in ("new", "old")]
    assert tables[0]["rows"] == tables[1]["rows"]
