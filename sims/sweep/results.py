"""A sweep's results on disk: one file per finished trial, and the tables and plot made from them.

Layout of the output folder::

    trials/<key>/result.json    one per finished (or failed) trial, written atomically
    trials/<key>/run/           a NER trial's run folder (checkpoints: an interrupted trial resumes)
    sweep.json, sweep.csv       one row per trial of the sweep file, pending ones included
    summary.json, summary.csv   grouped over seeds: mean ± std, the best configuration first
    sweep.png                   the ranking metric by configuration, each seed a dot

A trial counts as done when its result file says ``ok`` (or ``stopped``, ended early by the
ASHA scheduler); running the sweep again skips it.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from sims.atomic import write_csv, write_json
from sims.sweep.spec import SweepSpec, Trial

RESULT = "result.json"


def trial_dir(out_dir: Path, trial: Trial) -> Path:
    return out_dir / "trials" / trial.key


def read_result(out_dir: Path, trial: Trial) -> dict[str, Any] | None:
    """The trial's recorded result, or None (not run, or a result file that cannot be read)."""
    path = trial_dir(out_dir, trial) / RESULT
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) else None


FINISHED = ("ok", "stopped")  # stopped: ended early by the ASHA scheduler, on purpose


def is_done(out_dir: Path, trial: Trial) -> bool:
    """Whether the trial finished (ran to the end, or was stopped early by the scheduler)."""
    result = read_result(out_dir, trial)
    return result is not None and result.get("status") in FINISHED


def record(out_dir: Path, trial: Trial, status: str, values: dict[str, Any] | None = None,
           error: str | None = None, seconds: float | None = None) -> dict[str, Any]:
    """Writes the trial's result file atomically (``status``: ok, error or stopped).

    A ``detail`` entry of ``values`` (a task's full, nested output) is kept beside the
    numbers, out of the tables.
    """
    values = dict(values or {})
    detail = values.pop("detail", None)
    result = {"key": trial.key, "status": status, "seed": trial.seed, "configuration": trial.varying,
              "options": trial.options, "values": values, "error": error, "seconds": seconds,
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "detail": detail}
    write_json(trial_dir(out_dir, trial) / RESULT, result)
    return result


def table_rows(spec: SweepSpec, out_dir: Path) -> list[dict[str, Any]]:
    """One row per trial of the spec: configuration, seed, status, numbers and error."""
    rows = []
    for trial in spec.trials():
        result = read_result(out_dir, trial) or {"status": "pending", "values": {}, "error": None, "seconds": None}
        rows.append({"key": trial.key, "label": trial.label, **trial.varying, "seed": trial.seed,
                     "status": result["status"], **result.get("values", {}), "error": result.get("error"),
                     "seconds": result.get("seconds")})
    return rows


def summarize(rows: list[dict[str, Any]], metric: str, mode: str) -> list[dict[str, Any]]:
    """Rows grouped by configuration: mean ± std (ddof=1) of ``metric`` over the seeds that finished.

    The best configuration comes first (``mode``: ``max`` or ``min``); configurations with
    no finished seed come last.
    """
    import numpy as np

    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["label"], []).append(row)
    summary = []
    for label, group in groups.items():
        values = [float(r[metric]) for r in group if r["status"] == "ok" and _number(r.get(metric))]
        summary.append({"label": label, f"{metric}_mean": float(np.mean(values)) if values else None,
                        f"{metric}_std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0 if values else None,
                        "seeds_done": len(values), "seeds": len(group),
                        "failed": sum(r["status"] == "error" for r in group),
                        "stopped": sum(r["status"] == "stopped" for r in group),
                        "seconds_mean": _mean([r["seconds"] for r in group if r["status"] == "ok"])})
    sign = -1.0 if mode == "max" else 1.0
    return sorted(summary, key=lambda s: (s[f"{metric}_mean"] is None, sign * (s[f"{metric}_mean"] or 0.0)))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _mean(values: list[Any]) -> float | None:
    numbers = [float(v) for v in values if _number(v)]
    return sum(numbers) / len(numbers) if numbers else None


def write_tables(spec: SweepSpec, out_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Writes sweep.json/.csv, summary.json/.csv and sweep.png; returns (rows, summary)."""
    from sims.sweep.plots import plot_sweep

    rows = table_rows(spec, out_dir)
    summary = summarize(rows, spec.metric, spec.mode)
    write_json(out_dir / "sweep.json", {"task": spec.task, "metric": spec.metric, "mode": spec.mode,
                                        "sweep_file": str(spec.path), "rows": rows})
    write_csv(out_dir / "sweep.csv", rows)
    write_json(out_dir / "summary.json", summary)
    write_csv(out_dir / "summary.csv", summary)
    if any(r["status"] == "ok" for r in rows):
        plot_sweep(rows, spec.metric, spec.mode, out_dir / "sweep.png")
    return rows, summary


def format_summary(summary: list[dict[str, Any]], metric: str) -> str:
    """The summary as text, best first."""
    width = max([len(s["label"]) for s in summary] + [13])
    lines = [f"{'configuration':<{width}}  {metric + ' (mean ± std)':>28}  seeds"]
    for s in summary:
        mean, std = s[f"{metric}_mean"], s[f"{metric}_std"]
        cell = f"{mean:.4g} ± {std:.2g}" if mean is not None else "-"
        failed = (f", {s['failed']} failed" if s["failed"] else "") + \
            (f", {s['stopped']} stopped early" if s["stopped"] else "")
        lines.append(f"{s['label']:<{width}}  {cell:>28}  {s['seeds_done']}/{s['seeds']}{failed}")
    return "\n".join(lines)
