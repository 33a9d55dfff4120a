"""Memory estimates, checked before anything is allocated: the one owner of "does it fit".

Every estimator (state vectors of a backend, a batch of the engine, a report's parameter
values) states what it needs and calls :func:`check_fits`, so that one share of the free
memory (:data:`USABLE_SHARE`) and one message form hold everywhere.
"""

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


# What a run may plan to use of the memory free now: the rest is for Python, TensorFlow and
# temporaries that no estimate counts.
USABLE_SHARE = 0.9


def count_that_fits(per_item: float, *, share: float = USABLE_SHARE, available: int | None = None) -> int:
    """How many items of ``per_item`` bytes fit in ``share`` of the free memory (at least 1)."""
    available = available_memory_bytes() if available is None else available
    return max(1, int(share * available // max(per_item, 1)))


def check_fits(needed: float, *, who: str, what: str, advice: str, available: int | None = None) -> None:
    """Refuses work that needs more than :data:`USABLE_SHARE` of the free memory.

    Args:
        needed: estimated bytes.
        who: the subject and its verb, e.g. ``"--batch 4096 needs"``, ``"40 qubits need"``.
        what: what the memory is for, e.g. ``"its parameter values and results"``.
        advice: the way out, e.g. ``"Use a batch of at most 512."``.
        available: bytes free (default: measured now).

    Raises:
        ResourceLimitError: ``<who> about X for <what>; only Y is available. <advice>``.
    """
    available = available_memory_bytes() if available is None else available
    if needed > USABLE_SHARE * available:
        raise ResourceLimitError(f"{who} about {format_bytes(needed)} for {what}; only {format_bytes(available)} "
                                 f"is available (a run plans to use at most {USABLE_SHARE:.0%} of it). {advice}")


def check_batch_fits(batch: int, ansatz, available: int | None = None) -> None:
    """Refuses a batch of random parameter sets whose values and results would not fit.

    Raises:
        ResourceLimitError: with the estimate and the largest batch that fits.
    """
    per_sample = (len(ansatz.symbols) + 2 * ansatz.n_readouts) * 8 * 2  # values, results, temporaries
    available = available_memory_bytes() if available is None else available
    check_fits(batch * per_sample, who=f"--batch {batch} needs", what="its parameter values and results",
               available=available,
               advice=f"Use a batch of at most {count_that_fits(per_sample, available=available)}.")


def check_state_fits(n_qubits: int, *, bytes_per_amplitude: int, copies: int,
                     available: int | None = None, what: str = "the simulator", who: str | None = None) -> int:
    """Refuses a simulation whose state vectors would not fit in memory.

    Args:
        n_qubits: number of qubits.
        bytes_per_amplitude: 8 for complex64, 16 for complex128.
        copies: state vectors held at once by the backend.
        available: bytes available (default: measured now).
        what: the backend's name, for the message.
        who: the start of the message (default: ``"N qubits need"``).

    Returns:
        The estimated bytes needed.

    Raises:
        ResourceLimitError: naming the estimate and what is available.
    """
    needed = state_vector_bytes(n_qubits, bytes_per_amplitude) * copies
    check_fits(needed, who=who or f"{n_qubits} qubits need", available=available, advice="Use fewer qubits.",
               what=f"{what} (2^{n_qubits} amplitudes x {bytes_per_amplitude} B x {copies} copies)")
    return needed
