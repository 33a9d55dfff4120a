"""Finite shots on the engine: sampled expectations, and parameter-shift gradients with the same shot budget.

A readout ``c * P`` (``P`` a Pauli string) measured ``N`` times gives ``N`` outcomes
``+-1`` with mean ``<P>``: the estimate is ``c * (2 k / N - 1)`` with
``k ~ Binomial(N, (1 + <P>) / 2)``, drawn from the exact (noisy, readout-error
corrected) expectation, for every readout of every sample at once. Each readout is
measured on its own ``N`` shots, as ``tfq.layers.SampledExpectation`` does.

Gradients are what hardware gives: the parameter-shift rule, each shifted circuit
estimated with ``N`` shots. A gate ``U(v) = sum_k exp(i w_k v) M_k`` makes an
expectation a trigonometric polynomial in ``v`` whose frequencies are the differences
``w_k - w_l``; for the supported gates they are multiples ``r * b``, ``r = 1..R``, of one
base ``b``, and then ``f'(v) = sum_mu c_mu (f(v + s_mu) - f(v - s_mu))`` with the
``R`` equidistant shifts ``s_mu = (2 mu - 1) pi / (2 R b)`` (the two-term rule
``s = pi / 2`` of rotations is ``R = 1``, ``b = 1``; controlled rotations need
``R = 2``). A symbol used by several gates gets the sum over its gates (each gate
shifted alone). The estimate is unbiased: its mean over shots is the exact gradient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from sims.backends.noise_support import readout_coefficients
from sims.backends.statevector.gates import GateTerm


@dataclasses.dataclass(frozen=True)
class ShiftRule:
    """``f'(v) = sum_mu coefficients[mu] * (f(v + shifts[mu]) - f(v - shifts[mu]))``."""

    shifts: np.ndarray
    coefficients: np.ndarray


def shift_rule(frequencies: np.ndarray) -> ShiftRule | None:
    """The parameter-shift rule of a gate whose unitary is ``sum_k exp(i w_k v) M_k`` (None: constant).

    The expectation is ``a_0 + sum_r (a_r cos(W_r v) + b_r sin(W_r v))`` over the distinct
    positive differences ``W_r`` of ``frequencies``, and ``f'(v) = sum_r W_r b_r``. When the
    ``W_r`` are multiples ``1..R`` of one base (every supported gate), the ``R`` equidistant
    shifts ``(2 mu - 1) pi / (2 R base)`` determine the ``b_r`` exactly (``R = 1``: the two-term
    rule of rotations); otherwise ``2R`` shifts and a least-squares solve (still exact: the
    system has full rank).
    """
    differences = np.abs(np.subtract.outer(frequencies, frequencies)).ravel()
    spectrum = np.unique(np.round(differences[differences > 1e-9], 12))
    if not len(spectrum):
        return None
    base = spectrum.min()
    multiples = spectrum / base
    if np.all(np.abs(multiples - np.round(multiples)) < 1e-8):
        spectrum = base * np.arange(1, int(round(multiples.max())) + 1)  # fill the gaps: 1..R x base
        count = len(spectrum)
    else:
        count = 2 * len(spectrum)
    shifts = np.pi * (np.arange(count) + 0.5) / (count * base) if count == len(spectrum) else \
        np.pi * (np.arange(count) + 0.5) / (2 * len(spectrum) * base)
    sines = 2 * np.sin(np.outer(shifts, spectrum))  # f(v + s) - f(v - s) = sines @ b
    coefficients = spectrum @ np.linalg.pinv(sines)
    return ShiftRule(shifts, coefficients)


@dataclasses.dataclass(frozen=True)
class ShiftTable:
    """Every shifted evaluation of a circuit whose gates each have their own symbol.

    Attributes:
        shifts: ``[E, O]``: evaluation ``e`` moves gate ``o``'s value by ``shifts[e, o]``.
        weights: ``[E, O]``: ``d f / d v_o = sum_e weights[e, o] * f(evaluation e)``.
    """

    shifts: np.ndarray
    weights: np.ndarray

    @property
    def evaluations(self) -> int:
        return len(self.shifts)


