"""Training (or resuming) a NER run and scoring its best model on dev and test; :class:`NerTrainer`
also evaluates a saved run on a file and tags sentences with it."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qcircuits.errors import ConfigurationError
from sims.atomic import write_json
from sims.ner.callbacks import DivergenceGuard, EpochEnd, ThroughputMeter
from sims.ner.conll import sentence_words
from sims.ner.corpus import Corpus
from sims.ner.encoder import Encoder, load_encoder
from sims.ner.evaluation import score
from sims.ner.features import cached_word_vectors
from sims.ner.options import SAVED_DEFAULTS, NerOptions, cache_variant, options_from_config
from sims.ner.plots import plot_history
from sims.ner.rundir import RunDir
from sims.ner.state import TrainingState
from sims.ner.tagger import Tagger, make_head
from sims.tf_env import keras, tf


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


class TrainingDivergedError(ConfigurationError):
    """The loss became NaN or infinite; the run keeps its last good checkpoint."""


def train(options: NerOptions, *, on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Trains (or resumes) a run: ``NerTrainer(options).train(on_epoch=on_epoch)``."""
    return NerTrainer(options).train(on_epoch=on_epoch)


class NerTrainer:
    """One NER run, from Python: train it, evaluate it on a file, tag sentences with it.

    ::

        trainer = NerTrainer(NerOptions(data_dir="data/conll2003", head="quantum", scaling="tanh"))
        trainer.train()                                  # or resumes; writes RUN_DIR/metrics.json
        trainer.evaluate("data/conll2003/eng.testb")     # seqeval reports, predictions.conll
        trainer.predict(["Alice visited Rome ."])        # [['B-PER', 'O', 'B-LOC', 'O']]

    ``evaluate`` and ``predict`` use the run's best model (by dev entity F1), as saved in
    its folder: a trainer made with :meth:`from_run` tags with a run trained earlier.

    Args:
        options: the run's configuration; its folder is ``options.run_dir`` or the default.
    """

    def __init__(self, options: NerOptions):
        self.options = options
        self.run = RunDir(options.run_dir or options.default_run_dir())
        self._best: Tagger | None = None  # the best model, loaded for evaluate/predict

    @classmethod
    def from_run(cls, run_dir: str | Path) -> NerTrainer:
        """The trainer of an existing run folder, with the options it was trained with.

        Raises:
            TypeError: if ``run_dir`` is not a path.
            RunDirError: if the folder is missing or is not a NER run.
        """
        if not isinstance(run_dir, (str, Path)):
            raise TypeError(f"NerTrainer.from_run takes a run folder (str or pathlib.Path); "
                            f"got {run_dir!r} ({type(run_dir).__name__}).")
        run = RunDir(run_dir)
        options = options_from_config(run, run.read_config())
        options.run_dir = str(run.path)
        return cls(options)

    def train(self, *, on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Trains (or resumes) the run and writes its metrics, best model and plot.

        The run folder is locked while training. Every epoch is trained from a random state
        fixed by ``(seed, epoch)`` (the data order and every seed), so a run resumed after a
        kill continues exactly as the uninterrupted run would have.

        Args:
            on_epoch: called with each finished epoch's history entry (``epoch``, ``loss``,
                ``dev_entity_f1``, ...), e.g. to report to a sweep's early-stopping scheduler.

        Returns:
            The metrics dict written to ``metrics.json``.

        Raises:
            TrainingDivergedError: when the loss becomes NaN or infinite (naming epoch and step).
        """
        corpus = Corpus.load(self.options.data_dir, self.options.max_sentences, self.options.data_encoding)
        with self.run.lock():
            metrics = _Training(self.options, corpus, self.run).fit(on_epoch)
        self._best = None  # trained further: load the best model again when asked
        return metrics

    def evaluate(self, path: str | Path, *, out_dir: str | Path | None = None,
                 encoding: str = "utf-8") -> dict[str, Any]:
        """Scores the best model on a tagged CoNLL file (see :func:`sims.ner.evaluation.evaluate_file`)."""
        from sims.ner.evaluation import evaluate_file

        return evaluate_file(self.run.path, path, out_dir=out_dir, encoding=encoding, load_tagger=self._tagger)

    def predict(self, sentences: str | Sequence[str | Sequence[str]]) -> list[list[str]]:
        """Tags for every word of every sentence.

        Args:
            sentences: one sentence as a string (split into words and punctuation), or a list
                of sentences, each a string or a list of words.

        Returns:
            One list of tags per sentence (a single string gives a list of one).

        Raises:
            ConfigurationError: for an empty sentence, a sentence or word of the wrong type, or a
                run with no trained model yet.
        """
        words = sentence_words(sentences)
        return self._tagger().predict(words)

    def _tagger(self) -> Tagger:
        if self._best is None:
            self._best = Tagger.load(self.run.path)
        return self._best


def warn_finished_rates(run: RunDir, config: dict[str, Any], state: TrainingState) -> None:
    """Says on stderr that a finished run trains no more, so a learning rate asked for now is not used.

    A run resumes at a new rate (after a divergence, say); a finished one only reports its result,
    which would otherwise pass for a result at the new rate.
    """
    for name, (saved, now) in run.changed_rates(config).items():
        print(f"note: {run.path} finished after epoch {state.epochs_done} at --{name.replace('_', '-')} {saved}; "
              f"{now} is not used (a finished run trains no more). Use a new --run-dir to train at {now}.",
              file=sys.stderr)


class _Training:
    """The state of one training call: corpus, run folder, tagger, training state, and the cached splits."""

    def __init__(self, options: NerOptions, corpus: Corpus, run: RunDir):
        self.options, self.corpus, self.run = options, corpus, run
        self.frozen_vectors: dict[str, np.ndarray] = {}  # frozen encoder: each split is encoded once

    def fit(self, on_epoch: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]:
        options, corpus, run = self.options, self.corpus, self.run
        saved_options = {k: v for k, v in dataclasses.asdict(options).items() if k != "run_dir"}
        config = {"options": saved_options, "tags": corpus.tags,
                  "files": {k: str(v) for k, v in corpus.files.items()}}
        resuming = run.check_resume(config, SAVED_DEFAULTS)  # before the encoder loads: a mismatch is reported at once
        state = run.read_state() if resuming else TrainingState()  # checked before the encoder loads, too
        if resuming and (state.epochs_done >= options.epochs or state.stopped_early(options.patience)):
            warn_finished_rates(run, config, state)
        self.encoder = load_encoder(options.encoder)
        keras.utils.set_random_seed(options.seed)
        self.tagger = Tagger(self.encoder, make_head(options, len(corpus.tags), self.encoder), corpus.tags,
                             fine_tune=options.fine_tune, max_length=options.max_length,
                             encoder_features=options.encoder_layers())
        if not resuming:
            run.prepare(config, SAVED_DEFAULTS)
        circuits = [b for b in self.tagger.head.blocks if hasattr(b, "backend_selection")]
        selection = circuits[0].backend_selection if circuits else None
        print(f"run folder {run.path} ({'resuming after epoch ' + str(state.epochs_done) if resuming else 'new'}); "
              f"{len(corpus.splits['train'])} training sentences, tags: {' '.join(corpus.tags)}"
              + (f"; quantum backend: {selection}" if selection else ""))
        epoch_data = self._epoch_data()
        trackables, optimizers, rates = self._compile()
        manager = tf.train.CheckpointManager(tf.train.Checkpoint(**trackables), str(run.checkpoint_dir),
                                             max_to_keep=2)
        best_manager = tf.train.CheckpointManager(self.tagger.checkpoint(), str(run.path / "best"), max_to_keep=1)
        if state.checkpoint:
            tf.train.Checkpoint(**trackables).restore(run.checkpoint_path(state.checkpoint)).expect_partial()
            # The checkpoint restores the optimizers' learning rates too; the ones asked for now win.
            for name, rate in rates.items():
                optimizers[name].learning_rate.assign(rate)

        words_per_epoch = sum(len(s.words) for s in corpus.splits["train"])
        guard = DivergenceGuard()
        # The best model (the encoder too when fine-tuned) is a checkpoint of its own, numbered by epoch.
        callbacks = [ThroughputMeter(words_per_epoch), guard,
                     EpochEnd(run, lambda epoch: best_manager.save(checkpoint_number=epoch), manager,
                              lambda: self.predict_split("dev"), corpus.gold("dev"), state, options.patience, guard)]
        if options.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run.path / "tensorboard")))
        # One fit call per epoch, each from the random state of (seed, epoch): resumed and
        # uninterrupted runs see the same data order and the same seeds. A finished run
        # continues when asked for more epochs, unless early stopping ended it.
        for epoch in range(state.epochs_done, options.epochs):
            if state.stopped_early(options.patience):
                break
            keras.utils.set_random_seed(options.seed + epoch)
            self.tagger.model.fit(epochs=epoch + 1, initial_epoch=epoch, callbacks=callbacks,
                                  verbose=1 if sys.stdout.isatty() else 2, **epoch_data(epoch))
            if guard.diverged is not None:
                at_epoch, step, value = guard.diverged
                kept = f"epoch {state.epochs_done}" if state.epochs_done else "none yet"
                raise TrainingDivergedError(
                    f"The training loss became {value} at epoch {at_epoch}, step {step}; stopped. The run keeps its "
                    f"last good checkpoint ({kept}); lower --learning-rate (now {options.learning_rate}) and run "
                    "again to resume from it.")
            if on_epoch is not None and state.history:
                on_epoch(state.history[-1])
            if self.tagger.model.stop_training:
                break
        return evaluate_run(run, self.tagger, corpus, state, options, best_manager, self.predict_split)

    def split_vectors(self, split: str) -> np.ndarray:
        """A split's frozen word vectors, from the encoder cache (encoded on first use)."""
        if split not in self.frozen_vectors:
            options = self.options
            cache = Path(options.cache_dir) if options.cache_dir else self.run.path.parent / ".encoder_cache"
            self.frozen_vectors[split] = cached_word_vectors(
                self.encoder, self.corpus.words(split), self.corpus.files[split], cache,
                max_length=options.max_length, desc=f"encoding {split}", variant=cache_variant(options, split),
                layers=options.encoder_layers())
        return self.frozen_vectors[split]

    def predict_split(self, split: str) -> list[list[str]]:
        """The current model's tags for a split."""
        if self.options.fine_tune:  # the encoder changes while training: encode again
            return self.tagger.predict(self.corpus.words(split))
        return self.tagger.predict_vectors(self.split_vectors(split), self.corpus.words(split))

    def _epoch_data(self) -> Callable[[int], dict[str, Any]]:
        """``epoch -> keyword arguments of fit``: the training data in the order fixed by (seed, epoch)."""
        options, corpus = self.options, self.corpus
        tag_index = {t: i for i, t in enumerate(corpus.tags)}
        assert options.batch_size is not None  # resolved in NerOptions.__post_init__
        if options.fine_tune:
            batches = _fine_tune_batches(self.encoder, corpus, tag_index, options.batch_size, options.max_length,
                                         options.seed)

            def fine_tune_data(epoch: int) -> dict[str, Any]:
                batches.set_epoch(epoch)
                return {"x": batches}
            return fine_tune_data
        x_train = self.split_vectors("train")
        y_train = np.array([tag_index[t] for s in corpus.splits["train"] for t in s.tags], np.int32)
        self.split_vectors("dev")  # encode before training starts, not inside the first epoch

        def frozen_data(epoch: int) -> dict[str, Any]:
            order = np.random.default_rng(options.seed + epoch).permutation(len(y_train))
            return {"x": x_train[order], "y": y_train[order], "batch_size": options.batch_size, "shuffle": False}
        return frozen_data

    def _compile(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, float | None]]:
        """Compiles the model with one Adam per learning rate.

        Returns:
            What the epoch checkpoint holds (model and optimizers), the optimizers by name,
            and their learning rates.
        """
        options = self.options
        optimizer = keras.optimizers.Adam(options.learning_rate)
        # One optimizer per learning rate: frozen (model, circuits), fine-tuned (encoder, head, circuits).
        rates = {"optimizer": options.learning_rate}
        if options.fine_tune:
            rates["head_optimizer"] = options.head_learning_rate
        rates["circuit_optimizer"] = options.circuit_rate()
        optimizers = {name: optimizer if name == "optimizer" else keras.optimizers.Adam(rate)
                      for name, rate in rates.items()}
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.tagger.model.compile(optimizer=optimizer, loss=loss,
                                  extra_optimizers=[optimizers[n] for n in rates if n != "optimizer"])
        return {"model": self.tagger.model, **optimizers}, optimizers, rates


