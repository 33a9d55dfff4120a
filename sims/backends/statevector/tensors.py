"""Small TensorFlow helpers of the engine: constants from plan tables, complex <-> real views, qubit moves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sims.tf_env import in_xla_context, tf

_EAGER_CONSTANTS: dict[tuple[int, object], tuple[np.ndarray, tf.Tensor]] = {}


def const(array: np.ndarray, dtype) -> tf.Tensor:
    """``tf.constant(array, dtype)``, converted once per array when running eagerly.

    Plans hold their tables as numpy arrays; in eager mode (one-off calls such as
    descriptors) converting them again on every call costs more than the arithmetic.
    """
    if not tf.executing_eagerly():
        return tf.constant(array, dtype)
    key = (id(array), dtype)
    hit = _EAGER_CONSTANTS.get(key)
    if hit is None or hit[0] is not array:
        if len(_EAGER_CONSTANTS) > 20000:
            _EAGER_CONSTANTS.clear()
        hit = (array, tf.constant(array, dtype))
        _EAGER_CONSTANTS[key] = hit  # keeps the array alive, so its id is not reused
    return hit[1]


def stored(x: tf.Tensor) -> tf.Tensor:
    """``x``; under XLA, computed once into memory before its consumers read it.

    XLA fuses elementwise producers into their consumers, also where the consumer broadcasts: a
    shared phase ``cos(angle)`` of ``[1, 2^n]`` multiplied into the states ``[batch, 2^n]`` is then
    recomputed for every sample (8 qubits, batch 2048: 1.76 ms against 0.47 ms with the vector
    stored; ``benchmarks/xla_fusion.py``). XLA never fuses a reduction into its consumers, so the sum of
    ``x`` and zeros is stored once. Use it on small tensors of costly values (cosines, sines, gate
    products) that a large tensor broadcasts.
    """
    if not in_xla_context():
        return x
    return tf.reduce_sum(tf.stack([x, tf.zeros_like(x)]), axis=0)


# Gathers from at most this many entries x picked ones run under XLA as one product with a 0/1 matrix.
ONE_HOT_MAX_ENTRIES = 1 << 16


def take(x: tf.Tensor, index) -> tf.Tensor:
    """``tf.gather(x, index, axis=-1)`` for a constant ``index`` (any shape, repeats allowed).

    Under XLA the gradient of a gather is a scatter, which XLA's CPU backend runs as a serial loop
    (sim_06 at batch 128: about 6% of a training step in three such loops). A small gather is
    instead a product with a constant 0/1 matrix, whose gradient is a product too.
    """
    index = np.asarray(index, dtype=np.int64)
    size = x.shape[-1]
    if not in_xla_context() or size is None or size * index.size > ONE_HOT_MAX_ENTRIES:
        return tf.gather(x, index, axis=-1)
    one_hot = np.zeros((size, index.size))
    one_hot[index.reshape(-1), np.arange(index.size)] = 1
    picked = tf.tensordot(x, tf.constant(one_hot, x.dtype), axes=1)
    return tf.reshape(picked, tf.concat([tf.shape(x)[:-1], index.shape], axis=0))


def permute_columns(x: tf.Tensor, source: np.ndarray, axis: int = 1) -> tf.Tensor:
    """``tf.gather(x, source, axis=axis)`` for a permutation ``source``, with the inverse permutation as
    its gradient (a gather, where TensorFlow's gather gradient is a scatter: a serial loop under XLA)."""
    inverse = np.argsort(source)

    @tf.custom_gradient
    def gathered(y):
        def grad(g):
            return tf.gather(g, inverse, axis=axis)

        return tf.gather(y, source, axis=axis), grad

    return gathered(x)


def unit_phase(angle: tf.Tensor) -> tf.Tensor:
    """``exp(i angle)`` for real ``angle``, built from its cosine and sine (``tf.exp`` of an imaginary
    tensor would first make it complex and exponentiate its zero real part too)."""
    return tf.complex(tf.cos(angle), tf.sin(angle))


def as_real(z: tf.Tensor) -> tf.Tensor:
    """Complex ``[..., m]`` -> real ``[..., m, 2]``: a bitcast (no copy), or under XLA, which refuses
    complex bitcasts, a stack of the real and imaginary parts (a copy, which XLA fuses away)."""
    if in_xla_context():
        return tf.stack([tf.math.real(z), tf.math.imag(z)], axis=-1)
    return _bitcast_real(z)


def as_complex(x: tf.Tensor) -> tf.Tensor:
    """Real ``[..., m, 2]`` -> complex ``[..., m]``: a bitcast, or under XLA a ``tf.complex``."""
    if in_xla_context():
        return tf.complex(x[..., 0], x[..., 1])
    return _bitcast_complex(x)


@tf.custom_gradient
def _bitcast_real(z: tf.Tensor):
    real = tf.float32 if z.dtype == tf.complex64 else tf.float64

    def grad(g):
        return tf.bitcast(g, z.dtype)  # d/d(re) + i d/d(im): TensorFlow's convention for complex inputs

    return tf.bitcast(z, real), grad


@tf.custom_gradient
def _bitcast_complex(x: tf.Tensor):
    complex_dtype = tf.complex64 if x.dtype == tf.float32 else tf.complex128

    def grad(g):
        return tf.bitcast(g, x.dtype)

    return tf.bitcast(x, complex_dtype), grad


def permute_qubits(z: tf.Tensor, n: int, axes: Sequence[int]) -> tf.Tensor:
    """``z [batch, 2^n]``: reorders the qubit axes so that new axis ``i`` is old axis ``axes[i]``.

    Axes that stay neighbours in the same order are merged first (:func:`transpose_merged`):
    TensorFlow's transpose is fast on a few large axes and very slow on many axes of size 2.
    """
    moved = transpose_merged(z, [-1] + [2] * n, [0] + [1 + a for a in axes])
    return tf.reshape(moved, [-1, 2 ** n])


def transpose_merged(x: tf.Tensor, sizes: Sequence[int], perm: Sequence[int]) -> tf.Tensor:
    """``x`` viewed with axes of ``sizes`` (one may be -1), transposed by ``perm``; axes that stay
    neighbours in the same order are merged first. Returns the transposed tensor in its merged
    shape (the caller reshapes it)."""
    groups: list[list[int]] = []
    for a in perm:
        if groups and groups[-1][-1] + 1 == a:
            groups[-1].append(a)
        else:
            groups.append([a])
    old = sorted(groups, key=lambda g: g[0])

    def size(group: list[int]) -> int:
        return -1 if any(sizes[a] == -1 for a in group) else int(np.prod([sizes[a] for a in group]))

    return tf.transpose(tf.reshape(x, [size(g) for g in old]), [old.index(g) for g in groups])
