"""Hardening: bad inputs and faults get one line and exit code 2; runs resume exactly; folders lock."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import (
    ROOT,
    copy_run,
    one_line_error,
    one_line_exit,
    run_python,
    tiny_train_args,
    train_once,
    write_ner_data,
)

pytest.importorskip("transformers")

from helpers import predict_main, train_main  # noqa: E402

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`


@pytest.fixture
def data_dir(tmp_path):
    return write_ner_data(tmp_path / "data")


_train_args = tiny_train_args


# -- sims.run ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "argument --seed: expected a seed from 0 to 4294967295; got -1"),
    (["--batch", "99999999999999"], "--batch 99999999999999 needs about"),
    (["--metrics", "--samples", "1"], "samples=1 state pairs are too few"),
    (["--metrics", "--qubits", "3-40"], "sim_01 at 15 qubits, depth 1: Descriptors need"),
    (["--task", "ner", "--readout", "z"], "sims.run ner: error: unrecognized arguments: --readout z (see"),
    (["--task", "ner", "--batch", "4", "--json", "x.json"], "unrecognized arguments: --batch 4 --json x.json"),
    (["--head", "linear"], "sims.run report: error: unrecognized arguments: --head linear"),
    (["--task", "ner", "--metrics"], "--metrics and --task ner are different modes"),
    (["--metrics", "--entanglement", "full"], "sims.run metrics: error: unrecognized arguments: --entanglement"),
    (["--list", "--qubits", "3"], "sims.run list: error: unrecognized arguments: --qubits"),
    (["--plugin", "tests"], "Plugin 'tests' is a folder; expected a .py file"),
    (["--backend", "cirq", "--threads", "2"], "Backend 'cirq' does not take option(s) threads"),
])
def test_bad_run_input_is_one_line_with_exit_code_2(args, message, capsys, clean_registry, tmp_path, monkeypatch):
    from sims.run import main

    if args[:2] == ["--metrics", "--qubits"]:
        args = args + ["--ansatz", "sim_01"]
    monkeypatch.chdir(ROOT)  # `--plugin tests` names this repository's folder
    start = time.perf_counter()
    line = one_line_exit(capsys, lambda: main(args))  # in-process: the same main() as `python -m sims.run`
    assert message in line, line
    assert time.perf_counter() - start < 60  # refused before any long work


def test_too_many_threads_are_capped_with_a_one_line_warning():
    result = run_python("-m", "sims.run", "--qubits", "3", "--batch", "4", "--threads", "10000")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"python -m sims.run report: warning: threads=10000 is more than the {os.cpu_count()} "
                             f"cores here; using {os.cpu_count()}\n")
    assert f"{os.cpu_count()} thread(s)" in result.stdout


def test_a_plugin_factory_that_raises_is_named_in_one_line(tmp_path):
    plugin = tmp_path / "raising_plugin.py"
    plugin.write_text("import plugins\n@plugins.register_ansatz\ndef raising(qubits=2, depth=1):\n"
                      "    return 1 / 0\n")
    line = one_line_error(run_python("-m", "sims.run", "--plugin", str(plugin), "--ansatz", "raising"))
    assert "Ansatz 'raising' (file " in line and "failed while building: ZeroDivisionError" in line


# -- NER: data, run folders, encoders, caches ---------------------------------------------------------
def test_latin1_training_file_is_named_with_line_and_byte_and_reads_with_its_encoding(data_dir, tmp_path, capsys):
    (data_dir / "train.txt").write_bytes("M\xfcller B-PER\nvisited O\nRome B-LOC\n\n".encode("latin-1") * 8)
    line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, tmp_path / "a", "--epochs", "1")))
    assert f"{data_dir / 'train.txt'}:1: byte 0xfc at column 2 is not valid utf-8" in line
    assert "--data-encoding latin-1" in line
    assert train_main(_train_args(data_dir, tmp_path / "b", "--epochs", "1", "--data-encoding", "latin-1")) == 0
    assert json.loads((tmp_path / "b" / "config.json").read_text())["options"]["data_encoding"] == "iso8859-1"


def test_binary_training_file_is_one_line(data_dir, tmp_path, capsys):
    (data_dir / "train.txt").write_bytes(bytes(range(256)) * 4)
    line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, tmp_path / "r", "--epochs", "1")))
    assert str(data_dir / "train.txt") in line


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory):
    """One run trained once for the module (two epochs); tests get copies (``trained_run``)."""
    return train_once(tmp_path_factory.mktemp("trained"), tiny_train_args, "--epochs", "2")


@pytest.fixture
def trained_run(trained_once, tmp_path):
    return copy_run(trained_once[1], tmp_path)


@pytest.fixture
def trained_data_dir(trained_once):
    """The data the module's run was trained on (resuming checks that the data folder is the same)."""
    return trained_once[0]


