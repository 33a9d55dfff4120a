"""Command line: build a registered ansatz, simulate it, and report.

Subcommands, each with its own options, defaults and ``--help``::

    python -m sims.run report --ansatz strongly_entangling --qubits 6 --depth 3 --entanglement circular
    python -m sims.run list "sim_*"
    python -m sims.run report --plugin my_ansatz.py --ansatz my_ansatz --json report.json
    python -m sims.run ner --data-dir DIR
    python -m sims.run metrics --ansatz sim_19 --depth 2
    python -m sims.run metrics --compare "sim_*" --qubits 4 --depth 1-5
    python -m sims.run sweep examples/sweeps/descriptors.toml [--ray-address HOST:PORT]

Without a subcommand, ``python -m sims.run --ansatz X`` is ``report``; the older mode
flags (``--list``, ``--metrics``, ``--compare``, ``--task ner``) keep working and say
which subcommand replaces them. Every invalid input ends in one line on stderr and
exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from qcircuits.errors import ConfigurationError
from sims.cli_args import OneLineParser, given_options, guarded, integer, positive_int, seed

PROG = "python -m sims.run"


def backend_choices() -> tuple[str, ...]:
    """Every registered backend, and ``auto`` (the registry is light: no TensorFlow import)."""
    from sims.backends import backend_names

    return backend_names(with_auto=True)


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """The backend options the user gave; the backend rejects the ones it does not take."""
    names = {"threads": "threads", "gpu_threads": "gpu_threads", "gpu_data_blocks": "gpu_data_blocks"}
    return {option: getattr(args, attr) for attr, option in names.items() if getattr(args, attr, None) is not None}


class _OnlyOptions:
    """Adds to ``target`` only the options whose destination is in ``keep``.

    One set of ``add_argument`` calls builds the legacy all-modes parser (``keep=None``) and
    each subcommand's parser, so an option is declared once, with one help text.
    """

    def __init__(self, target, keep: set[str] | None):
        self.target, self.keep = target, keep

    def add_argument(self, *flags: str, **kwargs: Any):
        dest = kwargs.get("dest") or flags[0].lstrip("-").replace("-", "_")
        if self.keep is None or dest in self.keep:
            return self.target.add_argument(*flags, **kwargs)
        return None

    def add_argument_group(self, *args: Any, **kwargs: Any) -> "_OnlyOptions":
        return _OnlyOptions(self.target.add_argument_group(*args, **kwargs), self.keep)


def build_parser(parser: argparse.ArgumentParser | None = None,
                 keep: set[str] | None = None) -> argparse.ArgumentParser:
    """The options of every mode (``keep=None``), or of one subcommand (``keep``: its option names)."""
    root = parser or OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                   epilog="subcommands: " + ", ".join(SUBCOMMANDS) +
                                          f" ({PROG} COMMAND --help); without one, a circuit report",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    if parser is None:
        from qcircuits import __version__

        root.add_argument("--version", action="version", version=f"qcircuits-toolkit {__version__}")
    parser = _OnlyOptions(root, keep)
    parser.add_argument("--task", choices=("report", "ner"), default="report",
                        help="report: simulate and describe a circuit (default); ner: train a NER tagger "
                             "(options as examples/ner_conll.py)")
    parser.add_argument("--ansatz", help="registered ansatz name (default: hardware_efficient)")
    parser.add_argument("--list", action="store_true", help="list registered ansatze and exit")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE",
                        help="load ansatze from a module or .py file (repeatable)")
    circuit = parser.add_argument_group("circuit (defaults: the family's own)")
    circuit.add_argument("--qubits", help="number of qubits (with --metrics also a range like 2-12)")
    circuit.add_argument("--depth", help="number of variational layers (with --metrics also a range like 1-5)")
    circuit.add_argument("--entanglement",
                         help="linear, reverse_linear, circular, full, pairwise, sca, star, "
                              "or pairs like 0-1,1-2")
    circuit.add_argument("--encoding", help="angle_x, angle_y, angle_z, angle_y_plus, dense_angle, iqp (zz), none "
                                            "(ner: angle_y_plus)")
    circuit.add_argument("--features", type=integer, help="number of input features")
    circuit.add_argument("--reupload", action="store_true", default=None,
                         help="repeat the encoding before every layer (data re-uploading)")
    circuit.add_argument("--readout", help="'z' (default), qubit indices '0,2', or Pauli strings 'ZZII,X0'")
    run = parser.add_argument_group("simulation")
    run.add_argument("--backend",
                     help=f"one of {', '.join(backend_choices())} (default: qsim; statevector for --metrics; "
                          "auto for --task ner)")
    run.add_argument("--batch", type=positive_int, default=32,
                     help="random parameter sets to simulate (default: %(default)s)")
    run.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2^32-1 (default: %(default)s)")
    run.add_argument("--threads", type=positive_int, help="CPU threads (default: all cores)")
    run.add_argument("--gpu-threads", type=positive_int,
                     help="GPU backends: CUDA threads per block, a power of two from 32 to 1024")
    run.add_argument("--gpu-data-blocks", type=positive_int, help="GPU backends: data blocks per kernel")
    run.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    metrics = parser.add_argument_group("descriptors (--metrics)")
    metrics.add_argument("--metrics", action="store_true",
                         help="expressibility, entangling capability and gradient variance, with uncertainties")
    metrics.add_argument("--compare", metavar="PATTERN",
                         help="measure every ansatz matching PATTERN (wildcards, comma list), e.g. 'sim_*'")
    metrics.add_argument("--samples", type=positive_int, default=5000, help="state pairs (default: %(default)s)")
    metrics.add_argument("--grad-samples", type=positive_int, default=500,
                         help="parameter sets for the gradient variance (default: %(default)s)")
    metrics.add_argument("--metric-seeds", type=positive_int, default=3,
                         help="independent repetitions giving the uncertainty (default: %(default)s)")
    metrics.add_argument("--out-dir", default="runs/metrics", help="where tables and plots go (default: %(default)s)")
    from sims.ner.cli import add_ner_arguments  # argparse only: imports no TensorFlow

    add_ner_arguments(parser, with_circuit=False)
    return root


def single_int(args: argparse.Namespace, name: str) -> None:
    """Turns ``--qubits``/``--depth`` text into one integer (ranges are for --metrics)."""
    value = getattr(args, name)
    if value is None or isinstance(value, int):
        return
    try:
        setattr(args, name, int(value))
    except ValueError:
        raise ConfigurationError(f"--{name} expects an integer here; got {value!r} (ranges need --metrics).") from None


def ansatz_options(args: argparse.Namespace) -> dict[str, Any]:
    """The circuit options the user gave (others stay at the family's defaults)."""
    names = ("qubits", "depth", "entanglement", "encoding", "features", "reupload", "readout")
    return {n: getattr(args, n) for n in names if getattr(args, n) is not None}


def print_list(pattern: str = "*") -> None:
    from qcircuits import plugins

    rows = plugins.REGISTRY.describe(pattern)
    if not rows:  # as `metrics --compare PATTERN`: a pattern that matches nothing is an error
        raise ConfigurationError(f"No registered ansatz matches {pattern!r}; `{PROG} list` shows them all.")
    width = max((len(name) for name, _, _ in rows), default=4)
    for name, description, source in rows:
        print(f"{name:<{width}}  {description}  [{source}]")
    for name, reason in plugins.REGISTRY.failures.items():
        if name not in {r[0] for r in rows}:
            print(f"{name:<{width}}  (not loaded) {reason}", file=sys.stderr)


def run_report(args: argparse.Namespace) -> None:
    from qcircuits import plugins
    from sims.atomic import check_writable, write_json
    from sims.backends import make_backend
    from sims.report import format_report, simulate_report

    if args.json is not None:
        check_writable(args.json)
    name = args.ansatz or "hardware_efficient"
    ansatz = plugins.create(name, **ansatz_options(args))
    check_batch_fits(args.batch, ansatz)
    cap_threads(args)
    backend = make_backend(args.backend or "qsim", qubits=ansatz.n_qubits, **backend_options(args))
    if backend.selection:
        print(backend.selection)
    report = simulate_report(ansatz, backend, batch=args.batch, seed=args.seed, source=plugins.get(name).source)
    print(format_report(report))
    if args.json:
        write_json(args.json, report)
        print(f"report written to {args.json}")


# Which options each mode takes; an option given for another mode is refused in one line.
COMMON = {"plugin", "seed", "task"}
REPORT_OPTIONS = COMMON | {"ansatz", "qubits", "depth", "entanglement", "encoding", "features", "reupload", "readout",
                           "backend", "batch", "threads", "gpu_threads", "gpu_data_blocks", "json"}
METRICS_OPTIONS = COMMON | {"ansatz", "compare", "metrics", "qubits", "depth", "backend", "json", "samples",
                            "grad_samples", "metric_seeds", "out_dir"}
LIST_OPTIONS = {"list", "plugin"}


def _subcommands() -> dict[str, tuple[str, set[str]]]:
    from sims.ner.cli import NER_OPTIONS

    return {
        "report": ("Build an ansatz, simulate a batch of random parameters, and describe the circuit.",
                   REPORT_OPTIONS - {"task"}),
        "list": ("List the registered ansatze (plugins included).", {"plugin"}),
        "metrics": ("Descriptors: expressibility, entangling capability and gradient variance, with "
                    "uncertainties; --compare and ranges of --qubits/--depth make a table.",
                    METRICS_OPTIONS - {"task", "metrics"}),
        "ner": ("Train and evaluate a BERT -> head -> tagger on CoNLL data (as examples/ner_conll.py).",
                (COMMON - {"task"}) | NER_OPTIONS),
        "sweep": ("Run a sweep file (TOML: task, options, grid, seeds) on Ray Tune, locally or on a cluster; "
                  "running it again resumes.", set()),
    }


SUBCOMMANDS = _subcommands()


def mode_of(args: argparse.Namespace) -> str:
    if args.list:
        return "list"
    if args.metrics or args.compare:
        return "metrics"
    return args.task


def check_mode_options(parser: argparse.ArgumentParser, argv: list[str], args: argparse.Namespace) -> None:
    """Refuses options that the chosen mode would silently ignore, and contradictory modes.

    Raises:
        ConfigurationError: naming the options and the mode.
    """
    from sims.ner.cli import NER_OPTIONS

    given = given_options(parser, argv)
    mode = mode_of(args)
    if args.task == "ner" and (args.metrics or args.compare or args.list):
        other = "--list" if args.list else "--metrics/--compare"
        raise ConfigurationError(f"--task ner and {other} are different modes; give one of them.")
    allowed = {"list": LIST_OPTIONS, "metrics": METRICS_OPTIONS, "report": REPORT_OPTIONS,
               "ner": COMMON | NER_OPTIONS}[mode]
    extra = sorted(given - allowed)
    if extra:
        flags = ", ".join("--" + name.replace("_", "-") for name in extra)
        label = {"list": "--list", "metrics": "--metrics", "report": "a circuit report", "ner": "--task ner"}[mode]
        raise ConfigurationError(f"{flags} {'does' if len(extra) == 1 else 'do'} not apply to {label}; "
                                 "leave it out (see --help for each mode's options).")


def check_batch_fits(batch: int, ansatz) -> None:
    """Refuses a ``--batch`` whose parameter values and results would not fit in memory.

    Raises:
        ResourceLimitError: with the estimate, before anything is allocated.
    """
    from qcircuits.errors import ResourceLimitError
    from sims.memory import available_memory_bytes, format_bytes

    needed = batch * (len(ansatz.symbols) + 2 * ansatz.n_readouts) * 8 * 2  # values, results, temporaries
    available = available_memory_bytes()
    if needed > 0.5 * available:
        raise ResourceLimitError(
            f"--batch {batch} needs about {format_bytes(needed)} for its parameter values and results; only "
            f"{format_bytes(available)} is available. Use a batch of at most {int(0.5 * available * batch // needed)}.")


def cap_threads(args: argparse.Namespace) -> None:
    """More threads than cores only slows qsim down (it spins them): cap at the core count, with a note."""
    import os

    cores = os.cpu_count() or 1
    if args.threads is not None and args.threads > cores:
        print(f"note: --threads {args.threads} is more than the {cores} cores here; using {cores}", file=sys.stderr)
        args.threads = cores


def subcommand_parser(name: str, parser_class: type[argparse.ArgumentParser] = OneLineParser
                      ) -> argparse.ArgumentParser:
    """The parser of one subcommand: only its own options."""
    help_text, options = SUBCOMMANDS[name]
    parser = parser_class(prog=f"{PROG} {name}", description=help_text)
    if name == "sweep":
        from sims.sweep.cli import add_sweep_arguments

        add_sweep_arguments(parser)
        return parser
    if name == "list":
        parser.add_argument("pattern", nargs="?", default="*", help="wildcard pattern, e.g. 'sim_*' (default: all)")
    return build_parser(parser, options)


def parse_subcommand(name: str, argv: list[str],
                     parser_class: type[argparse.ArgumentParser] = OneLineParser) -> argparse.Namespace:
    """Parses ``argv`` for subcommand ``name`` into the namespace every mode reads."""
    args = build_parser().parse_args([])  # every option at its default
    vars(args).update(vars(subcommand_parser(name, parser_class).parse_args(argv)))
    args.list, args.metrics = name == "list", name == "metrics"
    args.task = "ner" if name == "ner" else "report"
    return args


def legacy_replacement(args: argparse.Namespace) -> str | None:
    """The subcommand that replaces the mode flags used, if any (for a deprecation note)."""
    if args.list:
        return "list"
    if args.metrics or args.compare:
        return "metrics"
    return "ner" if args.task == "ner" else None


def shadowing_package(names: Sequence[str] = ("sims",)) -> str | None:
    """A folder that shadows one of our packages on ``sys.path``, described in one line.

    A user project with its own ``sims/`` folder on the path would otherwise fail far from
    the cause. The toolkit itself imports the registry as ``qcircuits.plugins``, so a
    ``plugins/`` folder only matters to plugin files that ``import plugins`` (see :func:`main`).
    """
    import importlib.util
    from pathlib import Path

    ours = Path(__file__).resolve().parents[1]
    for name in names:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        # Once imported, `plugins` is qcircuits.plugins (its canonical home): ours too.
        if origin is not None and origin.parent not in (ours / name, ours / "qcircuits" / name):
            return (f"the {name!r} package imported from {origin.parent} is not this toolkit's ({ours / name}); "
                    f"a folder named {name!r} on the path shadows it")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    shadow = shadowing_package()
    if shadow:
        from sims.cli_args import fail

        fail(PROG, shadow + ": rename it, or run from another folder")
    shadow = shadowing_package(("plugins",))
    if shadow:  # harmless to the toolkit; a plugin file that does `import plugins` gets that folder
        print(f"note: {shadow}; plugin files should use 'from qcircuits import plugins'", file=sys.stderr)
    argv = sweep_flag_as_subcommand(argv)
    if argv and argv[0] == "sweep":
        from sims.sweep.cli import run_sweep

        sweep_args = subcommand_parser("sweep").parse_args(argv[1:])
        return guarded(PROG, lambda: run_sweep(sweep_args),
                       interrupted="interrupted; run the same command again to resume (finished trials are kept)")
    if argv and argv[0] in SUBCOMMANDS:
        args = parse_subcommand(argv[0], argv[1:])
        return guarded(PROG, lambda: dispatch(args))
    parser = build_parser()
    args = parser.parse_args(argv)
    code = guarded(PROG, lambda: (check_mode_options(parser, argv, args), dispatch(args)))
    replacement = legacy_replacement(args)
    if replacement:  # after the run, so that an error stays one line
        print(f"note: the mode flags still work, but `{PROG} {replacement} ...` is the command now "
              f"(see {PROG} {replacement} --help)", file=sys.stderr)
    return code


def sweep_flag_as_subcommand(argv: list[str]) -> list[str]:
    """``--sweep FILE ...`` (as the sweep issue first wrote it) is ``sweep FILE ...``."""
    for i, token in enumerate(argv):
        if token == "--sweep" and i + 1 < len(argv):
            return ["sweep", argv[i + 1], *argv[:i], *argv[i + 2:]]
        if token.startswith("--sweep="):
            return ["sweep", token.split("=", 1)[1], *argv[:i], *argv[i + 1:]]
    return argv


def dispatch(args: argparse.Namespace) -> None:
    """Runs the command the arguments ask for."""
    from qcircuits import plugins

    plugins.load_plugins(args.plugin)
    if args.list:
        print_list(getattr(args, "pattern", "*"))
    elif args.metrics or args.compare:
        from sims.metrics_cli import metric_names, run_metrics

        run_metrics(args, metric_names(args))
    else:
        single_int(args, "qubits")
        single_int(args, "depth")
        if args.task == "ner":
            from sims.ner.cli import run_ner

            run_ner(args)  # loading the --plugin modules again inside is a no-op
        else:
            run_report(args)


if __name__ == "__main__":
    sys.exit(main())
