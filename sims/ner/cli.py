"""Command lines for NER: train/compare (``examples/ner_conll.py``, ``sims.run --task ner``)
and predict (``examples/ner_predict.py``)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Sequence

from qcircuits.errors import ConfigurationError
from sims.cli_args import OneLineParser, guarded, integer, positive_float, positive_int, seed

# Options of a NER run as sims.run names them (argparse dests), for its mode checks.
NER_OPTIONS = {"data_dir", "data_encoding", "run_dir", "head", "encoder", "fine_tune", "epochs", "batch_size",
               "learning_rate", "head_learning_rate", "patience", "max_length", "max_sentences", "tensorboard",
               "cache_dir", "ansatz", "qubits", "depth", "entanglement", "encoding", "reupload", "backend"}


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
                       help="quantum, bottleneck, linear, or a comma list to compare heads (default: quantum)")
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
                             help="quantum layer backend: auto (default), statevector or tfq (training needs gradients)")
        circuit.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE")
        parser.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2^32-1 (default: %(default)s)")


def options_from_args(args: argparse.Namespace, head: str):
    from sims.ner.pipeline import NerOptions

    return NerOptions(
        data_dir=args.data_dir, data_encoding=args.data_encoding, run_dir=args.run_dir, head=head, ansatz=args.ansatz or "strongly_entangling",
        qubits=args.qubits if args.qubits is not None else 8, depth=args.depth if args.depth is not None else 2,
        entanglement=args.entanglement, encoding=args.encoding or "angle_y", reupload=bool(args.reupload),
        backend=args.backend or "auto",
        encoder=args.encoder, fine_tune=args.fine_tune, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, head_learning_rate=args.head_learning_rate, patience=args.patience, seed=args.seed, max_length=args.max_length,
        max_sentences=args.max_sentences, tensorboard=args.tensorboard, cache_dir=args.cache_dir)


def run_ner(args: argparse.Namespace) -> None:
    """Trains one head, or each head of a comma list into sub-folders and compares them."""
    import plugins

    for spec in getattr(args, "plugin", []):
        plugins.load_plugin(spec)
    heads = [h.strip() for h in args.head.split(",") if h.strip()]
    ansatze = [a.strip() for a in (args.ansatz or "strongly_entangling").split(",") if a.strip()]
    all_options = []  # validate every configuration before training any
    for head in heads:
        for ansatz in (ansatze if head == "quantum" else ansatze[:1]):
            all_options.append(options_from_args(argparse.Namespace(**{**vars(args), "ansatz": ansatz}), head))
    if len(all_options) == 1:
        run_ner_single(all_options[0])
        return
    root = Path(args.run_dir or "runs/ner-compare")
    rows = []
    for options in all_options:
        options.run_dir = str(root / options.default_run_dir().name)
        options.cache_dir = options.cache_dir or str(root / ".encoder_cache")
        metrics = run_ner_single(options)
        label = options.head if options.head != "quantum" else f"quantum:{options.ansatz}"
        rows.append({"label": label, "head": options.head, "run_dir": options.run_dir,
                     "best_dev_entity_f1": metrics["best_dev_entity_f1"],
                     "train_tokens_per_s": metrics["train_tokens_per_s"],
                     "trainable_parameters": metrics["trainable_parameters"], "epochs_done": metrics["epochs_done"]})
    write_comparison(root, rows)


def run_ner_single(options):
    from sims.ner.pipeline import train

    return train(options)


def write_comparison(root: Path, rows: list[dict]) -> None:
    from sims.atomic import ensure_dir, write_csv, write_json
    from sims.ner.plots import plot_comparison

    ensure_dir(root, "Comparison folder (--run-dir)")
    write_json(root / "comparison.json", rows)
    write_csv(root / "comparison.csv", rows)
    plot_comparison(rows, root / "comparison.png")
    print("\nhead comparison (dev entity F1, training tokens/s):")
    for r in rows:
        print(f"  {r['label']:<32} F1 {r['best_dev_entity_f1']:.4f}   {r['train_tokens_per_s']:>10.0f} tokens/s"
              f"   {r['trainable_parameters']} head parameters")
    print(f"written {root / 'comparison.json'}, comparison.csv, comparison.png")


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
    parser = OneLineParser(prog=prog, description="Print the entities a saved NER run finds in text.")
    parser.add_argument("run_dir", help="a run folder written by ner_conll.py")
    parser.add_argument("text", nargs="+", help="sentences (each argument is one sentence)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE")
    args = parser.parse_args(argv)
    return guarded(prog, lambda: _predict(args))


def _predict(args: argparse.Namespace) -> None:
    """Loads a run and prints the entities of each sentence."""
    from sims.ner.rundir import RunDir

    RunDir(args.run_dir).read_config()  # a clear error before TensorFlow loads
    import plugins
    from sims.ner.metrics import entities
    from sims.ner.pipeline import Tagger

    for spec in args.plugin:
        plugins.load_plugin(spec)
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
