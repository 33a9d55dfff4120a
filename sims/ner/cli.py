"""Command lines for NER: train/compare (``examples/ner_conll.py``, ``sims.run --task ner``)
and predict (``examples/ner_predict.py``)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Sequence

from qcircuits.errors import ConfigurationError
from sims.cli_args import OneLineParser, guarded, seed_list
from sims.ner.conll import split_words  # noqa: F401  (re-exported: its old home)
from sims.ner.head_registry import get_head  # no TensorFlow


def _ner_option_dests() -> set[str]:
    from sims.ner.options import NerOptions, option_dest

    return {option_dest(f) for f in dataclasses.fields(NerOptions)} - {"seed"} | {"seeds"}


# Options of a NER run as sims.run names them (argparse dests), for its mode checks; --seed is
# everyone's (and a sweep's seeds are its own list).
NER_OPTIONS = _ner_option_dests()


def add_ner_arguments(parser: argparse.ArgumentParser, *, with_circuit: bool = True) -> None:
    """The NER options, generated from the fields of :class:`~sims.ner.options.NerOptions`' three parts.

    ``with_circuit`` adds the options that ``sims.run`` already has for every subcommand
    (ansatz, qubits, depth, entanglement, encoding, reupload, backend, seed, plugin).
    """
    from sims.ner.options import ARGUMENT_GROUPS, option_dest, option_flag

    for title, kind in ARGUMENT_GROUPS:
        group = parser.add_argument_group(title)
        for field in dataclasses.fields(kind):
            meta = field.metadata
            if meta["circuit"] and not with_circuit:
                continue
            if field.default is False:
                group.add_argument(option_flag(field), dest=option_dest(field), action="store_true", help=meta["help"])
                continue
            group.add_argument(option_flag(field), dest=option_dest(field), default=field.default, type=meta["type"],
                               choices=meta["choices"], help=meta["help"])
    parser.add_argument("--seeds", type=seed_list,
                        help="comma list of seeds: every configuration is trained once per seed, and the comparison "
                             "reports mean ± std over them (overrides --seed)")
    if with_circuit:
        parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE",
                            help="a module or .py file that registers ansatze or heads (repeatable)")


def options_from_args(args: argparse.Namespace, head: str):
    """The run's :class:`~sims.ner.options.NerOptions` from parsed arguments; an option not given
    (``None``, as ``sims.run`` leaves its shared ones) takes the field's default."""
    from sims.ner.options import NerOptions, option_dest

    values = {}
    for field in dataclasses.fields(NerOptions):
        value = getattr(args, option_dest(field), None)
        values[field.name] = field.default if value is None else value
    return NerOptions(**{**values, "head": head})