def shift_table(terms: Sequence[GateTerm]) -> ShiftTable:
    """The table for gate terms whose symbol is their own index (``split_occurrences``), one rule each."""
    seen: dict[int, GateTerm] = {}
    for term in terms:  # a density plan holds each gate twice (U and its conjugate): one rule
        if term.symbol is not None:
            seen.setdefault(term.symbol, term)
    seen = dict(sorted(seen.items()))
    count = len(seen)
    rows_shift, rows_weight = [], []
    for symbol, term in seen.items():
        rule = shift_rule(term.frequencies)
        if rule is None:
            continue
        for s, c in zip(rule.shifts, rule.coefficients, strict=True):
            for sign in (1.0, -1.0):
                shift, weight = np.zeros(count), np.zeros(count)
                shift[symbol], weight[symbol] = sign * s, sign * c
                rows_shift.append(shift)
                rows_weight.append(weight)
    if not rows_shift:
        return ShiftTable(np.zeros((0, count)), np.zeros((0, count)))
    return ShiftTable(np.stack(rows_shift), np.stack(rows_weight))


class ShotEstimator:
    """Sampled readouts of one circuit and their parameter-shift gradients, in TensorFlow.

    Args:
        occurrence_plans: the circuit's plans with one per-sample symbol per gate
            (``CircuitPlans(..., occurrences=True)``), noise included.
        readouts: the readouts (their coefficients scale the sampled Pauli means).
        factors: ``[R]`` readout-error factors on exact expectations.
        repetitions: shots per readout.
        seed: seed of the shot sampler.
        chunk: shifted circuits evaluated at once (bounds the memory of the gradient).
    """

    def __init__(self, occurrence_plans, readouts: Sequence, factors: np.ndarray, repetitions: int, seed: int,
                 chunk: int):
        from sims.tf_env import tf

        self.plans = occurrence_plans
        self.program = occurrence_plans.program(chunk)
        self.table = shift_table(occurrence_plans.terms)
        self.origin = np.asarray(occurrence_plans.origin, dtype=np.int64)
        self.coefficients = readout_coefficients(readouts)
        self.factors = np.asarray(factors, dtype=float)
        self.repetitions = repetitions
        self.chunk = chunk
        self.generator = tf.random.Generator.from_seed(seed)

    def sample(self, exact):
        """``[..., R]`` shot estimates from exact (noiseless-readout) expectations ``[..., R]``."""
        from sims.tf_env import tf

        scale = tf.constant(self.coefficients, exact.dtype)
        safe = tf.where(scale == 0, tf.ones_like(scale), scale)
        mean = tf.cast(exact / safe * tf.constant(self.factors, exact.dtype), tf.float64)
        probability = tf.clip_by_value((1.0 + mean) / 2.0, 0.0, 1.0)
        trials = tf.fill(tf.shape(probability), tf.constant(float(self.repetitions), tf.float64))
        counts = self.generator.binomial(tf.shape(probability), counts=trials, probs=probability, dtype=tf.float64)
        return tf.cast(2.0 * counts / self.repetitions - 1.0, exact.dtype) * scale

    def gradients(self, values, upstream):
        """``d loss / d values`` ``[batch, S]`` for per-sample symbol values ``[batch, S]`` and
        ``upstream = d loss / d readouts`` ``[batch, R]``: parameter shift, every shifted circuit sampled."""
        from sims.tf_env import tf

        dtype = values.dtype
        table = self.table
        if table.evaluations == 0:
            return tf.zeros_like(values)
        batch = tf.shape(values)[0]
        gates = tf.gather(values, self.origin, axis=1)  # [batch, O]
        shifted = gates[:, None, :] + tf.constant(table.shifts, dtype)[None]  # [batch, E, O]
        rows = tf.reshape(shifted, [-1, len(self.origin)])
        count = tf.shape(rows)[0]
        # A known row count needs no padding beyond itself (a small batch must not run a whole chunk).
        chunk = self.chunk if rows.shape[0] is None else max(1, min(self.chunk, int(rows.shape[0])))
        program = self.plans.program(chunk)
        chunks = (count + chunk - 1) // chunk
        padded = tf.pad(rows, [[0, chunks * chunk - count], [0, 0]])
        exact = tf.map_fn(lambda part: program.expectations(part, None, chunk),
                          tf.reshape(padded, [chunks, chunk, len(self.origin)]),
                          fn_output_signature=tf.TensorSpec([chunk, len(self.coefficients)], dtype))
        exact = tf.reshape(exact, [-1, len(self.coefficients)])[:count]
        sampled = tf.reshape(self.sample(exact), [batch, table.evaluations, len(self.coefficients)])
        per_gate = tf.einsum("ber,br,eo->bo", sampled, tf.cast(upstream, dtype), tf.constant(table.weights, dtype))
        onehot = np.zeros((len(self.origin), values.shape[1]))
        onehot[np.arange(len(self.origin)), self.origin] = 1.0
        return tf.matmul(per_gate, tf.constant(onehot, dtype))
