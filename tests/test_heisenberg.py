"""The density-matrix mode in the Heisenberg picture (readouts run backwards once per call): equal to Cirq's
density matrices and to the forward mode's gradients for every family, chosen by batch size, refused
where the circuit does not allow it, and given up where its backward run would not fit."""

import cirq
import numpy as np
import pytest

import plugins
from qcircuits.noise import as_noise
from tests.finite_differences import central_differences
from tests.test_noise import ALL_CHANNELS, NAMES, _density_reference

pytestmark = pytest.mark.tf


def _programs(ansatz, noise, batch):
    from sims.backends.statevector.engine import ansatz_plans
    from sims.tf_env import tf

    plans = ansatz_plans(ansatz, dtype=tf.float64, noise=as_noise(noise))
    return plans.heisenberg_program(), plans.program_for_plan_at(batch)


def _readouts_and_gradients(program, x, w, mix):
    from sims.tf_env import tf

    x, w = tf.constant(x), tf.Variable(w)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = program.expectations(x, w, int(x.shape[0]))
        loss = tf.reduce_sum(out * mix)
    gx, gw = tape.gradient(loss, [x, w])
    return out.numpy(), gx.numpy(), gw.numpy()


@pytest.mark.parametrize("name", NAMES)
def test_the_heisenberg_picture_equals_cirqs_density_matrices_and_the_forward_modes_gradients(name):
    ansatz = plugins.create(name, qubits=3, depth=1)
    heisenberg, forward = _programs(ansatz, ALL_CHANNELS, 4)
    assert heisenberg is not None, f"{name}: its encoding comes first, so the readouts can run backwards"
    rng = np.random.default_rng(7)
    x = rng.uniform(-2, 2, (4, ansatz.n_data_symbols))
    w = rng.uniform(-2, 2, ansatz.n_weights)
    mix = rng.normal(size=ansatz.n_readouts)
    ours, gx, gw = _readouts_and_gradients(heisenberg, x, w, mix)
    reference = _density_reference(ansatz, np.hstack([x, np.tile(w, (4, 1))]), ALL_CHANNELS)
    np.testing.assert_allclose(ours, reference, atol=1e-10)
    _, fx, fw = _readouts_and_gradients(forward, x, w, mix)
    np.testing.assert_allclose(gx, fx, atol=1e-10)
    np.testing.assert_allclose(gw, fw, atol=1e-10)


def test_a_layers_gradients_in_the_heisenberg_picture_equal_finite_differences():
    from sims.layers import QuantumLayer
    from sims.tf_env import tf

    layer = QuantumLayer("hardware_efficient", qubits=5, depth=1, noise=ALL_CHANNELS + ",readout:0.03",
                         backend="statevector", dtype="float64")
    x0 = np.random.default_rng(8).uniform(0, np.pi, (512, layer.ansatz.n_features))
    layer.build(x0.shape)
    layer.kernel.plans.picture = "heisenberg"  # at 5 qubits the cost model may say forward: this test is of it
    mix = np.random.default_rng(9).normal(size=layer.ansatz.n_readouts)
    x = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * mix)
    assert layer.kernel.plan_summary.startswith("heisenberg")
    gx, gw = tape.gradient(loss, [x, layer.circuit_weights])
    w0 = layer.circuit_weights.numpy()

    def f(x, w):
        layer.circuit_weights.assign(w)
        return float(np.sum(layer(tf.constant(x)).numpy() * mix))

    # The weights' differences on the whole batch (the Heisenberg picture); the inputs' on two rows (rows
    # are independent, and two rows run forward: the values are the same either way).
    fd_w = central_differences(lambda _, w: f(x0, w), x0[:0], w0, 1e-6)[1]
    np.testing.assert_allclose(gw.numpy(), fd_w, atol=1e-6)
    fd_x = central_differences(f, x0[:2], w0, 1e-6)[0]
    np.testing.assert_allclose(gx.numpy()[:2], fd_x, atol=1e-7)


