"""The statevector engine for one circuit: plan once, then TensorFlow calls."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import cirq

from qcircuits.ansatz import Ansatz
from qcircuits.noise import Noise, has_channels
from sims.backends.statevector.density import DensityProgram, density_readouts, virtual_terms
from sims.backends.statevector.frames import in_diagonal_frames
from sims.backends.statevector.gates import ChannelTerm, GateTerm, circuit_terms
from sims.backends.statevector.heisenberg import HeisenbergProgram, heisenberg_split, transposed_reversed
from sims.backends.statevector.plan import (
    CONDITIONED_MAX_WIDTH,
    DEFAULT_PLANNING_BATCH,
    PhaseRun,
    Plan,
    candidate_plans,
    choose_plan,
    has_conditioned_block,
    make_plan,
    plan_cost,
)
from sims.backends.statevector.product import product_readouts
from sims.backends.statevector.program import Program
from sims.backends.statevector.readouts import ReadoutTables, readout_tables
from sims.backends.statevector.trajectories import TrajectoryProgram, trajectory_circuit
from sims.tf_env import tf


def split_occurrences(terms: Sequence[GateTerm | ChannelTerm]) -> tuple[list[GateTerm | ChannelTerm], tuple[int, ...]]:
    """Gives every parametrised gate term its own symbol (parameter-shift rules shift one gate at a time).

    Returns:
        The terms, and for each new symbol the index of the symbol it stood for.
    """
    origin: list[int] = []
    out: list[GateTerm | ChannelTerm] = []
    for term in terms:
        if isinstance(term, GateTerm) and term.symbol is not None:
            out.append(dataclasses.replace(term, symbol=len(origin)))
            origin.append(term.symbol)
        else:
            out.append(term)
    return out, tuple(origin)


class CircuitPlans:
    """A circuit's candidate plans, and a :class:`Program` for the one that is cheapest at each batch size.

    Planning (the slow part at large widths) happens once; choosing for a batch size is
    a cost-model lookup (:func:`~.plan.choose_plan`), and each chosen plan is bound to
    TensorFlow once. See :func:`compile_circuit` for the other arguments.

    Args:
        density: run the density-matrix mode (:mod:`.density`): channels are allowed.
        channel_draws: in trajectories, the symbol (index into ``symbols``, per sample) of each
            channel's uniform draw, in circuit order: channels become sampled steps.
        occurrences: every parametrised gate gets its own symbol, given per sample
            (:func:`split_occurrences`; :attr:`origin` maps them back).
        conditioned: with ``shared_block_qubits``, let the blocks take diagonal gates beyond their
            qubits (:func:`~.plan.make_plan`; without it, such plans are candidates where they may pay).
        heisenberg: in the density-matrix mode, also consider running the readouts backwards
            (:mod:`.heisenberg`) when the circuit allows it, and use it where the cost model says
            it is cheaper (expectations only: its program gives no states).
    """

    def __init__(self, circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid], symbols: Sequence,
                 readouts: Sequence, *, shared: Sequence[int] = (), dtype=tf.float32,
                 shared_block_qubits: int | None = None, sample_block_qubits: int | None = None,
                 density: bool = False, channel_draws: Sequence[int] = (), occurrences: bool = False,
                 heisenberg: bool = False, conditioned: bool = False):
        self.n = len(qubits)
        self.qubits, self.readouts, self.dtype = list(qubits), list(readouts), dtype
        self.density = density
        self.circuit, self.symbols = circuit, list(symbols)
        # The planner sees the width of what it runs: a density matrix of n qubits is a state of 2n.
        self.width = 2 * self.n if density else self.n
        terms = circuit_terms(circuit, qubits, symbols, channels=density or bool(channel_draws))
        if channel_draws and not density:
            draws = iter(channel_draws)
            terms = [dataclasses.replace(t, draw=next(draws)) if isinstance(t, ChannelTerm) else t for t in terms]
        n_symbols = len(symbols)
        self.origin: tuple[int, ...] = tuple(range(n_symbols))
        if occurrences:
            terms, self.origin = split_occurrences(terms)
            n_symbols, shared = len(self.origin), ()
        self.terms: list[GateTerm | ChannelTerm] = list(virtual_terms(terms, self.n)) if density else list(terms)
        shared = list(shared)
        per_sample = [k for k in range(n_symbols) if k not in set(shared)]
        self.per_sample_index = {k: i for i, k in enumerate(per_sample)}
        self.shared_index = {k: i for i, k in enumerate(shared)}
        if shared_block_qubits is None:
            self.plans = candidate_plans(self.terms, self.width, set(self.per_sample_index),
                                         sample_block_qubits=sample_block_qubits, paired=density)
            # Gates that are diagonal in a product basis (CRX, XX, ...) may plan better as phases
            # between basis changes: both ways are candidates, and the cost model chooses.
            rotated = in_diagonal_frames(self.terms)
            if rotated is not None:
                self.plans += candidate_plans(rotated, self.width, set(self.per_sample_index),
                                              sample_block_qubits=sample_block_qubits, paired=density)
            if not density and self.width <= CONDITIONED_MAX_WIDTH:
                # Blocks that also take the phases around them (one matrix per basis state of the
                # qubits only those phases touch), for circuits whose diagonal gates span the register.
                # Wider registers would need more condition qubits than a block may have, and planning
                # them twice took seconds (sim_06, 16 qubits: 7 -> 17 s).
                for way in (self.terms, rotated):
                    if way is not None:
                        self.plans += [p for p in candidate_plans(way, self.width, set(self.per_sample_index),
                                                                  sample_block_qubits=sample_block_qubits,
                                                                  conditioned=True) if has_conditioned_block(p)]
        else:
            self.plans = [make_plan(self.terms, self.width, set(self.per_sample_index),
                                    shared_block_qubits=shared_block_qubits, sample_block_qubits=sample_block_qubits,
                                    conditioned=conditioned)]
        self.split = heisenberg_split(self.terms, self.n, set(self.per_sample_index)) \
            if density and heisenberg and not shared_block_qubits else None
        self._heisenberg: HeisenbergProgram | None = None
        self.picture: str | None = None  # force "heisenberg" (where allowed) or "schrodinger" (benchmarks, tests)
        self._programs: dict[int, Program] = {}
        self.wrap: Callable[[Program], Any] | None = None  # e.g. trajectories around the bound plan
        self._chosen: dict[tuple[int | None, bool], Plan] = {}

    def plan_for(self, batch: int | None, xla: bool = False) -> Plan:
        """The cheapest plan at ``batch`` (None: plan.DEFAULT_PLANNING_BATCH), run compiled by XLA or
        not, remembered per size: an eager layer asks at every call."""
        if (batch, xla) not in self._chosen:
            self._chosen[batch, xla] = choose_plan(self.plans, batch, xla=xla)
        return self._chosen[batch, xla]

    def program(self, batch: int | None = None, xla: bool = False) -> Program | HeisenbergProgram:
        """The cheapest program at ``batch`` (compiled by XLA or not): :meth:`plan_for`'s, or the
        Heisenberg picture's where it is allowed and cheaper; each built once."""
        plan = self.plan_for(batch, xla)
        heisenberg = self.heisenberg_program()
        at = DEFAULT_PLANNING_BATCH if batch is None else batch
        # The Heisenberg picture's cost is modelled for plain TensorFlow: both sides compared so.
        if heisenberg is not None and self.picture != "schrodinger" and \
                (self.picture == "heisenberg" or heisenberg.cost(at) < plan_cost(self.plan_for(batch), at)):
            return heisenberg
        return self.program_for_plan(plan)

    def program_for_plan_at(self, batch: int | None = None, xla: bool = False) -> Program:
        """The program of :meth:`plan_for` (run forward: states and expectations)."""
        return self.program_for_plan(self.plan_for(batch, xla))

    def heisenberg_program(self) -> HeisenbergProgram | None:
        """The readouts run backwards (:mod:`.heisenberg`), or None where the circuit or the options do
        not allow it; planned for its ``R`` rows once."""
        if self.split is None:
            return None
        if self._heisenberg is None:
            walk = candidate_plans(transposed_reversed(self.split.rest), self.width, set(), paired=True,
                                   product_init=False)
            self._heisenberg = HeisenbergProgram(self.split, choose_plan(walk, len(self.readouts)), self.readouts,
                                                 self.qubits, self.per_sample_index, self.shared_index, self.dtype)
        return self._heisenberg

    def program_for_plan(self, plan: Plan) -> Program:
        """``plan`` (one of :attr:`plans`) bound to TensorFlow, once."""
        key = next(i for i, candidate in enumerate(self.plans) if candidate is plan)  # plans hold arrays: no ==
        if key in self._programs:
            return self._programs[key]
        program: Any
        if self.density:
            program = DensityProgram(plan, density_readouts(self.readouts, self.qubits, plan.final_order),
                                     self.per_sample_index, self.shared_index, self.dtype)
        elif not plan.steps:  # a product state: readouts from its factors, no 2^n tables
            program = Program(plan, ReadoutTables(None, (), len(self.readouts)), self.per_sample_index,
                              self.shared_index, self.dtype, product=product_readouts(self.readouts, self.qubits))
        else:
            tables = readout_tables(self.readouts, self.qubits, plan.final_order)
            readout_steps, tables = absorb_trailing_phases(plan, tables)
            program = Program(plan, tables, self.per_sample_index, self.shared_index, self.dtype,
                              readout_steps=readout_steps)
        self._programs[key] = self.wrap(program) if self.wrap is not None else program
        return self._programs[key]


