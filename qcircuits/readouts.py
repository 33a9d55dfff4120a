"""Readout observables: what an ansatz measures.

The default is Z on every qubit. A spec may also pick a subset of qubits
(``[0, 2]`` or ``"0,2"``) or give Pauli strings, either dense (``"ZZII"``, one
letter per qubit) or sparse (``"Z0 Z1"``, ``"X2*Y3"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import cirq

from qcircuits.errors import ConfigurationError

ReadoutSpec = None | str | Sequence[int | str]
_SPARSE_TERM = re.compile(r"([IXYZ])(\d+)")
_PAULIS = {"X": cirq.X, "Y": cirq.Y, "Z": cirq.Z}


def _parse_pauli(text: str, qubits: Sequence[cirq.Qid]) -> cirq.PauliString[cirq.Qid]:
    n = len(qubits)
    compact = text.strip().upper()
    if len(compact) == n and set(compact) <= set("IXYZ"):
        terms = [(i, c) for i, c in enumerate(compact)]
    else:
        tokens = [t for t in re.split(r"[\s*]+", compact) if t]
        terms = []
        for token in tokens:
            match = _SPARSE_TERM.fullmatch(token)
            if not match:
                raise ConfigurationError(
                    f"Invalid Pauli string {text!r}; expected {n} letters from IXYZ "
                    "(e.g. 'ZZ' + 'I'*...) or terms like 'Z0 Z1'."
                )
            terms.append((int(match.group(2)), match.group(1)))
    ops = {}
    for index, letter in terms:
        if not 0 <= index < n:
            raise ConfigurationError(
                f"Pauli string {text!r} acts on qubit {index}; expected 0..{n - 1}."
            )
        if index in ops:
            raise ConfigurationError(f"Pauli string {text!r} names qubit {index} twice.")
        if letter != "I":
            ops[index] = letter
    if not ops:
        raise ConfigurationError(f"Pauli string {text!r} is the identity; it measures nothing.")
    return cirq.PauliString({qubits[i]: _PAULIS[c] for i, c in ops.items()})


def build_readouts(spec: ReadoutSpec, qubits: Sequence[cirq.Qid]) -> tuple[cirq.PauliString[cirq.Qid], ...]:
    """Builds readout observables.

    Args:
        spec: ``None`` or ``"z"`` for Z on every qubit; qubit indices; or Pauli strings.
        qubits: the circuit's qubits.

    Raises:
        ConfigurationError: for indices out of range or malformed Pauli strings.
    """
    n = len(qubits)
    if spec is not None and not isinstance(spec, (str, list, tuple)):
        raise ConfigurationError(
            f"Readout {spec!r} must be 'z', qubit indices like '0,2' or [0, 2], or Pauli strings like 'ZZII,X0'.")
    if spec is None or (isinstance(spec, str) and spec.strip().lower() == "z"):
        return tuple(cirq.Z(q) for q in qubits)
    if isinstance(spec, str):
        texts = [s.strip() for s in spec.split(",") if s.strip()]
        spec = [int(s) if s.isdecimal() else s for s in texts]
    if len(spec) == 0:
        raise ConfigurationError("Readout list is empty; expected qubit indices or Pauli strings.")
    readouts = []
    for item in spec:
        if isinstance(item, (int,)) and not isinstance(item, bool):
            if not 0 <= item < n:
                raise ConfigurationError(f"Readout qubit {item} is out of range; expected 0..{n - 1}.")
            readouts.append(cirq.Z(qubits[item]) * 1)
        elif isinstance(item, str):
            readouts.append(_parse_pauli(item, qubits))
        else:
            raise ConfigurationError(
                f"Readout {item!r} must be a qubit index or a Pauli string."
            )
    return tuple(readouts)


def describe_readout(readout: cirq.PauliString[cirq.Qid], qubits: Sequence[cirq.Qid]) -> str:
    """Sparse text form, e.g. ``Z0*Z1``."""
    index = {q: i for i, q in enumerate(qubits)}
    terms = sorted((index[q], str(p)) for q, p in readout.items())
    return "*".join(f"{p}{i}" for i, p in terms)
