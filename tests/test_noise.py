"""Noise and shots: the spec, the density-matrix mode against Cirq's density-matrix simulator, gradients
against finite differences, trajectories and shots against the exact values."""

import cirq
import numpy as np
import pytest

import plugins
from qcircuits import ConfigurationError
from qcircuits.noise import CHANNELS, NoiseSpec, as_noise, noise_config
from sims.backends import make_backend
from tests.finite_differences import central_differences
from tests.helpers import one_line_exit

NAMES = plugins.list_ansatze()
# Every channel kind at once, each strong enough to matter.
ALL_CHANNELS = ("depolarize:0.03,bit_flip:0.02,phase_flip:0.04,amplitude_damp:0.05,phase_damp:0.06,"
                "two_qubit_depolarize:0.05")


def test_a_spec_reads_back_in_canonical_form_and_places_channels_after_every_gate():
    spec = NoiseSpec.parse(" depolarize : 0.010 , readout:0.02,two_qubit_depolarize:0.02")
    assert str(spec) == "depolarize:0.01,two_qubit_depolarize:0.02,readout:0.02"
    assert NoiseSpec.parse(str(spec)) == spec and as_noise(str(spec)) == spec
    assert NoiseSpec.parse("none").is_noiseless and NoiseSpec.parse("depolarize:0,readout:0").is_noiseless
    a, b = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.H(a), cirq.CZ(a, b), cirq.X(b))
    noisy = spec.noisy_circuit(circuit)
    ops = list(noisy.all_operations())
    # H, dep(a), CZ, dep(a), dep(b), dep2(a, b), X, dep(b): after every gate, on its qubits only
    assert [str(op.gate) for op in ops] == ["H", "depolarize(p=0.01)", "CZ", "depolarize(p=0.01)",
                                            "depolarize(p=0.01)", "depolarize(p=0.02,n_qubits=2)", "X",
                                            "depolarize(p=0.01)"]
    assert ops[1].qubits == (a,) and ops[7].qubits == (b,)
    np.testing.assert_allclose(spec.readout_factors([cirq.Z(a), cirq.Z(a) * cirq.Z(b)]), [0.96, 0.96 ** 2])


@pytest.mark.parametrize("text, match", [
    ("depolarise:0.01", "unknown channel 'depolarise'; did you mean 'depolarize'"),
    ("wobble:0.01", "unknown channel 'wobble'; expected one of depolarize, "),
    ("depolarize:-0.1", "must be from 0 to 1; got -0.1"),
    ("depolarize:1.01", "must be from 0 to 1; got 1.01"),
    ("depolarize:nan", "must be from 0 to 1; got nan"),
    ("depolarize:lots", "'lots' is not a number"),
    ("depolarize", "item 'depolarize' is not 'channel:probability'"),
    ("depolarize:0.1,,readout:0.1", "item '' is not 'channel:probability'"),
    ("depolarize:0.1,depolarize:0.2", "channel 'depolarize' is given twice"),
    ("readout:0.1,readout:0.2", "channel 'readout' is given twice"),
])
def test_a_bad_spec_is_one_line_naming_what_is_wrong(text, match):
    with pytest.raises(ConfigurationError, match=match) as info:
        NoiseSpec.parse(text)
    assert "\n" not in str(info.value)


def test_a_cirq_noise_model_is_accepted_and_survives_a_config_round_trip():
    model = cirq.ConstantQubitNoiseModel(cirq.amplitude_damp(0.1))
    noise = as_noise(model)
    assert as_noise(noise_config(noise)).model == model
    ansatz = plugins.create("hardware_efficient", qubits=2, depth=1)
    values = ansatz.random_parameter_values(3, np.random.default_rng(0))
    # Cirq's own placement (every qubit after every moment), in both simulators.
    reference = make_backend("cirq", noise=model).expectations(ansatz, values)
    ours = make_backend("statevector", noise=model, dtype="complex128").expectations(ansatz, values)
    np.testing.assert_allclose(ours, reference, atol=1e-10)


