"""Circuits without multi-qubit gates: the state stays a product, and the readouts come from its factors.

Such a circuit (Sim et al.'s circuit 1, or any ansatz with ``entanglement="none"``: the
control of an entanglement study) needs no ``2^n`` state at all. Every qubit's state is its
gates applied to ``|0>``, all qubits and gates at once: each gate's ``U(v) = sum_k exp(i
omega_k v) M_k`` (see :mod:`.gates`) is one column of a phase table times a constant, so every
gate matrix of the circuit is one product ``phases @ terms``; then one elementwise step per
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
    """Every gate of every qubit as rows of constants: gate ``l`` of qubit ``q`` (identity past its
    last gate) is ``sum_t phase_t terms[t, l, :, q, :] + fixed[l, :, q, :]``, laid out by position,
    column, qubit and row (``[L, 2, n, 2]`` flattened): each column of each position is one slice.

    Attributes:
        shape: ``(n, L)``: qubits, and gates on the busiest qubit.
        per_sample: ``(columns, frequencies, terms)`` of the terms whose symbol is given per sample:
            the symbol's column in the per-sample values, ``omega_t``, and ``M_t`` placed at its gate,
            ``[T, L * 2 * n * 2]``.
        shared: the same for symbols shared by the batch (columns in the shared values).
        fixed: ``[L * 2 * n * 2]``: fixed gates, and the identity where a qubit has no more gates.
    """

    shape: tuple[int, int]
    per_sample: tuple[np.ndarray, np.ndarray, np.ndarray]
    shared: tuple[np.ndarray, np.ndarray, np.ndarray]
    fixed: np.ndarray

    def bytes_per_sample(self, bytes_per_amplitude: int) -> int:
        """Autodiff's memory for one sample: its gates' ``4 n L`` entries, and at each of the ``L``
        positions the qubits' ``2 n`` amplitudes a few times over (inputs, products, sums: 8 copies)."""
        n, length = self.shape
        return (4 * n * length + 8 * 2 * n * length) * bytes_per_amplitude


def gate_table(per_qubit: Sequence[Sequence[GateTerm]], per_sample_index: dict[int, int],
               shared_index: dict[int, int]) -> GateTable:
    """The :class:`GateTable` of single-qubit gates, ``per_qubit[q]`` in the order they act."""
    n, length = len(per_qubit), max(1, max(len(g) for g in per_qubit))
    fixed = np.zeros((length, 2, n, 2), dtype=complex)  # [position, column, qubit, row]
    rows: dict[bool, tuple[list[int], list[float], list[np.ndarray]]] = {True: ([], [], []), False: ([], [], [])}
    for q, gates in enumerate(per_qubit):
        for position in range(length):
            if position >= len(gates):
                fixed[position, :, q, :] = np.eye(2)
                continue
            gate = gates[position]
            if gate.symbol is None:
                fixed[position, :, q, :] = gate.unitary().T
                continue
            per_sample = gate.symbol in per_sample_index
            column = per_sample_index[gate.symbol] if per_sample else shared_index[gate.symbol]
            columns, frequencies, terms = rows[per_sample]
            for omega, matrix in zip(gate.frequencies, gate.matrices, strict=True):
                placed = np.zeros((length, 2, n, 2), dtype=complex)
                placed[position, :, q, :] = matrix.T
                columns.append(column)
                frequencies.append(float(omega))
                terms.append(placed.reshape(-1))

    def packed(per_sample: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        columns, frequencies, terms = rows[per_sample]
        stacked = np.stack(terms) if terms else np.zeros((0, length * 4 * n), dtype=complex)
        return np.array(columns, dtype=np.int64), np.array(frequencies), stacked

    return GateTable((n, length), packed(True), packed(False), fixed.reshape(-1))


def product_factors(table: GateTable, values: SymbolValues, complex_dtype) -> tf.Tensor:
    """Every qubit's state, ``[batch or 1, n, 2]`` (complex; batch when a gate has per-sample values)."""
    n, length = table.shape
    matrices = const(table.fixed, complex_dtype)[None]  # [1, L 2 n 2]
    for per_sample, (columns, frequencies, terms) in ((True, table.per_sample), (False, table.shared)):
        if not len(columns):
            continue
        source = values.per_sample if per_sample else values.shared[None]
        angles = tf.gather(source, columns, axis=1) * const(frequencies, values.dtype)
        phases = tf.complex(tf.cos(angles), tf.sin(angles))
        matrices = matrices + tf.matmul(phases, const(terms, complex_dtype))
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
