"""The measured defaults of a NER run, the ``auto`` values that follow the ansatz, and old configs."""

from __future__ import annotations

import dataclasses

import pytest

from qcircuits.errors import ConfigurationError
from sims.ner.defaults import LEGACY_DEFAULTS, resolve_init
from sims.ner.options import NerOptions, options_from_config
from sims.ner.rundir import RunDir


def test_the_defaults_are_the_identity_start_normalised_dressed_head_on_the_sum_of_four_layers():
    options = NerOptions()
    assert (options.head, options.ansatz, options.scaling, options.encoding) == (
        "quantum", "hardware_efficient", "layernorm", "angle_y_plus")
    assert NerOptions(fine_tune=True).scaling == "tanh"  # layer normalisation is not measured fine-tuned
    assert (options.entangler, options.init, options.encoder_features) == ("cry", "zeros", "sum4")
    assert (options.learning_rate, NerOptions(fine_tune=True).learning_rate) == (2e-3, 5e-5)
    assert options.default_run_dir().name == "ner-demo-quantum-hardware_efficient-q8-d2"


@pytest.mark.parametrize("given, entangler, init", [
    ({"ansatz": "strongly_entangling"}, None, "small"),  # Rot and CNOT: no identity start
    ({"ansatz": "sim_14"}, None, "zeros"),  # RY and CRX only: the identity at zero
    ({"entangler": "cx"}, "cx", "small"),
    ({"entangler": "rzz"}, "rzz", "zeros"),
    ({"entanglement": "none"}, "cry", "zeros"),
    ({"entangler": "crz"}, "crz", "zeros"),
    ({"ansatz": "strongly_entangling", "init": "uniform"}, None, "uniform"),  # given: kept
])
def test_auto_entangler_and_init_follow_what_the_circuit_can_do(given, entangler, init):
    options = NerOptions(**given)
    assert (options.entangler, options.init) == (entangler, init)


def test_classical_heads_leave_the_circuit_options_alone():
    options = NerOptions(head="bottleneck", ansatz="no_such_ansatz")  # no circuit: nothing to resolve
    assert (options.entangler, options.init, options.ansatz_options().get("entangler")) == ("auto", "auto", None)


def test_a_fine_tuned_encoder_feeds_its_last_layer():
    assert NerOptions(fine_tune=True).encoder_features == "last"
    with pytest.raises(ConfigurationError, match="is for a frozen encoder"):
        NerOptions(fine_tune=True, encoder_features="sum4")


def test_folder_names_show_only_what_was_chosen_by_hand():
    def name(**given):
        return NerOptions(**given).default_run_dir().name

    assert name(circuit_learning_rate=None, init="auto", entangler="auto") == name()
    assert name(entangler="cx") == "ner-demo-quantum-hardware_efficient-q8-d2-cx"  # init small is cx's auto
    assert name(entangler="crz") == "ner-demo-quantum-hardware_efficient-q8-d2-crz"
    assert name(entangler="cx", init="zeros") == "ner-demo-quantum-hardware_efficient-q8-d2-init-zeros-cx"
    assert name(scaling="linear", encoding="angle_y").endswith("-d2-linear-angle_y")
    assert name(encoder_features="last").endswith("-d2-features-last")
    assert name(head="bottleneck") == "ner-demo-bottleneck-w8"
    assert name(scaling="tanh").endswith("-d2-tanh")
    assert name(head="bottleneck", scaling="tanh") == name(head="bottleneck", scaling="linear") == \
        "ner-demo-bottleneck-w8-no-layernorm"  # the twin's units are tanh either way
    assert name(head="bottleneck", fine_tune=True, scaling="layernorm") == "ner-demo-bottleneck-w8-layernorm-finetuned"
    assert name(fine_tune=True) == "ner-demo-quantum-hardware_efficient-q8-d2-finetuned"


def test_auto_init_checks_every_gate_not_the_family_name():
    from qcircuits import plugins
    from qcircuits.builder import AnsatzBuilder

    def rotations_then_hadamards(qubits=2, depth=1, encoding="angle_y", hadamards=True):
        b = AnsatzBuilder("rotations_then_hadamards_test", qubits, depth, entanglement=None, encoding=encoding)
        b.encode()
        b.rotations(["ry"])
        if hadamards:  # a fixed gate: not the identity at any weight
            b.hadamards()
        return b.build()

    plugins.register_ansatz("rotations_then_hadamards_test")(rotations_then_hadamards)
    try:
        assert resolve_init("auto", "rotations_then_hadamards_test", 2, {"depth": 1}) == "small"
        assert resolve_init("auto", "rotations_then_hadamards_test", 2, {"hadamards": False}) == "zeros"
    finally:
        plugins.REGISTRY.unregister("rotations_then_hadamards_test")


def test_a_config_saved_before_these_defaults_keeps_its_meaning(tmp_path):
    saved = {k: v for k, v in dataclasses.asdict(NerOptions(head="quantum")).items() if k not in LEGACY_DEFAULTS}
    options = options_from_config(RunDir(tmp_path), {"options": saved})
    assert (options.ansatz, options.scaling, options.encoding, options.entangler, options.init,
            options.encoder_features) == ("strongly_entangling", "linear", "angle_y", None, "uniform", "last")
    recorded = dataclasses.asdict(NerOptions())  # a config of this version says what ran
    assert options_from_config(RunDir(tmp_path), {"options": recorded}) == NerOptions()
