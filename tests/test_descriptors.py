"""Expressibility, entangling capability, gradient variance and the Sim et al. circuit set."""

import json

import cirq
import numpy as np
import pytest
import sympy
from helpers import run_sims

import plugins
from qcircuits.descriptors import (
    expressibility,
    haar_bin_probabilities,
    haar_mean_meyer_wallach,
    meyer_wallach,
    pair_fidelities,
)
from sims.backends.statevector.engine import compile_circuit
from sims.descriptors import DescriptorOptions, describe_ansatz, gradient_samples, metric_ansatz
from sims.tf_env import tf

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`


def batched_states(circuit, qubits, symbols, values):
    """Final states of the statevector engine in complex128, every value per sample."""
    program = compile_circuit(circuit, qubits, symbols, [cirq.Z(qubits[0])], dtype=tf.float64)
    return program.states(tf.constant(values, tf.float64), None, len(values)).numpy()



def _haar_states(count, n, rng):
    z = rng.normal(size=(count, 2 ** n)) + 1j * rng.normal(size=(count, 2 ** n))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def test_state_that_parameters_never_change_has_expressibility_ln_75():
    q = cirq.LineQubit(0)
    theta = sympy.Symbol("theta_0")
    values = np.random.default_rng(0).uniform(0, 2 * np.pi, (2000, 1))
    states = batched_states(cirq.Circuit(cirq.rz(theta).on(q)), [q], [theta], values)
    fidelities = pair_fidelities(states[:1000], states[1000:])
    np.testing.assert_allclose(fidelities, 1.0, atol=1e-12)
    assert expressibility(fidelities, 1) == pytest.approx(np.log(75), abs=1e-12)
    np.testing.assert_allclose(haar_bin_probabilities(1), 1 / 75)


def test_haar_random_states_are_maximally_expressive_and_give_the_known_mean_q():
    rng = np.random.default_rng(1)
    a, b = _haar_states(5000, 4, rng), _haar_states(5000, 4, rng)
    assert expressibility(pair_fidelities(a, b), 4) < 0.02  # finite-sample bias ~ bins / (2 * pairs)
    q = meyer_wallach(a, 4)
    assert haar_mean_meyer_wallach(4) == pytest.approx(14 / 17)
    assert abs(q.mean() - 14 / 17) < 4 * q.std() / np.sqrt(len(q))


def test_meyer_wallach_of_product_and_ghz_states():
    product = np.kron(np.kron([1, 0], [0.6, 0.8]), [1 / np.sqrt(2), 1j / np.sqrt(2)])
    ghz = np.zeros(8, complex)
    ghz[0] = ghz[-1] = 1 / np.sqrt(2)
    np.testing.assert_allclose(meyer_wallach(np.array([product, ghz]), 3), [0.0, 1.0], atol=1e-12)


def test_single_qubit_rotations_only_have_zero_entangling_capability():
    result = describe_ansatz("sim_01", 4, 2, DescriptorOptions(samples=300, grad_samples=50))
    assert result["entangling_capability"]["value"] == pytest.approx(0.0, abs=1e-6)  # complex64 states
    assert result["data_encoding"].startswith("off")


@pytest.mark.parametrize("name", ["hardware_efficient", "sim_13"])
def test_deeper_is_more_expressive(name):
    options = DescriptorOptions(samples=2000, grad_samples=20)
    shallow = describe_ansatz(name, 4, 1, options, metrics=("expressibility",))["expressibility"]
    deep = describe_ansatz(name, 4, 3, options, metrics=("expressibility",))["expressibility"]
    assert shallow["value"] - deep["value"] > shallow["std"] + deep["std"]


def test_gradients_agree_with_the_parameter_shift_rule():
    ansatz, _ = metric_ansatz("hardware_efficient", qubits=3, depth=2)
    adjoint = gradient_samples(ansatz, 16, seed=5)
    rng = np.random.default_rng(5)
    values = np.concatenate([np.zeros((16, ansatz.n_data_symbols)), rng.uniform(0, 2 * np.pi, (16, ansatz.n_weights))],
                            axis=1)
    z0z1 = np.diag(np.kron(np.kron([1, -1], [1, -1]), [1, 1]))

    def cost(v):
        states = batched_states(ansatz.circuit, ansatz.qubits, ansatz.symbols, v)
        return np.real(np.einsum("bi,ij,bj->b", np.conj(states), z0z1, states))

    column = ansatz.n_data_symbols  # theta_0 is a plain RY: the two-term shift rule is exact
    plus, minus = values.copy(), values.copy()
    plus[:, column] += np.pi / 2
    minus[:, column] -= np.pi / 2
    np.testing.assert_allclose(adjoint, (cost(plus) - cost(minus)) / 2, atol=1e-4)
    assert np.abs(adjoint).max() > 0.05


# Hand-written gate lists for 4 qubits, depth 1 (gate + control + target; weights in order).
RXRZ = "rx0 rz0 rx1 rz1 rx2 rz2 rx3 rz3"
RYRZ = "ry0 rz0 ry1 rz1 ry2 rz2 ry3 rz3"
RY = "ry0 ry1 ry2 ry3"
ALL = "{g}32 {g}31 {g}30 {g}23 {g}21 {g}20 {g}13 {g}12 {g}10 {g}03 {g}02 {g}01"
EXPECTED = {
    1: RXRZ,
    2: f"{RXRZ} cx32 cx21 cx10",
    3: f"{RXRZ} crz32 crz21 crz10",
    4: f"{RXRZ} crx32 crx21 crx10",
    5: f"{RXRZ} {ALL.format(g='crz')} {RXRZ}",
    6: f"{RXRZ} {ALL.format(g='crx')} {RXRZ}",
    7: f"{RXRZ} crz10 crz32 {RXRZ} crz21",
    8: f"{RXRZ} crx10 crx32 {RXRZ} crx21",
    9: "h0 h1 h2 h3 cz32 cz21 cz10 rx0 rx1 rx2 rx3",
    10: f"{RY} cz30 cz23 cz12 cz01 {RY}",
    11: f"{RYRZ} cx10 cx32 ry1 rz1 ry2 rz2 cx21",
    12: f"{RYRZ} cz10 cz32 ry1 rz1 ry2 rz2 cz21",
    13: f"{RY} crz30 crz23 crz12 crz01 {RY} crz32 crz03 crz10 crz21",
    14: f"{RY} crx30 crx23 crx12 crx01 {RY} crx32 crx03 crx10 crx21",
    15: f"{RY} cx30 cx23 cx12 cx01 {RY} cx32 cx03 cx10 cx21",
    16: f"{RXRZ} crz10 crz32 crz21",
    17: f"{RXRZ} crx10 crx32 crx21",
    18: f"{RXRZ} crz30 crz23 crz12 crz01",
    19: f"{RXRZ} crx30 crx23 crx12 crx01",
}


def _circuit_from(spec: str) -> cirq.Circuit:
    q = cirq.LineQubit.range(4)
    ops, k = [], 0
    rotations = {"rx": cirq.rx, "ry": cirq.ry, "rz": cirq.rz}

    def weight():
        nonlocal k
        k += 1
        return sympy.Symbol(f"theta_{k - 1}")

    for token in spec.split():
        gate, wires = token[:-2] if token[:-2] in ("cx", "cz", "crx", "crz") else token[:-1], token[-2:]
        if gate in rotations:
            ops.append(rotations[gate](weight()).on(q[int(token[-1])]))
        elif gate == "h":
            ops.append(cirq.H(q[int(token[-1])]))
        elif gate in ("cx", "cz"):
            ops.append((cirq.CNOT if gate == "cx" else cirq.CZ)(q[int(wires[0])], q[int(wires[1])]))
        else:
            ops.append(rotations["r" + gate[2]](weight()).controlled().on(q[int(wires[0])], q[int(wires[1])]))
    return cirq.Circuit(ops)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_sim_circuit_matches_the_hand_written_gate_list(number):
    ansatz = plugins.create(f"sim_{number:02d}", qubits=4, depth=1, encoding="none")
    assert ansatz.circuit == _circuit_from(EXPECTED[number])


def test_all_nineteen_sim_circuits_are_registered():
    assert plugins.list_ansatze("sim_*") == [f"sim_{i:02d}" for i in range(1, 20)]


def test_metrics_command_prints_and_writes_json(tmp_path):
    path = tmp_path / "m.json"
    result = run_sims("--ansatz", "sim_19", "--depth", "2", "--metrics", "--samples", "300", "--grad-samples", "40",
                  "--json", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "sim_19" in result.stdout and "±" in result.stdout and "data encoding: off" in result.stdout
    row = json.loads(path.read_text())["rows"][0]
    assert row["depth"] == 2 and set(row) >= {"expressibility", "entangling_capability", "gradient_variance"}
    assert row["expressibility"]["std"] > 0


def test_compare_writes_csv_json_and_plots_including_the_width_decay(tmp_path):
    result = run_sims("--compare", "sim_0[12],hardware_efficient", "--qubits", "2-3", "--depth", "1-2", "--metrics",
                  "--samples", "200", "--grad-samples", "30", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    stem = tmp_path / "metrics-sim_0_12_hardware_efficient-q2-3-d1-2"
    rows = json.loads(stem.with_suffix(".json").read_text())["rows"]
    assert len(rows) == 3 * 2 * 2
    assert stem.with_suffix(".csv").read_text().startswith("ansatz,qubits,depth")
    assert stem.with_suffix(".png").stat().st_size > 5000
    assert (tmp_path / (stem.name + "-width.png")).is_file()


def test_metrics_for_a_plugin_that_insists_on_its_encoding(tmp_path):
    plugin = tmp_path / "fixed_encoding.py"
    plugin.write_text(
        "import plugins\nfrom qcircuits import AnsatzBuilder\n"
        "@plugins.register_ansatz\n"
        "def stubborn(qubits=2, depth=1):\n"
        "    b = AnsatzBuilder('stubborn', qubits, depth, entanglement='linear')\n"
        "    for layer in range(b.depth):\n"
        "        b.encode(layer); b.rotations(('ry',)); b.entangle()\n"
        "    return b.build()\n")
    result = run_sims("--plugin", str(plugin), "--ansatz", "stubborn", "--metrics", "--samples", "100",
                  "--grad-samples", "20", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "data encoding: fixed (every data value 0)" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--ansatz", "sim_01", "--metrics", "--samples", "0"], "argument --samples: expected a positive integer"),
    (["--ansatz", "sim_01", "--metrics", "--qubits", "16"], "at most 14 qubits are supported, got 16"),
    (["--compare", "nothing_*", "--metrics"], "matches no registered ansatz"),
    (["--ansatz", "sim_01", "--metrics", "--depth", "3-1"], "the end must not be below the start"),
    (["--ansatz", "sim_01", "--metrics", "--metric-seeds", "1"], "seeds must be >= 2"),
    (["--ansatz", "sim_01", "--metrics", "--out-dir", "/proc/metrics"], "'/proc/metrics' cannot be created"),
])
def test_bad_metric_input_is_one_line_with_exit_code_2(args, message):
    result = run_sims(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_metrics_refuse_an_ansatz_without_trainable_parameters(clean_registry):
    from qcircuits import AnsatzBuilder, ConfigurationError

    @plugins.register_ansatz("frozen_circuit")
    def frozen_circuit(qubits=2, depth=1, encoding="angle_y"):
        b = AnsatzBuilder("frozen_circuit", qubits, depth, entanglement="linear", encoding=encoding)
        b.encode()
        b.entangle()
        return b.build()

    with pytest.raises(ConfigurationError, match="has no trainable parameters"):
        describe_ansatz("frozen_circuit", 2, 1, DescriptorOptions(samples=100, grad_samples=10))
