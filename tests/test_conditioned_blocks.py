"""Conditioned blocks: a shared block that also takes the diagonal gates around it, one matrix per
basis state of the qubits only those gates touch."""

import cirq
import numpy as np
import pytest
import sympy

tf_env = pytest.importorskip("sims.tf_env")
tf = tf_env.tf

import plugins  # noqa: E402
from sims.backends.statevector.engine import ansatz_plans, compile_circuit  # noqa: E402
from sims.backends.statevector.gates import circuit_terms  # noqa: E402
from sims.backends.statevector.plan import (  # noqa: E402
    CONDITIONED_MAX_WIDTH,
    grow_conditioned,
    has_conditioned_block,
)
from tests.finite_differences import assert_directional_gradients_match  # noqa: E402

pytestmark = pytest.mark.tf

QUBITS = cirq.LineQubit.range(5)
X = sympy.symbols("x0:5")
W = sympy.symbols("w0:8")
Q0, Q1, Q2, Q3, Q4 = QUBITS
# Per-sample encodings, then shared rotations between phases that span the register (CZ, a
# controlled Z rotation, ZZ, an IQP-like CZ power), a fixed permutation inside a block (CNOT) and a
# per-sample gate in the middle (it cuts the blocks).
CIRCUIT = cirq.Circuit([
    *(cirq.ry(x).on(q) for x, q in zip(X, QUBITS, strict=True)),
    cirq.rx(W[0]).on(Q0), cirq.H(Q1), cirq.ry(W[1]).on(Q1),
    cirq.CZ(Q0, Q3), cirq.ZPowGate(exponent=W[2]).controlled(1).on(Q1, Q4), cirq.ZZPowGate(exponent=W[3]).on(Q2, Q4),
    cirq.CNOT(Q0, Q1), cirq.rx(W[4]).on(Q1), cirq.rz(W[5]).on(Q3), cirq.CZPowGate(exponent=0.3).on(Q1, Q2),
    cirq.ry(W[6]).on(Q0), cirq.CZ(Q0, Q4),
    cirq.rz(X[2]).on(Q2),
    cirq.rx(W[7]).on(Q4), cirq.H(Q3), cirq.CZ(Q3, Q4), cirq.CZ(Q2, Q4), cirq.H(Q2),
])
SYMBOLS = [*X, *W]
SHARED = list(range(len(X), len(SYMBOLS)))
READOUTS = [cirq.Z(q) for q in QUBITS] + [cirq.X(Q0) * cirq.Y(Q2), 0.5 * cirq.Y(Q1) * cirq.Z(Q3) * cirq.X(Q4)]


def _cirq(data: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    simulator = cirq.Simulator(dtype=np.complex128)
    expectations, states = [], []
    for x in data:
        resolver = dict(zip(SYMBOLS, [*x, *weights], strict=True))
        expectations.append(np.real(simulator.simulate_expectation_values(
            CIRCUIT, observables=READOUTS, param_resolver=resolver, qubit_order=QUBITS)))
        states.append(simulator.simulate(CIRCUIT, resolver, qubit_order=QUBITS).final_state_vector)
    return np.array(expectations), np.array(states)


@pytest.fixture(scope="module", params=[1, 2, 3])
def program(request):
    return compile_circuit(CIRCUIT, QUBITS, SYMBOLS, READOUTS, shared=SHARED, dtype=tf.float64,
                           shared_block_qubits=request.param, conditioned=True)


def test_the_plans_have_conditioned_blocks_whose_condition_qubits_only_phases_touch(program):
    plan = program.plan
    assert has_conditioned_block(plan), plan.describe()
    assert "|" in plan.describe()
    for step in plan.steps:
        for qubit in getattr(step, "condition", ()):
            assert qubit not in step.qubits


@pytest.mark.parametrize("batch", [1, 7])
def test_states_and_readouts_match_cirq(program, batch):
    rng = np.random.default_rng(batch)
    data, weights = rng.uniform(-3, 3, (batch, len(X))), rng.uniform(-3, 3, len(W))
    expected, states = _cirq(data, weights)
    got = program.expectations(tf.constant(data), tf.constant(weights), batch).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-10)
    np.testing.assert_allclose(program.states(tf.constant(data), tf.constant(weights), batch).numpy(), states,
                               atol=1e-10)


def test_gradients_for_inputs_and_weights_match_central_differences(program):
    rng = np.random.default_rng(5)
    data, weights = rng.uniform(-3, 3, (3, len(X))), rng.uniform(-3, 3, len(W))
    readout_weights = rng.normal(size=len(READOUTS))
    assert_directional_gradients_match(program, data, weights, readout_weights, rng)


def test_growth_takes_phases_beyond_the_block_and_stops_at_a_gate_it_cannot_take():
    a, b = sympy.symbols("a b")
    circuit = cirq.Circuit([cirq.rx(a).on(Q0), cirq.CZ(Q0, Q1), cirq.ZZPowGate(exponent=b).on(Q1, Q2),
                            cirq.rx(b).on(Q2), cirq.CZ(Q2, Q3), cirq.rx(a).on(Q0)],
                           strategy=cirq.InsertStrategy.NEW)  # one operation per moment: terms in this order
    terms = circuit_terms(circuit, QUBITS[:4], [a, b])
    taken, block, condition = grow_conditioned(terms, list(range(len(terms))), lambda t: True, 1, 3, 4)
    # RX on q0 (the block), both phases (q1, q2 become its condition); RX on q2 would widen the block
    # past one qubit, so q2 freezes and CZ(q2, q3) waits; the last RX on q0 is taken.
    assert taken == [0, 1, 2, 5]
    assert block == [0] and condition == [1, 2]
    # Without room for condition qubits, the first phase freezes its qubits.
    taken, block, condition = grow_conditioned(terms, list(range(len(terms))), lambda t: True, 1, 0, 4)
    assert taken == [0] and condition == []


def test_the_planner_picks_them_for_an_all_to_all_layer_and_only_up_to_their_width():
    """sim_06 at 8 qubits: each control's CRX (in diagonal frames: phases over every qubit) join the
    blocks around them; at batch 16 the cheaper builds of plain blocks win."""
    plans = ansatz_plans(plugins.create("sim_06", qubits=8, depth=1))
    assert has_conditioned_block(plans.plan_for(128))
    assert not has_conditioned_block(plans.plan_for(16))
    wide = ansatz_plans(plugins.create("sim_06", qubits=CONDITIONED_MAX_WIDTH + 1, depth=1))
    assert not any(has_conditioned_block(p) for p in wide.plans)


def test_sim_06_runs_the_same_on_its_conditioned_plans_and_a_plain_one():
    """Its CRX become phases in diagonal frames (:mod:`.frames`); every conditioned candidate agrees."""
    ansatz = plugins.create("sim_06", qubits=6, depth=2)
    plans = ansatz_plans(ansatz, dtype=tf.float64)
    conditioned = [p for p in plans.plans if has_conditioned_block(p)]
    plain = next(p for p in plans.plans if not has_conditioned_block(p))
    assert len(conditioned) >= 3
    rng = np.random.default_rng(2)
    data = tf.constant(rng.uniform(-3, 3, (4, ansatz.n_data_symbols)))
    weights = tf.constant(rng.uniform(-3, 3, ansatz.n_weights))
    expected = plans.program_for_plan(plain).expectations(data, weights, 4).numpy()
    for plan in conditioned:
        got = plans.program_for_plan(plan).expectations(data, weights, 4).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-10, err_msg=plan.describe())
