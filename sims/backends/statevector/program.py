"""Execution: a :class:`~.plan.Plan` as TensorFlow operations on a batch of states.

The state of a batch is a real tensor ``[batch, 2^n, 2]`` (real and imaginary
parts interleaved, the memory layout of complex numbers), so that applying a
fused block is one real matrix product: TensorFlow's real GEMM is several times
faster on the CPU than its complex one, and it is the same code on a GPU.
Small things (gate and block matrices, the product state's factors) are
complex. Every operation is differentiable, so gradients for the inputs and the
weights come from TensorFlow's autodiff.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from sims.backends.statevector.gates import GateTerm
from sims.backends.statevector.plan import (
    KRON_CHUNK_QUBITS,
    DenseBlock,
    GateStep,
    KronLayer,
    PhaseRun,
    Plan,
    RecipeStep,
    _bits,
)
from sims.tf_env import tf

_LETTERS = string.ascii_lowercase
_EAGER_CONSTANTS: dict[tuple[int, object], tuple[np.ndarray, tf.Tensor]] = {}


def const(array: np.ndarray, dtype) -> tf.Tensor:
    """``tf.constant(array, dtype)``, converted once per array when running eagerly.

    Plans hold their tables as numpy arrays; in eager mode (one-off calls such as
    descriptors) converting them again on every call costs more than the arithmetic.
    """
    if not tf.executing_eagerly():
        return tf.constant(array, dtype)
    key = (id(array), dtype)
    hit = _EAGER_CONSTANTS.get(key)
    if hit is None or hit[0] is not array:
        if len(_EAGER_CONSTANTS) > 20000:
            _EAGER_CONSTANTS.clear()
        hit = (array, tf.constant(array, dtype))
        _EAGER_CONSTANTS[key] = hit  # keeps the array alive, so its id is not reused
    return hit[1]


class PhaseTable:
    """Every parameterised gate's frequencies, so that all their phases come from one operation.

    ``exp(i omega_k v)`` for every gate term ``k`` of every gate is one gather, one
    product and one ``cos``/``sin`` for the whole circuit, instead of several small
    operations per gate (which dominate on small states and in tracing time).
    """

    def __init__(self, terms: Sequence[GateTerm], per_sample_index: dict[int, int], shared_index: dict[int, int]):
        self.offsets: dict[int, tuple[bool, int, int]] = {}
        columns: dict[bool, list[int]] = {True: [], False: []}
        frequencies: dict[bool, list[float]] = {True: [], False: []}
        for term in terms:
            if term.symbol is None or id(term) in self.offsets:
                continue
            per_sample = term.symbol in per_sample_index
            column = per_sample_index[term.symbol] if per_sample else shared_index[term.symbol]
            self.offsets[id(term)] = (per_sample, len(columns[per_sample]), len(term.frequencies))
            columns[per_sample] += [column] * len(term.frequencies)
            frequencies[per_sample] += list(term.frequencies)
        self.columns = {k: np.array(v, dtype=np.int64) for k, v in columns.items()}
        self.frequencies = {k: np.array(v) for k, v in frequencies.items()}


class SymbolValues:
    """Where each symbol's value comes from: a column of the per-sample values, or a shared scalar."""

    def __init__(self, per_sample, shared, per_sample_index: dict[int, int], shared_index: dict[int, int],
                 dtype, table: PhaseTable | None = None):
        self.per_sample: Any = None if per_sample is None else tf.cast(per_sample, dtype)
        self.shared: Any = None if shared is None else tf.cast(shared, dtype)
        self.per_sample_index, self.shared_index = per_sample_index, shared_index
        self.dtype = dtype
        self.table = table
        self._phases: dict[bool, tf.Tensor] = {}

    def is_per_sample(self, symbol: int | None) -> bool:
        return symbol is not None and symbol in self.per_sample_index

    def value(self, symbol: int) -> tf.Tensor:
        """``[batch]`` for a per-sample symbol, ``[1]`` for a shared one."""
        if symbol in self.per_sample_index:
            return self.per_sample[:, self.per_sample_index[symbol]]
        return self.shared[self.shared_index[symbol]][None]

    def stacked(self, symbols: Sequence[int]) -> tf.Tensor:
        """``[batch or 1, len(symbols)]`` (columns in the order of ``symbols``)."""
        per = [s for s in symbols if self.is_per_sample(s)]
        if len(per) == len(symbols):
            return tf.gather(self.per_sample, [self.per_sample_index[s] for s in symbols], axis=1)
        if not per:
            return tf.gather(self.shared, [self.shared_index[s] for s in symbols])[None]
        columns = [self.value(s) for s in symbols]
        batch = tf.shape(self.per_sample)[0]
        return tf.stack([tf.broadcast_to(c, [batch]) for c in columns], axis=-1)

    def phases(self, term: GateTerm, complex_dtype) -> tf.Tensor:
        """``exp(i omega_k v)`` of a gate, ``[batch or 1, K]``."""
        if self.table is None or id(term) not in self.table.offsets:
            assert term.symbol is not None  # only parametrised gates have phases
            angles = self.value(term.symbol)[:, None] * const(term.frequencies, self.dtype)
            return tf.complex(tf.cos(angles), tf.sin(angles))
        per_sample, offset, count = self.table.offsets[id(term)]
        if per_sample not in self._phases:
            source = self.per_sample if per_sample else self.shared[None]
            angles = (tf.gather(source, self.table.columns[per_sample], axis=1)
                      * const(self.table.frequencies[per_sample], self.dtype))
            self._phases[per_sample] = tf.complex(tf.cos(angles), tf.sin(angles))
        return self._phases[per_sample][:, offset:offset + count]


