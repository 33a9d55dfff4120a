"""Training, evaluating and loading a BERT -> head -> tagger run."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

from qcircuits.errors import ConfigurationError
from qcircuits.validation import check_int
from sims.atomic import write_json
from sims.ner.conll import Sentence, check_known_tags, find_split_files, read_conll, tag_set
from sims.ner.encoder import Encoder, load_encoder
from sims.ner.features import cached_word_vectors, sentence_offsets, word_vectors
from sims.ner.heads import HEADS, FineTuneTagger, TaggingHead, word_model
from sims.ner.metrics import entity_report, format_report, token_report
from sims.ner.plots import plot_history
from sims.ner.rundir import RunDir
from sims.ner.training import EpochEnd, ThroughputMeter
from sims.tf_env import keras, tf

DEMO_DATA = Path(__file__).parent / "demo_data"


def _training_backends() -> tuple[str, ...]:
    from sims.backends import backend_names

    return backend_names(differentiable=True, with_auto=True)


TRAINING_BACKENDS = _training_backends()


@dataclasses.dataclass
class NerOptions:
    """Everything that defines a NER run (saved in the run's config.json)."""

    data_dir: str | None = None
    run_dir: str | None = None
    head: str = "quantum"
    ansatz: str = "strongly_entangling"
    qubits: int = 8
    depth: int = 2
    entanglement: str | None = None
    encoding: str = "angle_y"
    reupload: bool = False
    backend: str = "auto"
    encoder: str = "minilm"
    fine_tune: bool = False
    epochs: int = 10
    batch_size: int | None = None
    learning_rate: float | None = None
    head_learning_rate: float = 5e-3
    patience: int = 3
    seed: int = 0
    max_length: int = 128
    max_sentences: int | None = None
    tensorboard: bool = False
    cache_dir: str | None = None

    def __post_init__(self):
        if self.head not in HEADS:
            raise ConfigurationError(f"Unknown head {self.head!r}; expected one of {', '.join(HEADS)}.")
        check_int("qubits", self.qubits, minimum=1)
        check_int("depth", self.depth, minimum=1)
        check_int("epochs", self.epochs, minimum=1)
        check_int("patience", self.patience, minimum=1)
        check_int("max_length", self.max_length, minimum=8, maximum=512)
        if self.max_sentences is not None:
            check_int("max_sentences", self.max_sentences, minimum=1)
        if self.batch_size is None:  # the demo corpus has ~500 words: small batches, or it barely trains
            self.batch_size = 16 if (self.fine_tune or self.data_dir is None) else 128
        check_int("batch_size", self.batch_size, minimum=1)
        if self.learning_rate is None:
            self.learning_rate = 5e-5 if self.fine_tune else 5e-3
        for name in ("learning_rate", "head_learning_rate"):
            if not getattr(self, name) > 0:
                raise ConfigurationError(f"{name} must be > 0; got {getattr(self, name)}.")
        if self.head == "quantum" and self.backend not in TRAINING_BACKENDS:
            raise ConfigurationError(f"Training needs gradients; backend {self.backend!r} gives none. "
                                     f"Expected one of {', '.join(TRAINING_BACKENDS)}.")

    def ansatz_options(self) -> dict[str, Any]:
        options = {"depth": self.depth, "encoding": self.encoding, "reupload": self.reupload}
        if self.entanglement:
            options["entanglement"] = self.entanglement
        return options

    def default_run_dir(self) -> Path:
        data = Path(self.data_dir).name if self.data_dir else "demo"
        name = f"ner-{data}-{self.head}"
        if self.head == "quantum":
            name += f"-{self.ansatz}-q{self.qubits}-d{self.depth}"
        elif self.head == "bottleneck":
            name += f"-w{self.qubits}"
        return Path("runs") / (name + ("-finetuned" if self.fine_tune else ""))


@dataclasses.dataclass
class Corpus:
    """The splits of a data folder, with the tag set from training."""

    files: dict[str, Path]
    splits: dict[str, list[Sentence]]
    tags: list[str]

    @classmethod
    def load(cls, data_dir: str | Path | None, max_sentences: int | None = None) -> "Corpus":
        files = find_split_files(data_dir or DEMO_DATA)
        splits = {split: read_conll(path) for split, path in files.items()}
        if max_sentences:
            splits["train"] = splits["train"][:max_sentences]
        tags = tag_set(splits["train"])
        for split in ("dev", "test"):
            if split in splits:
                check_known_tags(splits[split], tags, split, files[split])
        return cls(files, splits, tags)

    def words(self, split: str) -> list[tuple[str, ...]]:
        return [s.words for s in self.splits[split]]

    def gold(self, split: str) -> list[list[str]]:
        return [list(s.tags) for s in self.splits[split]]


def make_head(options: NerOptions, n_tags: int, encoder: Encoder) -> TaggingHead:
    if options.qubits > encoder.hidden_size:
        raise ConfigurationError(
            f"--qubits {options.qubits} is larger than the encoder width {encoder.hidden_size}; "
            f"expected at most {encoder.hidden_size}.")
    return TaggingHead(options.head, n_tags, qubits=options.qubits, ansatz=options.ansatz,
                       ansatz_options=options.ansatz_options(), backend=options.backend, seed=options.seed)


def split_by_sentence(flat: np.ndarray, sentences: list[tuple[str, ...]]) -> list[np.ndarray]:
    offsets = sentence_offsets(sentences)
    return [flat[offsets[i]:offsets[i + 1]] for i in range(len(sentences))]


class Tagger:
    """An encoder plus a head: predicts tags for every word of every sentence."""

    def __init__(self, encoder: Encoder, head: TaggingHead, tags: list[str], *, fine_tune: bool,
                 max_length: int):
        self.encoder, self.head, self.tags = encoder, head, tags
        self.fine_tune, self.max_length = fine_tune, max_length
        # Word vectors -> logits; in fine-tune mode it shares the head with the full model.
        self.word_model = word_model(head, encoder.hidden_size)
        if fine_tune:
            self.model = FineTuneTagger(encoder.model, head)
            dummy = {"input_ids": tf.zeros((1, 4), tf.int32), "attention_mask": tf.ones((1, 4), tf.int32),
                     "word_positions": tf.ones((1, 2), tf.int32), "word_mask": tf.ones((1, 2), tf.bool)}
            self.model(dummy)
        else:
            self.model = self.word_model

    def predict_vectors(self, vectors: np.ndarray, sentences: list[tuple[str, ...]]) -> list[list[str]]:
        """Tags from precomputed word vectors (``[total_words, hidden]``)."""
        logits = self.word_model.predict(vectors, batch_size=4096, verbose=0) if len(vectors) else np.zeros((0, 1))
        ids = np.argmax(logits, axis=-1)
        return [[self.tags[i] for i in row] for row in split_by_sentence(ids, sentences)]

    def predict(self, sentences: list[tuple[str, ...]]) -> list[list[str]]:
        """Tags for every word; long sentences are windowed, never truncated."""
        vectors = word_vectors(self.encoder, sentences, max_length=self.max_length, desc="predicting")
        return self.predict_vectors(vectors, sentences)

    def checkpoint(self) -> tf.train.Checkpoint:
        return tf.train.Checkpoint(model=self.model)

    @classmethod
    def load(cls, run_dir: str | Path) -> "Tagger":
        """Rebuilds the best model of a finished (or interrupted) run."""
        run = RunDir(run_dir)
        config = run.read_config()
        options = NerOptions(**config["options"])
        encoder = load_encoder(options.encoder)
        tagger = cls(encoder, make_head(options, len(config["tags"]), encoder), config["tags"],
                     fine_tune=options.fine_tune, max_length=options.max_length)
        best = tf.train.latest_checkpoint(str(run.path / "best"))
        if best is None:
            raise ConfigurationError(f"Run folder {str(run.path)!r} has no trained model yet (no best/ checkpoint).")
        tagger.checkpoint().restore(best).expect_partial()
        return tagger


def _fine_tune_batches(encoder: Encoder, corpus: Corpus, tag_index: dict[str, int], batch_size: int,
                       max_length: int, seed: int) -> keras.utils.Sequence:
    from sims.ner.alignment import split_sentences, tokenize_segments
    from sims.ner.features import length_batches

    sentences = corpus.words("train")
    gold = corpus.gold("train")
    segments = split_sentences(encoder.tokenizer, sentences, max_length)
    batches = length_batches(segments, batch_size)

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            chosen = [segments[i] for i in batches[index]]
            arrays = tokenize_segments(encoder.tokenizer, chosen, max_length)
            labels = np.zeros(arrays["word_mask"].shape, np.int32)
            for row, s in enumerate(chosen):
                labels[row, :len(s.words)] = [tag_index[t] for t in gold[s.sentence][s.start:s.start + len(s.words)]]
            return arrays, labels, arrays["word_mask"].astype(np.float32)

        def on_epoch_end(self):
            np.random.default_rng(seed).shuffle(batches)

    return Batches()


def train(options: NerOptions) -> dict[str, Any]:
    """Trains (or resumes) a run and writes its metrics, best model and plot.

    Returns:
        The metrics dict written to ``metrics.json``.
    """
    corpus = Corpus.load(options.data_dir, options.max_sentences)
    run = RunDir(options.run_dir or options.default_run_dir())
    encoder = load_encoder(options.encoder)
    keras.utils.set_random_seed(options.seed)
    tagger = Tagger(encoder, make_head(options, len(corpus.tags), encoder), corpus.tags,
                    fine_tune=options.fine_tune, max_length=options.max_length)
    saved_options = {k: v for k, v in dataclasses.asdict(options).items() if k != "run_dir"}
    resuming = run.prepare({"options": saved_options, "tags": corpus.tags,
                            "files": {k: str(v) for k, v in corpus.files.items()}})
    state = run.read_state()
    tag_index = {t: i for i, t in enumerate(corpus.tags)}
    print(f"run folder {run.path} ({'resuming after epoch ' + str(state['epochs_done']) if resuming else 'new'}); "
          f"{len(corpus.splits['train'])} training sentences, tags: {' '.join(corpus.tags)}")

    cache = Path(options.cache_dir) if options.cache_dir else run.path.parent / ".encoder_cache"
    frozen_vectors: dict[str, np.ndarray] = {}  # frozen encoder: each split is encoded once

    def split_vectors(split: str) -> np.ndarray:
        if split not in frozen_vectors:
            frozen_vectors[split] = cached_word_vectors(encoder, corpus.words(split), corpus.files[split], cache,
                                                        max_length=options.max_length, desc=f"encoding {split}")
        return frozen_vectors[split]

    def predict_split(split: str) -> list[list[str]]:
        if options.fine_tune:  # the encoder changes while training: encode again
            return tagger.predict(corpus.words(split))
        return tagger.predict_vectors(split_vectors(split), corpus.words(split))

    if options.fine_tune:
        fit_kwargs: dict[str, Any] = {"x": _fine_tune_batches(encoder, corpus, tag_index, options.batch_size,
                                                              options.max_length, options.seed)}
    else:
        y_train = np.array([tag_index[t] for s in corpus.splits["train"] for t in s.tags], np.int32)
        fit_kwargs = {"x": split_vectors("train"), "y": y_train, "batch_size": options.batch_size,
                      "shuffle": True}
        split_vectors("dev")  # encode before training starts, not inside the first epoch

    optimizer = keras.optimizers.Adam(options.learning_rate)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    trackables: dict[str, Any] = {"model": tagger.model, "optimizer": optimizer}
    if options.fine_tune:
        trackables["head_optimizer"] = keras.optimizers.Adam(options.head_learning_rate)
        tagger.model.compile(optimizer=optimizer, head_optimizer=trackables["head_optimizer"], loss=loss)
    else:
        tagger.model.compile(optimizer=optimizer, loss=loss)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(**trackables), str(run.checkpoint_dir), max_to_keep=2)
    best_manager = tf.train.CheckpointManager(tagger.checkpoint(), str(run.path / "best"), max_to_keep=1)
    if state["checkpoint"]:
        tf.train.Checkpoint(**trackables).restore(state["checkpoint"]).expect_partial()
        keras.utils.set_random_seed(options.seed + state["epochs_done"])  # repeatable after a resume too

    words_per_epoch = sum(len(s.words) for s in corpus.splits["train"])
    # The best model (the encoder too when fine-tuned) is a checkpoint of its own.
    callbacks = [ThroughputMeter(words_per_epoch),
                 EpochEnd(run, best_manager.save, manager, lambda: predict_split("dev"), corpus.gold("dev"), state,
                          options.patience)]
    if options.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run.path / "tensorboard")))
    # A finished run continues when asked for more epochs, unless early stopping ended it.
    if state["epochs_done"] < options.epochs and state["wait"] < options.patience:
        tagger.model.fit(epochs=options.epochs, initial_epoch=state["epochs_done"], callbacks=callbacks,
                         verbose=1 if sys.stdout.isatty() else 2, **fit_kwargs)
    return evaluate_run(run, tagger, corpus, state, options, best_manager, predict_split)


