"""The statevector engine for one circuit: plan once, then TensorFlow calls."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq

from qcircuits.ansatz import Ansatz
from sims.backends.statevector.gates import gate_terms
from sims.backends.statevector.plan import PhaseRun, Plan, make_plan
from sims.backends.statevector.program import Program
from sims.backends.statevector.readouts import ReadoutTables, readout_tables
from sims.tf_env import tf


def compile_circuit(circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid], symbols: Sequence, readouts: Sequence,
                    *, shared: Sequence[int] = (), dtype=tf.float32, shared_block_qubits: int | None = None,
                    sample_block_qubits: int | None = None) -> Program:
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
    """
    n = len(qubits)
    terms = gate_terms(circuit, qubits, symbols)
    shared = list(shared)
    per_sample = [k for k in range(len(symbols)) if k not in set(shared)]
    per_sample_index = {k: i for i, k in enumerate(per_sample)}
    shared_index = {k: i for i, k in enumerate(shared)}
    plan = make_plan(terms, n, set(per_sample_index), shared_block_qubits=shared_block_qubits,
                     sample_block_qubits=sample_block_qubits)
    tables = readout_tables(readouts, qubits, plan.final_order)
    readout_steps, tables = absorb_trailing_phases(plan, tables)
    return Program(plan, tables, per_sample_index, shared_index, dtype, readout_steps=readout_steps)


def compile_ansatz(ansatz: Ansatz, *, shared_weights: bool = True, dtype=tf.float32, readouts: Sequence | None = None,
                   shared_block_qubits: int | None = None) -> Program:
    """Compiles ``ansatz``: data values per sample, and weights shared by the batch (or per sample too).

    Args:
        ansatz: the ansatz.
        shared_weights: weights are one vector shared by the batch (layers); if False every
            symbol's value is given per sample (descriptors, reports).
        dtype: ``tf.float32`` or ``tf.float64``.
        readouts: observables other than the ansatz's own.
    """
    n_data = ansatz.n_data_symbols
    shared = range(n_data, n_data + ansatz.n_weights) if shared_weights else ()
    return compile_circuit(ansatz.circuit, ansatz.qubits, ansatz.symbols,
                           ansatz.readouts if readouts is None else readouts, shared=shared, dtype=dtype,
                           shared_block_qubits=shared_block_qubits)


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
