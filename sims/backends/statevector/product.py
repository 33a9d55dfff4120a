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
from sims.backends.statevector.tensors import const
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


@dataclasses.dataclass(frozen=True)
class GateTable:
    """Every gate of every qubit as constants: gate ``l`` of qubit ``q`` (the identity past its last
    gate) is ``fixed[l, :, q, :] + sum_k phase[slots[k, l, q]] terms[k, l, :, q, :]``, with each
    matrix stored transposed (column, then row) so that a gate's columns are slices.

    Attributes:
        shape: ``(n, L)``: qubits, and gates on the busiest qubit.
        columns: ``[T]``: each term's symbol, as a column of the per-sample values followed by
            the shared ones.
        frequencies: ``[T]``: each term's ``omega_t``.
        slots: ``[K, L, n]``: the term (``0..T-1``) in each of a gate's ``K`` slots, ``T`` (a phase
            of zero) where it has fewer terms or none.
        terms: ``[K, L, 2, n, 2]``: ``M_t^T`` in its slot.
        fixed: ``[L, 2, n, 2]``: fixed gates, and the identity where a qubit has no more gates.
    """

    shape: tuple[int, int]
    columns: np.ndarray
    frequencies: np.ndarray
    slots: np.ndarray
    terms: np.ndarray
    fixed: np.ndarray

    def bytes_per_sample(self, bytes_per_amplitude: int) -> int:
        """Autodiff's memory for one sample: its gates' entries (``K`` terms' and the sum's), and at
        each of the ``L`` positions the qubits' ``2 n`` amplitudes a few times over (8 copies)."""
        n, length = self.shape
        return ((len(self.slots) + 1) * 4 * n * length + 8 * 2 * n * length) * bytes_per_amplitude


def gate_table(per_qubit: Sequence[Sequence[GateTerm]], per_sample_index: dict[int, int],
               shared_index: dict[int, int]) -> GateTable:
    """The :class:`GateTable` of single-qubit gates, ``per_qubit[q]`` in the order they act."""
    n, length = len(per_qubit), max(1, max(len(g) for g in per_qubit))
    depth = max([len(g.frequencies) for gates in per_qubit for g in gates if g.symbol is not None], default=0)
    fixed = np.zeros((length, 2, n, 2), dtype=complex)
    terms = np.zeros((depth, length, 2, n, 2), dtype=complex)
    slots: list[tuple[int, int, int]] = []  # (k, position, qubit) of each term
    columns: list[int] = []
    frequencies: list[float] = []
    for q, gates in enumerate(per_qubit):
        for position in range(length):
            gate = gates[position] if position < len(gates) else None
            if gate is None or gate.symbol is None:
                fixed[position, :, q, :] = np.eye(2) if gate is None else gate.unitary().T
                continue
            column = per_sample_index[gate.symbol] if gate.symbol in per_sample_index \
                else len(per_sample_index) + shared_index[gate.symbol]
            for k, (omega, matrix) in enumerate(zip(gate.frequencies, gate.matrices, strict=True)):
                terms[k, position, :, q, :] = matrix.T
                slots.append((k, position, q))
                columns.append(column)
                frequencies.append(float(omega))
    slot_of = np.full((depth, length, n), len(columns), dtype=np.int64)
    for t, (k, position, q) in enumerate(slots):
        slot_of[k, position, q] = t
    return GateTable((n, length), np.array(columns, dtype=np.int64), np.array(frequencies), slot_of, terms, fixed)


def product_factors(table: GateTable, values: SymbolValues, complex_dtype) -> tf.Tensor:
    """Every qubit's state, ``[batch or 1, n, 2]`` (complex; batch when a gate has per-sample values)."""
    n, length = table.shape
    matrices = const(table.fixed, complex_dtype)[None]  # [1, L, 2, n, 2]
    if len(table.columns):
        parts = [] if values.per_sample is None else [values.per_sample]
        if values.shared is not None:
            rows = 1 if values.per_sample is None else tf.shape(values.per_sample)[0]
            parts.append(tf.broadcast_to(values.shared[None], [rows, tf.shape(values.shared)[0]]))
        every = tf.concat(parts, axis=1) if len(parts) > 1 else parts[0]
        angles = tf.gather(every, table.columns, axis=1) * const(table.frequencies, values.dtype)
        phases = tf.complex(tf.cos(angles), tf.sin(angles))
        phases = tf.concat([phases, tf.zeros_like(phases[:, :1])], axis=1)  # the empty slots' zero
        depth = len(table.slots)
        slotted = tf.reshape(tf.gather(phases, table.slots.reshape(-1), axis=1), [-1, depth, length, 1, n, 1])
        matrices = matrices + tf.reduce_sum(slotted * const(table.terms, complex_dtype)[None], axis=1)
    # One unstack, not a slice per gate: each slice's gradient would write a zero tensor of all gates.
    gate_columns = tf.unstack(tf.reshape(matrices, [-1, 2 * length, n, 2]), axis=1)
    state = gate_columns[0]  # the first gate on |0>: its first column
    for position in range(1, length):  # U psi = psi_0 U[:, 0] + psi_1 U[:, 1], every qubit at once
        a, b = tf.unstack(state, axis=2)
        state = gate_columns[2 * position] * a[..., None] + gate_columns[2 * position + 1] * b[..., None]
    return state


def product_expectations(states: tf.Tensor, readouts: ProductReadouts, batch, dtype) -> tf.Tensor:
    """``[batch, R]`` from every qubit's state ``[batch or 1, n, 2]`` (complex)."""
    a, b = tf.unstack(states, axis=2)
    cross = tf.math.conj(a) * b
    x, y = 2 * tf.math.real(cross), 2 * tf.math.imag(cross)
    z = tf.math.real(tf.math.conj(a) * a - tf.math.conj(b) * b)
    bloch = tf.reshape(tf.stack([tf.ones_like(x), x, y, z], axis=2), [tf.shape(x)[0], -1])  # [s, 4 n]
    bloch = tf.concat([bloch, tf.ones_like(bloch[:, :1])], axis=1)  # the padding's column of ones
    factors = tf.unstack(tf.gather(bloch, readouts.index, axis=1), axis=2)  # each [s, R]
    out = factors[0]
    for factor in factors[1:]:
        out = out * factor
    out = out * const(readouts.coefficients, dtype)[None]
    return tf.broadcast_to(out, [batch, out.shape[1]])
