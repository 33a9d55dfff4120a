"""Monte Carlo trajectories on the engine: pure states of ``n`` qubits, ``K`` per sample.

A batch of ``B`` samples runs as ``B * K`` rows, each with its own draws; the readouts are
averaged over the ``K`` rows of a sample, and the standard error of a sample's mean is the
spread of its ``K`` rows over ``sqrt(K)`` (:attr:`TrajectoryProgram.last_standard_error`).

**Pauli channels** ``rho -> sum_i p_i P_i rho P_i`` (depolarizing, bit and phase flips, two-qubit
depolarizing): per trajectory, one Pauli ``P_i`` drawn with the fixed probability ``p_i``. Each
such channel becomes ``X**a Z**b`` on each of its qubits with per-sample symbols ``a, b`` in
{0, 1} (``X^a Z^b`` is the Pauli up to a global phase, which no expectation sees): the engine
runs them like data symbols, ``Z**b`` in phase runs.

**Any other channel** (amplitude and phase damping, a plugin's own): its probabilities depend on
the state, ``p_j = |K_j psi|^2``, so it is a step of its own in the plan
(:class:`~.plan.SampledChannel`): each row draws ``j`` from its own ``p_j`` and continues with
``K_j psi / sqrt(p_j)``, as qsim's trajectories do.

Which estimators are unbiased (each tested against the density matrix):

* the mean of a sample's ``K`` rows estimates the exact (density-matrix) expectation without bias,
  for both kinds of channel;
* its autodiff gradient estimates the exact gradient without bias. For Pauli channels the draws do
  not depend on the parameters. For the others they do, and the plain pathwise derivative of the
  normalized state would be biased (it misses how the parameters move the draws' probabilities);
  here the probabilities ``p_j`` are held constant in autodiff, so a row is
  ``psi_path / sqrt(P_path)`` with ``psi_path`` the unnormalized product of the chosen Kraus
  operators and ``P_path = |psi_path|^2`` a constant. Then ``E[grad <O>_row] = sum over paths of
  P_path grad(<psi_path|O|psi_path>) / P_path = grad sum_paths <psi_path|O|psi_path> =
  grad Tr(O rho)``, since the paths' unnormalized projectors sum to the channel's output exactly;
* the standard error is itself an estimate (biased low for small ``K``, as any sample spread).
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
        circuit: the circuit, with ``X**a Z**b`` where the Pauli channels were; other channels stay.
        symbols: the sampled Pauli symbols, in the order of ``draws``' bits.
        draws: one per Pauli channel.
        uniforms: one symbol per other channel, in circuit order: each row's uniform draw for it.
    """

    circuit: cirq.Circuit
    symbols: tuple[sympy.Symbol, ...]
    draws: tuple[PauliDraw, ...]
    uniforms: tuple[sympy.Symbol, ...] = ()


def trajectory_circuit(noisy: cirq.AbstractCircuit) -> TrajectoryCircuit:
    """Replaces the Pauli channels of ``noisy`` by sampled Pauli gates and gives every other channel a draw.

    Raises:
        ConfigurationError: for an operation that is neither a gate nor a channel with Kraus operators.
    """
    operations: list[cirq.Operation] = []
    symbols: list[sympy.Symbol] = []
    draws: list[PauliDraw] = []
    uniforms: list[sympy.Symbol] = []
    for op in noisy.all_operations():
        if cirq.has_unitary(op) or cirq.is_parameterized(op):
            operations.append(op)
            continue
        draw = _pauli_draw(op)
        if draw is None:
            if not cirq.has_kraus(op):
                raise ConfigurationError(f"{op!r} has neither a unitary nor Kraus operators: trajectories cannot "
                                         "sample it.")
            uniforms.append(sympy.Symbol(f"_traj_u{len(uniforms)}"))
            operations.append(op)
            continue
        draws.append(draw)
        for qubit in op.qubits:
            a, b = sympy.Symbol(f"_traj_{len(symbols)}"), sympy.Symbol(f"_traj_{len(symbols) + 1}")
            symbols += [a, b]
            operations += [cirq.X(qubit) ** a, cirq.Z(qubit) ** b]
    return TrajectoryCircuit(cirq.Circuit(operations), tuple(symbols), tuple(draws), tuple(uniforms))


