"""Monte Carlo trajectories of Pauli channels on the engine: pure states of ``n`` qubits, ``K`` per sample.

A Pauli channel ``rho -> sum_i p_i P_i rho P_i`` (depolarizing, bit and phase flips, two-qubit
depolarizing) is, per trajectory, one Pauli ``P_i`` drawn with probability ``p_i``. Each
channel of the noisy circuit becomes ``X**a Z**b`` on each of its qubits with per-sample
symbols ``a, b`` in {0, 1} (``X^a Z^b`` is the Pauli up to a global phase, which no
expectation sees): the engine runs them like data symbols, ``Z**b`` in phase runs. A batch
of ``B`` samples runs as ``B * K`` rows, each with its own draw; the readouts are averaged
over the ``K`` rows of a sample.

Gradients are autodiff through the rows. The draws do not depend on the parameters, so the
mean over ``K`` trajectories is an unbiased estimate of the exact expectation *and* its
gradient is an unbiased estimate of the exact gradient (tested against the density matrix).
The standard error of a sample's mean is the spread of its ``K`` rows over ``sqrt(K)``.

Channels that are not Pauli mixtures (amplitude and phase damping) are not sampled here:
their trajectory probabilities depend on the state; the density-matrix mode, or qsim's and
TFQ's trajectories, simulate them.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import cirq
import numpy as np
import sympy

from qcircuits.errors import ConfigurationError

PAULI_BITS = {(0, 0): np.eye(2), (1, 0): np.array([[0, 1], [1, 0]]), (0, 1): np.diag([1, -1]),
              (1, 1): np.array([[0, 1], [1, 0]]) @ np.diag([1, -1])}  # X^a Z^b


@dataclasses.dataclass(frozen=True)
class PauliDraw:
    """One channel's choices: ``probabilities[i]`` of ``bits[i]`` (``a, b`` per qubit, in symbol order)."""

    probabilities: np.ndarray  # [choices]
    bits: np.ndarray  # [choices, 2 * qubits]


def _pauli_bits(unitary: np.ndarray, n: int) -> tuple[int, ...]:
    """``(a_1, b_1, ..., a_n, b_n)`` with ``unitary = phase * kron(X^a_i Z^b_i)``."""
    for bits in itertools.product((0, 1), repeat=2 * n):
        candidate = np.array([[1.0]])
        for q in range(n):
            candidate = np.kron(candidate, PAULI_BITS[(bits[2 * q], bits[2 * q + 1])])
        overlap = np.trace(candidate.conj().T @ unitary) / unitary.shape[0]
        if abs(abs(overlap) - 1) < 1e-9:
            return bits
    raise ValueError("not a Pauli")


def _pauli_draw(op: cirq.Operation) -> PauliDraw | None:
    if not cirq.has_mixture(op) or cirq.has_unitary(op):
        return None
    probabilities, bits = [], []
    try:
        for p, unitary in cirq.mixture(op):
            probabilities.append(p)
            bits.append(_pauli_bits(np.asarray(unitary), len(op.qubits)))
    except ValueError:
        return None
    return PauliDraw(np.array(probabilities), np.array(bits, dtype=float))


@dataclasses.dataclass(frozen=True)
class TrajectoryCircuit:
    """A noisy circuit with every Pauli channel replaced by gates on sampled symbols.

    Attributes:
        circuit: the circuit, with ``X**a Z**b`` where the channels were.
        symbols: the sampled symbols, in the order of ``draws``' bits.
        draws: one per channel.
    """

    circuit: cirq.Circuit
    symbols: tuple[sympy.Symbol, ...]
    draws: tuple[PauliDraw, ...]


def trajectory_circuit(noisy: cirq.AbstractCircuit) -> TrajectoryCircuit:
    """Replaces the Pauli channels of ``noisy`` by sampled Pauli gates.

    Raises:
        ConfigurationError: for a channel that is not a Pauli mixture, naming it and what can run it.
    """
    operations: list[cirq.Operation] = []
    symbols: list[sympy.Symbol] = []
    draws: list[PauliDraw] = []
    for op in noisy.all_operations():
        if cirq.has_unitary(op) or cirq.is_parameterized(op):
            operations.append(op)
            continue
        draw = _pauli_draw(op)
        if draw is None:
            raise ConfigurationError(
                f"{op!r} is not a Pauli channel: the engine's trajectories sample Pauli channels only (depolarize, "
                "bit_flip, phase_flip, two_qubit_depolarize); use the density-matrix mode (trajectories=None) or "
                "the qsim or tfq backend's trajectories.")
        draws.append(draw)
        for qubit in op.qubits:
            a, b = sympy.Symbol(f"_traj_{len(symbols)}"), sympy.Symbol(f"_traj_{len(symbols) + 1}")
            symbols += [a, b]
            operations += [cirq.X(qubit) ** a, cirq.Z(qubit) ** b]
    return TrajectoryCircuit(cirq.Circuit(operations), tuple(symbols), tuple(draws))


class TrajectoryProgram:
    """A program of a :class:`TrajectoryCircuit` with the interface of :class:`~.program.Program`.

    ``expectations(per_sample, shared, batch)`` takes the circuit's own per-sample values, runs
    ``K`` rows per sample with fresh draws appended, and returns the means.

    Args:
        program: the compiled trajectory circuit; the sampled symbols are its last per-sample columns.
        draws: the channels' choices.
        trajectories: ``K``.
        seed: seed of the draws.
    """

    def __init__(self, program, draws: Sequence[PauliDraw], trajectories: int, seed: int):
        from sims.tf_env import tf

        self.program = program
        self.plan = program.plan
        self.readout_steps = program.readout_steps
        self.trajectories = trajectories
        self.logits = [np.log(np.maximum(d.probabilities, 1e-300)) for d in draws]
        self.bits = [d.bits for d in draws]
        self.generator = tf.random.Generator.from_seed(seed)
        self.last_standard_error = None

    def _draws(self, rows):
        from sims.tf_env import tf

        columns = []
        for logits, bits in zip(self.logits, self.bits, strict=True):
            seed = self.generator.make_seeds(1)[:, 0]
            choice = tf.random.stateless_categorical(tf.constant(logits[None], tf.float32), rows, seed)[0]
            columns.append(tf.gather(tf.constant(bits, self.program.dtype), choice))
        return tf.concat(columns, axis=1) if columns else tf.zeros([rows, 0], self.program.dtype)

    def rows(self, per_sample, shared, batch):
        """``[batch, K, R]``: every trajectory's readouts."""
        from sims.tf_env import tf

        k = self.trajectories
        rows = batch * k
        draws = self._draws(rows)
        if per_sample is None:
            values = draws
        else:
            repeated = tf.repeat(tf.cast(per_sample, self.program.dtype), k, axis=0)
            values = tf.concat([repeated, draws], axis=1)
        out = self.program.expectations(values, shared, rows)
        return tf.reshape(out, [-1, k, out.shape[-1]])

    def expectations(self, per_sample, shared, batch):
        """``[batch, R]``: the mean over each sample's ``K`` trajectories."""
        from sims.tf_env import tf

        return tf.reduce_mean(self.rows(per_sample, shared, batch), axis=1)
