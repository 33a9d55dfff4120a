"""The statevector engine: agreement with cirq, exact gradients, plans, options, GPU placement."""

import cirq
import numpy as np
import pytest

tf_env = pytest.importorskip("sims.tf_env")
tf = tf_env.tf

from finite_differences import central_differences  # noqa: E402

import plugins  # noqa: E402
from qcircuits import ConfigurationError  # noqa: E402
from sims.backends import make_backend  # noqa: E402
from sims.backends.statevector.engine import compile_ansatz, compile_circuit  # noqa: E402
from sims.backends.statevector.gates import gate_terms  # noqa: E402
from sims.backends.statevector.plan import DenseBlock, PhaseRun, make_plan, phase_run  # noqa: E402
from sims.backends.statevector.program import gate_terms_of  # noqa: E402

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`

NAMES = plugins.list_ansatze()
ENCODINGS = ["angle_x", "angle_y", "angle_z", "dense_angle", "iqp", "none"]


def _cirq_reference(ansatz, values, readouts=None):
    """Expectations and states from cirq's complex128 simulator."""
    simulator = cirq.Simulator(dtype=np.complex128)
    sweep = cirq.Zip(*(cirq.Points(s, values[:, k]) for k, s in enumerate(ansatz.symbols)))
    observables = list(readouts if readouts is not None else ansatz.readouts)
    expectations = np.real(np.asarray(simulator.simulate_expectation_values_sweep(
        ansatz.circuit, observables=observables, params=sweep, qubit_order=list(ansatz.qubits))))
    states = np.stack([r.final_state_vector for r in simulator.simulate_sweep(
        ansatz.circuit, params=sweep, qubit_order=list(ansatz.qubits))])
    return expectations, states


def _build(name, qubits, depth, encoding, **extra):
    try:
        return plugins.create(name, qubits=qubits, depth=depth, encoding=encoding, **extra)
    except ConfigurationError:
        return None  # a family that needs more qubits or bounds its depth says so elsewhere


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_forward_agrees_with_cirq_in_both_precisions(name, encoding):
    rng = np.random.default_rng(0)
    checked = 0
    for qubits, depth, reupload in [(2, 1, False), (3, 2, True), (5, 2, False)]:
        ansatz = _build(name, qubits, depth, encoding, **({"reupload": True} if reupload else {}))
        if ansatz is None:
            ansatz = _build(name, qubits, depth, encoding)
        if ansatz is None:
            continue
        values = ansatz.random_parameter_values(4, rng)
        expected, states = _cirq_reference(ansatz, values)
        n_data = ansatz.n_data_symbols
        # float64 at every configuration; float32 (the same kernels in another dtype) at the first.
        precisions = ((tf.float32, 1e-5), (tf.float64, 1e-10)) if not checked else ((tf.float64, 1e-10),)
        for dtype, tolerance in precisions:
            per_sample = compile_ansatz(ansatz, shared_weights=False, dtype=dtype)
            got = per_sample.expectations(tf.constant(values, dtype), None, len(values)).numpy()
            np.testing.assert_allclose(got, expected, atol=tolerance)
            np.testing.assert_allclose(per_sample.states(tf.constant(values, dtype), None, len(values)).numpy(),
                                       states, atol=tolerance)
            shared = compile_ansatz(ansatz, shared_weights=True, dtype=dtype)
            row = values[:1]
            got = shared.expectations(tf.constant(row[:, :n_data], dtype) if n_data else None,
                                      tf.constant(row[0, n_data:], dtype), 1).numpy()
            np.testing.assert_allclose(got, expected[:1], atol=tolerance)
        checked += 1
    assert checked, "no configuration of this ansatz could be built"


@pytest.mark.parametrize("readout", ["ZZIII,X0,Y1,XYZII", "X0*X4,Y2*Z3,Z4", "0,2,4"])
@pytest.mark.parametrize("width", [2, 5, None])
def test_pauli_readouts_of_any_kind_at_any_fusion_width(readout, width):
    ansatz = plugins.create("efficient_su2", qubits=5, depth=2, encoding="iqp", readout=readout)
    values = ansatz.random_parameter_values(3, np.random.default_rng(1))
    expected, _ = _cirq_reference(ansatz, values)
    program = compile_ansatz(ansatz, shared_weights=False, dtype=tf.float64, shared_block_qubits=width)
    np.testing.assert_allclose(program.expectations(tf.constant(values), None, 3).numpy(), expected, atol=1e-10)


@pytest.mark.parametrize("gate", [
    cirq.PhasedXPowGate(phase_exponent=0.3, exponent=0.7), cirq.FSimGate(theta=0.4, phi=1.1),
    cirq.PhasedISwapPowGate(phase_exponent=0.2, exponent=0.6), cirq.ISwapPowGate(exponent=0.3),
    cirq.XXPowGate(exponent=0.4), cirq.YYPowGate(exponent=0.2), cirq.SwapPowGate(exponent=0.5),
    cirq.CCZ, cirq.CCX, cirq.ZPowGate(exponent=0.3).controlled(2), cirq.XPowGate(exponent=0.4).controlled(
        control_values=[0])])
def test_every_supported_gate_kind_fixed_and_symbolic(gate):
    """Fixed gates, and each symbolic parameter of the gate in turn, agree with cirq."""
    import sympy

    qubits = cirq.LineQubit.range(4)
    ops = [cirq.ry(0.3 * (k + 1)).on(q) for k, q in enumerate(qubits)]
    on = qubits[:cirq.num_qubits(gate)][::-1]
    variants = [gate]
    s = sympy.Symbol("s")
    for attribute in ("exponent", "phase_exponent", "theta", "phi"):
        if hasattr(gate, attribute) and not isinstance(gate, cirq.ControlledGate):
            try:
                variants.append(cirq.resolvers.resolve_parameters(gate, {}) if False else
                                _with(gate, attribute, 1.7 * s))
            except (TypeError, ValueError):
                pass
    for variant in variants:
        circuit = cirq.Circuit(ops + [variant.on(*on), cirq.H(qubits[0])])
        symbols = sorted(cirq.parameter_symbols(circuit), key=str) or []
        values = np.array([[0.37]] * 2)[:, :len(symbols)]
        resolved = cirq.resolve_parameters(circuit, {sym: 0.37 for sym in symbols})
        expected = cirq.Simulator(dtype=np.complex128).simulate(resolved, qubit_order=qubits).final_state_vector
        program = compile_circuit(circuit, qubits, symbols, [cirq.Z(qubits[0])], dtype=tf.float64)
        got = program.states(tf.constant(values, tf.float64) if symbols else tf.zeros((2, 0), tf.float64), None, 2)
        np.testing.assert_allclose(got.numpy()[0], expected, atol=1e-10)


def _with(gate, attribute, value):
    import dataclasses  # noqa: F401

    kwargs = {a: getattr(gate, a) for a in ("exponent", "phase_exponent", "theta", "phi", "global_shift")
              if hasattr(gate, a) and a in type(gate).__init__.__code__.co_varnames}
    kwargs[attribute] = value
    return type(gate)(**kwargs)


@pytest.mark.parametrize("name, options", [
    ("hardware_efficient", {"encoding": "angle_x", "reupload": True}),
    ("strongly_entangling", {"encoding": "iqp"}),
    ("efficient_su2", {"encoding": "dense_angle", "features": 5}),
    ("sim_14", {"encoding": "angle_z"}),
    ("sim_05", {}),
    ("tree_tensor_network", {"qubits": 4}),
])
def test_input_and_weight_gradients_match_finite_differences_and_tfq(name, options):
    from sims.layers import QuantumLayer

    options = {"qubits": 3, "depth": 2, **options}
    if name == "tree_tensor_network":
        options.pop("depth")
    layer = QuantumLayer(name, projection="none", backend="statevector", dtype="float64", **options)
    tfq_layer = QuantumLayer(name, projection="none", backend="tfq", **options)
    n = layer.ansatz.n_features
    x64 = tf.constant(np.random.default_rng(1).uniform(0, np.pi, (3, n)), tf.float64)
    layer.build(x64.shape)
    tfq_layer.build(x64.shape)
    tfq_layer.set_weights([w.astype(np.float32) for w in layer.get_weights()])
    weights = np.random.default_rng(2).normal(size=layer.n_readouts)

    def gradients(model, x):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            loss = tf.reduce_sum(model(x) * tf.cast(weights, x.dtype))
        return tape.gradient(loss, x).numpy(), tape.gradient(loss, model.circuit_weights).numpy()

    grad_x, grad_w = gradients(layer, x64)
    w0 = layer.circuit_weights.numpy()

    def f(features, circuit_weights):
        layer.circuit_weights.assign(circuit_weights)
        value = float(np.sum(layer(tf.constant(features)).numpy() * weights))
        layer.circuit_weights.assign(w0)
        return value

    fd_x, fd_w = central_differences(f, x64.numpy(), w0, 1e-6)
    np.testing.assert_allclose(grad_w, fd_w, atol=1e-6)
    np.testing.assert_allclose(grad_x, fd_x, atol=1e-6)
    assert np.abs(grad_w).max() > 1e-2  # not vacuously zero
    tfq_x, tfq_w = gradients(tfq_layer, tf.cast(x64, tf.float32))
    np.testing.assert_allclose(grad_w, tfq_w, atol=1e-3)
    np.testing.assert_allclose(grad_x, tfq_x, atol=1e-3)


def test_cnot_phase_cnot_is_one_diagonal_with_no_gather():
    q = cirq.LineQubit.range(2)
    import sympy

    z = sympy.Symbol("z")
    circuit = cirq.Circuit([cirq.CNOT(*q), cirq.rz(2 * z).on(q[1]), cirq.CNOT(*q)])
    run = phase_run(gate_terms(circuit, q, [z]), 2, [0, 1])
    assert run.source is None  # the two permutations cancel
    np.testing.assert_allclose(run.omega[0], [-1, 1, 1, -1])  # exp(-i z Z0 Z1)


def test_a_small_weight_only_circuit_becomes_shared_blocks_after_a_product_state():
    ansatz = plugins.create("hardware_efficient", qubits=6, depth=3)
    program = compile_ansatz(ansatz)
    assert program.plan.init.real  # RY on |0>: a real product state
    assert all(isinstance(s, DenseBlock) and not s.per_sample for s in program.plan.steps[:program.readout_steps])
    iqp = compile_ansatz(plugins.create("hardware_efficient", qubits=4, depth=1, encoding="iqp"))
    assert any(isinstance(s, PhaseRun) and s.symbols for s in iqp.plan.steps)
    assert not iqp.plan.init.real


def test_fusion_width_never_exceeds_the_limit():
    ansatz = plugins.create("strongly_entangling", qubits=7, depth=3, reupload=True)
    terms = gate_terms(ansatz.circuit, ansatz.qubits, ansatz.symbols)
    plan = make_plan(terms, 7, set(range(ansatz.n_data_symbols)), shared_block_qubits=3, sample_block_qubits=2)
    widths = [len(s.qubits) for s in plan.steps if isinstance(s, DenseBlock)]
    assert widths and max(widths) <= 3
    gates = sum(s.n_gates for s in plan.steps) + sum(len(t) for t in plan.init.per_qubit)
    assert gates == len(terms)  # every gate planned exactly once


@pytest.mark.parametrize("kwargs, match", [
    ({"dtype": "complex32"}, "Unknown statevector dtype 'complex32'"),
    ({"threads": 2}, "Backend 'statevector' does not take option\\(s\\) threads \\(backends that do: qsim\\); "
                     "it takes: noise, repetitions, shot_seed, dtype, device"),
    ({"device": "tpu"}, "Unknown device 'tpu'"),
])
def test_bad_engine_options_are_one_line_errors(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        make_backend("statevector", **kwargs)


def test_memory_is_checked_before_building():
    from sims.layers import QuantumLayer

    with pytest.raises(ConfigurationError, match="40 qubits need about .* for the statevector backend"):
        QuantumLayer("hardware_efficient", qubits=40, backend="statevector")


HAS_GPU = bool(tf.config.list_physical_devices("GPU"))


def test_asking_for_a_gpu_without_one_says_how_to_get_one():
    if HAS_GPU:
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigurationError, match="TensorFlow sees no GPU .* tensorflow\\[and-cuda\\]"):
        make_backend("statevector", device="gpu")


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs a GPU visible to TensorFlow (tensorflow[and-cuda])")
@pytest.mark.parametrize("name", NAMES)
def test_gpu_and_cpu_engines_agree(name):
    from sims.layers import QuantumLayer

    x = np.random.default_rng(0).uniform(0, np.pi, (64, 8)).astype(np.float32)
    out = {}
    for device in ("cpu", "gpu"):
        layer = QuantumLayer(name, qubits=8, backend="statevector", backend_options={"device": device}, seed=3)
        with tf.GradientTape() as tape:
            y = layer(x)
        out[device] = (y.numpy(), tape.gradient(tf.reduce_sum(y), layer.circuit_weights).numpy())
    np.testing.assert_allclose(out["gpu"][0], out["cpu"][0], atol=1e-5)
    np.testing.assert_allclose(out["gpu"][1], out["cpu"][1], atol=1e-4)


def test_the_planner_weighs_a_shared_blocks_build_against_the_batch():
    """A fused block's matrix (and its gradient) is built once per call, its product paid per sample:
    small batches get narrower blocks. sim_14's 8-qubit fold, the batch-blind choice, measured 7x
    slower at batch 128 than the 5-qubit blocks (benchmarks/planner_cost.py)."""
    from sims.backends.statevector.engine import ansatz_plans
    from sims.backends.statevector.plan import DenseBlock, plan_cost

    plans = ansatz_plans(plugins.create("sim_14", qubits=8, depth=2))
    fold = next(p for p in plans.plans if len(p.steps) == 1 and not p.steps[0].on_rows)  # one 256 x 256 matrix
    assert plan_cost(fold) < plan_cost(plans.plan_for(128))  # fewest passes over the states ...
    assert plan_cost(fold, 128) > plan_cost(plans.plan_for(128), 128)  # ... yet not chosen at 128
    at_128 = max(len(s.qubits) for s in plans.plan_for(128).steps if isinstance(s, DenseBlock) and not s.on_rows)
    assert at_128 < 8
    for plan in plans.plans:  # more samples never cost less; the build part does not grow with the batch
        costs = [plan_cost(plan, b) for b in (1, 16, 128, 2048)]
        assert costs == sorted(costs)
        assert plan_cost(plan, 2) - plan_cost(plan, 1) == pytest.approx(plan_cost(plan, 3) - plan_cost(plan, 2))


def test_the_layer_kernel_plans_for_each_known_batch_size_and_builds_each_program_once():
    from sims.backends.statevector.layer_kernel import StatevectorKernel

    ansatz = plugins.create("sim_14", qubits=6, depth=2)
    kernel = StatevectorKernel(ansatz, dtype=tf.float32)
    small, large = kernel.program_for(16), kernel.program_for(8192)
    assert small.plan.describe() != large.plan.describe()  # block4 x 7 for 16 samples, one 6-qubit fold for 8192
    assert kernel.program_for(16) is small and kernel.program_for(tf.constant(5)) is small  # unknown: the last
    x = tf.constant(np.random.default_rng(0).uniform(0, 3, (16, ansatz.n_data_symbols)), tf.float32)
    w = tf.constant(np.random.default_rng(1).uniform(0, 6, ansatz.n_weights), tf.float32)
    np.testing.assert_allclose(kernel(x, w, 16).numpy(), large.expectations(x, w, 16).numpy(), atol=2e-5)


def test_eager_calls_run_one_graph_traced_once_per_program():
    from sims.layers import QuantumLayer

    layer = QuantumLayer("hardware_efficient", qubits=4, depth=2, backend="statevector", projection="none")
    outputs = []
    for batch in (64, 80, 96):  # one plan for all three: one trace, whatever the batch size
        x = tf.constant(np.random.default_rng(batch).uniform(0, 3, (batch, 4)), tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = layer(x)
            total = tf.reduce_sum(out)
        assert tape.gradient(total, x) is not None  # differentiable through the graph
        outputs.append((x, out))
    graphs = list(layer.kernel._graphs.values())
    assert len(graphs) == 1
    x, out = outputs[-1]
    program = layer.kernel.program_for(96)
    expected = program.expectations(x, tf.cast(layer.circuit_weights, tf.float32), 96)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=1e-6)


@pytest.mark.tf
def test_the_checkpointed_gradient_mode_gives_autodiffs_numbers_and_is_chosen_when_the_batch_does_not_fit():
    from sims.layers import QuantumLayer

    x = tf.constant(np.random.default_rng(21).uniform(0, np.pi, (7, 3)))
    layer = QuantumLayer("hardware_efficient", qubits=3, depth=2, dtype="float64", backend="statevector")
    layer.build(x.shape)

    def run():
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = layer(x)
            loss = tf.reduce_sum(out * [1.0, -2.0, 3.0])
        gx, gw = tape.gradient(loss, [x, layer.circuit_weights])
        return out.numpy(), gx.numpy(), gw.numpy()

    plain = run()
    assert layer.kernel.last_chunk is None
    layer.kernel.chunk = 3  # 7 samples: chunks of 3, 3 and 1, each recomputed for the gradient
    checkpointed = run()
    assert layer.kernel.last_chunk == 3
    for a, b in zip(plain, checkpointed, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    # Chosen from the memory estimate: room for 2 samples' autodiff copies gives chunks of 2.
    layer.kernel.chunk = None
    per_sample = layer.kernel.bytes_per_sample()
    assert layer.kernel.gradient_chunk(7, available=int(2.5 * per_sample / 0.9)) == 2  # a density matrix alike
    assert layer.kernel.gradient_chunk(7, available=100 * per_sample) is None
    with pytest.raises(ConfigurationError, match="A batch of 1 at 3 qubits .*needs"):
        layer.kernel.gradient_chunk(7, available=per_sample // 4)


def _labels(plan) -> list[str]:
    """The labels of a plan's gates, phase runs' included."""
    runs = [s for s in plan.steps if isinstance(s, PhaseRun)]
    runs += [r for s in plan.steps if isinstance(s, DenseBlock) for r in s.recipe if isinstance(r, PhaseRun)]
    return [t.label for t in gate_terms_of(plan)] + [t.label for r in runs for t in r.terms]


@pytest.mark.parametrize("name, encoding, depth", [
    ("hardware_efficient", "angle_y", 2), ("sim_14", "angle_x", 2), ("strongly_entangling", "dense_angle", 2),
    ("efficient_su2", "iqp", 2), ("sim_06", "angle_y", 1)])  # sim_06: 20 CRX a layer, twice the plans
def test_every_candidate_plan_agrees_with_cirq_and_on_gradients(name, encoding, depth):
    """Each plan the planner may pick (a first block on the product state's factor as a matrix or
    run on the samples' rows, at every first width, then every other block width; for sim_06 also
    the plans of its CRX in diagonal frames) gives Cirq's states, and the same input and weight
    gradients as the others."""
    from sims.backends.statevector.engine import ansatz_plans

    ansatz = plugins.create(name, qubits=5, depth=depth, encoding=encoding)
    values = ansatz.random_parameter_values(3, np.random.default_rng(4))
    _, states = _cirq_reference(ansatz, values)
    n_data = ansatz.n_data_symbols
    plans = ansatz_plans(ansatz, dtype=tf.float64)
    kinds = {(s.on_rows, len(s.qubits)) for p in plans.plans for s in p.steps[:1] if isinstance(s, DenseBlock)}
    framed = [p for p in plans.plans if any("diagonal frame" in label for label in _labels(p))]
    assert bool(framed) == (name == "sim_06")
    if encoding != "iqp":  # an IQP encoding's phases come first: no block on the product state
        assert any(rows for rows, _ in kinds) and any(not rows for rows, _ in kinds)
    x, w = tf.constant(values[:, :n_data]), tf.Variable(values[0, n_data:])
    reference = None
    for plan in plans.plans:
        program = plans.program_for_plan(plan)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = program.expectations(x, w, 3)
            loss = tf.reduce_sum(out * tf.range(1, out.shape[1] + 1, dtype=tf.float64))
        gradients = [g.numpy() for g in tape.gradient(loss, [x, w])]
        # Shared weights are the first row's: compare that row's state.
        np.testing.assert_allclose(program.states(x, w, 3).numpy()[0], states[0], atol=1e-10,
                                   err_msg=plan.describe())
        if reference is None:
            reference = gradients
        for got, expected in zip(gradients, reference, strict=True):
            np.testing.assert_allclose(got, expected, atol=1e-10, err_msg=plan.describe())


def test_planning_makes_no_phase_tables_until_a_program_needs_them():
    """At 20 qubits each phase run's tables are 2^20 entries: the candidate plans (scores of them)
    are compared by the cost model alone, and only the chosen one's tables are made."""
    from sims.backends.statevector.engine import ansatz_plans

    plans = ansatz_plans(plugins.create("hardware_efficient", qubits=10, depth=2))
    runs = [s for p in plans.plans for s in p.steps if isinstance(s, PhaseRun)]
    assert runs and not any("_tables" in vars(r) for r in runs)
    program = plans.program_for_plan(next(p for p in plans.plans if any(isinstance(s, PhaseRun) for s in p.steps)))
    x = tf.zeros([2, program.plan.n_qubits])
    w = tf.zeros([len(program.shared_index)])
    program.states(x, w, 2)
    made = [s for p in plans.plans for s in p.steps if isinstance(s, PhaseRun) and "_tables" in vars(s)]
    assert made and all(any(s is t for t in program.plan.steps) for s in made)


@pytest.mark.parametrize("qubits", [(1, 3), (3, 1), (0, 2), (4, 2), (0, 2, 4), (3, 0, 1)])
def test_a_gate_embedded_on_a_block_matrix_agrees_with_cirq_and_the_einsum_on_gradients(qubits, monkeypatch):
    from sims.backends.statevector import kernels

    k, rng = 5, np.random.default_rng(len(qubits) * 10 + qubits[0])
    m = len(qubits)
    gate = cirq.testing.random_unitary(2 ** m, random_state=np.random.RandomState(7 + qubits[0]))
    rows = rng.normal(size=(1, 2 ** k, 2 ** k)) + 1j * rng.normal(size=(1, 2 ** k, 2 ** k))
    line = cirq.LineQubit.range(k)
    full = cirq.Circuit(cirq.MatrixGate(gate).on(*(line[q] for q in qubits))).unitary(qubit_order=line)
    weights = tf.constant(rng.normal(size=rows.shape), tf.float64)

    def applied(embedded: bool):
        monkeypatch.setattr(kernels, "EMBED_MIN_VIEW_AXES", 0 if embedded else 99)
        matrix = tf.Variable(gate[None])
        with tf.GradientTape() as tape:
            out = kernels._apply_gate(tf.constant(rows), matrix, qubits, k)
            loss = tf.reduce_sum(weights * tf.math.real(out * tf.math.conj(out)))
        return out.numpy(), tape.gradient(loss, matrix).numpy()

    embedded, embedded_grad = applied(True)
    einsum, einsum_grad = applied(False)
    np.testing.assert_allclose(embedded, rows @ full.T, atol=1e-10)  # each row a state: row' = U row
    np.testing.assert_allclose(einsum, embedded, atol=1e-10)
    np.testing.assert_allclose(embedded_grad, einsum_grad, atol=1e-9)
