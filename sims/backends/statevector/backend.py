"""The ``statevector`` backend: its options, and reports and descriptors run on the engine.

Light to import (no TensorFlow until something runs), so that listing backends is fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from qcircuits.noise import has_channels
from qcircuits.validation import check_int
from sims.backends.base import Backend
from sims.backends.noise_support import ShotOptions, finish_expectations
from sims.backends.registry import register_backend
from sims.backends.statevector.sizes import FORWARD_COPIES, samples_per_chunk

if TYPE_CHECKING:  # pragma: no cover
    from sims.backends.statevector.layer_kernel import StatevectorKernel

DTYPES = ("complex64", "complex128")
XLA_MODES = ("auto", "on", "off")


@dataclasses.dataclass(frozen=True)
class StatevectorOptions(ShotOptions):
    """Options of the ``statevector`` backend.

    Attributes:
        dtype: ``"complex64"`` (default) or ``"complex128"``.
        device: ``None`` (TensorFlow's placement: the GPU when one is visible), ``"cpu"``,
            ``"gpu"``, or a TensorFlow device name such as ``"/GPU:1"``.
        noise, repetitions, shot_seed: see :class:`~sims.backends.noise_support.ShotOptions`;
            noise channels run the exact density-matrix mode, shots give parameter-shift gradients.
        trajectories: with noise channels, ``K`` Monte Carlo trajectories per sample of pure
            states instead of the density matrix (any channel; seeded by ``shot_seed``; the
            standard errors of the last expectations are in ``last_standard_error``).
        xla: ``"auto"`` (default: a layer's calls traced into a graph, of at most
            :data:`~.layer_kernel.XLA_MAX_AMPLITUDES` amplitudes and :data:`~.layer_kernel.XLA_MAX_WIDTH`
            qubits, on the CPU run compiled by XLA, forward and gradient apart, with the plan the XLA
            cost model picks; at most :data:`~.layer_kernel.XLA_MAX_COMPILED_CALLS` compiled calls a
            process), ``"on"`` (every layer call, eager ones too, at any size or device) or ``"off"``.
            Exact readouts without trajectories only: shots sample with an operation XLA has no kernel
            for, and trajectories' draws would differ in the gradient's recomputation.
    """

    dtype: str = "complex64"
    device: str | None = None
    trajectories: int | None = None
    xla: str = "auto"

    def __post_init__(self):
        super().__post_init__()
        if self.trajectories is not None:
            check_int("trajectories", self.trajectories, minimum=1, maximum=10 ** 6)
            if self.repetitions is not None:
                raise ConfigurationError("statevector: shots (repetitions) with trajectories is not supported; "
                                         "shots sample the exact density matrix (leave trajectories unset).")
        if self.xla not in XLA_MODES:
            raise ConfigurationError(
                f"Unknown statevector xla mode {self.xla!r}; expected one of {', '.join(XLA_MODES)}.")
        if self.xla == "on" and (self.repetitions is not None or self.trajectories is not None):
            what = "shots (repetitions)" if self.repetitions is not None else "trajectories"
            raise ConfigurationError(f"statevector: xla='on' does not run {what}; use xla='auto' or 'off'.")
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


@register_backend("statevector", options=StatevectorOptions, differentiable=True, gpu=True,
                  description="our batched TensorFlow engine: exact autodiff gradients, CPU or GPU")
class StatevectorBackend(Backend):
    """The batched engine as a backend: layer kernels, expectations and states."""

    state_copies = FORWARD_COPIES

    @property
    def density_matrices(self) -> bool:  # type: ignore[override]
        """Noise runs density matrices unless trajectories are asked for."""
        return self.options.trajectories is None

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

    def check_fits(self, n_qubits: int, ansatz: Ansatz | None = None) -> int:
        """As every backend's, except for a circuit without multi-qubit gates or noise channels: the
        engine runs it as a product state (:mod:`.product`), whose memory grows with the qubits."""
        if ansatz is not None and ansatz.unentangled and not self.noise.has_channels:
            return 2 * n_qubits * self.bytes_per_amplitude * self.state_copies
        return super().check_fits(n_qubits, ansatz)

    def layer_kernel(self, ansatz: Ansatz) -> StatevectorKernel:
        from sims.backends.statevector.layer_kernel import StatevectorKernel  # TensorFlow, when a layer needs it

        self.check_fits(ansatz.n_qubits, ansatz)
        options = self.options
        return StatevectorKernel(ansatz, dtype=self._dtype(), device=self.device_name, noise=self.noise,
                                 repetitions=options.repetitions, seed=options.shot_seed,
                                 trajectories=options.trajectories, xla=options.xla)

    def _program(self, ansatz: Ansatz):
        """A per-sample program (every symbol's value per row), compiled once per ansatz.

        It runs eagerly: these calls are few and large (a report, a descriptor seed), and
        tracing a graph of a deep circuit costs more than the per-operation overhead it saves.
        """
        from sims.backends.statevector.engine import compile_ansatz

        cached = self._cache.get(id(ansatz))
        if cached is None or cached[0] is not ansatz:
            cached = (ansatz, compile_ansatz(ansatz, shared_weights=False, dtype=self._dtype(), noise=self.noise,
                                             trajectories=self.options.trajectories, seed=self.options.shot_seed))
            self._cache = {id(ansatz): cached}  # one at a time: descriptors and reports reuse the last
        return cached[1]

    def _run(self, ansatz: Ansatz, values: np.ndarray, states: bool) -> np.ndarray:
        from sims.tf_env import tf

        values = self._checked_values(ansatz, values)
        self.check_fits(ansatz.n_qubits, None if states else ansatz)
        program = self._program(ansatz)
        run = program.states if states else program.expectations
        rows_per_sample = getattr(program, "trajectories", 1)
        if not states and getattr(program, "gates", None) is not None:  # a product state: no 2^n rows
            chunk = max(1, len(values))
        else:
            chunk = max(1, samples_per_chunk(program.plan.n_qubits, self.bytes_per_amplitude) // rows_per_sample)
        parts, errors = [], []
        with tf.device(self.device_name) if self.device_name else contextlib.nullcontext():
            for start in range(0, len(values), chunk):
                part = tf.constant(values[start:start + chunk], self._dtype())
                parts.append(run(part, None, int(part.shape[0])).numpy())
                error = getattr(program, "last_standard_error", None)
                if not states and error is not None:
                    errors.append(error.numpy())
        self.last_standard_error = np.concatenate(errors).astype(float) if errors else None
        if parts:
            return np.concatenate(parts)
        return np.zeros((0, 2 ** ansatz.n_qubits if states else ansatz.n_readouts))

    def expectations(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        exact = self._run(ansatz, values, states=False).astype(float)
        if self.last_standard_error is not None:  # readout error scales the estimates and their spread alike
            self.last_standard_error = self.last_standard_error * np.abs(self.noise.readout_factors(ansatz.readouts))
        return finish_expectations(exact, ansatz.readouts, self.options, self._shot_rng())

    def states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        self._refuse_states_under_noise(ansatz)
        return self._run(ansatz, values, states=True)

    def mixed_states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        """Complex ``[batch, 2^n, 2^n]`` final density matrices under the noise (``|psi><psi|`` without channels).

        Raises:
            ConfigurationError: with trajectories (they give no density matrix).
        """
        if self.options.trajectories is not None:
            raise ConfigurationError("statevector: trajectories give no density matrix; leave trajectories unset.")
        if self.noise.has_channels or has_channels(ansatz.circuit):
            return self._run(ansatz, values, states=True)
        psi = self._run(ansatz, values, states=True)
        return psi[:, :, None] * psi[:, None, :].conj()