def gate_matrix(term: GateTerm, values: SymbolValues, complex_dtype) -> tf.Tensor:
    """``U(v)`` as a complex tensor ``[1 or batch, d, d]``."""
    matrices = const(term.matrices, complex_dtype)
    if term.symbol is None:
        return matrices[:1]
    return tf.einsum("sk,kij->sij", values.phases(term, complex_dtype), matrices)


def single_qubit_product(terms: Sequence[GateTerm], values: SymbolValues, complex_dtype) -> tf.Tensor:
    """``u = g_m ... g_1`` for gates applied in order on one qubit, ``[1 or batch, 2, 2]``."""
    u = None
    for term in terms:
        g = gate_matrix(term, values, complex_dtype)
        u = g if u is None else tf.matmul(g, u)
    return u


def _kron(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Batched Kronecker product ``[s, p, q] x [s, r, t] -> [s, p r, q t]``."""
    out = a[:, :, None, :, None] * b[:, None, :, None, :]
    shape = tf.shape(out)
    return tf.reshape(out, [shape[0], a.shape[1] * b.shape[1], a.shape[2] * b.shape[2]])


def _kron_factors(layer: KronLayer, k: int, values: SymbolValues, complex_dtype) -> list[tf.Tensor]:
    """One ``[s, 2, 2]`` factor per qubit position (identity where the layer has no gate)."""
    eye = tf.eye(2, batch_shape=[1], dtype=complex_dtype)
    factors = [eye] * k
    for qubit, terms in zip(layer.qubits, layer.gates, strict=True):
        factors[qubit] = single_qubit_product(terms, values, complex_dtype)
    return factors


def _match_batch(t: tf.Tensor, matrix: tf.Tensor) -> tf.Tensor:
    """Broadcasts shared rows ``t [1, ...]`` to a per-sample matrix's batch."""
    if t.shape[0] == 1 and matrix.shape[0] != 1:
        return tf.broadcast_to(t, tf.concat([tf.shape(matrix)[:1], tf.shape(t)[1:]], axis=0))
    return t


def _apply_columns(t: tf.Tensor, matrix: tf.Tensor, start: int, width: int, k: int) -> tf.Tensor:
    """``t [s, rows, 2^k]``: applies ``matrix [s, 2^w, 2^w]`` to qubit positions ``start..start+w-1``."""
    t = _match_batch(t, matrix)
    shape = tf.shape(t)
    view = tf.reshape(t, [shape[0], shape[1], 2 ** start, 2 ** width, 2 ** (k - start - width)])
    if matrix.shape[0] == 1:
        out = tf.einsum("ij,srajb->sraib", matrix[0], view)
    else:
        out = tf.einsum("sij,srajb->sraib", matrix, view)
    return tf.reshape(out, shape)


def _gate_view(k: int, qubits: Sequence[int]) -> tuple[list[int], str, str, str]:
    """A view of ``[s, rows, 2^k]`` with an axis of 2 per gate qubit and the gaps merged.

    TensorFlow's einsum and transpose are slow on many axes of size 2; merging the
    untouched neighbours keeps the rank small. Returns ``(dims, view letters, gate input
    letters, output letters)`` (letters after ``S`` and ``R``).
    """
    dims: list[int] = []
    view, out = "", ""
    gate_letter = {q: _LETTERS[12 + i] for i, q in enumerate(qubits)}  # m..: output letters of the gate
    gap = 0
    for position in range(k):
        if position in gate_letter:
            if gap:
                letter = _LETTERS[len(dims)]
                dims.append(2 ** gap)
                view, out = view + letter, out + letter
                gap = 0
            letter = _LETTERS[len(dims)]
            dims.append(2)
            view, out = view + letter, out + gate_letter[position]
        else:
            gap += 1
    if gap:
        letter = _LETTERS[len(dims)]
        dims.append(2 ** gap)
        view, out = view + letter, out + letter
    position_letter = {q: view[[p for p in range(k) if p in gate_letter].index(q) + _gaps_before(k, gate_letter, q)]
                       for q in qubits}
    old = "".join(position_letter[q] for q in qubits)
    return dims, view, old, out


def _gaps_before(k: int, gate_qubits, q: int) -> int:
    """Merged gap axes before gate qubit ``q`` in :func:`_gate_view`'s view."""
    count, gap = 0, False
    for position in range(q):
        if position in gate_qubits:
            gap = False
        elif not gap:
            count, gap = count + 1, True
    return count


def _apply_gate(t: tf.Tensor, matrix: tf.Tensor, qubits: Sequence[int], k: int) -> tf.Tensor:
    """``t [s, rows, 2^k]``: applies a gate ``[s, 2^m, 2^m]`` on any qubit positions."""
    m = len(qubits)
    t = _match_batch(t, matrix)
    shape = tf.shape(t)
    dims, view, old, out = _gate_view(k, qubits)
    new = "".join(_LETTERS[12 + i] for i in range(m))
    viewed = tf.reshape(t, tf.concat([shape[:2], dims], axis=0))
    gate = tf.reshape(matrix, [-1] + [2] * (2 * m))
    if matrix.shape[0] == 1:
        result = tf.einsum(f"{new}{old},SR{view}->SR{out}", gate[0], viewed)
    else:
        result = tf.einsum(f"S{new}{old},SR{view}->SR{out}", gate, viewed)
    return tf.reshape(result, shape)


def _phase_angles(step: PhaseRun, values: SymbolValues, dtype) -> tf.Tensor:
    """``[batch or 1, 2^n]`` angles ``alpha + values @ omega``."""
    angle = const(step.alpha, dtype)[None]
    if step.symbols:
        angle = angle + tf.matmul(values.stacked(step.symbols), const(step.omega, dtype))
    return angle


def block_matrix(block: DenseBlock, values: SymbolValues, complex_dtype) -> tf.Tensor:
    """``R [s, d, d]`` with ``R[:, i, j] = (U e_i)_j``: the block's recipe run on every basis state."""
    k = len(block.qubits)
    steps: Sequence[RecipeStep] = block.recipe
    if steps and isinstance(steps[0], KronLayer):  # on the identity: R = (kron u)^T
        factors = _kron_factors(steps[0], k, values, complex_dtype)
        t = factors[0]
        for f in factors[1:]:
            t = _kron(t, f)
        t = tf.linalg.matrix_transpose(t)
        steps = steps[1:]
    else:
        t = tf.eye(2 ** k, batch_shape=[1], dtype=complex_dtype)
    for step in steps:
        t = apply_recipe_step(t, step, values, k, complex_dtype)
    return t


def apply_recipe_step(t: tf.Tensor, step: RecipeStep, values: SymbolValues, k: int, complex_dtype) -> tf.Tensor:
    """One recipe step on complex rows ``t [s, rows, 2^k]``."""
    if isinstance(step, KronLayer):
        if any(values.is_per_sample(term.symbol) for terms in step.gates for term in terms):
            for qubit, terms in zip(step.qubits, step.gates, strict=True):  # no per-sample matrices: see apply_term
                for term in terms:
                    t = apply_term(t, term, (qubit,), k, values, complex_dtype)
            return t
        factors = _kron_factors(step, k, values, complex_dtype)
        gated = set(step.qubits)
        for start in range(0, k, KRON_CHUNK_QUBITS):
            window = range(start, min(start + KRON_CHUNK_QUBITS, k))
            if not gated & set(window):
                continue
            chunk = factors[window[0]]
            for position in window[1:]:
                chunk = _kron(chunk, factors[position])
            t = _apply_columns(t, chunk, window[0], len(window), k)
        return t
    if isinstance(step, PhaseRun):
        if step.source is not None:
            t = tf.gather(t, step.source, axis=2)
        angle = _phase_angles(step, values, complex_dtype.real_dtype)
        return t * tf.complex(tf.cos(angle), tf.sin(angle))[:, None, :]
    return apply_term(t, step.term, step.term.qubits, k, values, complex_dtype)


def apply_term(t: tf.Tensor, term: GateTerm, qubits: Sequence[int], k: int, values: SymbolValues,
               complex_dtype) -> tf.Tensor:
    """One gate on ``t [s, rows, 2^k]``.

    A gate with a per-sample value is applied as ``sum_k exp(i omega_k v) (M_k psi)``:
    products with the constant ``M_k`` (large, efficient) weighted by per-sample
    phases, instead of one tiny matrix product per sample.
    """
    if not values.is_per_sample(term.symbol):
        return _apply_gate(t, gate_matrix(term, values, complex_dtype), qubits, k)
    m = len(qubits)
    dims, view, old, out = _gate_view(k, qubits)
    new = "".join(_LETTERS[12 + i] for i in range(m))
    rows = t.shape[1]
    viewed = tf.reshape(t, [-1, rows] + dims)
    matrices = tf.reshape(const(term.matrices, complex_dtype), [-1] + [2] * (2 * m))
    parts = tf.einsum(f"K{new}{old},SR{view}->KSR{out}", matrices, viewed)
    phases = tf.reshape(tf.transpose(values.phases(term, complex_dtype)),
                        [len(term.frequencies), -1] + [1] * (len(dims) + 1))
    return tf.reshape(tf.reduce_sum(parts * phases, axis=0), [-1, rows, 2 ** k])


def real_form(matrix: tf.Tensor) -> tf.Tensor:
    """``[s, d, d]`` complex ``R`` -> ``[s, 2d, 2d]`` real ``M`` acting on interleaved rows: ``x @ M``."""
    re, im = tf.math.real(matrix), tf.math.imag(matrix)
    top = tf.stack([re, im], axis=-1)  # rows (i, re): [s, i, j, q]
    bottom = tf.stack([-im, re], axis=-1)  # rows (i, im)
    m4 = tf.stack([top, bottom], axis=2)  # [s, i, p, j, q]
    d = matrix.shape[-1]
    return tf.reshape(m4, [-1, 2 * d, 2 * d])


def _gate_terms_of(plan: Plan) -> list[GateTerm]:
    """Every gate term of a plan outside phase runs (those have their own table)."""
    terms = [t for per_qubit in plan.init.per_qubit for t in per_qubit]
    for step in plan.steps:
        for sub in step.recipe if isinstance(step, DenseBlock) else ():
            if isinstance(sub, KronLayer):
                terms += [t for gates in sub.gates for t in gates]
            elif isinstance(sub, GateStep):
                terms.append(sub.term)
    return terms


@tf.custom_gradient
def as_real(z: tf.Tensor):
    """Complex ``[..., m]`` -> real ``[..., m, 2]`` without a copy (a bitcast)."""
    real = tf.float32 if z.dtype == tf.complex64 else tf.float64

    def grad(g):
        return tf.bitcast(g, z.dtype)  # d/d(re) + i d/d(im): TensorFlow's convention for complex inputs

    return tf.bitcast(z, real), grad


@tf.custom_gradient
def as_complex(x: tf.Tensor):
    """Real ``[..., m, 2]`` -> complex ``[..., m]`` without a copy (a bitcast)."""
    complex_dtype = tf.complex64 if x.dtype == tf.float32 else tf.complex128

    def grad(g):
        return tf.bitcast(g, x.dtype)

    return tf.bitcast(x, complex_dtype), grad


def permute_qubits(z: tf.Tensor, n: int, axes: Sequence[int]) -> tf.Tensor:
    """``z [batch, 2^n]``: reorders the qubit axes so that new axis ``i`` is old axis ``axes[i]``.

    Axes that stay neighbours in the same order are merged first: TensorFlow's
    transpose is fast on a few large axes and very slow on many axes of size 2.
    """
    groups: list[list[int]] = []
    for a in axes:
        if groups and groups[-1][-1] + 1 == a:
            groups[-1].append(a)
        else:
            groups.append([a])
    old = sorted(groups, key=lambda g: g[0])
    shape = [-1] + [2 ** len(g) for g in old]
    perm = [0] + [1 + old.index(g) for g in groups]
    return tf.reshape(tf.transpose(tf.reshape(z, shape), perm), [-1, 2 ** n])


class Program:
    """A plan bound to TensorFlow: per-sample and shared values in, states or readouts out.

    Args:
        plan: the steps.
        readouts: tables from :func:`readout_tables`.
        per_sample_index: symbol index -> column of the per-sample values.
        shared_index: symbol index -> position in the shared values.
        dtype: ``tf.float32`` (complex64 states) or ``tf.float64`` (complex128).
    """

    def __init__(self, plan: Plan, readouts, per_sample_index: dict[int, int], shared_index: dict[int, int],
                 dtype=tf.float32, readout_steps: int | None = None):
        self.plan = plan
        self.readout_steps = len(plan.steps) if readout_steps is None else readout_steps
        self.readouts = readouts
        self.per_sample_index, self.shared_index = per_sample_index, shared_index
        self.dtype = dtype
        self.complex_dtype = tf.complex64 if dtype == tf.float32 else tf.complex128
        self.phase_table = PhaseTable(_gate_terms_of(plan), per_sample_index, shared_index)

    def _values(self, per_sample, shared) -> SymbolValues:
        return SymbolValues(per_sample, shared, self.per_sample_index, self.shared_index, self.dtype,
                            self.phase_table)

    def _initial(self, values: SymbolValues) -> tf.Tensor:
        """The product state ``[batch or 1, 2^n]``: real when ``plan.init.real``, else complex."""
        vectors = []
        for terms in self.plan.init.per_qubit:
            if terms:
                vector = single_qubit_product(terms, values, self.complex_dtype)[:, :, 0]
            else:
                vector = tf.constant([[1, 0]], self.complex_dtype)
            vectors.append(tf.math.real(vector) if self.plan.init.real else vector)
        while len(vectors) > 1:  # pairwise (a tree): fewer large broadcasts than a left fold
            paired = []
            for a, b in zip(vectors[::2], vectors[1::2], strict=False):  # an odd one out waits a round
                product = a[:, :, None] * b[:, None, :]
                paired.append(tf.reshape(product, [tf.shape(product)[0], -1]))
            vectors = paired + ([vectors[-1]] if len(vectors) % 2 else [])
        return vectors[0]

    def final_state(self, per_sample, shared, batch, steps: int | None = None) -> tf.Tensor:
        """Complex ``[batch, 2^n]``: the states after the first ``steps`` steps (default: all), qubit
        axes in ``plan.final_order``."""
        values = self._values(per_sample, shared)
        n = self.plan.n_qubits
        z = tf.broadcast_to(self._initial(values), [batch, 2 ** n])
        for step in self.plan.steps[:steps]:
            if isinstance(step, PhaseRun):
                if not z.dtype.is_complex:
                    z = tf.complex(z, tf.zeros_like(z))
                if step.source is not None:
                    z = tf.gather(z, step.source, axis=1)
                angle = _phase_angles(step, values, self.dtype)
                z = z * tf.complex(tf.cos(angle), tf.sin(angle))
            else:
                z = self._dense(z, step, values, batch)
        if not z.dtype.is_complex:
            z = tf.complex(z, tf.zeros_like(z))
        return z

    def _dense(self, z, step: DenseBlock, values: SymbolValues, batch):
        """Applies a block. Shared: build its matrix once, one product for the batch. Per sample: run its
        recipe on the states directly (building a matrix per sample would cost 2^k times more)."""
        n, k = self.plan.n_qubits, len(step.qubits)
        if step.axes is not None:
            z = permute_qubits(z, n, step.axes)
        if step.per_sample:
            if not z.dtype.is_complex:
                z = tf.complex(z, tf.zeros_like(z))
            t = tf.reshape(z, [-1, 2 ** (n - k), 2 ** k])
            for sub in step.recipe:
                t = apply_recipe_step(t, sub, values, k, self.complex_dtype)
            return tf.reshape(t, [-1, 2 ** n])
        matrix = real_form(block_matrix(step, values, self.complex_dtype))[0]
        if z.dtype.is_complex:
            x, width = as_real(z), 2 ** (k + 1)
        else:
            x, width = z, 2 ** k
            matrix = matrix[::2, :]  # rows (i, re) only
        x = tf.matmul(tf.reshape(x, [-1, width]), matrix)
        return as_complex(tf.reshape(x, [-1, 2 ** n, 2]))

    def expectations(self, per_sample, shared, batch) -> tf.Tensor:
        """``[batch, n_readouts]`` readout expectations."""
        state = self.final_state(per_sample, shared, batch, self.readout_steps)
        return readout_expectations(state, self.readouts, self.dtype)

    def states(self, per_sample, shared, batch) -> tf.Tensor:
        """Complex ``[batch, 2^n]`` final states in the natural qubit order (qubit 0 most significant)."""
        z = self.final_state(per_sample, shared, batch)
        order = list(self.plan.final_order)
        if order != sorted(order):
            z = permute_qubits(z, self.plan.n_qubits, [order.index(q) for q in range(len(order))])
        return z


def readout_tables(readouts, qubits, order: Sequence[int]):
    """Tables that turn a final state (axes in ``order``) into Pauli expectations.

    Returns:
        ``(z, groups, count)``: readouts made of Z and I only are ``|psi|^2 @ signs``
        (``z = (columns, signs)``); each other group shares a bit-flip mask and is
        ``Re(conj(psi) psi[flip]) @ Re(phase) - Im(conj(psi) psi[flip]) @ Im(phase)``.
    """
    n = len(qubits)
    position = {q: i for i, q in enumerate(qubits)}
    bits = _bits(n, order)
    z_columns, z_signs = [], []
    groups: dict[tuple[int, ...], list] = {}
    for column, readout in enumerate(readouts):
        flips = np.zeros(n, dtype=np.int64)
        phase = np.full(2 ** n, complex(readout.coefficient), dtype=complex)
        for qubit, pauli in readout.items():
            q = position[qubit]
            bit = bits[:, q]
            if pauli == _Z:
                phase *= 1 - 2 * bit
            elif pauli == _X:
                flips[q] = 1
            else:  # Y|0> = i|1>, Y|1> = -i|0>, so (Y psi)_b = -i psi_{b^1} for b = 0, +i for b = 1
                flips[q] = 1
                phase *= np.where(bit == 0, -1j, 1j)
        if not flips.any():
            z_columns.append(column)
            z_signs.append(phase.real)
            continue
        source = sum(((bits[:, q] + flips[q]) % 2) << (n - 1 - axis) for axis, q in enumerate(order))
        entry = groups.setdefault(tuple(flips), [source, [], []])
        entry[1].append(column)
        entry[2].append(phase)
    z = None
    if z_columns:
        signs = np.stack(z_signs, axis=1)
        z = (z_columns, signs, np.repeat(signs, 2, axis=0))  # the last for interleaved re/im squares
    other = [(source, columns, _ReIm(np.stack(phases, axis=1))) for source, columns, phases in groups.values()]
    return z, other, len(readouts)


import cirq  # noqa: E402  (after the TF import above: keeps the module's import cost in one place)

_X, _Z = cirq.X, cirq.Z


class _ReIm:
    """A complex table with its real and imaginary parts kept as arrays (converted once when eager)."""

    def __init__(self, table: np.ndarray):
        self.real, self.imag = np.ascontiguousarray(table.real), np.ascontiguousarray(table.imag)


def readout_expectations(z: tf.Tensor, tables, dtype) -> tf.Tensor:
    """``[batch, R]`` from the complex final state ``z [batch, 2^n]``."""
    z_table, groups, count = tables
    columns, parts = [], []
    if z_table is not None:
        squares = tf.reshape(tf.square(as_real(z)), [tf.shape(z)[0], -1])  # |psi|^2 = re^2 + im^2, by GEMM
        parts.append(tf.matmul(squares, const(z_table[2], dtype)))
        columns += z_table[0]
    for source, group_columns, phases in groups:
        v = tf.math.conj(z) * tf.gather(z, source, axis=1)
        parts.append(tf.matmul(tf.math.real(v), const(phases.real, dtype))
                     - tf.matmul(tf.math.imag(v), const(phases.imag, dtype)))
        columns += group_columns
    out = tf.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    if columns != list(range(count)):
        out = tf.gather(out, np.argsort(columns), axis=1)
    return out