def _density_reference(ansatz, values, noise):
    """Cirq's DensityMatrixSimulator directly (not through our backend), complex128."""
    simulator = cirq.DensityMatrixSimulator(dtype=np.complex128)
    circuit = as_noise(noise).noisy_circuit(ansatz.circuit)
    out = []
    for row in values:
        result = simulator.simulate(circuit, cirq.ParamResolver(dict(zip(ansatz.symbols, row, strict=True))),
                                    qubit_order=ansatz.qubits)
        index = {q: i for i, q in enumerate(ansatz.qubits)}
        out.append([r.expectation_from_density_matrix(result.final_density_matrix, index).real
                    for r in ansatz.readouts])
    return np.array(out) * as_noise(noise).readout_factors(ansatz.readouts)


@pytest.mark.tf
@pytest.mark.parametrize("name", NAMES)
def test_the_density_matrix_mode_equals_cirqs_density_matrix_simulator_for_every_family(name):
    ansatz = plugins.create(name, qubits=3, depth=1)
    values = ansatz.random_parameter_values(3, np.random.default_rng(2))
    noise = ALL_CHANNELS + ",readout:0.05"
    reference = _density_reference(ansatz, values, noise)
    exact = make_backend("statevector", noise=noise, dtype="complex128").expectations(ansatz, values)
    np.testing.assert_allclose(exact, reference, atol=1e-5)
    single = make_backend("statevector", noise=noise).expectations(ansatz, values)
    np.testing.assert_allclose(single, reference, atol=1e-4)
    # Our cirq backend is that simulator.
    np.testing.assert_allclose(make_backend("cirq", noise=noise).expectations(ansatz, values), reference, atol=1e-10)


@pytest.mark.tf
@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_each_channel_alone_matches_cirq_and_moves_the_readouts(channel):
    ansatz = plugins.create("strongly_entangling", qubits=3, depth=2, encoding="iqp")
    values = ansatz.random_parameter_values(4, np.random.default_rng(3))
    noise = f"{channel}:0.2"
    reference = _density_reference(ansatz, values, noise)
    exact = make_backend("statevector", noise=noise, dtype="complex128").expectations(ansatz, values)
    np.testing.assert_allclose(exact, reference, atol=1e-5)
    noiseless = make_backend("statevector", dtype="complex128").expectations(ansatz, values)
    assert np.abs(exact - noiseless).max() > 1e-3  # the channel is really there


@pytest.mark.tf
def test_a_plugin_circuit_with_its_own_channels_runs_in_the_density_matrix_mode(clean_registry):
    from qcircuits import AnsatzBuilder

    @plugins.register_ansatz("noisy_plugin_test", shape=lambda qubits=2, depth=1, **_: qubits * depth)
    def noisy_plugin_test(qubits=2, depth=1, **_):
        b = AnsatzBuilder("noisy_plugin_test", qubits, depth, entanglement="linear")
        for layer in range(b.depth):
            b.encode(layer)
            b.rotations(("ry",))
            b.operations += [cirq.amplitude_damp(0.1).on(q) for q in b.qubits]
            b.entangle("cz", layer)
        return b.build()

    ansatz = plugins.create("noisy_plugin_test", qubits=2, depth=2)
    assert plugins.contract_problems(ansatz) == []
    values = ansatz.random_parameter_values(3, np.random.default_rng(4))
    reference = _density_reference(ansatz, values, None)
    np.testing.assert_allclose(make_backend("statevector", dtype="complex128").expectations(ansatz, values),
                               reference, atol=1e-6)
    np.testing.assert_allclose(make_backend("cirq").expectations(ansatz, values), reference, atol=1e-10)
    # Its own channels are sampled by the engine's trajectories as well.
    backend = make_backend("statevector", trajectories=2000)
    sampled = backend.expectations(ansatz, values)
    error = backend.last_standard_error
    assert error is not None and np.all(error > 0)
    assert np.all(np.abs(sampled - reference) < 4 * error + 1e-6)


@pytest.mark.tf
@pytest.mark.parametrize("name, depth, batch", [("hardware_efficient", 1, 1),
                                                pytest.param("sim_06", 1, 3, marks=pytest.mark.slow),
                                                ("strongly_entangling", 1, 2)])
