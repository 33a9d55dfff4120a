"""Execution: a :class:`~.plan.Plan` as TensorFlow operations on a batch of states.

The steps are applied by :mod:`.kernels` and the readouts by :mod:`.readouts`. A batch's
states are complex ``[batch, 2^n]``, seen as real ``[batch, 2^n, 2]`` for fused blocks;
small things (gate and block matrices, the product state's factors) are complex. Every
operation is differentiable, so gradients for the inputs and the weights come from
TensorFlow's autodiff.
"""

from __future__ import annotations

import numpy as np

from sims.backends.statevector.gates import GateTerm
from sims.backends.statevector.kernels import (
    apply_recipe_step,
    block_matrix,
    phase_angles,
    real_form,
    sample_kraus,
)
from sims.backends.statevector.plan import (
    DenseBlock,
    GateStep,
    KronLayer,
    PhaseRun,
    Plan,
    SampledChannel,
    first_block_on_product,
)
from sims.backends.statevector.product import ProductReadouts, gate_table, product_expectations, product_factors
from sims.backends.statevector.readouts import ReadoutTables, readout_expectations
from sims.backends.statevector.tensors import (
    as_complex,
    as_real,
    permute_columns,
    permute_qubits,
    stored,
    transpose_merged,
    unit_phase,
)
from sims.backends.statevector.values import PhaseTable, SymbolValues
from sims.tf_env import tf


def gate_terms_of(plan: Plan) -> list[GateTerm]:
    """Every gate term of a plan outside phase runs (those have their own table)."""
    terms = [t for per_qubit in plan.init.per_qubit for t in per_qubit]
    for step in plan.steps:
        for sub in step.recipe if isinstance(step, DenseBlock) else ():
            if isinstance(sub, KronLayer):
                terms += [t for gates in sub.gates for t in gates]
            elif isinstance(sub, GateStep):
                terms.append(sub.term)
    return terms


def keeps_real(plan: Plan, trials: int = 3) -> bool:
    """Whether the plan's states stay real: a real product state and every gate real for any parameter
    values (RY, CNOT, CZ, H: real_amplitudes, sim_10, sim_15, ...). Such a plan's blocks are real
    matrices on real states, a quarter of the arithmetic of the interleaved real view of a complex
    state, and its phases are signs."""
    if not (plan.from_product and plan.init.real):
        return False
    terms = gate_terms_of(plan)
    for step in plan.steps:
        if isinstance(step, SampledChannel):
            return False
        runs = [step] if isinstance(step, PhaseRun) else [sub for sub in step.recipe if isinstance(sub, PhaseRun)]
        terms += [term for run in runs for term in run.terms]
    values = np.random.default_rng(1234).uniform(-7, 7, trials)
    return all(np.abs(term.unitary(value).imag).max() < 1e-12 for term in terms for value in values)


