"""``statevector``: our batched, differentiable state-vector engine in TensorFlow.

An ansatz is compiled once (:mod:`.gates` -> :mod:`.plan` -> :mod:`.program`) into
a TensorFlow program over a whole batch: data symbols differ per sample, the
weights are shared, and gradients for both come from autodiff. It runs where
TensorFlow places it: on a GPU when one is visible (or ``device="gpu"``).

This module stays light (no TensorFlow import) so that listing backends is fast.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from sims.backends.base import Backend
from sims.backends.registry import register_backend
from sims.memory import check_fits, count_that_fits, format_bytes

DTYPES = ("complex64", "complex128")
# Live copies of the batch's state during a forward pass (state, transposed copy, product output,
# readout squares); the estimate before anything is built or run.
FORWARD_COPIES = 4
MAX_CHUNK = 65536


@dataclasses.dataclass(frozen=True)
class StatevectorOptions:
    """Options of the ``statevector`` backend.

    Attributes:
        dtype: ``"complex64"`` (default) or ``"complex128"``.
        device: ``None`` (TensorFlow's placement: the GPU when one is visible), ``"cpu"``,
            ``"gpu"``, or a TensorFlow device name such as ``"/GPU:1"``.
    """

    dtype: str = "complex64"
    device: str | None = None

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ConfigurationError(f"Unknown statevector dtype {self.dtype!r}; expected one of {', '.join(DTYPES)}.")
        if self.device is not None and not isinstance(self.device, str):
            raise ConfigurationError(f"device must be 'cpu', 'gpu' or a TensorFlow device name; got {self.device!r}.")

    @property
    def bytes_per_amplitude(self) -> int:
        return 8 if self.dtype == "complex64" else 16


def resolve_device(device: str | None) -> str | None:
    """A TensorFlow device name for ``device``, checked against what TensorFlow sees.

    Raises:
        ConfigurationError: when a GPU is asked for and TensorFlow sees none.
    """
    if device is None:
        return None
    from sims.tf_env import tf

    name = {"cpu": "/CPU:0", "gpu": "/GPU:0"}.get(device.lower(), device)
    kind = name.strip("/").split(":")[0].upper()
    if kind == "GPU" and not tf.config.list_physical_devices("GPU"):
        raise ConfigurationError(
            f"device {device!r}: TensorFlow sees no GPU (tf.config.list_physical_devices('GPU') is empty). "
            "Install tensorflow[and-cuda]==2.18.* on a machine with an NVIDIA driver, or use device='cpu'.")
    if kind not in ("CPU", "GPU"):
        raise ConfigurationError(f"Unknown device {device!r}; expected 'cpu', 'gpu' or a name like '/GPU:0'.")
    return name


def samples_per_chunk(n_qubits: int, bytes_per_amplitude: int, copies: int = FORWARD_COPIES,
                      available: int | None = None) -> int:
    """How many samples to simulate at once so that ``copies`` states per sample fit in half the free memory."""
    per_sample = (2 ** n_qubits) * bytes_per_amplitude * copies
    return min(MAX_CHUNK, count_that_fits(per_sample, share=0.5, available=available))


@register_backend("statevector", options=StatevectorOptions, differentiable=True, gpu=True,
                  description="our batched TensorFlow engine: exact autodiff gradients, CPU or GPU")
class StatevectorBackend(Backend):
    """The batched engine as a backend: layer kernels, expectations and states."""

    state_copies = FORWARD_COPIES

    def __init__(self, options: StatevectorOptions | None = None):
        self.options = options or StatevectorOptions()
        self.bytes_per_amplitude = self.options.bytes_per_amplitude
        self.device_name = resolve_device(self.options.device)
        self._cache: dict[int, tuple[Ansatz, Any]] = {}

    def device(self) -> str:
        from sims.tf_env import tf

        where = self.device_name or ("GPU" if tf.config.list_physical_devices("GPU") else "CPU")
        return f"{where}, TensorFlow {tf.__version__} statevector engine ({self.options.dtype})"

    def _dtype(self):
        from sims.tf_env import tf

        return tf.float32 if self.options.dtype == "complex64" else tf.float64

    def layer_kernel(self, ansatz: Ansatz) -> StatevectorKernel:
        self.check_fits(ansatz.n_qubits)
        return StatevectorKernel(ansatz, dtype=self._dtype(), device=self.device_name)

    def _program(self, ansatz: Ansatz):
        """A per-sample program (every symbol's value per row), compiled once per ansatz.

        It runs eagerly: these calls are few and large (a report, a descriptor seed), and
        tracing a graph of a deep circuit costs more than the per-operation overhead it saves.
        """
        from sims.backends.statevector.engine import compile_ansatz

        cached = self._cache.get(id(ansatz))
        if cached is None or cached[0] is not ansatz:
            cached = (ansatz, compile_ansatz(ansatz, shared_weights=False, dtype=self._dtype()))
            self._cache = {id(ansatz): cached}  # one at a time: descriptors and reports reuse the last
        return cached[1]

    def _run(self, ansatz: Ansatz, values: np.ndarray, states: bool) -> np.ndarray:
        from sims.tf_env import tf

        values = self._checked_values(ansatz, values)
        self.check_fits(ansatz.n_qubits)
        program = self._program(ansatz)
        run = program.states if states else program.expectations
        chunk = samples_per_chunk(ansatz.n_qubits, self.bytes_per_amplitude)
        parts = []
        with tf.device(self.device_name) if self.device_name else _nullcontext():
            for start in range(0, len(values), chunk):
                part = tf.constant(values[start:start + chunk], self._dtype())
                parts.append(run(part, None, int(part.shape[0])).numpy())
        if parts:
            return np.concatenate(parts)
        return np.zeros((0, 2 ** ansatz.n_qubits if states else ansatz.n_readouts))

    def expectations(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        return self._run(ansatz, values, states=False).astype(float)

    def states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        return self._run(ansatz, values, states=True)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class StatevectorKernel:
    """Readouts of one ansatz from per-sample data values and shared weights, in TensorFlow.

    Args:
        ansatz: the ansatz.
        dtype: ``tf.float32`` (complex64 states) or ``tf.float64``.
        device: a TensorFlow device name, or None for TensorFlow's placement.
    """

    def __init__(self, ansatz: Ansatz, *, dtype, device: str | None = None):
        from sims.backends.statevector.engine import compile_ansatz

        self.ansatz = ansatz
        self.program = compile_ansatz(ansatz, shared_weights=True, dtype=dtype)
        self.dtype = dtype
        self.device = device

    @property
    def plan_summary(self) -> str:
        return self.program.plan.describe()

    def training_copies(self) -> int:
        """States kept alive for one forward+gradient pass: autodiff keeps each step's input."""
        return FORWARD_COPIES + 3 * self.program.readout_steps  # measured: benchmarks/engine_memory.py

    def check_batch(self, batch: int, available: int | None = None) -> None:
        """Refuses a batch whose states would not fit, with the estimate.

        Raises:
            ResourceLimitError: naming the estimate, what is free and the largest batch that fits.
        """
        per_sample = (2 ** self.ansatz.n_qubits) * (8 if self.dtype.size == 4 else 16) * self.training_copies()
        check_fits(batch * per_sample, available=available,
                   who=f"A batch of {batch} at {self.ansatz.n_qubits} qubits needs",
                   what="the statevector engine (forward and gradient)",
                   advice=f"Use batches of at most {count_that_fits(per_sample, available=available)}.")

    def __call__(self, data_values, weights, batch):
        """``[batch, n_readouts]`` from data-symbol values ``[batch, D]`` (None without data) and weights ``[W]``."""
        from sims.tf_env import tf

        if isinstance(batch, int):
            self.check_batch(batch)

        out_dtype = data_values.dtype if data_values is not None else weights.dtype
        if data_values is not None:
            data_values = tf.cast(data_values, self.dtype)
        weights = tf.cast(weights, self.dtype)
        if self.device:
            with tf.device(self.device):
                out = self.program.expectations(data_values, weights, batch)
        else:
            out = self.program.expectations(data_values, weights, batch)
        return tf.cast(out, out_dtype)


def memory_estimate(n_qubits: int, batch: int, bytes_per_amplitude: int = 8, copies: int = FORWARD_COPIES) -> str:
    """A readable estimate, for messages."""
    return format_bytes((2 ** n_qubits) * bytes_per_amplitude * copies * batch)
