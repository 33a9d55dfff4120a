"""NER metrics: entity-level (seqeval, the CoNLL standard) and per-tag token level."""

from __future__ import annotations

from typing import Any

import numpy as np


def entity_report(gold: list[list[str]], predicted: list[list[str]]) -> dict[str, Any]:
    """Entity precision/recall/F1/support per type plus micro, macro and weighted averages."""
    from seqeval.metrics import classification_report

    report = classification_report(gold, predicted, output_dict=True, zero_division=0)
    return {label: {k: float(v) for k, v in values.items()} for label, values in report.items()}


def token_report(gold: list[list[str]], predicted: list[list[str]], tags: list[str]) -> dict[str, Any]:
    """Per-tag token precision/recall/F1/support plus micro, macro and weighted averages.

    A gold tag missing from ``tags`` (never seen in training) gets its own row and counts in
    the averages: its tokens are errors, as at the entity level.
    """
    from sklearn.metrics import precision_recall_fscore_support

    flat_gold = [t for s in gold for t in s]
    flat_pred = [t for s in predicted for t in s]
    tags = list(tags) + sorted(set(flat_gold) - set(tags))
    p, r, f, support = precision_recall_fscore_support(flat_gold, flat_pred, labels=tags, zero_division=0)
    report = {tag: {"precision": float(p[i]), "recall": float(r[i]), "f1-score": float(f[i]),
                    "support": int(support[i])} for i, tag in enumerate(tags)}
    for average in ("micro", "macro", "weighted"):
        ap, ar, af, _ = precision_recall_fscore_support(flat_gold, flat_pred, labels=tags, average=average,
                                                       zero_division=0)
        report[f"{average} avg"] = {"precision": float(ap), "recall": float(ar), "f1-score": float(af),
                                    "support": int(np.sum(support))}
    return report


def entity_f1(gold: list[list[str]], predicted: list[list[str]]) -> float:
    """Micro-averaged entity F1."""
    from seqeval.metrics import f1_score

    return float(f1_score(gold, predicted, zero_division=0))


def format_report(report: dict[str, Any], title: str) -> str:
    """A classification-report-style table."""
    width = max(len(k) for k in report)
    lines = [title, f"{'':<{width}}  precision  recall  f1-score  support"]
    for label, v in report.items():
        lines.append(f"{label:<{width}}  {v['precision']:>9.4f}  {v['recall']:>6.4f}  {v['f1-score']:>8.4f}"
                     f"  {int(v['support']):>7}")
    return "\n".join(lines)


def entities(words: list[str], tags: list[str]) -> list[tuple[str, str]]:
    """``[(type, text), ...]`` for the entities in one tagged sentence."""
    from seqeval.metrics.sequence_labeling import get_entities

    return [(kind, " ".join(words[start:end + 1])) for kind, start, end in get_entities(list(tags))]
