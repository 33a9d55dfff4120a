"""Keras layers that make any registered ansatz a differentiable quantum layer.

:class:`QuantumLayer` owns an ansatz's weights and maps input features onto its
data symbols. Differentiable backends run inside TensorFlow's graph with exact
gradients: ``"statevector"`` (our batched engine, CPU or GPU) and ``"tfq"``
(TensorFlow Quantum's native ops, adjoint gradient). The default, ``"auto"``,
picks the faster of the two for the circuit's width and records why in
:attr:`QuantumLayer.backend_selection`. Either way the circuit is compiled once
at construction: a training step does no Python work per sample.

Backends ``"qsim"``, ``"cirq"`` and the GPU ones evaluate the same ansatz through
:mod:`sims.backends` for cross-checks and evaluation; they run outside the graph
(``tf.numpy_function``) and give no gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qcircuits import plugins
from qcircuits.ansatz import Ansatz
from qcircuits.errors import ConfigurationError
from qcircuits.noise import as_noise, noise_config
from qcircuits.validation import check_int, check_repetitions, warn_large_angles
from sims.atomic import to_plain
from sims.backends import AUTO, backend_names, backend_spec, make_backend
from sims.tf_env import in_xla_context, keras, tf, tfq

LAYER_BACKENDS = backend_names(with_auto=True)  # non-differentiable ones: forward only, for cross-checks
PROJECTIONS = ("auto", "learned", "fixed", "none")


class TensorFlowOps:
    """The array operations an encoding's values need (``qcircuits.encodings.ArrayOps``), for tensors."""

    def take(self, array: tf.Tensor, index: np.ndarray) -> tf.Tensor:
        return tf.gather(array, index, axis=-1)

    def concat(self, arrays: list[tf.Tensor]) -> tf.Tensor:
        return tf.concat(arrays, axis=-1)


