"""benchmarks/layers.py: a family timed beside hardware_efficient in the same rounds."""

import importlib.util

import pytest
from helpers import ROOT

pytest.importorskip("sims.tf_env")
pytestmark = pytest.mark.tf

_spec = importlib.util.spec_from_file_location("layers_benchmark", ROOT / "benchmarks" / "layers.py")
layers_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layers_benchmark)


def test_a_family_beside_hardware_efficient_gets_its_ratios_and_gate_counts():
    import plugins

    row = layers_benchmark.measure(3, 1, 4, 2, ansatz="sim_06", beside="hardware_efficient")
    ours = plugins.create("sim_06", qubits=3, depth=1)
    other = plugins.create("hardware_efficient", qubits=3, depth=1)
    assert (row["gates"], row["two_qubit_gates"]) == (ours.n_gates, ours.n_two_qubit_gates)
    assert (row["beside_gates"], row["beside_two_qubit_gates"]) == (other.n_gates, other.n_two_qubit_gates)
    assert row["gates"] > row["beside_gates"]  # all-to-all controlled rotations against a chain of CNOTs
    low, high = row["ratio_to_beside_range"]
    assert 0 < low <= row["ratio_to_beside"] <= high
    assert row["ratio_to_beside_per_gate"] == pytest.approx(
        row["ratio_to_beside_fastest"] * other.n_gates / ours.n_gates)
