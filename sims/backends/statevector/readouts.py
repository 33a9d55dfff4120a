"""Readouts: tables that turn a final state into Pauli expectations, and the expectations themselves.

Readouts made of Z and I only are ``|psi|^2 @ signs`` (one GEMM over the squares); every
other group of readouts shares a bit-flip mask and is
``Re(conj(psi) psi[flip]) @ Re(phase) - Im(conj(psi) psi[flip]) @ Im(phase)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq
import numpy as np

from sims.backends.statevector.plan import basis_bits
from sims.backends.statevector.tensors import as_real, const, permute_columns
from sims.tf_env import tf


@dataclasses.dataclass(frozen=True)
class ZReadouts:
    """The readouts made of Z and I only.

    Attributes:
        columns: their positions among all readouts.
        signs: ``[2^n, R_z]``: each basis state's eigenvalue under each readout.
    """

    columns: tuple[int, ...]
    signs: np.ndarray

    @property
    def interleaved(self) -> np.ndarray:
        """``signs`` with each row twice: weights of interleaved (re^2, im^2) squares."""
        cached = self.__dict__.get("_interleaved")
        if cached is None:
            cached = np.repeat(self.signs, 2, axis=0)
            object.__setattr__(self, "_interleaved", cached)  # built once: const() caches by identity
        return cached

    def moved(self, source: np.ndarray) -> ZReadouts:
        """The table after a permutation ``psi'[b] = psi[source[b]]``: rows move with the amplitudes."""
        signs = np.empty_like(self.signs)
        signs[source] = self.signs
        return ZReadouts(self.columns, signs)


@dataclasses.dataclass(frozen=True)
class FlipGroup:
    """Readouts that share a bit-flip mask (X or Y on the same qubits).

    Attributes:
        source: ``[2^n]``: the index of ``psi[b ^ flip]`` for each ``b``.
        columns: their positions among all readouts.
        phase_real, phase_imag: ``[2^n, R]``: the real and imaginary parts of each readout's phase.
    """

    source: np.ndarray
    columns: tuple[int, ...]
    phase_real: np.ndarray
    phase_imag: np.ndarray


@dataclasses.dataclass(frozen=True)
class ReadoutTables:
    """Every readout of a program, by kind, and how many there are."""

    z: ZReadouts | None
    groups: tuple[FlipGroup, ...]
    count: int


_X, _Z = cirq.X, cirq.Z


def readout_tables(readouts, qubits, order: Sequence[int]) -> ReadoutTables:
    """Tables that turn a final state (axes in ``order``) into Pauli expectations."""
    n = len(qubits)
    position = {q: i for i, q in enumerate(qubits)}
    bits = basis_bits(n, order)
    z_columns, z_signs = [], []
    groups: dict[tuple[int, ...], list] = {}
    for column, readout in enumerate(readouts):
        flips = np.zeros(n, dtype=np.int64)
        phase = np.full(2 ** n, complex(readout.coefficient), dtype=complex)
        for qubit, pauli in readout.items():
            q = position[qubit]
            bit = bits[:, q]
            if pauli == _Z:
                phase *= 1 - 2 * bit
            elif pauli == _X:
                flips[q] = 1
            else:  # Y|0> = i|1>, Y|1> = -i|0>, so (Y psi)_b = -i psi_{b^1} for b = 0, +i for b = 1
                flips[q] = 1
                phase *= np.where(bit == 0, -1j, 1j)
        if not flips.any():
            z_columns.append(column)
            z_signs.append(phase.real)
            continue
        source = sum(((bits[:, q] + flips[q]) % 2) << (n - 1 - axis) for axis, q in enumerate(order))
        entry = groups.setdefault(tuple(flips), [source, [], []])
        entry[1].append(column)
        entry[2].append(phase)
    z = ZReadouts(tuple(z_columns), np.stack(z_signs, axis=1)) if z_columns else None
    other = []
    for source, columns, phases in groups.values():
        table = np.stack(phases, axis=1)
        other.append(FlipGroup(np.asarray(source), tuple(columns), np.ascontiguousarray(table.real),
                               np.ascontiguousarray(table.imag)))
    return ReadoutTables(z, tuple(other), len(readouts))


def readout_expectations(z: tf.Tensor, tables: ReadoutTables, dtype) -> tf.Tensor:
    """``[batch, R]`` from the complex final state ``z [batch, 2^n]``."""
    columns: list[int] = []
    parts = []
    if tables.z is not None:
        squares = tf.reshape(tf.square(as_real(z)), [tf.shape(z)[0], -1])  # |psi|^2 = re^2 + im^2, by GEMM
        parts.append(tf.matmul(squares, const(tables.z.interleaved, dtype)))
        columns += tables.z.columns
    for group in tables.groups:
        v = tf.math.conj(z) * permute_columns(z, group.source)
        parts.append(tf.matmul(tf.math.real(v), const(group.phase_real, dtype))
                     - tf.matmul(tf.math.imag(v), const(group.phase_imag, dtype)))
        columns += group.columns
    return in_readout_order(parts, columns, tables.count)


def in_readout_order(parts: list[tf.Tensor], columns: list[int], count: int) -> tf.Tensor:
    """``[batch, count]``: the parts' columns (readout positions ``columns``, in part order) put in readout order."""
    out = tf.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    if columns != list(range(count)):
        out = tf.gather(out, np.argsort(columns), axis=1)
    return out
