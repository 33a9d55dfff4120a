"""Expressibility, entangling capability and gradient variance of a registered ansatz.

Data encodings are switched off (``encoding="none"``); a plugin that does not
accept that keeps its encoding with every data value fixed at 0, and the result
says which. Parameters are uniform in [0, 2 pi). Each measure is repeated over
``seeds`` independent seeds; the value is the mean and the uncertainty the
standard deviation across seeds.

States come from :mod:`sims.statevector` (batched, exact); the same states serve
both expressibility (as pairs) and entangling capability. Gradients of the cost
``<Z0 Z1>`` (``<Z0>`` on one qubit) with respect to the first trainable parameter
(which is in the first layer) are exact: TFQ's adjoint differentiator, one
batched call per seed (McClean et al., Nat. Commun. 9, 4812, 2018).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cirq
import numpy as np

import plugins
from qcircuits.ansatz import Ansatz
from qcircuits.descriptors import expressibility, meyer_wallach, pair_fidelities
from qcircuits.errors import ConfigurationError
from sims.backends import Backend
from sims.statevector import batched_states

MAX_METRIC_QUBITS = 14  # 2 x samples states of 2^n amplitudes, plus 2x2 reduced density matrices
METRICS = ("expressibility", "entangling_capability", "gradient_variance")


@dataclasses.dataclass
class DescriptorOptions:
    """Sample counts of the three measures (defaults follow Sim et al.)."""

    samples: int = 5000
    grad_samples: int = 500
    seeds: int = 3
    bins: int = 75
    seed: int = 0
    backend: str = "batched"  # or any sims.backends name (qsim, cirq, qsim-gpu, ...) for the states

    def __post_init__(self):
        for name in ("samples", "grad_samples", "seeds", "bins"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer; got {value!r}.")
        if self.seeds < 2:
            raise ConfigurationError(f"seeds must be >= 2 to give an uncertainty; got {self.seeds}.")


def metric_ansatz(name: str, **options: Any) -> tuple[Ansatz, str]:
    """Builds ``name`` with its encoding switched off (or fixed at 0 when the plugin insists)."""
    try:
        return plugins.create(name, **options, encoding="none"), "off (encoding='none')"
    except plugins.PluginError as exc:
        if "does not take these options" not in str(exc):
            raise
        return plugins.create(name, **options), "fixed (every data value 0)"


def _check(ansatz: Ansatz) -> None:
    if ansatz.n_weights == 0:
        raise ConfigurationError(f"{ansatz.family} has no trainable parameters; the descriptors need some.")
    if ansatz.n_qubits > MAX_METRIC_QUBITS:
        raise ConfigurationError(
            f"Descriptors need many states of 2^{ansatz.n_qubits} amplitudes and their reduced density "
            f"matrices; at most {MAX_METRIC_QUBITS} qubits are supported, got {ansatz.n_qubits}.")


def _random_values(ansatz: Ansatz, count: int, rng: np.random.Generator) -> np.ndarray:
    weights = rng.uniform(0, 2 * np.pi, (count, ansatz.n_weights))
    return np.concatenate([np.zeros((count, ansatz.n_data_symbols)), weights], axis=1)


def states_for(ansatz: Ansatz, values: np.ndarray, backend: Backend | None = None, chunk: int = 4096) -> np.ndarray:
    """Final states in chunks (bounded memory): the batched simulator, or ``backend`` when given."""
    def simulate(v: np.ndarray) -> np.ndarray:
        if backend is None:
            return batched_states(ansatz.circuit, ansatz.qubits, ansatz.symbols, v)
        return backend.states(ansatz, v)

    return np.concatenate([simulate(values[i:i + chunk]) for i in range(0, len(values), chunk)])


def expressibility_and_entanglement(ansatz: Ansatz, options: DescriptorOptions, seed: int,
                                    backend: Backend | None = None) -> tuple[float, float]:
    """One seed: expressibility from ``samples`` pairs and mean Q over the first ``samples`` states."""
    rng = np.random.default_rng(seed)
    states = states_for(ansatz, _random_values(ansatz, 2 * options.samples, rng), backend)
    first, second = states[:options.samples], states[options.samples:]
    expr = expressibility(pair_fidelities(first, second), ansatz.n_qubits, options.bins)
    return expr, float(np.mean(meyer_wallach(first, ansatz.n_qubits)))


def cost_observable(ansatz: Ansatz) -> cirq.PauliString:
    q = ansatz.qubits
    return cirq.Z(q[0]) * cirq.Z(q[1]) if len(q) > 1 else cirq.Z(q[0]) * 1


def gradient_samples(ansatz: Ansatz, count: int, seed: int) -> np.ndarray:
    """``d<Z0 Z1>/d theta_0`` at ``count`` random parameter sets (TFQ adjoint, one batch)."""
    from sims.tf_env import tf, tfq

    values = tf.Variable(_random_values(ansatz, count, np.random.default_rng(seed)), dtype=tf.float32)
    circuits = tf.tile(tfq.convert_to_tensor([ansatz.circuit]), [count])
    operators = tf.tile(tfq.convert_to_tensor([[cost_observable(ansatz)]]), [count, 1])
    layer = tfq.layers.Expectation(differentiator=tfq.differentiators.Adjoint())
    with tf.GradientTape() as tape:
        cost = layer(circuits, symbol_names=[s.name for s in ansatz.symbols], symbol_values=values,
                     operators=operators)
    gradients = tape.gradient(cost, values).numpy()
    return gradients[:, ansatz.n_data_symbols].astype(float)  # theta_0: the first weight, in layer 1


def describe_ansatz(name: str, qubits: int, depth: int, options: DescriptorOptions,
                    metrics: tuple[str, ...] = METRICS) -> dict[str, Any]:
    """All requested descriptors of one ansatz, with uncertainties and per-seed values."""
    ansatz, encoding_note = metric_ansatz(name, qubits=qubits, depth=depth)
    _check(ansatz)
    backend = None  # the batched simulator
    if options.backend != "batched":
        from sims.backends import make_backend

        backend = make_backend(options.backend, qubits=ansatz.n_qubits)  # a missing GPU fails here, before any work
    seeds = [options.seed + 1000 * k for k in range(options.seeds)]
    result: dict[str, Any] = {"ansatz": name, "qubits": ansatz.n_qubits, "depth": ansatz.depth,
                              "trainable_parameters": ansatz.n_weights, "data_encoding": encoding_note,
                              "samples": options.samples, "grad_samples": options.grad_samples,
                              "seeds": seeds, "bins": options.bins, "state_backend": options.backend}
    if "expressibility" in metrics or "entangling_capability" in metrics:
        pairs = [expressibility_and_entanglement(ansatz, options, s, backend) for s in seeds]
        for key, values in (("expressibility", [p[0] for p in pairs]), ("entangling_capability", [p[1] for p in pairs])):
            result[key] = {"value": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "per_seed": values}
    if "gradient_variance" in metrics:
        variances = [float(np.var(gradient_samples(ansatz, options.grad_samples, s))) for s in seeds]
        result["gradient_variance"] = {"value": float(np.mean(variances)), "std": float(np.std(variances, ddof=1)),
                                       "per_seed": variances, "cost": "<Z0 Z1>" if ansatz.n_qubits > 1 else "<Z0>",
                                       "parameter": ansatz.weight_symbols[0].name}
    return result
