import pytest

from qcircuits import ConfigurationError
from qcircuits.entanglement import entangling_pairs, parse_pairs, validate_entanglement


@pytest.mark.parametrize(
    "pattern, n, layer, expected",
    [
        ("linear", 4, 0, [(0, 1), (1, 2), (2, 3)]),
        ("reverse_linear", 4, 0, [(2, 3), (1, 2), (0, 1)]),
        ("circular", 4, 0, [(0, 1), (1, 2), (2, 3), (3, 0)]),
        ("circular", 2, 0, [(0, 1)]),
        ("full", 4, 0, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]),
        ("pairwise", 5, 0, [(0, 1), (2, 3), (1, 2), (3, 4)]),
        ("star", 4, 0, [(0, 1), (0, 2), (0, 3)]),
        ("sca", 4, 0, [(3, 0), (0, 1), (1, 2), (2, 3)]),
        ("sca", 4, 1, [(3, 2), (0, 3), (1, 0), (2, 1)]),
        ("sca", 4, 2, [(1, 2), (2, 3), (3, 0), (0, 1)]),
        ("linear", 1, 0, []),
    ],
)
def test_entangling_pairs_named_patterns(pattern, n, layer, expected):
    assert entangling_pairs(pattern, n, layer) == expected


def test_entangling_pairs_explicit_list_and_string_form():
    assert entangling_pairs([(0, 2), (2, 1)], 3) == [(0, 2), (2, 1)]
    assert entangling_pairs("0-2,2-1", 3) == [(0, 2), (2, 1)]
    assert parse_pairs("0-1, 1-2") == [(0, 1), (1, 2)]


@pytest.mark.parametrize(
    "spec, n, match",
    [
        ("ring", 4, "Unknown entanglement 'ring'"),
        ([(0, 4)], 4, r"\(0, 4\) is out of range for 4 qubits"),
        ([(0, 1), (0, 1)], 4, r"\(0, 1\) is repeated"),
        ([(2, 2)], 4, "same qubit"),
        ([], 4, "at least one"),
        ("0-x", 4, "Invalid qubit pair '0-x'"),
    ],
)
def test_validate_entanglement_rejects_bad_specs(spec, n, match):
    with pytest.raises(ConfigurationError, match=match):
        validate_entanglement(spec, n)
