"""Gates as data for the batched engine: each operation becomes a :class:`GateTerm`.

Every gate that an ansatz may use (``plugins.SUPPORTED_GATES``, with controls)
has angles of the form ``c * symbol``. Such a gate's unitary is a finite sum of
exponentials in the symbol's value ``v``::

    U(v) = sum_k exp(i * omega_k * v) * M_k

with constant matrices ``M_k``: for an ``EigenGate`` with exponent ``c * s`` the
``M_k`` are its eigenprojectors and ``omega_k = pi * c * (lambda_k + global_shift)``;
a control adds one constant term (``omega = 0``) for the inactive block. A fixed
gate is the one-term sum ``omega = 0, M = U``. Gates that are not eigen-gates in
their parameter (``PhasedXPowGate`` with a symbolic phase, ``FSimGate``, ...)
are decomposed by Cirq until they are. This form gives exact values and exact
derivatives (``dU/dv = sum_k i omega_k exp(i omega_k v) M_k``) for every gate,
and tells at planning time whether a gate is diagonal or a fixed permutation,
which the planner exploits.
"""

from __future__ import annotations

import dataclasses
import itertools

import cirq
import numpy as np
import sympy

from qcircuits.errors import ConfigurationError

_ATOL = 1e-12


@dataclasses.dataclass(frozen=True)
class GateTerm:
    """One gate of a circuit, ready for the engine.

    Attributes:
        qubits: qubit indices the gate acts on (first is the most significant bit).
        symbol: index of its parameter in the ansatz's symbol order, or None if fixed.
        frequencies: ``omega_k``, shape ``[K]`` (0 for constant terms).
        matrices: ``M_k``, complex, shape ``[K, 2^m, 2^m]``.
        label: the Cirq operation, for messages.
    """

    qubits: tuple[int, ...]
    symbol: int | None
    frequencies: np.ndarray
    matrices: np.ndarray
    label: str

    @property
    def n_qubits(self) -> int:
        return len(self.qubits)

    def unitary(self, value: float = 0.0) -> np.ndarray:
        """The gate's matrix at parameter ``value`` (complex128)."""
        phases = np.exp(1j * self.frequencies * value)
        return np.einsum("k,kij->ij", phases, self.matrices)

    @property
    def is_diagonal(self) -> bool:
        """True when every term is diagonal (the gate only multiplies amplitudes by phases)."""
        off = self.matrices * (1 - np.eye(self.matrices.shape[-1]))
        return bool(np.all(np.abs(off) < _ATOL))

    @property
    def is_fixed_monomial(self) -> bool:
        """True for a fixed gate that maps each basis state to one basis state times a phase (CNOT, X, SWAP, CZ...)."""
        if self.symbol is not None:
            return False
        magnitude = np.abs(self.matrices[0])
        nonzero = magnitude > _ATOL
        unit = np.all(np.abs(magnitude[nonzero] - 1) < 1e-9)  # a channel's superoperator may be a scaled one
        return bool(unit and np.all(nonzero.sum(axis=0) == 1) and np.all(nonzero.sum(axis=1) == 1))

    def diagonal_log_phase(self) -> tuple[np.ndarray, np.ndarray]:
        """For a diagonal gate: ``(alpha, omega)`` per basis state with ``U_bb = exp(i (alpha_b + omega_b v))``."""
        d = self.matrices.shape[-1]
        alpha, omega = np.zeros(d), np.zeros(d)
        for b in range(d):
            entries = self.matrices[:, b, b]
            active = np.flatnonzero(np.abs(entries) > _ATOL)
            if len(active) != 1 or abs(abs(entries[active[0]]) - 1) > 1e-9:
                # Several terms share this entry: fall back to a dense treatment.
                raise NotPhaseDiagonal
            k = active[0]
            alpha[b] = np.angle(entries[k])
            omega[b] = self.frequencies[k]
        return alpha, omega


class NotPhaseDiagonal(Exception):
    """A diagonal gate whose entries are not single exponentials (never for supported gates)."""


def _symbol_and_coefficient(expr: sympy.Basic, index: dict[sympy.Symbol, int], op: cirq.Operation) -> tuple[int, float]:
    symbols = expr.free_symbols
    if len(symbols) != 1:
        raise ConfigurationError(f"{op!r}: angle {expr} is not a number times one symbol.")
    (symbol,) = symbols
    coefficient = expr / symbol
    if coefficient.free_symbols:
        raise ConfigurationError(f"{op!r}: angle {expr} is not a number times one symbol.")
    if symbol not in index:
        raise ConfigurationError(f"{op!r}: symbol {symbol} is not one of the ansatz's symbols.")
    return index[symbol], float(coefficient)


