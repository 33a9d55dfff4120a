"""Simulation backends behind one interface, found through one registry.

=================  ===============================================================
``statevector``    our batched TensorFlow engine: exact gradients, CPU or GPU
``tfq``            TensorFlow Quantum's native ops, adjoint gradient (CPU)
``qsim``           qsimcirq on the CPU: the tool for large circuits
``cirq``           Cirq's reference simulator (complex128): the cross-check
``qsim-gpu``       qsimcirq's CUDA kernels (``make gpu``)
``qsim-custatevec`` qsimcirq with cuStateVec (``make gpu``)
``auto``           picks by circuit width and says why
=================  ===============================================================

Each backend is one module that registers itself with
:func:`~sims.backends.registry.register_backend`, declaring what it can do
(differentiable, GPU) and a dataclass of the options it takes.
"""

from __future__ import annotations

from typing import Any

from qcircuits.noise import as_noise
from sims.backends import cirq_reference, qsim, statevector, tfq  # noqa: F401  (they register themselves)
from sims.backends.auto import (
    AUTO_DENSITY_MAX_QUBITS,
    AUTO_GPU_MIN_QUBITS,
    AUTO_TRAIN_MAX_STATEVECTOR_QUBITS,
    choose_auto,
    choose_auto_training,
)
from sims.backends.base import Backend, parameter_sweep
from sims.backends.cirq_reference import CirqBackend
from sims.backends.qsim import GPU_BACKENDS, QsimBackend, check_gpu_options
from sims.backends.registry import (
    AUTO,
    REGISTRY,
    BackendSpec,
    backend_names,
    backend_spec,
    build_options,
    register_backend,
)
from sims.backends.statevector import StatevectorBackend
from sims.backends.tfq import TfqBackend


def make_backend(name: str, *, qubits: int | None = None, training: bool = False, unentangled: bool = False,
                 **options: Any) -> Backend:
    """Builds a backend by name with its options; ``auto`` picks by ``qubits`` and says why in ``selection``.

    Args:
        name: a registered name or ``"auto"``.
        qubits: circuit width, for ``auto``.
        training: ``auto`` chooses between the differentiable backends.
        unentangled: the circuit has no multi-qubit gate (for ``auto`` in training: the engine at
            any width, see :func:`choose_auto_training`).
        **options: the backend's options (see its options dataclass). With ``auto``,
            options the chosen backend does not take are left out and named in ``selection``.

    Raises:
        ConfigurationError: for an unknown name, an option the backend does not take, a bad
            option value, or a GPU backend this build or machine cannot run.
    """
    selection = ""
    if name == AUTO:
        noisy = options.get("noise") is not None and as_noise(options["noise"]).has_channels
        if training:
            name, why = choose_auto_training(qubits or 0, noisy=noisy, unentangled=unentangled)
        else:
            name, why = choose_auto(qubits or 0, noisy=noisy)
        taken = backend_spec(name).option_names()
        dropped = sorted(k for k in options if k not in taken)
        options = {k: v for k, v in options.items() if k in taken}
        selection = f"auto -> {name}: {why}" + (f" (not used: {', '.join(dropped)})" if dropped else "")
    spec = backend_spec(name)
    backend = spec.cls(build_options(name, options))
    backend.selection = selection
    return backend


BACKEND_NAMES = backend_names(with_auto=True)

__all__ = [
    "AUTO", "AUTO_DENSITY_MAX_QUBITS", "AUTO_GPU_MIN_QUBITS", "AUTO_TRAIN_MAX_STATEVECTOR_QUBITS",
    "BACKEND_NAMES", "Backend", "BackendSpec",
    "CirqBackend", "GPU_BACKENDS", "QsimBackend", "REGISTRY", "StatevectorBackend", "TfqBackend", "backend_names",
    "backend_spec", "build_options", "check_gpu_options", "choose_auto", "choose_auto_training", "make_backend",
    "parameter_sweep", "register_backend",
]