class TrajectoryProgram:
    """A program of a :class:`TrajectoryCircuit` with the interface of :class:`~.program.Program`.

    ``expectations(per_sample, shared, batch)`` takes the circuit's own per-sample values, runs
    ``K`` rows per sample with fresh draws appended, and returns the means; the standard error
    of each mean is kept in :attr:`last_standard_error` (``[batch, R]``).

    Args:
        program: the compiled trajectory circuit; the sampled symbols are its last per-sample
            columns (the Pauli bits, then the other channels' uniforms).
        draws: the Pauli channels' choices.
        trajectories: ``K``.
        seed: seed of the draws.
        uniforms: how many other channels draw a uniform per row.
    """

    def __init__(self, program, draws: Sequence[PauliDraw], trajectories: int, seed: int, uniforms: int = 0):
        from sims.tf_env import tf

        self.program = program
        self.plan = program.plan
        self.readout_steps = program.readout_steps
        self.trajectories = trajectories
        self.logits = [np.log(np.maximum(d.probabilities, 1e-300)) for d in draws]
        self.bits = [d.bits for d in draws]
        self.uniforms = uniforms
        self.generator = tf.random.Generator.from_seed(seed)
        self.last_standard_error = None

    def _draws(self, rows):
        from sims.tf_env import tf

        columns = []
        for logits, bits in zip(self.logits, self.bits, strict=True):
            seed = self.generator.make_seeds(1)[:, 0]
            choice = tf.random.stateless_categorical(tf.constant(logits[None], tf.float32), rows, seed)[0]
            columns.append(tf.gather(tf.constant(bits, self.program.dtype), choice))
        if self.uniforms:
            seed = self.generator.make_seeds(1)[:, 0]
            columns.append(tf.random.stateless_uniform([rows, self.uniforms], seed, dtype=self.program.dtype))
        return tf.concat(columns, axis=1) if columns else tf.zeros([rows, 0], self.program.dtype)

    def rows(self, per_sample, shared, batch, row_chunk: int | None = None):
        """``[batch, K, R]``: every trajectory's readouts.

        ``row_chunk``: run ``row_chunk`` trajectories per sample at a time, one pass after another
        (``tf.map_fn``, no parallel iterations), each under ``tf.recompute_grad``, so that memory is
        that of ``batch * row_chunk`` rows (the checkpointed mode of the layer kernel, over a sample's
        rows). The draws are made first, so that a recomputed pass sees the same ones.
        """
        from sims.tf_env import tf

        k = self.trajectories
        if row_chunk is not None and row_chunk < k:
            return self._rows_in_passes(per_sample, shared, batch, row_chunk)
        rows = batch * k
        draws = self._draws(rows)
        if per_sample is None:
            values = draws
        else:
            repeated = tf.repeat(tf.cast(per_sample, self.program.dtype), k, axis=0)
            values = tf.concat([repeated, draws], axis=1)
        out = self.program.expectations(values, shared, rows)
        return tf.reshape(out, [-1, k, out.shape[-1]])

    def _rows_in_passes(self, per_sample, shared, batch, row_chunk: int):
        from sims.tf_env import tf

        k, chunk = self.trajectories, row_chunk
        passes = -(-k // chunk)
        draws = self._draws(batch * passes * chunk)  # the last pass's extra rows are dropped below
        columns = draws.shape[-1]
        draws = tf.transpose(tf.reshape(draws, [batch, passes, chunk, columns]), [1, 0, 2, 3])
        draws = tf.reshape(draws, [passes, batch * chunk, columns])
        readouts = self.program.readouts.count
        rows = batch * chunk
        dtype = self.program.dtype
        zero = tf.zeros([0], dtype)

        def one_pass(d, repeated, w):
            values = d if per_sample is None else tf.concat([repeated, d], axis=1)
            return self.program.expectations(values, None if shared is None else w, rows)

        piece = tf.recompute_grad(one_pass)
        repeated = zero if per_sample is None else tf.repeat(tf.cast(per_sample, dtype), chunk, axis=0)
        weights = zero if shared is None else shared
        out = tf.map_fn(lambda d: piece(d, repeated, weights), draws, parallel_iterations=1,
                        fn_output_signature=tf.TensorSpec([None, readouts], dtype))
        out = tf.transpose(tf.reshape(out, [passes, batch, chunk, readouts]), [1, 0, 2, 3])
        return tf.reshape(out, [batch, passes * chunk, readouts])[:, :k]

    def expectations(self, per_sample, shared, batch, row_chunk: int | None = None):
        """``[batch, R]``: the mean over each sample's ``K`` trajectories (their standard error:
        :attr:`last_standard_error`); ``row_chunk``: see :meth:`rows`."""
        from sims.tf_env import tf

        rows = self.rows(per_sample, shared, batch, row_chunk)
        if self.trajectories > 1 and tf.executing_eagerly():  # a graph's tensor must not leak out
            k = self.trajectories
            spread = tf.math.reduce_std(tf.stop_gradient(rows), axis=1) * np.sqrt(k / (k - 1))  # ddof=1
            self.last_standard_error = spread / np.sqrt(k)
        return tf.reduce_mean(rows, axis=1)