@pytest.mark.parametrize("content, message", [
    ("[]", "is not a NER run config"), ("{}", "is not a NER run config"),
    ('{"options": {"nonsense": 1}, "tags": ["O"]}', "has options this version does not know: nonsense"),
])
def test_predict_on_a_broken_config_is_one_line(trained_run, capsys, content, message):
    (trained_run / "config.json").write_text(content)
    assert message in one_line_exit(capsys, lambda: predict_main([str(trained_run), "Alice visited Rome ."]))


def test_predict_on_a_truncated_best_model_is_one_line(trained_run, capsys):
    for data in (trained_run / "best").glob("*.data-*"):
        data.write_bytes(data.read_bytes()[:10])
    line = one_line_exit(capsys, lambda: predict_main([str(trained_run), "Alice visited Rome ."]))
    assert "cannot be read; it may be truncated" in line


def test_training_again_on_a_truncated_state_is_one_line(trained_run, trained_data_dir, capsys):
    data_dir = trained_data_dir
    state = trained_run / "state.json"
    state.write_text(state.read_text()[:25])
    line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, trained_run, "--epochs", "3")))
    assert "state.json' is not valid JSON" in line and "Delete it to train this run again" in line


def test_a_moved_run_resumes_and_a_copy_without_checkpoints_says_so(trained_run, trained_data_dir, tmp_path, capsys):
    data_dir = trained_data_dir
    state = json.loads((trained_run / "state.json").read_text())
    assert not os.path.isabs(state["checkpoint"])  # relative to the run folder
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.move(trained_run, moved)
    assert train_main(_train_args(data_dir, moved, "--epochs", "3")) == 0
    assert "resuming after epoch 2" in capsys.readouterr().out
    copy = tmp_path / "copy"
    shutil.copytree(moved, copy)
    shutil.rmtree(copy / "checkpoints")
    line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, copy, "--epochs", "4")))
    assert "which is missing" in line


def test_a_locked_run_folder_is_refused_naming_the_process(data_dir, tmp_path, capsys):
    from sims.ner.rundir import RunDir

    run = tmp_path / "run"
    run.mkdir()  # a folder the lock did not create stays when the run is refused
    with RunDir(run).lock():
        line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, run, "--epochs", "1")))
    assert f"is in use by process {os.getpid()}" in line
    (run / ".lock").write_text("process 999999 (since long ago)\n")  # a stale lock from a killed process
    assert train_main(_train_args(data_dir, run, "--epochs", "1")) == 0


def test_a_diverging_loss_stops_in_one_line_and_keeps_the_last_good_checkpoint(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert train_main(_train_args(data_dir, run, "--epochs", "1", "--head", "linear")) == 0
    saved = json.loads((run / "state.json").read_text())
    capsys.readouterr()
    line = one_line_exit(capsys, lambda: train_main(_train_args(
        data_dir, run, "--epochs", "3", "--head", "linear", "--learning-rate", "1e38")))
    assert "The training loss became" in line and "at epoch 2, step" in line and "(epoch 1)" in line
    assert json.loads((run / "state.json").read_text()) == saved  # nothing of the poisoned epoch kept
    metrics = (run / "metrics.json").read_text()
    json.loads(metrics)  # strict JSON: no NaN or Infinity anywhere
    assert "NaN" not in metrics and "Infinity" not in metrics


def test_learning_rate_that_is_not_finite_is_refused(data_dir, tmp_path, capsys):
    line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, tmp_path / "r", "--learning-rate", "inf")))
    assert "argument --learning-rate: expected a finite number > 0; got 'inf'" in line


def test_an_encoder_folder_that_is_not_a_model_is_one_line(data_dir, tmp_path, capsys):
    folder = tmp_path / "not_a_model"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello")
    line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, tmp_path / "r") + ["--encoder", str(folder)]))
    assert "is not a model folder: it has no config.json" in line


def test_a_hub_name_offline_fails_at_once():
    start = time.perf_counter()
    result = run_python("examples/ner_conll.py", "--encoder", "no-such-org/no-such-model", "--epochs", "1",
                        env={"HF_HUB_OFFLINE": ""})
    line = one_line_error(result)
    assert "could not be loaded from the Hugging Face hub" in line
    assert time.perf_counter() - start < 60  # no retry storm (was 34 s of retries before the error)


def test_a_corrupt_encoder_cache_entry_is_rebuilt_with_a_note(data_dir, tmp_path, capsys):
    import sims.ner.features as features
    from sims.ner.encoder import load_encoder

    encoder = load_encoder("minilm")
    sentences = [("Alice", "visited", "Rome")]
    source = data_dir / "dev.txt"
    first = features.cached_word_vectors(encoder, sentences, source, tmp_path, max_length=32, desc="x")
    (entry,) = tmp_path.glob("*.npy")
    entry.write_bytes(entry.read_bytes()[:60])
    capsys.readouterr()
    again = features.cached_word_vectors(encoder, sentences, source, tmp_path, max_length=32, desc="x")
    err = capsys.readouterr().err
    assert "is unreadable" in err and "rebuilding it" in err
    np.testing.assert_allclose(again, first, atol=1e-5)
    np.testing.assert_allclose(np.load(entry), first, atol=1e-5)  # the entry was rewritten


