"""A brickwork ansatz: a complete example of a third-party plugin.

Each layer applies RX then RZ to every qubit, then CZ gates in a brick pattern
(pairs (0,1), (2,3), ... then (1,2), (3,4), ..., the ``pairwise`` pattern),
the layout of random-circuit and MPS-inspired circuits.

The same file works three ways:

* installed (``pip install --no-deps examples/custom_ansatz_plugin``): the entry
  point in ``pyproject.toml`` makes ``--ansatz brickwork`` available;
* as a module or file: ``python -m sims.run --plugin qcircuits_brickwork`` or
  ``--plugin path/to/qcircuits_brickwork/__init__.py``;
* imported in your own code: the decorator registers it on import.
"""

from __future__ import annotations

import plugins
from qcircuits import Ansatz, AnsatzBuilder


def _shape(qubits: int = 4, depth: int = 2, **_) -> int:
    return 2 * qubits * depth


@plugins.register_ansatz("brickwork", shape=_shape)
def brickwork(qubits: int = 4, depth: int = 2, *, entanglement="pairwise",
              encoding: str = "angle_y", features: int | None = None,
              reupload: bool = False, readout=None) -> Ansatz:
    """Brickwork (example plugin): RX, RZ on every qubit then CZ bricks, per layer."""
    b = AnsatzBuilder("brickwork", qubits, depth, entanglement=entanglement,
                      encoding=encoding, features=features, reupload=reupload)
    for layer in range(b.depth):
        b.encode(layer)
        b.rotations(("rx", "rz"))
        b.entangle("cz", layer)
    return b.build(readout)
