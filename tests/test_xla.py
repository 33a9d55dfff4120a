"""The statevector engine under XLA: its own compiled calls (``xla`` option) and the caller's
``jit_compile=True`` (Keras ``compile``), against the plain graph, forward and gradients."""

import numpy as np
import pytest

tf_env = pytest.importorskip("sims.tf_env")
tf, keras = tf_env.tf, tf_env.keras

import plugins  # noqa: E402
from qcircuits import ConfigurationError  # noqa: E402
from sims.backends.statevector import layer_kernel  # noqa: E402
from sims.backends.statevector.backend import StatevectorBackend, StatevectorOptions  # noqa: E402
from sims.layers import QuantumLayer  # noqa: E402

pytestmark = pytest.mark.tf


def _kernel(name, xla, noise=None, **options):
    ansatz = plugins.create(name, **options)
    backend = StatevectorBackend(StatevectorOptions(xla=xla, noise=noise))
    return ansatz, backend.layer_kernel(ansatz)


def _forward_and_gradients(kernel, ansatz, batch, eager):
    rng = np.random.default_rng(3)
    data = None if not ansatz.n_data_symbols else \
        tf.constant(rng.uniform(0, np.pi, (batch, ansatz.n_data_symbols)), tf.float32)
    weights = tf.constant(rng.uniform(0, 2 * np.pi, ansatz.n_weights), tf.float32)
    readout_weights = tf.constant(rng.normal(size=ansatz.n_readouts), tf.float32)

    def step():
        with tf.GradientTape() as tape:
            tape.watch([weights] if data is None else [data, weights])
            out = kernel(data, weights, batch)
            loss = tf.reduce_sum(out * readout_weights)
        grads = tape.gradient(loss, [weights] if data is None else [data, weights])
        return [out] + grads

    return [t.numpy() for t in (step() if eager else tf.function(step)())]


@pytest.mark.parametrize("name, options, noise, batch", [
    ("hardware_efficient", {"qubits": 4, "depth": 2}, None, 1),
    ("hardware_efficient", {"qubits": 4, "depth": 2}, None, 7),
    ("sim_06", {"qubits": 4, "depth": 1}, None, 7),  # controlled rotations on every pair: diagonal frames
    ("sim_14", {"qubits": 4, "depth": 1}, None, 7),
    ("strongly_entangling", {"qubits": 3, "depth": 2, "encoding": "none"}, None, 5),  # weights only
    ("hardware_efficient", {"qubits": 3, "depth": 1, "entanglement": "none"}, None, 7),  # a product state
    ("hardware_efficient", {"qubits": 3, "depth": 1}, "depolarize:0.02,readout:0.05", 7),  # density matrices
])
def test_compiled_calls_match_the_plain_graph_forward_and_gradients(name, options, noise, batch):
    ansatz, plain = _kernel(name, "off", noise, **options)
    _, compiled = _kernel(name, "on", noise, **options)
    expected = _forward_and_gradients(plain, ansatz, batch, eager=False)
    assert not plain.last_compiled
    for eager in (False, True):
        got = _forward_and_gradients(compiled, ansatz, batch, eager=eager)
        assert compiled.last_compiled
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, atol=2e-5, rtol=1e-5)


def test_compiled_calls_match_the_plain_graph_in_the_heisenberg_picture():
    from sims.backends.statevector.heisenberg import HeisenbergProgram

    options = {"qubits": 4, "depth": 1}
    ansatz, plain = _kernel("hardware_efficient", "off", "depolarize:0.02", **options)
    _, compiled = _kernel("hardware_efficient", "on", "depolarize:0.02", **options)
    compiled.plans.picture = "heisenberg"  # the readouts run backwards once (the cost model's pick aside)
    assert isinstance(compiled.program_for(1024), HeisenbergProgram)
    expected = _forward_and_gradients(plain, ansatz, 1024, eager=False)
    got = _forward_and_gradients(compiled, ansatz, 1024, eager=False)
    assert compiled.last_compiled
    for g, e in zip(got, expected, strict=True):  # weight gradients are sums over 1024 rows (up to ~40)
        np.testing.assert_allclose(g, e, atol=3e-4, rtol=1e-5)


def test_compiled_calls_trace_the_engine_inside_xla(monkeypatch):
    ansatz, kernel = _kernel("hardware_efficient", "on", qubits=3, depth=1)
    seen = []
    program = kernel.program_for(4)
    original = type(program).expectations

    def spy(self, *args, **kwargs):
        seen.append(tf_env.in_xla_context())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(program), "expectations", spy)
    _forward_and_gradients(kernel, ansatz, 4, eager=False)
    assert seen and all(seen)  # the forward pass and the gradient's recomputation


