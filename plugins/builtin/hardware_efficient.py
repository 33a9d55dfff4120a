"""Hardware-efficient ansatz (Kandala et al., Nature 549, 242, 2017)."""

from __future__ import annotations

from plugins.registry import register_ansatz
from qcircuits import Ansatz, AnsatzBuilder


def _shape(qubits: int = 4, depth: int = 2, **_) -> int:
    return 2 * qubits * depth


@register_ansatz("hardware_efficient", shape=_shape)
def hardware_efficient(qubits: int = 4, depth: int = 2, *, entanglement="linear",
                       encoding: str = "angle_y", features: int | None = None,
                       reupload: bool = False, readout=None) -> Ansatz:
    """Hardware-efficient: RY, RZ on every qubit then CNOTs on the pattern, per layer.

    The layered rotation + entangler circuit of Kandala et al., "Hardware-efficient
    variational quantum eigensolver for small molecules and quantum magnets",
    Nature 549, 242 (2017), with CNOT entanglers. 2 * qubits * depth weights.
    """
    b = AnsatzBuilder("hardware_efficient", qubits, depth, entanglement=entanglement,
                      encoding=encoding, features=features, reupload=reupload)
    for layer in range(b.depth):
        b.encode(layer)
        b.rotations(("ry", "rz"))
        b.entangle("cx", layer)
    return b.build(readout)
