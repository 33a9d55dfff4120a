"""The NER head registry: a new head is one class in one file, read without TensorFlow."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
from helpers import run_python, write_ner_data

from qcircuits.errors import ConfigurationError
from sims.ner.heads import Head, get_head, head_names, register_head, unregister_head
from sims.ner.options import NerOptions

SQUARED_HEAD = textwrap.dedent('''
    from sims.ner.heads import Head, register_head


    @register_head
    class SquaredHead(Head):
        name = "squared_test"
        description = "the projection, squared"

        def build(self, layer):
            from sims.tf_env import keras

            layer.projection = keras.layers.Dense(layer.qubits, name="projection")

        def features(self, layer, x, mask):
            u = layer.projected(x)
            return u * u
''')


@pytest.fixture
def squared_head_file(tmp_path):
    path = tmp_path / "squared_head.py"
    path.write_text(SQUARED_HEAD)
    yield path
    unregister_head("squared_test")


def test_the_built_in_heads_are_registered_default_first():
    assert head_names()[:3] == ("quantum", "bottleneck", "linear")
    assert get_head("quantum").uses_circuit and not get_head("bottleneck").uses_circuit
    assert not get_head("linear").uses_design


def test_an_unknown_head_names_the_registered_ones_and_the_closest():
    with pytest.raises(ConfigurationError, match=r"Unknown head 'quantm'; expected one of quantum, bottleneck, "
                                                 r"linear.* Did you mean 'quantum'\?"):
        get_head("quantm")


@pytest.mark.parametrize("cls, message", [
    (object, "register_head takes a Head subclass"),
    (type("Bad", (Head,), {"name": "Has Space"}), "must be lower-case letters"),
    (type("Unnamed", (Head,), {}), "must be lower-case letters"),
    (type("Other", (Head,), {"name": "bottleneck"}), "Head 'bottleneck' is already registered by "
                                                      "sims.ner.heads.builtin.bottleneck.BottleneckHead"),
])
def test_bad_registrations_are_refused_with_one_line(cls, message):
    with pytest.raises(ConfigurationError, match=message):
        register_head(cls)
    assert get_head("bottleneck").__class__.__module__ == "sims.ner.heads.builtin.bottleneck"


def test_options_folder_names_and_labels_come_from_the_head_class():
    @register_head
    class Wide(Head):
        name = "wide_test"

    try:
        options = NerOptions(head="wide_test", qubits=5, scaling="tanh", readout="zz")
        assert options.default_run_dir().name == "ner-demo-wide_test-w5-no-layernorm-zz"
        quantum = NerOptions(ansatz="hardware_efficient", qubits=4, depth=1)
        assert quantum.default_run_dir().name == "ner-demo-quantum-hardware_efficient-q4-d1"
        assert get_head("wide_test").label(options) == "wide_test"
        assert get_head("quantum").label(quantum) == "quantum:hardware_efficient"
    finally:
        unregister_head("wide_test")
    with pytest.raises(ConfigurationError, match="Unknown head 'wide_test'"):
        NerOptions(head="wide_test")


def test_listing_heads_and_checking_options_load_no_tensorflow():
    code = ("import sys; from sims.ner.heads import head_names; from sims.ner.options import NerOptions; "
            "NerOptions(head='bottleneck', readout='zz'); print(head_names()); "
            "print('TF LOADED' if 'tensorflow' in sys.modules else 'NO TF')")
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr
    assert "NO TF" in result.stdout and "'quantum', 'bottleneck', 'linear'" in result.stdout


@pytest.mark.tf
def test_a_head_in_one_file_computes_what_it_says(squared_head_file):
    pytest.importorskip("transformers")
    import plugins
    from sims.ner.heads.layer import TaggingHead
    from sims.tf_env import tf

    plugins.load_plugins([str(squared_head_file)])
    head = TaggingHead("squared_test", 5, qubits=3, seed=1)
    x = tf.random.stateless_normal((4, 12), seed=(1, 2))
    head(x)
    np.testing.assert_allclose(head.features(x).numpy(), head.projection(x).numpy() ** 2, rtol=1e-6)
    assert head.circuit_variables() == []


@pytest.mark.tf
def test_a_head_in_one_file_trains_from_the_command_line_and_predicts(squared_head_file, tmp_path, capsys):
    pytest.importorskip("transformers")
    from helpers import predict_main, train_main

    data = write_ner_data(tmp_path / "data")
    run = tmp_path / "run"
    argv = ["--data-dir", str(data), "--run-dir", str(run), "--encoder", "tiny", "--qubits", "3", "--epochs", "1",
            "--batch-size", "8", "--plugin", str(squared_head_file), "--head", "squared_test"]
    assert train_main(argv) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["head"] == "squared_test" and metrics["ansatz"] is None and metrics["circuit_parameters"] == 0
    assert json.loads((run / "config.json").read_text())["options"]["head"] == "squared_test"
    capsys.readouterr()
    assert predict_main([str(run), "Alice visited Rome ."]) == 0  # the head is still registered
    assert "Alice visited Rome ." in capsys.readouterr().out
