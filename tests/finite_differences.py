"""Central finite differences, shared by the gradient tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_differences(f: Callable[[np.ndarray, np.ndarray], float], x0: np.ndarray, w0: np.ndarray,
                        eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(df/dx, df/dw)`` of ``f(x, w)`` at ``(x0, w0)`` by central differences."""
    fd_w = np.array([(f(x0, w0 + eps * e) - f(x0, w0 - eps * e)) / (2 * eps) for e in np.eye(len(w0))])
    fd_x = np.zeros_like(x0)
    for index in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[index] = eps
        fd_x[index] = (f(x0 + d, w0) - f(x0 - d, w0)) / (2 * eps)
    return fd_x, fd_w


def assert_directional_gradients_match(program, data: np.ndarray, weights: np.ndarray, readout_weights: np.ndarray,
                                       rng: np.random.Generator, h: float = 1e-6) -> None:
    """A program's gradients for its per-sample values and its weights, each along a random direction,
    against central differences of ``sum(expectations * readout_weights)`` (float64 programs)."""
    from sims.tf_env import tf

    batch = len(data)

    def loss(x, w):
        return tf.reduce_sum(program.expectations(x, w, batch) * readout_weights)

    x, w = tf.constant(data), tf.constant(weights)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, w])
        value = loss(x, w)
    dx, dw = rng.normal(size=data.shape), rng.normal(size=weights.shape)
    fd_x = (loss(x + h * dx, w) - loss(x - h * dx, w)).numpy() / (2 * h)
    fd_w = (loss(x, w + h * dw) - loss(x, w - h * dw)).numpy() / (2 * h)
    np.testing.assert_allclose(np.sum(tape.gradient(value, x).numpy() * dx), fd_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tape.gradient(value, w).numpy() @ dw, fd_w, rtol=1e-6, atol=1e-8)