@pytest.mark.slow
def test_a_run_killed_and_resumed_finishes_exactly_like_an_uninterrupted_one(data_dir, tmp_path):
    def command(run):
        return [sys.executable, "examples/ner_conll.py"] + _train_args(
            data_dir, run, "--epochs", "6", "--patience", "100", "--batch-size", "2", "--head", "quantum")

    assert subprocess.run(command(tmp_path / "straight"), cwd=ROOT, capture_output=True, timeout=600).returncode == 0
    run = tmp_path / "killed"
    process = subprocess.Popen(command(run), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            state = run / "state.json"
            if state.is_file() and json.loads(state.read_text())["epochs_done"] >= 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the run never finished two epochs")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    resumed = subprocess.run(command(run), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming after epoch" in resumed.stdout
    straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())["history"]
    again = json.loads((run / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in again] == [1, 2, 3, 4, 5, 6]
    for a, b in zip(straight, again, strict=True):
        assert a["dev_entity_f1"] == b["dev_entity_f1"], (a, b)
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-6, abs=1e-7), (a, b)
    best = sorted(p.name for p in (run / "best").glob("ckpt-*.index"))
    assert best == sorted(p.name for p in (tmp_path / "straight" / "best").glob("ckpt-*.index"))


# -- files ------------------------------------------------------------------------------------------
def test_atomic_outputs_get_the_mode_open_would_give_and_keep_an_existing_mode(tmp_path):
    from sims.atomic import write_json

    old = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
        os.chmod(tmp_path / "a.json", 0o600)
        write_json(tmp_path / "a.json", {"x": 2})
        assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_a_write_that_fails_half_way_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    from sims.atomic import atomic_path, write_json

    target = tmp_path / "metrics.json"
    write_json(target, {"f1": 0.5})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"f1": 0.')
            raise RuntimeError("disk full")
    assert json.loads(target.read_text()) == {"f1": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


@pytest.mark.slow  # kills a writer process several times
def test_a_writer_killed_at_any_moment_leaves_a_whole_file(tmp_path):
    target = tmp_path / "big.json"
    code = ("import sys; from sims.atomic import write_json\n"
            "i = 0\n"
            "while True:\n"
            "    write_json(sys.argv[1], {'i': i, 'pad': 'x' * 2_000_000}); i += 1\n")
    for delay in (0.0, 0.05, 0.13, 0.31):
        child = subprocess.Popen([sys.executable, "-c", code, str(target)], cwd=ROOT)
        deadline = time.monotonic() + 60
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)  # somewhere inside the next writes
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert len(json.loads(target.read_text())["pad"]) == 2_000_000
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["big.json"]
        target.unlink()


def test_json_output_is_strict(tmp_path):
    from sims.atomic import write_json

    write_json(tmp_path / "n.json", {"a": float("nan"), "b": [np.float32("inf"), 1.5], "c": np.array([1.0, np.nan])})
    assert json.loads((tmp_path / "n.json").read_text()) == {"a": None, "b": [None, 1.5], "c": [1.0, None]}


def test_a_data_dir_that_is_a_file_says_so(tmp_path, capsys):
    path = tmp_path / "file.txt"
    path.write_text("x O\n")
    line = one_line_exit(capsys, lambda: train_main(["--data-dir", str(path), "--encoder", "tiny"]))
    assert "is a file; expected a folder holding train and dev files" in line


# -- the Python API ---------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["cirq", "qsim", "statevector", "tfq"])
def test_nan_in_gives_nan_out_for_that_sample_only_on_every_backend(backend):
    from sims.layers import QuantumLayer

    layer = QuantumLayer("hardware_efficient", qubits=2, projection="none", backend=backend, seed=4)
    out = layer(np.array([[np.nan, 1.0], [0.5, 1.0]], np.float32)).numpy()
    assert np.all(np.isnan(out[0])) and np.all(np.isfinite(out[1]))


@pytest.mark.parametrize("inputs, mask, message", [
    (np.zeros(3, np.float32), None,
     "expects inputs of shape [batch, features] or [batch, seq, features]; got shape [3]"),
    (np.float32(1.0), None, "got shape []"),
    (np.array([["a", "b"]]), None, "takes real-valued features; got a string tensor"),
    (np.zeros((2, 3, 4), np.float32), np.ones((3, 3), bool), "the mask has shape [3, 3]; expected [2, 3]"),
])
def test_layer_input_of_the_wrong_kind_is_named(inputs, mask, message):
    from qcircuits import ConfigurationError
    from sims.layers import QuantumLayer

    layer = QuantumLayer("hardware_efficient", qubits=2)
    with pytest.raises(ConfigurationError) as info:
        layer(inputs, mask=mask) if mask is not None else layer(inputs)
    assert message in str(info.value)
