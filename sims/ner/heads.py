"""Tagging heads: what turns a word vector into tag scores.

* ``quantum``: a learned projection to the ansatz's features -> the
  :class:`~sims.layers.QuantumLayer` (readouts in [-1, 1]) -> a linear layer to the tags.
* ``bottleneck``: a linear layer to ``qubits`` units with tanh (also in [-1, 1])
  -> a linear layer to the tags: the classical model of the same width.
* ``linear``: one linear layer to the tags.

Every head works on ``[words, hidden]`` and on ``[batch, words, hidden]`` with a
mask, where only real words are computed.
"""

from __future__ import annotations

from typing import Any

from qcircuits.errors import ConfigurationError
from sims.layers import QuantumLayer
from sims.tf_env import keras, tf

HEADS = ("quantum", "bottleneck", "linear")


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
        seed: initialiser seed.
    """

    def __init__(self, kind: str, n_tags: int, *, qubits: int = 8, ansatz: str = "strongly_entangling",
                 ansatz_options: dict | None = None, backend: str = "auto", seed: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        if kind not in HEADS:
            raise ConfigurationError(f"Unknown head {kind!r}; expected one of {', '.join(HEADS)}.")
        self.kind, self.n_tags, self.qubits, self.seed = kind, int(n_tags), int(qubits), seed
        self.ansatz_name, self.ansatz_options, self.backend = ansatz, dict(ansatz_options or {}), backend
        self.supports_masking = True
        init = keras.initializers.GlorotUniform(seed=seed)
        self.hidden = None
        if kind == "quantum":
            self.hidden = QuantumLayer(ansatz, backend=backend, projection="learned", seed=seed,
                                       ansatz_options={**self.ansatz_options, "qubits": self.qubits})
        elif kind == "bottleneck":
            self.hidden = keras.layers.Dense(self.qubits, activation="tanh", kernel_initializer=init)
        self.output_layer = keras.layers.Dense(self.n_tags, kernel_initializer=init)

    def call(self, inputs, mask=None):
        x = inputs
        if self.hidden is not None:
            x = self.hidden(x, mask=mask) if isinstance(self.hidden, QuantumLayer) else self.hidden(x)
        return self.output_layer(x)

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(kind=self.kind, n_tags=self.n_tags, qubits=self.qubits, ansatz=self.ansatz_name,
                      ansatz_options=self.ansatz_options, backend=self.backend, seed=self.seed)
        return config


def word_model(head: TaggingHead, hidden_size: int) -> keras.Model:
    """``[words, hidden] -> [words, n_tags]`` logits: the frozen-encoder model."""
    inputs = keras.Input((hidden_size,), name="word_vectors")
    return keras.Model(inputs, head(inputs), name="word_tagger")


class FineTuneTagger(keras.Model):
    """Encoder + head trained end to end: sub-tokens -> first sub-token per word -> head.

    The encoder and the head get separate optimizers: BERT wants a learning rate
    around 5e-5, while circuit weights (angles) barely move at that rate. Adam is
    invariant to gradient scale, so one optimizer cannot serve both.
    """

    def __init__(self, bert, head: TaggingHead, **kwargs: Any):
        super().__init__(**kwargs)
        self.bert, self.head = bert, head
        self.head_optimizer = None

    def compile(self, *, head_optimizer=None, **kwargs: Any):
        super().compile(**kwargs)
        self.head_optimizer = head_optimizer

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.compiled_loss(y, logits, sample_weight, regularization_losses=self.losses)
        encoder_vars = self.bert.trainable_variables
        head_vars = self.head.trainable_variables
        gradients = tape.gradient(loss, encoder_vars + head_vars)
        self.optimizer.apply_gradients(zip(gradients[:len(encoder_vars)], encoder_vars))
        (self.head_optimizer or self.optimizer).apply_gradients(zip(gradients[len(encoder_vars):], head_vars))
        return {"loss": loss}

    def call(self, inputs, training=False):
        hidden = self.bert(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                           training=training).last_hidden_state
        words = tf.gather(hidden, inputs["word_positions"], batch_dims=1)
        return self.head(words, mask=tf.cast(inputs["word_mask"], tf.bool))