class Program:
    """A plan bound to TensorFlow: per-sample and shared values in, states or readouts out.

    Args:
        plan: the steps.
        readouts: tables from :func:`~.readouts.readout_tables`.
        per_sample_index: symbol index -> column of the per-sample values.
        shared_index: symbol index -> position in the shared values.
        dtype: ``tf.float32`` (complex64 states) or ``tf.float64`` (complex128).
        product: for a plan without steps (the whole circuit in its product state), the readouts
            on its factors (:mod:`.product`): expectations then never build the ``2^n`` states.
    """

    def __init__(self, plan: Plan, readouts: ReadoutTables, per_sample_index: dict[int, int],
                 shared_index: dict[int, int], dtype=tf.float32, readout_steps: int | None = None,
                 product: ProductReadouts | None = None):
        if product is not None and plan.steps:
            raise ValueError("product readouts need a plan without steps")
        self.plan = plan
        self.product = product
        # The product state's gates as one table (as for a circuit without entangling gates): every
        # qubit's factor in a few batched operations, stored once under XLA (see product_factors).
        self.gates = gate_table(plan.init.per_qubit, per_sample_index, shared_index)
        self.readout_steps = len(plan.steps) if readout_steps is None else readout_steps
        self.readouts = readouts
        self.per_sample_index, self.shared_index = per_sample_index, shared_index
        self.dtype = dtype
        self.complex_dtype = tf.complex64 if dtype == tf.float32 else tf.complex128
        self.phase_table = PhaseTable(gate_terms_of(plan), per_sample_index, shared_index)
        self.real = keeps_real(plan)  # shared blocks and phases then keep the states real (see keeps_real)

    def symbol_values(self, per_sample, shared) -> SymbolValues:
        """Where the program's symbols take their values from (per-sample columns, shared scalars)."""
        return SymbolValues(per_sample, shared, self.per_sample_index, self.shared_index, self.dtype,
                            self.phase_table)

    def _factors(self, values: SymbolValues) -> list[tf.Tensor]:
        """Each qubit's vector of the product state, ``[batch or 1, 2]``: real when ``plan.init.real``."""
        states = product_factors(self.gates, values, self.complex_dtype)  # [batch or 1, n, 2]
        if self.plan.init.real:
            states = tf.math.real(states)
        return tf.unstack(states, axis=1)

    @staticmethod
    def _kron_vectors(vectors: list[tf.Tensor]) -> tf.Tensor:
        """``[batch or 1, 2^m]``: the Kronecker product of ``[batch or 1, 2^a]`` vectors, first most significant."""
        while len(vectors) > 1:  # pairwise (a tree): fewer large broadcasts than a left fold
            paired = []
            for a, b in zip(vectors[::2], vectors[1::2], strict=False):  # an odd one out waits a round
                product = a[:, :, None] * b[:, None, :]
                paired.append(tf.reshape(product, [tf.shape(product)[0], -1]))
            vectors = paired + ([vectors[-1]] if len(vectors) % 2 else [])
        return vectors[0]

    def _initial(self, values: SymbolValues) -> tf.Tensor:
        """The product state ``[batch or 1, 2^n]``: real when ``plan.init.real``, else complex."""
        return self._kron_vectors(self._factors(values))

    def final_state(self, per_sample, shared, batch, steps: int | None = None) -> tf.Tensor:
        """Complex ``[batch, 2^n]``: the states after the first ``steps`` steps (default: all), qubit
        axes in ``plan.final_order``."""
        values = self.symbol_values(per_sample, shared)
        count = len(self.plan.steps) if steps is None else steps
        if count and first_block_on_product(self.plan):
            z = self._first_block_on_product(values, batch)
            return self.apply_steps(z, values, batch, count, start=1)
        z = tf.broadcast_to(self._initial(values), [batch, 2 ** self.plan.n_qubits])
        return self.apply_steps(z, values, batch, count)

    def _first_block_on_product(self, values: SymbolValues, batch) -> tf.Tensor:
        """The states after the first step, a shared block, applied to the product state: complex or (a real
        plan) real ``[batch, 2^n]``, or the real view ``[batch, 2^n, 2]`` (see :meth:`apply_steps`).

        The block acts on its own qubits' factor only: ``U (a kron b) = (U a) kron b``, one
        product of ``2^k`` amplitudes per sample instead of ``2^n``, and the full state is
        made once, already in the block's axis order (others first), so no transpose either.
        """
        block = self.plan.steps[0]
        assert isinstance(block, DenseBlock)
        n = self.plan.n_qubits
        factors = self._factors(values)
        inner = self._kron_vectors([factors[q] for q in block.qubits])
        if block.on_rows:  # the recipe on the samples' factors as rows, no matrix built: complex rows
            inner = self._recipe_on_rows(inner[None], block, values)[0]
        else:  # the real view, or a real plan's real rows
            inner = self._block_product(inner, block, values)
        others = [factors[q] for q in range(n) if q not in block.qubits]
        outer = self._kron_vectors(others) if others else None
        if outer is not None and not outer.dtype.is_complex and inner.dtype.is_complex:
            inner = as_real(inner)  # complex rows meet a real factor in the real view
        elif outer is not None and outer.dtype.is_complex and inner.shape.rank == 3:
            inner = as_complex(inner)
        pairs = [2] * (inner.shape.rank - 2)  # the real view's last axis, or none
        if outer is None:
            return tf.broadcast_to(inner, [batch, 2 ** n] + pairs)
        # Both complex, both real, or a real factor times the block's output in its real view (one real
        # product, no complex ops; the states stay in that view for the blocks after).
        column = outer[:, :, None, None] if pairs else outer[:, :, None]
        z = tf.reshape(column * inner[:, None], [-1, 2 ** n] + pairs)
        return tf.broadcast_to(z, [batch, 2 ** n] + pairs)

    def apply_steps(self, z: tf.Tensor, values: SymbolValues, batch, steps: int | None = None,
                    start: int = 0) -> tf.Tensor:
        """Complex ``[batch, 2^n]``: steps ``start`` to ``steps`` (default: to the end) applied to ``z``
        (real or complex ``[batch, 2^n]``, or its real view ``[batch, 2^n, 2]``, in the axis order before
        step ``start``: the natural order for 0), qubit axes in ``plan.final_order``.

        Between shared blocks the states stay in their real view ``[batch, 2^n, 2]`` (real and imaginary
        parts interleaved, what the blocks' real products take), and the transposes between blocks move
        that view: going back to complex numbers between two blocks cost 3-8% of a compiled step at 8
        qubits, batch 128, and at 12 and 16 qubits (plain graph) up to 1.6x and 1.9x the whole step
        (strongly_entangling; docs/engine.md "Speed").
        """
        n = self.plan.n_qubits
        for step in self.plan.steps[start:steps]:
            if isinstance(step, DenseBlock) and not step.per_sample:
                z = self._shared_block(z, step, values)
                continue
            if z.shape.rank == 3:
                z = as_complex(z)
            if isinstance(step, PhaseRun):
                if not (z.dtype.is_complex or self.real):
                    z = tf.complex(z, tf.zeros_like(z))
                if step.source is not None:
                    z = permute_columns(z, step.source)
                angle = phase_angles(step, values, self.dtype)
                # A real plan's phases are signs (angles in pi Z): their cosines. Shared phases are
                # stored once, not recomputed for every sample (see stored).
                phase = unit_phase(angle) if z.dtype.is_complex else tf.cos(angle)
                z = z * (stored(phase) if angle.shape[0] == 1 else phase)
            elif isinstance(step, SampledChannel):
                if not z.dtype.is_complex:
                    z = tf.complex(z, tf.zeros_like(z))
                z = sample_kraus(z, step, values, n)
            else:  # a block with a matrix per sample: its recipe on the states (see _per_sample_block)
                z = self._per_sample_block(z, step, values)
        if z.shape.rank == 3:
            z = as_complex(z)
        if not z.dtype.is_complex:
            z = tf.complex(z, tf.zeros_like(z))
        return z

    def _per_sample_block(self, z: tf.Tensor, step: DenseBlock, values: SymbolValues) -> tf.Tensor:
        """Complex ``[batch, 2^n]``: a block whose gates take per-sample values, its recipe run on the
        states directly (building a matrix per sample would cost ``2^k`` times more)."""
        n, k = self.plan.n_qubits, len(step.qubits)
        if step.axes is not None:
            z = permute_qubits(z, n, step.axes)
        return tf.reshape(self._recipe_on_rows(tf.reshape(z, [-1, 2 ** (n - k), 2 ** k]), step, values),
                          [-1, 2 ** n])

    def _shared_block(self, z: tf.Tensor, step: DenseBlock, values: SymbolValues) -> tf.Tensor:
        """A shared block: its matrix built once, one real product for the batch.

        Takes ``z`` as complex or real ``[batch, 2^n]`` or as the real view ``[batch, 2^n, 2]``; returns the
        real view, or real ``[batch, 2^n]`` where a real plan's states are still real."""
        n, k = self.plan.n_qubits, len(step.qubits)
        if z.shape.rank == 2 and z.dtype.is_complex:
            z = as_real(z)
        if step.condition:  # its own transposes move the qubits too
            if z.shape.rank == 2:
                z = as_real(tf.complex(z, tf.zeros_like(z)))
            return self._conditioned_product(z, step, values)
        pairs = [2] * (z.shape.rank - 2)  # the real view's last axis, or none
        if step.axes is not None:
            z = transpose_merged(z, [-1] + [2] * n + pairs, [0] + [1 + a for a in step.axes] + [n + 1] * len(pairs))
        rows = self._block_product(tf.reshape(z, [-1, 2 ** k] + pairs), step, values)
        return tf.reshape(rows, [-1, 2 ** n] + [2] * (rows.shape.rank - 2))

    def _conditioned_product(self, x: tf.Tensor, step: DenseBlock, values: SymbolValues) -> tf.Tensor:
        """Real view ``[batch, 2^n, 2]``: a conditioned block applied to ``x`` (the real view) with one
        batched real product, a matrix per condition basis state.

        One transpose takes the states to ``[condition, batch, others, block]``, the axes the batched
        product needs, moving the block's qubits to the end on the way; one more takes them to
        ``[batch, others, condition, block]``, the order the plan records."""
        n, k, c = self.plan.n_qubits, len(step.qubits), len(step.condition)
        axes = list(step.axes) if step.axes is not None else list(range(n))
        others, condition, block = axes[:n - k - c], axes[n - k - c:n - k], axes[n - k:]
        matrices = real_form(block_matrix(step, values, self.complex_dtype))  # [C, 2^(k+1), 2^(k+1)]
        # Axes of the real view: batch (0), qubits in the current order (1..n), real and imaginary (n + 1).
        sizes = [-1] + [2] * n + [2]
        perm = [1 + a for a in condition] + [0] + [1 + a for a in others] + [1 + a for a in block] + [n + 1]
        x = tf.reshape(transpose_merged(x, sizes, perm), [2 ** c, -1, 2 ** (k + 1)])
        x = tf.matmul(x, matrices)
        x = transpose_merged(x, [2 ** c, -1, 2 ** (n - k - c), 2 ** (k + 1)], [1, 2, 0, 3])
        return tf.reshape(x, [-1, 2 ** n, 2])

    def _recipe_on_rows(self, t: tf.Tensor, step: DenseBlock, values: SymbolValues) -> tf.Tensor:
        """Complex ``[s, rows, 2^k]``: a block's recipe run on rows ``t [s, rows, 2^k]`` (real or complex)
        directly, gate layer by gate layer, without building its matrix."""
        if not t.dtype.is_complex:
            t = tf.complex(t, tf.zeros_like(t))
        for sub in step.recipe:
            t = apply_recipe_step(t, sub, values, len(step.qubits), self.complex_dtype)
        return t

    def _block_product(self, x: tf.Tensor, step: DenseBlock, values: SymbolValues) -> tf.Tensor:
        """A shared block's matrix applied with one real matrix product to rows ``x``: complex or real
        ``[rows, 2^k]``, or the real view ``[rows, 2^k, 2]``. Returns the real view ``[rows, 2^k, 2]``, or
        real ``[rows, 2^k]`` for a real plan's real rows (its matrix is real: :func:`keeps_real`)."""
        if self.real and x.shape.rank == 2 and not x.dtype.is_complex:
            return tf.matmul(x, tf.math.real(block_matrix(step, values, self.complex_dtype))[0])
        k = len(step.qubits)
        matrix = real_form(block_matrix(step, values, self.complex_dtype))[0]
        if x.dtype.is_complex:
            x = as_real(x)
        if x.shape.rank == 3:
            width = 2 ** (k + 1)
        else:
            width = 2 ** k
            matrix = matrix[::2, :]  # rows (i, re) only
        x = tf.matmul(tf.reshape(x, [-1, width]), matrix)
        return tf.reshape(x, [-1, 2 ** k, 2])

    def expectations(self, per_sample, shared, batch) -> tf.Tensor:
        """``[batch, n_readouts]`` readout expectations."""
        if self.product is not None:
            values = self.symbol_values(per_sample, shared)
            return product_expectations(product_factors(self.gates, values, self.complex_dtype), self.product,
                                        batch, self.dtype)
        state = self.final_state(per_sample, shared, batch, self.readout_steps)
        return readout_expectations(state, self.readouts, self.dtype)

    def states(self, per_sample, shared, batch) -> tf.Tensor:
        """Complex ``[batch, 2^n]`` final states in the natural qubit order (qubit 0 most significant)."""
        return self.in_natural_order(self.final_state(per_sample, shared, batch))

    def in_natural_order(self, z: tf.Tensor) -> tf.Tensor:
        """``z [batch, 2^n]`` with its qubit axes moved from ``plan.final_order`` to the natural order."""
        order = list(self.plan.final_order)
        if order != sorted(order):
            z = permute_qubits(z, self.plan.n_qubits, [order.index(q) for q in range(len(order))])
        return z
