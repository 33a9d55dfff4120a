"""Kernels: gates, Kronecker layers, phase runs and fused blocks applied to a batch of states.

A state is ``[batch, 2^n]`` (complex) or its real view ``[batch, 2^n, 2]`` (real and
imaginary parts interleaved), so that applying a fused block is one real matrix product:
TensorFlow's real GEMM is several times faster on the CPU than its complex one, and it is
the same code on a GPU.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence

import numpy as np

from sims.backends.statevector.gates import GateTerm
from sims.backends.statevector.plan import (
    EMBED_MAX_QUBITS,
    KRON_CHUNK_QUBITS,
    DenseBlock,
    KronLayer,
    PhaseRun,
    RecipeStep,
    SampledChannel,
)
from sims.backends.statevector.tensors import const, permute_columns, stored, take, unit_phase
from sims.backends.statevector.values import SymbolValues
from sims.tf_env import tf

LETTERS = string.ascii_lowercase


def gate_matrix(term: GateTerm, values: SymbolValues, complex_dtype) -> tf.Tensor:
    """``U(v)`` as a complex tensor ``[1 or batch, d, d]``."""
    matrices = const(term.matrices, complex_dtype)
    if term.symbol is None:
        return matrices[:1]
    return tf.einsum("sk,kij->sij", values.phases(term, complex_dtype), matrices)


def single_qubit_product(terms: Sequence[GateTerm], values: SymbolValues, complex_dtype) -> tf.Tensor:
    """``u = g_m ... g_1`` for gates applied in order on one qubit, ``[1 or batch, 2, 2]``."""
    u = None
    for term in terms:
        g = gate_matrix(term, values, complex_dtype)
        u = g if u is None else tf.matmul(g, u)
    return u


def _kron(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Batched Kronecker product ``[s, p, q] x [s, r, t] -> [s, p r, q t]``."""
    out = a[:, :, None, :, None] * b[:, None, :, None, :]
    shape = tf.shape(out)
    return tf.reshape(out, [shape[0], a.shape[1] * b.shape[1], a.shape[2] * b.shape[2]])


def _kron_factors(layer: KronLayer, k: int, values: SymbolValues, complex_dtype) -> list[tf.Tensor]:
    """One ``[s, 2, 2]`` factor per qubit position (identity where the layer has no gate)."""
    eye = tf.eye(2, batch_shape=[1], dtype=complex_dtype)
    factors = [eye] * k
    for qubit, terms in zip(layer.qubits, layer.gates, strict=True):
        factors[qubit] = single_qubit_product(terms, values, complex_dtype)
    return factors


def _match_batch(t: tf.Tensor, matrix: tf.Tensor) -> tf.Tensor:
    """Broadcasts shared rows ``t [1, ...]`` to a per-sample matrix's batch."""
    if t.shape[0] == 1 and matrix.shape[0] != 1:
        return tf.broadcast_to(t, tf.concat([tf.shape(matrix)[:1], tf.shape(t)[1:]], axis=0))
    return t


def _apply_columns(t: tf.Tensor, matrix: tf.Tensor, start: int, width: int, k: int) -> tf.Tensor:
    """``t [s, rows, 2^k]``: applies ``matrix [s, 2^w, 2^w]`` to qubit positions ``start..start+w-1``."""
    t = _match_batch(t, matrix)
    if start == 0 and width == k:
        # On every column: a plain (batched) product. TensorFlow's einsum took 4x its time here
        # (16 x 16 on [16, 16, 16], forward and gradient; sim_06 at 8 qubits, batch 128: 2.8 -> 2.3 ms).
        return tf.matmul(t, matrix, transpose_b=True)
    shape = tf.shape(t)
    view = tf.reshape(t, [shape[0], shape[1], 2 ** start, 2 ** width, 2 ** (k - start - width)])
    if matrix.shape[0] == 1:
        out = tf.einsum("ij,srajb->sraib", matrix[0], view)
    else:
        out = tf.einsum("sij,srajb->sraib", matrix, view)
    return tf.reshape(out, shape)


