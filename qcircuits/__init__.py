"""Pure-Cirq building blocks for parameterised circuits.

Qubit layouts, entanglement patterns, data encodings, readouts and the
:class:`Ansatz` template. Imports neither TensorFlow nor transformers.
"""

from qcircuits.ansatz import Ansatz
from qcircuits.builder import AnsatzBuilder
from qcircuits.encodings import ENCODINGS, get_encoding, plan_encoding
from qcircuits.entanglement import entangling_pairs, pattern_names, validate_entanglement
from qcircuits.errors import ConfigurationError, ResourceLimitError
from qcircuits.readouts import build_readouts
from qcircuits.version import __version__

__all__ = [
    "__version__",
    "Ansatz",
    "AnsatzBuilder",
    "ConfigurationError",
    "ENCODINGS",
    "ResourceLimitError",
    "build_readouts",
    "entangling_pairs",
    "get_encoding",
    "pattern_names",
    "plan_encoding",
    "validate_entanglement",
]
