"""``sweep FILE``: run a sweep file's trials (on Ray Tune or here) and write its tables and plot."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sims.option_fields import positive_int

EXECUTORS = ("ray", "local")
HELP = ("Run a sweep file (TOML: task, options, grid, seeds) on Ray Tune, locally or on a cluster; running it again "
        "resumes.")
INTERRUPTED = "interrupted; run the same command again to resume (finished trials are kept)"


def parents() -> list[argparse.ArgumentParser]:
    return []


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep_file", metavar="FILE", help="a sweep file (TOML): task, options, grid, seeds")
    parser.add_argument("--out-dir", help="where trials, tables and the plot go (default: runs/sweeps/<file name>); "
                                          "running again with the same folder resumes")
    parser.add_argument("--executor", choices=EXECUTORS, default="ray",
                        help="ray: Ray Tune, on this machine's cores or on --ray-address (default); local: one trial "
                             "after another in this process, without Ray")
    parser.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS") or None,
                        help="HOST:PORT of a running Ray cluster, or 'auto' (default: $RAY_ADDRESS, else a local Ray "
                             "on this machine)")
    parser.add_argument("--max-concurrent", type=positive_int,
                        help="at most this many trials at a time (default: as many as the resources allow)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="overrides",
                        help="set a fixed option for every trial, over the file's (repeatable), e.g. "
                             "--set data-dir=data/conll2003")
    parser.add_argument("--dry-run", action="store_true", help="check the file and list the trials; run nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Checks the file, runs the trials not yet done, and writes sweep.json/.csv, summary and plot.

    Returns:
        0 when every trial finished, 1 when some failed or did not finish (they are listed).
    """
    from qcircuits.errors import ConfigurationError
    from sims.atomic import ensure_dir
    from sims.sweep import (
        FINISHED,
        check_address,
        format_summary,
        import_tune,
        is_done,
        load_spec,
        parse_override,
        run_here,
        run_ray,
        write_tables,
    )

    spec = load_spec(args.sweep_file, dict(parse_override(text) for text in args.overrides))
    out_dir = Path(args.out_dir or Path("runs") / "sweeps" / Path(args.sweep_file).stem)
    trials = spec.trials()
    pending = [t for t in trials if not is_done(out_dir, t)]
    pending_keys = {t.key for t in pending}
    print(f"sweep {spec.path}: task {spec.task}, {len(trials)} trials ({len(trials) - len(pending)} done, "
          f"{len(pending)} to run); output {out_dir}")
    if args.dry_run:
        for trial in trials:
            state = "todo" if trial.key in pending_keys else "done"
            print(f"  {state}  {trial.label}  seed {trial.seed}  [{trial.key}]")
        return 0
    if args.executor == "ray":  # before any folder is made
        import_tune()
        check_address(args.ray_address)
    elif args.ray_address:
        raise ConfigurationError("--ray-address goes with --executor ray.")
    ensure_dir(out_dir, "Sweep folder (--out-dir)")
    try:
        if pending and args.executor == "ray":
            run_ray(spec, pending, out_dir, address=args.ray_address, max_concurrent=args.max_concurrent)
        elif pending:
            run_here(spec, out_dir)
    finally:  # an interrupted sweep still gets its tables, with what finished
        rows, summary = write_tables(spec, out_dir)
    print(f"\n{format_summary(summary, spec.metric)}")
    print(f"written {out_dir / 'sweep.csv'}, sweep.json, summary.csv, summary.json"
          + (", sweep.png" if (out_dir / "sweep.png").exists() else ""))
    unfinished = [r for r in rows if r["status"] not in FINISHED]
    for row in unfinished:
        print(f"  {row['status']}: {row['label']} seed {row['seed']}" + (f": {row['error']}" if row["error"] else ""))
    if unfinished:
        print(f"{len(unfinished)} of {len(rows)} trials did not finish; run the same command again to retry them.")
        return 1
    return 0