def test_density_matrix_gradients_equal_finite_differences(name, depth, batch):
    from sims.layers import QuantumLayer
    from sims.tf_env import tf

    layer = QuantumLayer(name, qubits=3, depth=depth, noise=ALL_CHANNELS + ",readout:0.03", backend="statevector",
                         dtype="float64")
    x0 = np.random.default_rng(5).uniform(0, np.pi, (batch, layer.ansatz.n_features))
    layer.build(x0.shape)
    w0 = layer.circuit_weights.numpy()
    mix = np.random.default_rng(6).normal(size=layer.ansatz.n_readouts)

    def f(x, w):
        layer.circuit_weights.assign(w)
        return float(np.sum(layer(tf.constant(x)).numpy() * mix))

    x = tf.constant(x0)
    layer.circuit_weights.assign(w0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * mix)
    gx, gw = tape.gradient(loss, [x, layer.circuit_weights])
    fd_x, fd_w = central_differences(f, x0, w0, 1e-6)
    np.testing.assert_allclose(gx.numpy(), fd_x, atol=1e-7)
    np.testing.assert_allclose(gw.numpy(), fd_w, atol=1e-7)


@pytest.mark.tf
def test_noise_probability_zero_gives_exactly_the_noiseless_numbers():
    from sims.layers import QuantumLayer

    x = np.random.default_rng(7).uniform(0, np.pi, (6, 4)).astype(np.float32)
    clean = QuantumLayer("hardware_efficient", qubits=4, depth=2)
    zero = QuantumLayer("hardware_efficient", qubits=4, depth=2, noise="depolarize:0,amplitude_damp:0,readout:0")
    clean.build(x.shape), zero.build(x.shape)
    zero.set_weights(clean.get_weights())
    np.testing.assert_array_equal(zero(x).numpy(), clean(x).numpy())
    # The density-matrix mode itself, with nothing to do, agrees with the state vector.
    ansatz = clean.ansatz
    values = ansatz.random_parameter_values(4, np.random.default_rng(8))
    from sims.backends.statevector.engine import compile_ansatz
    from sims.tf_env import tf

    mixed = compile_ansatz(ansatz, shared_weights=False, dtype=tf.float64, noise=as_noise(
        cirq.ConstantQubitNoiseModel(cirq.depolarize(0.0))))
    assert type(mixed).__name__ == "DensityProgram"
    np.testing.assert_allclose(mixed.expectations(tf.constant(values), None, 4).numpy(),
                               make_backend("cirq").expectations(ansatz, values), atol=1e-12)


@pytest.mark.tf
def test_readout_error_alone_is_the_factor_one_minus_two_p_per_measured_qubit():
    ansatz = plugins.create("hardware_efficient", qubits=3, depth=1, readout="ZZI,XIY,Y1,Z2")
    values = ansatz.random_parameter_values(3, np.random.default_rng(9))
    clean = make_backend("statevector", dtype="complex128").expectations(ansatz, values)
    noisy = make_backend("statevector", dtype="complex128", noise="readout:0.1").expectations(ansatz, values)
    weights = np.array([len(r) for r in ansatz.readouts])
    np.testing.assert_allclose(noisy, clean * 0.8 ** weights, atol=1e-12)


def test_a_noisy_circuit_has_no_state_vector_and_a_too_wide_density_matrix_is_refused():
    ansatz = plugins.create("hardware_efficient", qubits=2, depth=1)
    with pytest.raises(ConfigurationError, match="a noisy circuit has no state vector"):
        make_backend("cirq", noise="depolarize:0.1").states(ansatz, np.zeros((1, len(ansatz.symbols))))
    wide = make_backend("statevector", noise="depolarize:0.1")
    with pytest.raises(ConfigurationError,
                       match=r"^A density matrix of 20 qubits \(a state of 40\) needs about 32.0 TiB for the"):
        wide.check_fits(20)


