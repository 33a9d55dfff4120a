"""Hardware-efficient ansatz (Kandala et al., Nature 549, 242, 2017)."""

from __future__ import annotations

from qcircuits import Ansatz, AnsatzBuilder
from qcircuits.builder import PARAMETRISED_ENTANGLERS, check_entangler
from qcircuits.entanglement import EntanglementSpec, entangling_pairs
from qcircuits.plugins.registry import register_ansatz
from qcircuits.readouts import ReadoutSpec


def _shape(qubits: int = 4, depth: int = 2, *, entanglement: EntanglementSpec = "linear", entangler: str = "cx",
           **_: object) -> int:
    weights = 2 * qubits * depth
    if check_entangler(entangler) in PARAMETRISED_ENTANGLERS:
        weights += sum(len(entangling_pairs(entanglement, qubits, layer)) for layer in range(depth))
    return weights


@register_ansatz("hardware_efficient", shape=_shape)
def hardware_efficient(qubits: int = 4, depth: int = 2, *, entanglement: EntanglementSpec | None = "linear",
                       encoding: str = "angle_y", features: int | None = None,
                       reupload: bool = False, readout: ReadoutSpec = None, entangler: str = "cx") -> Ansatz:
    """Hardware-efficient: RY, RZ on every qubit then CNOTs on the pattern, per layer.

    The layered rotation + entangler circuit of Kandala et al., "Hardware-efficient
    variational quantum eigensolver for small molecules and quantum magnets",
    Nature 549, 242 (2017), with CNOT entanglers. 2 * qubits * depth weights.

    ``entangler`` swaps the CNOTs for ``cz``, or for a parametrised entangler (``crz``,
    ``crx``, ``cry`` or the ``rzz`` Ising coupling) with one more weight per pair: at
    weight 0 those are the identity, so an all-zero start is the identity circuit
    (identity-block initialisation, Grant et al. 2019).
    """
    b = AnsatzBuilder("hardware_efficient", qubits, depth, entanglement=entanglement,
                      encoding=encoding, features=features, reupload=reupload)
    for layer in range(b.depth):
        b.encode(layer)
        b.rotations(("ry", "rz"))
        b.entangle(entangler, layer)
    return b.build(readout)