def evaluate_run(run: RunDir, tagger: Tagger, corpus: Corpus, state: TrainingState, options: NerOptions,
                 best_manager: tf.train.CheckpointManager,
                 predict_split: Callable[[str], list[list[str]]]) -> dict[str, Any]:
    """Scores the best model on dev (and test) and writes metrics.json and training.png."""
    if best_manager.latest_checkpoint:
        tagger.checkpoint().restore(best_manager.latest_checkpoint).expect_partial()
    metrics: dict[str, Any] = {
        "head": options.head, "ansatz": options.ansatz if options.head_type().uses_circuit else None,
        "qubits": options.qubits, "depth": options.depth, "encoder": options.encoder,
        "fine_tune": options.fine_tune, "epochs_done": state.epochs_done, "best_epoch": state.best_epoch,
        "best_dev_entity_f1": state.best_f1,
        "train_tokens_per_s": state.mean_tokens_per_s(),  # over every epoch, resumed ones included
        "trainable_parameters": int(sum(np.prod(w.shape) for w in tagger.head.trainable_weights)),
        "circuit_parameters": int(sum(np.prod(w.shape) for w in tagger.head.circuit_variables())),
        "design": options.design().to_config(), "entangler": options.entangler, "encoding": options.encoding,
        "encoder_features": options.encoder_features, "seed": options.seed,
        "history": state.history,
    }
    for split in ("dev", "test"):
        if split not in corpus.splits:
            continue
        print()
        metrics[split] = score(corpus.gold(split), predict_split(split), corpus.tags, split)
    write_json(run.metrics_path, metrics)
    if state.history:
        plot_history(state.history, run.plot_path, title=f"{options.head} head ({run.path.name})")
    print(f"\nmetrics: {run.metrics_path}  plot: {run.plot_path}  model: {run.path / 'best'}")
    return metrics