def _gate_view(k: int, qubits: Sequence[int]) -> tuple[list[int], str, str, str]:
    """A view of ``[s, rows, 2^k]`` with an axis of 2 per gate qubit and the gaps merged.

    TensorFlow's einsum and transpose are slow on many axes of size 2; merging the
    untouched neighbours keeps the rank small. Returns ``(dims, view letters, gate input
    letters, output letters)`` (letters after ``S`` and ``R``).
    """
    dims: list[int] = []
    view, out = "", ""
    gate_letter = {q: LETTERS[12 + i] for i, q in enumerate(qubits)}  # m..: output letters of the gate
    gap = 0
    for position in range(k):
        if position in gate_letter:
            if gap:
                letter = LETTERS[len(dims)]
                dims.append(2 ** gap)
                view, out = view + letter, out + letter
                gap = 0
            letter = LETTERS[len(dims)]
            dims.append(2)
            view, out = view + letter, out + gate_letter[position]
        else:
            gap += 1
    if gap:
        letter = LETTERS[len(dims)]
        dims.append(2 ** gap)
        view, out = view + letter, out + letter
    position_letter = {q: view[[p for p in range(k) if p in gate_letter].index(q) + _gaps_before(k, gate_letter, q)]
                       for q in qubits}
    old = "".join(position_letter[q] for q in qubits)
    return dims, view, old, out


def _gaps_before(k: int, gate_qubits, q: int) -> int:
    """Merged gap axes before gate qubit ``q`` in :func:`_gate_view`'s view."""
    count, gap = 0, False
    for position in range(q):
        if position in gate_qubits:
            gap = False
        elif not gap:
            count, gap = count + 1, True
    return count


# Embedding a gate as a full 2^k x 2^k matrix (one gather, one small matrix product) pays on a
# block's own matrix when the einsum's view would have this many axes (gate qubits one apart:
# TensorFlow's einsum on five axes of size 2 took 4-5x longer on a 32 x 32 matrix, forward and
# gradient), up to plan.EMBED_MAX_QUBITS: at 6 qubits the plans got slower in a full step (sim_07,
# sim_11 depth 2: 1.08-1.11x), at 7 the product's arithmetic costs more than the einsum.
EMBED_MIN_VIEW_AXES = 5


@functools.lru_cache(maxsize=1024)
def embedding_index(k: int, qubits: tuple[int, ...]) -> np.ndarray:
    """``[2^k, 2^k]`` positions in a gate's flattened ``[2^m, 2^m]`` matrix (``4^m``: a zero) so that
    ``rows @ gather(gate, index)`` applies the gate on ``qubits`` to every row (``index[i, j]``: the
    gate's entry from basis state ``i`` to ``j``)."""
    m = len(qubits)
    basis = np.arange(2 ** k)
    bits = (basis[:, None] >> (k - 1 - np.arange(k))) & 1
    others = [q for q in range(k) if q not in qubits]
    sub = bits[:, list(qubits)] @ (1 << np.arange(m - 1, -1, -1))
    rest = bits[:, others] @ (1 << np.arange(len(others) - 1, -1, -1)) if others else np.zeros(2 ** k, int)
    index = sub[None, :] * 2 ** m + sub[:, None]  # entry (out, in) of the gate, for (in = i, out = j)
    return np.where(rest[:, None] == rest[None, :], index, 4 ** m)


def _apply_embedded(t: tf.Tensor, matrix: tf.Tensor, qubits: Sequence[int], k: int) -> tf.Tensor:
    """``t [1, rows, 2^k]`` times the shared gate ``matrix [1, 2^m, 2^m]`` written on all ``k`` qubits."""
    entries = tf.concat([tf.reshape(matrix, [-1]), tf.zeros([1], matrix.dtype)], axis=0)
    return tf.matmul(t, take(entries, embedding_index(k, tuple(qubits)))[None])


def _apply_gate(t: tf.Tensor, matrix: tf.Tensor, qubits: Sequence[int], k: int) -> tf.Tensor:
    """``t [s, rows, 2^k]``: applies a gate ``[s, 2^m, 2^m]`` on any qubit positions."""
    m = len(qubits)
    dims, view, old, out = _gate_view(k, qubits)
    if len(dims) >= EMBED_MIN_VIEW_AXES and k <= EMBED_MAX_QUBITS and matrix.shape[0] == 1 \
            and t.shape[0] == 1 and t.shape[1] is not None and t.shape[1] <= 2 ** k:
        return _apply_embedded(t, matrix, qubits, k)
    t = _match_batch(t, matrix)
    shape = tf.shape(t)
    new = "".join(LETTERS[12 + i] for i in range(m))
    viewed = tf.reshape(t, tf.concat([shape[:2], dims], axis=0))
    gate = tf.reshape(matrix, [-1] + [2] * (2 * m))
    if matrix.shape[0] == 1:
        result = tf.einsum(f"{new}{old},SR{view}->SR{out}", gate[0], viewed)
    else:
        result = tf.einsum(f"S{new}{old},SR{view}->SR{out}", gate, viewed)
    return tf.reshape(result, shape)