def compile_circuit(circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid], symbols: Sequence, readouts: Sequence,
                    *, shared: Sequence[int] = (), dtype=tf.float32, shared_block_qubits: int | None = None,
                    sample_block_qubits: int | None = None, batch: int | None = None,
                    conditioned: bool = False) -> Program:
    """Compiles a circuit into a :class:`Program`.

    Args:
        circuit: gates from ``plugins.SUPPORTED_GATES`` with angles ``number * symbol``.
        qubits: qubit order of the states (qubit 0 most significant).
        symbols: every symbol, in the column order of the values.
        readouts: Pauli strings to measure.
        shared: indices (into ``symbols``) of values shared by the batch, given as one vector;
            the others are given per sample, in their order.
        dtype: ``tf.float32`` (complex64 states) or ``tf.float64`` (complex128).
        shared_block_qubits: widest fused block of shared gates (None: chosen by the planner).
        sample_block_qubits: widest fused block of per-sample gates.
        batch: the batch size the program is planned for (None: plan.DEFAULT_PLANNING_BATCH).
        conditioned: with ``shared_block_qubits``, blocks take the diagonal gates around them too.
    """
    return CircuitPlans(circuit, qubits, symbols, readouts, shared=shared, dtype=dtype,
                        shared_block_qubits=shared_block_qubits, sample_block_qubits=sample_block_qubits,
                        conditioned=conditioned).program_for_plan_at(batch)


