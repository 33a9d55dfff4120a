"""Training, evaluating and loading a BERT -> head -> tagger run."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

from qcircuits.errors import ConfigurationError
from qcircuits.validation import check_int
from sims.atomic import write_json
from sims.ner.conll import Sentence, check_known_tags, find_split_files, read_conll, tag_set
from sims.ner.design import ENCODER_FEATURES, HEADS, HeadDesign, check_choice
from sims.ner.encoder import Encoder, load_encoder
from sims.ner.features import cached_word_vectors, feature_width, sentence_offsets, word_vectors
from sims.ner.heads import FineTuneTagger, FrozenTagger, TaggingHead, word_model
from sims.ner.metrics import entity_report, format_report, token_report
from sims.ner.plots import plot_history
from sims.ner.rundir import RunDir, RunDirError
from sims.ner.training import DivergenceGuard, EpochEnd, ThroughputMeter
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
    data_encoding: str = "utf-8"
    run_dir: str | None = None
    head: str = "quantum"
    ansatz: str = "strongly_entangling"
    qubits: int = 8
    depth: int = 2
    entanglement: str | None = None
    encoding: str = "angle_y"
    reupload: bool = False
    entangler: str | None = None
    scaling: str = "linear"
    trainable_scaling: bool = False
    readout: str = "z"
    init: str = "uniform"
    blocks: int = 1
    encoder_features: str = "last"
    backend: str = "auto"
    encoder: str = "minilm"
    fine_tune: bool = False
    epochs: int = 10
    batch_size: int | None = None
    learning_rate: float | None = None
    head_learning_rate: float = 5e-3
    circuit_learning_rate: float | None = None
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
        for name in ("learning_rate", "head_learning_rate", "circuit_learning_rate"):
            value = getattr(self, name)
            if name == "circuit_learning_rate" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ConfigurationError(f"{name} must be a finite number > 0; got {value}.")
        check_int("seed", self.seed, minimum=0)
        from sims.ner.conll import check_encoding

        self.data_encoding = check_encoding(self.data_encoding)
        self.design()  # validates the head options
        check_choice("encoder features", self.encoder_features, ENCODER_FEATURES)
        if self.fine_tune and self.encoder_features != "last":
            raise ConfigurationError(f"encoder_features {self.encoder_features!r} is for a frozen encoder; "
                                     "with --fine-tune the head reads the last layer.")
        if self.entangler is not None:
            from qcircuits.builder import check_entangler

            check_entangler(self.entangler)
        if self.head == "quantum" and self.backend not in TRAINING_BACKENDS:
            raise ConfigurationError(f"Training needs gradients; backend {self.backend!r} gives none. "
                                     f"Expected one of {', '.join(TRAINING_BACKENDS)}.")

    def ansatz_options(self) -> dict[str, Any]:
        options = {"depth": self.depth, "encoding": self.encoding, "reupload": self.reupload}
        if self.entanglement:
            options["entanglement"] = self.entanglement
        if self.entangler:
            options["entangler"] = self.entangler
        return options

    def design(self) -> HeadDesign:
        """The head's shape options (shared by the quantum head and its classical twin)."""
        return HeadDesign(scaling=self.scaling, trainable_scaling=self.trainable_scaling, readout=self.readout,
                          init=self.init, blocks=self.blocks)

    def circuit_rate(self) -> float:
        """The circuits' learning rate: as asked, else the head's (fine-tune) or the model's (frozen)."""
        if self.circuit_learning_rate is not None:
            return self.circuit_learning_rate
        return self.head_learning_rate if self.fine_tune else self.learning_rate

    def default_run_dir(self) -> Path:
        data = Path(self.data_dir).name if self.data_dir else "demo"
        name = f"ner-{data}-{self.head}"
        if self.head == "quantum":
            name += f"-{self.ansatz}-q{self.qubits}-d{self.depth}"
        elif self.head == "bottleneck":
            name += f"-w{self.qubits}"
        return Path("runs") / (name + self.design_tag() + ("-finetuned" if self.fine_tune else ""))

    def design_tag(self) -> str:
        """The head options that differ from the defaults, for folder names and labels (``-tanh-zz``)."""
        parts = []
        if self.head != "linear":
            defaults = HeadDesign()
            design = self.design()
            # The twin's units are tanh either way: its scaling shows only when it adds layer normalisation.
            shown = design.scaling != defaults.scaling and (self.head == "quantum" or design.scaling == "layernorm")
            parts += [design.scaling] if shown else []
            parts += [design.readout] if design.readout != defaults.readout else []
            parts += ["scaled"] if design.trainable_scaling else []
            parts += [f"b{design.blocks}"] if design.blocks > 1 else []
        if self.head == "quantum":
            parts += [f"init-{self.init}"] if self.init != "uniform" else []
            parts += [self.entangler] if self.entangler else []
            parts += [self.encoding] if self.encoding != "angle_y" else []
            parts += [f"ent-{self.entanglement}"] if self.entanglement else []
            parts += ["reupload"] if self.reupload else []
            parts += [f"clr{self.circuit_learning_rate:g}"] if self.circuit_learning_rate else []
        parts += [self.encoder_features] if self.encoder_features != "last" else []
        return "".join("-" + p for p in parts)


