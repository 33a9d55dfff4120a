"""The interface every simulator backend implements."""

from __future__ import annotations

import abc
from typing import Any

import cirq
import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from qcircuits.noise import Noise, has_channels
from sims.backends.noise_support import finish_expectations, noise_of
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
    options: Any = None
    # Noise channels make it simulate density matrices (a state of twice the width), not trajectories.
    density_matrices: bool = False
    _rng: np.random.Generator | None = None  # the shot sampler, made on first use
    # The standard error ``[batch, R]`` of the last expectations() call's values when they are Monte Carlo
    # estimates with a spread it measured (the engine's trajectories); None when exact or not measured.
    last_standard_error: np.ndarray | None = None

    def device(self) -> str:
        """Where it runs, for reports."""
        return "CPU"

    @property
    def noise(self) -> Noise:
        """The noise it simulates (noiseless without the option)."""
        return noise_of(self.options)

    def simulated_qubits(self, n_qubits: int) -> int:
        """The width of what it holds: ``2n`` for a density matrix, else ``n``."""
        return 2 * n_qubits if self.density_matrices and self.noise.has_channels else n_qubits

    def circuit(self, ansatz: Ansatz) -> cirq.AbstractCircuit:
        """The circuit it simulates: the ansatz's, with the noise's channels."""
        return self.noise.noisy_circuit(ansatz.circuit) if self.noise.has_channels else ansatz.circuit

    def check_fits(self, n_qubits: int, ansatz: Ansatz | None = None) -> int:
        """Refuses circuits whose state would not fit in memory; returns bytes needed.

        ``ansatz``: the circuit itself, for a backend that can run some circuits in less memory than
        a ``2^n`` state (the statevector engine's product states); the others read the width alone.
        """
        width = self.simulated_qubits(n_qubits)
        who = f"A density matrix of {n_qubits} qubits (a state of {width}) needs" if width > n_qubits else None
        return check_state_fits(width, bytes_per_amplitude=self.bytes_per_amplitude, copies=self.state_copies,
                                what=f"the {self.name} backend", who=who)

    def _shot_rng(self) -> np.random.Generator | None:
        """The shot sampler: seeded once per backend, so that successive calls draw new shots."""
        if getattr(self.options, "repetitions", None) is None:
            return None
        if self._rng is None:
            self._rng = np.random.default_rng(getattr(self.options, "shot_seed", 0))
        return self._rng

    def _refuse_states_under_noise(self, ansatz: Ansatz) -> None:
        if self.noise.has_channels or has_channels(ansatz.circuit):
            raise ConfigurationError(f"Backend {self.name!r} with noise {self.noise}: a noisy circuit has no state "
                                     "vector; ask for expectations instead.")

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
    def _simulator(self, circuit: cirq.AbstractCircuit | None = None) -> Any:
        """The underlying simulator object (for ``circuit``, when that matters)."""

    def expectations(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        values = self._checked_values(ansatz, values)
        self.check_fits(ansatz.n_qubits)
        out = np.full((len(values), ansatz.n_readouts), np.nan)
        finite = np.all(np.isfinite(values), axis=1)  # NaN in, NaN out: the policy of every backend
        if finite.any():
            circuit = self.circuit(ansatz)
            results = self._simulator(circuit).simulate_expectation_values_sweep(
                circuit, observables=list(ansatz.readouts),
                params=parameter_sweep(ansatz, values[finite]), qubit_order=list(ansatz.qubits))
            out[finite] = np.real(np.asarray(results, dtype=np.complex128)).reshape(-1, ansatz.n_readouts)
        return finish_expectations(out, ansatz.readouts, self.options, self._shot_rng())

    def states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        values = self._checked_values(ansatz, values)
        self._refuse_states_under_noise(ansatz)
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
