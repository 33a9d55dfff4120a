"""Command line: build a registered ansatz, simulate it, and report.

Examples::

    python -m sims.run --ansatz hardware_efficient
    python -m sims.run --ansatz strongly_entangling --qubits 6 --depth 3 --entanglement circular
    python -m sims.run --list
    python -m sims.run --plugin my_ansatz.py --ansatz my_ansatz --json report.json
    python -m sims.run --task ner --ansatz strongly_entangling --data-dir DIR

Every invalid input ends in one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from qcircuits.errors import ConfigurationError
from sims.cli_args import OneLineParser, fail, integer, positive_int

PROG = "python -m sims.run"
BACKEND_CHOICES = ("qsim", "cirq", "qsim-gpu", "qsim-custatevec")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=("report", "ner"), default="report",
                        help="report: simulate and describe a circuit (default); ner: train a NER tagger "
                             "(options as examples/ner_conll.py)")
    parser.add_argument("--ansatz", help="registered ansatz name (default: hardware_efficient; "
                                         "strongly_entangling for --task ner)")
    parser.add_argument("--list", action="store_true", help="list registered ansatze and exit")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE",
                        help="load ansatze from a module or .py file (repeatable)")
    circuit = parser.add_argument_group("circuit (defaults: the family's own)")
    circuit.add_argument("--qubits", type=integer, help="number of qubits")
    circuit.add_argument("--depth", type=integer, help="number of variational layers")
    circuit.add_argument("--entanglement",
                         help="linear, reverse_linear, circular, full, pairwise, sca, star, "
                              "or pairs like 0-1,1-2")
    circuit.add_argument("--encoding", help="angle_x, angle_y, angle_z, dense_angle, iqp (zz), none")
    circuit.add_argument("--features", type=integer, help="number of input features")
    circuit.add_argument("--reupload", action="store_true", default=None,
                         help="repeat the encoding before every layer (data re-uploading)")
    circuit.add_argument("--readout", help="'z' (default), qubit indices '0,2', or Pauli strings 'ZZII,X0'")
    run = parser.add_argument_group("simulation")
    run.add_argument("--backend",
                     help=f"one of {', '.join(BACKEND_CHOICES)} (default: qsim; tfq for --task ner)")
    run.add_argument("--batch", type=positive_int, default=32,
                     help="random parameter sets to simulate (default: %(default)s)")
    run.add_argument("--seed", type=integer, default=0, help="random seed (default: %(default)s)")
    run.add_argument("--threads", type=positive_int, help="CPU threads (default: all cores)")
    run.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    from sims.ner.cli import add_ner_arguments  # argparse only: imports no TensorFlow

    add_ner_arguments(parser, with_circuit=False)
    return parser


def ansatz_options(args: argparse.Namespace) -> dict[str, Any]:
    """The circuit options the user gave (others stay at the family's defaults)."""
    names = ("qubits", "depth", "entanglement", "encoding", "features", "reupload", "readout")
    return {n: getattr(args, n) for n in names if getattr(args, n) is not None}


def print_list(pattern: str = "*") -> None:
    import plugins

    rows = plugins.REGISTRY.describe(pattern)
    width = max((len(name) for name, _, _ in rows), default=4)
    for name, description, source in rows:
        print(f"{name:<{width}}  {description}  [{source}]")
    for name, reason in plugins.REGISTRY.failures.items():
        if name not in {r[0] for r in rows}:
            print(f"{name:<{width}}  (not loaded) {reason}", file=sys.stderr)


def run_report(args: argparse.Namespace) -> None:
    import plugins
    from sims.atomic import check_writable, write_json
    from sims.backends import make_backend
    from sims.report import format_report, simulate_report

    if args.json:
        check_writable(args.json)
    name = args.ansatz or "hardware_efficient"
    ansatz = plugins.create(name, **ansatz_options(args))
    backend = make_backend(args.backend or "qsim", threads=args.threads, seed=args.seed)
    report = simulate_report(ansatz, backend, batch=args.batch, seed=args.seed, source=plugins.get(name).source)
    print(format_report(report))
    if args.json:
        write_json(args.json, report)
        print(f"report written to {args.json}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        import plugins

        for spec in args.plugin:
            plugins.load_plugin(spec)
        if args.list:
            print_list()
            return 0
        if args.task == "ner":
            from sims.ner.cli import run_ner

            args.plugin = []  # already loaded above
            run_ner(args)
            return 0
        run_report(args)
    except ConfigurationError as exc:
        fail(PROG, str(exc))
    except KeyboardInterrupt:
        fail(PROG, "interrupted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
