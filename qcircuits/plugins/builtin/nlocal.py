"""Qiskit's two-local circuits: RealAmplitudes and EfficientSU2.

Both follow Qiskit's circuit library (``qiskit.circuit.library.RealAmplitudes``
and ``EfficientSU2``): a rotation layer, then ``depth`` repetitions (Qiskit's
``reps``) of a CNOT entangler followed by another rotation layer. Qiskit's
default entanglement for both is ``reverse_linear``.
"""

from __future__ import annotations

from qcircuits import Ansatz, AnsatzBuilder
from qcircuits.entanglement import EntanglementSpec
from qcircuits.plugins.registry import register_ansatz
from qcircuits.readouts import ReadoutSpec


def _two_local(family: str, rotations: tuple[str, ...], qubits: int, depth: int, entanglement: EntanglementSpec | None,
               encoding: str, features: int | None, reupload: bool, readout: ReadoutSpec) -> Ansatz:
    b = AnsatzBuilder(family, qubits, depth, entanglement=entanglement,
                      encoding=encoding, features=features, reupload=reupload)
    b.encode(0)
    b.rotations(rotations)
    for layer in range(b.depth):
        if layer:
            b.encode(layer)
        b.entangle("cx", layer)
        b.rotations(rotations)
    return b.build(readout)


def _real_amplitudes_shape(qubits: int = 4, depth: int = 2, **_: object) -> int:
    return qubits * (depth + 1)


def _efficient_su2_shape(qubits: int = 4, depth: int = 2, **_: object) -> int:
    return 2 * qubits * (depth + 1)


@register_ansatz("real_amplitudes", shape=_real_amplitudes_shape)
def real_amplitudes(qubits: int = 4, depth: int = 2, *, entanglement: EntanglementSpec | None = "reverse_linear",
                    encoding: str = "angle_y", features: int | None = None,
                    reupload: bool = False, readout: ReadoutSpec = None) -> Ansatz:
    """RealAmplitudes (Qiskit): RY layers between CNOT entanglers; real amplitudes only.

    qubits * (depth + 1) weights. With re-uploading, the encoding is repeated
    before each entangler block.
    """
    return _two_local("real_amplitudes", ("ry",), qubits, depth, entanglement,
                      encoding, features, reupload, readout)


@register_ansatz("efficient_su2", shape=_efficient_su2_shape)
def efficient_su2(qubits: int = 4, depth: int = 2, *, entanglement: EntanglementSpec | None = "reverse_linear",
                  encoding: str = "angle_y", features: int | None = None,
                  reupload: bool = False, readout: ReadoutSpec = None) -> Ansatz:
    """EfficientSU2 (Qiskit): RY, RZ layers between CNOT entanglers.

    2 * qubits * (depth + 1) weights.
    """
    return _two_local("efficient_su2", ("ry", "rz"), qubits, depth, entanglement,
                      encoding, features, reupload, readout)