def phase_angles(step: PhaseRun, values: SymbolValues, dtype) -> tf.Tensor:
    """``[batch or 1, 2^n]`` angles ``alpha + values @ omega``."""
    angle = const(step.alpha, dtype)[None]
    if step.symbols:
        angle = angle + tf.matmul(values.stacked(step.symbols), const(step.omega, dtype))
    return angle


def conditioned_phases(step: PhaseRun, values: SymbolValues, k: int, complex_dtype) -> tf.Tensor:
    """``[C, 1, 2^k]`` phases of a run over a conditioned block's qubits and its condition qubits (shared
    values only), one row per condition basis state.

    Such a run has no permutation on the condition qubits (they are touched by diagonal gates only),
    so a permutation of the block's qubits would be the same for every row: the planner keeps those
    out (see :func:`~.plan.recipe`).
    """
    if step.source is not None:
        raise ValueError("a conditioned block's phase run cannot permute its qubits")
    angle = tf.reshape(phase_angles(step, values, complex_dtype.real_dtype), [-1, 1, 2 ** k])
    return stored(unit_phase(angle))


def block_matrix(block: DenseBlock, values: SymbolValues, complex_dtype) -> tf.Tensor:
    """``R [s, d, d]`` with ``R[:, i, j] = (U e_i)_j``: the block's recipe run on every basis state.

    A conditioned block (:attr:`~.plan.DenseBlock.condition`) gives one matrix per basis state of its
    condition qubits: ``s = 2^c`` (its values are shared by the batch)."""
    k = len(block.qubits)
    steps: Sequence[RecipeStep] = block.recipe
    if steps and isinstance(steps[0], KronLayer):  # on the identity: R = (kron u)^T
        factors = _kron_factors(steps[0], k, values, complex_dtype)
        t = factors[0]
        for f in factors[1:]:
            t = _kron(t, f)
        t = tf.linalg.matrix_transpose(t)
        steps = steps[1:]
    else:
        t = tf.eye(2 ** k, batch_shape=[1], dtype=complex_dtype)
    for step in steps:
        t = apply_recipe_step(t, step, values, k, complex_dtype)
    return t


def apply_recipe_step(t: tf.Tensor, step: RecipeStep, values: SymbolValues, k: int, complex_dtype) -> tf.Tensor:
    """One recipe step on complex rows ``t [s, rows, 2^k]``."""
    if isinstance(step, KronLayer):
        if any(values.is_per_sample(term.symbol) for terms in step.gates for term in terms):
            for qubit, terms in zip(step.qubits, step.gates, strict=True):  # no per-sample matrices: see apply_term
                for term in terms:
                    t = apply_term(t, term, (qubit,), k, values, complex_dtype)
            return t
        factors = _kron_factors(step, k, values, complex_dtype)
        gated = set(step.qubits)
        for start in range(0, k, KRON_CHUNK_QUBITS):
            window = range(start, min(start + KRON_CHUNK_QUBITS, k))
            if not gated & set(window):
                continue
            chunk = factors[window[0]]
            for position in window[1:]:
                chunk = _kron(chunk, factors[position])
            t = _apply_columns(t, chunk, window[0], len(window), k)
        return t
    if isinstance(step, PhaseRun):
        if step.n > k:  # a conditioned block's run: a phase per condition basis state (rows of the table)
            return t * conditioned_phases(step, values, k, complex_dtype)
        if step.source is not None:
            t = permute_columns(t, step.source, axis=2)
        angle = phase_angles(step, values, complex_dtype.real_dtype)
        return t * stored(unit_phase(angle))[:, None, :]  # broadcast over rows
    return apply_term(t, step.term, step.term.qubits, k, values, complex_dtype)


