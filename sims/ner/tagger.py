"""The tagger: an encoder plus a head, predicting a tag for every word.

:class:`Tagger` loads a trained one from its run folder; the Keras models that train it
(:class:`FrozenTagger` on cached word vectors, :class:`FineTuneTagger` with the encoder)
give the circuits their own learning rate (:class:`SplitRateModel`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from qcircuits.errors import ConfigurationError
from sims.ner.encoder import Encoder, load_encoder
from sims.ner.features import feature_width, sentence_offsets, word_vectors
from sims.ner.heads.layer import TaggingHead
from sims.ner.options import NerOptions, options_from_config
from sims.ner.rundir import RunDir, RunDirError
from sims.tf_env import keras, tf


def make_head(options: NerOptions, n_tags: int, encoder: Encoder) -> TaggingHead:
    if options.qubits > encoder.hidden_size:
        raise ConfigurationError(
            f"--qubits {options.qubits} is larger than the encoder width {encoder.hidden_size}; "
            f"expected at most {encoder.hidden_size}.")
    return TaggingHead(options.head, n_tags, qubits=options.qubits, ansatz=options.ansatz,
                       ansatz_options=options.ansatz_options(), backend=options.backend, noise=options.noise,
                       shots=options.shots, design=options.design(), seed=options.seed,
                       batch_size=None if options.fine_tune else options.batch_size)  # frozen: words per batch


def split_by_sentence(flat: np.ndarray, sentences: list[tuple[str, ...]]) -> list[np.ndarray]:
    offsets = sentence_offsets(sentences)
    return [flat[offsets[i]:offsets[i + 1]] for i in range(len(sentences))]


class Tagger:
    """An encoder plus a head: predicts tags for every word of every sentence."""

    def __init__(self, encoder: Encoder, head: TaggingHead, tags: list[str], *, fine_tune: bool,
                 max_length: int, encoder_features: str = "last"):
        self.encoder, self.head, self.tags = encoder, head, tags
        self.fine_tune, self.max_length, self.encoder_features = fine_tune, max_length, encoder_features
        width = feature_width(encoder, encoder_features)
        # Word vectors -> logits; it shares the head with the trained model.
        self.word_model = word_model(head, width)
        if fine_tune:
            self.model = FineTuneTagger(encoder.model, head)
            dummy = {"input_ids": tf.zeros((1, 4), tf.int32), "attention_mask": tf.ones((1, 4), tf.int32),
                     "word_positions": tf.ones((1, 2), tf.int32), "word_mask": tf.ones((1, 2), tf.bool)}
            self.model(dummy)
        else:
            self.model = FrozenTagger(head, width)

    def predict_vectors(self, vectors: np.ndarray, sentences: list[tuple[str, ...]]) -> list[list[str]]:
        """Tags from precomputed word vectors (``[total_words, hidden]``)."""
        logits = self.word_model.predict(vectors, batch_size=4096, verbose=0) if len(vectors) else np.zeros((0, 1))
        ids = np.argmax(logits, axis=-1)
        return [[self.tags[i] for i in row] for row in split_by_sentence(ids, sentences)]

    def predict(self, sentences: list[tuple[str, ...]]) -> list[list[str]]:
        """Tags for every word; long sentences are windowed, never truncated."""
        vectors = word_vectors(self.encoder, sentences, max_length=self.max_length, desc="predicting",
                               layers=self.encoder_features)
        return self.predict_vectors(vectors, sentences)

    def checkpoint(self) -> tf.train.Checkpoint:
        return tf.train.Checkpoint(model=self.model)

    @classmethod
    def load(cls, run_dir: str | Path, overrides: dict[str, Any] | None = None) -> Tagger:
        """Rebuilds the best model of a finished (or interrupted) run.

        Args:
            run_dir: the run folder.
            overrides: options to change that leave the weights as they are (``noise``, ``shots``:
                evaluate a model trained noiseless on a noisy device, or with finite shots).
        """
        run = RunDir(run_dir)
        config = run.read_config()
        options = options_from_config(run, config)
        if overrides:
            options = dataclasses.replace(options, **overrides)
        encoder = load_encoder(options.encoder)
        tagger = cls(encoder, make_head(options, len(config["tags"]), encoder), config["tags"],
                     fine_tune=options.fine_tune, max_length=options.max_length,
                     encoder_features=options.encoder_layers())
        best = tf.train.latest_checkpoint(str(run.path / "best"))
        if best is None:
            raise ConfigurationError(f"Run folder {str(run.path)!r} has no trained model yet (no best/ checkpoint).")
        try:
            tagger.checkpoint().restore(best).expect_partial()
        except (tf.errors.OpError, ValueError, AssertionError, IndexError, KeyError, OSError) as exc:
            raise RunDirError(f"The best model of run {str(run.path)!r} ({best}) cannot be read; it may be "
                              f"truncated ({type(exc).__name__}). Train the run again.") from None
        return tagger


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
        for group, optimizer in zip(groups, (self.optimizer, *self.extra_optimizers), strict=True):
            if group:
                optimizer.apply_gradients(zip(gradients[start:start + len(group)], group, strict=True))
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
