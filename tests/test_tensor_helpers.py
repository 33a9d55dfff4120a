"""The engine's XLA-minded helpers give the plain operations' values and gradients, compiled or not."""

import numpy as np
import pytest

from sims.backends.statevector import tensors
from sims.backends.statevector.tensors import permute_columns, stored, take, unit_phase
from sims.tf_env import in_xla_context, tf


def _value_and_gradient(fn, x, jit: bool):
    """``fn(x)`` and the gradient of a random weighting of it, in a ``tf.function`` (compiled or not)."""
    weights = None

    @tf.function(jit_compile=jit)
    def run(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = fn(v)
            loss = tf.reduce_sum(tf.math.real(y * tf.cast(weights, y.dtype)))
        return y, tape.gradient(loss, v)

    shape = fn(x).shape
    weights = tf.constant(np.random.default_rng(7).normal(size=shape), tf.float32)
    y, g = run(x)
    return y.numpy(), g.numpy()


@pytest.fixture(params=[False, True], ids=["plain", "xla"])
def jit(request):
    return request.param


def test_take_matches_gather_with_repeats_and_matrix_indices(jit):
    x = tf.constant(np.random.default_rng(0).normal(size=(5, 9)), tf.float32)
    index = np.array([[3, 3, 0], [8, 1, 3]])
    want_y, want_g = _value_and_gradient(lambda v: tf.gather(v, index, axis=-1), x, False)
    y, g = _value_and_gradient(lambda v: take(v, index), x, jit)
    assert y.shape == (5, 2, 3)
    np.testing.assert_allclose(y, want_y, atol=1e-6)
    np.testing.assert_allclose(g, want_g, atol=1e-6)  # repeats add up in the gradient


def test_take_of_a_complex_vector(jit):
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=7) + 1j * rng.normal(size=7), tf.complex64)
    index = rng.integers(0, 7, size=(4, 4))
    want = tf.gather(x, index).numpy()

    @tf.function(jit_compile=jit)
    def run():
        return take(x, index)

    np.testing.assert_allclose(run().numpy(), want, atol=1e-6)


def test_take_uses_a_product_under_xla_only_for_small_gathers(monkeypatch):
    seen = []
    real_tensordot = tf.tensordot
    monkeypatch.setattr(tf, "tensordot", lambda *a, **k: seen.append(1) or real_tensordot(*a, **k))
    x = tf.constant(np.arange(12.0).reshape(3, 4), tf.float32)

    @tf.function(jit_compile=True)
    def run():
        return take(x, [1, 2])

    np.testing.assert_array_equal(run().numpy(), [[1, 2], [5, 6], [9, 10]])
    assert seen, "a small gather under XLA should be a product with a 0/1 matrix"
    seen.clear()
    monkeypatch.setattr(tensors, "ONE_HOT_MAX_ENTRIES", 4)

    @tf.function(jit_compile=True)
    def run_large():
        return take(x, [1, 2, 3])

    np.testing.assert_array_equal(run_large().numpy(), [[1, 2, 3], [5, 6, 7], [9, 10, 11]])
    assert not seen, "a gather past ONE_HOT_MAX_ENTRIES stays a gather"


@pytest.mark.parametrize("axis", [1, 2])
def test_permute_columns_gradient_is_the_inverse_permutation(jit, axis):
    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(3, 8, 8)) + 1j * rng.normal(size=(3, 8, 8)), tf.complex64)
    source = rng.permutation(8)
    want_y, want_g = _value_and_gradient(lambda v: tf.gather(v, source, axis=axis), x, False)
    y, g = _value_and_gradient(lambda v: permute_columns(v, source, axis=axis), x, jit)
    np.testing.assert_allclose(y, want_y, atol=1e-6)
    np.testing.assert_allclose(g, want_g, atol=1e-6)


def test_stored_keeps_values_and_gradients(jit):
    angle = tf.constant(np.random.default_rng(3).uniform(-3, 3, size=(1, 16)), tf.float32)
    states = tf.constant(np.random.default_rng(4).normal(size=(6, 16)), tf.float32)
    want_y, want_g = _value_and_gradient(lambda a: states * tf.cos(a), angle, False)
    y, g = _value_and_gradient(lambda a: states * stored(tf.cos(a)), angle, jit)
    np.testing.assert_allclose(y, want_y, atol=1e-6)
    np.testing.assert_allclose(g, want_g, atol=1e-5)


@pytest.mark.parametrize("turn", [1, -1j], ids=["real part", "imaginary part"])
def test_unit_phase_is_exp_i_angle_in_value_and_gradient(jit, turn):
    angle = tf.constant(np.random.default_rng(5).uniform(-4, 4, size=(3, 8)), tf.float32)
    want_y, want_g = _value_and_gradient(lambda a: turn * tf.exp(tf.complex(tf.zeros_like(a), a)), angle, False)
    y, g = _value_and_gradient(lambda a: turn * unit_phase(a), angle, jit)
    np.testing.assert_allclose(y, want_y, atol=1e-6)
    np.testing.assert_allclose(g, want_g, atol=1e-5)
    assert np.abs(want_g).max() > 0.1  # the weighting reaches the part under test


def test_stored_is_the_tensor_itself_outside_xla():
    x = tf.constant([1.0, 2.0])
    assert not in_xla_context()
    assert stored(x) is x