def _compiles_when_traced(kernel, batch=None) -> bool:
    """``kernel.compiles`` asked while tracing a function (``batch`` None: a batch unknown until run time)."""
    seen = []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def traced(rows):
        seen.append(kernel.compiles(tf.shape(rows)[0] if batch is None else batch))
        return rows

    traced(tf.zeros([1]))
    return seen[0]


@pytest.fixture
def fresh_compile_count(monkeypatch):
    """``"auto"`` compiles a bounded number of calls per process: count from zero here."""
    monkeypatch.setattr(layer_kernel, "_compiled_calls", 0)


def test_auto_compiles_small_traced_calls_whose_batch_is_known(fresh_compile_count):
    _, kernel = _kernel("hardware_efficient", "auto", qubits=8, depth=1)
    limit = layer_kernel.XLA_MAX_AMPLITUDES // 2 ** 8
    assert _compiles_when_traced(kernel, limit) and _compiles_when_traced(kernel, 1)
    assert not _compiles_when_traced(kernel, limit + 1)
    assert not kernel.compiles(1)  # an eager call: mostly a one-off, which compiling would slow down
    assert not _compiles_when_traced(kernel)  # unknown when traced, no hint: sizes may vary
    kernel.batch_hint = 16
    assert _compiles_when_traced(kernel)
    _, off = _kernel("hardware_efficient", "off", qubits=8, depth=1)
    assert not _compiles_when_traced(off, 1)
    _, density = _kernel("hardware_efficient", "auto", "depolarize:0.01", qubits=4, depth=1)
    assert _compiles_when_traced(density, limit) and not _compiles_when_traced(density, limit + 1)  # 2n wide
    _, wide = _kernel("hardware_efficient", "auto", qubits=10, depth=1)  # the same amplitudes, a smaller batch
    wide_limit = layer_kernel.XLA_MAX_AMPLITUDES // 2 ** 10
    assert _compiles_when_traced(wide, wide_limit) and not _compiles_when_traced(wide, wide_limit + 1)
    _, wider = _kernel("hardware_efficient", "auto", qubits=layer_kernel.XLA_MAX_WIDTH + 1, depth=1)
    assert not _compiles_when_traced(wider, 1)  # past the widths measured, never


def test_auto_stops_compiling_after_its_share_of_compiled_calls(fresh_compile_count, monkeypatch):
    """XLA keeps what it compiled until the process ends: ``"auto"`` compiles a bounded number of calls."""
    ansatz, kernel = _kernel("hardware_efficient", "auto", qubits=3, depth=1)
    expected = _forward_and_gradients(kernel, ansatz, 4, eager=False)
    assert kernel.last_compiled and layer_kernel._compiled_calls == 1
    monkeypatch.setattr(layer_kernel, "_compiled_calls", layer_kernel.XLA_MAX_COMPILED_CALLS)
    _, later = _kernel("hardware_efficient", "auto", qubits=3, depth=1)
    got = _forward_and_gradients(later, ansatz, 4, eager=False)
    assert not later.last_compiled and layer_kernel._compiled_calls == layer_kernel.XLA_MAX_COMPILED_CALLS
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, atol=2e-5, rtol=1e-5)
    _, forced = _kernel("hardware_efficient", "on", qubits=3, depth=1)  # asked for: compiled all the same
    _forward_and_gradients(forced, ansatz, 4, eager=False)
    assert forced.last_compiled


def test_auto_never_compiles_shots_or_trajectories():
    ansatz = plugins.create("hardware_efficient", qubits=3, depth=1)
    shots = StatevectorBackend(StatevectorOptions(repetitions=100)).layer_kernel(ansatz)
    trajectories = StatevectorBackend(StatevectorOptions(noise="amplitude_damp:0.1", trajectories=8)).layer_kernel(
        ansatz)
    assert not _compiles_when_traced(shots, 4) and not _compiles_when_traced(trajectories, 4)


@pytest.mark.parametrize("options, message", [
    ({"xla": "yes"}, "Unknown statevector xla mode 'yes'; expected one of auto, on, off."),
    ({"xla": "on", "repetitions": 10}, "statevector: xla='on' does not run shots (repetitions); use xla='auto' or "
                                       "'off'."),
])
def test_bad_xla_options_are_refused_in_one_line(options, message):
    with pytest.raises(ConfigurationError) as error:
        StatevectorOptions(**options)
    assert str(error.value) == message