def test_the_cost_model_runs_one_sample_forward_and_a_batch_backwards():
    from sims.backends.statevector.heisenberg import HeisenbergProgram
    from sims.layers import QuantumLayer

    kernel = QuantumLayer("hardware_efficient", qubits=8, depth=2, noise="depolarize:0.01").kernel
    assert not isinstance(kernel.program_for(1), HeisenbergProgram)  # 8 readouts backwards cost 8 samples
    assert isinstance(kernel.program_for(256), HeisenbergProgram)


def test_readout_functionals_give_the_trace_of_any_pauli_string_with_its_coefficient():
    from sims.backends.statevector.heisenberg import readout_functionals

    qubits = cirq.LineQubit.range(3)
    readouts = [0.5 * cirq.X(qubits[0]) * cirq.Y(qubits[1]) * cirq.Z(qubits[2]), cirq.Y(qubits[2]),
                cirq.PauliString(cirq.Z(qubits[0]))]
    rng = np.random.default_rng(10)
    a = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    c = readout_functionals(readouts, qubits)
    for row, readout in zip(c, readouts, strict=True):
        expected = np.trace(cirq.PauliString(readout).matrix(qubits) @ rho)
        np.testing.assert_allclose(row @ rho.reshape(-1), expected, atol=1e-12)


@pytest.mark.parametrize("options", [{"encoding": "iqp"}, {"reupload": True}])
def test_a_circuit_with_data_after_its_entanglers_runs_forward(options):
    ansatz = plugins.create("hardware_efficient", qubits=3, depth=2, **options)
    heisenberg, _ = _programs(ansatz, "depolarize:0.01", 4)
    assert heisenberg is None


def test_when_the_backward_run_would_not_fit_the_layer_runs_forward_in_chunks(monkeypatch):
    from sims.backends.statevector import layer_kernel
    from sims.layers import QuantumLayer
    from sims.tf_env import tf

    layer = QuantumLayer("hardware_efficient", qubits=6, depth=1, noise="depolarize:0.01", backend="statevector",
                         dtype="float64")
    x = tf.constant(np.random.default_rng(11).uniform(0, 1, (64, 6)))
    layer.build(x.shape)
    layer.kernel.plans.picture = "heisenberg"
    expected = layer(x).numpy()
    kernel = layer.kernel
    assert kernel.plan_summary.startswith("heisenberg")
    fixed = kernel.fixed_bytes()
    assert fixed > 0
    forward = kernel.plans.program_for_plan_at(64)
    kernel.program = forward
    per_sample = kernel.bytes_per_sample()
    assert per_sample < fixed  # so that some memory holds a few samples but not the backward run
    free = int(3.5 * per_sample / layer_kernel.USABLE_SHARE)
    monkeypatch.setattr(layer_kernel, "available_memory_bytes", lambda: free)
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-12)
    assert not kernel.plan_summary.startswith("heisenberg")
    assert kernel.last_chunk == 3


def test_a_batch_size_hint_plans_keras_fit_for_its_batches_not_for_a_dummy_call():
    from sims.backends.statevector.heisenberg import HeisenbergProgram
    from sims.layers import QuantumLayer
    from sims.tf_env import tf

    hinted = QuantumLayer("hardware_efficient", qubits=8, depth=1, noise="depolarize:0.01", batch_size=128)
    plain = QuantumLayer("hardware_efficient", qubits=8, depth=1, noise="depolarize:0.01")
    for layer in (hinted, plain):
        layer(tf.zeros([1, 8]))  # a build call with a dummy batch of one: planned forward
        assert not isinstance(layer.kernel.program, HeisenbergProgram)
    unknown = tf.constant(5)  # a traced call's dynamic size
    assert isinstance(hinted.kernel.program_for(unknown), HeisenbergProgram)
    assert not isinstance(plain.kernel.program_for(unknown), HeisenbergProgram)  # the last size seen
    assert QuantumLayer.from_config(hinted.get_config()).batch_size == 128


@pytest.mark.parametrize("size", [0, 2.5])
def test_a_bad_batch_size_hint_is_one_line(size):
    from qcircuits import ConfigurationError
    from sims.layers import QuantumLayer

    with pytest.raises(ConfigurationError, match=f"batch_size must be .*; got {size}"):
        QuantumLayer("hardware_efficient", qubits=2, depth=1, batch_size=size)
