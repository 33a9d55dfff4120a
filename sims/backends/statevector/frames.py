"""Diagonal frames: a gate that single-qubit basis changes make diagonal is planned as a phase.

A parametrised gate ``G(v) = sum_k exp(i omega_k v) M_k`` whose terms ``M_k`` are all diagonal
in a product basis ``V = v_1 kron ... kron v_m`` (each ``v_q`` the Z, X or Y eigenbasis) is
``G(v) = V D(v) V^dagger`` with ``D`` diagonal: CRX is ``H_t CRZ H_t``, XX is ``(H kron H) ZZ (H
kron H)``, controlled Y rotations and YY alike. The diagonal ``D`` joins the planner's phase
runs (one gather and one multiply for a whole run, :class:`~.plan.PhaseRun`), and the fixed
basis changes of neighbouring gates meet and are multiplied together, often to the identity:
in an all-to-all layer of controlled X rotations sharing a control (sim_06), the 56 CRX of 8
qubits become 8 phase runs with 2 Hadamards between them instead of 56 dense gates.

Where the basis changes do not meet (a chain of CRX, each target the next gate's control: two
Hadamards stay for every gate), the rewrite only adds steps, and the cost model, which counts a
recipe's steps but not the gates inside them, misjudged such plans (sim_08, depth 2, batch 128:
a rewritten plan picked at 1.3x the time of the plan as given). So a circuit is rewritten only
when its basis changes mostly cancel (at most half of them left after merging), and the
engine then plans both the circuit as given and the rewritten one, the cost model choosing (see
``CircuitPlans``).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np

from sims.backends.statevector.gates import ChannelTerm, GateTerm
from sims.backends.statevector.plan import phase_able

_ATOL = 1e-12

# Columns are the eigenvectors of Z, X and Y: the single-qubit bases tried for each qubit of a gate.
_BASES: tuple[np.ndarray, ...] = (
    np.eye(2, dtype=complex),
    np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2),
    np.array([[1, 1], [1j, -1j]], dtype=complex) / np.sqrt(2),
)
_MAX_GATE_QUBITS = 3  # 3^m bases are tried for an m-qubit gate
# A single-qubit rotation is a Kronecker factor already (RX as H RZ H measured no faster on sim_06).
_MIN_GATE_QUBITS = 2


def diagonal_frame(term: GateTerm) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
    """The product basis in which a gate is diagonal, if there is one among Z, X and Y eigenbases.

    Returns:
        ``(bases, diagonal)``: one ``2 x 2`` basis per qubit of the gate and the gate's terms in
        that basis (``[K, 2^m, 2^m]``, diagonal); None for a gate that is diagonal already, fixed,
        on one qubit (a Kronecker factor already), too wide, or has no such basis.
    """
    if term.symbol is None or not _MIN_GATE_QUBITS <= term.n_qubits <= _MAX_GATE_QUBITS or term.is_diagonal:
        return None
    for choice in itertools.product(range(len(_BASES)), repeat=term.n_qubits):
        if not any(choice):
            continue  # the computational basis: the gate is not diagonal there
        bases = tuple(_BASES[c] for c in choice)
        v = bases[0]
        for b in bases[1:]:
            v = np.kron(v, b)
        diagonal = np.einsum("ji,kjl,lm->kim", v.conj(), term.matrices, v)
        if np.abs(diagonal * (1 - np.eye(v.shape[0]))).max() < _ATOL:
            return bases, diagonal
    return None


def in_diagonal_frames(terms: Sequence[GateTerm | ChannelTerm]) -> list[GateTerm | ChannelTerm] | None:
    """``terms`` with every gate that has a diagonal frame written as ``V^dagger``, the diagonal gate,
    ``V`` (fixed single-qubit gates), and neighbouring fixed single-qubit gates multiplied together.

    Returns:
        The rewritten terms (the same unitary), or None when no gate has a diagonal frame or the basis
        changes mostly stay (more than half of them left after merging: see the module's docstring).
    """
    out: list[GateTerm | ChannelTerm] = []
    inserted = 0
    for term in terms:
        frame = diagonal_frame(term) if isinstance(term, GateTerm) else None
        if frame is None:
            out.append(term)
            continue
        bases, diagonal = frame
        assert isinstance(term, GateTerm)
        rotated = dataclasses.replace(term, matrices=diagonal, label=f"{term.label} (diagonal frame)")
        if not phase_able(rotated):
            out.append(term)
            continue
        moved = [(q, b) for q, b in zip(term.qubits, bases, strict=True) if b is not _BASES[0]]
        inserted += 2 * len(moved)
        out += [_fixed(q, b.conj().T, "basis change") for q, b in moved]
        out.append(rotated)
        out += [_fixed(q, b, "basis change back") for q, b in moved]
    if not inserted:
        return None
    merged = merge_fixed_single_qubit(out)
    added = sum(map(_is_fixed_single, merged)) - sum(map(_is_fixed_single, terms))
    return merged if 2 * added <= inserted else None


def _fixed(qubit: int, matrix: np.ndarray, label: str) -> GateTerm:
    return GateTerm((qubit,), None, np.zeros(1), matrix[None].astype(complex), label)


def merge_fixed_single_qubit(terms: Sequence[GateTerm | ChannelTerm]) -> list[GateTerm | ChannelTerm]:
    """Multiplies fixed single-qubit gates that follow each other on a qubit into one (dropped when the
    product is the identity, as two Hadamards are)."""
    out: list[GateTerm | ChannelTerm | None] = []
    on_qubit: dict[int, list[int]] = {}  # indices into ``out`` of the terms on each qubit, in order
    for term in terms:
        if isinstance(term, GateTerm) and _is_fixed_single(term):
            (qubit,) = term.qubits
            history = on_qubit.setdefault(qubit, [])
            previous = out[history[-1]] if history else None
            if isinstance(previous, GateTerm) and _is_fixed_single(previous):
                product = term.matrices[0] @ previous.matrices[0]
                if np.abs(product - np.eye(2)).max() < _ATOL:
                    out[history.pop()] = None
                else:
                    out[history[-1]] = dataclasses.replace(previous, matrices=product[None], label="fixed rotation")
                continue
        out.append(term)
        for qubit in term.qubits:
            on_qubit.setdefault(qubit, []).append(len(out) - 1)
    return [t for t in out if t is not None]


def _is_fixed_single(term: GateTerm | ChannelTerm | None) -> bool:
    return isinstance(term, GateTerm) and term.symbol is None and term.n_qubits == 1
