"""The NER pipeline end to end: train, resume, compare, predict, bad input."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("transformers")

from helpers import NER_TRAIN, ROOT, predict_main, train_main, write_ner_data  # noqa: E402  # noqa: E402

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`


@pytest.fixture
def data_dir(tmp_path):
    return write_ner_data(tmp_path / "data")


def _train(data_dir, run_dir, *extra):
    return train_main(["--data-dir", str(data_dir), "--run-dir", str(run_dir), "--encoder", "tiny",
                       "--qubits", "3", "--depth", "1", "--batch-size", "8", *extra])


def test_training_writes_model_metrics_and_plot_and_predict_reads_them(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(data_dir, run, "--epochs", "2") == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_done"] == 2 and len(metrics["history"]) == 2
    assert set(metrics["dev"]["entity"]) >= {"micro avg", "macro avg", "weighted avg"}
    assert set(metrics["test"]["token"]) >= {"O", "B-PER", "micro avg"}
    assert metrics["train_tokens_per_s"] > 0
    assert (run / "training.png").stat().st_size > 1000
    assert json.loads((run / "config.json").read_text())["tags"][0] == "O"
    capsys.readouterr()
    assert predict_main([str(run), "Alice Walker visited Rome ."]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Alice Walker visited Rome .")


def test_sentences_longer_than_the_window_get_a_tag_for_every_word(data_dir, tmp_path):
    long_words = ("Alice Walker and Bob flew from Rome to Oslo with Globex staff , then Carol met "
                  "them in Rome before Globex opened in Oslo again .").split()
    (data_dir / "test.txt").write_text("\n".join(f"{w} O" for w in long_words) + "\n")
    run = tmp_path / "run"
    _train(data_dir, run, "--epochs", "1", "--max-length", "8")
    token = json.loads((run / "metrics.json").read_text())["test"]["token"]
    assert token["micro avg"]["support"] == len(long_words) == 26
    from sims.ner.tagger import Tagger

    assert len(Tagger.load(run).predict([tuple(long_words)])[0]) == len(long_words)


def test_same_seed_repeats_the_same_training(data_dir, tmp_path):
    histories = []
    for name in ("a", "b"):
        _train(data_dir, tmp_path / name, "--epochs", "2")
        histories.append([h["loss"] for h in json.loads((tmp_path / name / "metrics.json").read_text())["history"]])
    assert histories[0] == histories[1]


def test_resume_continues_from_the_last_epoch_and_refuses_other_options(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    _train(data_dir, run, "--epochs", "1")
    capsys.readouterr()
    _train(data_dir, run, "--epochs", "2")
    assert "resuming after epoch 1" in capsys.readouterr().out
    assert [h["epoch"] for h in json.loads((run / "metrics.json").read_text())["history"]] == [1, 2]
    saved = (run / "metrics.json").read_bytes()
    with pytest.raises(SystemExit) as info:
        _train(data_dir, run, "--epochs", "2", "--head", "linear")
    assert info.value.code == 2
    assert (run / "metrics.json").read_bytes() == saved  # a refused resume leaves the run as it was
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "different options (head: 'quantum' -> 'linear');" in err[0]  # the head alone
    # A finished run trains no more: a new learning rate is said to be unused, not silently ignored.
    assert _train(data_dir, run, "--epochs", "2", "--learning-rate", "0.5") == 0
    assert "finished after epoch 2 at --learning-rate 0.002; 0.5 is not used" in capsys.readouterr().err
    assert [h["epoch"] for h in json.loads((run / "metrics.json").read_text())["history"]] == [1, 2]


@pytest.mark.slow
def test_killed_run_resumes_from_its_last_checkpoint(data_dir, tmp_path):
    run = tmp_path / "run"
    command = [sys.executable, "examples/ner_conll.py", "--data-dir", str(data_dir), "--run-dir", str(run),
               "--encoder", "tiny", "--qubits", "3", "--depth", "1", "--batch-size", "1", "--epochs", "200",
               "--patience", "200"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_path = run / "state.json"
    deadline = time.time() + 240
    try:
        while time.time() < deadline:
            if state_path.is_file() and json.loads(state_path.read_text())["epochs_done"] >= 1:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run never finished an epoch")
    finally:
        process.send_signal(signal.SIGKILL)  # mid-epoch: no chance to clean up
        process.wait()
    done = json.loads(state_path.read_text())["epochs_done"]
    resumed = subprocess.run(command[:-4] + ["--epochs", str(done + 1), "--patience", "200"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming after epoch {done}" in resumed.stdout
    history = json.loads((run / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == list(range(1, done + 2))


def test_head_comparison_writes_table_and_plot(data_dir, tmp_path, capsys):
    root = tmp_path / "compare"
    assert _train(data_dir, root, "--epochs", "1", "--head", "linear,bottleneck,quantum") == 0
    rows = json.loads((root / "comparison.json").read_text())
    assert [r["head"] for r in rows] == ["linear", "bottleneck", "quantum"]
    assert all(r["train_tokens_per_s"] > 0 for r in rows)
    assert (root / "comparison.csv").read_text().startswith("label,head,seed,run_dir")
    assert (root / "comparison.png").is_file()
    # tiny BERT width 32 -> 3 units (layer normalisation: a scale and a shift each) -> 6 tags
    assert rows[1]["trainable_parameters"] == 32 * 3 + 3 + 2 * 3 + 3 * 6 + 6


@pytest.mark.parametrize("args, message", [
    (["--data-dir", "/nonexistent/data"], "Data directory '/nonexistent/data' does not exist"),
    (["--qubits", "40"], "--qubits 40 is larger than the encoder width 32"),
    (["--encoder", "/nonexistent/bert"], "Encoder folder '/nonexistent/bert' does not exist"),
    (["--head", "svm"], "Unknown head 'svm'"),
    (["--backend", "qsim"], "backend 'qsim' gives none"),
    (["--ansatz", "nope"], "Unknown ansatz 'nope'"),
    (["--run-dir", "/proc/ner-run"], "Run folder (--run-dir) '/proc/ner-run' cannot be created"),
    (["--learning-rate", "-1"], "--learning-rate: expected a finite number > 0; got '-1'"),
    (["--max-length", "4"], "max_length must be >= 8; got 4"),
])
def test_bad_training_input_is_one_line_with_exit_code_2(data_dir, tmp_path, capsys, args, message):
    base = ["--data-dir", str(data_dir), "--run-dir", str(tmp_path / "r"), "--encoder", "tiny", "--qubits", "3"]
    with pytest.raises(SystemExit) as info:
        train_main(base + args)  # later options win over the base ones
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_bad_data_files_are_reported_with_file_and_line(tmp_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "train.txt").write_text(NER_TRAIN)
    (folder / "dev.txt").write_text("Carol B-PER\nvisited\n")
    with pytest.raises(SystemExit):
        train_main(["--data-dir", str(folder), "--encoder", "tiny", "--run-dir", str(tmp_path / "r")])
    assert "dev.txt:2: expected 2 columns" in capsys.readouterr().err
    (folder / "dev.txt").write_text("Carol B-PERSON\n")  # a tag training never saw: a warning, not a stop
    from sims.ner.corpus import Corpus

    Corpus.load(folder)
    assert "has tags that never occur in the training data: B-PERSON (1)" in capsys.readouterr().err
    (folder / "train.txt").write_text("")
    with pytest.raises(SystemExit):
        train_main(["--data-dir", str(folder), "--encoder", "tiny", "--run-dir", str(tmp_path / "r")])
    assert "holds no sentences" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # nothing written for a run that could not start


def test_predict_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        predict_main([str(tmp_path), "Hello world ."])
    assert info.value.code == 2
    assert "is not a run folder" in capsys.readouterr().err


def test_cli_task_ner_reaches_the_same_pipeline(data_dir, tmp_path, capsys):
    from sims.run import main  # in-process: `python -m sims.run` itself is run in a fresh process elsewhere

    assert main(["--task", "ner", "--data-dir", str(data_dir), "--run-dir", str(tmp_path / "r"), "--encoder", "tiny",
                 "--head", "linear", "--epochs", "1"]) == 0
    assert (tmp_path / "r" / "metrics.json").is_file()
    assert "note: the mode flags still work, but `python -m sims.run ner ...` is the command now" in \
        capsys.readouterr().err


def test_the_real_minilm_encoder_loads_with_no_missing_weights():
    from sims.ner.encoder import load_encoder

    encoder = load_encoder("minilm")
    assert encoder.missing_weights == []
    assert encoder.hidden_size == 384
    ids = encoder.tokenizer(["Paris"], return_tensors="tf")
    vector = encoder.model(ids).last_hidden_state.numpy()
    assert abs(vector).sum() > 0


def test_qubits_beyond_the_layer_limit_with_the_real_encoder(tmp_path, data_dir, capsys):
    with pytest.raises(SystemExit):
        train_main(["--data-dir", str(data_dir), "--run-dir", str(tmp_path / "r"), "--qubits", "60"])
    assert "60 qubits need about" in capsys.readouterr().err


def test_hub_name_offline_says_what_is_missing(monkeypatch):
    from sims.ner.encoder import EncoderError, load_encoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderError, match="could not be loaded from the Hugging Face hub"):
        load_encoder("bert-base-nonexistent-model")


@pytest.mark.slow  # 30 s: the encoder trains too
def test_fine_tuning_trains_encoder_and_head_with_their_own_rates_and_resumes(data_dir, tmp_path, capsys):
    from sims.ner.encoder import tiny_encoder

    run = tmp_path / "ft"
    args = ["--fine-tune", "--head", "quantum", "--batch-size", "4", "--max-length", "16"]
    assert _train(data_dir, run, *args, "--epochs", "1") == 0
    assert _train(data_dir, run, *args, "--epochs", "2") == 0
    assert "resuming after epoch 1" in capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["fine_tune"] and metrics["epochs_done"] == 2
    # The saved best model holds a fine-tuned encoder: it differs from a fresh tiny one.
    from sims.ner.tagger import Tagger

    tagger = Tagger.load(run)
    fresh = tiny_encoder()
    trained = tagger.encoder.model.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(trained, fresh.model.get_weights(), strict=True))
    capsys.readouterr()
    assert predict_main([str(run), "Alice visited Oslo ."]) == 0
    assert capsys.readouterr().out.startswith("Alice visited Oslo .")


def test_command_line_error_is_exactly_one_line_even_after_tensorflow_loads(data_dir, tmp_path):
    result = subprocess.run(
        [sys.executable, "examples/ner_conll.py", "--data-dir", str(data_dir), "--encoder", "tiny",
         "--qubits", "40", "--run-dir", str(tmp_path / "r")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "QCIRCUITS_TF_VERBOSE")})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ner_conll.py: error: --qubits 40 is larger than the encoder width 32; expected at most 32."]
