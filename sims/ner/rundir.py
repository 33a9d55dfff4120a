"""A run folder: options, checkpoints, training state, the best model, metrics and plots.

Layout::

    RUN_DIR/config.json        options, tag set, encoder spec (written once)
    RUN_DIR/checkpoints/       tf.train checkpoints, one per finished epoch
    RUN_DIR/state.json         epoch history and early-stopping state (a TrainingState)
    RUN_DIR/best/              the best model (by dev entity F1), a tf.train checkpoint
    RUN_DIR/metrics.json       final metrics; RUN_DIR/training.png the per-epoch plot

Every file is written atomically, so killing a run never leaves a half-written one.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError
from sims.atomic import check_writable, ensure_dir, write_json
from sims.ner.state import StateError, TrainingState

# Options that may differ when a run is resumed (they do not change the model or the data; a
# learning rate may be lowered after a divergence).
RESUMABLE_DIFFERENCES = {"epochs", "tensorboard", "patience", "run_dir", "cache_dir", "learning_rate",
                         "head_learning_rate"}
LOCK_NAME = ".lock"


class RunDirError(ConfigurationError):
    """The folder is not a run, or does not match the options."""


def _refuse_non_file(path: Path) -> None:
    """Raises :class:`RunDirError` when ``path`` exists but is not a file (a folder named ``state.json``)."""
    if path.exists() and not path.is_file():
        raise RunDirError(f"{str(path)!r} exists but is not a file; move it away (the run's {path.name} goes there).")


class RunDir:
    """Paths and atomic I/O for one run folder."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.config_path = self.path / "config.json"
        self.state_path = self.path / "state.json"
        self.metrics_path = self.path / "metrics.json"
        self.plot_path = self.path / "training.png"
        self.checkpoint_dir = self.path / "checkpoints"

    def check_resume(self, config: dict[str, Any], defaults: dict[str, Any] | None = None) -> bool:
        """True when the folder holds a run made with ``config`` (to resume); False for a new run.

        Raises:
            RunDirError: if an existing run was made with different options, or the folder is
                not a run folder.
        """
        self.check_files()
        if self.config_path.is_file():
            self._check_same(config, defaults or {})
            return True
        if self.path.is_file() or (self.path.exists() and any(p.name != LOCK_NAME for p in self.path.iterdir())):
            raise RunDirError(f"{str(self.path)!r} exists and is not a run folder; choose a new --run-dir.")
        return False

    def check_files(self) -> None:
        """Refuses a folder where a run's file is not a file (a directory named ``state.json``, say).

        Reading such a file as missing would start the run again and overwrite finished epochs.

        Raises:
            RunDirError: naming the path.
        """
        for path in (self.config_path, self.state_path, self.metrics_path, self.plot_path):
            _refuse_non_file(path)
        if self.checkpoint_dir.exists() and not self.checkpoint_dir.is_dir():
            raise RunDirError(f"{str(self.checkpoint_dir)!r} exists but is not a folder; move it away "
                              "(the run's checkpoints go there).")

    def prepare(self, config: dict[str, Any], defaults: dict[str, Any] | None = None) -> bool:
        """Creates the folder, or checks a resumed one against ``config``.

        Returns:
            True when resuming an existing run.

        Raises:
            RunDirError: if an existing run was made with different options.
        """
        if self.check_resume(config, defaults):
            return True
        ensure_dir(self.path, "Run folder (--run-dir)")
        check_writable(self.config_path)
        write_json(self.config_path, config)
        return False

    def _check_same(self, config: dict[str, Any], defaults: dict[str, Any]) -> None:
        """Raises :class:`RunDirError` if the saved run differs from ``config`` in what shapes the model.

        An option the saved run does not record (it predates the option) counts as its default.
        """
        saved = self.read_config()
        saved_options = {**defaults, **saved["options"]}
        diffs = [k for k in sorted(set(saved_options) | set(config["options"]))
                 if k not in RESUMABLE_DIFFERENCES and saved_options.get(k) != config["options"].get(k)]
        if "head" in diffs:  # another head kind: its own options (entangler, init, ...) follow from it
            diffs = ["head"]
        if diffs:
            detail = ", ".join(f"{k}: {saved_options.get(k)!r} -> {config['options'].get(k)!r}" for k in diffs)
            raise RunDirError(
                f"Run folder {str(self.path)!r} was made with different options ({detail}); "
                "use those options to resume, or a new --run-dir.")
        if saved.get("tags") != config.get("tags"):
            raise RunDirError(f"Run folder {str(self.path)!r} was trained on a different tag set.")

    def changed_rates(self, config: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        """The learning rates ``config`` asks for that differ from the saved run's: ``{name: (saved, now)}``."""
        saved = self.read_config()["options"]
        return {k: (saved.get(k), config["options"].get(k)) for k in ("learning_rate", "head_learning_rate")
                if k in saved and saved.get(k) != config["options"].get(k)}

    def read_config(self) -> dict[str, Any]:
        """The saved config.

        Raises:
            RunDirError: if the folder is not a run.
        """
        _refuse_non_file(self.config_path)
        if not self.config_path.is_file():
            raise RunDirError(f"{str(self.path)!r} is not a run folder (no config.json).")
        try:
            config = json.loads(self.config_path.read_text())
        except OSError as exc:
            raise RunDirError(f"{str(self.config_path)!r} cannot be read ({exc.strerror}).") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunDirError(f"{str(self.config_path)!r} is not valid JSON: {exc}") from None
        if not isinstance(config, dict) or not isinstance(config.get("options"), dict) \
                or not isinstance(config.get("tags"), list) or not config["tags"]:
            raise RunDirError(f"{str(self.config_path)!r} is not a NER run config; expected an object with "
                              "'options' and 'tags' (was it written by another tool?).")
        return config

    def read_state(self) -> TrainingState:
        """The training state, checked; a fresh one when training has not finished an epoch.

        Raises:
            RunDirError: for a state file that is not valid (truncated, edited, from a newer
                version) or names a checkpoint that is missing.
        """
        _refuse_non_file(self.state_path)  # never read as "no epoch yet"
        if not self.state_path.is_file():
            return TrainingState()
        try:
            data = json.loads(self.state_path.read_text())
        except OSError as exc:
            raise RunDirError(f"{str(self.state_path)!r} cannot be read ({exc.strerror}).") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunDirError(
                f"{str(self.state_path)!r} is not valid JSON ({exc.__class__.__name__}: {exc}); it may be "
                "truncated. Delete it to train this run again from epoch 0.") from None
        try:
            state = TrainingState.from_json(data)
        except StateError as exc:
            raise RunDirError(f"{str(self.state_path)!r} is not a training state ({exc}). Delete it to train "
                              "this run again from epoch 0.") from None
        if state.checkpoint:
            self.checkpoint_path(state.checkpoint)  # fails now, not half-way, if it is missing
        return state

    def check_trained(self) -> None:
        """Refuses a run with no best model yet, before TensorFlow and the encoder load (minutes under load).

        Raises:
            RunDirError: naming the folder.
        """
        self.read_config()
        if not (self.path / "best" / "checkpoint").is_file():
            raise RunDirError(f"Run folder {str(self.path)!r} has no trained model yet (no best/ checkpoint); "
                              "train it first (it is saved after the first epoch).")

    def checkpoint_path(self, stored: str) -> str:
        """A stored checkpoint path (relative to the run folder) as a path to restore from.

        Raises:
            RunDirError: if the checkpoint is not inside this folder, or its files are missing.
        """
        path = Path(stored)
        if path.is_absolute():  # written by an older version: keep only what is inside this folder
            path = Path("checkpoints") / path.name
        full = self.path / path
        if not Path(str(full) + ".index").is_file():
            raise RunDirError(
                f"state.json of run {str(self.path)!r} names checkpoint {str(path)!r}, which is missing "
                "(was checkpoints/ deleted or the folder copied without it?). Delete state.json to train "
                "again from epoch 0.")
        return str(full)

    def relative(self, path: str) -> str:
        """``path`` relative to the run folder, as stored in state.json (so the folder can move)."""
        return os.path.relpath(path, self.path)

    def write_state(self, state: TrainingState) -> None:
        write_json(self.state_path, state.to_json())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Holds the run folder for one training process.

        The lock is an ``flock`` on ``RUN_DIR/.lock``: the kernel releases it when the
        process ends, so a killed run never leaves a stale lock behind.

        Raises:
            RunDirError: naming the process that holds the folder.
        """
        import fcntl

        created = not self.path.exists()
        ensure_dir(self.path, "Run folder (--run-dir)")
        lock_path = self.path / LOCK_NAME
        try:
            handle = open(lock_path, "a+")
        except OSError as exc:
            raise RunDirError(f"Run folder {str(self.path)!r} cannot be written ({exc.strerror}: {lock_path.name}); "
                              "training writes checkpoints there. Copy the run to a writable folder.") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RunDirError(f"Run folder {str(self.path)!r} is in use by {holder}; wait for it to finish "
                              "or choose another --run-dir.") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()} (since {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
            handle.flush()
            yield
        finally:
            if created and [p.name for p in self.path.iterdir()] == [LOCK_NAME]:
                # Refused before anything was written (options are checked after the lock): leave no
                # empty folder. Removed while the lock is still held, so no other run is inside.
                lock_path.unlink()
                with contextlib.suppress(OSError):
                    self.path.rmdir()
            handle.close()
