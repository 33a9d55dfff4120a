"""Plots for NER runs (matplotlib, written atomically as PNG)."""

from __future__ import annotations

from pathlib import Path

from sims.plotting import pyplot, save_png


def plot_history(history: list[dict], path: Path, *, title: str) -> None:
    """Training loss and dev entity F1 per epoch."""
    plt = pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [h.get("loss") for h in history], "o-")
    left.set(xlabel="epoch", ylabel="training loss", title="loss")
    right.plot(epochs, [h.get("dev_entity_f1") for h in history], "o-", color="tab:green")
    right.set(xlabel="epoch", ylabel="entity F1", title="dev entity F1 (seqeval)", ylim=(0, 1))
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    save_png(fig, path)


def plot_comparison(rows: list[dict], path: Path) -> None:
    """Dev entity F1 and training throughput per head, side by side."""
    plt = pyplot()
    labels = [r["label"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.bar(labels, [r["best_dev_entity_f1"] or 0 for r in rows], color="tab:green")
    left.set(ylabel="dev entity F1", title="quality", ylim=(0, 1))
    right.bar(labels, [r["train_tokens_per_s"] or 0 for r in rows], color="tab:blue")
    right.set(ylabel="training tokens/s", title="speed", yscale="log")
    for ax in (left, right):
        ax.tick_params(axis="x", rotation=20)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save_png(fig, path)
