"""The `python -m sims.run` command line: reports, JSON, and one-line errors."""

import json
import os

import pytest
from helpers import one_line_exit, run_python, run_sims

from sims.run import main


def test_report_shows_counts_diagram_expectations_and_throughput(capsys):
    assert main(["--ansatz", "hardware_efficient", "--qubits", "3", "--depth", "2", "--batch", "5"]) == 0
    out = capsys.readouterr().out
    for needle in ("qubits        3", "depth         2 layer(s)", "entanglement  linear",
                   "12 trainable, 3 data", "4 two-qubit", "Ry(theta_0)", "<Z2>", "circuits/s",
                   "state vector 64 B"):
        assert needle in out, needle


def test_json_report_is_written_and_matches_the_ansatz(tmp_path):
    path = tmp_path / "report.json"
    assert main(["--ansatz", "strongly_entangling", "--qubits", "4", "--depth", "3",
                 "--entanglement", "circular", "--batch", "7", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert report["ansatz"]["trainable_parameters"] == 36
    assert report["ansatz"]["entanglement"] == "circular"
    assert len(report["expectations"]["mean"]) == 4
    assert report["timing"]["circuits_per_second"] > 0
    assert report["batch"] == 7
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_same_seed_gives_same_expectations(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        main(["--batch", "4", "--seed", "3", "--json", str(path)])
    assert json.loads(a.read_text())["expectations"] == json.loads(b.read_text())["expectations"]


def test_list_shows_builtins_with_source_and_does_not_import_tensorflow():
    code = ("import sys; from sims.run import main; main(['--list']); "
            "print('TF LOADED' if 'tensorflow' in sys.modules else 'NO TF')")
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr
    assert "NO TF" in result.stdout
    assert "strongly_entangling" in result.stdout and "[built-in]" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ansatz", "hardware_eficient"], "Unknown ansatz 'hardware_eficient'. Did you mean: hardware_efficient"),
        (["--qubits", "0"], "qubits must be >= 1; got 0"),
        (["--qubits", "50"], "50 qubits need about"),
        (["--depth", "0"], "depth must be >= 1; got 0"),
        (["--entanglement", "ring"], "Unknown entanglement 'ring'"),
        (["--entanglement", "0-1,1-7"], "(1, 7) is out of range for 4 qubits"),
        (["--entanglement", "0-1,0-1"], "(0, 1) is repeated"),
        (["--encoding", "angle_x", "--features", "6"], "needs at least 6 qubits; got 4"),
        (["--plugin", "does_not_exist.py"], "does_not_exist.py' does not exist"),
        (["--batch", "0"], "argument --batch: expected a positive integer; got 0"),
        (["--json", "/proc/nope/report.json"], "does not exist"),
        (["--backend", "gpu"], "Unknown backend 'gpu'"),
        (["--qubits", "four"], "argument --qubits: expected an integer; got 'four'"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code_2(args, message, capsys, clean_registry):
    # In-process: the same main() as `python -m sims.run`; a new interpreter per case cost 30 s.
    # test_bad_input_in_a_fresh_process_is_one_line checks that nothing else reaches stderr there.
    assert message in one_line_exit(capsys, lambda: main(args))


def test_bad_input_in_a_fresh_process_is_one_line():
    result = run_sims("--qubits", "50")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "50 qubits need about" in lines[0], result.stderr


def test_gpu_backend_without_gpu_support_gives_one_line():
    from sims.gpu_info import gpu_status

    status = gpu_status()
    if status.cuda_device:
        pytest.skip("this machine can run qsim-gpu")
    expected = "no CUDA device is visible" if status.cuda_kernels_built else "is CPU-only"
    result = run_sims("--backend", "qsim-gpu")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert expected in result.stderr


def test_broken_plugin_file_gives_one_line(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("import not_a_real_module\n")
    result = run_sims("--plugin", str(bad))
    assert result.returncode == 2
    assert "broken.py' failed to load: ModuleNotFoundError" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_non_writable_json_path_fails_before_work_and_keeps_old_file(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    old = locked / "report.json"
    old.write_text('{"old": true}')
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        result = run_sims("--json", str(old))
        assert result.returncode == 2 and "is not writable" in result.stderr
    finally:
        locked.chmod(0o700)
    assert old.read_text() == '{"old": true}'


def test_json_path_in_a_folder_nobody_can_write_is_rejected():
    result = run_sims("--json", "/proc/report.json")
    assert result.returncode == 2 and "'/proc/report.json' is not writable" in result.stderr


def test_json_path_that_is_a_directory_is_rejected(tmp_path):
    result = run_sims("--json", str(tmp_path))
    assert result.returncode == 2 and "is a directory" in result.stderr


def test_failed_run_leaves_existing_json_untouched(tmp_path):
    old = tmp_path / "report.json"
    old.write_text('{"old": true}')
    result = run_sims("--qubits", "0", "--json", str(old))
    assert result.returncode == 2
    assert old.read_text() == '{"old": true}'


def test_a_closed_pipe_ends_the_command_quietly():
    # stdout is a pipe whose reader has gone (as with `... | head -1`): every write fails with EPIPE.
    code = ("import os, sys; r, w = os.pipe(); os.close(r); sys.stdout = os.fdopen(w, 'w', buffering=1); "
            "from sims.run import main; code = main(['list']); sys.stderr.write('code=' + str(code))")
    result = run_python("-c", code)
    assert result.returncode == 0 and result.stderr.endswith("code=141"), result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
