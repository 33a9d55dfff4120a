"""The Keras side of a NER head: :class:`TaggingHead`, the one layer for every kind of head.

What a head computes is its kind, a :class:`~sims.ner.heads.Head` from the head
registry (``quantum``, ``bottleneck``, ``linear``, or a user's own). :class:`TaggingHead`
is the one Keras layer for every kind: it owns the sub-layers (so checkpoints name them
alike), the shared design steps (layer normalisation and trainable scaling of the
projection, angle scaling, readout widening) and the final linear layer to the tags.

Every head works on ``[words, hidden]`` and on ``[batch, words, hidden]`` with a mask,
where only real words are computed. :class:`HeadDesign` holds the options that shape
the quantum head and its twin (Mari et al. 2020, the dressed quantum circuit; Bowles,
Ahmed and Schuld 2024 on fair classical controls).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qcircuits.errors import ConfigurationError
from sims.layers import QuantumLayer
from sims.ner.heads.design import HeadDesign
from sims.ner.heads.registry import call_plugin_head, get_head, head_source
from sims.tf_env import keras, tf


@keras.utils.register_keras_serializable(package="qcircuits")
class TaggingHead(keras.layers.Layer):
    """A per-word tagging head of a registered kind.

    Args:
        kind: a registered head name (``quantum``, ``bottleneck``, ``linear``, ...).
        n_tags: number of tags.
        qubits: width of the quantum layer and of the classical bottleneck.
        ansatz: registered ansatz (heads that run a circuit).
        ansatz_options: options for the ansatz (depth, entanglement, encoding, ...).
        backend: quantum layer backend (``auto``, ``statevector`` or ``tfq`` for training).
        noise: noise on the circuits (a spec, :mod:`qcircuits.noise`; ``"none"`` or None: noiseless).
        shots: shots per readout of the circuits (None: exact expectations).
        design: a :class:`HeadDesign` (or its dict); the defaults reproduce the plain head.
        seed: initialiser seed.
        batch_size: the words per training batch, when every batch has that many (a planning hint for
            the circuits: :class:`~sims.layers.QuantumLayer`'s ``batch_size``).

    Raises:
        ConfigurationError: for an unknown kind.
    """

    def __init__(self, kind: str, n_tags: int, *, qubits: int = 8, ansatz: str = "strongly_entangling",
                 ansatz_options: dict | None = None, backend: str = "auto", noise: str | None = None,
                 shots: int | None = None, design: HeadDesign | dict | None = None, seed: int = 0,
                 batch_size: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.head_type = get_head(kind)
        self.kind, self.n_tags, self.qubits, self.seed = kind, int(n_tags), int(qubits), seed
        self.ansatz_name, self.ansatz_options, self.backend = ansatz, dict(ansatz_options or {}), backend
        self.noise, self.shots = (None if noise in (None, "none") else noise), shots
        self.batch_size = batch_size
        self.design = design if isinstance(design, HeadDesign) else HeadDesign(**(design or {}))
        self.supports_masking = True
        self.blocks: list[keras.layers.Layer] = []
        self.projection: keras.layers.Dense | None = None
        self.norm = None
        self.pairs = self.design.pairs(self.qubits) if self.head_type.uses_design else []
        self.upload_layers = 1  # circuit layers that read their own angles (re-uploading per layer)
        call_plugin_head(kind, "build", lambda: self.head_type.build(self))
        if self.projection is not None and self.design.scaling == "layernorm":
            self.norm = keras.layers.LayerNormalization(name="norm")
        self.output_layer = keras.layers.Dense(self.n_tags, kernel_initializer=keras.initializers.GlorotUniform(
            seed=seed), name="tags")

    def build(self, input_shape):
        if self.projection is not None and self.design.trainable_scaling:
            shape = (self.projection.units,) if self.upload_layers == 1 else (self.upload_layers, self.projection.units)
            self.input_scale = self.add_weight(name="input_scale", shape=shape, initializer="ones")
        super().build(input_shape)

    def projected(self, x: tf.Tensor) -> tf.Tensor:
        """The projection, then layer normalisation and trainable scaling where the design asks.

        A circuit that re-uploads per layer reads one copy per layer, layer after layer; with
        trainable scaling each copy has its own factors.
        """
        assert self.projection is not None  # only heads with a projection call this
        u = self.projection(x)
        if self.norm is not None:
            u = self.norm(u)
        if not self.design.trainable_scaling:
            return self.per_layer(u)
        if self.upload_layers == 1:
            return u * self.input_scale
        scaled = u[..., None, :] * self.input_scale  # [..., layers, n]
        return tf.reshape(scaled, tf.concat([tf.shape(u)[:-1], [self.upload_layers * self.projection.units]], 0))

    def per_layer(self, u: tf.Tensor) -> tf.Tensor:
        """``u`` once for every layer that reads its own angles: ``[..., n] -> [..., layers * n]``."""
        return u if self.upload_layers == 1 else tf.concat([u] * self.upload_layers, axis=-1)

    def angles(self, u: tf.Tensor) -> tf.Tensor:
        """Rotation angles: as is (``linear`` scaling), ``gd(u)`` (``gudermannian``) or ``pi/2 * tanh(u)``."""
        if self.design.scaling == "linear":
            return u
        if self.design.scaling == "gudermannian":  # asin(tanh u), in the form whose gradient stays finite
            return 2.0 * tf.atan(tf.tanh(u / 2.0))
        return (np.pi / 2) * tf.tanh(u)

    def widened(self, h: tf.Tensor) -> tf.Tensor:
        """A classical head's readout widening: the units and the products of the design's pairs."""
        if not self.pairs:
            return h
        index = np.array(self.pairs, dtype=np.int32)
        products = tf.gather(h, index[:, 0], axis=-1) * tf.gather(h, index[:, 1], axis=-1)
        return tf.concat([h, products], axis=-1)

    def features(self, x: tf.Tensor, mask=None) -> tf.Tensor:
        """What the tag layer reads: the head kind's features of ``x``.

        Raises:
            ConfigurationError: when a plugin head fails or returns something other than a
                tensor of the input's rank (naming the head and its source).
        """
        out = call_plugin_head(self.kind, "features", lambda: self.head_type.features(self, x, mask))
        if not tf.is_tensor(out) or (out.shape.rank is not None and x.shape.rank is not None
                                     and out.shape.rank != x.shape.rank):
            what = f"a tensor of shape {out.shape.as_list()}" if tf.is_tensor(out) else type(out).__name__
            raise ConfigurationError(
                f"Head {self.kind!r} ({head_source(self.kind)}): features() returned {what}; expected a tensor "
                f"[..., width] of the input's rank {x.shape.rank}.")
        return out

    def call(self, inputs, mask=None):
        return self.output_layer(self.features(inputs, mask))

    def compute_mask(self, inputs, mask=None):
        return mask

    def circuit_variables(self) -> list[tf.Variable]:
        """The circuits' weights (for their own learning rate)."""
        return [block.circuit_weights for block in self.blocks if isinstance(block, QuantumLayer)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(kind=self.kind, n_tags=self.n_tags, qubits=self.qubits, ansatz=self.ansatz_name,
                      ansatz_options=self.ansatz_options, backend=self.backend, noise=self.noise, shots=self.shots,
                      design=self.design.to_config(), seed=self.seed, batch_size=self.batch_size)
        return config
