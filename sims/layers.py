"""Keras layers that make any registered ansatz a differentiable TFQ layer.

:class:`QuantumLayer` owns an ansatz's weights and maps input features onto its
data symbols. The default backend, ``"tfq"``, runs TFQ's native ops (qsim's C++
kernels) with the exact adjoint gradient: the template circuit is serialised
once at construction and tiled to the batch inside the graph, so a training step
does no Python work per sample and no circuit serialisation.

Backends ``"qsim"``, ``"cirq"`` and the GPU ones evaluate the same ansatz through
:mod:`sims.backends` for cross-checks and evaluation; they run outside the graph
(``tf.numpy_function``) and give no gradients, so train with ``"tfq"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import plugins
from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from sims.backends import GPU_BACKENDS, Backend, make_backend
from sims.memory import check_state_fits
from sims.tf_env import keras, tf, tfq

LAYER_BACKENDS = ("tfq", "qsim", "cirq") + GPU_BACKENDS  # GPU ones: forward only, like qsim
PROJECTIONS = ("auto", "learned", "fixed", "none")


def resolve_ansatz(name: str, options: dict[str, Any], source: str | None = None) -> Ansatz:
    """Builds a registered ansatz, reloading its plugin from ``source`` if needed.

    Raises:
        ConfigurationError: naming the plugin to register when it cannot be found.
    """
    if name not in plugins.list_ansatze() and source:
        kind, _, where = source.partition(" ")
        if kind in ("file", "module"):
            try:
                plugins.load_plugin(where)
            except plugins.PluginError:
                pass
    if name not in plugins.list_ansatze() and source:  # a saved model whose plugin is missing
        raise ConfigurationError(
            f"Ansatz {name!r} is not registered. It came from {source}. Register that plugin "
            "(pip install it, import it, or plugins.load_plugin(...)) before loading this model."
        )
    return plugins.create(name, **options)  # an unknown name lists the closest registered ones


class ExpectationKernel:
    """The native TFQ computation for one ansatz: features + weights -> readouts.

    Everything that does not depend on the batch (the serialised circuit, symbol
    names, operators, IQP pair indices) is prepared once here.
    """

    def __init__(self, ansatz: Ansatz, *, repetitions: int | None = None):
        self.ansatz = ansatz
        self.circuit = tfq.convert_to_tensor([ansatz.circuit])
        self.symbol_names = tf.constant([s.name for s in ansatz.symbols])
        self.operators = tfq.convert_to_tensor([list(ansatz.readouts)])
        pairs = np.array(ansatz.encoding.product_pairs, dtype=np.int32).reshape(-1, 2)
        self.pair_i, self.pair_j = tf.constant(pairs[:, 0]), tf.constant(pairs[:, 1])
        self.repetitions = repetitions
        if repetitions is None:
            self.layer = tfq.layers.Expectation(differentiator=tfq.differentiators.Adjoint())
        else:
            # Shot noise as hardware gives it; adjoint needs exact states, so parameter shift.
            self.layer = tfq.layers.SampledExpectation(differentiator=tfq.differentiators.ParameterShift())

    def symbol_values(self, features: tf.Tensor | None, weights: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
        """``[batch, n_symbols]``: features, IQP products, then the weights shared by the batch."""
        parts = []
        if features is not None:
            parts.append(features)
            if self.ansatz.encoding.product_pairs:
                shifted = np.pi - features
                parts.append(tf.gather(shifted, self.pair_i, axis=-1) * tf.gather(shifted, self.pair_j, axis=-1))
        parts.append(tf.tile(weights[tf.newaxis, :], [batch, 1]))
        return tf.concat(parts, axis=-1)

    def __call__(self, features: tf.Tensor | None, weights: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
        """Readouts ``[batch, n_readouts]``; ``features`` is None when the ansatz encodes no data."""
        dtype = features.dtype if features is not None else weights.dtype
        values = self.symbol_values(features, tf.cast(weights, dtype), batch)
        circuits = tf.tile(self.circuit, [batch])
        operators = tf.tile(self.operators, [batch, 1])
        kwargs = dict(symbol_names=self.symbol_names, symbol_values=values, operators=operators)
        if self.repetitions is not None:
            kwargs["repetitions"] = tf.fill([batch, self.ansatz.n_readouts], self.repetitions)
        return self.layer(circuits, **kwargs)


@keras.utils.register_keras_serializable(package="qcircuits")
class QuantumLayer(keras.layers.Layer):
    """A registered ansatz as a Keras layer: ``[..., in_features] -> [..., n_readouts]``.

    Inputs are ``[batch, features]``, ``[batch, seq, features]`` with a Keras mask
    (or an explicit ``mask=``), or a ``tf.RaggedTensor`` ``[batch, (seq), features]``.
    With a sequence, only the real (unmasked) positions are simulated; padded
    positions output zeros.

    The input features become the encoding's rotation angles (radians). When the
    input width differs from the encoding's feature count, ``projection`` decides
    how they are mapped: ``"learned"`` (a trainable dense layer, the default under
    ``"auto"``), ``"fixed"`` (a seeded random Gaussian matrix, not trained), or
    ``"none"`` (widths must match).

    Args:
        ansatz: registered ansatz name.
        backend: ``"tfq"`` (native, differentiable; default), ``"qsim"`` or ``"cirq"``
            (forward only, for evaluation and cross-checks), or ``"qsim-gpu"``/``"qsim-custatevec"``
            (forward only; need ``make gpu`` and a device, else fail at construction).
        projection: ``"auto"``, ``"learned"``, ``"fixed"`` or ``"none"``.
        weight_initializer: Keras initializer for the circuit weights
            (default uniform in [0, 2 pi)).
        repetitions: if set, sampled expectations with this many shots (``tfq`` only).
        ansatz_source: where the ansatz came from (set automatically; used to reload
            a plugin when a saved model is loaded).
        seed: seed of the default initialisers and of the ``"fixed"`` projection.
        **ansatz_options: passed to the ansatz factory (``qubits``, ``depth``,
            ``entanglement``, ``encoding``, ``features``, ``reupload``, ``readout``).
    """

    def __init__(self, ansatz: str, *, backend: str = "tfq", projection: str = "auto",
                 weight_initializer: Any = None, repetitions: int | None = None,
                 ansatz_source: str | None = None, seed: int = 0, ansatz_options: dict | None = None,
                 **kwargs: Any):
        layer_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in ("name", "dtype", "trainable")}
        options = dict(ansatz_options or {}, **kwargs)
        super().__init__(**layer_kwargs)
        if not isinstance(ansatz, str):
            raise TypeError(f"ansatz must be a registered name (str). Given: {ansatz!r}")
        if backend not in LAYER_BACKENDS:
            raise ConfigurationError(f"Unknown layer backend {backend!r}; expected one of {', '.join(LAYER_BACKENDS)}.")
        if projection not in PROJECTIONS:
            raise ConfigurationError(f"Unknown projection {projection!r}; expected one of {', '.join(PROJECTIONS)}.")
        if repetitions is not None and (backend != "tfq" or int(repetitions) < 1):
            raise ConfigurationError(
                f"repetitions={repetitions!r} needs backend='tfq' and a positive shot count.")
        self.ansatz = resolve_ansatz(ansatz, options, ansatz_source)
        self.ansatz_name = ansatz
        self.ansatz_source = ansatz_source or plugins.get(ansatz).source
        self.backend_name = backend
        self.projection = projection
        self.repetitions = repetitions
        self.seed = seed
        self.weight_initializer = keras.initializers.get(
            weight_initializer or keras.initializers.RandomUniform(0.0, 2 * np.pi, seed=seed))
        self.supports_masking = True
        # TFQ runs one state per thread at a time; refuse what cannot fit before building.
        check_state_fits(self.ansatz.n_qubits, bytes_per_amplitude=8, copies=4, what="a TFQ layer")
        self._backend: Backend | None = None
        if backend == "tfq":
            self.kernel = ExpectationKernel(self.ansatz, repetitions=repetitions)
        else:
            self._backend = make_backend(backend)  # a missing GPU build fails here, at construction

    @property
    def n_readouts(self) -> int:
        return self.ansatz.n_readouts

    def build(self, input_shape):
        width = int(input_shape[-1])
        needed = self.ansatz.n_features
        mode = self.projection
        if mode == "auto":
            mode = "none" if width == needed else "learned"
        if mode == "none" and width != needed:
            raise ConfigurationError(
                f"QuantumLayer got {width} input features but {self.ansatz_name} encodes {needed}; "
                "use projection='learned' or 'fixed'.")
        self.projection_mode = mode
        if mode == "learned" and needed:
            self.projection_kernel = self.add_weight(
                name="projection_kernel", shape=(width, needed),
                initializer=keras.initializers.GlorotUniform(seed=self.seed))
            self.projection_bias = self.add_weight(name="projection_bias", shape=(needed,), initializer="zeros")
        elif mode == "fixed" and needed:
            matrix = np.random.default_rng(self.seed).normal(0, 1 / np.sqrt(width), (width, needed))
            self.projection_kernel = self.add_weight(
                name="projection_kernel", shape=(width, needed), trainable=False,
                initializer=keras.initializers.Constant(matrix))
            self.projection_bias = None
        self.circuit_weights = self.add_weight(
            name="circuit_weights", shape=(self.ansatz.n_weights,), initializer=self.weight_initializer)
        super().build(input_shape)

    def _features(self, x: tf.Tensor) -> tf.Tensor | None:
        if not self.ansatz.n_features:
            return None
        if self.projection_mode in ("learned", "fixed"):
            x = tf.matmul(x, self.projection_kernel)
            if self.projection_bias is not None:
                x = x + self.projection_bias
        return x

    def _evaluate_flat(self, x: tf.Tensor) -> tf.Tensor:
        """``[n, width] -> [n, n_readouts]`` on the chosen backend."""
        features = self._features(x)
        if self._backend is None:
            return tf.cast(self.kernel(features, self.circuit_weights, tf.shape(x)[0]), x.dtype)
        out = tf.numpy_function(self._evaluate_numpy, [features if features is not None else x[:, :0],
                                                       self.circuit_weights], tf.float64)
        out = tf.reshape(out, [tf.shape(x)[0], self.n_readouts])
        return tf.cast(out, x.dtype)

    def _evaluate_numpy(self, features: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, self.n_readouts))
        values = self.ansatz.parameter_values(features if self.ansatz.n_features else None,
                                              np.broadcast_to(weights, (len(features), len(weights))))
        return self._backend.expectations(self.ansatz, values)

    def call(self, inputs, mask=None):
        if isinstance(inputs, tf.RaggedTensor):
            return inputs.with_flat_values(self._evaluate_flat(inputs.flat_values))
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank == 2 and mask is None:
            return self._evaluate_flat(inputs)
        if mask is None:
            mask = tf.ones(tf.shape(inputs)[:-1], dtype=tf.bool)
        positions = tf.where(tf.cast(mask, tf.bool))  # only real tokens are simulated
        real = tf.gather_nd(inputs, positions)
        values = self._evaluate_flat(real)
        shape = tf.concat([tf.shape(inputs)[:-1], [self.n_readouts]], axis=0)
        return tf.scatter_nd(positions, values, tf.cast(shape, tf.int64))

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)[:-1].concatenate([self.n_readouts])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            ansatz=self.ansatz_name,
            ansatz_options=_jsonable(dict(self.ansatz.options)),
            ansatz_source=self.ansatz_source,
            backend=self.backend_name,
            projection=self.projection,
            weight_initializer=keras.initializers.serialize(self.weight_initializer),
            repetitions=self.repetitions,
            seed=self.seed,
        )
        return config


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def pqc_layer(ansatz: str, *, controlled: bool = False, repetitions: int | None = None,
              **ansatz_options: Any) -> keras.layers.Layer:
    """The classic TFQ form: circuits come in as data, only the weights train.

    Builds ``ansatz`` without a data encoding (``encoding="none"``) and wraps it
    in ``tfq.layers.PQC`` (or ``ControlledPQC`` when ``controlled``, whose
    weights come in as a second input) with the adjoint differentiator.
    Feed it data circuits, e.g. from :func:`encoding_circuits`.
    """
    model = plugins.create(ansatz, **{**ansatz_options, "encoding": "none"})
    differentiator = (tfq.differentiators.ParameterShift() if repetitions
                      else tfq.differentiators.Adjoint())
    if controlled:
        return tfq.layers.ControlledPQC(model.circuit, list(model.readouts), repetitions=repetitions,
                                        differentiator=differentiator)
    return tfq.layers.PQC(model.circuit, list(model.readouts), repetitions=repetitions,
                          differentiator=differentiator)


def pqc_weight_order(ansatz: str, **ansatz_options: Any) -> np.ndarray:
    """Indices that reorder :class:`QuantumLayer` weights into ``tfq.layers.PQC`` order.

    PQC sorts its symbols by name (so ``theta_10`` comes before ``theta_2``);
    ``pqc.set_weights([layer.circuit_weights.numpy()[order]])`` copies weights over.
    """
    model = plugins.create(ansatz, **{**ansatz_options, "encoding": "none"})
    return np.argsort([s.name for s in model.weight_symbols], kind="stable")


def encoding_circuits(ansatz: str, features: np.ndarray, **ansatz_options: Any) -> tf.Tensor:
    """Data circuits for :func:`pqc_layer`: the ansatz's encoding resolved per sample.

    This serialises one circuit per sample, as the classic TFQ workflow does;
    prefer :class:`QuantumLayer` on a hot path.
    """
    import cirq

    from qcircuits.encodings import encoding_operations

    model = plugins.create(ansatz, **ansatz_options)
    template = cirq.Circuit(encoding_operations(model.encoding, model.qubits))
    values = model.parameter_values(features, np.zeros(model.n_weights))[:, :model.n_data_symbols]
    names = [s.name for s in model.data_symbols]
    return tfq.resolve_parameters(tfq.convert_to_tensor([template] * len(values)),
                                  tf.constant(names), tf.constant(values, tf.float32))
