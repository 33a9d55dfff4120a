"""The interface every simulator backend implements."""

from __future__ import annotations

import abc
from typing import Any

import cirq
import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from sims.memory import check_state_fits


class Backend(abc.ABC):
    """Evaluates readout expectations (and final states) of an ansatz for a batch of parameters.

    NaN policy, the same on every backend: a sample with a non-finite parameter value
    gives NaN for every output of that sample; the other samples are unaffected.

    Backends whose spec says ``differentiable`` also give a :meth:`layer_kernel`:
    TensorFlow operations with gradients, used by :class:`sims.layers.QuantumLayer`.
    """

    name: str = ""
    selection: str = ""  # for "auto": which backend was picked and why
    bytes_per_amplitude: int = 8
    state_copies: int = 2

    def device(self) -> str:
        """Where it runs, for reports."""
        return "CPU"

    def check_fits(self, n_qubits: int) -> int:
        """Refuses circuits whose state would not fit in memory; returns bytes needed."""
        return check_state_fits(n_qubits, bytes_per_amplitude=self.bytes_per_amplitude,
                                copies=self.state_copies, what=f"the {self.name} backend")

    @staticmethod
    def _checked_values(ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        values = np.atleast_2d(np.asarray(values, dtype=float))
        if values.shape[-1] != len(ansatz.symbols):
            raise ConfigurationError(
                f"Expected {len(ansatz.symbols)} parameter values per row; got {values.shape[-1]}.")
        return values

    @abc.abstractmethod
    def expectations(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        """Readout expectations for each row of parameter values.

        Args:
            ansatz: the ansatz.
            values: ``[batch, len(ansatz.symbols)]``, in :attr:`Ansatz.symbols` order.

        Returns:
            ``[batch, n_readouts]`` float64 array.
        """

    @abc.abstractmethod
    def states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        """Final state vectors ``[batch, 2^n]`` (qubits in ``ansatz.qubits`` order, qubit 0 most significant)."""

    def layer_kernel(self, ansatz: Ansatz) -> Any:
        """A differentiable TensorFlow kernel ``(features, weights, batch) -> [batch, n_readouts]``.

        Raises:
            ConfigurationError: for a backend that runs outside TensorFlow's graph.
        """
        raise ConfigurationError(f"Backend {self.name!r} gives no gradients inside TensorFlow.")


class CirqSimulatorBackend(Backend):
    """A backend that runs a ``cirq.SimulatesExpectationValues`` simulator (qsim, cirq)."""

    @abc.abstractmethod
    def _simulator(self) -> Any:
        """The underlying simulator object."""

    def expectations(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        values = self._checked_values(ansatz, values)
        self.check_fits(ansatz.n_qubits)
        out = np.full((len(values), ansatz.n_readouts), np.nan)
        finite = np.all(np.isfinite(values), axis=1)  # NaN in, NaN out: the policy of every backend
        if finite.any():
            results = self._simulator().simulate_expectation_values_sweep(
                ansatz.circuit, observables=list(ansatz.readouts), params=parameter_sweep(ansatz, values[finite]),
                qubit_order=list(ansatz.qubits))
            out[finite] = np.real(np.asarray(results, dtype=np.complex128)).reshape(-1, ansatz.n_readouts)
        return out

    def states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        values = self._checked_values(ansatz, values)
        self.check_fits(ansatz.n_qubits)
        out = np.full((len(values), 2 ** ansatz.n_qubits), np.nan, dtype=np.complex64)
        finite = np.all(np.isfinite(values), axis=1)
        if finite.any():
            results = self._simulator().simulate_sweep(ansatz.circuit, params=parameter_sweep(ansatz, values[finite]),
                                                       qubit_order=list(ansatz.qubits))
            states = np.stack([r.final_state_vector for r in results])
            out = out.astype(states.dtype)
            out[finite] = states
        return out


def parameter_sweep(ansatz: Ansatz, values: np.ndarray) -> cirq.Sweep:
    """A ``cirq.Zip`` of one ``cirq.Points`` per symbol: no per-row resolver objects to build."""
    if not ansatz.symbols:
        return cirq.ListSweep([cirq.ParamResolver({})] * len(values))
    return cirq.Zip(*(cirq.Points(s, values[:, k]) for k, s in enumerate(ansatz.symbols)))  # type: ignore[arg-type]
