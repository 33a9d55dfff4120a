"""Tagging heads: what turns a word vector into tag scores.

* ``quantum``: a learned projection to the circuit's features -> angle scaling ->
  :class:`~sims.layers.QuantumLayer` (readouts in [-1, 1]), optionally several residual
  blocks deep -> a linear layer to the tags.
* ``bottleneck``: the classical twin of the same width: the same projection and scaling
  options, ``tanh`` units instead of the circuit, the same readout widening (pairwise
  products of the units) and the same residual stacking.
* ``linear``: one linear layer to the tags.

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
from sims.ner.design import HEADS, HeadDesign
from sims.tf_env import keras, tf


def circuit_initializer(design: HeadDesign, seed: int):
    """The Keras initializer of the circuit weights that ``design.init`` names."""
    if design.init == "small":
        return keras.initializers.RandomUniform(-0.1, 0.1, seed=seed)
    if design.init == "zeros":
        return keras.initializers.Zeros()
    return keras.initializers.RandomUniform(0.0, 2 * np.pi, seed=seed)


@keras.utils.register_keras_serializable(package="qcircuits")
class TaggingHead(keras.layers.Layer):
    """A per-word tagging head.

    Args:
        kind: ``quantum``, ``bottleneck`` or ``linear``.
        n_tags: number of tags.
        qubits: width of the quantum layer and of the classical bottleneck.
        ansatz: registered ansatz (quantum head).
        ansatz_options: options for the ansatz (depth, entanglement, encoding, ...).
        backend: quantum layer backend (``auto``, ``statevector`` or ``tfq`` for training).
        design: a :class:`HeadDesign` (or its dict); the defaults reproduce the plain head.
        seed: initialiser seed.
    """

    def __init__(self, kind: str, n_tags: int, *, qubits: int = 8, ansatz: str = "strongly_entangling",
                 ansatz_options: dict | None = None, backend: str = "auto",
                 design: HeadDesign | dict | None = None, seed: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        if kind not in HEADS:
            raise ConfigurationError(f"Unknown head {kind!r}; expected one of {', '.join(HEADS)}.")
        self.kind, self.n_tags, self.qubits, self.seed = kind, int(n_tags), int(qubits), seed
        self.ansatz_name, self.ansatz_options, self.backend = ansatz, dict(ansatz_options or {}), backend
        self.design = design if isinstance(design, HeadDesign) else HeadDesign(**(design or {}))
        self.supports_masking = True
        init = keras.initializers.GlorotUniform(seed=seed)
        self.blocks: list[keras.layers.Layer] = []
        self.projection = self.norm = None
        self.pairs = self.design.pairs(self.qubits)
        if kind == "quantum":
            options = {**self.ansatz_options, "qubits": self.qubits}
            if self.pairs:
                options["readout"] = self.design.circuit_readout(self.qubits)
            for block in range(self.design.blocks):
                self.blocks.append(QuantumLayer(
                    ansatz, backend=backend, projection="none", seed=seed + block, ansatz_options=options,
                    weight_initializer=circuit_initializer(self.design, seed + block), name=f"circuit_{block}"))
            self.projection = keras.layers.Dense(self.blocks[0].ansatz.n_features, kernel_initializer=init,
                                                 name="projection")
        elif kind == "bottleneck":
            self.projection = keras.layers.Dense(self.qubits, kernel_initializer=init, name="projection")
            self.blocks = [keras.layers.Dense(self.qubits, activation="tanh", name=f"units_{block}",
                                              kernel_initializer=keras.initializers.GlorotUniform(seed=seed + block))
                           for block in range(1, self.design.blocks)]
        if self.projection is not None and self.design.scaling == "layernorm":
            self.norm = keras.layers.LayerNormalization(name="norm")
        self.output_layer = keras.layers.Dense(self.n_tags, kernel_initializer=init, name="tags")

    def build(self, input_shape):
        if self.projection is not None and self.design.trainable_scaling:
            width = self.blocks[0].ansatz.n_features if self.kind == "quantum" else self.qubits
            self.input_scale = self.add_weight(name="input_scale", shape=(width,), initializer="ones")
        super().build(input_shape)

    def _angles(self, u: tf.Tensor) -> tf.Tensor:
        return u if self.design.scaling == "linear" else (np.pi / 2) * tf.tanh(u)

    def _widened(self, h: tf.Tensor) -> tf.Tensor:
        """The twin's readout widening: the units and the products of the design's pairs."""
        if not self.pairs:
            return h
        index = np.array(self.pairs, dtype=np.int32)
        products = tf.gather(h, index[:, 0], axis=-1) * tf.gather(h, index[:, 1], axis=-1)
        return tf.concat([h, products], axis=-1)

    def _hidden(self, x: tf.Tensor, mask) -> tf.Tensor:
        u = self.projection(x)
        if self.norm is not None:
            u = self.norm(u)
        if self.design.trainable_scaling:
            u = u * self.input_scale
        if self.kind == "bottleneck":
            h = tf.tanh(u)
            for block in self.blocks:  # residual: h + tanh(W h + b)
                h = h + block(h)
            return self._widened(h)
        n = self.qubits
        out = self.blocks[0](self._angles(u), mask=mask)
        for block in self.blocks[1:]:  # residual on the Z readouts: h + Q(h)
            h = out[..., :n]
            step = block(self._angles(h), mask=mask)
            out = tf.concat([h + step[..., :n], step[..., n:]], axis=-1)
        return out

    def call(self, inputs, mask=None):
        x = inputs if self.kind == "linear" else self._hidden(inputs, mask)
        return self.output_layer(x)

    def compute_mask(self, inputs, mask=None):
        return mask

    def circuit_variables(self) -> list[tf.Variable]:
        """The circuits' weights (for their own learning rate)."""
        return [block.circuit_weights for block in self.blocks if isinstance(block, QuantumLayer)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(kind=self.kind, n_tags=self.n_tags, qubits=self.qubits, ansatz=self.ansatz_name,
                      ansatz_options=self.ansatz_options, backend=self.backend, design=self.design.to_config(),
                      seed=self.seed)
        return config


def word_model(head: TaggingHead, hidden_size: int) -> keras.Model:
    """``[words, hidden] -> [words, n_tags]`` logits: the model used for predictions."""
    inputs = keras.Input((hidden_size,), name="word_vectors")
    return keras.Model(inputs, head(inputs), name="word_tagger")


class SplitRateModel(keras.Model):
    """A model whose variables are trained by several optimizers, one learning rate each.

    Adam is invariant to the scale of the gradient, so one optimizer cannot give circuit
    angles (which want steps around 1e-2) and BERT weights (around 5e-5) their own pace.
    Subclasses list their groups in :meth:`variable_groups`; the first group uses the
    compiled optimizer.
    """

    extra_optimizers: tuple = ()

    def compile(self, *, extra_optimizers=(), **kwargs: Any):
        super().compile(**kwargs)
        self.extra_optimizers = tuple(extra_optimizers)

    def variable_groups(self) -> list[list[tf.Variable]]:
        raise NotImplementedError

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.compiled_loss(y, logits, sample_weight, regularization_losses=self.losses)
        groups = self.variable_groups()
        flat = [v for group in groups for v in group]
        gradients = tape.gradient(loss, flat)
        start = 0
        for group, optimizer in zip(groups, (self.optimizer, *self.extra_optimizers)):
            if group:
                optimizer.apply_gradients(zip(gradients[start:start + len(group)], group))
            start += len(group)
        return {"loss": loss}


def _without(variables: list[tf.Variable], excluded: list[tf.Variable]) -> list[tf.Variable]:
    ids = {id(v) for v in excluded}
    return [v for v in variables if id(v) not in ids]


class FrozenTagger(SplitRateModel):
    """Word vectors -> head, for a frozen encoder: head weights, then the circuits' weights."""

    def __init__(self, head: TaggingHead, hidden_size: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.head = head
        self(tf.zeros((1, hidden_size)))

    def call(self, inputs, training=False):
        return self.head(inputs)

    def variable_groups(self) -> list[list[tf.Variable]]:
        circuit = self.head.circuit_variables()
        return [_without(self.head.trainable_variables, circuit), circuit]


class FineTuneTagger(SplitRateModel):
    """Encoder + head trained end to end: sub-tokens -> first sub-token per word -> head.

    Three groups: the encoder (``--learning-rate``), the head (``--head-learning-rate``)
    and the circuits (``--circuit-learning-rate``).
    """

    def __init__(self, bert, head: TaggingHead, **kwargs: Any):
        super().__init__(**kwargs)
        self.bert, self.head = bert, head

    def variable_groups(self) -> list[list[tf.Variable]]:
        circuit = self.head.circuit_variables()
        return [self.bert.trainable_variables, _without(self.head.trainable_variables, circuit), circuit]

    def call(self, inputs, training=False):
        hidden = self.bert(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                           training=training).last_hidden_state
        words = tf.gather(hidden, inputs["word_positions"], batch_dims=1)
        return self.head(words, mask=tf.cast(inputs["word_mask"], tf.bool))
