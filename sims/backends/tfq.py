"""TensorFlow Quantum's native ops (qsim's C++ kernels) with the exact adjoint gradient.

The template circuit is serialised once and tiled to the batch inside the
graph: no Python work per sample or per step. TFQ simulates one circuit per
sample, each in the CPU cache, which makes it strong on wider circuits (see
``auto``); it cannot use a GPU.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from qcircuits.noise import Noise, NoiseSpec
from qcircuits.validation import check_int, check_repetitions
from sims.backends.base import Backend
from sims.backends.noise_support import NoiseOptions
from sims.backends.registry import register_backend


@dataclasses.dataclass(frozen=True)
class TfqOptions(NoiseOptions):
    """Options of the ``tfq`` backend.

    Attributes:
        repetitions: if set, sampled expectations with this many shots (parameter-shift
            gradients); otherwise exact expectations with the adjoint gradient.
        trajectories: with noise channels and no shots, Monte Carlo trajectories per sample
            (TFQ's noisy ``Expectation``; parameter-shift gradients, since adjoint needs pure states).
        noise: see :class:`~sims.backends.noise_support.NoiseOptions`; channels run TFQ's
            ``backend="noisy"`` ops, readout error scales (or, with shots, biases) the readouts.
    """

    repetitions: int | None = None
    trajectories: int = 1000

    def __post_init__(self):
        super().__post_init__()
        if self.repetitions is not None:
            check_repetitions(self.repetitions)
        check_int("trajectories", self.trajectories, minimum=1, maximum=10 ** 7)


class ExpectationKernel:
    """The native TFQ computation for one ansatz: features + weights -> readouts.

    Everything that does not depend on the batch (the serialised circuit, symbol
    names, operators) is prepared once here.
    """

    xla_compatible = False  # TFQ's ops have no XLA kernels

    def __init__(self, ansatz: Ansatz, *, repetitions: int | None = None, noise: Noise | None = None,
                 trajectories: int = 1000):
        from sims.tf_env import tf, tfq

        self.ansatz = ansatz
        noise = noise if noise is not None else NoiseSpec()
        circuit = noise.noisy_circuit(ansatz.circuit) if noise.has_channels else ansatz.circuit.unfreeze(copy=False)
        self.circuit = tfq.convert_to_tensor([circuit])
        self.symbol_names = tf.constant([s.name for s in ansatz.symbols])
        self.operators = tfq.convert_to_tensor([list(ansatz.readouts)])
        factors = noise.readout_factors(ansatz.readouts)
        self.factors = None if np.all(factors == 1.0) else factors
        if repetitions is not None and self.factors is not None:
            raise ConfigurationError(f"Backend 'tfq' cannot apply readout error to sampled shots (noise {noise}); "
                                     "backends that can: statevector, cirq, qsim.")
        backend = "noisy" if noise.has_channels else None
        # Trajectories per sample for a noisy circuit's exact-mode expectations.
        self.repetitions = repetitions if repetitions is not None else (trajectories if backend else None)
        if self.repetitions is None:
            self.layer = tfq.layers.Expectation(differentiator=tfq.differentiators.Adjoint())
        elif repetitions is None:
            self.layer = tfq.layers.Expectation(backend=backend, differentiator=tfq.differentiators.ParameterShift())
        else:
            # Shot noise as hardware gives it; adjoint needs exact states, so parameter shift.
            self.layer = tfq.layers.SampledExpectation(backend=backend,
                                                       differentiator=tfq.differentiators.ParameterShift())

    def __call__(self, data_values, weights, batch):
        """Readouts ``[batch, n_readouts]`` from data-symbol values ``[batch, D]`` (or None) and shared weights."""
        from sims.tf_env import tf

        dtype = data_values.dtype if data_values is not None else weights.dtype
        parts = [] if data_values is None else [data_values]
        parts.append(tf.tile(tf.cast(weights, dtype)[tf.newaxis, :], [batch, 1]))
        return self.expectations(tf.concat(parts, axis=-1), batch)

    def expectations(self, values, batch):
        """Readouts from per-sample values of every symbol ``[batch, n_symbols]``."""
        from sims.tf_env import tf

        kwargs: dict[str, Any] = dict(symbol_names=self.symbol_names, symbol_values=values,
                                      operators=tf.tile(self.operators, [batch, 1]))
        if self.repetitions is not None:
            kwargs["repetitions"] = tf.fill([batch, self.ansatz.n_readouts], self.repetitions)
        out = self.layer(tf.tile(self.circuit, [batch]), **kwargs)
        return out if self.factors is None else out * tf.constant(self.factors, out.dtype)


@register_backend("tfq", options=TfqOptions, differentiable=True,
                  description="TensorFlow Quantum's native ops, adjoint gradient (CPU only)")
class TfqBackend(Backend):
    """TFQ's native ops, as a layer kernel and for plain evaluation."""

    state_copies = 4  # TFQ runs one state per thread at a time

    def __init__(self, options: TfqOptions | None = None):
        self.options = options or TfqOptions()

    def device(self) -> str:
        from sims.tf_env import tfq

        return f"CPU, tensorflow-quantum {tfq.__version__}"

    def layer_kernel(self, ansatz: Ansatz) -> ExpectationKernel:
        return ExpectationKernel(ansatz, repetitions=self.options.repetitions, noise=self.noise,
                                 trajectories=self.options.trajectories)

    def expectations(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        from sims.tf_env import tf

        values = self._checked_values(ansatz, values)
        self.check_fits(ansatz.n_qubits)
        kernel = self.layer_kernel(ansatz)
        out = kernel.expectations(tf.constant(values, tf.float32), len(values))
        return np.asarray(out, dtype=float)

    def states(self, ansatz: Ansatz, values: np.ndarray) -> np.ndarray:
        from sims.tf_env import tf, tfq

        self._refuse_states_under_noise(ansatz)
        values = self._checked_values(ansatz, values)
        self.check_fits(ansatz.n_qubits)
        circuits = tf.tile(tfq.convert_to_tensor([ansatz.circuit.unfreeze(copy=False)]), [len(values)])
        states = tfq.layers.State()(circuits, symbol_names=[s.name for s in ansatz.symbols],
                                    symbol_values=tf.constant(values, tf.float32))
        return states.to_tensor().numpy()
