"""Evaluation: entity-level scores (seqeval, the CoNLL standard) and per-tag token scores, of a
split during training or of a saved run on a file; tagging whole files with a saved run."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qcircuits.errors import ConfigurationError
from sims.atomic import check_writable, ensure_dir, write_json, write_text
from sims.ner.conll import ConllFormatError, check_known_tags, file_lines, read_conll, read_tokens, split_words
from sims.ner.rundir import RunDir


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


def score(gold: list[list[str]], predicted: list[list[str]], tags: list[str], title: str) -> dict[str, Any]:
    """The entity and per-tag token reports of ``predicted`` against ``gold``, printed under ``title``."""
    reports = {"entity": entity_report(gold, predicted), "token": token_report(gold, predicted, tags)}
    print(format_report(reports["entity"], f"{title}: entity level (seqeval)"))
    print(format_report(reports["token"], f"\n{title}: token level, per tag"))
    return reports


def _load_tagger(run_dir: str | Path, overrides: dict[str, Any] | None = None):
    """The run's best model; the run folder is checked before TensorFlow loads."""
    run = RunDir(run_dir)
    run.check_trained()
    config = run.read_config()
    from sims.ner.tagger import Tagger

    return config, Tagger.load(run_dir, overrides)


def evaluate_file(run_dir: str | Path, path: str | Path, *, out_dir: str | Path | None = None,
                  encoding: str = "utf-8", load_tagger: Callable[[], Any] | None = None,
                  noise: str | None = None, shots: int | None = None) -> dict[str, Any]:
    """Tags a CoNLL file with a saved run, prints the reports, and writes the outputs.

    Writes ``predictions.conll`` (word, gold tag, predicted tag; gold tags in IOB2) and
    ``evaluation.json`` (entity and per-tag token reports) into ``out_dir`` (default:
    ``RUN_DIR/eval-<file name>``, plus ``-<noise>``/``-shots<N>`` when given). ``load_tagger``
    gives the run's best model (default: it is loaded from the folder, after the file is
    checked). ``noise`` and ``shots`` evaluate the trained weights under noise or with finite
    shots (default: as trained).

    Raises:
        ConfigurationError: for a missing or incomplete run folder, a file that is empty or
            malformed (a tag the run never saw is a warning: it is scored as always wrong).
    """
    run = RunDir(run_dir)
    config = run.read_config()  # a missing or broken run folder fails before the data is read
    sentences = read_conll(path, encoding)
    check_known_tags(sentences, config["tags"], "evaluation", path)
    overrides = {k: v for k, v in (("noise", noise), ("shots", shots)) if v is not None}
    suffix = "".join(f"-{k}{re.sub(r'[^A-Za-z0-9.]+', '', str(v))}" for k, v in overrides.items())
    target = Path(out_dir) if out_dir else run.path / f"eval-{Path(path).name}{suffix}"
    ensure_dir(target, "Evaluation folder (--out-dir)")
    check_writable(target / "evaluation.json")
    tagger = load_tagger() if load_tagger is not None else _load_tagger(run_dir, overrides)[1]
    gold = [list(s.tags) for s in sentences]
    predicted = tagger.predict([s.words for s in sentences])
    metrics = {"run_dir": str(run.path), "file": str(path), **overrides, "sentences": len(sentences),
               "words": sum(len(s.words) for s in sentences), **score(gold, predicted, config["tags"], str(path))}
    write_text(target / "predictions.conll", conll_text(sentences, predicted, gold))
    write_json(target / "evaluation.json", metrics)
    print(f"\nwritten {target / 'predictions.conll'} and {target / 'evaluation.json'}")
    return metrics


def conll_text(sentences, predicted: list[list[str]], gold: list[list[str]] | None = None) -> str:
    """CoNLL text: ``word [gold] predicted`` per line, a blank line after each sentence."""
    blocks = []
    for index, (sentence, tags) in enumerate(zip(sentences, predicted, strict=True)):
        words = sentence.words if hasattr(sentence, "words") else sentence
        columns = [words, gold[index], tags] if gold is not None else [words, tags]
        blocks.append("\n".join(" ".join(row) for row in zip(*columns, strict=True)))
    return "\n\n".join(blocks) + "\n"


INPUT_FORMATS = ("auto", "lines", "conll")


def read_input(path: str | Path, input_format: str = "auto", encoding: str = "utf-8") -> list[tuple[str, ...]]:
    """Sentences to tag from a file: one sentence per line, or CoNLL (first column; tags ignored).

    ``auto`` reads CoNLL when most non-blank lines hold a single token or start with
    ``-DOCSTART-`` (a tagged CoNLL file has its word first too), and lines otherwise.

    Raises:
        ConfigurationError: for a missing or empty file, or an unknown format.
    """

    if input_format not in INPUT_FORMATS:
        raise ConfigurationError(f"Unknown input format {input_format!r}; expected one of {', '.join(INPUT_FORMATS)}.")
    lines = [text for _, text in file_lines(Path(path), encoding)]
    filled = [line for line in lines if line.strip()]
    if not filled:
        raise ConllFormatError(f"Input file {str(path)!r} holds no text.")
    if input_format == "auto":
        token_like = sum(1 for line in filled if len(line.split()) == 1 or line.startswith("-DOCSTART-")
                         or _looks_tagged(line))
        input_format = "conll" if token_like >= 0.8 * len(filled) else "lines"
    if input_format == "conll":
        return [s for s in read_tokens(path, encoding)]
    return [split_words(line) for line in filled if split_words(line)]


def _looks_tagged(line: str) -> bool:
    last = line.split()[-1]
    return last == "O" or (len(last) > 2 and last[:2] in ("B-", "I-"))


def tag_file(run_dir: str | Path, path: str | Path, *, output: str | Path | None = None,
             input_format: str = "auto", encoding: str = "utf-8") -> int:
    """Tags every sentence of a file; writes ``word tag`` CoNLL to ``output`` (or prints it).

    Returns:
        The number of sentences tagged.
    """
    sentences = read_input(path, input_format, encoding)
    if output:
        check_writable(output)
    _, tagger = _load_tagger(run_dir)
    predicted = tagger.predict(sentences)  # batched, with a progress bar
    text = conll_text(sentences, predicted)
    if output:
        write_text(output, text)
        print(f"tagged {len(sentences)} sentences into {output}")
    else:
        print(text, end="")
    return len(sentences)
