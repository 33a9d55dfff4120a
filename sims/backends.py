"""Simulator backends that evaluate an ansatz's readouts for a batch of parameters.

``qsim`` (qsimcirq on the CPU, the default) and ``cirq`` (Cirq's reference
simulator, double precision) are available everywhere. ``qsim-gpu`` and
``qsim-custatevec`` need a qsimcirq built with CUDA (``make gpu``); the PyPI
wheels are CPU-only, so asking for them without such a build, or without a
device, fails at construction with a message that says how to get one, never
half-way through a run. ``auto`` picks the GPU from 20 qubits up when it can.

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
    selection: str = ""  # for "auto": which backend was picked and why
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

    def states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        """Final state vectors (``[batch, 2^n]``, qubits in ``ansatz.qubits`` order), one sweep call."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        self.check_fits(ansatz.n_qubits)
        results = self._simulator().simulate_sweep(ansatz.circuit, params=parameter_sweep(ansatz, values),
                                                   qubit_order=list(ansatz.qubits))
        return np.stack([r.final_state_vector for r in results])


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


def check_gpu_options(*, gpu_threads: int | None, gpu_data_blocks: int | None) -> None:
    """Validates qsim's GPU options before anything is built.

    Raises:
        ConfigurationError: for a thread count that is not a power of two in [32, 1024]
            (a CUDA block size) or a non-positive number of data blocks.
    """
    if gpu_threads is not None and (gpu_threads < 32 or gpu_threads > 1024 or gpu_threads & (gpu_threads - 1)):
        raise ConfigurationError(
            f"GPU thread count {gpu_threads} is invalid; expected a power of two from 32 to 1024.")
    if gpu_data_blocks is not None and gpu_data_blocks < 1:
        raise ConfigurationError(f"GPU data blocks must be >= 1; got {gpu_data_blocks}.")


class QsimGpuBackend(Backend):
    """qsimcirq on an NVIDIA GPU: its own CUDA kernels (``qsim-gpu``) or cuStateVec.

    Needs a qsimcirq built with GPU kernels (``make gpu``) and a visible device;
    otherwise construction fails with a one-line reason.

    Args:
        kind: ``"qsim-gpu"`` or ``"qsim-custatevec"``.
        gpu_threads: CUDA threads per block for state-space kernels (power of two, 32-1024).
        gpu_data_blocks: data blocks per kernel (CUDA kernels only).
    """

    def __init__(self, kind: str, *, gpu_threads: int | None = None, gpu_data_blocks: int | None = None):
        import qsimcirq

        from sims.gpu_info import gpu_status

        check_gpu_options(gpu_threads=gpu_threads, gpu_data_blocks=gpu_data_blocks)
        reason = gpu_status().reason_unavailable(kind)
        if reason:
            raise ConfigurationError(reason)
        self.name = kind
        options = {"use_gpu": True, "gpu_mode": 0 if kind == "qsim-gpu" else 1}
        if gpu_threads is not None:
            options["gpu_state_threads"] = gpu_threads
        if gpu_data_blocks is not None:
            options["gpu_data_blocks"] = gpu_data_blocks
        self._sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(**options))

    def _simulator(self):
        return self._sim

    def device(self) -> str:
        return f"GPU ({'cuStateVec' if self.name == 'qsim-custatevec' else 'qsim CUDA kernels'}), qsimcirq {_qsim_version()}"


# Below this width the CPU wins (GPU launch and transfer costs dominate); measured
# crossover goes in docs/gpu.md once it has been run on hardware.
AUTO_GPU_MIN_QUBITS = 20


def choose_auto(n_qubits: int) -> tuple[str, str]:
    """``(backend, why)`` for ``--backend auto``."""
    from sims.gpu_info import gpu_status

    if n_qubits < AUTO_GPU_MIN_QUBITS:
        return "qsim", f"{n_qubits} qubits < {AUTO_GPU_MIN_QUBITS}: the CPU is faster for small circuits"
    reason = gpu_status().reason_unavailable("qsim-gpu")
    if reason:
        return "qsim", f"{n_qubits} qubits, but no usable GPU build or device"
    return "qsim-gpu", f"{n_qubits} qubits >= {AUTO_GPU_MIN_QUBITS} and a GPU is available"


BACKENDS: dict[str, Callable[..., Backend]] = {
    "qsim": lambda *, threads=None, seed=None, **_: QsimBackend(threads=threads),
    "cirq": lambda *, threads=None, seed=None, **_: CirqBackend(seed=seed),
    "qsim-gpu": lambda *, gpu_threads=None, gpu_data_blocks=None, **_: QsimGpuBackend(
        "qsim-gpu", gpu_threads=gpu_threads, gpu_data_blocks=gpu_data_blocks),
    "qsim-custatevec": lambda *, gpu_threads=None, gpu_data_blocks=None, **_: QsimGpuBackend(
        "qsim-custatevec", gpu_threads=gpu_threads, gpu_data_blocks=gpu_data_blocks),
}
BACKEND_NAMES = tuple(BACKENDS) + ("auto",)


def make_backend(name: str, *, threads: int | None = None, seed: int | None = None, qubits: int | None = None,
                 gpu_threads: int | None = None, gpu_data_blocks: int | None = None) -> Backend:
    """Builds a backend by name; ``auto`` picks by ``qubits`` and says why in ``selection``.

    Raises:
        ConfigurationError: for an unknown name, invalid GPU options, or a GPU backend
            this build or machine cannot run.
    """
    if name not in BACKEND_NAMES:
        raise ConfigurationError(f"Unknown backend {name!r}; expected one of {', '.join(BACKEND_NAMES)}.")
    check_gpu_options(gpu_threads=gpu_threads, gpu_data_blocks=gpu_data_blocks)
    selection = ""
    if name == "auto":
        name, why = choose_auto(qubits or 0)
        selection = f"auto -> {name}: {why}"
    backend = BACKENDS[name](threads=threads, seed=seed, gpu_threads=gpu_threads, gpu_data_blocks=gpu_data_blocks)
    backend.selection = selection
    return backend
