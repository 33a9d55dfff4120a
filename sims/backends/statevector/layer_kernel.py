"""The engine as a Keras layer's kernel: readouts from per-sample data values and shared weights."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.noise import Noise, NoiseSpec
from sims.backends.statevector.heisenberg import HeisenbergProgram
from sims.backends.statevector.plan import autodiff_copies
from sims.backends.statevector.sizes import FORWARD_COPIES, samples_per_chunk
from sims.memory import USABLE_SHARE, available_memory_bytes, check_fits, count_that_fits

if TYPE_CHECKING:  # pragma: no cover
    from sims.backends.statevector.program import Program

# Calls of at most this many amplitudes (batch x 2^width) run compiled by XLA under ``xla="auto"``
# (CPU), with the plan the XLA cost model picks. Measured on 2 cores, forward + gradient, depth 2,
# fastest of 3 calls a round, against the plain graph with its own plan (docs/engine.md, "XLA"):
# 8 qubits at batch 64 1.17-1.48x faster, at batch 128 (2^15) 1.11-1.40x (hardware_efficient,
# sim_05, sim_06, sim_13, sim_14); with the XLA helpers of tensors.py, 10 qubits at batch 32 (2^15)
# 1.13-2.19x and 12 qubits at batch 8 1.24-1.56x for the same families (at 2^16, 10 qubits batch 64,
# sim_06 0.97x: the limit stays). Wider states (13-15 qubits at batch 4 to 1) were not measured: they
# stay uncompiled.
XLA_MAX_AMPLITUDES = 2 ** 15
XLA_MAX_WIDTH = 12
# XLA keeps every function it compiled until the process ends (TensorFlow's compilation cache has no
# eviction): 100-300 MiB for each compiled layer call at 8 qubits (measured). ``"auto"`` compiles at
# most this many calls (forward and gradient pairs) per process, then runs the plain graph, so that a
# sweep of many layers in one process does not grow without bound.
XLA_MAX_COMPILED_CALLS = 8
_compiled_calls = 0  # compiled so far in this process (compiled_with_recomputed_gradient)


class StatevectorKernel:
    """Readouts of one ansatz from per-sample data values and shared weights, in TensorFlow.

    The plan is chosen for the batch size: at the first call whose batch size is known
    (eager, or a traced shape), and again for another known size when the cost model picks
    another plan (at most one program per candidate plan is ever built). A call whose batch
    size is unknown when traced (Keras ``fit`` traces with ``None``) uses ``batch_hint``, else
    the last known size, else ``plan.DEFAULT_PLANNING_BATCH``.

    With noise channels (or channels in the ansatz) it runs the density-matrix mode;
    readout error scales the exact expectations; with ``repetitions`` the readouts are
    sampled with that many shots and the gradients come from the parameter-shift rule with
    the same shots (:mod:`.shots`).

    Args:
        ansatz: the ansatz.
        dtype: ``tf.float32`` (complex64 states) or ``tf.float64``.
        device: a TensorFlow device name, or None for TensorFlow's placement.
        batch_hint: the batch size calls will have, when their shapes do not say.
        noise: channels and readout error (:mod:`qcircuits.noise`), or None.
        repetitions: shots per readout, or None for exact expectations.
        seed: seed of the shot sampler and of the trajectories' draws.
        trajectories: with noise channels, ``K`` Monte Carlo trajectories per sample (any channel)
            instead of the density matrix.
        xla: ``"auto"``, ``"on"`` or ``"off"``: when calls run compiled by XLA (:meth:`compiles`).
    """

    def __init__(self, ansatz: Ansatz, *, dtype, device: str | None = None, batch_hint: int | None = None,
                 noise: Noise | None = None, repetitions: int | None = None, seed: int = 0,
                 trajectories: int | None = None, xla: str = "auto"):
        from sims.backends.statevector.engine import CircuitPlans, ansatz_plans

        self.ansatz = ansatz
        self.noise = noise if noise is not None else NoiseSpec()
        self.plans = ansatz_plans(ansatz, shared_weights=True, dtype=dtype, noise=self.noise,
                                  trajectories=trajectories, seed=seed)
        self.rows_per_sample = trajectories if trajectories is not None and self.plans.wrap is not None else 1
        self.width = self.plans.width  # 2n in the density-matrix mode
        self.dtype = dtype
        self.device = device
        self.batch_hint = batch_hint
        self.xla = xla
        self.last_compiled = False  # whether the last call ran compiled by XLA
        self.program = self.plans.program(batch_hint)
        self._graphs: dict[tuple[int, int | None, bool, int | None, bool], Any] = {}
        self.chunk: int | None = None  # force the checkpointed mode's chunk size (benchmarks, tests)
        self.last_chunk: int | None = None  # the chunk size the last call used (None: plain autodiff)
        self.row_chunk: int | None = None  # force trajectories per sample per pass (tests)
        self.last_row_chunk: int | None = None  # trajectories per pass in the last call (None: all at once)
        factors = self.noise.readout_factors(ansatz.readouts)
        self.factors = None if np.all(factors == 1.0) else factors
        self.shots = None
        if repetitions is not None:
            from sims.backends.statevector.shots import ShotEstimator

            occurrence_plans = CircuitPlans(self.plans.circuit, ansatz.qubits, ansatz.symbols, ansatz.readouts,
                                            dtype=dtype, density=self.plans.density, occurrences=True)
            chunk = samples_per_chunk(self.width, 8 if dtype.size == 4 else 16, available=None)
            self.shots = ShotEstimator(occurrence_plans, ansatz.readouts, factors, repetitions, seed,
                                       chunk=max(1, min(chunk, 1024)))

    @property
    def xla_compatible(self) -> bool:
        """Whether it runs inside an XLA-compiled function: exact readouts do (trajectories draw other
        numbers there than in a plain graph, from the same seed); shots do not (XLA has no binomial
        sampler)."""
        return self.shots is None

    def expect_batch(self, size: int | None) -> None:
        """Plans calls whose batch size is unknown when traced (Keras ``fit``) for ``size`` samples.

        Without it they use the last size seen, which may be a build call's dummy batch: a
        density-matrix layer planned for one sample runs every sample forward, where a batch of 128
        runs 10x faster backwards (:mod:`.heisenberg`).
        """
        self.batch_hint = size
        if size is not None:
            self.program_for(size)

    def program_for(self, batch, xla: bool = False) -> Program | HeisenbergProgram:
        """The program for ``batch`` (an int, or a tensor when the size is known only at run time), run
        compiled by XLA (``xla``: the plan is chosen by the XLA cost model) or not."""
        if not isinstance(batch, int) and self.batch_hint is not None:
            batch = self.batch_hint
        if isinstance(batch, int):
            program = self.plans.program(batch, xla)
            if isinstance(program, HeisenbergProgram) and self.fixed_bytes(program) > \
                    USABLE_SHARE * available_memory_bytes():  # the readouts' backward run alone would not fit
                program = self.plans.program_for_plan_at(batch, xla)
            self.program = program  # and for later calls whose size is unknown
        return self.program

    @property
    def plan_summary(self) -> str:
        program = self.program
        return program.describe() if isinstance(program, HeisenbergProgram) else program.plan.describe()

    @property
    def bytes_per_amplitude(self) -> int:
        return 8 if self.dtype.size == 4 else 16

    def training_copies(self) -> int:
        """States kept alive for one forward+gradient pass: autodiff keeps each step's input (of the
        readouts' backward run, in the Heisenberg picture)."""
        program = self.program
        steps = program.plan.steps if isinstance(program, HeisenbergProgram) else \
            program.plan.steps[:program.readout_steps]
        return FORWARD_COPIES + autodiff_copies(steps)  # measured: benchmarks/engine_memory.py

    def fixed_bytes(self, program: Program | HeisenbergProgram | None = None) -> int:
        """Memory a call needs whatever its batch: the Heisenberg picture's backward run of the readouts."""
        program = self.program if program is None else program
        if not isinstance(program, HeisenbergProgram):
            return 0
        return program.fixed_bytes(self.bytes_per_amplitude, FORWARD_COPIES + autodiff_copies(program.plan.steps))

    def bytes_per_sample(self) -> int:
        """Autodiff's memory for one sample's forward and gradient (the engine's estimate)."""
        if isinstance(self.program, HeisenbergProgram):
            return self.program.bytes_per_sample(self.bytes_per_amplitude)
        gates = getattr(self.program, "gates", None)  # a Program of a product state (.product): no 2^n states
        if gates is not None:
            return gates.bytes_per_sample(self.bytes_per_amplitude)
        return (2 ** self.width) * self.bytes_per_amplitude * self.training_copies() * self.rows_per_sample

    def check_batch(self, batch: int, available: int | None = None) -> None:
        """Refuses a batch whose states would not fit, with the estimate.

        Raises:
            ResourceLimitError: naming the estimate, what is free and the largest batch that fits.
        """
        per_sample = self.bytes_per_sample()
        kind = " (a density matrix: a state of twice the width)" if self.plans.density else ""
        free = (available_memory_bytes() if available is None else available) - self.fixed_bytes()
        if USABLE_SHARE * free < per_sample:  # count_that_fits would say 1
            advice = ("Not even one sample fits: use fewer qubits, trajectories under noise, or a machine with "
                      "more memory.")
        else:
            advice = f"Use batches of at most {count_that_fits(per_sample, available=free)}."
        check_fits(batch * per_sample, available=free,
                   who=f"A batch of {batch} at {self.ansatz.n_qubits} qubits{kind} needs",
                   what="the statevector engine (forward and gradient)", advice=advice)

    def gradient_chunk(self, batch: int, available: int | None = None) -> int | None:
        """Samples per checkpointed chunk when autodiff's copies of the whole batch would not fit, else None.

        The checkpointed mode keeps only each chunk's inputs through the forward pass and
        recomputes one chunk's states at a time for the gradient (``tf.recompute_grad``):
        memory of one chunk for one more forward pass. :attr:`chunk` forces a size.

        Raises:
            ResourceLimitError: when even one sample (one trajectory of it, with trajectories) does not fit.
        """
        return self.memory_mode(batch, available)[0]

    def memory_mode(self, batch: int, available: int | None = None) -> tuple[int | None, int | None]:
        """``(samples per chunk, trajectories per pass)``; None for either: all at once.

        With trajectories, when the batch's rows do not fit, they run in passes of fewer rows per
        sample (:meth:`.trajectories.TrajectoryProgram.rows`), the whole batch at a time.

        Raises:
            ResourceLimitError: when not even one row of one sample fits, or with trajectories when
                one row of every sample does not (with the largest batch that fits).
        """
        if self.chunk is not None or self.row_chunk is not None:
            rows = self.row_chunk if self.row_chunk is not None and self.row_chunk < self.rows_per_sample else None
            return (self.chunk if self.chunk is not None and self.chunk < batch else None), rows
        free = (available_memory_bytes() if available is None else available) - self.fixed_bytes()
        budget = USABLE_SHARE * free
        per_sample = self.bytes_per_sample()
        if batch * per_sample <= budget:
            return None, None
        if per_sample <= budget and self.rows_per_sample == 1:
            return max(1, int(budget // per_sample)), None
        per_row = per_sample // self.rows_per_sample
        if self.rows_per_sample == 1 or per_row > budget:
            self.check_batch(1, available)  # raises, with the estimate
        rows = int(budget // (batch * per_row))
        if rows >= 1:
            return None, rows
        # Chunks of samples would make the trajectories' draws inside the recomputation (a stateful
        # generator there fails in TensorFlow's gradient, and a redraw would not be the same path).
        check_fits(batch * per_row, available=free,
                   who=f"A batch of {batch} at {self.ansatz.n_qubits} qubits, one trajectory per sample at a time,",
                   what="the statevector engine's trajectories (forward and gradient)",
                   advice=f"Use batches of at most {count_that_fits(per_row, available=free)}.")
        return None, 1

    def __call__(self, data_values, weights, batch):
        """``[batch, n_readouts]`` from data-symbol values ``[batch, D]`` (None without data) and weights ``[W]``."""
        from sims.tf_env import in_xla_context, tf

        compiled = self.compiles(batch)
        # Under XLA (the engine's own compiled call or the caller's) other plans are cheapest: its own cost model.
        program = self.program_for(batch, xla=compiled or in_xla_context())
        chunk = row_chunk = None
        if isinstance(batch, int) and self.shots is None:
            chunk, row_chunk = self.memory_mode(batch)
            if compiled and (chunk is not None or row_chunk is not None):  # runs in chunks, not compiled
                compiled = False
                program = self.program_for(batch)
                chunk, row_chunk = self.memory_mode(batch)
        elif isinstance(batch, int):
            self.check_batch(batch)
        self.last_chunk, self.last_row_chunk = chunk, row_chunk

        out_dtype = data_values.dtype if data_values is not None else weights.dtype
        if data_values is not None:
            data_values = tf.cast(data_values, self.dtype)
        weights = tf.cast(weights, self.dtype)
        computation = self._exact(program, row_chunk) if self.shots is None else self._sampled(program)
        if chunk is not None:
            computation = self._checkpointed(computation, chunk)
        elif compiled:
            computation = compiled_with_recomputed_gradient(computation)
        self.last_compiled = compiled
        if tf.executing_eagerly():
            run = self._graph(program, batch, computation, static_batch=chunk is not None, row_chunk=row_chunk,
                              xla=compiled)
        else:
            run = computation
        with tf.device(self.device) if self.device else contextlib.nullcontext():
            out = run(data_values, weights, batch)
        return tf.cast(out, out_dtype)

    def compiles(self, batch) -> bool:
        """Whether a call of ``batch`` samples (an int, or a tensor when unknown until run time) runs
        compiled by XLA.

        ``"auto"``: a call traced into the caller's graph (``tf.function``, Keras ``fit``: steps
        that repeat; an eager call is mostly a one-off, for which compiling costs more than it
        saves) on the CPU, of at most :data:`XLA_MAX_AMPLITUDES` amplitudes and :data:`XLA_MAX_WIDTH`
        qubits (small states, where TensorFlow's per-operation cost dominates and XLA fuses the
        operations away), while the process has compiled fewer than :data:`XLA_MAX_COMPILED_CALLS`
        calls, counting the batch known when traced or, when it is not, the batch hint
        (``batch_size`` of the layer: every batch has that size). A traced batch of unknown size without a hint is not
        compiled: XLA compiles once per size, and sizes that vary (words per sentence batch) would
        compile on every step. Never with shots or trajectories (see
        :class:`~.backend.StatevectorOptions`), nor inside a function that XLA compiles already
        (Keras ``compile(jit_compile=True)``).
        """
        from sims.tf_env import in_xla_context, tf

        trajectories = self.plans.wrap is not None
        if self.xla == "off" or self.shots is not None or trajectories or in_xla_context():
            return False
        if self.xla == "on":
            return True
        if tf.executing_eagerly():
            return False
        device = (self.device or "").upper()
        if "GPU" in device or (not device and tf.config.list_logical_devices("GPU")):
            return False  # measured on CPUs only
        if not isinstance(batch, int):
            batch = self.batch_hint
        if batch is None or _compiled_calls >= XLA_MAX_COMPILED_CALLS:
            return False
        return self.width <= XLA_MAX_WIDTH and batch * 2 ** self.width <= XLA_MAX_AMPLITUDES

    def _checkpointed(self, computation, chunk: int):
        """``computation`` over a known batch in chunks of ``chunk`` samples, one after another
        (``tf.map_fn``, no parallel iterations), each under ``tf.recompute_grad``: the forward pass
        keeps only the chunks' inputs and the backward pass recomputes one chunk's states at a time.
        (A Python loop of chunks would let TensorFlow run them side by side: measured, it used more
        memory than plain autodiff.)"""
        from sims.tf_env import tf

        readouts = self.ansatz.n_readouts

        def run(data_values, weights, batch):
            if data_values is None:  # every sample is the same circuit: one, repeated
                return tf.tile(computation(None, weights, 1), [batch, 1])
            piece = tf.recompute_grad(lambda d, w: computation(d, w, chunk))
            chunks = -(-batch // chunk)
            padded = tf.pad(data_values, [[0, chunks * chunk - batch], [0, 0]])
            out = tf.map_fn(lambda d: piece(d, weights), tf.reshape(padded, [chunks, chunk, -1]),
                            parallel_iterations=1, fn_output_signature=tf.TensorSpec([chunk, readouts], self.dtype))
            return tf.reshape(out, [-1, readouts])[:batch]

        return run

    def _exact(self, program: Program | HeisenbergProgram, row_chunk: int | None = None):
        """Exact expectations (means of trajectories, ``row_chunk`` per sample per pass), readout error included."""
        def expectations(data_values, weights, batch):
            from sims.tf_env import tf

            if row_chunk is None:
                out = program.expectations(data_values, weights, batch)
            else:
                out = program.expectations(data_values, weights, batch, row_chunk=row_chunk)  # type: ignore[call-arg]
            return out if self.factors is None else out * tf.constant(self.factors, self.dtype)

        return expectations

    def _sampled(self, program: Program | HeisenbergProgram):
        """Shot estimates, with parameter-shift gradients for the data values and the weights."""
        from sims.tf_env import tf

        shots = self.shots
        assert shots is not None
        n_data = self.ansatz.n_data_symbols

        def run(data_values, weights, batch):
            size = tf.shape(data_values)[0] if data_values is not None else batch

            def values_of(data, w):
                tiled = tf.tile(w[None], [size, 1])
                return tiled if data is None else tf.concat([data, tiled], axis=1)

            def sampled(data, w):
                exact = program.expectations(data, w, batch)
                return shots.sample(exact)

            if data_values is None:
                @tf.custom_gradient
                def only_weights(w):
                    def grad(upstream):
                        return tf.reduce_sum(shots.gradients(values_of(None, w), upstream), axis=0)
                    return sampled(None, w), grad
                return only_weights(weights)

            @tf.custom_gradient
            def with_data(data, w):
                def grad(upstream):
                    g = shots.gradients(values_of(data, w), upstream)
                    return g[:, :n_data], tf.reduce_sum(g[:, n_data:], axis=0)
                return sampled(data, w), grad
            return with_data(data_values, weights)

        return run

    def _graph(self, program: Program | HeisenbergProgram, batch, computation, static_batch: bool = False,
               row_chunk: int | None = None, xla: bool = False):
        """``computation`` (exact or sampled readouts of ``program``) as one TensorFlow graph, traced once
        per program (and, without data symbols, per batch size): an eager call then runs one graph
        instead of each operation one by one (at 8 qubits, batch 2048, that is 4.7x TFQ eagerly against
        ~60x in a graph)."""
        from sims.tf_env import tf

        static = static_batch or not self.ansatz.n_data_symbols
        key = (id(program), int(batch) if static else None, static_batch, row_chunk, xla)
        compiled = self._graphs.get(key)
        if compiled is None:
            if self.ansatz.n_data_symbols and static_batch:
                def expectations(data_values, weights):
                    return computation(data_values, weights, int(batch))

                signature = [tf.TensorSpec([int(batch), self.ansatz.n_data_symbols], self.dtype),
                             tf.TensorSpec([self.ansatz.n_weights], self.dtype)]
            elif self.ansatz.n_data_symbols:
                def expectations(data_values, weights):
                    return computation(data_values, weights, tf.shape(data_values)[0])

                signature = [tf.TensorSpec([None, self.ansatz.n_data_symbols], self.dtype),
                             tf.TensorSpec([self.ansatz.n_weights], self.dtype)]
            else:
                def expectations(data_values, weights):
                    return computation(None, weights, int(batch))

                signature = [tf.TensorSpec(None, self.dtype), tf.TensorSpec([self.ansatz.n_weights], self.dtype)]
            graph = tf.function(expectations, input_signature=signature)
            compiled = self._graphs[key] = (
                lambda d, w, b: graph(d if d is not None else tf.zeros([0], self.dtype), w))
        return compiled


def compiled_with_recomputed_gradient(computation):
    """``computation`` compiled by XLA, the forward pass and the gradient apart: the gradient is a
    compiled vector-Jacobian product that runs the forward pass again (XLA compiles the gradient
    of a function it compiles only when both are in one compiled function, which the caller's
    step is not; the forward pass keeps no states, as in the checkpointed mode)."""
    from sims.tf_env import tf

    def run(data_values, weights, batch):
        global _compiled_calls
        _compiled_calls += 1  # a new pair of functions for XLA to compile (and keep)

        def forward(d, w):
            return computation(d, w, batch if d is None else tf.shape(d)[0])

        compiled_forward = tf.function(forward, jit_compile=True)

        @tf.function(jit_compile=True)
        def vector_jacobian(d, w, upstream):
            with tf.GradientTape() as tape:
                tape.watch(w if d is None else [d, w])
                out = forward(d, w)
            return tape.gradient(out, w if d is None else [d, w], output_gradients=upstream)

        if data_values is None:
            @tf.custom_gradient
            def only_weights(w):
                return compiled_forward(None, w), lambda upstream: vector_jacobian(None, w, upstream)
            return only_weights(weights)

        @tf.custom_gradient
        def with_data(d, w):
            return compiled_forward(d, w), lambda upstream: vector_jacobian(d, w, upstream)
        return with_data(data_values, weights)

    return run
