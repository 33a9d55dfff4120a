"""qsimcirq: the CPU simulator, and its GPU builds (CUDA kernels or cuStateVec).

The PyPI wheels are CPU-only; ``qsim-gpu`` and ``qsim-custatevec`` need a
qsimcirq built with CUDA (``make gpu``) and a visible device, otherwise
construction fails with a message that says how to get one, never half-way
through a run.
"""

from __future__ import annotations

import dataclasses
import os
import warnings

from qcircuits.errors import ConfigurationError, ToolkitWarning
from qcircuits.validation import check_int
from sims.backends.base import CirqSimulatorBackend
from sims.backends.noise_support import ShotOptions
from sims.backends.registry import register_backend

GPU_BACKENDS = ("qsim-gpu", "qsim-custatevec")


def _qsim_version() -> str:
    import qsimcirq

    return getattr(qsimcirq, "__version__", "unknown")


@dataclasses.dataclass(frozen=True)
class QsimOptions(ShotOptions):
    """Options of the ``qsim`` backend.

    Attributes:
        threads: CPU threads (default: all cores).
        trajectories: Monte Carlo trajectories per sample for a noisy circuit's expectations
            (qsim's ``ev_noisy_repetitions``); their mean's standard error is at most
            ``|c| / sqrt(trajectories)`` per readout ``c * P``.
    """

    threads: int | None = None
    trajectories: int = 1000

    def __post_init__(self):
        super().__post_init__()
        if self.threads is not None:
            check_int("threads", self.threads, minimum=1)
        check_int("trajectories", self.trajectories, minimum=1, maximum=10 ** 7)


@register_backend("qsim", options=QsimOptions,
                  description="qsimcirq on the CPU (single precision); the tool for large circuits")
class QsimBackend(CirqSimulatorBackend):
    """qsimcirq's CPU simulator (single precision)."""

    def __init__(self, options: QsimOptions | None = None):
        import qsimcirq  # lazy: keeps `--list` fast

        options = self.options = options or QsimOptions()
        cores = os.cpu_count() or 1
        self.threads = options.threads if options.threads is not None else cores
        if self.threads > cores:
            # More threads than cores only slow qsim down (it spins them).
            warnings.warn(f"threads={self.threads} is more than the {cores} cores here; using {cores}",
                          ToolkitWarning, stacklevel=2)
            self.threads = cores
        self._sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(
            cpu_threads=self.threads, ev_noisy_repetitions=options.trajectories))

    def _simulator(self, circuit=None):
        return self._sim

    def device(self) -> str:
        noisy = f", {self.options.trajectories} noise trajectories per sample" if self.noise.has_channels else ""
        return f"CPU, {self.threads} thread(s), qsimcirq {_qsim_version()}{noisy}"


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


@dataclasses.dataclass(frozen=True)
class QsimGpuOptions:
    """Options of the qsim GPU backends.

    Attributes:
        gpu_threads: CUDA threads per block for state-space kernels (power of two, 32-1024).
        gpu_data_blocks: data blocks per kernel (CUDA kernels only).
    """

    gpu_threads: int | None = None
    gpu_data_blocks: int | None = None

    def __post_init__(self):
        check_gpu_options(gpu_threads=self.gpu_threads, gpu_data_blocks=self.gpu_data_blocks)


class _QsimGpuBackend(CirqSimulatorBackend):
    """qsimcirq on an NVIDIA GPU; ``gpu_mode`` 0 is qsim's CUDA kernels, 1 is cuStateVec."""

    gpu_mode = 0

    def __init__(self, options: QsimGpuOptions | None = None):
        import qsimcirq

        from sims.gpu_info import gpu_status

        options = options or QsimGpuOptions()
        reason = gpu_status().reason_unavailable(self.name)
        if reason:
            raise ConfigurationError(reason)
        settings = {"use_gpu": True, "gpu_mode": self.gpu_mode}
        if options.gpu_threads is not None:
            settings["gpu_state_threads"] = options.gpu_threads
        if options.gpu_data_blocks is not None:
            settings["gpu_data_blocks"] = options.gpu_data_blocks
        self._sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(**settings))

    def _simulator(self, circuit=None):
        return self._sim

    def device(self) -> str:
        kernels = "cuStateVec" if self.gpu_mode else "qsim CUDA kernels"
        return f"GPU ({kernels}), qsimcirq {_qsim_version()}"


@register_backend("qsim-gpu", options=QsimGpuOptions, gpu=True,
                  description="qsimcirq with its CUDA kernels (needs 'make gpu' and a device)")
class QsimGpuBackend(_QsimGpuBackend):
    gpu_mode = 0


@register_backend("qsim-custatevec", options=QsimGpuOptions, gpu=True,
                  description="qsimcirq with NVIDIA cuStateVec (needs 'make gpu' and a device)")
class QsimCuStateVecBackend(_QsimGpuBackend):
    gpu_mode = 1
