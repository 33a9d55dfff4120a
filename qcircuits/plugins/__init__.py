"""The ansatz registry (also importable as ``plugins``, its short name).

Register a family with the :func:`register_ansatz` decorator, load one from a
module or file with :func:`load_plugin`, or install a distribution that declares
an entry point in the group ``qcircuits.ansatze``. Then::

    import plugins
    plugins.list_ansatze("strongly*")
    ansatz = plugins.create("strongly_entangling", qubits=6, depth=3, entanglement="circular")
    plugins.shape("strongly_entangling", qubits=6, depth=3)  # weights, before building

The implementation lives here, under ``qcircuits``, so that the toolkit never depends on a
top-level name that a user's own ``plugins/`` folder can shadow; the top-level ``plugins``
package is this one (the same module objects), for user code and plugins that import it.
"""

from qcircuits.plugins import discovery, registry
from qcircuits.plugins.contract import SUPPORTED_GATES, check_ansatz, contract_problems
from qcircuits.plugins.discovery import ENTRY_POINT_GROUP, load_plugin, load_plugins
from qcircuits.plugins.errors import (
    ContractError,
    DuplicateAnsatzError,
    PluginError,
    UnknownAnsatzError,
    UnknownOptionError,
)
from qcircuits.plugins.registry import (
    REGISTRY,
    AnsatzEntry,
    Registry,
    create,
    get,
    list_ansatze,
    register_ansatz,
    shape,
)

# The ansatz every command and API uses when none is named: a few rotations per qubit and one
# entangler per neighbour pair, the family most hardware papers start from.
DEFAULT_ANSATZ = "hardware_efficient"

__all__ = [
    "DEFAULT_ANSATZ", "AnsatzEntry", "ContractError", "DuplicateAnsatzError", "ENTRY_POINT_GROUP", "PluginError",
    "REGISTRY", "Registry", "SUPPORTED_GATES", "UnknownAnsatzError", "UnknownOptionError", "check_ansatz",
    "contract_problems", "create", "get", "list_ansatze", "load_plugin", "load_plugins", "register_ansatz", "shape",
]

registry.DISCOVERERS[:] = [discovery.load_builtins, discovery.scan_entry_points]
