"""Circuits without multi-qubit gates: the state stays a product, and the readouts come from its factors.

Such a circuit (Sim et al.'s circuit 1, or any ansatz with ``entanglement="none"``: the
control of an entanglement study) needs no ``2^n`` state at all. Every qubit's state is its
gates applied to ``|0>``, all qubits and gates at once: each gate's ``U(v) = sum_k exp(i
omega_k v) M_k`` (see :mod:`.gates`) is one column of a phase table times a constant, so every
gate matrix of the circuit is one weighted sum of constant terms; then one elementwise step per
gate position applies them. A Pauli string's expectation is the product of its qubits' Bloch
components, ``<c P_1 ... P_n> = c prod_q <P_q>_q``: a gather and a product over qubits.
Cost and memory grow with ``n``, not ``2^n``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq
import numpy as np

from sims.backends.statevector.gates import GateTerm
from sims.backends.statevector.tensors import const, stored, take, unit_phase
from sims.backends.statevector.values import SymbolValues
from sims.tf_env import tf


@dataclasses.dataclass(frozen=True)
class ProductReadouts:
    """Pauli strings read from a product state.

    Attributes:
        index: ``[R, m]`` (``m``: the longest string's support): for each readout, the columns of its
            qubits' Paulis in the ``[batch, 4 n + 1]`` table of every qubit's ``(1, <X>, <Y>, <Z>)``
            and a last column of ones (the padding of shorter strings).
        coefficients: ``[R]``, real (the strings are Hermitian).
    """

    index: np.ndarray
    coefficients: np.ndarray


_PAULI_COLUMN = {cirq.X: 1, cirq.Y: 2, cirq.Z: 3}


def product_readouts(readouts, qubits) -> ProductReadouts:
    """The :class:`ProductReadouts` of Pauli strings on ``qubits`` (qubit 0 first)."""
    position = {q: i for i, q in enumerate(qubits)}
    ones = 4 * len(qubits)
    columns = [[4 * position[q] + _PAULI_COLUMN[p] for q, p in r.items()] for r in readouts]
    width = max(1, max((len(c) for c in columns), default=1))
    index = np.array([c + [ones] * (width - len(c)) for c in columns], dtype=np.int64).reshape(len(readouts), width)
    coefficients = np.array([complex(r.coefficient).real for r in readouts])
    return ProductReadouts(index, coefficients)


# A part's terms as one dense [T, 4 n L] table (one matrix product, the fastest here: 2-3x the
# gathered slots at 8 qubits, batch 128) up to this many entries; wider circuits gather their
# terms' phases into K slots per gate instead (memory by n L, not (n L)^2).
DENSE_MAX_ENTRIES = 1 << 22


@dataclasses.dataclass(frozen=True)
class TermPart:
    """The terms ``exp(i omega_t v) M_t`` of the gates whose symbols are per sample (or shared).

    Attributes:
        per_sample: whether the symbols are columns of the per-sample values (else of the shared).
        columns: ``[T]``: each term's symbol's column.
        frequencies: ``[T]``: each term's ``omega_t``.
        dense: ``[T, L * 2 * n * 2]``: ``M_t^T`` placed at its gate (None: ``slots`` and ``terms``).
        slots: ``[K, L, n]``: the term in each of a gate's ``K`` slots (0 where it has fewer: the
            slot's matrix is zero there).
        terms: ``[K, L, 2, n, 2]``: ``M_t^T`` in its slot.
    """

    per_sample: bool
    columns: np.ndarray
    frequencies: np.ndarray
    dense: np.ndarray | None = None
    slots: np.ndarray | None = None
    terms: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class GateTable:
    """Every gate of every qubit as constants: gate ``l`` of qubit ``q`` (the identity past its last
    gate) is ``fixed[l, :, q, :]`` plus its terms (:class:`TermPart`), each matrix stored
    transposed (column, then row: ``[L, 2, n, 2]``) so that a gate's columns are slices.

    Attributes:
        shape: ``(n, L)``: qubits, and gates on the busiest qubit.
        parts: the terms of per-sample symbols and of shared ones (those with any).
        fixed: ``[L * 2 * n * 2]``: fixed gates, and the identity where a qubit has no more gates.
    """

    shape: tuple[int, int]
    parts: tuple[TermPart, ...]
    fixed: np.ndarray

    def bytes_per_sample(self, bytes_per_amplitude: int) -> int:
        """Autodiff's memory for one sample: its gates' entries (a few copies: terms, sums), and at
        each of the ``L`` positions the qubits' ``2 n`` amplitudes a few times over (8 copies)."""
        n, length = self.shape
        return (4 * 4 * n * length + 8 * 2 * n * length) * bytes_per_amplitude


def gate_table(per_qubit: Sequence[Sequence[GateTerm]], per_sample_index: dict[int, int],
               shared_index: dict[int, int]) -> GateTable:
    """The :class:`GateTable` of single-qubit gates, ``per_qubit[q]`` in the order they act."""
    n, length = len(per_qubit), max(1, max(len(g) for g in per_qubit))
    fixed = np.zeros((length, 2, n, 2), dtype=complex)
    found: dict[bool, list[tuple[int, float, int, int, int, np.ndarray]]] = {True: [], False: []}
    for q, gates in enumerate(per_qubit):
        for position in range(length):
            gate = gates[position] if position < len(gates) else None
            if gate is None or gate.symbol is None:
                fixed[position, :, q, :] = np.eye(2) if gate is None else gate.unitary().T
                continue
            per_sample = gate.symbol in per_sample_index
            column = per_sample_index[gate.symbol] if per_sample else shared_index[gate.symbol]
            for k, (omega, matrix) in enumerate(zip(gate.frequencies, gate.matrices, strict=True)):
                found[per_sample].append((column, float(omega), k, position, q, matrix.T))
    parts = tuple(_part(per_sample, terms, n, length) for per_sample, terms in found.items() if terms)
    return GateTable((n, length), parts, fixed.reshape(-1))


def _part(per_sample: bool, found: list[tuple[int, float, int, int, int, np.ndarray]], n: int,
          length: int) -> TermPart:
    columns = np.array([f[0] for f in found], dtype=np.int64)
    frequencies = np.array([f[1] for f in found])
    if len(found) * 4 * n * length <= DENSE_MAX_ENTRIES:
        dense = np.zeros((len(found), length, 2, n, 2), dtype=complex)
        for t, (_, _, _, position, q, matrix) in enumerate(found):
            dense[t, position, :, q, :] = matrix
        return TermPart(per_sample, columns, frequencies, dense=dense.reshape(len(found), -1))
    depth = 1 + max(f[2] for f in found)
    slots = np.zeros((depth, length, n), dtype=np.int64)
    terms = np.zeros((depth, length, 2, n, 2), dtype=complex)
    for t, (_, _, k, position, q, matrix) in enumerate(found):
        slots[k, position, q] = t
        terms[k, position, :, q, :] = matrix
    return TermPart(per_sample, columns, frequencies, slots=slots, terms=terms)


def _part_matrices(part: TermPart, values: SymbolValues, shape: tuple[int, int], complex_dtype) -> tf.Tensor:
    """``[batch or 1, L * 2 * n * 2]``: the part's terms weighted by their phases, summed per gate."""
    source = values.per_sample if part.per_sample else values.shared[None]
    angles = take(source, part.columns) * const(part.frequencies, values.dtype)
    phases = stored(unit_phase(angles))
    if part.dense is not None:
        return tf.matmul(phases, const(part.dense, complex_dtype))
    assert part.slots is not None and part.terms is not None  # the other form
    n, length = shape
    slotted = tf.reshape(tf.gather(phases, part.slots.reshape(-1), axis=1), [-1, len(part.slots), length, 1, n, 1])
    summed = tf.reduce_sum(slotted * const(part.terms, complex_dtype)[None], axis=1)
    return tf.reshape(summed, [-1, length * 4 * n])


def product_factors(table: GateTable, values: SymbolValues, complex_dtype) -> tf.Tensor:
    """Every qubit's state, ``[batch or 1, n, 2]`` (complex; batch when a gate has per-sample values)."""
    n, length = table.shape
    matrices = const(table.fixed, complex_dtype)[None]  # [1, L 2 n 2]
    for part in table.parts:
        matrices = matrices + _part_matrices(part, values, table.shape, complex_dtype)
    # One unstack, not a slice per gate: each slice's gradient would write a zero tensor of all gates.
    gate_columns = tf.unstack(tf.reshape(matrices, [-1, 2 * length, n, 2]), axis=1)
    state = gate_columns[0]  # the first gate on |0>: its first column
    for position in range(1, length):  # U psi = psi_0 U[:, 0] + psi_1 U[:, 1], every qubit at once
        a, b = tf.unstack(state, axis=2)
        state = gate_columns[2 * position] * a[..., None] + gate_columns[2 * position + 1] * b[..., None]
    return stored(state)  # the product state's Kronecker products broadcast every factor (see stored)


def product_expectations(states: tf.Tensor, readouts: ProductReadouts, batch, dtype) -> tf.Tensor:
    """``[batch, R]`` from every qubit's state ``[batch or 1, n, 2]`` (complex)."""
    a, b = tf.unstack(states, axis=2)
    cross = tf.math.conj(a) * b
    x, y = 2 * tf.math.real(cross), 2 * tf.math.imag(cross)
    z = tf.math.real(tf.math.conj(a) * a - tf.math.conj(b) * b)
    bloch = tf.reshape(tf.stack([tf.ones_like(x), x, y, z], axis=2), [tf.shape(x)[0], -1])  # [s, 4 n]
    bloch = tf.concat([bloch, tf.ones_like(bloch[:, :1])], axis=1)  # the padding's column of ones
    factors = tf.unstack(take(bloch, readouts.index), axis=2)  # each [s, R]
    out = factors[0]
    for factor in factors[1:]:
        out = out * factor
    out = out * const(readouts.coefficients, dtype)[None]
    return tf.broadcast_to(out, [batch, out.shape[1]])
