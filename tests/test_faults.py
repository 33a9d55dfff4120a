"""Faults and bad inputs found by the third reliability round: each test failed before its fix.

Silent wrong answers first (the layer's feature count, ``predict`` on a string, run-folder files
that are not files), then one-line errors where tracebacks were (disk and permission faults,
plugin heads, Ray addresses), then what is checked before work starts.
"""

from __future__ import annotations

import contextlib
import errno
import http.server
import json
import socket
import threading
import time
import warnings

import numpy as np
import pytest
from helpers import ROOT, copy_run, one_line_exit, tiny_train_args, train_once, write_ner_data

from qcircuits.errors import ConfigurationError


@pytest.fixture
def data_dir(tmp_path):
    return write_ner_data(tmp_path / "data")


_train_args = tiny_train_args


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One tiny run trained once for the module (a linear head: seconds)."""
    pytest.importorskip("transformers")
    return train_once(tmp_path_factory.mktemp("trained"), tiny_train_args, "--epochs", "1", "--head", "linear")[1]


# -- 1. the layer checks its feature count on every call, on every backend -------------------------
@pytest.mark.tf
@pytest.mark.parametrize("backend", ["statevector", "tfq", "qsim", "cirq"])
def test_the_layer_refuses_another_feature_count_after_its_first_call(backend):
    import tensorflow as tf

    from sims.layers import QuantumLayer

    layer = QuantumLayer("hardware_efficient", qubits=3, depth=1, projection="none", backend=backend)
    assert layer(np.ones((2, 3), np.float32)).shape == (2, 3)
    for width in (4, 2):
        with pytest.raises(ConfigurationError, match=f"was built for 3 input features; got {width}"):
            layer(np.ones((2, width), np.float32))
    traced = tf.function(lambda x: layer(x))
    with pytest.raises(ConfigurationError, match="was built for 3 input features; got 4"):
        traced(tf.ones((2, 4)))
    ragged = tf.RaggedTensor.from_row_lengths(tf.ones((3, 4)), [1, 2])
    with pytest.raises(ConfigurationError, match="got 4"):
        layer(ragged)


@pytest.mark.tf
def test_a_width_unknown_when_tracing_is_checked_when_the_graph_runs():
    import tensorflow as tf

    from sims.layers import QuantumLayer

    layer = QuantumLayer("hardware_efficient", qubits=2, depth=1, projection="none", backend="statevector")
    layer(np.ones((1, 2), np.float32))
    traced = tf.function(lambda x: layer(x), input_signature=[tf.TensorSpec([None, None], tf.float32)])
    assert traced(tf.ones((2, 2))).shape == (2, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="was built for 2 input features"):
        traced(tf.ones((2, 5)))


# -- 2. predict: a string is one sentence; bad sentences are named ----------------------------------
@pytest.mark.parametrize("given, expected", [
    ("Paris", [("Paris",)]),
    ("Bob went home", [("Bob", "went", "home")]),
    (["Alice visited Rome .", ["Bob", "left"]], [("Alice", "visited", "Rome", "."), ("Bob", "left")]),
    ((), []),
])
def test_sentences_to_predict_are_read_as_sentences(given, expected):
    from sims.ner.conll import sentence_words

    assert sentence_words(given) == expected


@pytest.mark.parametrize("given, message", [
    ([None], "Sentence 0 is None (NoneType); expected a string or a list of words"),
    ([[1, 2]], "Sentence 0 has the word 1; expected words as non-empty strings"),
    (["fine", ""], "Sentence 1 is empty"),
    ([["ok", " "]], "Sentence 0 has the word ' '"),
    (5, "predict takes a sentence (str) or a list of sentences; got int"),
    (b"bytes", "got bytes"),
])
def test_sentences_of_the_wrong_kind_are_named(given, message):
    from sims.ner.conll import sentence_words

    with pytest.raises(ConfigurationError) as info:
        sentence_words(given)
    assert message in str(info.value)


@pytest.mark.tf
def test_predict_on_a_string_tags_its_words(trained_run):
    from sims.ner.trainer import NerTrainer

    trainer = NerTrainer.from_run(trained_run)
    (tags,) = trainer.predict("Paris")
    assert len(tags) == 1
    (tags,) = trainer.predict("Bob went home")
    assert len(tags) == 3


@pytest.mark.tf
@pytest.mark.parametrize("value", [None, 5, ["a"]])
def test_from_run_names_its_argument(value):
    pytest.importorskip("transformers")
    from sims.ner.trainer import NerTrainer

    with pytest.raises(TypeError, match=r"NerTrainer.from_run takes a run folder \(str or pathlib.Path\); got"):
        NerTrainer.from_run(value)


# -- 3. a run's files that are folders are refused, never read as missing ----------------------------
@pytest.mark.tf
@pytest.mark.parametrize("name", ["state.json", "metrics.json", "training.png"])
def test_a_folder_in_place_of_a_run_file_is_refused_before_training(trained_run, data_dir, tmp_path, capsys, name):
    from helpers import train_main

    run = copy_run(trained_run, tmp_path)
    checkpoints = sorted(p.name for p in (run / "checkpoints").iterdir())
    (run / name).unlink()
    (run / name).mkdir()
    start = time.perf_counter()
    line = one_line_exit(capsys, lambda: train_main(_train_args(data_dir, run, "--epochs", "3", "--head", "linear")))
    assert f"{name}' exists but is not a file" in line
    assert time.perf_counter() - start < 30  # refused before the encoder loads
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == checkpoints  # finished epochs kept


def test_a_folder_in_place_of_config_json_is_named_not_called_missing(tmp_path):
    from sims.ner.rundir import RunDir, RunDirError

    (tmp_path / "config.json").mkdir()
    with pytest.raises(RunDirError, match="config.json' exists but is not a file"):
        RunDir(tmp_path).read_config()
    with pytest.raises(RunDirError, match="config.json' exists but is not a file"):
        RunDir(tmp_path).check_trained()


# -- 4. every shipped sweep file passes its own checks -------------------------------------------------
@pytest.mark.parametrize("path", sorted((ROOT / "examples" / "sweeps").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_sweep_file_passes_a_dry_run(path, capsys, monkeypatch, tmp_path):
    from sims.run import main

    monkeypatch.chdir(ROOT)
    assert main(["sweep", str(path.relative_to(ROOT)), "--dry-run", "--out-dir", str(tmp_path / "out")]) == 0
    assert "todo" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()  # a dry run writes nothing


# -- 5, 6. disk and permission faults: one line naming the file, the old file whole -------------------
def test_a_full_disk_is_one_line_and_keeps_the_old_report(tmp_path, monkeypatch, capsys):
    import sims.atomic
    from sims.run import main

    target = tmp_path / "report.json"
    target.write_text('{"old": true}')

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sims.atomic.os, "replace", full_disk)
    line = one_line_exit(capsys, lambda: main(["report", "--qubits", "2", "--batch", "2", "--json", str(target)]))
    assert f"Cannot write {str(target)!r} (No space left on device)" in line
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left


def test_a_folder_where_an_output_file_goes_is_named(tmp_path):
    from sims.atomic import OutputError, write_json

    (tmp_path / "out.json").mkdir()
    with pytest.raises(OutputError, match="a directory is in the way"):
        write_json(tmp_path / "out.json", {})


def test_a_run_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    import sims.ner.rundir as rundir

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(rundir, "open", read_only, raising=False)
    with pytest.raises(rundir.RunDirError, match="cannot be written \\(Permission denied: .lock\\)"):
        with rundir.RunDir(tmp_path / "run").lock():
            pass


def test_a_refused_run_leaves_no_empty_folder_behind(tmp_path):
    from sims.ner.rundir import RunDir

    run = tmp_path / "new-run"
    with pytest.raises(ConfigurationError):
        with RunDir(run).lock():
            raise ConfigurationError("refused after the lock, before anything was written")
    assert not run.exists()
    with RunDir(run).lock():
        (run / "config.json").write_text("{}")
    assert run.is_dir()  # a folder with content stays


# -- 7. plugin heads and plugin factories that fail are named in one line -----------------------------
HEAD_PLUGIN = '''
from sims.ner.heads import Head, register_head

@register_head
class BrokenBuild(Head):
    name = "broken_build"
    def build(self, layer):
        return 1 / 0

@register_head
class WrongType(Head):
    name = "wrong_type"
    def features(self, layer, x, mask):
        return "not a tensor"

@register_head
class Exits(Head):
    name = "exits"
    def features(self, layer, x, mask):
        raise SystemExit(0)
'''


@pytest.mark.tf
@pytest.mark.parametrize("head, message", [
    ("broken_build", "failed in build: ZeroDivisionError: division by zero"),
    ("wrong_type", "features() returned str; expected a tensor"),
    ("exits", "failed in features: SystemExit: 0"),
])
def test_a_failing_plugin_head_is_one_line(data_dir, tmp_path, capsys, head, message):
    from helpers import train_main

    from sims.ner.heads import unregister_head

    plugin = tmp_path / "heads.py"
    plugin.write_text(HEAD_PLUGIN)
    try:
        line = one_line_exit(capsys, lambda: train_main(
            _train_args(data_dir, tmp_path / "run", "--epochs", "1", "--plugin", str(plugin), "--head", head)))
    finally:
        for name in ("broken_build", "wrong_type", "exits"):
            unregister_head(name)
    assert f"Head {head!r} (file {plugin.resolve()})" in line and message in line


def test_an_ansatz_factory_that_exits_is_a_failed_plugin(tmp_path, capsys, clean_registry):
    from sims.run import main

    plugin = tmp_path / "exiting.py"
    plugin.write_text("from qcircuits import plugins\n@plugins.register_ansatz\ndef exiting(qubits=2, depth=1):\n"
                      "    raise SystemExit(0)\n")
    line = one_line_exit(capsys, lambda: main(["report", "--plugin", str(plugin), "--ansatz", "exiting"]))
    assert "Ansatz 'exiting' (file " in line and "failed while building: SystemExit" in line


def test_a_plugin_file_that_exits_on_import_is_a_failed_plugin(tmp_path, clean_registry):
    from qcircuits import plugins

    plugin = tmp_path / "exits_on_import.py"
    plugin.write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(plugins.PluginError, match="failed to load: SystemExit: 3"):
        plugins.load_plugin(str(plugin))


@pytest.mark.parametrize("name", [5, 2.5, ["x"]])
def test_register_ansatz_names_a_bad_argument(name, clean_registry):
    from qcircuits import plugins

    with pytest.raises(TypeError, match="register_ansatz takes a name \\(str\\) or an ansatz factory function; got"):
        plugins.register_ansatz(name)


# -- 8. a Ray address that is not a Ray cluster is refused quickly -----------------------------------
@contextlib.contextmanager
def _server(kind: str):
    """A loopback server: an HTTP server, a silent TCP listener, or a gRPC server (as Ray's GCS is)."""
    if kind == "http":
        server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        server.RequestHandlerClass.log_message = lambda *a: None
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()
    elif kind == "silent":
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            yield listener.getsockname()[1]
    else:
        grpc = pytest.importorskip("grpc")
        from concurrent import futures

        server = grpc.server(futures.ThreadPoolExecutor(1))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            yield port
        finally:
            server.stop(None)


@pytest.mark.parametrize("kind", ["http", "silent"])
def test_a_ray_address_that_is_not_ray_is_refused_within_seconds(kind):
    from sims.sweep.executors import check_address

    with _server(kind) as port:
        start = time.perf_counter()
        with pytest.raises(ConfigurationError, match="answers, but not as a Ray cluster"):
            check_address(f"127.0.0.1:{port}", timeout=1.0)
        assert time.perf_counter() - start < 10


def test_a_grpc_server_passes_the_ray_address_check():
    from sims.sweep.executors import check_address

    with _server("grpc") as port:
        check_address(f"127.0.0.1:{port}")


# -- 9, 14. sweep files: paths checked before anything runs; a byte-order mark is read past ---------------
def test_a_ner_sweep_with_a_missing_data_dir_fails_its_dry_run(tmp_path, capsys):
    from sims.run import main

    sweep = tmp_path / "s.toml"
    sweep.write_text('task = "ner"\n[options]\ndata-dir = "/nonexistent"\nhead = "linear"\n')
    line = one_line_exit(capsys, lambda: main(["sweep", str(sweep), "--dry-run"]))
    assert "Data directory '/nonexistent' does not exist" in line


def test_a_ner_sweep_with_a_missing_encoder_folder_fails_its_dry_run(tmp_path, capsys):
    from sims.run import main

    sweep = tmp_path / "s.toml"
    sweep.write_text(f'task = "ner"\n[options]\nencoder = "{tmp_path}/no-model"\nhead = "linear"\n')
    line = one_line_exit(capsys, lambda: main(["sweep", str(sweep), "--dry-run"]))
    assert "no-model' does not exist" in line


def test_a_sweep_file_with_a_byte_order_mark_is_read(tmp_path):
    from sims.sweep.spec import load_spec

    sweep = tmp_path / "bom.toml"
    sweep.write_bytes(b"\xef\xbb\xbf" + b'task = "metrics"\n[options]\nqubits = 2\n')
    assert load_spec(sweep).options["qubits"] == 2


# -- 10. a dev tag unseen in (subsampled) training is a warning, not a stop -----------------------------
def test_an_unseen_dev_tag_is_a_warning_with_counts(tmp_path, capsys):
    from sims.ner.corpus import Corpus

    data = write_ner_data(tmp_path / "data")  # B-MISC occurs only in the second training sentence
    (data / "dev.txt").write_text("Italy B-MISC\nis O\nnice O\n. O\n\nFrance B-MISC\n. O\n")
    corpus = Corpus.load(data, max_sentences=1)
    err = capsys.readouterr().err
    assert "has tags that never occur in the training data: B-MISC (2)" in err
    assert "scored as always wrong (training read only its first 1 sentences: --max-sentences)" in err
    assert "B-MISC" not in corpus.tags


# -- 11, 15. names and patterns that are empty or match nothing ---------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["ner", "--head", ""], "--head '' has an empty name"),
    (["ner", "--head", "linear,,quantum"], "--head 'linear,,quantum' has an empty name"),
    (["list", "zzz*"], "No registered ansatz matches 'zzz*'"),
    (["report", "--json", ""], "Output path '' is empty"),
    (["metrics", "--json", ""], "--json '' is empty"),
])
def test_empty_names_and_patterns_that_match_nothing_are_one_line(argv, message, capsys, tmp_path, monkeypatch):
    from sims.run import main

    monkeypatch.chdir(tmp_path)
    assert message in one_line_exit(capsys, lambda: main(argv))
    assert list(tmp_path.iterdir()) == []  # 13: nothing created


