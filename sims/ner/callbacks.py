"""Keras callbacks for NER training: dev F1, checkpoints, early stopping, throughput, divergence."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sims.ner.evaluation import entity_f1
from sims.ner.rundir import RunDir
from sims.ner.state import TrainingState
from sims.tf_env import keras, tf


class ThroughputMeter(keras.callbacks.Callback):
    """Training tokens (words) per second, per epoch, excluding evaluation.

    Put it first in the callback list so its epoch end comes before evaluation.
    """

    def __init__(self, words_per_epoch: int):
        super().__init__()
        self.words_per_epoch = words_per_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["train_tokens_per_s"] = self.words_per_epoch / (time.perf_counter() - self._start)


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training at the first step whose loss is NaN or infinite, and remembers where.

    The epoch in progress is then not checkpointed (see :class:`EpochEnd`), so the run
    keeps its last good checkpoint and a resume never reloads the poisoned weights.
    """

    def __init__(self):
        super().__init__()
        self.diverged: tuple[int, int, float] | None = None  # (epoch, step, loss), 1-based
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.diverged is None:
            self.diverged = (self._epoch + 1, batch + 1, float(loss))
            self.model.stop_training = True


class EpochEnd(keras.callbacks.Callback):
    """After each epoch: dev entity F1, best weights, a checkpoint, and early stopping.

    The training state (history, best F1, patience counter, checkpoint path relative
    to the run folder) is written after the checkpoint, so a run killed at any moment
    resumes from the last finished epoch.

    Args:
        run: the run folder.
        save_best: saves the current model as the best one, numbered by epoch.
        manager: the ``tf.train.CheckpointManager`` of model and optimizer.
        predict_dev: returns the dev tag sequences predicted by the current model.
        dev_gold: dev gold tag sequences.
        state: training state to continue from.
        patience: epochs without improvement before stopping.
        guard: the run's :class:`DivergenceGuard`; a diverged epoch is not recorded.
    """

    def __init__(self, run: RunDir, save_best: Callable[[int], object], manager: tf.train.CheckpointManager,
                 predict_dev: Callable[[], list[list[str]]], dev_gold: list[list[str]],
                 state: TrainingState, patience: int, guard: DivergenceGuard | None = None):
        super().__init__()
        self.run, self.save_best, self.manager = run, save_best, manager
        self.predict_dev, self.dev_gold = predict_dev, dev_gold
        self.state, self.patience, self.guard = state, patience, guard

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.diverged is not None:
            return  # poisoned weights: nothing of this epoch is kept
        logs = logs if logs is not None else {}
        f1 = entity_f1(self.dev_gold, self.predict_dev())
        logs["dev_entity_f1"] = f1
        print(f"\nepoch {epoch + 1}: dev entity F1 {f1:.4f}")
        # The best model is saved before the epoch's checkpoint, and the state written last.
        if self.state.best_f1 is None or f1 > self.state.best_f1:
            self.save_best(epoch + 1)
        checkpoint = self.run.relative(self.manager.save(checkpoint_number=epoch + 1))
        self.state.record_epoch(epoch + 1, {k: float(v) for k, v in logs.items()}, checkpoint)
        self.run.write_state(self.state)
        if self.state.stopped_early(self.patience):
            print(f"early stopping: no dev F1 gain for {self.patience} epoch(s)")
            self.model.stop_training = True
