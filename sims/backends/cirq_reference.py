"""Cirq's reference state-vector simulator, in double precision: the independent cross-check."""

from __future__ import annotations

import dataclasses

import cirq
import numpy as np

from qcircuits.noise import has_channels
from sims.backends.base import CirqSimulatorBackend
from sims.backends.noise_support import ShotOptions
from sims.backends.registry import register_backend


@dataclasses.dataclass(frozen=True)
class CirqOptions(ShotOptions):
    """Options of the ``cirq`` backend: noise (exact, by ``cirq.DensityMatrixSimulator``) and shots."""


@register_backend("cirq", options=CirqOptions,
                  description="Cirq's reference simulator (complex128; density matrices under noise): the cross-check")
class CirqBackend(CirqSimulatorBackend):
    """Cirq's reference simulator in double precision: state vectors, or density matrices under noise."""

    bytes_per_amplitude = 16
    state_copies = 3
    density_matrices = True

    def __init__(self, options: CirqOptions | None = None):
        self.options = options or CirqOptions()
        self._pure = cirq.Simulator(dtype=np.complex128)
        self._mixed = cirq.DensityMatrixSimulator(dtype=np.complex128)

    def _simulator(self, circuit: cirq.AbstractCircuit | None = None):
        # cirq.Simulator would sample one trajectory of a channel: density matrices for any channel.
        return self._mixed if circuit is not None and has_channels(circuit) else self._pure

    def device(self) -> str:
        kind = "density-matrix" if self.noise.has_channels else "reference"
        return f"CPU, cirq-core {cirq.__version__} {kind} simulator (complex128)"
