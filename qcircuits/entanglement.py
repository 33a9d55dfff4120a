"""Entanglement patterns: which qubit pairs a layer's two-qubit gates act on.

A pattern is given by name or as an explicit list of ``(control, target)``
pairs. Named patterns follow the conventions of Qiskit's ``NLocal`` family
(``linear``, ``reverse_linear``, ``circular``, ``full``, ``pairwise``, ``sca``)
plus ``star``, and ``none`` (no two-qubit gates, for separable ablations);
``circular`` is the ring ``(0,1), ..., (n-2,n-1), (n-1,0)``.
Pairs are indices into the ansatz's qubit list; the first element is the
control for directed gates.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Sequence

from qcircuits.errors import ConfigurationError

Pair = tuple[int, int]
EntanglementSpec = str | Sequence[Sequence[int]]


def _linear(n: int, layer: int) -> list[Pair]:
    return [(i, i + 1) for i in range(n - 1)]


def _reverse_linear(n: int, layer: int) -> list[Pair]:
    return [(i, i + 1) for i in reversed(range(n - 1))]


def _circular(n: int, layer: int) -> list[Pair]:
    # For two qubits the closing pair (1, 0) would repeat (0, 1) reversed.
    return _linear(n, layer) + ([(n - 1, 0)] if n > 2 else [])


def _full(n: int, layer: int) -> list[Pair]:
    return list(itertools.combinations(range(n), 2))


def _pairwise(n: int, layer: int) -> list[Pair]:
    even = [(i, i + 1) for i in range(0, n - 1, 2)]
    odd = [(i, i + 1) for i in range(1, n - 1, 2)]
    return even + odd


def _sca(n: int, layer: int) -> list[Pair]:
    """Shifted circular alternating (Qiskit's ``sca``).

    The ring, starting with the closing pair ``(n-1, 0)``, is rotated right by
    the layer index; on odd layers control and target swap.
    """
    ring = ([(n - 1, 0)] if n > 2 else []) + _linear(n, layer)
    if not ring:
        return []
    shift = layer % len(ring)
    rotated = ring[len(ring) - shift:] + ring[:len(ring) - shift]
    if layer % 2 == 1:
        rotated = [(t, c) for c, t in rotated]
    return rotated


def _star(n: int, layer: int) -> list[Pair]:
    return [(0, i) for i in range(1, n)]


def _none(n: int, layer: int) -> list[Pair]:
    """No two-qubit gates: the separable ablation of an entangling ansatz."""
    return []


PATTERNS: dict[str, Callable[[int, int], list[Pair]]] = {
    "linear": _linear,
    "reverse_linear": _reverse_linear,
    "circular": _circular,
    "full": _full,
    "pairwise": _pairwise,
    "sca": _sca,
    "star": _star,
    "none": _none,
}


def pattern_names() -> list[str]:
    """Names of the built-in entanglement patterns."""
    return list(PATTERNS)


def parse_pairs(text: str) -> list[Pair]:
    """Parses ``"0-1,1-2,2-0"`` (the command-line form) into a list of pairs.

    Raises:
        ConfigurationError: if an item is not of the form ``i-j`` with integers.
    """
    pairs = []
    for item in text.split(","):
        parts = item.strip().split("-")
        if len(parts) != 2 or not all(p.strip().isdecimal() for p in parts):
            raise ConfigurationError(
                f"Invalid qubit pair {item.strip()!r} in entanglement {text!r}; "
                "expected pairs like '0-1,1-2'."
            )
        pairs.append((int(parts[0]), int(parts[1])))
    return pairs


def validate_entanglement(spec: EntanglementSpec, n_qubits: int) -> EntanglementSpec:
    """Checks an entanglement spec against the number of qubits.

    Args:
        spec: a pattern name, a ``"0-1,1-2"`` string, or a sequence of pairs.
        n_qubits: number of qubits in the circuit.

    Returns:
        The normalised spec: a pattern name, or a list of integer pairs.

    Raises:
        ConfigurationError: for an unknown name, or pairs out of range, on the
            same qubit, or repeated.
    """
    if not isinstance(spec, (str, list, tuple)):
        raise ConfigurationError(
            f"Entanglement {spec!r} must be a pattern name, a string of pairs like '0-1,1-2', or a "
            f"list of (control, target) pairs; got {type(spec).__name__}.")
    if isinstance(spec, str):
        if spec in PATTERNS:
            return spec
        if "-" in spec:
            spec = parse_pairs(spec)
        else:
            raise ConfigurationError(
                f"Unknown entanglement {spec!r}; expected one of "
                f"{', '.join(PATTERNS)} or explicit pairs like '0-1,1-2'."
            )
    pairs: list[Pair] = []
    seen: set[Pair] = set()
    for pair in spec:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(
                isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pair):
            raise ConfigurationError(
                f"Entanglement pair {pair!r} must be two integer qubit indices, like (0, 1).")
        i, j = (int(p) for p in pair)
        if not (0 <= i < n_qubits and 0 <= j < n_qubits):
            raise ConfigurationError(
                f"Entanglement pair ({i}, {j}) is out of range for {n_qubits} qubits; "
                f"expected indices 0..{n_qubits - 1}."
            )
        if i == j:
            raise ConfigurationError(f"Entanglement pair ({i}, {j}) acts twice on the same qubit.")
        if (i, j) in seen:
            raise ConfigurationError(f"Entanglement pair ({i}, {j}) is repeated.")
        seen.add((i, j))
        pairs.append((i, j))
    if not pairs:
        raise ConfigurationError("Explicit entanglement needs at least one qubit pair.")
    return pairs


def entangling_pairs(spec: EntanglementSpec, n_qubits: int, layer: int = 0) -> list[Pair]:
    """The qubit pairs of one layer.

    Args:
        spec: a pattern name or explicit pairs (validated here).
        n_qubits: number of qubits.
        layer: layer index; only ``sca`` depends on it.

    Returns:
        ``(control, target)`` index pairs in gate order.
    """
    spec = validate_entanglement(spec, n_qubits)
    if isinstance(spec, str):
        return PATTERNS[spec](n_qubits, layer)
    return [(int(pair[0]), int(pair[1])) for pair in spec]


def describe(spec: EntanglementSpec) -> str:
    """A short human-readable name for a spec (explicit pairs as ``0-1,1-2``)."""
    if isinstance(spec, str):
        return spec
    return ",".join(f"{i}-{j}" for i, j in spec)
