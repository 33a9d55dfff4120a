"""Circuits whose gates are all real (RY, CNOT, CZ, H) keep real states: real blocks, signs for phases."""

import cirq
import numpy as np
import pytest
import sympy

tf_env = pytest.importorskip("sims.tf_env")
tf = tf_env.tf

import plugins  # noqa: E402
from sims.backends.statevector import program as program_module  # noqa: E402
from sims.backends.statevector.engine import ansatz_plans, compile_circuit  # noqa: E402
from sims.backends.statevector.plan import DenseBlock  # noqa: E402
from tests.finite_differences import assert_directional_gradients_match  # noqa: E402

pytestmark = pytest.mark.tf

QUBITS = cirq.LineQubit.range(4)
X = sympy.symbols("x0:4")
W = sympy.symbols("w0:8")


def real_circuit(extra: cirq.Operation | None = None) -> cirq.Circuit:
    """RY encoding, then RY layers between CNOT, CZ and H entanglers (with ``extra`` appended)."""
    q = QUBITS
    ops = [cirq.ry(X[i]).on(q[i]) for i in range(4)]
    ops += [cirq.ry(W[i]).on(q[i]) for i in range(4)]
    ops += [cirq.CNOT(q[0], q[1]), cirq.CZ(q[1], q[2]), cirq.CNOT(q[3], q[2]), cirq.H(q[3]), cirq.CZ(q[3], q[0])]
    ops += [cirq.ry(W[4 + i]).on(q[i]) for i in range(4)]
    ops += [cirq.CNOT(q[2], q[3]), cirq.CZ(q[0], q[3])]
    return cirq.Circuit(ops + ([extra] if extra is not None else []))


READOUTS = [cirq.Z(QUBITS[0]), cirq.X(QUBITS[1]), cirq.Y(QUBITS[2]) * cirq.Y(QUBITS[3]),
            0.5 * cirq.Z(QUBITS[2]) * cirq.Z(QUBITS[3])]


def compiled(circuit: cirq.Circuit):
    # 2-qubit blocks, so that the plan has several blocks and phase runs between them
    return compile_circuit(circuit, QUBITS, [*X, *W], READOUTS, shared=list(range(4, 12)), dtype=tf.float64,
                           shared_block_qubits=2)


def cirq_expectations(circuit: cirq.Circuit, data: np.ndarray, weights: np.ndarray) -> np.ndarray:
    simulator = cirq.Simulator(dtype=np.complex128)
    return np.array([np.real(simulator.simulate_expectation_values(
        circuit, observables=READOUTS, param_resolver=dict(zip([*X, *W], [*x, *weights], strict=True)),
        qubit_order=QUBITS)) for x in data])


@pytest.fixture(scope="module")
def data_and_weights():
    rng = np.random.default_rng(3)
    return rng.uniform(-3, 3, (5, 4)), rng.uniform(-3, 3, 8)


def test_a_real_circuit_runs_real_blocks_only_and_matches_cirq(monkeypatch, data_and_weights):
    program = compiled(real_circuit())
    assert program.real
    assert sum(isinstance(step, DenseBlock) for step in program.plan.steps) >= 2  # states through several blocks

    def complex_product(*args):
        raise AssertionError("a real plan built the interleaved real view of a complex matrix")

    monkeypatch.setattr(program_module, "real_form", complex_product)
    data, weights = data_and_weights
    got = program.expectations(tf.constant(data), tf.constant(weights), len(data)).numpy()
    np.testing.assert_allclose(got, cirq_expectations(real_circuit(), data, weights), atol=1e-10)


def test_a_real_circuits_gradients_match_central_differences(data_and_weights):
    rng = np.random.default_rng(5)
    data, weights = data_and_weights
    assert_directional_gradients_match(compiled(real_circuit()), data, weights, rng.normal(size=len(READOUTS)), rng)


@pytest.mark.parametrize("extra", [cirq.rz(W[0]).on(QUBITS[1]), cirq.rx(X[2]).on(QUBITS[0]), cirq.S(QUBITS[2])])
def test_one_complex_gate_makes_the_plan_complex_and_still_right(extra, data_and_weights):
    program = compiled(real_circuit(extra))
    assert not program.real
    data, weights = data_and_weights
    got = program.expectations(tf.constant(data), tf.constant(weights), len(data)).numpy()
    np.testing.assert_allclose(got, cirq_expectations(real_circuit(extra), data, weights), atol=1e-10)


@pytest.mark.parametrize("name, real", [("real_amplitudes", True), ("sim_10", True), ("sim_15", True),
                                        ("tree_tensor_network", True), ("hardware_efficient", False),
                                        ("sim_09", False), ("sim_14", False)])
def test_registered_families_of_real_gates_get_real_plans(name, real):
    plans = ansatz_plans(plugins.create(name, qubits=6, depth=2))
    assert plans.program_for_plan_at(128).real is real
