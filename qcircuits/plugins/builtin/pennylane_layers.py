"""The two layer templates PennyLane made standard.

``basic_entangler`` follows ``qml.BasicEntanglerLayers`` and
``strongly_entangling`` follows ``qml.StronglyEntanglingLayers`` (Schuld,
Bocharov, Svore and Wiebe, "Circuit-centric quantum classifiers",
Phys. Rev. A 101, 032308, 2020).
"""

from __future__ import annotations

from qcircuits import Ansatz, AnsatzBuilder
from qcircuits.entanglement import EntanglementSpec
from qcircuits.plugins.registry import register_ansatz
from qcircuits.readouts import ReadoutSpec


def _basic_shape(qubits: int = 4, depth: int = 2, **_: object) -> int:
    return qubits * depth


def _strong_shape(qubits: int = 4, depth: int = 2, **_: object) -> int:
    return 3 * qubits * depth


@register_ansatz("basic_entangler", shape=_basic_shape)
def basic_entangler(qubits: int = 4, depth: int = 2, *, entanglement: EntanglementSpec | None = "circular",
                    encoding: str = "angle_y", features: int | None = None,
                    reupload: bool = False, readout: ReadoutSpec = None) -> Ansatz:
    """Basic entangler (PennyLane BasicEntanglerLayers): RX on every qubit, then a CNOT ring.

    One weight per qubit per layer. The ring is the ``circular`` pattern
    (for two qubits a single CNOT, as in PennyLane); any pattern may be chosen.
    """
    b = AnsatzBuilder("basic_entangler", qubits, depth, entanglement=entanglement,
                      encoding=encoding, features=features, reupload=reupload)
    for layer in range(b.depth):
        b.encode(layer)
        b.rotations(("rx",))
        b.entangle("cx", layer)
    return b.build(readout)


def range_pairs(n_qubits: int, layer: int) -> list[tuple[int, int]]:
    """PennyLane's default ranges: CNOT(i, i + r mod n) with r = layer mod (n - 1) + 1."""
    if n_qubits < 2:
        return []
    r = layer % (n_qubits - 1) + 1
    return [(i, (i + r) % n_qubits) for i in range(n_qubits)]


@register_ansatz("strongly_entangling", shape=_strong_shape)
def strongly_entangling(qubits: int = 4, depth: int = 2, *, entanglement: EntanglementSpec | None = "ranges",
                        encoding: str = "angle_y", features: int | None = None,
                        reupload: bool = False, readout: ReadoutSpec = None) -> Ansatz:
    """Strongly entangling layers (Schuld et al. 2020): Rot on every qubit, then ranged CNOTs.

    Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi), so 3 * qubits * depth
    weights. ``entanglement: EntanglementSpec | None = "ranges"`` (default) uses PennyLane's ranges
    r = layer mod (qubits - 1) + 1, CNOT(i, i + r mod n) for every i; any other
    pattern replaces them.
    """
    ranged = entanglement == "ranges"
    b = AnsatzBuilder("strongly_entangling", qubits, depth,
                      entanglement=None if ranged else entanglement, fixed_entanglement="ranges",
                      encoding=encoding, features=features, reupload=reupload)
    if ranged:
        b.options["entanglement"] = "ranges"
    for layer in range(b.depth):
        b.encode(layer)
        b.rotations(("rz", "ry", "rz"))
        b.entangle("cx", layer, range_pairs(b.n_qubits, layer) if ranged else None)
    return b.build(readout)
