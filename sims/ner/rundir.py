"""A run folder: options, checkpoints, training state, the best model, metrics and plots.

Layout::

    RUN_DIR/config.json        options, tag set, encoder spec (written once)
    RUN_DIR/checkpoints/       tf.train checkpoints, one per finished epoch
    RUN_DIR/state.json         epoch history and early-stopping state
    RUN_DIR/best/              the best model (by dev entity F1), a tf.train checkpoint
    RUN_DIR/metrics.json       final metrics; RUN_DIR/training.png the per-epoch plot

Every file is written atomically, so killing a run never leaves a half-written one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError
from sims.atomic import check_writable, ensure_dir, write_json

# Options that may differ when a run is resumed (they do not change the model or the data).
RESUMABLE_DIFFERENCES = {"epochs", "tensorboard", "patience", "run_dir", "cache_dir"}


class RunDirError(ConfigurationError):
    """The folder is not a run, or does not match the options."""


class RunDir:
    """Paths and atomic I/O for one run folder."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.config_path = self.path / "config.json"
        self.state_path = self.path / "state.json"
        self.metrics_path = self.path / "metrics.json"
        self.plot_path = self.path / "training.png"
        self.checkpoint_dir = self.path / "checkpoints"

    def prepare(self, config: dict[str, Any]) -> bool:
        """Creates the folder, or checks a resumed one against ``config``.

        Returns:
            True when resuming an existing run.

        Raises:
            RunDirError: if an existing run was made with different options.
        """
        if self.config_path.is_file():
            saved = self.read_config()
            diffs = [k for k in sorted(set(saved["options"]) | set(config["options"]))
                     if k not in RESUMABLE_DIFFERENCES and saved["options"].get(k) != config["options"].get(k)]
            if diffs:
                detail = ", ".join(f"{k}: {saved['options'].get(k)!r} -> {config['options'].get(k)!r}" for k in diffs)
                raise RunDirError(
                    f"Run folder {str(self.path)!r} was made with different options ({detail}); "
                    "use those options to resume, or a new --run-dir.")
            if saved.get("tags") != config.get("tags"):
                raise RunDirError(f"Run folder {str(self.path)!r} was trained on a different tag set.")
            return True
        if self.path.is_file() or (self.path.exists() and any(self.path.iterdir())):
            raise RunDirError(f"{str(self.path)!r} exists and is not a run folder; choose a new --run-dir.")
        ensure_dir(self.path, "Run folder (--run-dir)")
        check_writable(self.config_path)
        write_json(self.config_path, config)
        return False

    def read_config(self) -> dict[str, Any]:
        """The saved config.

        Raises:
            RunDirError: if the folder is not a run.
        """
        if not self.config_path.is_file():
            raise RunDirError(f"{str(self.path)!r} is not a run folder (no config.json).")
        try:
            return json.loads(self.config_path.read_text())
        except json.JSONDecodeError as exc:
            raise RunDirError(f"{str(self.config_path)!r} is not valid JSON: {exc}") from None

    def read_state(self) -> dict[str, Any]:
        if self.state_path.is_file():
            return json.loads(self.state_path.read_text())
        return {"epochs_done": 0, "history": [], "best_f1": None, "best_epoch": None, "wait": 0,
                "checkpoint": None}

    def write_state(self, state: dict[str, Any]) -> None:
        write_json(self.state_path, state)
