"""Circuits without multi-qubit gates run as a product state: readouts from the qubits' own states."""

import cirq
import numpy as np
import pytest
import sympy

tf_env = pytest.importorskip("sims.tf_env")
tf = tf_env.tf

import plugins  # noqa: E402
from sims.backends.statevector.engine import ansatz_plans, compile_circuit  # noqa: E402
from tests.finite_differences import assert_directional_gradients_match  # noqa: E402

pytestmark = pytest.mark.tf

QUBITS = cirq.LineQubit.range(3)
A, B, C, X0, X1 = sympy.symbols("a b c x0 x1")
# Fixed, shared and per-sample gates interleaved on each qubit; qubit 2 has fixed gates only.
CIRCUIT = cirq.Circuit([
    cirq.ry(X0).on(QUBITS[0]), cirq.H(QUBITS[0]), cirq.rx(A).on(QUBITS[0]), cirq.rz(2 * B).on(QUBITS[0]),
    cirq.H(QUBITS[1]), cirq.rz(X1).on(QUBITS[1]), cirq.ry(C).on(QUBITS[1]), cirq.rx(-0.5 * X0).on(QUBITS[1]),
    cirq.X(QUBITS[2]) ** 0.3, cirq.S(QUBITS[2]),
])
SYMBOLS = [X0, X1, A, B, C]  # data first, then the shared weights
READOUTS = [cirq.X(QUBITS[0]), cirq.Y(QUBITS[1]), cirq.Z(QUBITS[2]),
            -0.5 * cirq.X(QUBITS[0]) * cirq.Y(QUBITS[1]) * cirq.Z(QUBITS[2]),
            cirq.Y(QUBITS[0]) * cirq.Y(QUBITS[2]), 2.0 * cirq.Z(QUBITS[0]) * cirq.Z(QUBITS[1])]


def _cirq_expectations(data: np.ndarray, weights: np.ndarray) -> np.ndarray:
    simulator = cirq.Simulator(dtype=np.complex128)
    rows = []
    for x in data:
        resolver = dict(zip(SYMBOLS, [*x, *weights], strict=True))
        rows.append(np.real(simulator.simulate_expectation_values(
            CIRCUIT, observables=READOUTS, param_resolver=resolver, qubit_order=QUBITS)))
    return np.array(rows)


@pytest.fixture(scope="module")
def program():
    return compile_circuit(CIRCUIT, QUBITS, SYMBOLS, READOUTS, shared=[2, 3, 4], dtype=tf.float64)


def test_the_whole_circuit_is_its_product_state_and_no_state_table_is_built(program):
    assert program.plan.steps == ()
    assert program.plan.describe() == "product(10)"
    assert program.product is not None
    assert program.readouts.z is None and program.readouts.groups == ()  # no 2^n readout tables


def test_every_kind_of_pauli_string_matches_cirq(program):
    rng = np.random.default_rng(3)
    data, weights = rng.uniform(-3, 3, (5, 2)), rng.uniform(-3, 3, 3)
    got = program.expectations(tf.constant(data), tf.constant(weights), 5).numpy()
    np.testing.assert_allclose(got, _cirq_expectations(data, weights), atol=1e-10)
    # The states (built on request from the same factors) agree with cirq's too.
    resolver = dict(zip(SYMBOLS, [*data[0], *weights], strict=True))
    expected = cirq.Simulator(dtype=np.complex128).simulate(CIRCUIT, resolver, qubit_order=QUBITS).final_state_vector
    states = program.states(tf.constant(data), tf.constant(weights), 5).numpy()
    np.testing.assert_allclose(states[0], expected, atol=1e-10)


def test_gradients_for_inputs_and_weights_match_central_differences(program):
    rng = np.random.default_rng(4)
    data, weights = rng.uniform(-3, 3, (4, 2)), rng.uniform(-3, 3, 3)
    readout_weights = rng.normal(size=len(READOUTS))
    assert_directional_gradients_match(program, data, weights, readout_weights, rng)


def test_the_gathered_terms_of_wide_circuits_agree_with_cirq_and_the_dense_table(monkeypatch, program):
    """Above DENSE_MAX_ENTRIES a part's terms are gathered into slots per gate: same values, same gradients."""
    from sims.backends.statevector import product

    monkeypatch.setattr(product, "DENSE_MAX_ENTRIES", 0)
    gathered = compile_circuit(CIRCUIT, QUBITS, SYMBOLS, READOUTS, shared=[2, 3, 4], dtype=tf.float64)
    assert gathered.gates is not None and all(part.dense is None for part in gathered.gates.parts)
    assert program.gates is not None and all(part.dense is not None for part in program.gates.parts)
    rng = np.random.default_rng(8)
    x, w = tf.constant(rng.uniform(-3, 3, (4, 2))), tf.constant(rng.uniform(-3, 3, 3))
    outputs, gradients = [], []
    for compiled in (gathered, program):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            out = compiled.expectations(x, w, 4)
            loss = tf.reduce_sum(out * np.arange(1, len(READOUTS) + 1))
        outputs.append(out.numpy())
        gradients.append([g.numpy() for g in tape.gradient(loss, [x, w])])
    np.testing.assert_allclose(outputs[0], _cirq_expectations(x.numpy(), w.numpy()), atol=1e-10)
    for got, expected in zip(gradients[0], gradients[1], strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-10)


