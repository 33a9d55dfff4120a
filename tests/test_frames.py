"""Diagonal frames: gates made diagonal by single-qubit basis changes, and fixed gates merged."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import sympy

from qcircuits import plugins
from sims.backends.statevector.frames import diagonal_frame, in_diagonal_frames, merge_fixed_single_qubit
from sims.backends.statevector.gates import ChannelTerm, GateTerm, circuit_terms
from sims.backends.statevector.plan import phase_able

THETA = sympy.Symbol("theta")
PHI = sympy.Symbol("phi")


def _unitary(terms, n: int, values) -> np.ndarray:
    """The product of ``terms`` on ``n`` qubits (qubit 0 most significant), applied in order."""
    total = np.eye(2 ** n, dtype=complex)
    for term in terms:
        gate = term.unitary(0.0 if term.symbol is None else values[term.symbol])
        rest = [q for q in range(n) if q not in term.qubits]
        full = np.kron(gate, np.eye(2 ** len(rest))).reshape([2] * (2 * n))
        order = list(term.qubits) + rest
        # Axes of ``full``: outputs in ``order``, then inputs in ``order``; put both in qubit order.
        perm = [order.index(q) for q in range(n)] + [n + order.index(q) for q in range(n)]
        total = full.transpose(perm).reshape(2 ** n, 2 ** n) @ total
    return total


def _terms(circuit: cirq.Circuit, qubits):
    return circuit_terms(circuit, qubits, [THETA, PHI], channels=True)


@pytest.mark.parametrize("gate", [
    cirq.rx(THETA).controlled(1), cirq.ry(THETA).controlled(1), cirq.XX ** THETA, cirq.YY ** THETA,
    cirq.XPowGate(exponent=THETA).controlled(2), (cirq.X ** THETA).controlled(1, control_values=[0]),
])
def test_a_gate_in_its_diagonal_frame_is_the_same_unitary_and_a_phase(gate):
    qubits = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.rx(PHI).on(qubits[2]), gate.on(*qubits[:gate.num_qubits()]))
    terms = _terms(circuit, qubits)
    target = terms[-1]
    bases, diagonal = diagonal_frame(target)
    assert len(bases) == target.n_qubits and np.allclose(diagonal, np.einsum("kii->ki", diagonal)[:, :, None]
                                                         * np.eye(diagonal.shape[-1]))
    # Several such gates in a row (their basis changes meet), so that the rewrite is kept.
    repeated = terms + [target, target]
    rotated = in_diagonal_frames(repeated)
    assert rotated is not None
    assert any(isinstance(t, GateTerm) and t.symbol is not None and t.n_qubits > 1 and t.is_diagonal
               and phase_able(t) for t in rotated)
    for values in np.random.default_rng(3).uniform(-4, 4, (3, 2)):
        np.testing.assert_allclose(_unitary(rotated, 3, values), _unitary(repeated, 3, values), atol=1e-12)


@pytest.mark.parametrize("gate", [cirq.CZ ** THETA, cirq.ZZ ** THETA, cirq.ISWAP ** THETA, cirq.CNOT, cirq.rx(THETA)])
def test_gates_without_a_useful_frame_are_left_alone(gate):
    """Diagonal already, no product basis (ISWAP), fixed, or on one qubit (a Kronecker factor)."""
    qubits = cirq.LineQubit.range(gate.num_qubits())
    (term,) = _terms(cirq.Circuit(gate.on(*qubits)), qubits)
    assert diagonal_frame(term) is None
    assert in_diagonal_frames([term, term]) is None


def test_neighbouring_fixed_gates_are_multiplied_and_identities_dropped():
    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit([cirq.H(q[0]), cirq.H(q[0]), cirq.S(q[1]), cirq.S(q[1]), cirq.CZ(*q), cirq.S(q[1]),
                            cirq.depolarize(0.1).on(q[1]), cirq.S(q[1])])
    merged = merge_fixed_single_qubit(_terms(circuit, q))
    kinds = [(type(t).__name__, t.qubits) for t in merged]
    # H H is gone, S S became one Z, the CZ and the channel keep the S gates around them apart.
    assert kinds == [("GateTerm", (1,)), ("GateTerm", (0, 1)), ("GateTerm", (1,)), ("ChannelTerm", (1,)),
                     ("GateTerm", (1,))]
    np.testing.assert_allclose(merged[0].matrices[0], cirq.unitary(cirq.Z), atol=1e-12)
    assert isinstance(merged[3], ChannelTerm)


def test_an_all_to_all_layer_becomes_phase_runs_with_few_basis_changes():
    """sim_06: each control's CRX share their Hadamards; a CRX chain (sim_08) would keep two per gate
    and is not rewritten."""
    ansatz = plugins.create("sim_06", qubits=5, depth=2)
    terms = circuit_terms(ansatz.circuit, ansatz.qubits, ansatz.symbols)
    controlled = [t for t in terms if diagonal_frame(t) is not None]
    assert len(controlled) == 2 * 5 * 4
    rotated = in_diagonal_frames(terms)
    fixed = [t for t in rotated if t.symbol is None and t.n_qubits == 1]
    # Per layer: Hadamards on the first control's n - 1 targets, two between each control and the
    # next (the rest cancel), n - 1 after the last: 4 (n - 1), against 2 n (n - 1) inserted.
    assert len(fixed) == 2 * 4 * (5 - 1)
    values = np.random.default_rng(0).uniform(-3, 3, len(ansatz.symbols))
    np.testing.assert_allclose(_unitary(rotated, 5, values), _unitary(terms, 5, values), atol=1e-10)
    chain = plugins.create("sim_08", qubits=5, depth=2)
    assert in_diagonal_frames(circuit_terms(chain.circuit, chain.qubits, chain.symbols)) is None
