"""Planning: turn a circuit's gate terms into a few large batched steps (plan once, run every step).

The plan is computed once per ansatz and kept apart from execution, as qsim
keeps its fusion pass apart from its simulator. Steps on the batch of states:

* :class:`ProductInit`: the per-sample and fixed single-qubit gates that act on
  each qubit before anything else touches it (the data encoding, typically) give
  a product state, built directly instead of by applying gates to ``|0...0>``.
* :class:`PhaseRun`: a run of gates that are diagonal (RZ, CZ, CRZ, ZZ, IQP
  phases) or fixed permutations (CNOT, X, SWAP) is one gather plus one
  elementwise phase ``exp(i (alpha + values @ omega))``: the phase is linear in
  the symbol values, so a whole IQP layer costs one small matrix product.
* :class:`SampledChannel` (trajectories only): a channel that is not a Pauli mixture; each
  row applies one Kraus operator, drawn with the probability it has on that row's state.
* :class:`DenseBlock`: neighbouring gates on at most ``k`` qubits fused into one
  ``2^k x 2^k`` matrix. A block whose parameters are all shared by the batch (the
  circuit weights) is built once per call and applied to every sample with one
  matrix product; for small circuits one block spans every qubit, so a whole
  weight-only stretch of circuit is a single product. Blocks that depend on
  per-sample values get a matrix per sample and stay narrow.

A block's matrix is itself computed by running a small plan (its *recipe*) on
the ``2^k`` basis states: :class:`KronLayer` (single-qubit gates on distinct
qubits, applied as Kronecker factors), :class:`PhaseRun` and :class:`GateStep`
(any other gate).

Qubit order: blocks move their qubits to the last tensor axes and the plan does
not move them back. It records the axis order in force at each step, and tables
(phases, readouts) are laid out for that order.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

import numpy as np

from sims.backends.statevector.gates import ChannelTerm, GateTerm, NotPhaseDiagonal

# Kronecker factors are applied this many qubits at a time (a 16 x 16 matrix).
KRON_CHUNK_QUBITS = 4


@dataclasses.dataclass(frozen=True)
class ProductInit:
    """Per qubit, the gates that prepare it from ``|0>`` (qubit 0 first).

    ``real`` says that every factor has real amplitudes for any parameter values
    (RY encodings): the product state is then built in real arithmetic and the
    first block's product needs only half of its matrix.
    """

    per_qubit: tuple[tuple[GateTerm, ...], ...]
    real: bool = False


def _always_real(per_qubit: Sequence[Sequence[GateTerm]], trials: int = 3) -> bool:
    rng = np.random.default_rng(1234)
    for terms in per_qubit:
        for _ in range(trials):
            vector = np.array([1.0, 0.0], dtype=complex)
            for term in terms:
                vector = term.unitary(rng.uniform(-7, 7)) @ vector
            if np.abs(vector.imag).max() > 1e-12:
                return False
    return True


@dataclasses.dataclass(frozen=True)
class KronLayer:
    """Single-qubit gates on distinct qubits: ``gates[i]`` (in order) act on ``qubits[i]``."""

    qubits: tuple[int, ...]
    gates: tuple[tuple[GateTerm, ...], ...]


@dataclasses.dataclass(frozen=True)
class GateStep:
    """One gate applied on its own."""

    term: GateTerm


@dataclasses.dataclass(frozen=True, eq=False)
class PhaseRun:
    """``psi'[b] = exp(i (alpha[b] + sum_s v_s omega[s, b])) * psi[source[b]]`` in the current axis order.

    Holds its gates; the ``2^n`` tables are computed when first read (a program needs them, the
    cost model does not: planning the candidates at 20 qubits would otherwise take seconds each).
    """

    terms: tuple[GateTerm, ...]
    n: int
    order: tuple[int, ...]

    @property
    def n_gates(self) -> int:
        return len(self.terms)

    @property
    def permutes(self) -> bool:
        """Whether the run has a fixed permutation gate (its ``source`` is then a gather, unless they cancel)."""
        return any(not t.is_diagonal for t in self.terms)

    @property
    def has_symbols(self) -> bool:
        return any(t.is_diagonal and t.symbol is not None for t in self.terms)

    @functools.cached_property
    def _tables(self) -> tuple[np.ndarray | None, np.ndarray, tuple[int, ...], np.ndarray]:
        return _phase_tables(self.terms, self.n, self.order)

    @property
    def source(self) -> np.ndarray | None:
        """Gather indices; None for the identity."""
        return self._tables[0]

    @property
    def alpha(self) -> np.ndarray:
        """``[2^n]`` fixed phases."""
        return self._tables[1]

    @property
    def symbols(self) -> tuple[int, ...]:
        return self._tables[2]

    @property
    def omega(self) -> np.ndarray:
        """``[len(symbols), 2^n]``."""
        return self._tables[3]


RecipeStep = KronLayer | PhaseRun | GateStep


@dataclasses.dataclass(frozen=True)
class DenseBlock:
    """Gates fused into one matrix on ``qubits``, computed by ``recipe`` (block-local qubit indices)."""

    qubits: tuple[int, ...]
    recipe: tuple[RecipeStep, ...]
    per_sample: bool
    axes: tuple[int, ...] | None  # transpose of the qubit axes before the product; None if none needed
    n_gates: int
    on_rows: bool = False  # the first block on a product state: its recipe runs on the samples' factors, no matrix
    # Qubits that only diagonal gates of the block touch: its matrix is one per basis state of them
    # (a block-diagonal matrix on condition + qubits; see :func:`grow_conditioned`). Their axes sit just
    # before the block's own at the end of the state.
    condition: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class SampledChannel:
    """A channel of a trajectory: each row applies ``kraus[j] / sqrt(p_j)``, ``j`` drawn with ``p_j = |K_j psi|^2``.

    Attributes:
        positions: state axes of the channel's qubits (in its Kraus operators' qubit order).
        kraus: complex ``[K, 2^m, 2^m]``.
        draw: the per-sample symbol holding each row's uniform draw.
        label: the Cirq operation.
        effects: ``K_j^dagger K_j``, ``[K, 2^m, 2^m]`` (derived once, here, not at every call).
    """

    positions: tuple[int, ...]
    kraus: np.ndarray
    draw: int
    label: str
    effects: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "effects", np.einsum("kji,kjl->kil", self.kraus.conj(), self.kraus))


Step = PhaseRun | DenseBlock | SampledChannel


@dataclasses.dataclass(frozen=True)
class Plan:
    """Steps and the qubit axis order they leave the state in."""

    n_qubits: int
    init: ProductInit
    steps: tuple[Step, ...]
    final_order: tuple[int, ...]  # qubit held by each state axis at the end (most significant first)
    from_product: bool = True  # runs from ``init``'s product state (False: from given states)

    def describe(self) -> str:
        """One line, e.g. ``product(8) shared-block6(46 on rows) shared-block4(23) phase(1)`` (a block's
        qubits, then its gates; ``on rows``: its recipe runs on the samples' factors, no matrix)."""
        parts = [f"product({sum(len(t) for t in self.init.per_qubit)})"]
        for step in self.steps:
            if isinstance(step, PhaseRun):
                parts.append(f"phase({step.n_gates})")
            elif isinstance(step, SampledChannel):
                parts.append(f"sampled-channel{len(step.positions)}")
            else:
                kind = "sample" if step.per_sample else "shared"
                rows = " on rows" if step.on_rows else ""
                given = f"|{len(step.condition)}" if step.condition else ""
                parts.append(f"{kind}-block{len(step.qubits)}{given}({step.n_gates}{rows})")
        return " ".join(parts)


def basis_bits(n: int, order: Sequence[int]) -> np.ndarray:
    """``[2^n, n]``: bit of each qubit (column = qubit index) for each flat index in ``order``.

    Column-major, so that a qubit's column is contiguous: plans at 18+ qubits read columns
    of 2^n entries many times, and strided ones made planning take minutes.
    """
    index = np.arange(2 ** n)
    bits = np.zeros((2 ** n, n), dtype=np.int64, order="F")
    for axis, qubit in enumerate(order):
        bits[:, qubit] = (index >> (n - 1 - axis)) & 1
    return bits


def _local_index(bits: np.ndarray, qubits: Sequence[int]) -> np.ndarray:
    m = len(qubits)
    index = np.zeros(len(bits), dtype=bits.dtype)
    for i, q in enumerate(qubits):
        index |= bits[:, q] << (m - 1 - i)
    return index


def phase_run(terms: Sequence[GateTerm], n: int, order: Sequence[int]) -> PhaseRun:
    """Diagonal and fixed-permutation gates as one gather and one phase (tables made when first read)."""
    return PhaseRun(tuple(terms), n, tuple(order))


def _phase_tables(terms: Sequence[GateTerm], n: int, order: Sequence[int]) \
        -> tuple[np.ndarray | None, np.ndarray, tuple[int, ...], np.ndarray]:
    """Composes diagonal and fixed-permutation gates into one gather and one phase: ``(source, alpha,
    symbols, omega)``.

    With ``psi_out[b] = exp(i phi[b]) psi_in[src[b]]``: a diagonal gate adds its
    log-phase to ``phi``; a permutation ``sigma`` with phases ``c`` maps
    ``phi[b'] <- phi[sigma^-1 b'] + arg c``, ``src[b'] <- src[sigma^-1 b']``.
    """
    bits = basis_bits(n, order)
    position = {q: axis for axis, q in enumerate(order)}
    size = 2 ** n
    source = np.arange(size)
    alpha = np.zeros(size)
    omega_rows: dict[int, np.ndarray] = {}
    for term in terms:
        local = _local_index(bits, term.qubits)
        if term.is_diagonal:
            a, w = term.diagonal_log_phase()
            alpha = alpha + a[local]
            if term.symbol is not None:
                omega_rows[term.symbol] = omega_rows.get(term.symbol, np.zeros(size)) + w[local]
            continue
        matrix = term.matrices[0]  # a fixed monomial: column j has one entry, at row sigma(j)
        target_local = np.argmax(np.abs(matrix), axis=0)
        phase_local = np.angle(matrix[target_local, np.arange(matrix.shape[0])])
        mapped = target_local[local]
        m = term.n_qubits
        # Where each basis state goes: only the term's qubits change their bits.
        destination = np.arange(size)
        for i, q in enumerate(term.qubits):
            destination += (((mapped >> (m - 1 - i)) & 1) - bits[:, q]) << (n - 1 - position[q])
        new_source, new_alpha = np.empty_like(source), np.empty_like(alpha)
        new_source[destination] = source
        new_alpha[destination] = alpha + phase_local[local]
        source, alpha = new_source, new_alpha
        for s, row in omega_rows.items():
            moved = np.empty(size)
            moved[destination] = row
            omega_rows[s] = moved
    symbols = tuple(omega_rows)
    omega = np.stack([omega_rows[s] for s in symbols]) if symbols else np.zeros((0, size))
    identity = np.array_equal(source, np.arange(size))
    return (None if identity else source), alpha, symbols, omega


def phase_able(term: GateTerm) -> bool:
    """True for gates a :class:`PhaseRun` can hold: diagonal, or a fixed permutation."""
    if term.is_fixed_monomial:
        return True
    if not term.is_diagonal:
        return False
    try:
        term.diagonal_log_phase()
    except NotPhaseDiagonal:
        return False
    return True


def grow_block(terms: Sequence[GateTerm | ChannelTerm], remaining: list[int], accept: Callable[[GateTerm], bool],
               max_qubits: int, n: int, defer_single: bool = False) -> tuple[list[int], list[int]]:
    """Takes gates from the front of the circuit's dependency graph while ``accept`` holds.

    A gate that is skipped freezes its qubits: later gates on them must wait for it. A sampled
    channel is never taken (it is a step of its own).

    ``defer_single``: a one-qubit gate on a qubit outside the block does not bring its qubit in; it
    waits until a multi-qubit gate does (and is taken with it), or, at the end, until there is room
    left. So the block's qubits follow the entangling gates: in a layer of rotations followed by a
    ring of controlled rotations, the block takes the ring's first gates, not the first rotations.

    Returns the taken indices (in circuit order) and the qubits they touch (in first-touched order).
    """
    qubits: list[int] = []
    frozen: set[int] = set()
    taken: list[int] = []
    waiting: dict[int, list[int]] = {}  # qubit -> its deferred one-qubit gates (defer_single)
    for index in remaining:
        term = terms[index]
        touched = set(term.qubits)
        if touched & frozen or isinstance(term, ChannelTerm) or not accept(term):
            frozen |= touched
        elif defer_single and term.n_qubits == 1 and term.qubits[0] not in qubits:
            waiting.setdefault(term.qubits[0], []).append(index)
        elif len(set(qubits) | touched) <= max_qubits:
            for q in term.qubits:
                if q not in qubits:
                    taken += waiting.pop(q, [])
                    qubits.append(q)
            taken.append(index)
        else:
            frozen |= touched
        if len(frozen) >= n:
            break
    for q, indices in waiting.items():  # room left: the deferred gates' qubits, first deferred first
        if len(qubits) < max_qubits:
            taken += indices
            qubits.append(q)
    return sorted(taken), qubits


def grow_conditioned(terms: Sequence[GateTerm | ChannelTerm], remaining: list[int],
                      accept: Callable[[GateTerm], bool], max_qubits: int, max_condition: int,
                      n: int) -> tuple[list[int], list[int], list[int]]:
    """:func:`grow_block` for a block that also takes diagonal gates on qubits outside it.

    A diagonal gate's qubits outside the block become its *condition*: the block's matrix is then
    one per basis state of them (block-diagonal), so that a run of phases over the whole register
    joins the block instead of being a pass of its own between blocks. Only gates that are not
    diagonal count towards ``max_qubits``; at most ``max_condition`` condition qubits.

    Returns:
        The taken indices, the block's qubits (touched by a gate that is not diagonal, or by a
        diagonal one once they are in) and its condition qubits.
    """
    block: list[int] = []
    condition: list[int] = []
    frozen: set[int] = set()
    taken: list[int] = []
    for index in remaining:
        term = terms[index]
        touched = set(term.qubits)
        if touched & frozen or isinstance(term, ChannelTerm) or not accept(term):
            frozen |= touched
        elif term.is_diagonal and phase_able(term):
            outside = [q for q in term.qubits if q not in block and q not in condition]
            if len(condition) + len(outside) <= max_condition:
                taken.append(index)
                condition += outside
            else:
                frozen |= touched
        elif len(set(block) | touched) <= max_qubits:
            taken.append(index)
            block += [q for q in term.qubits if q not in block]
            condition = [q for q in condition if q not in touched]
        else:
            frozen |= touched
        if len(frozen) >= n:
            break
    return taken, block, condition


# The most condition qubits of a block (its matrix is 2^c times larger to build).
CONDITION_MAX_QUBITS = 6
# Conditioned plans are considered up to this width (see CircuitPlans).
CONDITIONED_MAX_WIDTH = 10
# step_cost's units: one of a conditioned block's two transposes (about a plain block's 11, a bit more
# for the extra axis group; set with sim_06, sim_05 and sim_10 at 8 qubits, batches 16 to 2048).
CONDITION_TRANSPOSE_COST = 12.0


def _kron_layer(terms: Sequence[GateTerm], taken: list[int]) -> KronLayer:
    per_qubit: dict[int, list[GateTerm]] = {}
    for i in taken:
        per_qubit.setdefault(terms[i].qubits[0], []).append(terms[i])
    qubits = tuple(sorted(per_qubit))
    return KronLayer(qubits, tuple(tuple(per_qubit[q]) for q in qubits))


def recipe(terms: Sequence[GateTerm], k: int, condition: int = 0) -> tuple[RecipeStep, ...]:
    """Steps that compute a block's matrix from its gates (block-local qubit indices).

    ``condition``: the block's last ``condition`` local qubits (``k`` to ``k + condition - 1``) are
    touched by diagonal gates only; its phase runs are then tables over them and the block's
    qubits (condition bits most significant), and the matrix is one per condition basis state.
    """
    remaining = list(range(len(terms)))
    steps: list[RecipeStep] = []
    width = k + condition
    order = tuple(range(k, width)) + tuple(range(k))

    def phase_ok(term: GateTerm) -> bool:
        # A conditioned run is a phase per condition basis state: no permutation in it (a CNOT inside
        # the block is a gate step instead).
        return phase_able(term) and (term.is_diagonal or not condition)

    while remaining:
        first = terms[remaining[0]]
        if first.n_qubits == 1 and first.qubits[0] < k:
            taken, _ = grow_block(terms, remaining, lambda t: t.n_qubits == 1 and t.qubits[0] < k, k, width)
            steps.append(_kron_layer(terms, taken))
        elif phase_ok(first):
            taken, _ = grow_block(terms, remaining, phase_ok, width, width)
            steps.append(phase_run([terms[i] for i in taken], width, order))
        else:
            taken = [remaining[0]]
            steps.append(GateStep(first))
        done = set(taken)
        remaining = [i for i in remaining if i not in done]
    return tuple(steps)


# Relative cost of one pass over the batch's states, measured on a 2-core CPU (12 qubits,
# batch 2048; milliseconds): a block product grows with its width, a transpose, a gather
# and a phase multiply are one memory pass each.
def _product_cost(k: int) -> float:
    """One real matrix product of a ``k``-qubit block with the states (interleaved: ``2^(k+1)`` wide)."""
    return 0.11 * 2 ** (k + 1) + 3.5


def step_cost(step: Step) -> float:
    """Estimated cost of a step's passes over the states, in milliseconds at 12 qubits and batch 2048."""
    return sum(step_cost_parts(step))


def step_cost_parts(step: Step) -> tuple[float, float, float]:
    """:func:`step_cost` split into a block's matrix product, its transposes, and any other pass (phase
    runs, sampled channels): the model weighs the three apart (see :data:`COST_CONSTANTS`)."""
    if isinstance(step, PhaseRun):
        return 0.0, 0.0, (29.0 if step.permutes else 0.0) + 8.0 + (15.0 if step.has_symbols else 0.0)
    if isinstance(step, SampledChannel):  # the reduced density matrix, then one per-sample product
        return 0.0, 0.0, 2 * _product_cost(len(step.positions)) * 2.0
    k = len(step.qubits)
    product = _product_cost(k)
    if step.per_sample:
        product *= 2.0  # batched small products are less efficient
    if step.condition:  # two transposes: condition axis first for the batched product (qubits moved too), and back
        return product, 2 * CONDITION_TRANSPOSE_COST, 0.0
    return product, (11.0 if step.axes is not None else 0.0), 0.0


def first_block_on_product(plan: Plan) -> bool:
    """True when the plan's first step is a shared block, applied to the product state's factor on its
    qubits alone (``U (a kron b) = (U a) kron b``: see ``Program``): one product of ``2^k``
    amplitudes per sample instead of ``2^n``, then one pass that makes the full states."""
    return plan.from_product and bool(plan.steps) and isinstance(plan.steps[0], DenseBlock) \
        and not plan.steps[0].per_sample and not plan.steps[0].condition


# The pass that makes the full states from the first block's output and the other qubits' factors.
OUTER_PRODUCT_COST = 8.0


def plan_pass_parts(plan: Plan, steps: Sequence[Step]) -> tuple[float, float, float]:
    """The cost of ``steps`` (a plan's, from its first) in passes over the states, split as
    :func:`step_cost_parts` splits a step's (the first block on the product state, over ``2^k`` amplitudes
    a sample, and the pass that makes the states count as other passes)."""
    parts = [step_cost_parts(s) for s in steps]
    if parts and first_block_on_product(plan):
        first = plan.steps[0]
        assert isinstance(first, DenseBlock)
        k = len(first.qubits)
        on_factor = sum(recipe_step_cost(r, k) for r in first.recipe) if first.on_rows else _product_cost(k)
        parts[0] = (0.0, 0.0, on_factor * 2.0 ** (k - plan.n_qubits) + OUTER_PRODUCT_COST)
    return (sum(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts))


# A recipe step run on states (a block on rows): a Kronecker chunk or a gate is an einsum (TensorFlow
# transposes, a complex product, transposes back: about 40 units), and each step has a fixed cost
# (its einsums and their gradients) beyond STEP_MS: ROWS_STEP_MS, fitted with the constants below.
# RECIPE_PRODUCT_COST was set by timing hardware_efficient depth 3 at 8 qubits (batches 16, 128),
# 12 (1024) and 16 (256) with every first-block width (docs/engine.md).
RECIPE_PRODUCT_COST = 40.0
ROWS_STEP_MS = 0.134


def recipe_step_cost(step: RecipeStep, k: int) -> float:
    """Passes of a recipe step run on ``2^k``-amplitude states, in :func:`step_cost`'s units."""
    if isinstance(step, PhaseRun):
        return step_cost(step)
    if isinstance(step, KronLayer):
        chunks = {q // KRON_CHUNK_QUBITS for q in step.qubits}
        return RECIPE_PRODUCT_COST * len(chunks)
    return RECIPE_PRODUCT_COST


REFERENCE_AMPLITUDES = 2048 * 2 ** 12  # the batch x 2^n at which step_cost is measured

# The widest block whose matrix takes a gate as one embedded 2^k x 2^k product (kernels.py): wider
# blocks apply gates to their matrix by an einsum on 2k axes, which costs more per amplitude.
EMBED_MAX_QUBITS = 5

# The batch-aware model: forward + gradient milliseconds of a plan =
#   PER_PASS_MS * (its step costs other than blocks' products and transposes, scaled by batch x 2^n /
#   REFERENCE_AMPLITUDES) + PRODUCT_PASS_MS * (its blocks' products, the same) + TRANSPOSE_PASS_MS * (their
#   transposes, the same)
#   + BUILD_MS_PER_AMPLITUDE * (amplitudes its shared blocks' recipes touch: steps x 4^k, k <= EMBED_MAX_QUBITS)
#   + WIDE_BUILD_MS_PER_AMPLITUDE * (the same for the wider blocks)
#   + STEP_MS * (its steps and recipe steps: TensorFlow's cost per operation)
#   + ROWS_STEP_MS * (recipe steps run on the samples' rows).
# A shared block's matrix (and its gradient) is built once per call, whatever the batch; it is
# applied once per sample. Fitted by benchmarks/planner_cost.py on this 2-core machine for the
# plans they pick (15 circuits, 30 batch cases: see docs/engine.md, "How the planner chooses"). Products,
# transposes and other passes are weighed apart since the states stay in their real view between blocks:
# with one weight for all three, the model picked 1.5x slower plans for sim_05 and sim_06 at 12 qubits.
PER_PASS_MS = 3.13
PRODUCT_PASS_MS = 3.46
TRANSPOSE_PASS_MS = 0.578
BUILD_MS_PER_AMPLITUDE = 1.72e-5
WIDE_BUILD_MS_PER_AMPLITUDE = 3.22e-5
STEP_MS = 0.0684
# The model's constants, in the order of CostTerms.features.
COST_CONSTANTS = ("PER_PASS_MS", "PRODUCT_PASS_MS", "TRANSPOSE_PASS_MS", "BUILD_MS_PER_AMPLITUDE",
                  "WIDE_BUILD_MS_PER_AMPLITUDE", "STEP_MS", "ROWS_STEP_MS")
# The same model's constants for a call compiled by XLA (the engine's own compiled calls, or a caller's
# jit_compile): XLA fuses the elementwise work and drops TensorFlow's cost per operation, so it
# favours narrower blocks. Fitted by ``benchmarks/planner_cost.py --xla`` (docs/engine.md, "XLA").
# Refitted after the XLA helpers of tensors.py (stored phases, gathers as products) changed what steps cost;
# under XLA one weight serves every pass (fitted before the passes were split; not refitted split).
XLA_COST_CONSTANTS = {"PER_PASS_MS": 3.99, "PRODUCT_PASS_MS": 3.99, "TRANSPOSE_PASS_MS": 3.99,
                      "BUILD_MS_PER_AMPLITUDE": 2.25e-5, "WIDE_BUILD_MS_PER_AMPLITUDE": 1.76e-5,
                      "STEP_MS": 0.0178, "ROWS_STEP_MS": 0.0433}
# The batch assumed when a call's batch size is unknown (a Keras graph traced with None).
DEFAULT_PLANNING_BATCH = 1024


def autodiff_copies(steps: Sequence[Step]) -> int:
    """States of the batch that autodiff keeps for the gradient of ``steps`` (beyond the forward pass's own).

    A shared block, a phase run or a sampled channel keeps about 3 (its input, its product, a
    view). A per-sample block applies its gates one by one, each as ``sum_k exp(i w_k v) (M_k psi)``:
    ``k`` products and their phased copies, and the sum, for every gate (measured with trajectories:
    a plan of 53 steps whose per-sample blocks held 98 two-term gates kept about 730 copies, where
    3 per step would say 160).
    """
    copies = 0
    for step in steps:
        if isinstance(step, DenseBlock) and step.per_sample:
            for sub in step.recipe:
                if isinstance(sub, KronLayer):
                    copies += sum(2 * len(t.frequencies) + 1 for gates in sub.gates for t in gates)
                elif isinstance(sub, GateStep):
                    copies += 2 * len(sub.term.frequencies) + 1
                else:
                    copies += 3
        elif isinstance(step, DenseBlock) and step.condition:
            copies += 4  # its input, the states transposed for the batched product, the product, transposed back
        else:
            copies += 3
    return copies


def _trailing_free(plan: Plan) -> list[Step]:
    steps = list(plan.steps)
    while steps and isinstance(steps[-1], PhaseRun):  # free for Z readouts (see the engine)
        steps.pop()
    return steps


@dataclasses.dataclass(frozen=True)
class CostTerms:
    """What the batch-aware model reads of a plan (``benchmarks/planner_cost.py`` fits it on these).

    Attributes:
        passes: passes over the states (the sum of :func:`plan_pass_parts`), scaled by the batch in the model.
        products: the part of ``passes`` that is blocks' matrix products (:func:`plan_pass_parts`).
        transposes: the part that is blocks' transposes.
        build: amplitudes the recipes of shared matrix blocks up to :data:`EMBED_MAX_QUBITS` touch
            (``steps x 4^k``), once per call.
        wide_build: the same for the wider shared matrix blocks.
        operations: steps and recipe steps (TensorFlow's cost per operation).
        on_rows: recipe steps run on the samples' rows (their einsums' fixed cost).
    """

    passes: float
    products: float
    transposes: float
    build: int
    wide_build: int
    operations: int
    on_rows: int

    def features(self, batch: int, n_qubits: int) -> tuple[float, ...]:
        """What each constant of :data:`COST_CONSTANTS` multiplies at ``batch`` (in that order)."""
        scale = batch * 2 ** n_qubits / REFERENCE_AMPLITUDES
        other = self.passes - self.products - self.transposes
        return (other * scale, self.products * scale, self.transposes * scale, self.build, self.wide_build,
                self.operations, self.on_rows)

    def ms(self, batch: int, n_qubits: int, constants: Sequence[float] | None = None, xla: bool = False) -> float:
        """Forward + gradient milliseconds at ``batch``, with ``constants`` in :data:`COST_CONSTANTS`'
        order (None: the fitted ones; with ``xla``, :data:`XLA_COST_CONSTANTS`)."""
        if constants is None:  # read at the call: a refit (or a test) may set the module's constants
            constants = cost_constants(xla)
        return sum(c * f for c, f in zip(constants, self.features(batch, n_qubits), strict=True))


def cost_constants(xla: bool = False) -> tuple[float, ...]:
    """The model's constants in :data:`COST_CONSTANTS`' order: for plain TensorFlow, or for XLA."""
    if xla:
        return tuple(XLA_COST_CONSTANTS[name] for name in COST_CONSTANTS)
    return (PER_PASS_MS, PRODUCT_PASS_MS, TRANSPOSE_PASS_MS, BUILD_MS_PER_AMPLITUDE, WIDE_BUILD_MS_PER_AMPLITUDE,
            STEP_MS, ROWS_STEP_MS)


def built_amplitudes(block: DenseBlock) -> int:
    """Amplitudes a shared block's recipe touches to build its matrix (or its ``2^c`` matrices)."""
    return len(block.recipe) * 4 ** len(block.qubits) * 2 ** len(block.condition)


def cost_terms(plan: Plan) -> CostTerms:
    """The model's terms for ``plan`` (trailing phase runs are free: Z readouts absorb them)."""
    steps = _trailing_free(plan)
    blocks = [s for s in steps if isinstance(s, DenseBlock)]
    matrices = [s for s in blocks if not s.per_sample and not s.on_rows]
    products, transposes, other = plan_pass_parts(plan, steps)
    return CostTerms(passes=products + transposes + other, products=products, transposes=transposes,
                     build=sum(built_amplitudes(s) for s in matrices if len(s.qubits) <= EMBED_MAX_QUBITS),
                     wide_build=sum(built_amplitudes(s) for s in matrices if len(s.qubits) > EMBED_MAX_QUBITS),
                     # A conditioned block's recipe steps run on 2^c matrices at once: about two operations'
                     # time each (sim_06, batch 16: counted as one, the model picked them at 1.2x the time).
                     operations=len(steps) + sum(len(s.recipe) * (2 if s.condition else 1) for s in blocks),
                     on_rows=sum(len(s.recipe) for s in blocks if s.on_rows))


def plan_cost(plan: Plan, batch: int | None = None, xla: bool = False) -> float:
    """Estimated cost of a plan.

    Args:
        plan: the plan.
        batch: the batch it runs on. None: the cost of its passes over the states alone, in
            milliseconds at 12 qubits and batch 2048 (the batch-blind model of large batches).
        xla: the plan runs compiled by XLA (:data:`XLA_COST_CONSTANTS`).

    Returns:
        Without ``batch``, the passes' cost; with it, forward + gradient milliseconds by the
        batch-aware model (the constants above).
    """
    terms = cost_terms(plan)
    return terms.passes if batch is None else terms.ms(batch, plan.n_qubits, xla=xla)


FOLD_MAX_QUBITS = 10  # widest shared block considered: its matrix is 2^k x 2^k
SAMPLE_BLOCK_QUBITS = 6


def candidate_plans(terms: Sequence[GateTerm | ChannelTerm], n: int, per_sample_symbols: set[int], *,
                    sample_block_qubits: int | None = None, paired: bool = False,
                    product_init: bool = True, conditioned: bool = False) -> list[Plan]:
    """The plans worth choosing between: one per shared block width, from 2 to ``min(n, FOLD_MAX_QUBITS)``
    (one plan when no gate is shared by the batch: the width of shared blocks does not matter), and
    where the plan starts with a shared block on the product state, the same with every wider first
    block; each of them with its shared blocks grown in circuit order and with one-qubit gates
    deferred (:func:`grow_block`'s ``defer_single``), duplicates dropped.

    ``paired``: even widths only. A density matrix's gates and channels come in pairs of
    virtual qubits (``q`` and ``q + n``); an odd width splits a pair and measured up to 2x
    slower than its even neighbours (8 qubits, batch 256), which the cost model does not see.

    ``product_init=False``: the plan starts from given states, not ``|0...0>`` (no
    :class:`ProductInit`; see :mod:`.heisenberg`).

    ``conditioned``: shared blocks after the first also take the diagonal gates that touch qubits
    outside them (:func:`grow_conditioned`).

    Planning is the slow part at large widths; a caller keeps these and chooses per batch
    size with :func:`choose_plan`.
    """
    if sample_block_qubits is None:
        sample_block_qubits = min(n, SAMPLE_BLOCK_QUBITS)
    gates = [t for t in terms if isinstance(t, GateTerm)]
    if all(t.symbol in per_sample_symbols for t in gates if t.symbol is not None) \
            and not any(t.symbol is None for t in gates):
        widths = [n]
    else:
        widths = list(range(min(2, n), min(n, FOLD_MAX_QUBITS) + 1, 2 if paired else 1))
    plans: list[Plan] = []
    seen: set[tuple] = set()
    for k in widths:
        # With a product state, the first shared block is applied to its qubits' factor alone (see
        # first_block_on_product): a wide first block costs little per sample, so each width k of the
        # other blocks is also tried after every wider first block: run on the samples' rows (its
        # recipe on their factors, no matrix: any width) or as a matrix (up to FOLD_MAX_QUBITS).
        wider = range(k + 1, n + 1, 2 if paired else 1)
        for defer_single in (False, True):
            base = None
            for first, on_rows in [(None, False), *((w, True) for w in wider),
                                   *((w, False) for w in wider if w <= FOLD_MAX_QUBITS)]:
                if base is not None and not first_block_on_product(base):
                    break
                plan = _make_plan(terms, n, per_sample_symbols, shared_block_qubits=k,
                                  sample_block_qubits=sample_block_qubits, product_init=product_init,
                                  first_block_qubits=first, first_on_rows=on_rows, conditioned=conditioned,
                                  defer_single=defer_single)
                base = base or plan
                if _signature(plan) not in seen:
                    seen.add(_signature(plan))
                    plans.append(plan)
    return plans


def _signature(plan: Plan) -> tuple:
    """What tells plans apart: each step's kind, qubits (or positions), gate count and way of running."""
    return tuple((type(s).__name__, getattr(s, "qubits", getattr(s, "positions", None)), getattr(s, "n_gates", 0),
                  getattr(s, "on_rows", False), getattr(s, "condition", ())) for s in plan.steps)


def choose_plan(plans: Sequence[Plan], batch: int | None = None, xla: bool = False) -> Plan:
    """The cheapest of ``plans`` at ``batch`` (None: :data:`DEFAULT_PLANNING_BATCH`), run compiled by
    XLA or not; ties go to the wider blocks (fewer steps)."""
    at = DEFAULT_PLANNING_BATCH if batch is None else batch
    return min(reversed(list(plans)), key=lambda plan: plan_cost(plan, at, xla=xla))


def make_plan(terms: Sequence[GateTerm | ChannelTerm], n: int, per_sample_symbols: set[int], *,
              shared_block_qubits: int | None = None, sample_block_qubits: int | None = None,
              batch: int | None = None, conditioned: bool = False) -> Plan:
    """Plans the steps for ``terms`` on ``n`` qubits.

    Args:
        terms: the circuit's gates in order (and, in trajectories, channels to sample).
        n: number of qubits.
        per_sample_symbols: symbol indices whose values differ per sample.
        shared_block_qubits: widest block for gates shared by the batch (``n`` folds a
            whole weight-only stretch into one matrix). None: the cheapest width under
            :func:`plan_cost` at ``batch``, from 2 to ``min(n, FOLD_MAX_QUBITS)``.
        sample_block_qubits: widest block for gates with per-sample values (None: up to
            :data:`SAMPLE_BLOCK_QUBITS`). Their gates are applied to the states one by one, so
            a wider block only saves transposes.
        batch: the batch size the plan will run on (None: :data:`DEFAULT_PLANNING_BATCH`).
        conditioned: let shared blocks take diagonal gates beyond their qubits (:func:`grow_conditioned`).
    """
    if shared_block_qubits is None:
        return choose_plan(candidate_plans(terms, n, per_sample_symbols, sample_block_qubits=sample_block_qubits,
                                           conditioned=conditioned), batch)
    if sample_block_qubits is None:
        sample_block_qubits = min(n, SAMPLE_BLOCK_QUBITS)
    return _make_plan(terms, n, per_sample_symbols, shared_block_qubits=shared_block_qubits,
                      sample_block_qubits=sample_block_qubits, conditioned=conditioned)


def _make_plan(terms: Sequence[GateTerm | ChannelTerm], n: int, per_sample_symbols: set[int], *,
               shared_block_qubits: int, sample_block_qubits: int, product_init: bool = True,
               first_block_qubits: int | None = None, first_on_rows: bool = True,
               conditioned: bool = False, defer_single: bool = False) -> Plan:
    terms = list(terms)

    def per_sample(t: GateTerm) -> bool:
        return t.symbol is not None and t.symbol in per_sample_symbols

    started: set[int] = set()
    init: list[list[GateTerm]] = [[] for _ in range(n)]
    remaining: list[int] = []
    unentangled = product_init and is_product_circuit(terms)
    for index, term in enumerate(terms):
        # Shared gates stay out of the product state: in the first block they cost nothing
        # extra, while in the product state they would make it complex (and the first block's
        # product twice as large). Without any multi-qubit gate the whole circuit is the product
        # state, and the readouts come from its factors (see Program.expectations).
        if product_init and isinstance(term, GateTerm) and term.n_qubits == 1 and term.qubits[0] not in started \
                and (per_sample(term) or term.symbol is None or unentangled):
            init[term.qubits[0]].append(term)
        else:
            started |= set(term.qubits)
            remaining.append(index)
    order = list(range(n))
    steps: list[Step] = []
    while remaining:
        first = terms[remaining[0]]
        if isinstance(first, ChannelTerm):
            taken = [remaining[0]]
            assert first.draw is not None, "a channel in a pure-state plan needs its draw symbol"
            steps.append(SampledChannel(tuple(order.index(q) for q in first.qubits), first.kraus, first.draw,
                                        first.label))
        elif per_sample(first) and phase_able(first):
            taken, _ = grow_block(terms, remaining, phase_able, n, n)
            steps.append(phase_run(_gates(terms, taken), n, order))
        elif per_sample(first):
            width = max(sample_block_qubits, first.n_qubits)
            if first.n_qubits == 1:
                accept = lambda t: per_sample(t) and t.n_qubits == 1  # noqa: E731
            else:
                accept = lambda t: per_sample(t) and not phase_able(t)  # noqa: E731
            taken, qubits = grow_block(terms, remaining, accept, width, n)
            steps.append(_block(_gates(terms, taken), qubits, order, True))
        else:
            first_width = first_block_qubits if not steps and product_init else None
            width = max(shared_block_qubits if first_width is None else first_width, first.n_qubits)
            on_rows = first_width is not None and first_on_rows
            # The first block on a product state stays unconditioned: it is applied to the product's
            # factor on its qubits alone (first_block_on_product), which a condition would forbid.
            taken, qubits, condition = grow_conditioned(terms, remaining, lambda t: not per_sample(t), width,
                                                        min(CONDITION_MAX_QUBITS, n - 1), n) \
                if conditioned and width < n and (steps or not product_init) else ([], [], [])
            if qubits and condition:
                steps.append(_block(_gates(terms, taken), qubits, order, False, condition=condition))
            else:
                taken, qubits = grow_block(terms, remaining, lambda t: not per_sample(t), width, n, defer_single)
                if width < n and all(phase_able(g) for g in _gates(terms, taken)):
                    taken, _ = grow_block(terms, remaining, lambda t: not per_sample(t) and phase_able(t), n, n)
                    steps.append(phase_run(_gates(terms, taken), n, order))
                else:
                    steps.append(_block(_gates(terms, taken), qubits, order, False, on_rows))
        done = set(taken)
        remaining = [i for i in remaining if i not in done]
    per_qubit = tuple(tuple(t) for t in init)
    return Plan(n, ProductInit(per_qubit, _always_real(per_qubit)), tuple(steps), tuple(order),
                from_product=product_init)


def has_conditioned_block(plan: Plan) -> bool:
    """True when a step of ``plan`` is a block with condition qubits (:func:`grow_conditioned`)."""
    return any(isinstance(s, DenseBlock) and s.condition for s in plan.steps)


def is_product_circuit(terms: Sequence[GateTerm | ChannelTerm]) -> bool:
    """True when every term is a single-qubit gate: the state stays a product of one-qubit states."""
    return all(isinstance(t, GateTerm) and t.n_qubits == 1 for t in terms)


def _gates(terms: Sequence[GateTerm | ChannelTerm], taken: list[int]) -> list[GateTerm]:
    """The taken terms: gates only (:func:`grow_block` never takes a channel)."""
    gates = [terms[i] for i in taken]
    assert all(isinstance(g, GateTerm) for g in gates)
    return gates  # type: ignore[return-value]  # checked just above


def _block(gates: list[GateTerm], qubits: list[int], order: list[int], per_sample: bool,
           on_rows: bool = False, condition: Sequence[int] = ()) -> DenseBlock:
    """A dense block; moves its condition qubits, then its qubits, to the last axes (updating ``order``
    in place)."""
    qubits = sorted(qubits, key=order.index)  # a block already at the end needs no transpose
    condition = sorted(condition, key=order.index)
    new_order = [q for q in order if q not in qubits and q not in condition] + condition + qubits
    axes = None if new_order == order else tuple(order.index(q) for q in new_order)
    order[:] = new_order
    where = {q: i for i, q in enumerate([*qubits, *condition])}
    local = [dataclasses.replace(g, qubits=tuple(where[q] for q in g.qubits)) for g in gates]
    return DenseBlock(tuple(qubits), recipe(local, len(qubits), len(condition)), per_sample, axes, len(gates),
                      on_rows, tuple(condition))
