"""What this machine's qsimcirq can do on a GPU: built kernels and visible devices.

``python -m sims.gpu_info`` prints it; :func:`gpu_status` is what the backends use,
probed once per process.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util


@dataclasses.dataclass(frozen=True)
class GpuStatus:
    """Which GPU kernels are compiled in, and whether a device can run them."""

    qsim_version: str
    cuda_kernels_built: bool
    custatevec_kernels_built: bool
    cuda_device: bool
    custatevec_usable: bool

    def reason_unavailable(self, backend: str) -> str | None:
        """Why ``backend`` cannot run here, as one line naming the fix, or None."""
        built = self.cuda_kernels_built if backend == "qsim-gpu" else self.custatevec_kernels_built
        usable = self.cuda_device if backend == "qsim-gpu" else self.custatevec_usable
        what = "CUDA kernels" if backend == "qsim-gpu" else "cuStateVec kernels"
        if not built:
            return (f"Backend {backend!r} needs a qsimcirq built with {what}, but the installed qsimcirq "
                    f"{self.qsim_version} is CPU-only (the PyPI wheels are); run 'make gpu' on a machine with "
                    "the CUDA toolkit, or use --backend qsim.")
        if not usable:
            return (f"Backend {backend!r}: qsimcirq {self.qsim_version} has {what}, but no CUDA device is visible "
                    "(check nvidia-smi and CUDA_VISIBLE_DEVICES), or use --backend qsim.")
        return None


def cuda_device_count() -> int:
    """CUDA devices the driver reports (0 without a driver).

    qsim's own ``detect_gpu`` is decided at compile time (a CUDA build always says
    "GPU"), so the device check asks the driver directly.
    """
    import ctypes

    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def _built(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@functools.lru_cache(maxsize=1)
def gpu_status() -> GpuStatus:
    """Probes qsimcirq once: kernels in the install, and devices at run time."""
    import qsimcirq

    devices = cuda_device_count()
    return GpuStatus(
        qsim_version=getattr(qsimcirq, "__version__", "unknown"),
        cuda_kernels_built=_built("qsimcirq.qsim_cuda"),
        custatevec_kernels_built=_built("qsimcirq.qsim_custatevec"),
        cuda_device=qsimcirq.qsim_gpu is not None and devices > 0,
        custatevec_usable=qsimcirq.qsim_custatevec is not None and devices > 0,
    )


def main() -> None:
    status = gpu_status()
    print(f"qsimcirq {status.qsim_version}")
    print(f"  CUDA kernels built:       {'yes' if status.cuda_kernels_built else 'no'}")
    print(f"  cuStateVec kernels built: {'yes' if status.custatevec_kernels_built else 'no'}")
    print(f"  CUDA devices (driver):    {cuda_device_count()}")
    print(f"  CUDA device usable:       {'yes' if status.cuda_device else 'no'}")
    print(f"  cuStateVec usable:        {'yes' if status.custatevec_usable else 'no'}")


if __name__ == "__main__":
    main()