def apply_term(t: tf.Tensor, term: GateTerm, qubits: Sequence[int], k: int, values: SymbolValues,
               complex_dtype) -> tf.Tensor:
    """One gate on ``t [s, rows, 2^k]``.

    A gate with a per-sample value is applied as ``sum_k exp(i omega_k v) (M_k psi)``:
    products with the constant ``M_k`` (large, efficient) weighted by per-sample
    phases, instead of one tiny matrix product per sample.
    """
    if not values.is_per_sample(term.symbol):
        return _apply_gate(t, gate_matrix(term, values, complex_dtype), qubits, k)
    m = len(qubits)
    dims, view, old, out = _gate_view(k, qubits)
    new = "".join(LETTERS[12 + i] for i in range(m))
    rows = t.shape[1]
    viewed = tf.reshape(t, [-1, rows] + dims)
    matrices = tf.reshape(const(term.matrices, complex_dtype), [-1] + [2] * (2 * m))
    parts = tf.einsum(f"K{new}{old},SR{view}->KSR{out}", matrices, viewed)
    phases = tf.reshape(tf.transpose(values.phases(term, complex_dtype)),
                        [len(term.frequencies), -1] + [1] * (len(dims) + 1))
    return tf.reshape(tf.reduce_sum(parts * phases, axis=0), [-1, rows, 2 ** k])


def real_form(matrix: tf.Tensor) -> tf.Tensor:
    """``[s, d, d]`` complex ``R`` -> ``[s, 2d, 2d]`` real ``M`` acting on interleaved rows: ``x @ M``."""
    re, im = tf.math.real(matrix), tf.math.imag(matrix)
    top = tf.stack([re, im], axis=-1)  # rows (i, re): [s, i, j, q]
    bottom = tf.stack([-im, re], axis=-1)  # rows (i, im)
    m4 = tf.stack([top, bottom], axis=2)  # [s, i, p, j, q]
    d = matrix.shape[-1]
    return tf.reshape(m4, [-1, 2 * d, 2 * d])


def sample_kraus(z: tf.Tensor, step: SampledChannel, values: SymbolValues, n: int) -> tf.Tensor:
    """One trajectory step of a channel on complex states ``z [batch, 2^n]``.

    Each row applies ``K_j / sqrt(p_j)`` with ``j`` drawn by its uniform value from
    ``p_j = <psi|K_j^dagger K_j|psi>`` (from the reduced density matrix of the channel's
    qubits: two passes over the states, not one per Kraus operator). The probabilities are
    constants to autodiff, so a row's state is ``K psi / sqrt(P)`` with ``P`` the path's
    probability held fixed: the gradient of a readout of such rows is, on average over the
    draws, the gradient of the exact expectation (see :mod:`.trajectories`).
    """
    m = len(step.positions)
    d = 2 ** m
    dims, view, old, out = _gate_view(n, step.positions)
    new = "".join(LETTERS[12 + i] for i in range(m))
    held = tf.stop_gradient(z)
    viewed = tf.reshape(held, [-1, 1] + dims)
    reduced = tf.reshape(tf.einsum(f"SR{view},SR{out}->S{old}{new}", viewed, tf.math.conj(viewed)), [-1, d, d])
    kraus = const(step.kraus, z.dtype)
    effects = const(step.effects, z.dtype)  # K^dagger K
    # p_j = Tr(E_j rho) with rho[i, l] = psi_i conj(psi_l): sum_il E_j[l, i] rho[i, l]
    probabilities = tf.math.real(tf.einsum("kli,sil->sk", effects, reduced))
    cumulative = tf.math.cumsum(probabilities, axis=1)
    threshold = values.value(step.draw)[:, None] * cumulative[:, -1:]
    choice = tf.reduce_sum(tf.cast(threshold >= cumulative[:, :-1], tf.int32), axis=1)
    chosen = tf.gather(probabilities, choice, batch_dims=1)
    scale = tf.math.rsqrt(tf.maximum(chosen, tf.constant(1e-30, chosen.dtype)))
    matrices = tf.gather(kraus, choice) * tf.cast(scale, z.dtype)[:, None, None]
    return tf.reshape(_apply_gate(z[:, None, :], matrices, step.positions, n), [-1, 2 ** n])
