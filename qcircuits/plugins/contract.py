"""The plugin contract: what every ansatz must satisfy for the simulators.

The checks mirror what the backends accept: TensorFlow Quantum's serializer
supports a fixed gate set, and only angles of the form ``coefficient * symbol``;
qsim and cirq accept more, but an ansatz must run everywhere.
"""

from __future__ import annotations

import cirq
import sympy

from qcircuits.ansatz import Ansatz
from qcircuits.plugins.errors import ContractError

# Gate types that TFQ's serializer, qsim and cirq all support (with controls).
SUPPORTED_GATES: tuple[type, ...] = (
    cirq.XPowGate, cirq.YPowGate, cirq.ZPowGate, cirq.HPowGate,
    cirq.CZPowGate, cirq.CXPowGate, cirq.SwapPowGate, cirq.ISwapPowGate,
    cirq.XXPowGate, cirq.YYPowGate, cirq.ZZPowGate,
    cirq.PhasedXPowGate, cirq.PhasedISwapPowGate, cirq.FSimGate, cirq.IdentityGate,
)
# Noise channels with fixed probabilities that TFQ's noisy ops, qsim's trajectories and Cirq's
# density-matrix simulator all take: an ansatz may contain them (it is then simulated as mixed).
SUPPORTED_CHANNELS: tuple[type, ...] = (
    cirq.DepolarizingChannel, cirq.AsymmetricDepolarizingChannel, cirq.BitFlipChannel, cirq.PhaseFlipChannel,
    cirq.AmplitudeDampingChannel, cirq.GeneralizedAmplitudeDampingChannel, cirq.PhaseDampingChannel,
    cirq.ResetChannel,
)
_ANGLE_ATTRIBUTES = ("exponent", "phase_exponent", "theta", "phi")


def _base_gate(gate: cirq.Gate) -> cirq.Gate:
    while isinstance(gate, cirq.ControlledGate):
        gate = gate.sub_gate
    return gate


def _is_scaled_symbol(expr: sympy.Basic) -> bool:
    """True for ``c * s`` with one symbol ``s`` and a numeric ``c``."""
    symbols = expr.free_symbols
    if len(symbols) != 1:
        return False
    (symbol,) = symbols
    return bool((expr / symbol).free_symbols == set())


def contract_problems(ansatz: Ansatz) -> list[str]:
    """Every way ``ansatz`` breaks the contract (empty when it is valid)."""
    problems = []
    if not isinstance(ansatz.circuit, cirq.AbstractCircuit):
        return [f"circuit is {type(ansatz.circuit).__name__}, expected cirq.Circuit"]
    declared = list(ansatz.symbols)
    if len(set(declared)) != len(declared):
        problems.append("a symbol is declared twice (data and weight symbols must be distinct)")
    used = cirq.parameter_symbols(ansatz.circuit)
    missing = sorted(str(s) for s in set(declared) - used)
    extra = sorted(str(s) for s in used - set(declared))
    if missing:
        problems.append(f"declared symbols not in the circuit: {', '.join(missing[:5])}")
    if extra:
        problems.append(f"circuit symbols not declared as data or weights: {', '.join(extra[:5])}")
    qubits = set(ansatz.qubits)
    if not ansatz.circuit.all_qubits() <= qubits:
        problems.append("the circuit acts on qubits outside ansatz.qubits")
    for op in ansatz.circuit.all_operations():
        gate = _base_gate(op.gate) if op.gate is not None else None
        if isinstance(op.gate, SUPPORTED_CHANNELS):
            if cirq.is_parameterized(op):
                problems.append(f"{op!r}: a channel's probability must be a number, not a symbol")
            continue
        if not isinstance(gate, SUPPORTED_GATES):
            problems.append(f"unsupported operation {op!r}; use gates from qcircuits.plugins.contract.SUPPORTED_GATES "
                            "(or channels from SUPPORTED_CHANNELS)")
            continue
        for attribute in _ANGLE_ATTRIBUTES:
            value = getattr(gate, attribute, None)
            if isinstance(value, sympy.Basic) and value.free_symbols and not _is_scaled_symbol(value):
                problems.append(f"{op!r}: angle {value} is not a number times one symbol")
    if not ansatz.readouts:
        problems.append("no readout observables")
    for readout in ansatz.readouts:
        if not set(readout.qubits) <= qubits:
            problems.append(f"readout {readout} acts on qubits outside ansatz.qubits")
    return problems


def check_ansatz(ansatz: Ansatz, *, name: str | None = None) -> None:
    """Raises :class:`ContractError` listing the problems of an invalid ansatz."""
    problems = contract_problems(ansatz)
    if problems:
        label = name or ansatz.family
        raise ContractError(f"Ansatz {label!r} breaks the plugin contract: {'; '.join(problems)}.")