@pytest.mark.tf
def test_shot_estimates_are_unbiased_and_within_shot_error():
    from sims.layers import QuantumLayer

    noise, shots, rounds = "depolarize:0.02,readout:0.05", 500, 40
    x = np.random.default_rng(10).uniform(0, np.pi, (3, 3)).astype(np.float32)
    exact = QuantumLayer("hardware_efficient", qubits=3, depth=2, noise=noise, dtype="float64")
    sampled = QuantumLayer("hardware_efficient", qubits=3, depth=2, noise=noise, repetitions=shots, seed=1)
    exact.build(x.shape), sampled.build(x.shape)
    sampled.set_weights(exact.get_weights())
    truth = exact(x.astype(np.float64)).numpy()
    draws = np.stack([sampled(x).numpy() for _ in range(rounds)])
    assert len({d.tobytes() for d in draws}) == rounds  # every call draws new shots
    # One draw: within 4 standard errors of +-1 outcomes; the mean of many: converges.
    error = np.sqrt(np.clip(1 - truth ** 2, 1e-3, 1) / shots)
    assert np.all(np.abs(draws[0] - truth) < 4 * error + 1e-6)
    assert np.all(np.abs(draws.mean(axis=0) - truth) < 4 * error / np.sqrt(rounds) + 1e-6)
    # The numpy path of the backends samples the same way.
    values = exact.ansatz.parameter_values(x.astype(float), np.broadcast_to(exact.get_weights()[-1], (3, 12)))
    backend = make_backend("statevector", noise=noise, repetitions=shots, dtype="complex128")
    mean = np.mean([backend.expectations(exact.ansatz, values) for _ in range(rounds)], axis=0)
    assert np.all(np.abs(mean - truth) < 4 * error / np.sqrt(rounds) + 1e-6)


@pytest.mark.tf
@pytest.mark.parametrize("entangler", [pytest.param("cx", marks=pytest.mark.slow),
                                       "crz"])  # crz: three frequencies, the four-term shift rule
def test_parameter_shift_gradients_with_shots_are_unbiased_estimates_of_the_exact_gradient(entangler):
    from sims.layers import QuantumLayer
    from sims.tf_env import tf

    noise, shots, rounds = "amplitude_damp:0.05,readout:0.02", 200, 30
    x = tf.constant(np.random.default_rng(11).uniform(0, np.pi, (2, 3)))
    exact = QuantumLayer("hardware_efficient", qubits=3, depth=1, entangler=entangler, noise=noise, dtype="float64")
    sampled = QuantumLayer("hardware_efficient", qubits=3, depth=1, entangler=entangler, noise=noise,
                           repetitions=shots, dtype="float64")
    exact.build(x.shape), sampled.build(x.shape)
    sampled.set_weights(exact.get_weights())
    mix = tf.constant(np.random.default_rng(12).normal(size=3))

    def gradients(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * mix)
        gx, gw = tape.gradient(loss, [x, layer.circuit_weights])
        return np.concatenate([gx.numpy().ravel(), gw.numpy()])

    truth = gradients(exact)
    draws = np.stack([gradients(sampled) for _ in range(rounds)])
    spread = draws.std(axis=0, ddof=1) / np.sqrt(rounds)
    assert np.all(spread > 0)  # shots really enter the gradient
    assert np.all(np.abs(draws.mean(axis=0) - truth) < 4.5 * spread + 1e-9)


@pytest.mark.tf
@pytest.mark.parametrize("name", NAMES)
def test_every_familys_gates_have_a_shift_rule_that_gives_the_exact_gradient(name):
    from sims.backends.statevector.engine import CircuitPlans
    from sims.backends.statevector.shots import ShotEstimator
    from sims.tf_env import tf

    ansatz = plugins.create(name, qubits=3, depth=1)
    plans = CircuitPlans(ansatz.circuit, ansatz.qubits, ansatz.symbols, ansatz.readouts, dtype=tf.float64,
                         occurrences=True)
    estimator = ShotEstimator(plans, ansatz.readouts, np.ones(ansatz.n_readouts), 1, 0, chunk=64)
    estimator.sample = lambda exact: exact  # no shots: the rule itself
    values = ansatz.random_parameter_values(2, np.random.default_rng(13))
    upstream = np.random.default_rng(14).normal(size=(2, ansatz.n_readouts))
    got = estimator.gradients(tf.constant(values), tf.constant(upstream)).numpy()
    program = make_backend("statevector", dtype="complex128")._program(ansatz)
    v = tf.constant(values)
    with tf.GradientTape() as tape:
        tape.watch(v)
        loss = tf.reduce_sum(program.expectations(v, None, 2) * upstream)
    np.testing.assert_allclose(got, tape.gradient(loss, v).numpy(), atol=1e-9)


