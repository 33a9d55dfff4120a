"""benchmarks/ner_heads.py: which configurations a filter runs."""

import importlib.util

from helpers import ROOT

_spec = importlib.util.spec_from_file_location("ner_heads", ROOT / "benchmarks" / "ner_heads.py")
ner_heads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ner_heads)


def _names(only):
    return [name for name, _ in ner_heads.choose(ner_heads.CONFIGURATIONS, only)]


def test_an_exact_name_picks_that_configuration_alone():
    assert _names(["linear"]) == ["linear"]  # not the learning-rate rows that mention it


def test_a_part_of_a_name_picks_every_configuration_with_it():
    assert len(_names(["lr search"])) == 6
    assert _names(["linear", "separable"])[0] == "linear" and len(_names(["linear", "separable"])) == 2
    assert len(_names([])) == len(ner_heads.CONFIGURATIONS)
