"""Expressibility, entangling capability and gradient variance of a registered ansatz.

Data encodings are switched off (``encoding="none"``); a plugin that does not
accept that keeps its encoding with every data value fixed at 0, and the result
says which. Parameters are uniform in [0, 2 pi). Each measure is repeated over
``seeds`` independent seeds; the value is the mean and the uncertainty the
standard deviation across seeds.

States come from the ``statevector`` engine (batched, every parameter per sample;
complex128 by default) or any other backend; the same states serve both
expressibility (as pairs) and entangling capability. Gradients of the cost
``<Z0 Z1>`` (``<Z0>`` on one qubit) with respect to the first trainable parameter
(which is in the first layer) are exact: the same engine's autodiff, one batched
call per seed (McClean et al., Nat. Commun. 9, 4812, 2018).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cirq
import numpy as np

from qcircuits import plugins
from qcircuits.ansatz import Ansatz
from qcircuits.descriptors import expressibility, meyer_wallach, pair_fidelities
from qcircuits.errors import ConfigurationError
from qcircuits.noise import Noise, as_noise
from qcircuits.validation import check_seed
from sims.backends import Backend, make_backend
from sims.backends.statevector.shots import shift_rule
from sims.option_fields import noise_spec, option, positive_int

MAX_METRIC_QUBITS = 14  # 2 x samples states of 2^n amplitudes, plus 2x2 reduced density matrices
METRICS = ("expressibility", "entangling_capability", "gradient_variance")
MIN_SAMPLES = 100
MIN_GRAD_SAMPLES = 10


@dataclasses.dataclass
class DescriptorOptions:
    """Sample counts of the three measures (defaults follow Sim et al.)."""

    samples: int = option(5000, "state pairs (default: %(default)s)", type=positive_int)
    grad_samples: int = option(500, "parameter sets for the gradient variance (default: %(default)s)",
                               type=positive_int)
    seeds: int = option(3, "independent repetitions giving the uncertainty (default: %(default)s)",
                        flag="--metric-seeds", type=positive_int)
    noise: str = option("none", "noise on the circuit, e.g. depolarize:0.01 (default: none). With channels, on the "
                                "exact density matrices: the expressibility from Hilbert-Schmidt overlaps "
                                "Tr(rho sigma) and the gradient variance; the entangling capability (Meyer-Wallach, "
                                "defined on pure states) is not measured", type=noise_spec)
    bins: int = 75
    seed: int = 0
    backend: str = "statevector"  # any sims.backends name (qsim, cirq, qsim-gpu, ...) for the states
    dtype: str = "complex64"  # of the statevector engine (states and gradients); errors ~1e-7, far below sampling noise

    def __post_init__(self):
        check_seed(self.seed)
        for name in ("samples", "grad_samples", "seeds", "bins"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer; got {value!r}.")
        # Fewer pairs than this put a handful in each of the 75 bins: the KL value is noise.
        if self.samples < MIN_SAMPLES:
            raise ConfigurationError(f"samples={self.samples} state pairs are too few for a meaningful "
                                     f"expressibility; expected at least {MIN_SAMPLES} (Sim et al. use 5000).")
        if self.grad_samples < MIN_GRAD_SAMPLES:
            raise ConfigurationError(f"grad_samples={self.grad_samples} are too few for a variance; expected at "
                                     f"least {MIN_GRAD_SAMPLES} (default 500).")
        if self.seeds < 2:
            raise ConfigurationError(f"seeds must be >= 2 to give an uncertainty; got {self.seeds}.")


def metric_ansatz(name: str, **options: Any) -> tuple[Ansatz, str]:
    """Builds ``name`` with its encoding switched off (or fixed at 0 when the plugin insists)."""
    try:
        return plugins.create(name, **options, encoding="none"), "off (encoding='none')"
    except plugins.UnknownOptionError as exc:
        if "encoding" not in exc.options:
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


def states_for(ansatz: Ansatz, values: np.ndarray, backend: Backend, chunk: int = 65536) -> np.ndarray:
    """Final states, in chunks (bounded memory; the backends chunk further by free memory)."""
    return np.concatenate([backend.states(ansatz, values[i:i + chunk]) for i in range(0, len(values), chunk)])


def mixed_overlaps(ansatz: Ansatz, first: np.ndarray, second: np.ndarray, backend: Any,
                   chunk: int = 4096) -> np.ndarray:
    """``Tr(rho_i sigma_i)`` of the density matrices of two lists of parameter values, in chunks.

    The Hilbert-Schmidt overlap equals the fidelity ``|<psi|phi>|^2`` on pure states, so the
    expressibility under noise is Sim et al.'s with it in place of the fidelity.
    """
    overlaps = []
    for start in range(0, len(first), chunk):
        rho = backend.mixed_states(ansatz, first[start:start + chunk])
        sigma = backend.mixed_states(ansatz, second[start:start + chunk])
        overlaps.append(np.real(np.sum(rho * sigma.conj(), axis=(1, 2))))  # Tr(rho sigma), both Hermitian
    return np.concatenate(overlaps)


def noisy_expressibility(ansatz: Ansatz, options: DescriptorOptions, seeds: list[int], backend: Any) -> list[float]:
    """Per seed: the expressibility of the noisy circuit's density matrices (:func:`mixed_overlaps`)."""
    results = []
    for seed in seeds:
        values = _random_values(ansatz, 2 * options.samples, np.random.default_rng(seed))
        overlaps = mixed_overlaps(ansatz, values[:options.samples], values[options.samples:], backend)
        results.append(expressibility(np.clip(overlaps, 0.0, 1.0), ansatz.n_qubits, options.bins))
    return results


