"""How much memory the engine's states take: the estimates every check and chunk size uses."""

from __future__ import annotations

from sims.memory import count_that_fits, format_bytes

# Live copies of the batch's state during a forward pass (state, transposed copy, product output,
# readout squares); the estimate before anything is built or run.
FORWARD_COPIES = 4
MAX_CHUNK = 65536


def memory_estimate(n_qubits: int, batch: int, bytes_per_amplitude: int = 8, copies: int = FORWARD_COPIES) -> str:
    """A readable estimate, for messages."""
    return format_bytes((2 ** n_qubits) * bytes_per_amplitude * copies * batch)


def samples_per_chunk(n_qubits: int, bytes_per_amplitude: int, copies: int = FORWARD_COPIES,
                      available: int | None = None) -> int:
    """How many samples to simulate at once so that ``copies`` states per sample fit in half the free memory."""
    per_sample = (2 ** n_qubits) * bytes_per_amplitude * copies
    return min(MAX_CHUNK, count_that_fits(per_sample, share=0.5, available=available))
