"""``metrics``: expressibility, entangling capability and gradient variance; tables, JSON, CSV and plots."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError
from sims.atomic import check_writable, ensure_dir, write_csv, write_json
from sims.commands import common

HELP = ("Descriptors: expressibility, entangling capability and gradient variance, with uncertainties; "
        "--compare and ranges of --qubits/--depth make a table.")


def parents() -> list[argparse.ArgumentParser]:
    return [common.plugin_options(), common.circuit_options(ranges=True, full=False),
            common.backend_option("statevector"), common.seed_option(), common.json_option("the table")]


def configure(parser: argparse.ArgumentParser) -> None:
    from sims.descriptors import DescriptorOptions
    from sims.option_fields import add_field_argument, option_fields

    group = parser.add_argument_group("descriptors")
    group.add_argument("--compare", metavar="PATTERN",
                       help="measure every ansatz matching PATTERN (wildcards, comma list), e.g. 'sim_*'")
    for field in option_fields(DescriptorOptions):
        add_field_argument(group, field)
    group.add_argument("--out-dir", default="runs/metrics", help="where tables and plots go (default: %(default)s)")
    parser.set_defaults(func=run)


MAX_RANGE = 1024  # a typo like 1-99999999999 must fail at once, not build a list of 10^11 values


def parse_range(text: str | None, name: str, default: int) -> list[int]:
    """``"3"`` -> [3]; ``"1-5"`` -> [1..5]; ``"2,4,8"`` -> [2, 4, 8]."""
    if text is None:
        return [default]
    values: list[int] = []
    for part in str(text).split(","):
        match = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ConfigurationError(f"Invalid {name} {text!r}; expected a number, a range like 1-5, or a list 2,4.")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if high < low:
            raise ConfigurationError(f"Invalid {name} range {part.strip()!r}; the end must not be below the start.")
        if high - low >= MAX_RANGE:
            raise ConfigurationError(f"Invalid {name} range {part.strip()!r}; expected at most {MAX_RANGE} values.")
        values.extend(range(low, high + 1))
    return values


def _format_row(row: dict[str, Any]) -> str:
    def cell(key):
        v = row.get(key)
        return f"{v['value']:.4g} ± {v['std']:.2g}" if v else "-"
    return (f"{row['ansatz']:<22} {row['qubits']:>3} {row['depth']:>3} {row['trainable_parameters']:>5}  "
            f"{cell('expressibility'):>20} {cell('entangling_capability'):>20} {cell('gradient_variance'):>22}")


HEADER = (f"{'ansatz':<22} {'n':>3} {'L':>3} {'params':>5}  {'expressibility (KL)':>20} "
          f"{'entangling cap. (Q)':>20} {'Var[dC/dtheta_0]':>22}")


def run(args: argparse.Namespace) -> None:
    from qcircuits import plugins

    plugins.load_plugins(args.plugin)
    run_metrics(args, metric_names(args))


def run_metrics(args: argparse.Namespace, names: list[str]) -> list[dict[str, Any]]:
    """Computes the table for ``names`` x qubits x depths, prints it, and writes outputs."""
    from sims.descriptor_plots import plot_compare, plot_depth_decay, plot_width_decay
    from sims.descriptors import DescriptorOptions, checked_metric_ansatz, flat_row

    options = DescriptorOptions(samples=args.samples, grad_samples=args.grad_samples, seeds=args.metric_seeds,
                                seed=args.seed, backend=args.backend or "statevector", noise=args.noise)
    qubit_counts = parse_range(args.qubits, "qubits", 4)
    depths = parse_range(args.depth, "depth", 1)
    if args.json == "":
        raise ConfigurationError("--json '' is empty; expected a file path.")
    out_dir = Path(args.out_dir)
    json_path = Path(args.json) if args.json else out_dir / _default_stem(names, qubit_counts, depths, args)
    jobs = [(n, q, d) for n in names for q in qubit_counts for d in depths]
    for name, qubits, depth in jobs:  # the whole range is checked before anything is computed
        try:
            checked_metric_ansatz(name, qubits, depth)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{name} at {qubits} qubits, depth {depth}: {exc}") from None
    ensure_dir(out_dir, "Output folder (--out-dir)")  # folders only once every value is known to be good
    ensure_dir(json_path.parent, "JSON folder")
    check_writable(json_path)
    rows, seconds, reused = _descriptor_rows(args, names, qubit_counts, depths, out_dir)
    print(f"data encoding: {rows[0]['data_encoding']}; parameters uniform in [0, 2 pi); "
          f"{options.samples} state pairs, {options.grad_samples} gradient samples, {options.seeds} seeds "
          f"(± is the std across seeds); cost <Z0 Z1>, d/d theta_0 (first layer)"
          + (f"; noise {args.noise} (exact density matrices: expressibility from Tr(rho sigma), no entangling "
             "capability)" if args.noise != "none" else ""))
    print(HEADER)
    for row in rows:
        print(_format_row(row))
    result = {"rows": rows, "wall_seconds": seconds,
              "definitions": "Sim et al. 2019 (KL, 75 bins, natural log); Meyer-Wallach Q; McClean et al. 2018"}
    write_json(json_path, result)
    written = [json_path]
    if len(names) > 1 or len(depths) > 1:
        csv_path = json_path.with_suffix(".csv")
        write_csv(csv_path, [flat_row(r) for r in rows])
        png = json_path.with_suffix(".png")
        if "entangling_capability" in rows[0]:
            plot_compare(rows, png)
            written += [csv_path, png]
        else:  # under noise channels: each descriptor's decay with depth
            plot_depth_decay(rows, png)
            written += [csv_path, png]
            if rows[0].get("expressibility"):
                expressive = json_path.with_name(json_path.stem + "-expressibility.png")
                plot_depth_decay(rows, expressive, metric="expressibility")
                written.append(expressive)
    if len(qubit_counts) > 1:
        png = json_path.with_name(json_path.stem + "-width.png")
        plot_width_decay(rows, png)
        written.append(png)
    print(f"{len(rows)} circuit(s) in {seconds:.1f} s; written {', '.join(str(p) for p in written)}")
    if reused:
        print(f"{reused} of them measured by an earlier run with the same options (kept in {out_dir / 'trials'}; "
              "delete that folder to measure again)")
    return rows


def _descriptor_rows(args: argparse.Namespace, names: list[str], qubit_counts: list[int], depths: list[int],
                     out_dir: Path) -> tuple[list[dict[str, Any]], float, int]:
    """Measures names x qubits x depths as a sweep run here (one trial per circuit, kept in ``out_dir/trials``).

    Returns:
        The full descriptor rows in table order, the seconds they took to measure, and how
        many came from an earlier run.
    """
    from sims.sweep import run_here, spec_from_data

    options: dict[str, Any] = {"samples": args.samples, "grad_samples": args.grad_samples,
                               "metric_seeds": args.metric_seeds, "plugin": list(args.plugin or [])}
    if args.noise != "none":  # noiseless trials keep the keys they had before noise existed
        options["noise"] = args.noise
    if args.backend:
        options["backend"] = args.backend
    grid = {"ansatz": names, "qubits": list(dict.fromkeys(qubit_counts)), "depth": list(dict.fromkeys(depths))}
    spec = spec_from_data({"task": "metrics", "seeds": [args.seed], "options": options, "grid": grid},
                          Path("metrics"))
    results = run_here(spec, out_dir, raise_errors=True, desc="descriptors")
    return ([r["detail"] for r in results], sum(r.get("seconds") or 0.0 for r in results),
            sum(r["reused"] for r in results))


def _default_stem(names, qubit_counts, depths, args) -> str:
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", (args.compare or names[0]).replace("*", "all"))
    def span(v):
        return f"{v[0]}-{v[-1]}" if len(v) > 1 else str(v[0])
    return f"metrics-{label}-q{span(qubit_counts)}-d{span(depths)}.json"


def metric_names(args: argparse.Namespace) -> list[str]:
    """The ansatz names to measure: ``--compare`` pattern(s) or the single ``--ansatz``."""
    from qcircuits import plugins

    if not args.compare:
        return [args.ansatz or plugins.DEFAULT_ANSATZ]
    names: list[str] = []
    for pattern in args.compare.split(","):
        matched = plugins.list_ansatze(pattern.strip())
        if not matched:
            raise ConfigurationError(f"--compare {pattern.strip()!r} matches no registered ansatz.")
        names += [m for m in matched if m not in names]
    return names