@dataclasses.dataclass
class Corpus:
    """The splits of a data folder, with the tag set from training."""

    files: dict[str, Path]
    splits: dict[str, list[Sentence]]
    tags: list[str]

    @classmethod
    def load(cls, data_dir: str | Path | None, max_sentences: int | None = None,
             encoding: str = "utf-8") -> "Corpus":
        files = find_split_files(data_dir or DEMO_DATA)
        splits = {split: read_conll(path, encoding) for split, path in files.items()}
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
                       ansatz_options=options.ansatz_options(), backend=options.backend, design=options.design(),
                       seed=options.seed)


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
    def load(cls, run_dir: str | Path) -> "Tagger":
        """Rebuilds the best model of a finished (or interrupted) run."""
        run = RunDir(run_dir)
        config = run.read_config()
        options = options_from_config(run, config)
        encoder = load_encoder(options.encoder)
        tagger = cls(encoder, make_head(options, len(config["tags"]), encoder), config["tags"],
                     fine_tune=options.fine_tune, max_length=options.max_length,
                     encoder_features=options.encoder_features)
        best = tf.train.latest_checkpoint(str(run.path / "best"))
        if best is None:
            raise ConfigurationError(f"Run folder {str(run.path)!r} has no trained model yet (no best/ checkpoint).")
        try:
            tagger.checkpoint().restore(best).expect_partial()
        except (tf.errors.OpError, ValueError, AssertionError, IndexError, KeyError, OSError) as exc:
            raise RunDirError(f"The best model of run {str(run.path)!r} ({best}) cannot be read; it may be "
                              f"truncated ({type(exc).__name__}). Train the run again.") from None
        return tagger


def options_from_config(run: RunDir, config: dict[str, Any]) -> NerOptions:
    """The run's options from its config.json.

    Raises:
        RunDirError: if the saved options are not those of a NER run.
    """
    fields = {f.name for f in dataclasses.fields(NerOptions)}
    unknown = sorted(set(config["options"]) - fields)
    if unknown:
        raise RunDirError(f"{str(run.config_path)!r} has options this version does not know: {', '.join(unknown)}.")
    try:
        return NerOptions(**config["options"])
    except TypeError as exc:
        raise RunDirError(f"{str(run.config_path)!r} is not a NER run config: {exc}") from None


def _fine_tune_batches(encoder: Encoder, corpus: Corpus, tag_index: dict[str, int], batch_size: int,
                       max_length: int, seed: int) -> keras.utils.Sequence:
    from sims.ner.alignment import split_sentences, tokenize_segments
    from sims.ner.features import length_batches

    sentences = corpus.words("train")
    gold = corpus.gold("train")
    segments = split_sentences(encoder.tokenizer, sentences, max_length)
    batches = length_batches(segments, batch_size)

    class Batches(keras.utils.Sequence):
        """Length-grouped batches in an order fixed by (seed, epoch): a resumed run sees the same order."""

        order = np.arange(len(batches))

        def set_epoch(self, epoch: int) -> None:
            self.order = np.random.default_rng(seed + epoch).permutation(len(batches))

        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            chosen = [segments[i] for i in batches[self.order[index]]]
            arrays = tokenize_segments(encoder.tokenizer, chosen, max_length)
            labels = np.zeros(arrays["word_mask"].shape, np.int32)
            for row, s in enumerate(chosen):
                labels[row, :len(s.words)] = [tag_index[t] for t in gold[s.sentence][s.start:s.start + len(s.words)]]
            return arrays, labels, arrays["word_mask"].astype(np.float32)

    return Batches()