# -- 13. refused commands create no folders --------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["metrics", "--samples", "1"],
    ["metrics", "--qubits", "40"],
    pytest.param(["ner", "--qubits", "30", "--run-dir", "X", "--encoder", "tiny"], marks=pytest.mark.tf),
])
def test_a_refused_command_leaves_no_folder(argv, capsys, tmp_path, monkeypatch):
    if argv[0] == "ner":
        pytest.importorskip("transformers")
    from sims.run import main

    monkeypatch.chdir(tmp_path)
    one_line_exit(capsys, lambda: main(argv))
    assert list(tmp_path.iterdir()) == []


# -- 17. angles too large for float32 warn --------------------------------------------------------------
def test_angles_beyond_float32_precision_warn():
    from qcircuits import plugins
    from qcircuits.validation import PrecisionWarning

    ansatz = plugins.create("hardware_efficient", qubits=2, depth=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ansatz.parameter_values(np.full((1, 2), 3.0), np.zeros(ansatz.n_weights))  # ordinary angles: silent
    with pytest.warns(PrecisionWarning, match="reach 1e\\+30 rad"):
        ansatz.parameter_values(np.array([[1e30, 0.0]]), np.zeros(ansatz.n_weights))


@pytest.mark.tf
def test_an_eager_layer_call_with_huge_angles_warns():
    from qcircuits.validation import PrecisionWarning
    from sims.layers import QuantumLayer

    layer = QuantumLayer("hardware_efficient", qubits=2, depth=1, projection="none", backend="statevector")
    with pytest.warns(PrecisionWarning, match="QuantumLayer inputs reach"):
        layer(np.array([[3e38, 1.0]], np.float32))


# -- 18. ner_predict checks its inputs before the model loads -------------------------------------------
@pytest.mark.tf
@pytest.mark.parametrize("argv, message", [
    (["", "Alice went"], "Sentence 1 is empty"),
    (["Alice went", "  ..  "], None),  # punctuation is words: not empty
])
def test_predict_checks_its_text_before_the_model_loads(trained_run, capsys, monkeypatch, argv, message):
    from helpers import predict_main

    from sims.ner.tagger import Tagger

    if message is None:
        assert predict_main([str(trained_run), *argv]) == 0
        return

    def must_not_load(*args, **kwargs):
        raise AssertionError("the model was loaded before the input was checked")

    monkeypatch.setattr(Tagger, "load", must_not_load)
    assert message in one_line_exit(capsys, lambda: predict_main([str(trained_run), *argv]))


def test_predict_on_a_run_without_a_best_model_is_refused_before_loading(tmp_path, capsys):
    pytest.importorskip("transformers")
    from helpers import predict_main

    (tmp_path / "config.json").write_text(json.dumps({"options": {}, "tags": ["O"]}))
    line = one_line_exit(capsys, lambda: predict_main([str(tmp_path), "Alice went home"]))
    assert "has no trained model yet (no best/ checkpoint)" in line


# -- 19. the frozen-encoder cache, with a real cached file -----------------------------------------------
@pytest.mark.tf
def test_cached_encoder_files_that_are_broken_are_rebuilt_and_an_unwritable_cache_is_a_note(tmp_path, capsys):
    import dataclasses

    import sims.ner.features as features
    from sims.ner.encoder import load_encoder

    encoder = dataclasses.replace(load_encoder("tiny"), spec="tiny-cached")  # "tiny" itself is never cached
    sentences = [("Alice", "visited", "Rome"), ("Bob", ".")]
    source = tmp_path / "dev.txt"
    source.write_text("x O\n")
    cache = tmp_path / "cache"

    def vectors():
        return features.cached_word_vectors(encoder, sentences, source, cache, max_length=32, desc="x")

    first = vectors()
    (entry,) = cache.glob("*.npy")
    assert np.array_equal(np.load(entry), first)
    damages = {
        "truncated": lambda: entry.write_bytes(entry.read_bytes()[:60]),
        "not finite": lambda: np.save(entry, np.full_like(first, np.nan)),
        "wrong shape": lambda: np.save(entry, first[:2]),
        "a folder": lambda: (entry.unlink(), entry.mkdir()),
    }
    for name, damage in damages.items():
        damage()
        capsys.readouterr()
        again = vectors()
        err = capsys.readouterr().err
        assert "note: encoder cache" in err, name
        np.testing.assert_allclose(again, first, atol=1e-6, err_msg=name)
    assert "not written" in err and "a directory is in the way" in err  # the folder stayed: a note, not a stop
    entry.rmdir()
    vectors()
    np.testing.assert_allclose(np.load(entry), first, atol=1e-6)  # rewritten whole
