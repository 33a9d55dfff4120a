"""Quantum NER head designs against their classical twins, over seeds, on CoNLL-2003.

Trains every configuration below once per seed with a frozen encoder (its outputs are
cached, so each run trains only the head), then writes the table the docs quote:
``benchmarks/results/ner_heads.json/.csv``, ``docs/img/ner_heads.png`` and a Markdown
table on stdout. Model selection uses the dev file (eng.testa) only: early stopping
picks the epoch, and the table reports the best dev entity F1 of each run.

    python benchmarks/ner_heads.py --data-dir ../shared/data/conll2003 --seeds 0,1,2

Each configuration is a list of ``examples/ner_conll.py`` options; ``--only`` runs the
configurations whose name contains a given text (a whole name: that configuration alone).
A row that searches the learning rate is skipped when ``--extra`` sets one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Every option the rows compare is spelled out, so that the table does not move with the
# defaults (which these measurements chose). The encoder's last layer unless --extra says.
CIRCUIT = ["--ansatz", "hardware_efficient", "--qubits", "8", "--depth", "2", "--encoder-features", "last"]
DRESSED = ["--scaling", "tanh", "--encoding", "angle_y_plus"]
IDENTITY = ["--entangler", "crz", "--circuit-init", "zeros"]
CNOT = ["--entangler", "cx"]

# (name, head options). "twin" rows are the classical model of the same width and options.
CONFIGURATIONS = [
    ("linear", ["--head", "linear"]),
    ("bottleneck (twin of the plain head)", ["--head", "bottleneck"]),
    ("quantum: plain (RY on |0>, unbounded angles, uniform init, CNOT)",
     ["--head", "quantum", "--scaling", "linear", "--encoding", "angle_y", *CNOT, "--circuit-init", "uniform"]),
    ("quantum: tanh angles + H,RY encoding", ["--head", "quantum", *DRESSED, *CNOT, "--circuit-init", "uniform"]),
    ("quantum: tanh + H,RY + small init", ["--head", "quantum", *DRESSED, *CNOT, "--circuit-init", "small"]),
    ("quantum: tanh + H,RY + CRZ entanglers, identity init", ["--head", "quantum", *DRESSED, *IDENTITY]),
    ("quantum: tanh + H,RY, zero init, separable (no entanglers)",
     ["--head", "quantum", *DRESSED, "--circuit-init", "zeros", "--entanglement", "none"]),
    ("quantum: tanh + H,RY + CRZ, identity init + ZZ readouts",
     ["--head", "quantum", *DRESSED, *IDENTITY, "--head-readout", "zz"]),
    ("bottleneck + pairwise products (twin of ZZ readouts)", ["--head", "bottleneck", "--head-readout", "zz"]),
    ("quantum: tanh + H,RY + CRZ, identity init, 2 residual blocks",
     ["--head", "quantum", *DRESSED, *IDENTITY, "--blocks", "2"]),
    ("bottleneck, 2 residual blocks (twin)", ["--head", "bottleneck", "--blocks", "2"]),
    ("quantum: layernorm + H,RY + CRZ, identity init",
     ["--head", "quantum", "--scaling", "layernorm", "--encoding", "angle_y_plus", *IDENTITY]),
    ("bottleneck + layernorm (twin)", ["--head", "bottleneck", "--scaling", "layernorm"]),
    # CRY is real, like H and RY: from the identity start its gradient is not zero, where CRZ's
    # and RZ's are (a real state, a real readout), so with CRZ the circuit never leaves its start.
    ("quantum: layernorm + H,RY + CRY entanglers, identity init",
     ["--head", "quantum", "--scaling", "layernorm", "--encoding", "angle_y_plus", "--entangler", "cry",
      "--circuit-init", "zeros"]),
    # gd(u) = asin(tanh u): the identity-start head reads -tanh(u), the bottleneck's units exactly.
    ("quantum: gudermannian + H,RY + CRZ, identity init",
     ["--head", "quantum", "--scaling", "gudermannian", "--encoding", "angle_y_plus", *IDENTITY]),
    ("quantum: tanh + H,RY + CRZ, identity init, circuit lr 0.02",
     ["--head", "quantum", *DRESSED, *IDENTITY, "--circuit-learning-rate", "0.02"]),
    ("quantum: tanh + H,RY + CRZ, identity init, trainable scaling",
     ["--head", "quantum", *DRESSED, *IDENTITY, "--trainable-scaling"]),
    ("bottleneck + trainable scaling (twin)", ["--head", "bottleneck", "--trainable-scaling"]),
    ("quantum: tanh + H,RY + CRZ, identity init, re-uploading",
     ["--head", "quantum", *DRESSED, *IDENTITY, "--reupload"]),
    ("quantum: tanh + H,RY + CRZ, identity init, re-uploading, trainable scaling per layer",
     ["--head", "quantum", *DRESSED, *IDENTITY, "--reupload", "--trainable-scaling"]),
    # The same learning-rate search for the identity-start head and its twin (5e-3 is the rows above).
    *[(f"lr search: {name}, Adam {rate}", [*options, "--learning-rate", rate])
      for rate in ("2e-3", "1e-2")
      for name, options in (("bottleneck", ["--head", "bottleneck"]),
                            ("quantum identity start", ["--head", "quantum", *DRESSED, *IDENTITY]),
                            ("linear", ["--head", "linear"]))],
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="the CoNLL-2003 folder (needed unless --rows)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--only", action="append", default=[],
                        help="run configurations whose name contains this (a whole name: that one alone)")
    parser.add_argument("--extra", default="", help="options added to every run, e.g. '--encoder-features sum4'")
    parser.add_argument("--run-dir", default="runs/ner-heads")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ner_heads.json"))
    parser.add_argument("--plot", default=str(ROOT / "docs" / "img" / "ner_heads.png"), help="where the plot goes")
    parser.add_argument("--rows", help="train nothing: summarise and plot these per-run rows (a CSV this script "
                                       "wrote, e.g. docs/ner_heads_runs.csv); --only picks labels")
    parser.add_argument("--exclude", action="append", default=[], help="with --rows: leave out labels with this")
    args = parser.parse_args(argv)
    if args.rows:
        rows = [r for r in read_rows(Path(args.rows), args.only) if not any(e in r["label"] for e in args.exclude)]
        return report(rows, Path(args.plot))
    if not args.data_dir:
        parser.error("--data-dir is needed to train (or give --rows to report kept rows)")

    from sims.atomic import write_csv, write_json
    from sims.commands import command_parser
    from sims.commands.ner import ner_values
    from sims.ner.comparison import comparison_row, summarize
    from sims.ner.options import NerOptions

    ner = command_parser("ner", "ner_conll.py")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)  # benchmarks/results is not versioned: a clone lacks it
    rows = json.loads(out.read_text()) if out.exists() else []
    done = {(r["label"], r["seed"]) for r in rows}
    chosen = choose(CONFIGURATIONS, args.only)
    for name, options in chosen:
        if "--learning-rate" in options and "--learning-rate" in args.extra.split():
            # A learning-rate search row would run at --extra's rate under its own rate's name.
            print(f"{name}: skipped, --extra sets the learning rate this row searches", file=sys.stderr)
            continue
        label = name + (f" [{args.extra}]" if args.extra else "")
        for seed in [int(s) for s in args.seeds.split(",")]:
            if (label, seed) in done:
                continue
            argv = [*CIRCUIT, *options, *args.extra.split(), "--data-dir", args.data_dir, "--epochs",
                    str(args.epochs), "--patience", str(args.patience), "--seed", str(seed)]
            given = {k: v for k, v in ner_values(ner.parse_args(argv)).items() if v is not None}
            opts = NerOptions.from_values(given)
            # A learning rate may change on resume, so it is not in the default folder name: without it
            # here, a row at another rate would resume (and report) the finished run of the first.
            rate = f"-lr{opts.learning_rate:g}" if "--learning-rate" in argv else ""
            run_dir = Path(args.run_dir) / (opts.default_run_dir().name + rate + f"-seed{seed}")
            argv += ["--run-dir", str(run_dir), "--cache-dir", str(Path(args.run_dir) / ".encoder_cache")]
            # One process per run: a run that fails is reported, and no state leaks into the next.
            result = subprocess.run([sys.executable, str(ROOT / "examples" / "ner_conll.py"), *argv],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if result.returncode != 0:
                error = (result.stderr.strip().splitlines() or ["?"])[-1]
                print(f"{label} seed {seed}: failed: {error}", file=sys.stderr)
                continue
            opts.run_dir = str(run_dir)
            metrics = json.loads((run_dir / "metrics.json").read_text())
            rows.append({**comparison_row(opts, metrics), "label": label})
            print(f"{label} seed {seed}: dev entity F1 {metrics['best_dev_entity_f1']:.4f}", flush=True)
            write_json(out, rows)
            write_csv(out.with_suffix(".csv"), rows)
    write_json(out.with_name(out.stem + "_summary.json"), summarize(rows))
    return report(rows, Path(args.plot))


def choose(configurations: list, only: list[str]) -> list:
    """The configurations whose name contains one of ``only`` (all without it); a name given
    exactly picks that configuration alone (``linear``, not the learning-rate rows that mention it)."""
    if not only:
        return list(configurations)
    exact = [c for c in configurations if c[0] in only]
    partial = [o for o in only if o not in {c[0] for c in exact}]
    return [c for c in configurations if c in exact or any(o in c[0] for o in partial)]


def read_rows(path: Path, only: list[str]) -> list[dict]:
    """Per-run rows from a CSV this script wrote (numbers parsed back), those whose label has an ``only``."""
    import csv

    numbers = {"seed": int, "best_dev_entity_f1": float, "train_tokens_per_s": float, "trainable_parameters": int,
               "circuit_parameters": int, "epochs_done": int}
    with path.open(newline="") as handle:
        rows = [{k: numbers[k](v) if k in numbers and v != "" else v for k, v in row.items()}
                for row in csv.DictReader(handle)]
    return [r for r in rows if not only or any(o in r["label"] for o in only)]


def report(rows: list[dict], plot: Path) -> int:
    """Prints the Markdown table (mean ± std over seeds, best first) and plots the rows."""
    from sims.ner.comparison import summarize
    from sims.ner.plots import plot_comparison

    if not rows:
        print("no rows to report", file=sys.stderr)
        return 1
    summary = summarize(rows)
    plot_comparison(rows, plot)
    print("\n| configuration | dev entity F1 (mean ± std) | seeds | head parameters (circuit) | tokens/s |")
    print("| --- | --- | --- | --- | --- |")
    for s in summary:
        speed = f"{s['train_tokens_per_s']:,.0f}" if s["train_tokens_per_s"] else "-"
        print(f"| {s['label']} | {s['f1_mean']:.3f} ± {s['f1_std']:.3f} | {len(s['seeds'])} | "
              f"{s['trainable_parameters']:,} ({s['circuit_parameters']}) | {speed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
