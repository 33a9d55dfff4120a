"""Scoring a saved run on a CoNLL file, and tagging files: ``ner_evaluate.py``, ``ner_predict.py --input``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from qcircuits.errors import ConfigurationError
from sims.atomic import check_writable, ensure_dir, write_json, write_text
from sims.ner.conll import ConllFormatError, check_known_tags, file_lines, read_conll, read_tokens, split_words
from sims.ner.rundir import RunDir
from sims.ner.scores import entity_report, format_report, token_report


def _load_tagger(run_dir: str | Path):
    """The run's best model; the run folder is checked before TensorFlow loads."""
    run = RunDir(run_dir)
    run.check_trained()
    config = run.read_config()
    from sims.ner.tagger import Tagger

    return config, Tagger.load(run_dir)


def evaluate_file(run_dir: str | Path, path: str | Path, *, out_dir: str | Path | None = None,
                  encoding: str = "utf-8", load_tagger: Callable[[], Any] | None = None) -> dict[str, Any]:
    """Tags a CoNLL file with a saved run, prints the reports, and writes the outputs.

    Writes ``predictions.conll`` (word, gold tag, predicted tag; gold tags in IOB2) and
    ``evaluation.json`` (entity and per-tag token reports) into ``out_dir`` (default:
    ``RUN_DIR/eval-<file name>``). ``load_tagger`` gives the run's best model (default: it
    is loaded from the folder, after the file is checked).

    Raises:
        ConfigurationError: for a missing or incomplete run folder, a file that is empty or
            malformed (a tag the run never saw is a warning: it is scored as always wrong).
    """
    run = RunDir(run_dir)
    config = run.read_config()  # a missing or broken run folder fails before the data is read
    sentences = read_conll(path, encoding)
    check_known_tags(sentences, config["tags"], "evaluation", path)
    target = Path(out_dir) if out_dir else run.path / f"eval-{Path(path).name}"
    ensure_dir(target, "Evaluation folder (--out-dir)")
    check_writable(target / "evaluation.json")
    tagger = load_tagger() if load_tagger is not None else _load_tagger(run_dir)[1]
    gold = [list(s.tags) for s in sentences]
    predicted = tagger.predict([s.words for s in sentences])
    metrics = {"run_dir": str(run.path), "file": str(path), "sentences": len(sentences),
               "words": sum(len(s.words) for s in sentences),
               "entity": entity_report(gold, predicted), "token": token_report(gold, predicted, config["tags"])}
    print(format_report(metrics["entity"], f"{path}: entity level (seqeval)"))
    print(format_report(metrics["token"], f"\n{path}: token level, per tag"))
    write_text(target / "predictions.conll", conll_text(sentences, predicted, gold))
    write_json(target / "evaluation.json", metrics)
    print(f"\nwritten {target / 'predictions.conll'} and {target / 'evaluation.json'}")
    return metrics


def conll_text(sentences, predicted: list[list[str]], gold: list[list[str]] | None = None) -> str:
    """CoNLL text: ``word [gold] predicted`` per line, a blank line after each sentence."""
    blocks = []
    for index, (sentence, tags) in enumerate(zip(sentences, predicted)):
        words = sentence.words if hasattr(sentence, "words") else sentence
        columns = [words, gold[index], tags] if gold is not None else [words, tags]
        blocks.append("\n".join(" ".join(row) for row in zip(*columns)))
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
