"""The plot of a sweep: the ranking metric per configuration, mean ± std, each seed a dot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sims.plotting import pyplot, save_png


def plot_sweep(rows: list[dict[str, Any]], metric: str, mode: str, path: Path) -> None:
    """Horizontal bars (mean ± std over seeds) in ranking order, best on top; failed trials are left out."""
    import numpy as np

    plt = pyplot()
    values: dict[str, list[float]] = {}
    for row in rows:
        value = row.get(metric)
        if row["status"] == "ok" and isinstance(value, (int, float)):
            values.setdefault(row["label"], []).append(float(value))
    labels = sorted(values, key=lambda k: np.mean(values[k]), reverse=(mode == "max"))[::-1]  # best drawn on top
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.4 * len(labels) + 1.2)))
    y = np.arange(len(labels))
    means = [np.mean(values[k]) for k in labels]
    stds = [np.std(values[k], ddof=1) if len(values[k]) > 1 else 0.0 for k in labels]
    ax.barh(y, means, xerr=stds, color="tab:blue", alpha=0.6, capsize=3)
    for i, label in enumerate(labels):
        ax.plot(values[label], np.full(len(values[label]), i), "k.", markersize=5)
    ax.set_yticks(y, labels, fontsize=8)
    better = "higher" if mode == "max" else "lower"
    ax.set(xlabel=f"{metric} ({better} is better)", title="sweep: mean ± std over seeds (dots: seeds)")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    save_png(fig, path)