@pytest.mark.tf
@pytest.mark.parametrize("backend", ["qsim", "tfq"])
def test_trajectories_of_qsim_and_tfq_agree_with_the_density_matrix_within_their_error(backend):
    ansatz = plugins.create("hardware_efficient", qubits=3, depth=2)
    values = ansatz.random_parameter_values(3, np.random.default_rng(15))
    noise, trajectories = "depolarize:0.05,amplitude_damp:0.05", 4000
    exact = make_backend("cirq", noise=noise).expectations(ansatz, values)
    out = make_backend(backend, noise=noise, trajectories=trajectories).expectations(ansatz, values)
    noiseless = make_backend("cirq").expectations(ansatz, values)
    assert np.abs(noiseless - exact).max() > 0.05  # the noise is visible above the trajectories' error
    # A trajectory's readout is in [-1, 1]: the mean's standard error is at most 1 / sqrt(trajectories).
    assert np.abs(out - exact).max() < 4 / np.sqrt(trajectories)


TRAJECTORY_NOISE = "depolarize:0.05,two_qubit_depolarize:0.05,phase_flip:0.03"


@pytest.mark.tf
@pytest.mark.parametrize("noise", [TRAJECTORY_NOISE, ALL_CHANNELS])
def test_engine_trajectories_agree_with_the_density_matrix_within_their_reported_error(noise):
    ansatz = plugins.create("hardware_efficient", qubits=3, depth=2)
    values = ansatz.random_parameter_values(3, np.random.default_rng(16))
    exact = make_backend("statevector", noise=noise, dtype="complex128").expectations(ansatz, values)
    noiseless = make_backend("statevector", dtype="complex128").expectations(ansatz, values)
    trajectories = 1000
    backend = make_backend("statevector", noise=noise, trajectories=trajectories)
    sampled = backend.expectations(ansatz, values)
    error = backend.last_standard_error
    # The reported standard error is the rows' spread over sqrt(K): positive, and at most 1/sqrt(K) for readouts in
    # [-1, 1]; the estimate is within 4 of them of the exact value, and the noise is visible above it.
    assert error.shape == exact.shape and np.all(error > 0) and np.all(error <= 1.01 / np.sqrt(trajectories))
    assert np.all(np.abs(sampled - exact) < 4 * error + 1e-6)
    assert np.abs(noiseless - exact).max() > 10 * error.max()


@pytest.mark.tf
@pytest.mark.slow  # 25 draws of a gradient: ~13 s each
@pytest.mark.parametrize("noise", [TRAJECTORY_NOISE, "amplitude_damp:0.1,phase_damp:0.08"])
def test_engine_trajectory_gradients_are_unbiased(noise):
    from sims.layers import QuantumLayer
    from sims.tf_env import tf

    # The mean over independent draws converges to the density matrix's gradient. For damping the draws' probabilities
    # depend on the parameters: differentiating the renormalised states instead (the probabilities not held constant)
    # was measured biased by up to 21 standard errors with this same check.
    x = tf.constant(np.random.default_rng(17).uniform(0, np.pi, (2, 3)))
    reference = QuantumLayer("hardware_efficient", qubits=3, depth=2, noise=noise, dtype="float64")
    rows = QuantumLayer("hardware_efficient", qubits=3, depth=2, noise=noise, dtype="float64", seed=3,
                        backend="statevector", backend_options={"trajectories": 20})
    reference.build(x.shape), rows.build(x.shape)
    rows.set_weights(reference.get_weights())

    def gradients(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * [1.0, -2.0, 0.5])
        gx, gw = tape.gradient(loss, [x, layer.circuit_weights])
        return np.concatenate([gx.numpy().ravel(), gw.numpy()])

    truth = gradients(reference)
    draws = np.stack([gradients(rows) for _ in range(25)])
    spread = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    moving = np.abs(truth) > 1e-9  # some weights do not move these readouts: exactly 0 on every path
    assert np.all(spread[moving] > 0) and np.all(np.abs(draws.mean(axis=0) - truth) < 4.5 * spread + 1e-9)