def cache_variant(options: NerOptions, split: str) -> str:
    """What changes a split's frozen vectors besides the file: its encoding, and how much is read.

    ``--max-sentences`` is part of the key, so that a subset never replaces the full entry.
    """
    variant = "" if options.data_encoding == "utf-8" else options.data_encoding
    if split == "train" and options.max_sentences:
        variant += f"|first{options.max_sentences}"
    return variant


class TrainingDivergedError(ConfigurationError):
    """The loss became NaN or infinite; the run keeps its last good checkpoint."""


def train(options: NerOptions, *, on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Trains (or resumes) a run and writes its metrics, best model and plot.

    The run folder is locked while training. Every epoch is trained from a random state
    fixed by ``(seed, epoch)`` (the data order and every seed), so a run resumed after a
    kill continues exactly as the uninterrupted run would have.

    Args:
        options: the run's configuration.
        on_epoch: called with each finished epoch's history entry (``epoch``, ``loss``,
            ``dev_entity_f1``, ...), e.g. to report to a sweep's early-stopping scheduler.

    Returns:
        The metrics dict written to ``metrics.json``.

    Raises:
        TrainingDivergedError: when the loss becomes NaN or infinite (naming epoch and step).
    """
    corpus = Corpus.load(options.data_dir, options.max_sentences, options.data_encoding)
    run = RunDir(options.run_dir or options.default_run_dir())
    with run.lock():
        return _train_locked(options, corpus, run, on_epoch)


def _train_locked(options: NerOptions, corpus: Corpus, run: RunDir,
                  on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    saved_options = {k: v for k, v in dataclasses.asdict(options).items() if k != "run_dir"}
    config = {"options": saved_options, "tags": corpus.tags, "files": {k: str(v) for k, v in corpus.files.items()}}
    defaults = {f.name: f.default for f in dataclasses.fields(NerOptions) if f.default is not dataclasses.MISSING}
    resuming = run.check_resume(config, defaults)  # before the encoder loads: a mismatch is reported at once
    state = run.read_state() if resuming else None
    encoder = load_encoder(options.encoder)
    keras.utils.set_random_seed(options.seed)
    tagger = Tagger(encoder, make_head(options, len(corpus.tags), encoder), corpus.tags,
                    fine_tune=options.fine_tune, max_length=options.max_length,
                    encoder_features=options.encoder_features)
    if not resuming:
        run.prepare(config, defaults)
        state = run.read_state()
    tag_index = {t: i for i, t in enumerate(corpus.tags)}
    selection = getattr(getattr(tagger.head, "hidden", None), "backend_selection", None)
    print(f"run folder {run.path} ({'resuming after epoch ' + str(state['epochs_done']) if resuming else 'new'}); "
          f"{len(corpus.splits['train'])} training sentences, tags: {' '.join(corpus.tags)}"
          + (f"; quantum backend: {selection}" if selection else ""))

    cache = Path(options.cache_dir) if options.cache_dir else run.path.parent / ".encoder_cache"
    frozen_vectors: dict[str, np.ndarray] = {}  # frozen encoder: each split is encoded once

    def split_vectors(split: str) -> np.ndarray:
        if split not in frozen_vectors:
            frozen_vectors[split] = cached_word_vectors(encoder, corpus.words(split), corpus.files[split], cache,
                                                        max_length=options.max_length, desc=f"encoding {split}",
                                                        variant=cache_variant(options, split),
                                                        layers=options.encoder_features)
        return frozen_vectors[split]

    def predict_split(split: str) -> list[list[str]]:
        if options.fine_tune:  # the encoder changes while training: encode again
            return tagger.predict(corpus.words(split))
        return tagger.predict_vectors(split_vectors(split), corpus.words(split))

    if options.fine_tune:
        batches = _fine_tune_batches(encoder, corpus, tag_index, options.batch_size, options.max_length, options.seed)

        def epoch_data(epoch: int) -> dict[str, Any]:
            batches.set_epoch(epoch)
            return {"x": batches}
    else:
        x_train = split_vectors("train")
        y_train = np.array([tag_index[t] for s in corpus.splits["train"] for t in s.tags], np.int32)
        split_vectors("dev")  # encode before training starts, not inside the first epoch

        def epoch_data(epoch: int) -> dict[str, Any]:
            order = np.random.default_rng(options.seed + epoch).permutation(len(y_train))
            return {"x": x_train[order], "y": y_train[order], "batch_size": options.batch_size, "shuffle": False}

    optimizer = keras.optimizers.Adam(options.learning_rate)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    # One optimizer per learning rate: frozen (model, circuits), fine-tuned (encoder, head, circuits).
    rates = {"optimizer": options.learning_rate}
    if options.fine_tune:
        rates["head_optimizer"] = options.head_learning_rate
    rates["circuit_optimizer"] = options.circuit_rate()
    optimizers = {name: optimizer if name == "optimizer" else keras.optimizers.Adam(rate)
                  for name, rate in rates.items()}
    trackables: dict[str, Any] = {"model": tagger.model, **optimizers}
    tagger.model.compile(optimizer=optimizer, extra_optimizers=[optimizers[n] for n in rates if n != "optimizer"],
                         loss=loss)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(**trackables), str(run.checkpoint_dir), max_to_keep=2)
    best_manager = tf.train.CheckpointManager(tagger.checkpoint(), str(run.path / "best"), max_to_keep=1)
    if state["checkpoint"]:
        tf.train.Checkpoint(**trackables).restore(run.checkpoint_path(state["checkpoint"])).expect_partial()
        # The checkpoint restores the optimizers' learning rates too; the ones asked for now win.
        for name, rate in rates.items():
            optimizers[name].learning_rate.assign(rate)

    words_per_epoch = sum(len(s.words) for s in corpus.splits["train"])
    guard = DivergenceGuard()
    # The best model (the encoder too when fine-tuned) is a checkpoint of its own, numbered by epoch.
    callbacks = [ThroughputMeter(words_per_epoch), guard,
                 EpochEnd(run, lambda epoch: best_manager.save(checkpoint_number=epoch), manager,
                          lambda: predict_split("dev"), corpus.gold("dev"), state, options.patience, guard)]
    if options.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run.path / "tensorboard")))
    # One fit call per epoch, each from the random state of (seed, epoch): resumed and
    # uninterrupted runs see the same data order and the same seeds. A finished run
    # continues when asked for more epochs, unless early stopping ended it.
    for epoch in range(state["epochs_done"], options.epochs):
        if state["wait"] >= options.patience:
            break
        keras.utils.set_random_seed(options.seed + epoch)
        tagger.model.fit(epochs=epoch + 1, initial_epoch=epoch, callbacks=callbacks,
                         verbose=1 if sys.stdout.isatty() else 2, **epoch_data(epoch))
        if guard.diverged is not None:
            at_epoch, step, value = guard.diverged
            kept = f"epoch {state['epochs_done']}" if state["epochs_done"] else "none yet"
            raise TrainingDivergedError(
                f"The training loss became {value} at epoch {at_epoch}, step {step}; stopped. The run keeps its "
                f"last good checkpoint ({kept}); lower --learning-rate (now {options.learning_rate}) and run again "
                "to resume from it.")
        if on_epoch is not None and state["history"]:
            on_epoch(state["history"][-1])
        if tagger.model.stop_training:
            break
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
        "circuit_parameters": int(sum(np.prod(w.shape) for w in tagger.head.circuit_variables())),
        "design": options.design().to_config(), "entangler": options.entangler, "encoding": options.encoding,
        "encoder_features": options.encoder_features, "seed": options.seed,
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
