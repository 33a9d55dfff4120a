"""Head design options, multi-seed comparisons, and evaluate/predict on files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import copy_run, one_line_exit, tiny_train_args, train_once, write_ner_data

pytest.importorskip("transformers")
from helpers import evaluate_main, predict_main, train_main  # noqa: E402

from qcircuits.errors import ConfigurationError  # noqa: E402
from sims.ner.comparison import summarize  # noqa: E402
from sims.ner.heads.design import HeadDesign  # noqa: E402
from sims.ner.heads.layer import TaggingHead  # noqa: E402
from sims.ner.tagger import FrozenTagger  # noqa: E402
from sims.tf_env import keras, tf  # noqa: E402

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`

DRESSED = dict(ansatz="hardware_efficient", ansatz_options={"depth": 2, "encoding": "angle_y_plus",
                                                            "entangler": "crz"})


def _head(kind="quantum", n_tags=5, qubits=4, design=None, **kwargs):
    options = {**DRESSED, **kwargs}
    head = TaggingHead(kind, n_tags, qubits=qubits, design=design or HeadDesign(), seed=3, **options)
    head(tf.zeros((1, 12)))
    return head


def _angles(head, x):
    u = head.projection(x)
    return (np.pi / 2) * np.tanh(u.numpy())


# -- the head's design --------------------------------------------------------------------------------
def test_identity_start_makes_the_quantum_head_a_sine_twin_of_the_bottleneck():
    # H, RY(x) with every weight (CRZ entanglers included) at zero: <Z_i> = -sin(x_i), monotone like tanh.
    head = _head(design=HeadDesign(scaling="tanh", init="zeros"))
    x = tf.random.stateless_normal((7, 12), seed=(1, 2))
    np.testing.assert_allclose(head.features(x).numpy(), -np.sin(_angles(head, x)), atol=1e-5)


def test_gudermannian_angles_make_the_identity_start_head_its_twin_exactly():
    head = _head(design=HeadDesign(scaling="gudermannian", init="zeros"))
    x = tf.random.stateless_normal((7, 12), seed=(1, 2)) * 3.0
    u = head.projection(x).numpy()
    np.testing.assert_allclose(head.features(x).numpy(), -np.tanh(u), atol=1e-5)  # -sin(gd u) = -tanh u
    # Far into saturation the angle's gradient stays finite (asin(tanh u) would give inf * 0 there).
    big = tf.constant([[-60.0, -20.0, 0.0, 20.0, 60.0]])
    with tf.GradientTape() as tape:
        tape.watch(big)
        angles = head.angles(big)
    np.testing.assert_allclose(angles.numpy(), np.arcsin(np.tanh(big.numpy())), atol=1e-6)
    assert np.all(np.isfinite(tape.gradient(angles, big).numpy()))


def test_the_default_options_build_the_identity_start_head():
    # What a user gets without choosing: the measured best head, starting as the sine twin.
    from types import SimpleNamespace

    from sims.ner.options import NerOptions
    from sims.ner.tagger import make_head

    head = make_head(NerOptions(qubits=4, depth=1), 5, SimpleNamespace(hidden_size=12))
    x = tf.random.stateless_normal((7, 12), seed=(3, 4))
    u = head.projection(x).numpy()
    normalised = (u - u.mean(-1, keepdims=True)) / np.sqrt(u.var(-1, keepdims=True) + 1e-3)  # layer normalisation
    np.testing.assert_allclose(head.features(x).numpy(), -np.sin((np.pi / 2) * np.tanh(normalised)), atol=1e-4)


def test_zz_readouts_widen_both_heads_by_the_same_pairs():
    design = HeadDesign(scaling="tanh", init="zeros", readout="zz")
    quantum, twin = _head(design=design), _head("bottleneck", design=design)
    x = tf.random.stateless_normal((5, 12), seed=(3, 4))
    q, c = quantum.features(x).numpy(), twin.features(x).numpy()
    assert q.shape == c.shape == (5, 4 + 3)
    z = -np.sin(_angles(quantum, x))  # separable at the start: <Z_i Z_j> = <Z_i><Z_j>
    np.testing.assert_allclose(q[:, 4:], z[:, :-1] * z[:, 1:], atol=1e-5)
    units = c[:, :4]
    np.testing.assert_allclose(c[:, 4:], units[:, :-1] * units[:, 1:], atol=1e-6)
    assert HeadDesign(readout="zz_all").pairs(8).__len__() == 28


def test_residual_blocks_add_each_circuit_onto_its_input():
    head = _head(design=HeadDesign(scaling="tanh", init="zeros", blocks=2))
    x = tf.random.stateless_normal((6, 12), seed=(5, 6))
    first = -np.sin(_angles(head, x))
    expected = first - np.sin((np.pi / 2) * np.tanh(first))
    np.testing.assert_allclose(head.features(x).numpy(), expected, atol=1e-5)
    assert len(head.circuit_variables()) == 2
    twin = _head("bottleneck", design=HeadDesign(blocks=3))
    assert len([w for w in twin.trainable_weights if "units" in w.name]) == 4  # 2 residual Dense layers


def test_layernorm_and_trainable_scaling_add_their_weights_to_both_heads():
    design = HeadDesign(scaling="layernorm", trainable_scaling=True)
    for kind in ("quantum", "bottleneck"):
        names = [w.name for w in _head(kind, design=design).trainable_weights]
        assert any("input_scale" in n for n in names) and any("norm" in n for n in names), names


def test_reuploading_with_trainable_scaling_scales_each_layers_angles_on_its_own():
    from sims.ner.options import NerOptions

    assert NerOptions(reupload=True, trainable_scaling=True).ansatz_options()["reupload"] == "per_layer"
    assert NerOptions(reupload=True).ansatz_options()["reupload"] is True
    design = HeadDesign(scaling="tanh", init="small", trainable_scaling=True)
    options = {**DRESSED["ansatz_options"], "reupload": "per_layer"}
    head = _head(design=design, ansatz_options=options)
    shared = _head(design=design, ansatz_options={**options, "reupload": True})
    assert head.input_scale.shape == (2, 4) and shared.input_scale.shape == (4,)
    x = tf.random.stateless_normal((6, 12), seed=(7, 8))
    # Factors at one: the same circuit as re-uploading the same angles (same seed, same weights).
    np.testing.assert_allclose(head.features(x).numpy(), shared.features(x).numpy(), atol=1e-5)
    # Layer 2's factors at zero: layer 2 reads angle 0, layer 1 is untouched.
    head.input_scale.assign(np.stack([np.ones(4), np.zeros(4)]).astype(np.float32))
    angles = _angles(head, x)
    expected = head.blocks[0](np.concatenate([angles, np.zeros_like(angles)], axis=-1).astype(np.float32))
    np.testing.assert_allclose(head.features(x).numpy(), expected.numpy(), atol=1e-5)
    assert not np.allclose(expected.numpy(), shared.features(x).numpy(), atol=1e-3)


def test_the_circuits_train_at_their_own_learning_rate_in_the_steps_own_graph():
    # batch_size makes Keras' traced calls a known size: the engine's xla="auto" would compile
    # them (4 qubits x 32 words is well under its limit); the head runs them in the step's graph.
    head = _head(design=HeadDesign(scaling="tanh", init="small"), batch_size=32)
    circuit = head.blocks[0]
    assert circuit.resolved_backend == "statevector"
    model = FrozenTagger(head, 12)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), extra_optimizers=[keras.optimizers.Adam(0.05)],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [v.numpy().copy() for v in (head.circuit_variables()[0], head.output_layer.kernel)]
    x = np.random.default_rng(0).normal(size=(32, 12)).astype(np.float32)
    model.fit(x, np.arange(32) % 5, batch_size=32, epochs=1, verbose=0)
    circuit_step = np.abs(head.circuit_variables()[0].numpy() - before[0]).max()
    head_step = np.abs(head.output_layer.kernel.numpy() - before[1]).max()
    assert circuit_step == pytest.approx(0.05, rel=0.05)  # Adam's first step is the learning rate
    assert head_step == pytest.approx(1e-4, rel=0.05)
    assert circuit.kernel.last_compiled is False


@pytest.mark.parametrize("options, message", [
    ({"scaling": "sigmoid"}, "Unknown head scaling 'sigmoid'"),
    ({"readout": "xx"}, "Unknown head readout 'xx'"),
    ({"init": "normal"}, "Unknown circuit init 'normal'"),
    ({"blocks": 0}, "blocks must be >= 1"),
    ({"trainable_scaling": "yes"}, "trainable_scaling must be True or False"),
])
def test_bad_design_values_are_named(options, message):
    with pytest.raises(ConfigurationError, match=message):
        HeadDesign(**options)


# -- command line --------------------------------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path):
    return write_ner_data(tmp_path / "data")


def _args(data_dir, run_dir, *extra):
    return tiny_train_args(data_dir, run_dir, "--ansatz", "hardware_efficient", *extra)


@pytest.mark.parametrize("extra, message", [
    (["--scaling", "cube"], "argument --scaling: invalid choice: 'cube'"),
    (["--head-readout", "x"], "argument --head-readout: invalid choice"),
    (["--circuit-init", "ones"], "argument --circuit-init: invalid choice"),
    (["--blocks", "0"], "argument --blocks: expected a positive integer"),
    (["--entangler", "swap"], "Unknown entangler 'swap'; expected one of cx, cz, crx, cry, crz, rzz"),
    (["--encoder-features", "all"], "argument --encoder-features: invalid choice"),
    (["--fine-tune", "--encoder-features", "sum4"], "is for a frozen encoder"),
    (["--seeds", "1,1"], "expected different seeds"),
    (["--seeds", "1,x"], "argument --seeds"),
    (["--circuit-learning-rate", "0"], "argument --circuit-learning-rate: expected a finite number > 0"),
    (["--ansatz", "strongly_entangling", "--entangler", "crz"], "does not take these options"),
])
def test_bad_head_options_are_one_line_with_exit_code_2(data_dir, tmp_path, capsys, extra, message):
    error = one_line_exit(capsys, lambda: train_main(_args(data_dir, tmp_path / "run", *extra)))
    assert message in error


def test_a_design_is_recorded_in_the_config_and_loads_again_for_predictions(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    design = ["--scaling", "tanh", "--encoding", "angle_y_plus", "--entangler", "crz", "--circuit-init", "zeros",
              "--head-readout", "zz", "--blocks", "2", "--circuit-learning-rate", "0.02",
              "--encoder-features", "concat4"]
    assert train_main(_args(data_dir, run, "--epochs", "1", *design)) == 0
    options = json.loads((run / "config.json").read_text())["options"]
    assert (options["scaling"], options["readout"], options["blocks"], options["entangler"]) == ("tanh", "zz", 2, "crz")
    assert (options["circuit_learning_rate"], options["encoder_features"]) == (0.02, "concat4")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["circuit_parameters"] == 2 * (2 * 3 + 2)  # two blocks of RY,RZ x 3 qubits + 2 CRZ
    capsys.readouterr()
    assert predict_main([str(run), "Alice visited Rome ."]) == 0
    assert "Alice visited Rome ." in capsys.readouterr().out


def test_a_comparison_over_seeds_writes_one_row_per_run_and_a_summary(data_dir, tmp_path):
    root = tmp_path / "compare"
    assert train_main(_args(data_dir, root, "--head", "linear,bottleneck", "--seeds", "4,5", "--epochs", "1")) == 0
    rows = json.loads((root / "comparison.json").read_text())
    assert sorted((r["label"], r["seed"]) for r in rows) == [("bottleneck", 4), ("bottleneck", 5),
                                                             ("linear", 4), ("linear", 5)]
    summary = json.loads((root / "summary.json").read_text())
    assert [s["f1_mean"] for s in summary] == sorted((s["f1_mean"] for s in summary), reverse=True)
    for s in summary:
        scores = [r["best_dev_entity_f1"] for r in rows if r["label"] == s["label"]]
        assert s["f1_mean"] == pytest.approx(np.mean(scores)) and s["f1_std"] == pytest.approx(np.std(scores, ddof=1))
    assert (root / "comparison.png").stat().st_size > 0 and (root / "summary.csv").exists()


def test_summary_of_one_seed_has_zero_spread_and_keeps_the_best_first():
    rows = [{"label": "a", "head": "linear", "seed": 0, "best_dev_entity_f1": 0.5, "train_tokens_per_s": 10.0,
             "trainable_parameters": 3, "circuit_parameters": 0},
            {"label": "b", "head": "quantum", "seed": 0, "best_dev_entity_f1": 0.7, "train_tokens_per_s": None,
             "trainable_parameters": 4, "circuit_parameters": 2}]
    summary = summarize(rows)
    assert [s["label"] for s in summary] == ["b", "a"] and summary[0]["f1_std"] == 0.0
    assert summary[0]["train_tokens_per_s"] is None


# -- evaluate and predict on files ------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_once(tmp_path_factory):
    """One run trained once for the module; tests get copies (``trained_run``)."""
    return train_once(tmp_path_factory.mktemp("trained"), _args, "--epochs", "1")


@pytest.fixture
def trained_run(trained_once, tmp_path):
    return copy_run(trained_once[1], tmp_path)


IOB1_CRLF = "Carol I-PER\r\nvisited O\r\nRome I-LOC\r\n.\tO\r\n\r\nBob I-PER\r\nWalker I-PER\r\n"


def test_evaluate_scores_a_file_and_writes_predictions_beside_the_gold_tags(trained_run, tmp_path, capsys):
    path = tmp_path / "eval.txt"
    path.write_bytes(IOB1_CRLF.encode())
    out = tmp_path / "eval-out"
    assert evaluate_main([str(trained_run), str(path), "--out-dir", str(out)]) == 0
    lines = (out / "predictions.conll").read_text().split("\n")
    rows = [line.split(" ") for line in lines if line]
    assert [r[0] for r in rows] == ["Carol", "visited", "Rome", ".", "Bob", "Walker"]
    assert [r[1] for r in rows] == ["B-PER", "O", "B-LOC", "O", "B-PER", "I-PER"]  # IOB1 read as IOB2
    assert "" in lines[:-1]  # a blank line between the sentences
    metrics = json.loads((out / "evaluation.json").read_text())
    assert metrics["words"] == 6 and metrics["sentences"] == 2
    assert metrics["entity"]["micro avg"]["support"] == 3 and "B-PER" in metrics["token"]
    assert "entity level (seqeval)" in capsys.readouterr().out


def test_evaluate_refuses_an_empty_file_and_warns_of_unseen_tags(trained_run, tmp_path, capsys):
    path = tmp_path / "eval.txt"
    path.write_text("")
    assert "holds no sentences" in one_line_exit(capsys, lambda: evaluate_main([str(trained_run), str(path)]))
    path.write_text("Carol B-PER\nRome B-CITY\n")
    out = tmp_path / "out"
    assert evaluate_main([str(trained_run), str(path), "--out-dir", str(out)]) == 0
    assert "tags that never occur in the training data: B-CITY (1); they are scored as always wrong" in \
        capsys.readouterr().err
    report = json.loads((out / "evaluation.json").read_text())
    assert report["entity"]["CITY"]["recall"] == 0.0 and report["token"]["B-CITY"]["recall"] == 0.0


def test_evaluate_on_a_missing_or_unfinished_run_is_one_line(trained_run, data_dir, tmp_path, capsys):
    test_file = str(data_dir / "test.txt")
    assert "is not a run folder" in one_line_exit(capsys, lambda: evaluate_main([str(tmp_path / "nope"), test_file]))
    for checkpoint in (trained_run / "best").iterdir():
        checkpoint.unlink()
    assert "no trained model yet" in one_line_exit(capsys, lambda: evaluate_main([str(trained_run), test_file]))


@pytest.mark.parametrize("content, sentences", [
    ("Alice visited Rome .\n\nBob likes Oslo\n", [4, 3]),  # one sentence per line
    ("-DOCSTART- O\n\nAlice\nvisited\nRome\n\nBob\nlikes\n", [3, 2]),  # CoNLL without tags
    ("Alice B-PER\nvisited O\n\nBob B-PER\n", [2, 1]),  # CoNLL with tags (ignored)
])
def test_predict_tags_a_file_in_either_layout(trained_run, tmp_path, capsys, content, sentences):
    path, output = tmp_path / "in.txt", tmp_path / "out.conll"
    path.write_text(content)
    assert predict_main([str(trained_run), "--input", str(path), "--output", str(output)]) == 0
    blocks = output.read_text().strip().split("\n\n")
    assert [len(b.split("\n")) for b in blocks] == sentences
    assert all(len(line.split(" ")) == 2 for b in blocks for line in b.split("\n"))


@pytest.mark.parametrize("argv, message", [
    (["--input", "MISSING"], "does not exist"),
    ([], "give sentences or --input FILE"),
    (["Alice .", "--output", "x.conll"], "--output goes with --input"),
])
def test_predict_input_errors_are_one_line(trained_run, tmp_path, capsys, argv, message):
    argv = [a.replace("MISSING", str(tmp_path / "missing.txt")) for a in argv]
    assert message in one_line_exit(capsys, lambda: predict_main([str(trained_run), *argv]))


def test_the_encoder_cache_keys_on_what_changes_the_vectors(tmp_path):
    from sims.ner.features import cache_key
    from sims.ner.options import NerOptions, cache_variant

    source = tmp_path / "train.txt"
    source.write_text("Rom B-LOC\n")
    keys = {cache_key("minilm", source, 128, cache_variant(NerOptions(**options), "train"))
            for options in ({}, {"max_sentences": 100}, {"max_sentences": 200}, {"data_encoding": "latin-1"})}
    assert len(keys) == 4
    assert cache_variant(NerOptions(max_sentences=100), "dev") == ""  # only the training split is cut
