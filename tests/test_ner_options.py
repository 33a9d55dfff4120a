"""NER arguments: three dataclasses (data, model, training) whose fields are the command line."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from qcircuits.errors import ConfigurationError
from sims.ner.cli import NER_OPTIONS, add_ner_arguments, options_from_args
from sims.ner.options import (
    ARGUMENT_GROUPS,
    DataArguments,
    ModelArguments,
    NerOptions,
    TrainingArguments,
    option_dest,
    option_flag,
)


def _parser(with_circuit=True):
    parser = argparse.ArgumentParser()
    add_ner_arguments(parser, with_circuit=with_circuit)
    return parser


def test_every_field_is_an_option_with_the_fields_default():
    parser = _parser()
    defaults = vars(parser.parse_args([]))
    for field in dataclasses.fields(NerOptions):
        assert defaults[option_dest(field)] == field.default, field.name
    assert options_from_args(parser.parse_args([]), "quantum") == NerOptions()


def test_the_three_parts_hold_every_field_once_and_round_trip():
    names = [f.name for _, kind in ARGUMENT_GROUPS for f in dataclasses.fields(kind)]
    assert sorted(names) == sorted(f.name for f in dataclasses.fields(NerOptions)) and len(set(names)) == len(names)
    options = NerOptions(head="bottleneck", qubits=5, epochs=3, max_sentences=10, readout="zz")
    data, model, training = options.parts()
    assert isinstance(data, DataArguments) and data.max_sentences == 10
    assert isinstance(model, ModelArguments) and (model.head, model.qubits, model.readout) == ("bottleneck", 5, "zz")
    assert isinstance(training, TrainingArguments) and training.epochs == 3
    assert NerOptions.combine(data, model, training) == options


def test_options_given_on_the_command_line_reach_their_fields():
    args = _parser().parse_args(["--head-readout", "zz_all", "--circuit-init", "zeros", "--trainable-scaling",
                                 "--epochs", "4", "--max-sentences", "7", "--qubits", "3", "--seed", "9"])
    options = options_from_args(args, "quantum")
    assert (options.readout, options.init, options.trainable_scaling) == ("zz_all", "zeros", True)
    assert (options.epochs, options.max_sentences, options.qubits, options.seed) == (4, 7, 3, 9)
    assert option_flag(next(f for f in dataclasses.fields(NerOptions) if f.name == "readout")) == "--head-readout"


def test_sims_run_keeps_its_own_circuit_options():
    flags = {a.option_strings[0] for a in _parser(with_circuit=False)._actions if a.option_strings}
    assert "--scaling" in flags and "--epochs" in flags
    assert not flags & {"--ansatz", "--qubits", "--depth", "--backend", "--seed", "--plugin"}
    assert "seed" not in NER_OPTIONS and {"head_readout", "circuit_init", "seeds"} <= NER_OPTIONS


def test_a_bad_combination_of_parts_is_still_checked_as_a_whole():
    with pytest.raises(ConfigurationError, match="is for a frozen encoder"):
        NerOptions.combine(DataArguments(), ModelArguments(fine_tune=True, encoder_features="sum4"),
                           TrainingArguments())
