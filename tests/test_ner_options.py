"""NER arguments: three dataclasses (data, model, training) whose fields are the command line."""

from __future__ import annotations

import dataclasses
import re

import pytest

from qcircuits.errors import ConfigurationError
from sims.commands import command_parser
from sims.commands.ner import ner_values
from sims.ner.options import (
    ARGUMENT_GROUPS,
    DataArguments,
    ModelArguments,
    NerOptions,
    TrainingArguments,
    option_dest,
    option_flag,
)


def _parser():
    return command_parser("ner", "ner")


def _options(argv):
    """What the ner command builds from ``argv`` (options not given: None, the field's default)."""
    return NerOptions.from_values({k: v for k, v in ner_values(_parser().parse_args(argv)).items() if v is not None})


def test_every_field_is_an_option_with_the_fields_default():
    defaults = vars(_parser().parse_args([]))
    for field in dataclasses.fields(NerOptions):
        # circuit options are None when not given (a comparison's trial keys name only what was chosen)
        expected = None if field.metadata["circuit"] else field.default
        assert defaults[option_dest(field)] == expected, field.name
    assert _options([]) == NerOptions()


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
    options = _options(["--head-readout", "zz_all", "--circuit-init", "zeros", "--trainable-scaling",
                        "--epochs", "4", "--max-sentences", "7", "--qubits", "3", "--seed", "9"])
    assert (options.readout, options.init, options.trainable_scaling) == ("zz_all", "zeros", True)
    assert (options.epochs, options.max_sentences, options.qubits, options.seed) == (4, 7, 3, 9)
    assert option_flag(next(f for f in dataclasses.fields(NerOptions) if f.name == "readout")) == "--head-readout"


def test_a_dict_of_options_is_converted_and_checked_like_the_command_line():
    from_dict = NerOptions.from_values({"head_readout": "zz", "qubits": "3", "epochs": 2, "trainable_scaling": True,
                                        "learning_rate": "0.01"})
    assert from_dict == _options(["--head-readout", "zz", "--qubits", "3", "--epochs", "2", "--trainable-scaling",
                                  "--learning-rate", "0.01"])
    for values, message in [({"head_readout": "xx"}, "--head-readout: invalid choice 'xx'"),
                            ({"epochs": "many"}, "--epochs: expected a positive integer; got 'many'"),
                            ({"trainable_scaling": "yes"}, "--trainable-scaling is a switch"),
                            ({"learning_rate": 0}, "--learning-rate: expected a finite number > 0"),
                            ({"seed": 2 ** 32}, "--seed: expected a seed from 0 to 4294967295; got 4294967296"),
                            ({"epoch": 2}, "unknown option 'epoch'; did you mean 'epochs'?")]:
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            NerOptions.from_values(values)


def test_a_bad_combination_of_parts_is_still_checked_as_a_whole():
    with pytest.raises(ConfigurationError, match="is for a frozen encoder"):
        NerOptions.combine(DataArguments(), ModelArguments(fine_tune=True, encoder_features="sum4"),
                           TrainingArguments())
