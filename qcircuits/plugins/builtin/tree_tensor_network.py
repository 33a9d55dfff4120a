"""Hierarchical circuit: a tree tensor network (TTN) classifier.

Grant, Benedetti, Cao, Hallam, Lockhart, Stojevic, Green and Severini,
"Hierarchical quantum classifiers", npj Quantum Information 4, 65 (2018).
"""

from __future__ import annotations

import math

from qcircuits import Ansatz, AnsatzBuilder
from qcircuits.entanglement import EntanglementSpec
from qcircuits.errors import ConfigurationError
from qcircuits.plugins.registry import register_ansatz
from qcircuits.readouts import ReadoutSpec


def tree_levels(n_qubits: int) -> int:
    """Levels of a full binary tree over ``n_qubits`` leaves: ceil(log2 n)."""
    return max(1, math.ceil(math.log2(n_qubits)))


def tree_pairs(n_qubits: int, level: int) -> list[tuple[int, int]]:
    """Pairs merged at ``level``: (i + 2^level, i) for i a multiple of 2^(level+1).

    The first qubit of each pair is discarded (it controls), the second is kept;
    qubit 0 is the root.
    """
    stride = 2 ** level
    return [(i + stride, i) for i in range(0, n_qubits, 2 * stride) if i + stride < n_qubits]


def _shape(qubits: int = 4, depth: int | None = None, **_: object) -> int:
    levels = tree_levels(qubits) if depth is None else depth
    return sum(2 * len(tree_pairs(qubits, level)) for level in range(levels))


@register_ansatz("tree_tensor_network", shape=_shape)
def tree_tensor_network(qubits: int = 4, depth: int | None = None, *, entanglement: EntanglementSpec | None = "tree",
                        encoding: str = "angle_y", features: int | None = None,
                        reupload: bool = False, readout: ReadoutSpec = None) -> Ansatz:
    """Tree tensor network (Grant et al. 2018): pairs merge level by level into qubit 0.

    Each block applies RY to both qubits of a pair, then a CNOT from the qubit
    that is dropped onto the one that is kept. The tree fixes the entanglement
    ("tree"); ``depth`` is the number of tree levels, 1..ceil(log2 qubits),
    default the full tree. Readout: Z on the root qubit 0 (full tree) or on
    every qubit still active after the last level. Re-uploading is not offered:
    a tree has no repeated layer to re-upload before.
    """
    if entanglement != "tree":
        raise ConfigurationError(
            f"tree_tensor_network fixes its entanglement to 'tree'; got {entanglement!r}."
        )
    if reupload:
        raise ConfigurationError("tree_tensor_network does not support reupload=True.")
    levels = tree_levels(qubits) if isinstance(qubits, int) and qubits >= 2 else 1
    b = AnsatzBuilder("tree_tensor_network", qubits, levels if depth is None else depth,
                      entanglement=None, fixed_entanglement="tree", encoding=encoding,
                      features=features, min_qubits=2, max_depth=levels)
    b.encode(0)
    for level in range(b.depth):
        pairs = tree_pairs(b.n_qubits, level)
        b.rotations(("ry",), on=[q for pair in pairs for q in pair])
        b.entangle("cx", level, pairs)
    active = list(range(0, b.n_qubits, 2 ** b.depth))
    if readout is None and len(active) < b.n_qubits:
        readout = active
    return b.build(readout)
