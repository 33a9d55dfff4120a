"""Every registered ansatz, built-in or plugin, is tested here the moment it is registered."""

import numpy as np
import pytest

import plugins
from qcircuits import ConfigurationError
from sims.backends import REGISTRY, backend_names, make_backend

NAMES = plugins.list_ansatze()
# Every registered backend that runs on this machine's CPU, compared with the reference.
CPU_BACKENDS = [n for n in backend_names() if n != "cirq" and (not REGISTRY[n].gpu or n == "statevector")]
CASES = [(2, 1), (3, 2), (5, 1)]
ENTANGLEMENTS = [None, "linear", "full", "circular", "sca"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("qubits, depth", CASES)
@pytest.mark.parametrize("entanglement", ENTANGLEMENTS)
def test_ansatz_builds_and_matches_its_declared_shape(name, qubits, depth, entanglement):
    options = {"qubits": qubits, "depth": depth}
    if entanglement is not None:
        options["entanglement"] = entanglement
    try:
        ansatz = plugins.create(name, **options)
    except ConfigurationError as exc:
        # A family may fix its entanglement, bound its depth or need more qubits; it must say so.
        assert any(k in str(exc) for k in ("fixes", "depth must be", "qubits must be >=")), exc
        return
    assert ansatz.n_qubits == qubits
    assert ansatz.depth == depth
    assert ansatz.n_weights == plugins.shape(name, **options)
    assert plugins.contract_problems(ansatz) == []
    rebuilt = plugins.create(name, **ansatz.options)
    assert rebuilt.circuit == ansatz.circuit


@pytest.mark.tf  # the statevector and tfq backends
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("encoding", ["angle_y", "dense_angle", "iqp"])
def test_every_backend_agrees_with_cirq_on_expectations(name, encoding):
    ansatz = plugins.create(name, qubits=4, depth=2, encoding=encoding)
    values = ansatz.random_parameter_values(8, np.random.default_rng(1))
    reference = make_backend("cirq").expectations(ansatz, values)
    assert np.ptp(reference) > 0.01  # the parameters actually change the outputs
    for backend in CPU_BACKENDS:
        out = make_backend(backend).expectations(ansatz, values)
        assert out.shape == (8, ansatz.n_readouts), backend
        np.testing.assert_allclose(out, reference, atol=2e-5, err_msg=backend)


@pytest.mark.parametrize("name", NAMES)
def test_reupload_repeats_the_encoding_when_offered(name):
    try:
        ansatz = plugins.create(name, qubits=4, depth=2, reupload=True)
    except ConfigurationError as exc:
        assert "reupload" in str(exc)
        return
    once = plugins.create(name, qubits=4, depth=2)
    def count(a):
        return sum(1 for op in a.circuit.all_operations() if "x_0" in str(op))
    assert count(ansatz) == 2 * count(once)


@pytest.mark.tf  # checked on the statevector engine
@pytest.mark.parametrize("name", NAMES)
def test_per_layer_reupload_gives_each_layer_its_own_features(name):
    depth = 2
    try:
        ansatz = plugins.create(name, qubits=4, depth=depth, reupload="per_layer")
    except ConfigurationError as exc:
        assert "reupload" in str(exc)
        return
    shared = plugins.create(name, qubits=4, depth=depth, reupload=True)
    assert ansatz.n_features == depth * shared.n_features
    assert plugins.create(name, **ansatz.options).circuit == ansatz.circuit
    # The same features in every layer reproduce the shared re-uploading circuit exactly.
    rng = np.random.default_rng(2)
    features, weights = rng.uniform(-2, 2, (5, shared.n_features)), rng.uniform(-2, 2, shared.n_weights)
    backend = make_backend("statevector")
    np.testing.assert_allclose(
        backend.expectations(ansatz, ansatz.parameter_values(np.tile(features, depth), weights)),
        backend.expectations(shared, shared.parameter_values(features, weights)), atol=1e-5)
    # Other features in layer 2 change the outputs: they are read.
    other = np.concatenate([features, features[::-1]], axis=-1)
    assert not np.allclose(backend.expectations(ansatz, ansatz.parameter_values(other, weights)),
                           backend.expectations(shared, shared.parameter_values(features, weights)), atol=1e-3)


PLANNING_BATCHES = (1, 7, 128, 2048)


@pytest.mark.tf
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("qubits", [6])  # where the choice changes with the batch (4 qubits: one plan)
def test_every_plan_the_planner_picks_for_a_batch_size_agrees_with_cirq_forward_and_gradient(name, qubits):
    """The plan depends on the batch size (sims.backends.statevector.plan.plan_cost): each plan picked
    for batch 1, 7, 128 or 2048, for plain TensorFlow or XLA, gives cirq's readouts, and its autodiff
    gradients (inputs and weights) match central differences along a random direction. Batches 1 and 7
    also run at their own size. At 4 qubits every batch gets the same plan, which
    test_every_backend_agrees_with_cirq checks."""
    from sims.backends.statevector.engine import ansatz_plans
    from sims.tf_env import tf

    try:
        ansatz = plugins.create(name, qubits=qubits, depth=2)
    except ConfigurationError:
        ansatz = plugins.create(name, qubits=qubits)  # a family with a fixed depth
    plans = ansatz_plans(ansatz, dtype=tf.float64)
    picks = [plans.plan_for(b, xla) for b in PLANNING_BATCHES for xla in (False, True)]
    chosen = {id(plan): plan for plan in picks}
    rng = np.random.default_rng(qubits)
    values = ansatz.random_parameter_values(7, rng)
    data, weights = values[:, :ansatz.n_data_symbols], values[0, ansatz.n_data_symbols:]
    reference = make_backend("cirq").expectations(ansatz, np.concatenate([data, np.tile(weights, (7, 1))], axis=1))
    readout_weights = rng.normal(size=ansatz.n_readouts)
    for plan in chosen.values():
        program = plans.program_for_plan(plan)

        def loss(x, w, batch, program=program):
            return tf.reduce_sum(program.expectations(x, w, batch) * readout_weights)

        for batch in (1, 7):
            x = tf.constant(data[:batch] if ansatz.n_data_symbols else np.zeros((batch, 0)))
            out = program.expectations(x if ansatz.n_data_symbols else None, tf.constant(weights), batch).numpy()
            np.testing.assert_allclose(out, reference[:batch], atol=1e-9, err_msg=plan.describe())
        x, w = tf.constant(data), tf.constant(weights)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, w])
            value = loss(x if ansatz.n_data_symbols else None, w, 7)
        grad_w = tape.gradient(value, w).numpy()
        dw = rng.normal(size=weights.shape)
        h = 1e-6
        fd = (loss(x if ansatz.n_data_symbols else None, w + h * dw, 7)
              - loss(x if ansatz.n_data_symbols else None, w - h * dw, 7)).numpy() / (2 * h)
        np.testing.assert_allclose(grad_w @ dw, fd, rtol=1e-5, atol=1e-7, err_msg=plan.describe())
        if ansatz.n_data_symbols:
            grad_x = tape.gradient(value, x).numpy()
            dx = rng.normal(size=data.shape)
            fd = (loss(x + h * dx, w, 7) - loss(x - h * dx, w, 7)).numpy() / (2 * h)
            np.testing.assert_allclose(np.sum(grad_x * dx), fd, rtol=1e-5, atol=1e-7, err_msg=plan.describe())