TF_OPS = TensorFlowOps()


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
        backend: ``"auto"`` (default: ``"statevector"`` up to
            :data:`~sims.backends.AUTO_TRAIN_MAX_STATEVECTOR_QUBITS` qubits, ``"tfq"`` above;
            see :attr:`backend_selection`), ``"statevector"`` or ``"tfq"`` (differentiable),
            or ``"qsim"``/``"cirq"``/``"qsim-gpu"``/``"qsim-custatevec"`` (forward only, for
            evaluation and cross-checks; the GPU ones need ``make gpu`` and a device, else
            fail at construction).
        backend_options: options of the backend's options dataclass, e.g.
            ``{"dtype": "complex128"}`` or ``{"device": "gpu"}`` for ``statevector``; an
            option the backend does not take is an error. A ``float64`` layer uses
            complex128 states on ``statevector`` unless told otherwise.
        projection: ``"auto"``, ``"learned"``, ``"fixed"`` or ``"none"``.
        weight_initializer: Keras initializer for the circuit weights
            (default uniform in [0, 2 pi)).
        noise: noise channels and readout error: a spec such as ``"depolarize:0.01,readout:0.02"``
            (:mod:`qcircuits.noise`), a ``cirq.NoiseModel``, or None. On ``statevector`` channels run
            the exact density-matrix mode (autodiff gradients); ``auto`` counts a density matrix
            as twice the width.
        repetitions: if set, sampled expectations with this many shots per readout, and
            parameter-shift gradients with the same shots (``statevector``, ``tfq``).
        ansatz_source: where the ansatz came from (set automatically; used to reload
            a plugin when a saved model is loaded).
        seed: seed of the default initialisers and of the ``"fixed"`` projection.
        batch_size: the batch size training calls will have (``statevector``: calls traced without a
            known size, as in Keras ``fit``, are planned for it; default: the last size seen, else 1024).
        **ansatz_options: passed to the ansatz factory (``qubits``, ``depth``,
            ``entanglement``, ``encoding``, ``features``, ``reupload``, ``readout``).
    """

    def __init__(self, ansatz: str, *, backend: str = AUTO, projection: str = "auto",
                 weight_initializer: Any = None, noise: Any = None, repetitions: int | None = None,
                 ansatz_source: str | None = None, seed: int = 0, ansatz_options: dict | None = None,
                 backend_options: dict | None = None, batch_size: int | None = None, **kwargs: Any):
        layer_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in ("name", "dtype", "trainable")}
        options = dict(ansatz_options or {}, **kwargs)
        super().__init__(**layer_kwargs)
        if not isinstance(ansatz, str):
            raise TypeError(f"ansatz must be a registered name (str). Given: {ansatz!r}")
        if backend not in LAYER_BACKENDS:
            raise ConfigurationError(f"Unknown layer backend {backend!r}; expected one of {', '.join(LAYER_BACKENDS)}.")
        if projection not in PROJECTIONS:
            raise ConfigurationError(f"Unknown projection {projection!r}; expected one of {', '.join(PROJECTIONS)}.")
        if repetitions is not None:
            check_repetitions(repetitions)
        if batch_size is not None:
            check_int("batch_size", batch_size, minimum=1)
        noise_model = as_noise(noise)
        if backend_options is not None and not isinstance(backend_options, dict):
            raise ConfigurationError(f"backend_options must be a dict; got {backend_options!r}.")
        self.ansatz = resolve_ansatz(ansatz, options, ansatz_source)
        self.ansatz_name = ansatz
        self.ansatz_source = ansatz_source or plugins.get(ansatz).source
        self.backend_name = backend
        self.backend_options = dict(backend_options or {})
        self.projection = projection
        self.repetitions = repetitions
        self.noise = noise_model
        self.seed = seed
        self.weight_initializer = keras.initializers.get(
            weight_initializer or keras.initializers.RandomUniform(0.0, 2 * np.pi, seed=seed))
        self.supports_masking = True
        chosen = backend
        backend_kwargs = dict(self.backend_options)
        if repetitions is not None:
            backend_kwargs["repetitions"] = repetitions
            if chosen in ("statevector", AUTO):
                backend_kwargs.setdefault("shot_seed", seed)
        if not noise_model.is_noiseless:
            backend_kwargs["noise"] = noise_model
        if self.dtype == "float64" and "dtype" not in backend_kwargs and chosen in ("statevector", AUTO):
            backend_kwargs["dtype"] = "complex128"
        # A missing GPU build, a bad option or a circuit too large fails here, at construction.
        self._backend = make_backend(chosen, qubits=self.ansatz.n_qubits, training=True,
                                     unentangled=self.ansatz.unentangled, **backend_kwargs)
        self._backend.check_fits(self.ansatz.n_qubits, self.ansatz)
        self.backend_selection = self._backend.selection or f"{self._backend.name} (as asked)"
        self.kernel = None
        if backend_spec(self._backend.name).differentiable:
            self.kernel = self._backend.layer_kernel(self.ansatz)
        self.batch_size = batch_size
        if batch_size is not None:
            if self.kernel is not None and hasattr(self.kernel, "expect_batch"):
                self.kernel.expect_batch(batch_size)

    @property
    def resolved_backend(self) -> str:
        """The backend that runs (``auto`` resolved)."""
        return self._backend.name

    @property
    def n_readouts(self) -> int:
        return self.ansatz.n_readouts

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        if input_shape.rank is not None and input_shape.rank < 2:
            raise ConfigurationError(
                f"QuantumLayer {self.name!r} expects inputs of shape [batch, features] or "
                f"[batch, seq, features]; got shape {input_shape.as_list()}.")
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
        self.input_width = width  # every later call is checked against it (_check_width)
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

    def _data_values(self, features: tf.Tensor | None) -> tf.Tensor | None:
        """Values of the data symbols: the features, then the IQP products ``(pi - x_i)(pi - x_j)``."""
        if features is None:
            return None
        plan = self.ansatz.encoding
        return plan.encoding.values(plan, features, TF_OPS)

    def _evaluate_flat(self, x: tf.Tensor) -> tf.Tensor:
        """``[n, width] -> [n, n_readouts]`` on the chosen backend."""
        if in_xla_context() and not getattr(self.kernel, "xla_compatible", False):
            name = self._backend.name
            what = "sampled shots (repetitions)" if name == "statevector" else f"backend {name!r}"
            raise ConfigurationError(
                f"QuantumLayer {self.name!r}: {what} cannot run inside an XLA-compiled function "
                "(jit_compile=True); use backend 'statevector' with exact readouts there, or compile without XLA.")
        features = self._features(x)
        batch = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]  # static when known: memory is checked
        if self.kernel is not None:
            return tf.cast(self.kernel(self._data_values(features), self.circuit_weights, batch), x.dtype)
        out = tf.numpy_function(self._evaluate_numpy, [features if features is not None else x[:, :0],
                                                       self.circuit_weights], tf.float64)
        out = tf.reshape(out, [batch, self.n_readouts])
        return tf.cast(out, x.dtype)

    def _evaluate_numpy(self, features: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, self.n_readouts))
        values = self.ansatz.parameter_values(features if self.ansatz.n_features else None,
                                              np.broadcast_to(weights, (len(features), len(weights))))
        return self._backend.expectations(self.ansatz, values)

    def call(self, inputs, mask=None):
        if isinstance(inputs, tf.RaggedTensor):
            self._check_width(inputs.flat_values)
            return inputs.with_flat_values(self._evaluate_flat(self._as_float(inputs.flat_values)))
        inputs = self._as_float(tf.convert_to_tensor(inputs))
        self._check_input(inputs, mask)
        self._check_width(inputs)
        if tf.executing_eagerly() and self.kernel is not None and self.projection_mode == "none":
            # Eager calls only (a graph has no values to look at); the numpy backends check their own.
            warn_large_angles(inputs.numpy(), "QuantumLayer inputs")
        if inputs.shape.rank == 2 and mask is None:
            return self._evaluate_flat(inputs)
        if in_xla_context():  # static shapes: every position is simulated, the padded ones zeroed
            flat = self._evaluate_flat(tf.reshape(inputs, [-1, tf.shape(inputs)[-1]]))
            out = tf.reshape(flat, tf.concat([tf.shape(inputs)[:-1], [self.n_readouts]], axis=0))
            return out if mask is None else out * tf.cast(mask, out.dtype)[..., None]
        if mask is None:
            mask = tf.ones(tf.shape(inputs)[:-1], dtype=tf.bool)
        positions = tf.where(tf.cast(mask, tf.bool))  # only real tokens are simulated
        real = tf.gather_nd(inputs, positions)
        values = self._evaluate_flat(real)
        shape = tf.concat([tf.shape(inputs)[:-1], [self.n_readouts]], axis=0)
        return tf.scatter_nd(positions, values, tf.cast(shape, tf.int64))

    def _as_float(self, x: tf.Tensor) -> tf.Tensor:
        """Angles are real numbers: integer (or other) inputs are computed in the layer's float dtype."""
        if x.dtype == tf.string or x.dtype.is_complex or x.dtype == tf.bool:
            raise ConfigurationError(
                f"QuantumLayer {self.name!r} takes real-valued features; got a {x.dtype.name} tensor.")
        return x if x.dtype == self.compute_dtype else tf.cast(x, self.compute_dtype)

    def _check_input(self, inputs: tf.Tensor, mask) -> None:
        """Shapes: ``[batch, features]`` or ``[batch, seq, features]``, and a mask ``[batch, seq]``."""
        rank = inputs.shape.rank
        if rank is not None and rank not in (2, 3):
            raise ConfigurationError(
                f"QuantumLayer {self.name!r} expects inputs of shape [batch, features] or "
                f"[batch, seq, features]; got shape {inputs.shape.as_list()}.")
        if mask is not None and rank is not None:
            mask_shape = tf.TensorShape(getattr(mask, "shape", np.shape(mask)))
            if not mask_shape.is_compatible_with(inputs.shape[:-1]):
                raise ConfigurationError(
                    f"QuantumLayer {self.name!r}: the mask has shape {mask_shape.as_list()}; expected "
                    f"{inputs.shape[:-1].as_list()} (the input shape without its feature axis).")

    def _check_width(self, inputs: tf.Tensor) -> None:
        """Every call gets the feature count the layer was built for (a backend would silently
        drop extra features or fail deep inside for too few). Checked when tracing where the
        width is static; otherwise by an assertion in the graph."""
        width = inputs.shape[-1] if inputs.shape.rank is not None else None
        expected = getattr(self, "input_width", None)
        if expected is None:
            return
        message = (f"QuantumLayer {self.name!r} was built for {expected} input features; got "
                   f"{'a different number' if width is None else width}.")
        if width is not None:
            if width != expected:
                raise ConfigurationError(message)
            return
        tf.debugging.assert_equal(tf.shape(inputs)[-1], expected, message=message)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)[:-1].concatenate([self.n_readouts])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            ansatz=self.ansatz_name,
            ansatz_options=to_plain(dict(self.ansatz.options)),
            ansatz_source=self.ansatz_source,
            backend=self.backend_name,
            backend_options=to_plain(self.backend_options),
            projection=self.projection,
            weight_initializer=keras.initializers.serialize(self.weight_initializer),
            noise=noise_config(self.noise),
            repetitions=self.repetitions,
            seed=self.seed,
            batch_size=self.batch_size,
        )
        return config


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
    circuit = model.circuit.unfreeze(copy=False)  # TFQ takes a cirq.Circuit only
    if controlled:
        return tfq.layers.ControlledPQC(circuit, list(model.readouts), repetitions=repetitions,
                                        differentiator=differentiator)
    return tfq.layers.PQC(circuit, list(model.readouts), repetitions=repetitions,
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