def evaluate_run(run: RunDir, tagger: Tagger, corpus: Corpus, state: dict, options: NerOptions,
                 best_manager: tf.train.CheckpointManager,
                 predict_split: Callable[[str], list[list[str]]]) -> dict[str, Any]:
    """Scores the best model on dev (and test) and writes metrics.json and training.png."""
    if best_manager.latest_checkpoint:
        tagger.checkpoint().restore(best_manager.latest_checkpoint).expect_partial()
    metrics: dict[str, Any] = {
        "head": options.head, "ansatz": options.ansatz if options.head == "quantum" else None,
        "qubits": options.qubits, "depth": options.depth, "encoder": options.encoder,
        "fine_tune": options.fine_tune, "epochs_done": state["epochs_done"], "best_epoch": state["best_epoch"],
        "best_dev_entity_f1": state["best_f1"],
        # Mean over every epoch of the run, resumed ones included.
        "train_tokens_per_s": (float(np.mean([h["train_tokens_per_s"] for h in state["history"]]))
                               if state["history"] else None),
        "trainable_parameters": int(sum(np.prod(w.shape) for w in tagger.head.trainable_weights)),
        "history": state["history"],
    }
    for split in ("dev", "test"):
        if split not in corpus.splits:
            continue
        predicted = predict_split(split)
        gold = corpus.gold(split)
        metrics[split] = {"entity": entity_report(gold, predicted),
                          "token": token_report(gold, predicted, corpus.tags)}
        print(format_report(metrics[split]["entity"], f"\n{split}: entity level (seqeval)"))
        print(format_report(metrics[split]["token"], f"\n{split}: token level, per tag"))
    write_json(run.metrics_path, metrics)
    if state["history"]:
        plot_history(state["history"], run.plot_path, title=f"{options.head} head ({run.path.name})")
    print(f"\nmetrics: {run.metrics_path}  plot: {run.plot_path}  model: {run.path / 'best'}")
    return metrics
