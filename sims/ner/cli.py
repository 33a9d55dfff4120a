"""Command lines for NER: train/compare (``examples/ner_conll.py``, ``sims.run --task ner``)
and predict (``examples/ner_predict.py``)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Sequence

from qcircuits.errors import ConfigurationError
from sims.cli_args import OneLineParser, guarded, integer, positive_float, positive_int, seed, seed_list
from sims.ner.design import ENCODER_FEATURES, INITS, READOUTS, SCALINGS  # no TensorFlow
from sims.ner.head_registry import get_head, head_names

# Options of a NER run as sims.run names them (argparse dests), for its mode checks.
NER_OPTIONS = {"data_dir", "data_encoding", "run_dir", "head", "encoder", "fine_tune", "epochs", "batch_size",
               "learning_rate", "head_learning_rate", "patience", "max_length", "max_sentences", "tensorboard",
               "cache_dir", "ansatz", "qubits", "depth", "entanglement", "encoding", "reupload", "backend",
               "entangler", "scaling", "trainable_scaling", "head_readout", "circuit_init", "blocks",
               "circuit_learning_rate", "encoder_features", "seeds"}


def add_ner_arguments(parser: argparse.ArgumentParser, *, with_circuit: bool = True) -> None:
    """NER options; ``with_circuit`` adds the circuit options that ``sims.run`` already has."""
    group = parser.add_argument_group("NER")
    group.add_argument("--data-dir", help="folder with train/dev(/test) CoNLL files "
                                          "(default: the small demo corpus shipped with the project)")
    group.add_argument("--data-encoding", default="utf-8",
                       help="text encoding of the data files (default: utf-8; latin-1 for older corpora such as "
                            "the German CoNLL-2003 files)")
    group.add_argument("--run-dir", help="output folder (default: runs/ner-<data>-<head>...); "
                                         "running again with the same options resumes it")
    group.add_argument("--head", default="quantum",
                       help=f"{', '.join(head_names())} (or one registered by a --plugin module), or a comma "
                            "list to compare heads (default: %(default)s)")
    group.add_argument("--encoder", default="minilm",
                       help="minilm (offline default), a local model folder, a hub name, or tiny (random, tests)")
    group.add_argument("--fine-tune", action="store_true", help="train the encoder too (default: frozen)")
    group.add_argument("--epochs", type=positive_int, default=10)
    group.add_argument("--batch-size", type=positive_int,
                       help="words per batch (frozen: 128, 16 on the demo corpus) or windows per batch (fine-tune: 16)")
    group.add_argument("--learning-rate", type=positive_float,
                       help="Adam learning rate (default 5e-3 frozen, 5e-5 fine-tune)")
    group.add_argument("--head-learning-rate", type=positive_float, default=5e-3,
                       help="with --fine-tune: Adam learning rate of the head (default: %(default)s)")
    group.add_argument("--patience", type=positive_int, default=3, help="early stopping on dev entity F1")
    group.add_argument("--max-length", type=positive_int, default=128, help="sub-tokens per window")
    group.add_argument("--max-sentences", type=positive_int, help="use only the first N training sentences")
    group.add_argument("--tensorboard", action="store_true", help="write TensorBoard logs in the run folder")
    group.add_argument("--cache-dir", help="where frozen encoder outputs are cached")
    group.add_argument("--encoder-features", choices=ENCODER_FEATURES, default="last",
                       help="frozen encoder: its last layer (default), or the sum or concatenation of the last four "
                            "(feature-based NER in the BERT paper)")
    group.add_argument("--seeds", type=seed_list,
                       help="comma list of seeds: every configuration is trained once per seed, and the comparison "
                            "reports mean ± std over them (overrides --seed)")
    design = parser.add_argument_group("head design (quantum head and its classical twin)")
    design.add_argument("--scaling", choices=SCALINGS, default="linear",
                        help="projection -> angles: linear (as is), tanh (pi/2 tanh), layernorm (then pi/2 tanh); "
                             "the bottleneck twin applies tanh (after layernorm) (default: %(default)s)")
    design.add_argument("--trainable-scaling", action="store_true",
                        help="a trainable per-feature factor before the scaling (both heads)")
    design.add_argument("--head-readout", choices=READOUTS, default="z",
                        help="z: one readout per qubit; zz: plus Z_i Z_i+1; zz_all: plus every pair (the twin "
                             "appends the same products of its units) (default: %(default)s)")
    design.add_argument("--circuit-init", choices=INITS, default="uniform",
                        help="circuit weights: uniform in [0, 2pi), small in [-0.1, 0.1], or zeros (identity "
                             "blocks with a parametrised --entangler) (default: %(default)s)")
    design.add_argument("--blocks", type=positive_int, default=1,
                        help="residual blocks h + Q(h) (the twin: h + tanh(W h + b)) (default: %(default)s)")
    design.add_argument("--entangler", help="hardware_efficient: cx (default), cz, or parametrised crz, crx, cry, rzz")
    design.add_argument("--circuit-learning-rate", type=positive_float,
                        help="Adam learning rate of the circuit weights (default: that of the head)")
    if with_circuit:
        circuit = parser.add_argument_group("quantum head")
        circuit.add_argument("--ansatz", default="strongly_entangling",
                             help="registered ansatz, or a comma list to compare several quantum heads")
        circuit.add_argument("--qubits", type=integer, default=8, help="quantum width = bottleneck width")
        circuit.add_argument("--depth", type=integer, default=2)
        circuit.add_argument("--entanglement")
        circuit.add_argument("--encoding", default="angle_y")
        circuit.add_argument("--reupload", action="store_true")
        circuit.add_argument("--backend", default="auto",
                             help="quantum layer backend: auto (default), statevector or tfq "
                                  "(training needs gradients)")
        circuit.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE")
        parser.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2^32-1 (default: %(default)s)")


def options_from_args(args: argparse.Namespace, head: str):
    from sims.ner.options import NerOptions

    return NerOptions(
        data_dir=args.data_dir, data_encoding=args.data_encoding, run_dir=args.run_dir, head=head,
        ansatz=args.ansatz or "strongly_entangling",
        qubits=args.qubits if args.qubits is not None else 8, depth=args.depth if args.depth is not None else 2,
        entanglement=args.entanglement, encoding=args.encoding or "angle_y", reupload=bool(args.reupload),
        backend=args.backend or "auto",
        encoder=args.encoder, fine_tune=args.fine_tune, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, head_learning_rate=args.head_learning_rate, patience=args.patience,
        seed=args.seed, max_length=args.max_length,
        max_sentences=args.max_sentences, tensorboard=args.tensorboard, cache_dir=args.cache_dir,
        entangler=args.entangler, scaling=args.scaling, trainable_scaling=bool(args.trainable_scaling),
        readout=args.head_readout, init=args.circuit_init, blocks=args.blocks,
        circuit_learning_rate=args.circuit_learning_rate, encoder_features=args.encoder_features)


def run_ner(args: argparse.Namespace) -> None:
    """Trains one configuration, or each of a comparison (heads x ansatze x seeds) into sub-folders.

    A comparison writes one row per run (``comparison.json/.csv``), a summary over seeds
    (mean ± std, the best configuration first: ``summary.json/.csv``) and a plot.
    """
    import plugins

    plugins.load_plugins(getattr(args, "plugin", []))
    heads = [h.strip() for h in args.head.split(",") if h.strip()]
    ansatze = [a.strip() for a in (args.ansatz or "strongly_entangling").split(",") if a.strip()]
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


_WORDS = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]")


def split_words(text: str) -> tuple[str, ...]:
    """Splits raw text into words and punctuation, CoNLL-style."""
    return tuple(_WORDS.findall(text))


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

    RunDir(args.run_dir).read_config()  # a clear error before TensorFlow loads
    import plugins

    plugins.load_plugins(args.plugin)
    if args.input:
        from sims.ner.evaluate import tag_file

        tag_file(args.run_dir, args.input, output=args.output, input_format=args.format,
                 encoding=args.data_encoding)
        return
    from sims.ner.scores import entities
    from sims.ner.tagger import Tagger

    tagger = Tagger.load(args.run_dir)
    sentences = [split_words(t) for t in args.text]
    if not all(sentences):
        raise ConfigurationError("Empty text; expected at least one word per sentence.")
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
        import plugins
        from sims.ner.evaluate import evaluate_file

        plugins.load_plugins(args.plugin)
        evaluate_file(args.run_dir, args.file, out_dir=args.out_dir, encoding=args.data_encoding)

    return guarded(prog, evaluate)