def comma_list(text: str, flag: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``; an empty name (``--head ''``, ``--head a,,b``) is refused.

    Raises:
        ConfigurationError: naming the option and the empty entry.
    """
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise ConfigurationError(f"{flag} {text!r} has an empty name; expected a name or a comma list of names.")
    return names


def run_ner(args: argparse.Namespace) -> None:
    """Trains one configuration, or each of a comparison (heads x ansatze x seeds) into sub-folders.

    A comparison writes one row per run (``comparison.json/.csv``), a summary over seeds
    (mean ± std, the best configuration first: ``summary.json/.csv``) and a plot.
    """
    from qcircuits import plugins
    from sims.ner.options import DEFAULTS

    plugins.load_plugins(getattr(args, "plugin", []))
    heads = comma_list(args.head, "--head")
    ansatze = comma_list(args.ansatz or DEFAULTS["ansatz"], "--ansatz")
    seeds = args.seeds or [args.seed]
    all_options = []  # validate every configuration before training any
    for head in heads:
        for ansatz in (ansatze if get_head(head).uses_circuit else ansatze[:1]):
            for run_seed in seeds:
                all_options.append(options_from_args(
                    argparse.Namespace(**{**vars(args), "ansatz": ansatz, "seed": run_seed}), head))
    if len(all_options) == 1:
        run_ner_single(all_options[0])
        return
    root = Path(args.run_dir or "runs/ner-compare")
    write_comparison(root, compare(args, heads, ansatze, seeds, root))


def compare(args: argparse.Namespace, heads: list[str], ansatze: list[str], seeds: list[int],
            root: Path) -> list[dict]:
    """Trains heads x ansatze x seeds as a sweep run here, one trial after another, into ``root/trials``.

    The same machinery as ``python -m sims.run sweep``: a trial already finished (its
    result file) is not trained again, and a cut-off one resumes from its last epoch.

    Returns:
        One comparison row per trial.
    """
    from sims.sweep.executors import run_local
    from sims.sweep.results import is_done, read_result, trial_dir
    from sims.sweep.spec import spec_from_data
    from sims.sweep.tasks import ner_options

    shared = {name: value for name, value in vars(args).items()
              if name in NER_OPTIONS | {"plugin"} and name not in ("head", "ansatz", "seeds", "run_dir")
              and value is not None and value is not False and value != []}
    configurations = [{"head": head, "ansatz": ansatz} if get_head(head).uses_circuit else {"head": head}
                      for head in heads for ansatz in (ansatze if get_head(head).uses_circuit else ansatze[:1])]
    spec = spec_from_data({"task": "ner", "seeds": seeds, "options": shared, "configurations": configurations},
                          Path("comparison"))
    trials = spec.trials()
    run_local("ner", [t for t in trials if not is_done(root, t)], root, capture=False, raise_errors=True)
    rows = []
    for trial in trials:
        _, options = ner_options(trial.options, trial.seed)
        options.run_dir = str(trial_dir(root, trial) / "run")
        rows.append(comparison_row(options, (read_result(root, trial) or {})["values"]))
    return rows


def run_ner_single(options):
    from sims.ner.trainer import train

    return train(options)


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


def train_main(argv: Sequence[str] | None = None, prog: str = "ner_conll.py") -> int:
    parser = OneLineParser(prog=prog, description="Train and evaluate a BERT -> head -> tagger on CoNLL data.")
    add_ner_arguments(parser)
    args = parser.parse_args(argv)
    return guarded(prog, lambda: run_ner(args),
                   interrupted="interrupted; run the same command again to resume from the last finished epoch")


def predict_main(argv: Sequence[str] | None = None, prog: str = "ner_predict.py") -> int:
    from sims.ner.evaluate import INPUT_FORMATS

    parser = OneLineParser(prog=prog, description="Print the entities a saved NER run finds in text, or tag a file.")
    parser.add_argument("run_dir", help="a run folder written by ner_conll.py")
    parser.add_argument("text", nargs="*", help="sentences (each argument is one sentence)")
    parser.add_argument("--input", metavar="FILE",
                        help="tag a file instead: one sentence per line, or CoNLL (first column; tags ignored)")
    parser.add_argument("--format", choices=INPUT_FORMATS, default="auto",
                        help="how --input is laid out (default: auto, which tells them apart)")
    parser.add_argument("--output", metavar="FILE", help="with --input: write 'word tag' CoNLL here (default: stdout)")
    parser.add_argument("--data-encoding", default="utf-8", help="text encoding of --input (default: utf-8)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE")
    args = parser.parse_args(argv)
    if bool(args.text) == bool(args.input):
        parser.error("give sentences or --input FILE (one of them)")
    if args.output and not args.input:
        parser.error("--output goes with --input")
    return guarded(prog, lambda: _predict(args))


def _predict(args: argparse.Namespace) -> None:
    """Loads a run and prints the entities of each sentence (or tags a whole file)."""
    from sims.ner.rundir import RunDir

    RunDir(args.run_dir).check_trained()  # clear errors before TensorFlow and the model load
    sentences = [split_words(t) for t in args.text]
    empty = [i + 1 for i, words in enumerate(sentences) if not words]
    if empty:
        raise ConfigurationError(f"Sentence {empty[0]} is empty (no words in {args.text[empty[0] - 1]!r}); expected "
                                 "at least one word per sentence.")
    from qcircuits import plugins

    plugins.load_plugins(args.plugin)
    if args.input:
        from sims.ner.evaluate import tag_file

        tag_file(args.run_dir, args.input, output=args.output, input_format=args.format,
                 encoding=args.data_encoding)
        return
    from sims.ner.scores import entities
    from sims.ner.tagger import Tagger

    tagger = Tagger.load(args.run_dir)
    for words, tags in zip(sentences, tagger.predict(sentences)):
        found = entities(list(words), tags)
        print(" ".join(words))
        for kind, text in found:
            print(f"  {kind:<5} {text}")
        if not found:
            print("  (no entities)")


def evaluate_main(argv: Sequence[str] | None = None, prog: str = "ner_evaluate.py") -> int:
    parser = OneLineParser(prog=prog, description="Score a saved NER run on a CoNLL file and write its predictions.")
    parser.add_argument("run_dir", help="a run folder written by ner_conll.py")
    parser.add_argument("file", help="a tagged CoNLL file (IOB1 or IOB2, LF or CRLF)")
    parser.add_argument("--out-dir", help="where predictions.conll and evaluation.json go "
                                          "(default: RUN_DIR/eval-<file name>)")
    parser.add_argument("--data-encoding", default="utf-8", help="text encoding of FILE (default: utf-8)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE")
    args = parser.parse_args(argv)

    def evaluate() -> None:
        from qcircuits import plugins
        from sims.ner.evaluate import evaluate_file

        plugins.load_plugins(args.plugin)
        evaluate_file(args.run_dir, args.file, out_dir=args.out_dir, encoding=args.data_encoding)

    return guarded(prog, evaluate)
