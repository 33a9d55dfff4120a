"""A NER comparison: heads x ansatze x seeds trained as one sweep here, then summarised over seeds.

What ``python -m sims.run ner --head quantum,bottleneck --seeds 0,1,2`` runs; trials go
to ``ROOT/trials/<key>/run`` (a finished one is not trained again, a cut-off one resumes
from its last epoch), and the tables and plot to ``ROOT``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sims.ner.heads import get_head


def configurations(heads: list[str], ansatze: list[str]) -> list[dict[str, str]]:
    """Every head, with every ansatz for the heads that run a circuit (the first one otherwise)."""
    return [{"head": head, "ansatz": ansatz} if get_head(head).uses_circuit else {"head": head}
            for head in heads for ansatz in (ansatze if get_head(head).uses_circuit else ansatze[:1])]


def compare(shared: dict[str, Any], heads: list[str], ansatze: list[str], seeds: list[int], root: Path) -> list[dict]:
    """Trains heads x ansatze x seeds one after another into ``root/trials``.

    Args:
        shared: the options every run shares (dict form, as in a sweep file).
        heads, ansatze, seeds: what varies.
        root: the comparison folder.

    Returns:
        One comparison row per trial.
    """
    from sims.sweep import run_here, spec_from_data, trial_dir
    from sims.sweep.tasks import ner_options

    spec = spec_from_data({"task": "ner", "seeds": seeds, "options": shared,
                           "configurations": configurations(heads, ansatze)}, Path("comparison"))
    results = run_here(spec, root, capture=False, raise_errors=True)
    rows = []
    for trial, result in zip(spec.trials(), results, strict=True):
        options = ner_options(trial.options, trial.seed)
        options.run_dir = str(trial_dir(root, trial) / "run")
        rows.append(comparison_row(options, result["values"]))
    return rows


def comparison_row(options, metrics: dict) -> dict:
    """One run of a comparison: its configuration label, seed, score, speed and size."""
    return {"label": options.head_type().label(options) + options.design_tag(), "head": options.head,
            "seed": options.seed,
            "run_dir": options.run_dir, "best_dev_entity_f1": metrics["best_dev_entity_f1"],
            "train_tokens_per_s": metrics["train_tokens_per_s"],
            "trainable_parameters": metrics["trainable_parameters"],
            "circuit_parameters": metrics.get("circuit_parameters", 0), "epochs_done": metrics["epochs_done"]}


def summarize(rows: list[dict]) -> list[dict]:
    """Rows grouped by configuration: mean ± std (sample std, ddof=1) over seeds, best first."""
    import numpy as np

    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["label"], []).append(row)
    summary = []
    for label, group in groups.items():
        f1 = np.array([r["best_dev_entity_f1"] for r in group], dtype=float)
        speed = [r["train_tokens_per_s"] for r in group if r["train_tokens_per_s"] is not None]
        summary.append({"label": label, "head": group[0]["head"], "seeds": [r["seed"] for r in group],
                        "f1_mean": float(f1.mean()), "f1_std": float(f1.std(ddof=1)) if len(f1) > 1 else 0.0,
                        "train_tokens_per_s": float(np.mean(speed)) if speed else None,
                        "trainable_parameters": group[0]["trainable_parameters"],
                        "circuit_parameters": group[0]["circuit_parameters"]})
    return sorted(summary, key=lambda s: -s["f1_mean"])


def write_comparison(root: Path, rows: list[dict]) -> None:
    """Writes comparison.json/.csv, summary.json/.csv and comparison.png, and prints the summary."""
    from sims.atomic import ensure_dir, write_csv, write_json
    from sims.ner.plots import plot_comparison

    ensure_dir(root, "Comparison folder (--run-dir)")
    summary = summarize(rows)
    write_json(root / "comparison.json", rows)
    write_csv(root / "comparison.csv", rows)
    write_json(root / "summary.json", summary)
    write_csv(root / "summary.csv", [{**s, "seeds": " ".join(map(str, s["seeds"]))} for s in summary])
    plot_comparison(rows, root / "comparison.png")
    print("\ncomparison (dev entity F1, mean ± std over seeds; best first):")
    for s in summary:
        speed = f"{s['train_tokens_per_s']:>10.0f} tokens/s" if s["train_tokens_per_s"] is not None else ""
        print(f"  {s['label']:<40} F1 {s['f1_mean']:.4f} ± {s['f1_std']:.4f} (n={len(s['seeds'])})   {speed}"
              f"   {s['trainable_parameters']} head parameters")
    print(f"written {root / 'comparison.json'}, comparison.csv, summary.json, summary.csv, comparison.png")
