"""How much memory the engine's states take: the estimates every check and chunk size uses."""

from __future__ import annotations

from sims.memory import format_bytes

# Live copies of the batch's state during a forward pass (state, transposed copy, product output,
# readout squares); the estimate before anything is built or run.
FORWARD_COPIES = 4
MAX_CHUNK = 65536


def memory_estimate(n_qubits: int, batch: int, bytes_per_amplitude: int = 8, copies: int = FORWARD_COPIES) -> str:
    """A readable estimate, for messages."""
    return format_bytes((2 ** n_qubits) * bytes_per_amplitude * copies * batch)
