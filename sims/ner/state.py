"""The training state of a NER run (``RUN_DIR/state.json``): typed, versioned, checked on load.

No TensorFlow: run folders are inspected (and sweeps resumed) without it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

# Version 1 added the "version" key; files without it (0.1.0 and the 0.2 previews) hold the
# same fields and load as version 1. A newer version is refused: its meaning is unknown here.
STATE_VERSION = 1


class StateError(ValueError):
    """A state file's content is not a training state (the message says what is wrong)."""


@dataclasses.dataclass
class TrainingState:
    """Where a run stands after its last finished epoch.

    Attributes:
        epochs_done: finished epochs (the next one to train is ``epochs_done + 1``).
        history: one entry per finished epoch: ``epoch``, ``loss``, ``dev_entity_f1``,
            ``train_tokens_per_s`` and whatever else Keras logged.
        best_f1: the best dev entity F1 so far (None before the first epoch).
        best_epoch: the epoch that reached it.
        wait: epochs since the best one (early stopping stops at ``patience``).
        checkpoint: the last epoch's checkpoint, relative to the run folder.
        version: the state file format (:data:`STATE_VERSION`).
    """

    epochs_done: int = 0
    history: list[dict[str, float]] = dataclasses.field(default_factory=list)
    best_f1: float | None = None
    best_epoch: int | None = None
    wait: int = 0
    checkpoint: str | None = None
    version: int = STATE_VERSION

    def record_epoch(self, epoch: int, record: dict[str, float], checkpoint: str) -> bool:
        """Adds a finished epoch (1-based) with its logged values and checkpoint.

        Returns:
            True when its dev entity F1 is the best so far (the caller saves the best model).
        """
        f1 = record["dev_entity_f1"]
        self.history.append({"epoch": epoch, **record})
        improved = self.best_f1 is None or f1 > self.best_f1
        if improved:
            self.best_f1, self.best_epoch, self.wait = f1, epoch, 0
        else:
            self.wait += 1
        self.checkpoint, self.epochs_done = checkpoint, epoch
        return improved

    def stopped_early(self, patience: int) -> bool:
        """True once ``patience`` epochs have passed without a better dev F1."""
        return self.wait >= patience

    def mean_tokens_per_s(self) -> float | None:
        """Training speed averaged over every epoch of the run (resumed ones included)."""
        speeds = [h["train_tokens_per_s"] for h in self.history if "train_tokens_per_s" in h]
        return sum(speeds) / len(speeds) if speeds else None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> TrainingState:
        """A state from its JSON object, every field checked.

        Raises:
            StateError: naming the fields that are missing or of the wrong type, or a
                version newer than this code reads.
        """
        if not isinstance(data, dict):
            raise StateError(f"expected a JSON object; got {type(data).__name__}")
        version = data.get("version", STATE_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise StateError(f"bad version {version!r}")
        if version > STATE_VERSION:
            raise StateError(f"version {version} is newer than this toolkit reads ({STATE_VERSION}); upgrade it")
        checks: dict[str, Callable[[Any], bool]] = {
            "epochs_done": _count,
            "history": lambda v: isinstance(v, list) and all(isinstance(h, dict) for h in v),
            "wait": _count,
            "best_f1": lambda v: v is None or (_number(v) and math.isfinite(v)),
            "best_epoch": lambda v: v is None or _count(v),
            "checkpoint": lambda v: v is None or isinstance(v, str),
        }
        required = ("epochs_done", "history", "wait")  # the others were added later; absent means None
        bad = [k for k, ok in checks.items() if (k in required and k not in data) or not ok(data.get(k))]
        if bad:
            raise StateError(f"bad or missing: {', '.join(bad)}")
        if len(data["history"]) != data["epochs_done"]:
            raise StateError(f"history has {len(data['history'])} epochs but epochs_done is {data['epochs_done']}")
        return cls(epochs_done=data["epochs_done"], history=data["history"], best_f1=data.get("best_f1"),
                   best_epoch=data.get("best_epoch"), wait=data["wait"], checkpoint=data.get("checkpoint"))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
