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


def _runs_circuit(head: str) -> bool:
    """Whether a row's head kind runs a circuit (its bars are coloured apart)."""
    from qcircuits.errors import ConfigurationError
    from sims.ner.heads import get_head

    try:
        return get_head(head).uses_circuit
    except ConfigurationError:  # a plugin head that is not loaded here: go by its name
        return "quantum" in head


def plot_comparison(rows: list[dict], path: Path) -> None:
    """Dev entity F1 (mean ± std over seeds, each seed a dot) and training speed per configuration.

    Bars are horizontal, so that long configuration names stay readable; the F1 axis spans
    the measured values, so that differences of a point show.
    """
    import numpy as np

    plt = pyplot()
    labels = list(dict.fromkeys(r["label"] for r in rows))
    f1 = {label: [r["best_dev_entity_f1"] or 0 for r in rows if r["label"] == label] for label in labels}
    speed = {label: [r["train_tokens_per_s"] or 0 for r in rows if r["label"] == label] for label in labels}
    circuit = {r["label"]: _runs_circuit(r.get("head", "")) for r in rows}
    colours = ["tab:orange" if circuit[label] else "tab:green" for label in labels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.32 * len(labels) + 1.6), sharey=True,
                                      gridspec_kw={"width_ratios": [2, 1]})
    y = np.arange(len(labels))
    left.barh(y, [np.mean(f1[k]) for k in labels], xerr=[np.std(f1[k], ddof=1) if len(f1[k]) > 1 else 0
                                                          for k in labels], color=colours, alpha=0.75, capsize=3)
    for i, label in enumerate(labels):
        left.plot(f1[label], np.full(len(f1[label]), i), "k.", markersize=4)
    low, high = min(min(v) for v in f1.values()), max(max(v) for v in f1.values())
    margin = max(0.01, 0.1 * (high - low))
    left.set(xlabel="dev entity F1", title="quality (mean ± std over seeds; dots: seeds)",
             xlim=(max(0.0, low - margin), min(1.0, high + margin)) if low > 0.2 else (0, 1))
    left.set_yticks(y, labels, fontsize=8)
    left.invert_yaxis()  # the first configuration on top, as in the tables
    right.barh(y, [np.mean(speed[k]) for k in labels], color=colours, alpha=0.75)
    right.set(xlabel="training tokens/s", title="speed", xscale="log")
    speeds = [np.mean(v) for v in speed.values() if np.mean(v) > 0]
    if speeds and max(speeds) >= 10 * min(speeds):  # minor labels of a log axis over decades overlap;
        right.xaxis.set_minor_formatter(plt.NullFormatter())  # within one decade they are the only ones
    for ax in (left, right):
        ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    save_png(fig, path)
