"""``auto``: which backend to use for a circuit of a given width, and why (said in one line).

Two questions get this answer. To *simulate* (reports, descriptors, evaluation),
qsim on the GPU pays off only for wide circuits. To *train* (layers), our
statevector engine is faster than TensorFlow Quantum at every width measured with
``benchmarks/layers.py --targets`` (forward+gradient, depth 3, up to 20 qubits), and TFQ
takes the wider ones; both give exact gradients. A circuit without multi-qubit gates trains
on the engine at any width: it stays a product state there (``statevector/product.py``).
"""

from __future__ import annotations

# Below this width the CPU wins (GPU launch and transfer costs dominate); the measured
# crossover goes in docs/gpu.md once it has been run on hardware.
AUTO_GPU_MIN_QUBITS = 20
# Training: the statevector engine up to this width, TFQ above. `benchmarks/layers.py --targets`
# (hardware_efficient depth 3, forward + gradient, 2 cores) measured the engine 10.8x TFQ at 16 qubits
# (batch 256) and 16.7x at 20 (batch 16), since its first block runs on the product state's factors;
# wider was not measured, so TFQ keeps the widths above (its memory is one circuit at a time).
AUTO_TRAIN_MAX_STATEVECTOR_QUBITS = 20
# Noise: the engine's exact density matrix up to this width. At matched accuracy (standard error 0.01)
# it beat the engine's own trajectories by 620x, 140x and 20x at 6, 8 and 10 qubits
# (benchmarks/noise_crossover.py, docs/noise.md); the gap shrinks about 5x per 2 qubits, so the
# crossover lies near 13-14 qubits. What stops it first is memory: training one sample's 12-qubit
# density matrix (a state of 24) needs about 15 GiB by the engine's estimate (refused on a 23 GiB
# machine); 11 qubits about 4 GiB. Above it, backends that hold one circuit at a time: TFQ's noisy
# ops (training), qsim's trajectories (simulation). The engine's trajectories stay available on
# request (trajectories=K).
AUTO_DENSITY_MAX_QUBITS = 11


def _noisy_choice(n_qubits: int, wide: str, wide_means: str) -> tuple[str, str]:
    """The engine's exact density matrix up to :data:`AUTO_DENSITY_MAX_QUBITS`, else ``wide``."""
    if n_qubits <= AUTO_DENSITY_MAX_QUBITS:
        return "statevector", (f"noise on {n_qubits} <= {AUTO_DENSITY_MAX_QUBITS} qubits: the exact density "
                               f"matrix (a state of {2 * n_qubits}) on the batched engine")
    return wide, (f"noise on {n_qubits} > {AUTO_DENSITY_MAX_QUBITS} qubits: the density matrix is too wide, "
                  f"so {wide_means}")


def choose_auto(n_qubits: int, noisy: bool = False) -> tuple[str, str]:
    """``(backend, why)`` for simulation with ``--backend auto`` (``noisy``: the circuit has noise channels)."""
    from sims.gpu_info import gpu_status

    if noisy:
        return _noisy_choice(n_qubits, "qsim", "qsim's trajectories")

    if n_qubits < AUTO_GPU_MIN_QUBITS:
        return "qsim", f"{n_qubits} qubits < {AUTO_GPU_MIN_QUBITS}: the CPU is faster for small circuits"
    reason = gpu_status().reason_unavailable("qsim-gpu")
    if reason:
        return "qsim", f"{n_qubits} qubits, but no usable GPU build or device"
    return "qsim-gpu", f"{n_qubits} qubits >= {AUTO_GPU_MIN_QUBITS} and a GPU is available"


def choose_auto_training(n_qubits: int, noisy: bool = False, unentangled: bool = False) -> tuple[str, str]:
    """``(backend, why)`` for a trainable layer with ``backend="auto"`` (``noisy``: with noise channels).

    With noise, the engine's density matrix up to :data:`AUTO_DENSITY_MAX_QUBITS`, TFQ's noisy ops above.
    ``unentangled`` (no multi-qubit gate): the engine at any width, where the circuit stays a product state.
    """
    if noisy:
        return _noisy_choice(n_qubits, "tfq", "TFQ's noisy trajectories (memory of one circuit at a time)")
    if unentangled:
        return "statevector", (f"{n_qubits} qubits without multi-qubit gates: the batched engine runs it "
                               "as a product state")
    if n_qubits <= AUTO_TRAIN_MAX_STATEVECTOR_QUBITS:
        return "statevector", (f"{n_qubits} qubits <= {AUTO_TRAIN_MAX_STATEVECTOR_QUBITS}: "
                               "the batched engine trains faster than TFQ")
    return "tfq", f"{n_qubits} qubits > {AUTO_TRAIN_MAX_STATEVECTOR_QUBITS}: TFQ's per-circuit kernels win"
