"""The density-matrix mode: a mixed state of ``n`` qubits run as a state of ``2n``.

``rho`` is flattened row-major, ``vec(rho)[i * 2^n + j] = rho[i, j]``: virtual qubits
``0..n-1`` carry the row index and ``n..2n-1`` the column index. Then

* a gate ``U`` on qubits ``Q`` is ``U`` on ``Q`` and ``conj(U)`` on ``Q + n``
  (``vec(U rho U^dagger) = (U kron conj(U)) vec(rho)``): two ordinary gate terms, the
  second with negated frequencies, so parameters, the planner's phase runs and fused
  blocks work unchanged;
* a channel with Kraus operators ``K_k`` is the fixed matrix ``sum_k K_k kron conj(K_k)``
  on ``Q + (Q + n)``, fused and planned like any gate;
* ``|0...0><0...0|`` is the all-zero state of ``2n`` qubits, and the data encoding's
  single-qubit gates still give a product state;
* a Pauli readout is linear in ``rho``: ``Tr(P rho) = sum_b phase_b rho[b ^ f, b]``, a
  gather of ``2^n`` entries and the pure-state readouts' own phase tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq
import numpy as np

from sims.backends.statevector.gates import ChannelTerm, GateTerm, circuit_terms
from sims.backends.statevector.plan import Plan
from sims.backends.statevector.program import Program
from sims.backends.statevector.readouts import ReadoutTables, in_readout_order, readout_tables
from sims.backends.statevector.tensors import const
from sims.tf_env import tf


def density_terms(circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid], symbols: Sequence) -> list[GateTerm]:
    """The circuit's gates and channels as gate terms on ``2 * len(qubits)`` virtual qubits."""
    return virtual_terms(circuit_terms(circuit, qubits, symbols, channels=True), len(qubits))


def virtual_terms(circuit_terms: Sequence[GateTerm | ChannelTerm], n: int) -> list[GateTerm]:
    """Gates and channels of ``n`` qubits as gate terms on ``2n`` virtual qubits (see the module)."""
    terms: list[GateTerm] = []
    for term in circuit_terms:
        if isinstance(term, ChannelTerm):
            superoperator = sum(np.kron(k, k.conj()) for k in term.kraus)
            where = term.qubits + tuple(q + n for q in term.qubits)
            terms.append(GateTerm(where, None, np.zeros(1), np.asarray(superoperator)[None], term.label))
        else:
            terms.append(term)
            terms.append(GateTerm(tuple(q + n for q in term.qubits), term.symbol, -term.frequencies,
                                  term.matrices.conj(), f"conj({term.label})"))
    return terms


@dataclasses.dataclass(frozen=True)
class DensityReadouts:
    """Pauli readouts of a flattened density matrix.

    Attributes:
        tables: the readouts' sign and phase tables in the natural qubit order.
        z_index: positions of ``rho[b, b]`` in the final state's axis order (None without Z readouts).
        group_index: per flip group of ``tables``, positions of ``rho[b ^ f, b]``.
    """

    tables: ReadoutTables
    z_index: np.ndarray | None
    group_index: tuple[np.ndarray, ...]


def density_readouts(readouts: Sequence, qubits: Sequence[cirq.Qid], final_order: Sequence[int]) -> DensityReadouts:
    """Tables for ``readouts`` of a density matrix whose virtual qubit axes end in ``final_order``."""
    n = len(qubits)
    tables = readout_tables(readouts, qubits, range(n))
    shift = {qubit: 2 * n - 1 - axis for axis, qubit in enumerate(final_order)}

    def flat(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        index = np.zeros(len(rows), dtype=np.int64)
        for q in range(n):
            index |= ((rows >> (n - 1 - q)) & 1) << shift[q]
            index |= ((columns >> (n - 1 - q)) & 1) << shift[q + n]
        return index

    b = np.arange(2 ** n, dtype=np.int64)
    z_index = flat(b, b) if tables.z is not None else None
    group_index = tuple(flat(np.asarray(group.source, dtype=np.int64), b) for group in tables.groups)
    return DensityReadouts(tables, z_index, group_index)


class DensityProgram(Program):
    """A plan over ``2n`` virtual qubits whose state is a flattened density matrix."""

    def __init__(self, plan: Plan, readouts: DensityReadouts, per_sample_index: dict[int, int],
                 shared_index: dict[int, int], dtype=tf.float32):
        super().__init__(plan, readouts.tables, per_sample_index, shared_index, dtype)
        self.density_readouts = readouts

    def expectations(self, per_sample, shared, batch) -> tf.Tensor:
        """``[batch, n_readouts]`` ``Tr(P rho)`` for each readout."""
        rho = self.final_state(per_sample, shared, batch)
        tables = self.readouts
        columns: list[int] = []
        parts: list[tf.Tensor] = []
        if tables.z is not None:
            diagonal = tf.math.real(tf.gather(rho, self.density_readouts.z_index, axis=1))
            parts.append(tf.matmul(diagonal, const(tables.z.signs, self.dtype)))
            columns += tables.z.columns
        for group, index in zip(tables.groups, self.density_readouts.group_index, strict=True):
            v = tf.gather(rho, index, axis=1)
            parts.append(tf.matmul(tf.math.real(v), const(group.phase_real, self.dtype))
                         - tf.matmul(tf.math.imag(v), const(group.phase_imag, self.dtype)))
            columns += group.columns
        return in_readout_order(parts, columns, tables.count)

    def states(self, per_sample, shared, batch) -> tf.Tensor:
        """Complex ``[batch, 2^n, 2^n]`` density matrices (qubit 0 most significant)."""
        flat = super().states(per_sample, shared, batch)
        side = 2 ** (self.plan.n_qubits // 2)
        return tf.reshape(flat, [-1, side, side])