def expressibility_and_entanglement(ansatz: Ansatz, options: DescriptorOptions, seeds: list[int],
                                    backend: Backend) -> list[tuple[float, float]]:
    """Per seed: expressibility from ``samples`` pairs and mean Q over the first ``samples`` states.

    Every seed's states are simulated in one batch: on small circuits the engine's cost is
    per operation, not per state.
    """
    values = [_random_values(ansatz, 2 * options.samples, np.random.default_rng(seed)) for seed in seeds]
    states = states_for(ansatz, np.concatenate(values), backend)
    results = []
    for k in range(len(seeds)):
        block = states[2 * options.samples * k:2 * options.samples * (k + 1)]
        first, second = block[:options.samples], block[options.samples:]
        expr = expressibility(pair_fidelities(first, second), ansatz.n_qubits, options.bins)
        results.append((expr, float(np.mean(meyer_wallach(first, ansatz.n_qubits)))))
    return results


def cost_observable(ansatz: Ansatz) -> cirq.PauliString:
    q = ansatz.qubits
    return cirq.Z(q[0]) * cirq.Z(q[1]) if len(q) > 1 else cirq.Z(q[0]) * 1


class GradientSampler:
    """``d<Z0 Z1>/d theta_0`` at random parameter sets, compiled once per ansatz.

    Where ``theta_0`` enters one gate ``sum_k exp(i omega_k theta) P_k`` (projectors
    ``P_k``), the cost is a trigonometric polynomial in ``theta_0`` whose frequencies
    are the differences ``omega_k - omega_l``, and a generalised parameter-shift rule
    gives the exact derivative from forward evaluations (two for RX/RY/RZ, four for
    controlled rotations): all shifted copies run as one batch of the statevector
    engine. Otherwise (the symbol in several gates) the engine's autodiff gives it.
    """

    def __init__(self, ansatz: Ansatz, dtype: str = "complex64", noise: Noise | None = None):
        from sims.backends.statevector.engine import compile_ansatz
        from sims.backends.statevector.gates import gate_terms
        from sims.tf_env import tf

        self.ansatz = ansatz
        self.real = tf.float64 if dtype == "complex128" else tf.float32
        # Under noise the exact density matrix: the rule still holds (a channel has no parameter).
        self.program = compile_ansatz(ansatz, shared_weights=False, dtype=self.real,
                                      readouts=[cost_observable(ansatz)], noise=noise)
        self.factor = 1.0 if noise is None else float(noise.readout_factors([cost_observable(ansatz)])[0])
        self.column = ansatz.n_data_symbols  # theta_0: the first weight, in layer 1
        gates = [t for t in gate_terms(ansatz.circuit, ansatz.qubits, ansatz.symbols) if t.symbol == self.column]
        self.rule = shift_rule(gates[0].frequencies) if len(gates) == 1 else None

    def __call__(self, count: int, seed: int) -> np.ndarray:
        return self.samples(count, [seed])[0]

    def samples(self, count: int, seeds: list[int]) -> list[np.ndarray]:
        """One array of ``count`` gradients per seed, all seeds in one batch."""
        values = np.concatenate([_random_values(self.ansatz, count, np.random.default_rng(s)) for s in seeds])
        gradients = self._gradients(values)
        return [gradients[k * count:(k + 1) * count] for k in range(len(seeds))]

    def _gradients(self, values: np.ndarray) -> np.ndarray:
        from sims.tf_env import tf

        count = len(values)
        if self.rule is None:
            tensor = tf.constant(values, self.real)
            with tf.GradientTape() as tape:  # eager: one call per seed, cheaper than tracing a graph
                tape.watch(tensor)
                cost = self.program.expectations(tensor, None, count)
            return self.factor * tape.gradient(cost, tensor).numpy()[:, self.column].astype(float)
        shifts, coefficients = self.rule.shifts, self.rule.coefficients
        batch = np.repeat(values[None], 2 * len(shifts), axis=0)
        batch[:len(shifts), :, self.column] += shifts[:, None]
        batch[len(shifts):, :, self.column] -= shifts[:, None]
        flat = tf.constant(batch.reshape(-1, values.shape[1]), self.real)
        cost = self.program.expectations(flat, None, int(flat.shape[0])).numpy().reshape(2, len(shifts), count)
        return self.factor * np.einsum("j,jb->b", coefficients, cost[0] - cost[1]).astype(float)


