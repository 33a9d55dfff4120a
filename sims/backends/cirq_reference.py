"""Cirq's reference state-vector simulator, in double precision: the independent cross-check."""

from __future__ import annotations

import dataclasses

import cirq
import numpy as np

from sims.backends.base import CirqSimulatorBackend
from sims.backends.registry import register_backend


@dataclasses.dataclass(frozen=True)
class CirqOptions:
    """The ``cirq`` backend takes no options."""


@register_backend("cirq", options=CirqOptions,
                  description="Cirq's reference simulator (complex128); slow, for cross-checks")
class CirqBackend(CirqSimulatorBackend):
    """Cirq's reference state-vector simulator, in double precision."""

    bytes_per_amplitude = 16
    state_copies = 3

    def __init__(self, options: CirqOptions | None = None):
        self._sim = cirq.Simulator(dtype=np.complex128)

    def _simulator(self):
        return self._sim

    def device(self) -> str:
        return f"CPU, cirq-core {cirq.__version__} reference simulator (complex128)"
