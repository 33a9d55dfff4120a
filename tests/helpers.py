"""Helpers shared by the tests: running the command lines, and small NER corpora."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NER_TRAIN = """Alice B-PER
Walker I-PER
joined O
Globex B-ORG
in O
Rome B-LOC
. O

Bob B-PER
likes O
Italian B-MISC
food O
. O

Globex B-ORG
moved O
to O
Oslo B-LOC
. O
"""
NER_DEV = """Carol B-PER
visited O
Rome B-LOC
. O
"""


# A small descriptor sweep (2 ansatze x 2 depths x 2 seeds, seconds to run) for the sweep tests.
DESCRIPTOR_SWEEP = """
task = "metrics"
seeds = [0, 1]
[options]
qubits = 3
samples = 100
grad-samples = 20
metric-seeds = 2
[grid]
ansatz = ["hardware_efficient", "sim_14"]
depth = [1, 2]
"""


def write_ner_data(folder: Path) -> Path:
    """A tiny train/dev/test corpus in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.txt").write_text(NER_TRAIN * 4)
    (folder / "dev.txt").write_text(NER_DEV)
    (folder / "test.txt").write_text(NER_DEV)
    return folder


def run_python(*args: str, env: dict | None = None, cwd: Path = ROOT,
               timeout: int = 300) -> subprocess.CompletedProcess:
    """``python ARGS`` in a fresh process (a module with ``-m``, or a script path)."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def run_sims(*args: str, env: dict | None = None, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m sims.run ARGS`` in a fresh process."""
    return run_python("-m", "sims.run", *args, env=env, cwd=cwd, timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single stderr line of a command that failed with exit code 2 (asserts both)."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1, result.stderr[-2000:]
    return lines[0]


# A tqdm line: "desc: 100%|█████| 1/1 [00:01<00:00,  1.85s/batch]" (s/batch when slow, batch/s when fast).
PROGRESS_BAR = re.compile(r"\| *\d+/\d+ \[[^\]]*(batch/s|s/batch)\]")


def one_line_exit(capsys, action) -> str:
    """Runs an in-process command ``action`` that must exit with code 2; returns its one stderr line.

    Progress-bar lines are not messages and are left out.
    """
    import pytest

    with pytest.raises(SystemExit) as info:
        action()
    assert info.value.code == 2
    err = [line for line in capsys.readouterr().err.strip().splitlines()
           if line.strip() and not PROGRESS_BAR.search(line)]
    assert len(err) == 1, err
    return err[0]


def copy_run(run: Path, folder: Path) -> Path:
    """A copy of a trained run folder (run folders hold relative paths, so a copy trains and predicts).

    Modules train one run once (a module-scoped fixture) and hand each test its own copy to change.
    """
    import shutil

    copy = folder / run.name
    shutil.copytree(run, copy)
    return copy


def tiny_train_args(data_dir: Path, run_dir: Path, *extra: str) -> list[str]:
    """Command-line arguments of a NER run that trains in seconds: tiny encoder, 3 qubits, depth 1."""
    return ["--data-dir", str(data_dir), "--run-dir", str(run_dir), "--encoder", "tiny", "--qubits", "3",
            "--depth", "1", "--batch-size", "8", *extra]


def train_once(root: Path, args, *extra: str) -> tuple[Path, Path]:
    """Trains one run in ``root`` (for a module-scoped fixture): its data folder and run folder.

    Args:
        root: an empty folder (``tmp_path_factory.mktemp(...)``).
        args: the module's ``(data_dir, run_dir, *extra) -> argv`` (e.g. :func:`tiny_train_args`).
        extra: more options (epochs, head).
    """
    data = write_ner_data(root / "data")
    assert train_main(args(data, root / "run", *extra)) == 0
    return data, root / "run"


def train_main(argv: list[str]) -> int:
    """``examples/ner_conll.py ARGV`` in this process (the ``ner`` command)."""
    from sims.commands import script_main

    return script_main("ner", "ner_conll.py", argv)


def predict_main(argv: list[str]) -> int:
    """``examples/ner_predict.py ARGV`` in this process (the ``predict`` command)."""
    from sims.commands import script_main

    return script_main("predict", "ner_predict.py", argv)


def evaluate_main(argv: list[str]) -> int:
    """``examples/ner_evaluate.py ARGV`` in this process (the ``evaluate`` command)."""
    from sims.commands import script_main

    return script_main("evaluate", "ner_evaluate.py", argv)