def test_qubits_in_basis_states_give_exact_values_and_gradients():
    """|0> and |1> (a zero amplitude each): <Z> = cos(a) at a = 0 and -1, with d/da = 0."""
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit([cirq.rx(A).on(q[0]), cirq.X(q[1])])
    program = compile_circuit(circuit, q, [A], [cirq.Z(q[0]), cirq.Z(q[1])], shared=[0], dtype=tf.float64)
    w = tf.constant([0.0])
    with tf.GradientTape() as tape:
        tape.watch(w)
        out = program.expectations(None, w, 2)
        total = tf.reduce_sum(out)
    np.testing.assert_allclose(out.numpy(), [[1.0, -1.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(tape.gradient(total, w).numpy(), [0.0], atol=1e-12)  # d cos(a) / da at 0


@pytest.mark.parametrize("name, options", [("sim_01", {}), ("hardware_efficient", {"entanglement": "none"})])
def test_registered_circuits_without_entanglers_plan_only_the_product_state(name, options):
    ansatz = plugins.create(name, qubits=5, depth=2, **options)
    assert all(plan.steps == () for plan in ansatz_plans(ansatz).plans)
    entangled = plugins.create("hardware_efficient", qubits=5, depth=2)
    assert all(plan.steps for plan in ansatz_plans(entangled).plans)


def _alone(ansatz, values, qubit_indices):
    """``[rows, len(qubit_indices)]``: <Z> of each qubit from cirq on that qubit's gates alone."""
    simulator = cirq.Simulator(dtype=np.complex128)
    out = np.zeros((len(values), len(qubit_indices)))
    for column, q in enumerate(qubit_indices):
        qubit = ansatz.qubits[q]
        alone = cirq.Circuit(op for op in ansatz.circuit.all_operations() if op.qubits == (qubit,))
        for row, v in enumerate(values):
            resolver = dict(zip(ansatz.symbols, v, strict=True))
            out[row, column] = simulator.simulate_expectation_values(alone, [cirq.Z(qubit)], resolver)[0].real
    return out


@pytest.mark.parametrize("name, options", [("sim_01", {}), ("hardware_efficient", {"entanglement": "none"})])
def test_auto_trains_a_40_qubit_circuit_without_entanglers_on_the_engine(name, options):
    """2^40 amplitudes would not fit anywhere: the layer runs on the qubits' own states."""
    from sims.layers import QuantumLayer

    layer = QuantumLayer(name, qubits=40, depth=1, seed=0, **options)  # backend="auto"
    assert layer.backend_selection.startswith("auto -> statevector") and "product state" in layer.backend_selection
    assert layer.kernel.bytes_per_sample() < 100_000
    x = tf.random.stateless_uniform((3, layer.ansatz.n_features), seed=(1, 2), maxval=np.pi)
    with tf.GradientTape() as tape:
        out = layer(x)
        loss = tf.reduce_sum(out[:, ::7])
    assert layer.kernel.plan_summary.startswith("product(")
    values = layer.ansatz.parameter_values(x.numpy(), layer.circuit_weights.numpy())
    np.testing.assert_allclose(out.numpy()[:, [0, 13, 39]], _alone(layer.ansatz, values, [0, 13, 39]), atol=1e-5)
    gradient = tape.gradient(loss, layer.circuit_weights).numpy()
    direction = np.random.default_rng(5).normal(size=gradient.shape)
    weights = layer.circuit_weights.numpy()
    h = 1e-3

    def at(w):
        layer.circuit_weights.assign(w.astype(np.float32))
        return float(tf.reduce_sum(layer(x)[:, ::7]))

    fd = (at(weights + h * direction) - at(weights - h * direction)) / (2 * h)
    np.testing.assert_allclose(gradient @ direction, fd, rtol=2e-2, atol=2e-3)


def test_the_backend_reads_a_wide_product_circuit_but_refuses_its_states_and_entangled_circuits():
    from qcircuits.errors import ResourceLimitError
    from sims.backends import make_backend

    backend = make_backend("statevector", dtype="complex128")
    ansatz = plugins.create("sim_01", qubits=36, depth=1)
    values = ansatz.random_parameter_values(2, np.random.default_rng(6))
    np.testing.assert_allclose(backend.expectations(ansatz, values)[:, [2, 35]], _alone(ansatz, values, [2, 35]),
                               atol=1e-10)
    with pytest.raises(ResourceLimitError, match="36 qubits"):
        backend.states(ansatz, values)  # the states themselves are 2^36 amplitudes
    entangled = plugins.create("sim_02", qubits=36, depth=1)
    with pytest.raises(ResourceLimitError, match="36 qubits"):
        backend.expectations(entangled, entangled.random_parameter_values(1, np.random.default_rng(7)))


def test_noise_channels_or_readout_error_decide_whether_a_product_layer_stays_one():
    from sims.layers import QuantumLayer

    assert plugins.create("sim_01", qubits=3).unentangled and not plugins.create("sim_02", qubits=3).unentangled
    noisy = QuantumLayer("sim_01", qubits=3, depth=1, noise="depolarize:0.05")  # a density matrix: 6 virtual qubits
    readout = QuantumLayer("sim_01", qubits=3, depth=1, noise="readout:0.1")  # not a channel on the state
    x = tf.zeros((2, 3))
    noisy(x), readout(x)
    assert noisy.kernel.program.plan.steps and noisy.kernel.width == 6
    assert readout.kernel.program.plan.steps == ()
    # Readout error scales each <Z> by (1 - 2 p) on the product path as on any other.
    clean = QuantumLayer("sim_01", qubits=3, depth=1)
    clean(x)  # built
    clean.set_weights(readout.get_weights())
    np.testing.assert_allclose(readout(x).numpy(), 0.8 * clean(x).numpy(), atol=1e-6)
    assert np.abs(clean(x).numpy()).max() > 0.1  # not all zeros, where the factor would not show
