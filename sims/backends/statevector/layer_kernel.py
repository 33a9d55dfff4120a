"""The engine as a Keras layer's kernel: readouts from per-sample data values and shared weights."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from qcircuits.ansatz import Ansatz
from sims.backends.statevector.sizes import FORWARD_COPIES
from sims.memory import check_fits, count_that_fits

if TYPE_CHECKING:  # pragma: no cover
    from sims.backends.statevector.program import Program


class StatevectorKernel:
    """Readouts of one ansatz from per-sample data values and shared weights, in TensorFlow.

    The plan is chosen for the batch size: at the first call whose batch size is known
    (eager, or a traced shape), and again for another known size when the cost model picks
    another plan (at most one program per candidate plan is ever built). A call whose batch
    size is unknown when traced (Keras ``fit`` traces with ``None``) uses ``batch_hint``, else
    the last known size, else ``plan.DEFAULT_PLANNING_BATCH``.

    Args:
        ansatz: the ansatz.
        dtype: ``tf.float32`` (complex64 states) or ``tf.float64``.
        device: a TensorFlow device name, or None for TensorFlow's placement.
        batch_hint: the batch size calls will have, when their shapes do not say.
    """

    def __init__(self, ansatz: Ansatz, *, dtype, device: str | None = None, batch_hint: int | None = None):
        from sims.backends.statevector.engine import ansatz_plans

        self.ansatz = ansatz
        self.plans = ansatz_plans(ansatz, shared_weights=True, dtype=dtype)
        self.dtype = dtype
        self.device = device
        self.batch_hint = batch_hint
        self.program = self.plans.program(batch_hint)
        self._graphs: dict[tuple[int, int | None], Any] = {}

    def program_for(self, batch) -> Program:
        """The program for ``batch`` (an int, or a tensor when the size is known only at run time)."""
        if isinstance(batch, int):
            self.program = self.plans.program(batch)  # and for later calls whose size is unknown
        return self.program

    @property
    def plan_summary(self) -> str:
        return self.program.plan.describe()

    def training_copies(self) -> int:
        """States kept alive for one forward+gradient pass: autodiff keeps each step's input."""
        return FORWARD_COPIES + 3 * self.program.readout_steps  # measured: benchmarks/engine_memory.py

    def check_batch(self, batch: int, available: int | None = None) -> None:
        """Refuses a batch whose states would not fit, with the estimate.

        Raises:
            ResourceLimitError: naming the estimate, what is free and the largest batch that fits.
        """
        per_sample = (2 ** self.ansatz.n_qubits) * (8 if self.dtype.size == 4 else 16) * self.training_copies()
        check_fits(batch * per_sample, available=available,
                   who=f"A batch of {batch} at {self.ansatz.n_qubits} qubits needs",
                   what="the statevector engine (forward and gradient)",
                   advice=f"Use batches of at most {count_that_fits(per_sample, available=available)}.")

    def __call__(self, data_values, weights, batch):
        """``[batch, n_readouts]`` from data-symbol values ``[batch, D]`` (None without data) and weights ``[W]``."""
        from sims.tf_env import tf

        program = self.program_for(batch)
        if isinstance(batch, int):
            self.check_batch(batch)

        out_dtype = data_values.dtype if data_values is not None else weights.dtype
        if data_values is not None:
            data_values = tf.cast(data_values, self.dtype)
        weights = tf.cast(weights, self.dtype)
        run = self._graph(program, batch) if tf.executing_eagerly() else program.expectations
        with tf.device(self.device) if self.device else contextlib.nullcontext():
            out = run(data_values, weights, batch)
        return tf.cast(out, out_dtype)

    def _graph(self, program: Program, batch):
        """``program.expectations`` as one TensorFlow graph, traced once per program (and, without data
        symbols, per batch size): an eager call then runs one graph instead of each operation one by
        one (at 8 qubits, batch 2048, that is 4.7x TFQ eagerly against ~60x in a graph)."""
        from sims.tf_env import tf

        key = (id(program), None if self.ansatz.n_data_symbols else int(batch))
        compiled = self._graphs.get(key)
        if compiled is None:
            if self.ansatz.n_data_symbols:
                def expectations(data_values, weights):
                    return program.expectations(data_values, weights, tf.shape(data_values)[0])

                signature = [tf.TensorSpec([None, self.ansatz.n_data_symbols], self.dtype),
                             tf.TensorSpec([self.ansatz.n_weights], self.dtype)]
            else:
                def expectations(data_values, weights):
                    return program.expectations(None, weights, int(batch))

                signature = [tf.TensorSpec(None, self.dtype), tf.TensorSpec([self.ansatz.n_weights], self.dtype)]
            graph = tf.function(expectations, input_signature=signature)
            compiled = self._graphs[key] = (
                lambda d, w, b: graph(d if d is not None else tf.zeros([0], self.dtype), w))
        return compiled