def _xla_model_picking_the_fewest_passes(monkeypatch):
    """XLA constants that make the two models pick different plans: passes alone under XLA."""
    from sims.backends.statevector import plan

    monkeypatch.setattr(plan, "XLA_COST_CONSTANTS", {name: 0.0 for name in plan.COST_CONSTANTS}
                        | {"PER_PASS_MS": 1.0, "PRODUCT_PASS_MS": 1.0, "TRANSPOSE_PASS_MS": 1.0})


@pytest.mark.parametrize("xla", ["on", "off"])
def test_a_kernel_picks_its_plan_by_the_xla_model_where_xla_runs_it(monkeypatch, xla):
    _xla_model_picking_the_fewest_passes(monkeypatch)
    ansatz, kernel = _kernel("sim_14", xla, qubits=6, depth=1)
    kernel.plans._chosen.clear()  # plans are shared per ansatz: picks made with the real constants
    plain, under_xla = kernel.plans.plan_for(16), kernel.plans.plan_for(16, xla=True)
    assert plain is not under_xla
    _forward_and_gradients(kernel, ansatz, 16, eager=False)
    assert kernel.last_compiled == (xla == "on")
    assert kernel.program.plan is (under_xla if xla == "on" else plain)

    @tf.function(jit_compile=True)  # the caller compiles: the engine's own call is not compiled, its plan is XLA's
    def step(data, weights):
        return kernel(data, weights, 16)

    rng = np.random.default_rng(0)
    step(tf.constant(rng.uniform(0, 1, (16, ansatz.n_data_symbols)), tf.float32),
         tf.constant(rng.uniform(0, 1, ansatz.n_weights), tf.float32))
    assert not kernel.last_compiled and kernel.program.plan is under_xla


def test_the_xla_cost_model_has_its_own_constants():
    from sims.backends.statevector.engine import ansatz_plans
    from sims.backends.statevector.plan import cost_constants, cost_terms, plan_cost

    plan = ansatz_plans(plugins.create("sim_14", qubits=6, depth=1)).plan_for(128)
    terms = cost_terms(plan)
    assert plan_cost(plan, 128, xla=True) == pytest.approx(terms.ms(128, 6, cost_constants(True)))
    assert plan_cost(plan, 128) == pytest.approx(terms.ms(128, 6, cost_constants(False)))
    assert plan_cost(plan, 128, xla=True) != plan_cost(plan, 128)


def _tagger(jit_compile, **layer_options):
    keras.utils.set_random_seed(0)
    tokens = keras.Input((6,), dtype="int32")
    embedded = keras.layers.Embedding(40, 5, mask_zero=True)(tokens)
    quantum = QuantumLayer("sim_14", qubits=3, depth=1, seed=1, **layer_options)(embedded)
    model = keras.Model(tokens, keras.layers.Dense(2)(quantum))
    model.compile(optimizer=keras.optimizers.Adam(0.05), jit_compile=jit_compile,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_keras_fit_under_jit_compile_trains_as_the_plain_graph_on_masked_sequences():
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 40, (32, 6))
    tokens[:, 4:] = 0  # padding: masked positions
    labels = rng.integers(0, 2, (32, 6))
    losses = []
    for jit_compile in (False, True):
        model = _tagger(jit_compile, backend="statevector")
        losses.append(model.fit(tokens, labels, batch_size=8, epochs=2, verbose=0).history["loss"])
        padded = model(tokens[:2])
        np.testing.assert_allclose(model.layers[2](model.layers[1](tokens[:2]))[:, 4:], 0.0)
        assert padded.shape == (2, 6, 2)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
    assert losses[0][-1] < losses[0][0]


@pytest.mark.parametrize("layer_options, what", [
    ({"backend": "statevector", "repetitions": 100}, "sampled shots (repetitions)"),
    ({"backend": "tfq"}, "backend 'tfq'"),
])
def test_what_xla_cannot_run_fails_in_one_line_under_jit_compile(layer_options, what):
    layer = QuantumLayer("hardware_efficient", qubits=3, depth=1, **layer_options)
    x = tf.zeros((2, 3))
    layer.build(x.shape)
    with pytest.raises(ConfigurationError) as error:
        tf.function(lambda: layer(x), jit_compile=True)()
    assert str(error.value) == (
        f"QuantumLayer {layer.name!r}: {what} cannot run inside an XLA-compiled function (jit_compile=True); "
        "use backend 'statevector' with exact readouts there, or compile without XLA.")
