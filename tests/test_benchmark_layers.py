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


class _SleepingPeer:
    """Stands in for a peer process: each timed call sleeps a fixed time (family and beside apart)."""

    version, jax_version = "fake", "fake"

    def __init__(self, seconds: float):
        self.seconds = seconds

    def call(self, kind: str) -> float:
        import time

        time.sleep(self.seconds)
        return self.seconds

    def close(self) -> None:
        pass


def test_each_peer_runs_the_family_and_hardware_efficient_in_the_same_rounds_for_its_own_ratio(monkeypatch):
    started = []

    def start_peers(layer, x, frameworks, reference):
        started.append((layer.ansatz.family, tuple(frameworks)))
        # the family's peer 4x as slow as its hardware_efficient, so the ratio tells the pairs apart
        return {name: _SleepingPeer(0.02 if layer.ansatz.family == "sim_06" else 0.005) for name in frameworks}

    monkeypatch.setattr(layers_benchmark, "start_peers", start_peers)
    row = layers_benchmark.measure(3, 1, 4, 2, ansatz="sim_06", beside="hardware_efficient", peers=("fakepeer",))
    assert started == [("sim_06", ("fakepeer",)), ("hardware_efficient", ("fakepeer",))]
    assert 2.5 < row["fakepeer_ratio_to_beside"] < 4.5
    assert 2.5 < row["fakepeer_ratio_to_beside_fastest"] < 4.5
    low, high = row["fakepeer_ratio_to_beside_range"]
    assert low <= row["fakepeer_ratio_to_beside"] <= high
    assert row["ratio_to_beside"] != row["fakepeer_ratio_to_beside"]  # ours stays ours


def test_families_on_the_command_line_are_registered_names_or_refused_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("sys.argv", ["layers.py", "--targets", "--families-only", "--families", "sim_06,sim_99",
                                     "--out-dir", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        layers_benchmark.main()
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "got sim_99 (registered: " in error  # the unknown name alone, then what is known
    assert not list(tmp_path.iterdir())  # nothing measured, nothing written


@pytest.mark.parametrize("value", ["12:0", "12", "1:128", "12:x"])
def test_the_families_table_width_and_batch_are_checked_in_one_line(monkeypatch, capsys, tmp_path, value):
    monkeypatch.setattr("sys.argv", ["layers.py", "--targets", "--families-only", "--families-at", value,
                                     "--out-dir", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        layers_benchmark.main()
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--families-at" in error and repr(value) in error
    assert not list(tmp_path.iterdir())


def test_the_families_table_runs_at_the_width_and_batch_asked_for(monkeypatch, tmp_path):
    import json

    asked = []

    def in_process(function, qubits, depth, batch, repeats, **options):
        asked.append((qubits, depth, batch, options["ansatz"], options["beside"]))
        return function(qubits, depth, batch, repeats, **options)

    monkeypatch.setattr(layers_benchmark, "in_fresh_process", in_process)
    layers_benchmark.targets(1, tmp_path, widths_too=False, families=("sim_01",), families_at=(3, 5))
    assert asked == [(3, 1, 5, "sim_01", "hardware_efficient"), (3, 2, 5, "sim_01", "hardware_efficient")]
    written = json.loads((tmp_path / "layers_families_sim_01_3-qubits_batch-5.json").read_text())
    rows = written["families"]
    assert [(row["qubits"], row["batch"], row["depth"]) for row in rows] == [(3, 5, 1), (3, 5, 2)]
