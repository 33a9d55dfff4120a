"""State-vector memory estimates, checked before anything is simulated."""

from __future__ import annotations

import os

from qcircuits.errors import ResourceLimitError


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def state_vector_bytes(n_qubits: int, bytes_per_amplitude: int = 8) -> int:
    """Bytes of one state vector: 2^n amplitudes (complex64: 8 bytes each)."""
    return (2 ** n_qubits) * bytes_per_amplitude


def available_memory_bytes() -> int:
    """Memory the process can still use (``MemAvailable`` on Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_state_fits(n_qubits: int, *, bytes_per_amplitude: int, copies: int,
                     available: int | None = None, what: str = "the simulator") -> int:
    """Refuses a simulation whose state vectors would not fit in memory.

    Args:
        n_qubits: number of qubits.
        bytes_per_amplitude: 8 for complex64, 16 for complex128.
        copies: state vectors held at once by the backend.
        available: bytes available (default: measured now).
        what: the backend's name, for the message.

    Returns:
        The estimated bytes needed.

    Raises:
        ResourceLimitError: naming the estimate and what is available.
    """
    needed = state_vector_bytes(n_qubits, bytes_per_amplitude) * copies
    available = available_memory_bytes() if available is None else available
    if needed > 0.9 * available:
        raise ResourceLimitError(
            f"{n_qubits} qubits need about {format_bytes(needed)} for {what} "
            f"(2^{n_qubits} amplitudes x {bytes_per_amplitude} B x {copies} copies); "
            f"only {format_bytes(available)} is available. Use fewer qubits."
        )
    return needed
