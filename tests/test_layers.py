"""QuantumLayer: agreement across backends, gradients, training, masking, save/load."""

import numpy as np
import pytest

tf_env = pytest.importorskip("sims.tf_env")
tf, keras = tf_env.tf, tf_env.keras

from finite_differences import central_differences  # noqa: E402

import plugins  # noqa: E402
from qcircuits import ConfigurationError  # noqa: E402
from sims.backends import make_backend  # noqa: E402
from sims.layers import QuantumLayer, encoding_circuits, pqc_layer, pqc_weight_order  # noqa: E402

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`

NAMES = plugins.list_ansatze()


def _reference(layer: QuantumLayer, features: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Double-precision cirq expectations for the layer's ansatz."""
    weights = layer.circuit_weights.numpy() if weights is None else weights
    values = layer.ansatz.parameter_values(features, np.broadcast_to(weights, (len(features), len(weights))))
    return make_backend("cirq").expectations(layer.ansatz, values)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("encoding", ["angle_y", "iqp"])
def test_native_qsim_and_cirq_backends_agree(name, encoding):
    x = np.random.default_rng(0).uniform(0, np.pi, (6, 3)).astype(np.float32)
    backends = ("statevector", "tfq", "qsim", "cirq")
    layers = {b: QuantumLayer(name, backend=b, qubits=3, depth=2, encoding=encoding) for b in backends}
    for layer in layers.values():
        layer.build((None, 3))
    for layer in layers.values():
        layer.set_weights(layers["tfq"].get_weights())
    out = {b: layer(x).numpy() for b, layer in layers.items()}
    np.testing.assert_allclose(out["statevector"], out["cirq"], atol=1e-5)
    np.testing.assert_allclose(out["tfq"], out["cirq"], atol=1e-5)
    np.testing.assert_allclose(out["qsim"], out["cirq"], atol=1e-5)
    np.testing.assert_allclose(out["cirq"], _reference(layers["tfq"], x), atol=1e-5)


@pytest.mark.parametrize("name, options", [
    ("hardware_efficient", {"encoding": "angle_x", "reupload": True}),
    ("strongly_entangling", {"encoding": "iqp"}),
    ("efficient_su2", {"encoding": "dense_angle", "features": 5}),
    ("tree_tensor_network", {"qubits": 4}),
])
def test_gradients_match_central_finite_differences(name, options):
    options = {"qubits": 3, "depth": 2, **options}
    options.pop("depth") if name == "tree_tensor_network" else None
    layer = QuantumLayer(name, projection="none", **options)
    n = layer.ansatz.n_features
    x = tf.constant(np.random.default_rng(1).uniform(0, np.pi, (2, n)), tf.float32)
    layer.build(x.shape)
    readout_weights = np.random.default_rng(2).normal(size=layer.n_readouts)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * readout_weights)
    grad_x = tape.gradient(loss, x).numpy()
    grad_w = tape.gradient(loss, layer.circuit_weights).numpy()

    def f(features, weights):
        return float(np.sum(_reference(layer, features, weights) * readout_weights))

    fd_x, fd_w = central_differences(f, x.numpy().astype(float), layer.circuit_weights.numpy().astype(float), 1e-4)
    np.testing.assert_allclose(grad_w, fd_w, atol=1e-3)
    np.testing.assert_allclose(grad_x, fd_x, atol=1e-3)
    assert np.abs(grad_w).max() > 1e-2  # not vacuously zero


def test_tiny_model_learns_a_two_class_problem():
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float32)  # XOR-like: not linearly separable
    model = keras.Sequential([
        keras.Input((2,)),
        QuantumLayer("hardware_efficient", qubits=2, depth=2, encoding="angle_y", reupload=True),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    accuracy = model.evaluate(x, y, verbose=0)[1]
    assert accuracy >= 0.9, accuracy


@pytest.mark.parametrize("backend", ["statevector", "tfq"])
def test_masked_sequence_equals_unpadded_tokens_and_padding_is_not_simulated(backend):
    layer = QuantumLayer("strongly_entangling", qubits=3, depth=1, backend=backend)
    x = tf.random.stateless_uniform((2, 6, 5), seed=(1, 2))
    lengths = [2, 6]
    mask = tf.sequence_mask(lengths, 6)
    out = layer(x, mask=mask).numpy()
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(out[i, :n], layer(x[i, :n]).numpy(), atol=1e-6)
        assert np.all(out[i, n:] == 0)
    ragged = layer(tf.RaggedTensor.from_tensor(x, lengths=lengths))
    np.testing.assert_allclose(ragged.flat_values.numpy(), out[mask.numpy()], atol=1e-6)


def test_keras_mask_propagates_from_an_embedding():
    tokens = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(10, 4, mask_zero=True)(tokens)
    y = QuantumLayer("basic_entangler", qubits=2, depth=1)(h)
    model = keras.Model(tokens, y)
    out = model(np.array([[3, 4, 0, 0]])).numpy()
    assert np.all(out[0, 2:] == 0) and np.any(out[0, :2] != 0)


def test_statevector_and_tfq_give_the_same_masked_and_ragged_outputs():
    layers = {b: QuantumLayer("hardware_efficient", qubits=4, depth=2, encoding="iqp", backend=b, seed=5)
              for b in ("statevector", "tfq")}
    x = tf.random.stateless_uniform((3, 5, 7), seed=(3, 4))
    lengths = [5, 1, 3]
    mask = tf.sequence_mask(lengths, 5)
    masked = {b: layer(x, mask=mask).numpy() for b, layer in layers.items()}
    layers["tfq"].set_weights(layers["statevector"].get_weights())
    masked["tfq"] = layers["tfq"](x, mask=mask).numpy()
    # both single precision; IQP products reach angles of ~10 rad, so float32 agreement is ~1e-5
    np.testing.assert_allclose(masked["statevector"], masked["tfq"], atol=5e-5)
    ragged = {b: layer(tf.RaggedTensor.from_tensor(x, lengths=lengths)).flat_values.numpy()
              for b, layer in layers.items()}
    np.testing.assert_allclose(ragged["statevector"], ragged["tfq"], atol=5e-5)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_input_is_computed_in_float(dtype):
    layer = QuantumLayer("hardware_efficient", qubits=2, depth=1, projection="none", seed=2)
    out = layer(np.array([[1, 2], [0, 3]], dtype=dtype))
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), layer(np.array([[1.0, 2.0], [0.0, 3.0]], np.float32)).numpy(), atol=1e-6)
    assert np.abs(out.numpy()).max() > 0.05  # not all zeros


def test_auto_picks_the_engine_for_small_circuits_and_tfq_for_wide_ones_and_says_why():
    from sims.backends import AUTO_TRAIN_MAX_STATEVECTOR_QUBITS as limit

    small = QuantumLayer("hardware_efficient", qubits=4)
    assert small.resolved_backend == "statevector" and "4 qubits <= " in small.backend_selection
    wide = QuantumLayer("basic_entangler", qubits=limit + 1, depth=1)
    assert wide.resolved_backend == "tfq" and "TFQ" in wide.backend_selection
    # Shots no longer send auto to TFQ: the engine samples them, with parameter-shift gradients.
    assert QuantumLayer("hardware_efficient", qubits=3, repetitions=10).resolved_backend == "statevector"


def test_float64_layer_runs_the_engine_in_complex128_unless_told_otherwise():
    layer = QuantumLayer("hardware_efficient", qubits=3, dtype="float64")
    assert layer.kernel.program.dtype == tf.float64
    single = QuantumLayer("hardware_efficient", qubits=3, dtype="float64", backend_options={"dtype": "complex64"})
    assert single.kernel.program.dtype == tf.float32
    with pytest.raises(ConfigurationError, match="Backend 'statevector' does not take option\\(s\\) threads"):
        QuantumLayer("hardware_efficient", qubits=3, backend="statevector", backend_options={"threads": 2})


@pytest.mark.parametrize("backend", ["statevector", "tfq"])
def test_functional_model_in_tf_function_and_save_load_round_trip(tmp_path, backend):
    inputs = keras.Input((6,))
    h = QuantumLayer("real_amplitudes", qubits=4, depth=2, entanglement="full", backend=backend)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(h))
    x = np.random.default_rng(3).normal(size=(4, 6)).astype(np.float32)
    graph_out = tf.function(model)(x).numpy()
    np.testing.assert_allclose(graph_out, model(x).numpy(), atol=1e-6)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    layer = next(layer for layer in loaded.layers if isinstance(layer, QuantumLayer))
    assert layer.ansatz.entanglement == "full" and layer.ansatz.n_qubits == 4
    assert layer.backend_name == backend


def test_saved_plugin_ansatz_reloads_from_its_file_and_missing_plugin_is_named(tmp_path, clean_registry):
    plugin = tmp_path / "my_layers_plugin.py"
    plugin.write_text(
        "import plugins\nfrom qcircuits import AnsatzBuilder\n"
        "@plugins.register_ansatz\n"
        "def layer_plugin_ansatz(qubits=2, depth=1, entanglement='linear', **kw):\n"
        "    b = AnsatzBuilder('layer_plugin_ansatz', qubits, depth, entanglement=entanglement, **kw)\n"
        "    b.encode(); b.rotations(('ry',)); b.entangle()\n"
        "    return b.build()\n")
    plugins.load_plugin(str(plugin))
    model = keras.Sequential([keras.Input((2,)), QuantumLayer("layer_plugin_ansatz")])
    path = tmp_path / "plugin_model.keras"
    model.save(path)
    x = np.ones((1, 2), np.float32)
    expected = model(x).numpy()
    plugins.REGISTRY.unregister("layer_plugin_ansatz")
    import sys
    for key in [k for k in sys.modules if "my_layers_plugin" in k]:
        del sys.modules[key]
    np.testing.assert_array_equal(keras.models.load_model(path)(x).numpy(), expected)  # reloaded from file
    plugins.REGISTRY.unregister("layer_plugin_ansatz")
    for key in [k for k in sys.modules if "my_layers_plugin" in k]:
        del sys.modules[key]
    plugin.unlink()
    with pytest.raises(Exception, match="'layer_plugin_ansatz' is not registered. It came from file"):
        keras.models.load_model(path)


def test_sampled_expectations_are_within_shot_noise():
    exact = QuantumLayer("hardware_efficient", qubits=3, depth=1)
    sampled = QuantumLayer("hardware_efficient", qubits=3, depth=1, repetitions=4000)
    x = np.random.default_rng(4).uniform(0, np.pi, (3, 3)).astype(np.float32)
    exact.build(x.shape), sampled.build(x.shape)
    sampled.set_weights(exact.get_weights())
    diff = np.abs(sampled(x).numpy() - exact(x).numpy())
    assert diff.max() < 5 * (1 / np.sqrt(4000))  # 5 standard deviations of +-1 outcomes
    assert diff.max() > 0  # it really sampled


def test_classic_pqc_form_matches_the_quantum_layer():
    x = np.random.default_rng(5).uniform(0, np.pi, (4, 3))
    layer = QuantumLayer("hardware_efficient", qubits=3, depth=2)
    layer.build((None, 3))
    pqc = pqc_layer("hardware_efficient", qubits=3, depth=2)
    circuits = encoding_circuits("hardware_efficient", x, qubits=3, depth=2)
    pqc(circuits)
    order = pqc_weight_order("hardware_efficient", qubits=3, depth=2)
    assert sorted(order.tolist()) == list(range(layer.ansatz.n_weights)) and order.tolist() != sorted(order.tolist())
    pqc.set_weights([layer.circuit_weights.numpy()[order]])
    np.testing.assert_allclose(pqc(circuits).numpy(), layer(x.astype(np.float32)).numpy(), atol=1e-5)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"backend": "qsim-gpu"}, ConfigurationError, "is CPU-only|no CUDA device is visible"),
    ({"backend": "tpu"}, ConfigurationError, "Unknown layer backend 'tpu'"),
    ({"projection": "pca"}, ConfigurationError, "Unknown projection 'pca'"),
    ({"repetitions": 0}, ConfigurationError, "repetitions: expected a shot count from 1 to 1,000,000,000; got 0"),
    ({"repetitions": 10 ** 12}, ConfigurationError, "expected a shot count"),
    ({"repetitions": 2.5}, ConfigurationError, "expected a shot count"),
    ({"noise": "depolarize:0.01", "backend": "qsim-gpu"}, ConfigurationError,
     r"does not take option\(s\) noise \(backends that do: cirq, qsim, statevector, tfq\)"),
    ({"noise": "depolarise:0.01"}, ConfigurationError, "unknown channel 'depolarise'; did you mean 'depolarize'"),
    ({"noise": "depolarize:1.5"}, ConfigurationError, "must be from 0 to 1; got 1.5"),
    ({"noise": "depolarize:nan"}, ConfigurationError, "must be from 0 to 1; got nan"),
    ({"noise": "depolarize=0.1"}, ConfigurationError, "is not 'channel:probability'"),
    ({"noise": 0.1}, ConfigurationError, "noise must be a spec"),
    ({"noise": "depolarize:0.01", "repetitions": 10, "backend": "tfq"}, None, None),
    ({"qubits": 40}, ConfigurationError, "40 qubits need about"),
])
def test_bad_layer_arguments_fail_at_construction(kwargs, error, match):
    from sims.gpu_info import gpu_status

    if kwargs.get("backend") == "qsim-gpu" and gpu_status().cuda_device and "noise" not in kwargs:
        pytest.skip("this machine can run qsim-gpu")
    if error is None:  # a combination that works
        assert QuantumLayer("hardware_efficient", **kwargs).resolved_backend == kwargs["backend"]
        return
    with pytest.raises(error, match=match):
        QuantumLayer("hardware_efficient", **kwargs)


def test_projection_none_with_wrong_width_is_a_clear_error():
    layer = QuantumLayer("hardware_efficient", qubits=3, projection="none")
    with pytest.raises(ConfigurationError, match="got 5 input features but hardware_efficient encodes 3"):
        layer(np.zeros((1, 5), np.float32))


def test_fixed_projection_is_not_trained():
    layer = QuantumLayer("hardware_efficient", qubits=2, projection="fixed")
    layer.build((None, 7))
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.trainable_weights] == ["circuit_weights"]


@pytest.mark.parametrize("backend", ["tfq", "qsim"])
def test_layer_without_data_encoding_keeps_the_batch_size(backend):
    layer = QuantumLayer("hardware_efficient", qubits=2, depth=1, encoding="none", backend=backend)
    out = layer(np.zeros((5, 3), np.float32)).numpy()
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out, np.broadcast_to(out[0], out.shape), atol=1e-6)  # no data: same row


def test_a_layer_rebuilt_from_its_config_has_the_same_circuit():
    # The family's own options (an entangler) travel in the config, not only the builder's.
    layer = QuantumLayer("hardware_efficient", ansatz_options=dict(qubits=3, depth=1, entangler="crz"))
    rebuilt = QuantumLayer.from_config(layer.get_config())
    assert rebuilt.ansatz.circuit == layer.ansatz.circuit and rebuilt.ansatz.n_weights == 8


@pytest.mark.parametrize("entangler, entangler_moves", [("crz", False), ("cry", True)])
def test_from_a_real_start_rz_and_crz_weights_get_no_gradient(entangler, entangler_moves):
    # H, RY and CRY keep the state real; with Z readouts, RZ and CRZ at angle 0 then sit at a
    # stationary point (their derivative is <Y>-like, 0 on a real state): an identity-started
    # hardware_efficient circuit with CRZ never leaves the real, separable circuits, however
    # its RY weights move. CRY entanglers train from the same start.
    layer = QuantumLayer("hardware_efficient", qubits=3, depth=2, encoding="angle_y_plus", entangler=entangler)
    layer.build((None, 3))
    n = 2 * 3 + 2  # per layer: RY, RZ on each qubit, then two entanglers
    weights = np.zeros(2 * n, np.float32)
    ry = [layer_index * n + 2 * q for layer_index in range(2) for q in range(3)]
    weights[ry] = np.random.default_rng(0).uniform(-1, 1, len(ry))
    layer.circuit_weights.assign(weights)
    x = tf.constant(np.random.default_rng(1).uniform(-1, 1, (8, 3)), tf.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) * tf.constant([1.0, -2.0, 3.0]))
    grad = tape.gradient(loss, layer.circuit_weights).numpy()
    rz = [i + 1 for i in ry]
    entanglers = [layer_index * n + 6 + k for layer_index in range(2) for k in range(2)]
    assert np.abs(grad[ry]).max() > 1e-2
    np.testing.assert_allclose(grad[rz], 0, atol=1e-6)
    assert (np.abs(grad[entanglers[:2]]).max() > 1e-3) == entangler_moves  # the first layer's, before the RYs
