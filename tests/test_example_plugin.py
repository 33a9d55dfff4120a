"""The example plugin package, used the three documented ways."""

import os
import subprocess
import sys

import pytest
from helpers import ROOT, run_sims

PLUGIN = ROOT / "examples" / "custom_ansatz_plugin"


@pytest.mark.slow
def test_installed_plugin_is_found_through_its_entry_point(tmp_path):
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(PLUGIN)],
        capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    env = {"PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    listed = run_sims("--list", env=env)
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith("brickwork"))
    assert "entry point qcircuits_brickwork:brickwork from qcircuits-brickwork 0.1.0" in line
    result = run_sims("--ansatz", "brickwork", "--qubits", "5", "--depth", "3", "--batch", "4", env=env)
    assert result.returncode == 0, result.stderr
    assert "30 trainable" in result.stdout and "entanglement  pairwise" in result.stdout


def test_plugin_file_given_on_the_command_line():
    path = PLUGIN / "qcircuits_brickwork" / "__init__.py"
    result = run_sims("--plugin", str(path), "--ansatz", "brickwork", "--qubits", "4", "--batch", "3")
    assert result.returncode == 0, result.stderr
    assert f"(file {path})" in result.stdout and "CZ" not in result.stderr


def test_plugin_module_given_on_the_command_line():
    result = run_sims("--plugin", "qcircuits_brickwork", "--ansatz", "brickwork", "--batch", "3",
                  env={"PYTHONPATH": str(PLUGIN)})
    assert result.returncode == 0, result.stderr
    assert "(module qcircuits_brickwork)" in result.stdout
