"""The statevector engine for one circuit: plan once, then TensorFlow calls."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq

from qcircuits.ansatz import Ansatz
from sims.backends.statevector.gates import gate_terms
from sims.backends.statevector.plan import PhaseRun, Plan, candidate_plans, choose_plan, make_plan
from sims.backends.statevector.program import Program
from sims.backends.statevector.readouts import ReadoutTables, readout_tables
from sims.tf_env import tf


class CircuitPlans:
    """A circuit's candidate plans, and a :class:`Program` for the one that is cheapest at each batch size.

    Planning (the slow part at large widths) happens once; choosing for a batch size is
    a cost-model lookup (:func:`~.plan.choose_plan`), and each chosen plan is bound to
    TensorFlow once. See :func:`compile_circuit` for the arguments.
    """

    def __init__(self, circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid], symbols: Sequence,
                 readouts: Sequence, *, shared: Sequence[int] = (), dtype=tf.float32,
                 shared_block_qubits: int | None = None, sample_block_qubits: int | None = None):
        self.n = len(qubits)
        self.qubits, self.readouts, self.dtype = list(qubits), list(readouts), dtype
        self.terms = gate_terms(circuit, qubits, symbols)
        shared = list(shared)
        per_sample = [k for k in range(len(symbols)) if k not in set(shared)]
        self.per_sample_index = {k: i for i, k in enumerate(per_sample)}
        self.shared_index = {k: i for i, k in enumerate(shared)}
        if shared_block_qubits is None:
            self.plans = candidate_plans(self.terms, self.n, set(self.per_sample_index),
                                         sample_block_qubits=sample_block_qubits)
        else:
            self.plans = [make_plan(self.terms, self.n, set(self.per_sample_index),
                                    shared_block_qubits=shared_block_qubits, sample_block_qubits=sample_block_qubits)]
        self._programs: dict[int, Program] = {}
        self._chosen: dict[int | None, Plan] = {}

    def plan_for(self, batch: int | None) -> Plan:
        """The cheapest plan at ``batch`` (None: plan.DEFAULT_PLANNING_BATCH), remembered per size: an
        eager layer asks at every call."""
        if batch not in self._chosen:
            self._chosen[batch] = choose_plan(self.plans, batch)
        return self._chosen[batch]

    def program(self, batch: int | None = None) -> Program:
        """The program of :meth:`plan_for`, built once per plan."""
        return self.program_for_plan(self.plan_for(batch))

    def program_for_plan(self, plan: Plan) -> Program:
        """``plan`` (one of :attr:`plans`) bound to TensorFlow, once."""
        key = next(i for i, candidate in enumerate(self.plans) if candidate is plan)  # plans hold arrays: no ==
        if key not in self._programs:
            tables = readout_tables(self.readouts, self.qubits, plan.final_order)
            readout_steps, tables = absorb_trailing_phases(plan, tables)
            self._programs[key] = Program(plan, tables, self.per_sample_index, self.shared_index, self.dtype,
                                          readout_steps=readout_steps)
        return self._programs[key]


def compile_circuit(circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid], symbols: Sequence, readouts: Sequence,
                    *, shared: Sequence[int] = (), dtype=tf.float32, shared_block_qubits: int | None = None,
                    sample_block_qubits: int | None = None, batch: int | None = None) -> Program:
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
    """
    return CircuitPlans(circuit, qubits, symbols, readouts, shared=shared, dtype=dtype,
                        shared_block_qubits=shared_block_qubits,
                        sample_block_qubits=sample_block_qubits).program(batch)


def ansatz_plans(ansatz: Ansatz, *, shared_weights: bool = True, dtype=tf.float32, readouts: Sequence | None = None,
                 shared_block_qubits: int | None = None) -> CircuitPlans:
    """The candidate plans of ``ansatz``: data values per sample, and weights shared by the batch
    (or, without ``shared_weights``, every symbol's value per sample: descriptors, reports)."""
    n_data = ansatz.n_data_symbols
    shared = range(n_data, n_data + ansatz.n_weights) if shared_weights else ()
    return CircuitPlans(ansatz.circuit, ansatz.qubits, ansatz.symbols,
                        ansatz.readouts if readouts is None else readouts, shared=shared, dtype=dtype,
                        shared_block_qubits=shared_block_qubits)


def compile_ansatz(ansatz: Ansatz, *, shared_weights: bool = True, dtype=tf.float32, readouts: Sequence | None = None,
                   shared_block_qubits: int | None = None, batch: int | None = None) -> Program:
    """Compiles ``ansatz`` for ``batch`` (see :func:`ansatz_plans`).

    Args:
        ansatz: the ansatz.
        shared_weights: weights are one vector shared by the batch (layers); if False every
            symbol's value is given per sample (descriptors, reports).
        dtype: ``tf.float32`` or ``tf.float64``.
        readouts: observables other than the ansatz's own.
        shared_block_qubits: widest fused block of shared gates (None: chosen by the planner).
        batch: the batch size it is planned for (None: plan.DEFAULT_PLANNING_BATCH).
    """
    return ansatz_plans(ansatz, shared_weights=shared_weights, dtype=dtype, readouts=readouts,
                        shared_block_qubits=shared_block_qubits).program(batch)


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
