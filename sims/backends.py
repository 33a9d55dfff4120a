"""Simulator backends that evaluate an ansatz's readouts for a batch of parameters.

``qsim`` (qsimcirq on the CPU, the default) and ``cirq`` (Cirq's reference
simulator, double precision) are available everywhere. ``qsim-gpu`` and
``qsim-custatevec`` need a qsimcirq built with CUDA; the PyPI wheels are
CPU-only, so asking for them without such a build fails at construction with a
message that says how to get one, never half-way through a run.

When to use which: ``qsim`` for anything from ~10 qubits up, and as the
reference for large circuits; ``cirq`` as an independent cross-check on small
circuits (it is slower); the TFQ native ops in :mod:`sims.layers` for training.
"""

from __future__ import annotations

import abc
import os
from typing import Callable

import cirq
import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from qcircuits.validation import check_int
from sims.memory import check_state_fits

GPU_BACKENDS = ("qsim-gpu", "qsim-custatevec")


class Backend(abc.ABC):
    """Evaluates readout expectations of an ansatz."""

    name: str = ""
    bytes_per_amplitude: int = 8
    state_copies: int = 2

    @abc.abstractmethod
    def _simulator(self) -> cirq.SimulatesExpectationValues:
        """The underlying simulator object."""

    def device(self) -> str:
        """Where it runs, for reports."""
        return "CPU"

    def check_fits(self, n_qubits: int) -> int:
        """Refuses circuits whose state would not fit in memory; returns bytes needed."""
        return check_state_fits(n_qubits, bytes_per_amplitude=self.bytes_per_amplitude,
                                copies=self.state_copies, what=f"the {self.name} backend")

    def expectations(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        """Readout expectations for each row of parameter values.

        Args:
            ansatz: the ansatz.
            values: ``[batch, len(ansatz.symbols)]``, in :attr:`Ansatz.symbols` order.

        Returns:
            ``[batch, n_readouts]`` float64 array.
        """
        values = np.atleast_2d(np.asarray(values, dtype=float))
        if values.shape[-1] != len(ansatz.symbols):
            raise ConfigurationError(
                f"Expected {len(ansatz.symbols)} parameter values per row; got {values.shape[-1]}."
            )
        self.check_fits(ansatz.n_qubits)
        sweep = parameter_sweep(ansatz, values)
        results = self._simulator().simulate_expectation_values_sweep(
            ansatz.circuit, observables=list(ansatz.readouts), params=sweep
        )
        return np.real(np.asarray(results, dtype=np.complex128))


def parameter_sweep(ansatz: Ansatz, values: np.ndarray) -> cirq.Sweep:
    """A ``cirq.Zip`` of one ``cirq.Points`` per symbol: no per-row resolver objects to build."""
    if not ansatz.symbols:
        return cirq.ListSweep([cirq.ParamResolver({})] * len(values))
    return cirq.Zip(*(cirq.Points(s, values[:, k]) for k, s in enumerate(ansatz.symbols)))


class QsimBackend(Backend):
    """qsimcirq's CPU simulator (single precision).

    Args:
        threads: CPU threads (default: all cores).
    """

    name = "qsim"

    def __init__(self, *, threads: int | None = None):
        import qsimcirq  # lazy: keeps `--list` fast

        self.threads = check_int("threads", threads if threads is not None else (os.cpu_count() or 1),
                                 minimum=1)
        self._sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=self.threads))

    def _simulator(self):
        return self._sim

    def device(self) -> str:
        return f"CPU, {self.threads} thread(s), qsimcirq {_qsim_version()}"


class CirqBackend(Backend):
    """Cirq's reference state-vector simulator, in double precision."""

    name = "cirq"
    bytes_per_amplitude = 16
    state_copies = 3

    def __init__(self, *, threads: int | None = None, seed: int | None = None):
        self._sim = cirq.Simulator(dtype=np.complex128, seed=seed)

    def _simulator(self):
        return self._sim

    def device(self) -> str:
        return f"CPU, cirq-core {cirq.__version__} reference simulator (complex128)"


def _qsim_version() -> str:
    import qsimcirq

    return getattr(qsimcirq, "__version__", "unknown")


def gpu_unavailable_reason(kind: str) -> str | None:
    """Why this machine cannot run ``kind`` (``qsim-gpu``/``qsim-custatevec``), or None."""
    import qsimcirq

    module = qsimcirq.qsim_gpu if kind == "qsim-gpu" else qsimcirq.qsim_custatevec
    if module is None:
        what = "CUDA kernels" if kind == "qsim-gpu" else "cuStateVec kernels"
        return (
            f"Backend {kind!r} needs a qsimcirq built with {what}, but the installed "
            f"qsimcirq {_qsim_version()} is CPU-only (the PyPI wheels are); build qsim from "
            "source with CUDA on a GPU machine, or use --backend qsim."
        )
    return None


def _gpu_backend(kind: str) -> Callable[..., Backend]:
    def build(*, threads: int | None = None, seed: int | None = None) -> Backend:
        reason = gpu_unavailable_reason(kind)
        if reason:
            raise ConfigurationError(reason)
        raise ConfigurationError(f"Backend {kind!r} is reserved; GPU execution is not wired in yet.")

    return build


BACKENDS: dict[str, Callable[..., Backend]] = {
    "qsim": lambda *, threads=None, seed=None: QsimBackend(threads=threads),
    "cirq": lambda *, threads=None, seed=None: CirqBackend(seed=seed),
    "qsim-gpu": _gpu_backend("qsim-gpu"),
    "qsim-custatevec": _gpu_backend("qsim-custatevec"),
}


def make_backend(name: str, *, threads: int | None = None, seed: int | None = None) -> Backend:
    """Builds a backend by name.

    Raises:
        ConfigurationError: for an unknown name, or a GPU backend this build lacks.
    """
    if name not in BACKENDS:
        raise ConfigurationError(f"Unknown backend {name!r}; expected one of {', '.join(BACKENDS)}.")
    return BACKENDS[name](threads=threads, seed=seed)
