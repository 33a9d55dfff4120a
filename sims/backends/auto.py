"""``auto``: which backend to use for a circuit of a given width, and why (said in one line).

Two questions get this answer. To *simulate* (reports, descriptors, evaluation),
qsim on the GPU pays off only for wide circuits. To *train* (layers), our
statevector engine is faster than TensorFlow Quantum up to a width measured with
``benchmarks/layers.py`` (forward+gradient, batch 2048, depth 3), and TFQ from
there on; both give exact gradients.
"""

from __future__ import annotations

# Below this width the CPU wins (GPU launch and transfer costs dominate); the measured
# crossover goes in docs/gpu.md once it has been run on hardware.
AUTO_GPU_MIN_QUBITS = 20
# Training: the statevector engine up to this width, TFQ above (benchmarks/layers.py).
AUTO_TRAIN_MAX_STATEVECTOR_QUBITS = 16


def choose_auto(n_qubits: int, noisy: bool = False) -> tuple[str, str]:
    """``(backend, why)`` for simulation with ``--backend auto`` (``noisy``: the circuit has noise channels)."""
    from sims.gpu_info import gpu_status

    if noisy:
        if 2 * n_qubits <= AUTO_TRAIN_MAX_STATEVECTOR_QUBITS:
            return "statevector", (f"noise on {n_qubits} qubits: the exact density matrix (a state of "
                                   f"{2 * n_qubits} <= {AUTO_TRAIN_MAX_STATEVECTOR_QUBITS}) on the batched engine")
        return "qsim", f"noise on {n_qubits} qubits: the density matrix is too wide, so qsim's trajectories"

    if n_qubits < AUTO_GPU_MIN_QUBITS:
        return "qsim", f"{n_qubits} qubits < {AUTO_GPU_MIN_QUBITS}: the CPU is faster for small circuits"
    reason = gpu_status().reason_unavailable("qsim-gpu")
    if reason:
        return "qsim", f"{n_qubits} qubits, but no usable GPU build or device"
    return "qsim-gpu", f"{n_qubits} qubits >= {AUTO_GPU_MIN_QUBITS} and a GPU is available"


def choose_auto_training(n_qubits: int) -> tuple[str, str]:
    """``(backend, why)`` for a trainable layer with ``backend="auto"``."""
    if n_qubits <= AUTO_TRAIN_MAX_STATEVECTOR_QUBITS:
        return "statevector", (f"{n_qubits} qubits <= {AUTO_TRAIN_MAX_STATEVECTOR_QUBITS}: "
                               "the batched engine trains faster than TFQ")
    return "tfq", f"{n_qubits} qubits > {AUTO_TRAIN_MAX_STATEVECTOR_QUBITS}: TFQ's per-circuit kernels win"