def _controlled(sub_frequencies: np.ndarray, sub_matrices: np.ndarray, gate: cirq.ControlledGate):
    """Terms of a controlled gate from its sub-gate's terms: the inactive block is a constant term."""
    shape = gate.control_qid_shape
    active = {tuple(v) for v in gate.control_values.expand()}
    n_control_states = int(np.prod(shape))
    d_sub = sub_matrices.shape[-1]
    inactive = np.zeros((n_control_states, n_control_states))
    on = np.zeros((n_control_states, n_control_states))
    for i, values in enumerate(itertools.product(*(range(d) for d in shape))):
        (on if values in active else inactive)[i, i] = 1.0
    constant = np.kron(inactive, np.eye(d_sub))[None]
    terms = np.stack([np.kron(on, m) for m in sub_matrices])
    return np.concatenate([[0.0], sub_frequencies]), np.concatenate([constant, terms]).astype(complex)


def _eigen_terms(gate: cirq.Gate, index: dict[sympy.Symbol, int], op: cirq.Operation):
    """``(symbol, frequencies, matrices)`` for an EigenGate or a controlled one, else None."""
    if isinstance(gate, cirq.ControlledGate):
        inner = _eigen_terms(gate.sub_gate, index, op)
        if inner is None:
            return None
        symbol, frequencies, matrices = inner
        frequencies, matrices = _controlled(frequencies, matrices, gate)
        return symbol, frequencies, matrices
    if not isinstance(gate, cirq.EigenGate):
        return None
    exponent = gate.exponent
    if not isinstance(exponent, sympy.Basic) or not exponent.free_symbols:
        return None
    if cirq.is_parameterized(gate._with_exponent(1.0)):  # a symbolic phase as well: decompose
        return None
    symbol, coefficient = _symbol_and_coefficient(exponent, index, op)
    components = gate._eigen_components()
    frequencies = np.array([np.pi * coefficient * (half_turns + gate.global_shift)
                            for half_turns, _ in components])
    matrices = np.stack([np.asarray(p, dtype=complex) for _, p in components])
    return symbol, frequencies, matrices


@dataclasses.dataclass(frozen=True)
class ChannelTerm:
    """A channel (no unitary) of a circuit: its Kraus operators, for the density-matrix mode and for
    trajectories that sample its Kraus operators (:class:`~.plan.SampledChannel`).

    Attributes:
        qubits: qubit indices it acts on.
        kraus: complex ``[K, 2^m, 2^m]`` with ``sum_k K_k^dagger K_k = 1``.
        label: the Cirq operation, for messages.
        draw: in trajectories, the per-sample symbol holding each row's uniform draw in [0, 1).
    """

    qubits: tuple[int, ...]
    kraus: np.ndarray
    label: str
    draw: int | None = None

    @property
    def n_qubits(self) -> int:
        return len(self.qubits)


def gate_terms(circuit: cirq.AbstractCircuit, qubits, symbols) -> list[GateTerm]:
    """The circuit's gates as :class:`GateTerm` s (see :func:`circuit_terms`; a channel is an error)."""
    return [t for t in circuit_terms(circuit, qubits, symbols) if isinstance(t, GateTerm)]


def circuit_terms(circuit: cirq.AbstractCircuit, qubits, symbols, *, channels: bool = False
                  ) -> list[GateTerm | ChannelTerm]:
    """The circuit's operations as :class:`GateTerm` s, in the order Cirq applies them.

    Args:
        circuit: a circuit whose angles are ``number * symbol``.
        qubits: qubit order (index 0 is the most significant bit, as in Cirq).
        symbols: symbol order of the parameter values.
        channels: noise channels become :class:`ChannelTerm` s (the density-matrix mode);
            otherwise an operation without a unitary is an error.

    Raises:
        ConfigurationError: for an operation the engine cannot represent.
    """
    position = {q: i for i, q in enumerate(qubits)}
    index = {s: k for k, s in enumerate(symbols)}
    terms: list[GateTerm | ChannelTerm] = []

    def add(op: cirq.Operation, depth: int = 0) -> None:
        if isinstance(op.gate, cirq.IdentityGate) or (op.gate is None and not op.qubits):
            return
        where = tuple(position[q] for q in op.qubits)
        if not cirq.is_parameterized(op):
            if not cirq.has_unitary(op) and channels and cirq.has_kraus(op):
                kraus = np.stack([np.asarray(k, complex) for k in cirq.kraus(op)])
                terms.append(ChannelTerm(where, kraus, repr(op)))
                return
            if not cirq.has_unitary(op):
                raise ConfigurationError(f"Operation {op!r} has no unitary; the statevector engine needs one.")
            terms.append(GateTerm(where, None, np.zeros(1), np.asarray(cirq.unitary(op), complex)[None], repr(op)))
            return
        found = _eigen_terms(op.gate, index, op) if op.gate is not None else None
        if found is not None:
            symbol, frequencies, matrices = found
            terms.append(GateTerm(where, symbol, frequencies, matrices, repr(op)))
            return
        parts = cirq.decompose_once(op, default=None)
        if parts is None or depth > 8:
            raise ConfigurationError(
                f"Operation {op!r} is not supported by the statevector engine: its angles must be "
                "number * symbol on gates from qcircuits.plugins.SUPPORTED_GATES.")
        for part in parts:
            add(part, depth + 1)

    for op in circuit.all_operations():
        add(op)
    return terms
