"""How the planner grows a shared block from the front of the circuit: with one-qubit gates deferred,
a block's qubits follow the entangling gates (a rotation layer does not fill it before a ring starts)."""

import cirq
import pytest
import sympy

tf_env = pytest.importorskip("sims.tf_env")

import plugins  # noqa: E402
from sims.backends.statevector.engine import ansatz_plans  # noqa: E402
from sims.backends.statevector.gates import circuit_terms  # noqa: E402
from sims.backends.statevector.plan import DenseBlock, GateStep, first_block_on_product, grow_block  # noqa: E402

pytestmark = pytest.mark.tf

QUBITS = cirq.LineQubit.range(4)
Q0, Q1, Q2, Q3 = QUBITS
A = sympy.symbols("a0:4")
B = sympy.Symbol("b")


def _terms(operations):
    circuit = cirq.Circuit(operations, strategy=cirq.InsertStrategy.NEW)  # one per moment: terms in this order
    return circuit_terms(circuit, QUBITS, [*A, B])


def _everything(_term) -> bool:
    return True


def test_a_rotation_layer_then_a_ring_of_controlled_rotations():
    # 0-3: RY on every qubit; 4-7: CRX (3 -> 0), (2 -> 3), (1 -> 2), (0 -> 1); 8: RY on q3.
    terms = _terms([*(cirq.ry(a).on(q) for a, q in zip(A, QUBITS, strict=True)),
                    cirq.rx(B).on(Q0).controlled_by(Q3), cirq.rx(B).on(Q3).controlled_by(Q2),
                    cirq.rx(B).on(Q2).controlled_by(Q1), cirq.rx(B).on(Q1).controlled_by(Q0), cirq.ry(B).on(Q3)])
    everything = list(range(len(terms)))
    # In circuit order, the rotations on q0..q2 fill a three-qubit block and every ring gate waits.
    assert grow_block(terms, everything, _everything, 3, 4) == ([0, 1, 2], [0, 1, 2])
    # Deferred: the first two ring gates bring q3, q0, q2 in, each with its rotation; CRX (1 -> 2) would
    # widen the block, so q1 and q2 freeze and CRX (0 -> 1) waits; the last RY on q3 joins. RY on q1
    # stays for the next block (no room).
    assert grow_block(terms, everything, _everything, 3, 4, defer_single=True) == ([0, 2, 3, 4, 5, 8], [3, 0, 2])


def test_deferred_rotations_fill_the_room_left_at_the_end():
    terms = _terms([*(cirq.ry(a).on(q) for a, q in zip(A, QUBITS, strict=True)), cirq.rx(B).on(Q1).controlled_by(Q0)])
    taken, qubits = grow_block(terms, list(range(len(terms))), _everything, 3, 4, defer_single=True)
    assert taken == [0, 1, 2, 4] and qubits == [0, 1, 2]  # q2's rotation fills the third place; q3's waits


def test_the_planner_puts_the_first_ring_gates_of_sim_14_into_its_block_on_the_product_state():
    """sim_14 at 8 qubits: the first block (applied to the product state's factor on its qubits, 2^k
    amplitudes per sample instead of 2^8) holds the first controlled rotations of the ring, not only
    the first five rotations of the layer before it."""
    plan = ansatz_plans(plugins.create("sim_14", qubits=8, depth=1)).plan_for(128)
    first = plan.steps[0]
    assert first_block_on_product(plan) and isinstance(first, DenseBlock)
    two_qubit = [s for s in first.recipe if isinstance(s, GateStep) and s.term.n_qubits == 2]
    assert len(two_qubit) >= 3, plan.describe()
    # The ring (7 -> 0), (6 -> 7), (5 -> 6), ...: a 4- or 5-qubit block by the batch and the constants.
    assert {7, 0, 6, 5} <= set(first.qubits) <= {7, 0, 6, 5, 4}
