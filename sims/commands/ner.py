"""``ner``, ``evaluate`` and ``predict``: train (or compare) NER taggers, score a saved run, tag text.

The NER options are generated from the fields of :class:`~sims.ner.options.NerOptions`
(each default and help text declared there, once).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qcircuits.errors import ConfigurationError
from sims.commands import common
from sims.option_fields import noise_spec, seed_list, shot_count

HELP = "Train and evaluate a BERT -> head -> tagger on CoNLL data; comma lists of heads, ansatze or seeds compare."
EVALUATE_HELP = "Score a saved NER run on a tagged CoNLL file; write its predictions and evaluation.json."
PREDICT_HELP = "Print the entities a saved NER run finds in sentences, or tag a whole file."
INTERRUPTED = "interrupted; run the same command again to resume from the last finished epoch"


def parents() -> list[argparse.ArgumentParser]:
    return [common.plugin_options()]


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of a NER run, and ``--seeds`` for a comparison over seeds.

    The circuit options (ansatz, qubits, ...) stay ``None`` when not given, so that a
    comparison's trial keys name only what was chosen (and stay those of earlier versions).
    """
    from sims.ner.options import ARGUMENT_GROUPS
    from sims.option_fields import add_field_argument, option_fields

    for title, kind in ARGUMENT_GROUPS:
        group = parser.add_argument_group(title)
        for field in option_fields(kind):
            add_field_argument(group, field, unset_default=field.metadata["circuit"])
    parser.add_argument("--seeds", type=seed_list,
                        help="comma list of seeds: every configuration is trained once per seed, and the comparison "
                             "reports mean ± std over them (overrides --seed)")
    parser.set_defaults(func=run)


def comma_list(text: str, flag: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``; an empty name (``--head ''``, ``--head a,,b``) is refused.

    Raises:
        ConfigurationError: naming the option and the empty entry.
    """
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise ConfigurationError(f"{flag} {text!r} has an empty name; expected a name or a comma list of names.")
    return names


def ner_values(args: argparse.Namespace) -> dict[str, object]:
    """The NER options given on the command line, by option name (``None``: not given)."""
    from sims.ner.options import NerOptions
    from sims.option_fields import option_dest, option_fields

    return {option_dest(f): getattr(args, option_dest(f)) for f in option_fields(NerOptions)}


def run(args: argparse.Namespace) -> None:
    """Trains one configuration, or each of a comparison (heads x ansatze x seeds) into sub-folders.

    A comparison writes one row per run (``comparison.json/.csv``), a summary over seeds
    (mean ± std, the best configuration first: ``summary.json/.csv``) and a plot.
    """
    from qcircuits import plugins
    from sims.ner.comparison import compare, configurations, write_comparison
    from sims.ner.options import NerOptions
    from sims.ner.trainer import train

    plugins.load_plugins(args.plugin)
    given = {name: value for name, value in ner_values(args).items() if value is not None}
    heads = comma_list(args.head, "--head")
    ansatze = comma_list(args.ansatz or plugins.DEFAULT_ANSATZ, "--ansatz")
    seeds = args.seeds or [args.seed]
    # every configuration is checked before any trains
    runs = [NerOptions.from_values({**given, **configuration, "seed": run_seed})
            for configuration in configurations(heads, ansatze) for run_seed in seeds]
    if len(runs) == 1:
        train(runs[0])
        return
    shared = {name: value for name, value in given.items()
              if name not in ("head", "ansatz", "run_dir", "seed") and value is not False}
    if args.plugin:
        shared["plugin"] = list(args.plugin)
    root = Path(args.run_dir or "runs/ner-compare")
    write_comparison(root, compare(shared, heads, ansatze, seeds, root))


def configure_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="a run folder written by the ner command")
    parser.add_argument("file", help="a tagged CoNLL file (IOB1 or IOB2, LF or CRLF)")
    parser.add_argument("--out-dir", help="where predictions.conll and evaluation.json go "
                                          "(default: RUN_DIR/eval-<file name>)")
    parser.add_argument("--data-encoding", default="utf-8", help="text encoding of FILE (default: utf-8)")
    parser.add_argument("--noise", type=noise_spec, metavar="SPEC",
                        help="evaluate the trained weights under this noise (default: as trained)")
    parser.add_argument("--shots", type=shot_count, metavar="N",
                        help="evaluate with N shots per readout (default: as trained)")
    parser.set_defaults(func=evaluate)


def evaluate(args: argparse.Namespace) -> None:
    from qcircuits import plugins
    from sims.ner.evaluation import evaluate_file

    plugins.load_plugins(args.plugin)
    evaluate_file(args.run_dir, args.file, out_dir=args.out_dir, encoding=args.data_encoding, noise=args.noise,
                  shots=args.shots)


def configure_predict(parser: argparse.ArgumentParser) -> None:
    from sims.ner.evaluation import INPUT_FORMATS

    parser.add_argument("run_dir", help="a run folder written by the ner command")
    parser.add_argument("text", nargs="*", help="sentences (each argument is one sentence)")
    parser.add_argument("--input", metavar="FILE",
                        help="tag a file instead: one sentence per line, or CoNLL (first column; tags ignored)")
    parser.add_argument("--format", choices=INPUT_FORMATS, default="auto",
                        help="how --input is laid out (default: auto, which tells them apart)")
    parser.add_argument("--output", metavar="FILE", help="with --input: write 'word tag' CoNLL here (default: stdout)")
    parser.add_argument("--data-encoding", default="utf-8", help="text encoding of --input (default: utf-8)")
    parser.set_defaults(func=predict)


def predict(args: argparse.Namespace) -> None:
    """Loads a run and prints the entities of each sentence (or tags a whole file)."""
    from qcircuits import plugins
    from sims.ner.conll import sentence_words
    from sims.ner.rundir import RunDir

    if bool(args.text) == bool(args.input):
        raise ConfigurationError("give sentences or --input FILE (one of them)")
    if args.output and not args.input:
        raise ConfigurationError("--output goes with --input")
    RunDir(args.run_dir).check_trained()  # clear errors before TensorFlow and the model load
    sentences = sentence_words(args.text, first=1)  # numbered as the user counts the arguments
    plugins.load_plugins(args.plugin)
    if args.input:
        from sims.ner.evaluation import tag_file

        tag_file(args.run_dir, args.input, output=args.output, input_format=args.format,
                 encoding=args.data_encoding)
        return
    from sims.ner.evaluation import entities
    from sims.ner.tagger import Tagger

    tagger = Tagger.load(args.run_dir)
    for words, tags in zip(sentences, tagger.predict(sentences), strict=True):
        found = entities(list(words), tags)
        print(" ".join(words))
        for kind, text in found:
            print(f"  {kind:<5} {text}")
        if not found:
            print("  (no entities)")
