"""``statevector``: our batched, differentiable state-vector engine in TensorFlow.

An ansatz is compiled once (:mod:`.gates` -> :mod:`.plan` -> :mod:`.program`) into
a TensorFlow program over a whole batch: data symbols differ per sample, the
weights are shared, and gradients for both come from autodiff. It runs where
TensorFlow places it: on a GPU when one is visible (or ``device="gpu"``).

Modules, by concern: :mod:`.backend` (the registered backend and its options),
:mod:`.layer_kernel` (a Keras layer's kernel), :mod:`.engine` (compiling an ansatz),
:mod:`.gates`, :mod:`.plan`, :mod:`.program`, :mod:`.kernels`, :mod:`.values`,
:mod:`.readouts`, :mod:`.tensors`, :mod:`.sizes`; noise: :mod:`.density` (exact density matrices as
states of twice the width), :mod:`.trajectories` (channels sampled per row) and
:mod:`.shots` (sampled readouts, parameter-shift gradients). This package only re-exports, and stays light (no
TensorFlow import) so that listing backends is fast.
"""

from sims.backends.statevector.backend import (
    DTYPES,
    StatevectorBackend,
    StatevectorOptions,
    resolve_device,
)
from sims.backends.statevector.sizes import FORWARD_COPIES, MAX_CHUNK, memory_estimate, samples_per_chunk

__all__ = ["DTYPES", "FORWARD_COPIES", "MAX_CHUNK", "StatevectorBackend", "StatevectorOptions", "memory_estimate",
           "resolve_device", "samples_per_chunk"]
