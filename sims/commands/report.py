"""``report``: build an ansatz, simulate a batch of random parameters, and describe the circuit."""

from __future__ import annotations

import argparse

from sims.commands import common

HELP = "Build an ansatz, simulate a batch of random parameters, and describe the circuit."


def parents() -> list[argparse.ArgumentParser]:
    return [common.plugin_options(), common.circuit_options(), common.backend_option("qsim"),
            common.simulation_options(), common.noise_options(), common.seed_option(),
            common.json_option("the report")]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from qcircuits import plugins
    from sims.atomic import check_writable, write_json
    from sims.backends import make_backend
    from sims.memory import check_batch_fits
    from sims.report import format_report, simulate_report

    plugins.load_plugins(args.plugin)
    if args.json is not None:
        check_writable(args.json)
    name = args.ansatz or plugins.DEFAULT_ANSATZ
    ansatz = plugins.create(name, **common.ansatz_options(args))
    check_batch_fits(args.batch, ansatz)
    backend = make_backend(args.backend or "qsim", qubits=ansatz.n_qubits, **common.backend_options(args))
    if backend.selection:
        print(backend.selection)
    report = simulate_report(ansatz, backend, batch=args.batch, seed=args.seed, source=plugins.get(name).source)
    print(format_report(report))
    if args.json:
        write_json(args.json, report)
        print(f"report written to {args.json}")