@pytest.mark.tf
def test_trajectories_that_do_not_fit_run_in_passes_with_the_same_numbers():
    from sims.layers import QuantumLayer
    from sims.tf_env import tf

    x = tf.constant(np.random.default_rng(19).uniform(0, np.pi, (3, 2)))

    def layer():
        made = QuantumLayer("hardware_efficient", qubits=2, depth=1, noise="amplitude_damp:0.2,depolarize:0.1",
                            dtype="float64", seed=3, backend="statevector", backend_options={"trajectories": 6})
        made.build(x.shape)
        made.set_weights([np.linspace(-1, 1, made.ansatz.n_weights)] + made.get_weights()[1:])
        return made

    def run(made):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = made(x)
            loss = tf.reduce_sum(out * [1.0, -2.0])
        return [out.numpy(), *(g.numpy() for g in tape.gradient(loss, [x, made.circuit_weights]))]

    whole, passes = layer(), layer()
    passes.kernel.row_chunk = 2  # 6 trajectories per sample: 3 passes of 2, each recomputed for the gradient
    expected, got = run(whole), run(passes)
    assert whole.kernel.last_row_chunk is None and passes.kernel.last_row_chunk == 2
    for a, b in zip(expected, got, strict=True):  # the same draws, in the same order
        np.testing.assert_allclose(a, b, atol=1e-12)
    # Chosen from the memory estimate when the batch's rows do not fit.
    kernel = whole.kernel
    per_row = kernel.bytes_per_sample() // 6
    assert kernel.memory_mode(2, available=int(5 * per_row / 0.9)) == (None, 2)  # 2 samples x 2 rows per pass
    with pytest.raises(ConfigurationError, match="one trajectory per sample at a time.*Use batches of at most 2"):
        kernel.memory_mode(3, available=int(2.5 * per_row / 0.9))  # chunks of samples would redraw
    assert kernel.memory_mode(3, available=int(3 * 6.5 * per_row / 0.9)) == (None, None)
    with pytest.raises(ConfigurationError, match="A batch of 1 at 2 qubits.*at most 90% of it.*Not even one sample"):
        kernel.memory_mode(3, available=per_row // 4)


def test_engine_trajectories_refuse_shots_in_one_line():
    with pytest.raises(ConfigurationError, match="shots \\(repetitions\\) with trajectories is not supported"):
        make_backend("statevector", noise="depolarize:0.1", trajectories=10, repetitions=100)


@pytest.mark.parametrize("args, message", [
    (["report", "--noise", "depolarize:1.5"], "argument --noise: noise depolarize:1.5: the probability must be from 0 "
                                              "to 1; got 1.5"),
    (["report", "--noise", "depolarize:-0.01"], "must be from 0 to 1; got -0.01"),
    (["report", "--noise", "depolarize:nan"], "must be from 0 to 1; got nan"),
    (["report", "--noise", "depolarise:0.01"], "did you mean 'depolarize'?"),
    (["report", "--noise", "depolarize=0.01"], "is not 'channel:probability'"),
    (["report", "--shots", "0"], "argument --shots: expected a shot count from 1 to 1,000,000,000; got 0"),
    (["report", "--shots", "-5"], "expected a shot count from 1"),
    (["report", "--shots", "10000000000000"], "expected a shot count from 1"),
    (["report", "--shots", "1e3"], "argument --shots: expected a whole number of shots; got '1e3'"),
    (["report", "--noise", "depolarize:0.01", "--backend", "qsim-gpu"],
     "does not take option(s) noise (backends that do: cirq, qsim, statevector, tfq)"),
    (["report", "--noise", "depolarize:0.01", "--backend", "statevector", "--qubits", "16"],
     "A density matrix of 16 qubits (a state of 32) needs about"),
    (["metrics", "--noise", "wobble:0.1"], "unknown channel 'wobble'"),
    (["ner", "--noise", "depolarize:2"], "must be from 0 to 1; got 2.0"),
    (["ner", "--shots", "0"], "expected a shot count"),
])
def test_bad_noise_or_shots_on_the_command_line_is_one_line_with_exit_2(args, message, capsys, tmp_path):
    from sims.run import main

    json_path = tmp_path / "report.json"
    line = one_line_exit(capsys, lambda: main([*args, "--json", str(json_path)] if args[0] == "report" else args))
    assert message in line, line
    assert not json_path.exists()  # nothing written


def test_a_noisy_report_records_its_noise_and_shots(tmp_path, capsys):
    import json

    from sims.run import main

    path = tmp_path / "report.json"
    main(["report", "--qubits", "3", "--depth", "1", "--backend", "cirq", "--noise", "depolarize:0.02,readout:0.01",
          "--shots", "500", "--batch", "4", "--json", str(path)])
    out = capsys.readouterr().out
    assert "noise         depolarize:0.02,readout:0.01; 500 shots per readout" in out
    report = json.loads(path.read_text())
    assert report["noise"] == "depolarize:0.02,readout:0.01" and report["shots"] == 500
    assert "density-matrix simulator" in report["backend"]["device"]


@pytest.mark.tf
def test_a_report_of_trajectories_gives_their_standard_error(tmp_path, capsys):
    import json

    from sims.run import main

    path = tmp_path / "report.json"
    main(["report", "--qubits", "3", "--depth", "1", "--backend", "statevector", "--noise", "amplitude_damp:0.05",
          "--trajectories", "200", "--batch", "4", "--json", str(path)])
    out = capsys.readouterr().out
    sampled = json.loads(path.read_text())["trajectories"]
    assert sampled["measured"] and sampled["per_sample"] == 200
    assert 0 < sampled["standard_error_mean"] <= sampled["standard_error_max"] <= 1.01 / np.sqrt(200)
    assert "trajectories  200 per sample; standard error of a mean: max " in out
    main(["report", "--qubits", "3", "--depth", "1", "--backend", "qsim", "--noise", "amplitude_damp:0.05",
          "--batch", "2", "--json", str(path)])
    sampled = json.loads(path.read_text())["trajectories"]
    assert not sampled["measured"] and sampled["standard_error_max"] == pytest.approx(1 / np.sqrt(1000))
    assert "not measured by this backend" in capsys.readouterr().out
    main(["report", "--qubits", "3", "--depth", "1", "--backend", "statevector", "--noise", "amplitude_damp:0.05",
          "--batch", "2", "--json", str(path)])
    assert json.loads(path.read_text())["trajectories"] is None  # the exact density matrix


@pytest.mark.tf
def test_the_engines_mixed_states_equal_cirqs_density_matrices_and_their_overlaps_are_fidelities_when_pure():
    from sims.descriptors import mixed_overlaps

    ansatz = plugins.create("hardware_efficient", qubits=2, depth=2)
    values = ansatz.random_parameter_values(3, np.random.default_rng(21))
    noisy = make_backend("statevector", noise="amplitude_damp:0.1,depolarize:0.05", dtype="complex128")
    circuit = noisy.noise.noisy_circuit(ansatz.circuit)
    for row, rho in zip(values, noisy.mixed_states(ansatz, values), strict=True):
        resolver = dict(zip(ansatz.symbols, row, strict=True))
        expected = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate(
            circuit, resolver, qubit_order=ansatz.qubits).final_density_matrix
        np.testing.assert_allclose(rho, expected, atol=1e-8)
    pure = make_backend("statevector", dtype="complex128")
    states = pure.states(ansatz, values)
    fidelities = np.abs(np.sum(states[:2].conj() * states[1:], axis=1)) ** 2
    np.testing.assert_allclose(mixed_overlaps(ansatz, values[:2], values[1:], pure), fidelities, atol=1e-10)
    assert np.all(mixed_overlaps(ansatz, values[:2], values[1:], noisy) > 0)


@pytest.mark.tf
def test_descriptors_under_noise_give_expressibility_and_gradient_variance_but_no_entangling_capability(tmp_path):
    import json

    from sims.run import main

    common = ["metrics", "--ansatz", "hardware_efficient", "--qubits", "2", "--depth", "1-2", "--samples", "300",
              "--grad-samples", "20", "--metric-seeds", "2"]
    assert main([*common, "--json", str(tmp_path / "clean.json"), "--out-dir", str(tmp_path / "clean")]) == 0
    assert main([*common, "--noise", "depolarize:0.2", "--json", str(tmp_path / "noisy.json"),
                 "--out-dir", str(tmp_path / "noisy")]) == 0
    clean = json.loads((tmp_path / "clean.json").read_text())["rows"]
    noisy = json.loads((tmp_path / "noisy.json").read_text())["rows"]
    for before, after in zip(clean, noisy, strict=True):
        assert "entangling_capability" not in after and after["noise"] == "depolarize:0.2"
        assert after["expressibility"]["overlap"] == "Tr(rho sigma)"
        # Mixed states crowd their overlaps near 1/d: far from the Haar distribution of pure-state fidelities.
        assert after["expressibility"]["value"] > before["expressibility"]["value"] + 0.1
        assert after["gradient_variance"]["value"] < before["gradient_variance"]["value"]
    assert (tmp_path / "noisy.png").exists() and (tmp_path / "noisy-expressibility.png").exists()