def gradient_samples(ansatz: Ansatz, count: int, seed: int, dtype: str = "complex64") -> np.ndarray:
    """``d<Z0 Z1>/d theta_0`` at ``count`` random parameter sets (see :class:`GradientSampler`)."""
    return GradientSampler(ansatz, dtype)(count, seed)


def checked_metric_ansatz(name: str, qubits: int, depth: int) -> tuple[Ansatz, str]:
    """:func:`metric_ansatz`, refusing what the descriptors cannot measure (before any work)."""
    ansatz, encoding_note = metric_ansatz(name, qubits=qubits, depth=depth)
    _check(ansatz)
    return ansatz, encoding_note


def describe_ansatz(name: str, qubits: int, depth: int, options: DescriptorOptions,
                    metrics: tuple[str, ...] = METRICS) -> dict[str, Any]:
    """All requested descriptors of one ansatz, with uncertainties and per-seed values."""
    ansatz, encoding_note = checked_metric_ansatz(name, qubits, depth)
    noise = as_noise(options.noise)
    if noise.has_channels:  # see DescriptorOptions.noise
        metrics = tuple(m for m in metrics if m != "entangling_capability")
        if options.backend != "statevector":
            raise ConfigurationError(f"Descriptors under noise run on the statevector engine's density matrices; "
                                     f"got backend {options.backend!r}.")
    engine_options: dict[str, Any] = {"dtype": options.dtype} if options.backend == "statevector" else {}
    if noise.has_channels:
        engine_options["noise"] = noise
    backend = make_backend(options.backend, qubits=ansatz.n_qubits, **engine_options)  # a missing GPU fails here
    seeds = [options.seed + 1000 * k for k in range(options.seeds)]
    result: dict[str, Any] = {"ansatz": name, "qubits": ansatz.n_qubits, "depth": ansatz.depth,
                              "trainable_parameters": ansatz.n_weights, "data_encoding": encoding_note,
                              "samples": options.samples, "grad_samples": options.grad_samples,
                              "seeds": seeds, "bins": options.bins, "state_backend": options.backend,
                              "noise": str(noise)}
    if noise.has_channels and "expressibility" in metrics:
        values = noisy_expressibility(ansatz, options, seeds, backend)
        result["expressibility"] = {"value": float(np.mean(values)), "std": float(np.std(values, ddof=1)),
                                    "per_seed": values, "overlap": "Tr(rho sigma)"}
    elif "expressibility" in metrics or "entangling_capability" in metrics:
        pairs = expressibility_and_entanglement(ansatz, options, seeds, backend)
        columns = (("expressibility", [p[0] for p in pairs]), ("entangling_capability", [p[1] for p in pairs]))
        for key, values in columns:
            result[key] = {"value": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "per_seed": values}
    if "gradient_variance" in metrics:
        sampler = GradientSampler(ansatz, options.dtype, noise=None if noise.is_noiseless else noise)
        variances = [float(np.var(g)) for g in sampler.samples(options.grad_samples, seeds)]
        result["gradient_variance"] = {"value": float(np.mean(variances)), "std": float(np.std(variances, ddof=1)),
                                       "per_seed": variances, "cost": "<Z0 Z1>" if ansatz.n_qubits > 1 else "<Z0>",
                                       "parameter": ansatz.weight_symbols[0].name}
    return result


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """One descriptor row as a flat table row (value and std columns)."""
    flat = {k: row[k] for k in ("ansatz", "qubits", "depth", "trainable_parameters", "data_encoding", "samples",
                                "grad_samples")}
    flat["noise"] = row.get("noise", "none")
    for key in METRICS:
        measured = row.get(key)  # under noise channels only the gradient variance is measured
        flat[key] = measured["value"] if measured else None
        flat[f"{key}_std"] = measured["std"] if measured else None
    return flat