def ansatz_plans(ansatz: Ansatz, *, shared_weights: bool = True, dtype=tf.float32, readouts: Sequence | None = None,
                 shared_block_qubits: int | None = None, noise: Noise | None = None,
                 trajectories: int | None = None, seed: int = 0) -> CircuitPlans:
    """The candidate plans of ``ansatz``: data values per sample, and weights shared by the batch
    (or, without ``shared_weights``, every symbol's value per sample: descriptors, reports).

    With ``noise`` channels (or channels in the ansatz's own circuit) the plans run the
    density-matrix mode (:mod:`.density`), or with ``trajectories`` ``K`` Monte Carlo
    trajectories per sample of its channels (:mod:`.trajectories`, seeded by ``seed``);
    readout error is not part of the plan.
    """
    n_data = ansatz.n_data_symbols
    shared = range(n_data, n_data + ansatz.n_weights) if shared_weights else ()
    circuit = ansatz.circuit if noise is None or not noise.has_channels else noise.noisy_circuit(ansatz.circuit)
    chosen_readouts = ansatz.readouts if readouts is None else readouts
    if trajectories is not None and has_channels(circuit):
        sampled = trajectory_circuit(circuit)
        symbols = [*ansatz.symbols, *sampled.symbols, *sampled.uniforms]
        first_draw = len(symbols) - len(sampled.uniforms)
        plans = CircuitPlans(sampled.circuit, ansatz.qubits, symbols, chosen_readouts, shared=shared, dtype=dtype,
                             shared_block_qubits=shared_block_qubits,
                             channel_draws=range(first_draw, len(symbols)))
        plans.wrap = lambda program: TrajectoryProgram(program, sampled.draws, trajectories, seed,
                                                       uniforms=len(sampled.uniforms))
        return plans
    return CircuitPlans(circuit, ansatz.qubits, ansatz.symbols, chosen_readouts, shared=shared, dtype=dtype,
                        shared_block_qubits=shared_block_qubits, density=has_channels(circuit),
                        heisenberg=shared_weights)


def compile_ansatz(ansatz: Ansatz, *, shared_weights: bool = True, dtype=tf.float32, readouts: Sequence | None = None,
                   shared_block_qubits: int | None = None, batch: int | None = None,
                   noise: Noise | None = None, trajectories: int | None = None,
                   seed: int = 0) -> Program | HeisenbergProgram:
    """Compiles ``ansatz`` for ``batch`` (see :func:`ansatz_plans`).

    Args:
        ansatz: the ansatz.
        shared_weights: weights are one vector shared by the batch (layers); if False every
            symbol's value is given per sample (descriptors, reports).
        dtype: ``tf.float32`` or ``tf.float64``.
        readouts: observables other than the ansatz's own.
        shared_block_qubits: widest fused block of shared gates (None: chosen by the planner).
        batch: the batch size it is planned for (None: plan.DEFAULT_PLANNING_BATCH).
        noise: channels and readout error (:mod:`qcircuits.noise`); channels give a density-matrix program.
        trajectories: with noise channels, ``K`` trajectories per sample instead of the density matrix.
        seed: seed of the trajectories' draws.
    """
    return ansatz_plans(ansatz, shared_weights=shared_weights, dtype=dtype, readouts=readouts,
                        shared_block_qubits=shared_block_qubits, noise=noise, trajectories=trajectories,
                        seed=seed).program(batch)


def absorb_trailing_phases(plan: Plan, tables: ReadoutTables) -> tuple[int, ReadoutTables]:
    """Folds phase runs at the end into Z-type readouts, which see only ``|psi_b|^2``.

    After ``psi'[b] = exp(i phi_b) psi[src_b]``, ``<Z> = sum_b s_b |psi[src_b]|^2``: the
    run's phases drop out and its permutation moves the sign table's rows.

    Returns:
        How many steps the readouts need (the final states still need them all), and the tables.
    """
    steps = list(plan.steps)
    if tables.groups or tables.z is None:
        return len(steps), tables
    z = tables.z
    while steps and isinstance(steps[-1], PhaseRun):
        run = steps.pop()
        assert isinstance(run, PhaseRun)  # the loop's condition; mypy loses it across pop()
        if run.source is not None:
            z = z.moved(run.source)
    return len(steps), dataclasses.replace(tables, z=z)
