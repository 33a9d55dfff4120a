"""The planner's cost model, measured: every candidate plan of a few circuits, timed at several batch sizes.

For each circuit (family, qubits, depth) the engine's candidate plans (one per shared block
width) are each timed forward + gradient (inputs and weights) under ``tf.function``, at each
batch size. The model of ``sims.backends.statevector.plan.plan_cost``,

    ms = PER_PASS_MS * passes * batch * 2^n / REFERENCE_AMPLITUDES
         + BUILD_MS_PER_AMPLITUDE * build + STEP_MS * operations,

is fitted to the times (non-negative least squares on relative errors), and then judged the
way the planner uses it: for each circuit and batch, the time of the plan it picks against
the fastest measured plan (the regret). Prints the fit and the table; writes JSON and a PNG.

    python benchmarks/planner_cost.py [--quick] [--out benchmarks/results/planner_cost.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]

CIRCUITS = [("hardware_efficient", 8, 3), ("sim_14", 8, 2), ("strongly_entangling", 8, 2),
            ("hardware_efficient", 12, 3), ("sim_14", 12, 1), ("hardware_efficient", 6, 3)]
BATCHES = [16, 128, 1024, 2048]
QUICK_CIRCUITS = [("hardware_efficient", 8, 3), ("sim_14", 8, 2)]
QUICK_BATCHES = [128, 2048]


def plan_features(plan) -> dict[str, float]:
    """What the model reads of a plan (``plan.cost_terms``, the same terms ``plan_cost`` uses)."""
    from sims.backends.statevector.plan import cost_terms

    return dataclasses.asdict(cost_terms(plan))


def model_ms(row: dict, coefficients: dict[str, float]) -> float:
    """The model's milliseconds for a measured row, with fitted ``coefficients``."""
    from sims.backends.statevector.plan import CostTerms

    terms = CostTerms(row["passes"], row["build"], row["operations"], row["on_rows"])
    return terms.ms(row["batch"], row["qubits"], coefficients["PER_PASS_MS"], coefficients["BUILD_MS_PER_AMPLITUDE"],
                    coefficients["STEP_MS"])


def median_ms(fn, repeats: int) -> float:
    fn()
    fn()  # traced and warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def measure(circuits, batches) -> list[dict]:
    from qcircuits import plugins
    from sims.backends.statevector.engine import ansatz_plans
    from sims.tf_env import tf

    rows = []
    rng = np.random.default_rng(0)
    for name, n, depth in circuits:
        ansatz = plugins.create(name, qubits=n, depth=depth)
        plans = ansatz_plans(ansatz)
        programs = [plans.program_for_plan(plan) for plan in plans.plans]
        for batch in batches:
            x = tf.constant(rng.uniform(0, 3, (batch, ansatz.n_data_symbols)), tf.float32)
            w = tf.Variable(rng.uniform(0, 6, ansatz.n_weights).astype(np.float32))
            for program in programs:
                def step(program=program, x=x, w=w, batch=batch):
                    with tf.GradientTape() as tape:
                        tape.watch(x)
                        loss = tf.reduce_sum(program.expectations(x, w, batch))
                    return tape.gradient(loss, [x, w])

                compiled = tf.function(step)
                ms = median_ms(lambda compiled=compiled: [t.numpy() for t in compiled()],
                               9 if batch * 2 ** n <= 2 ** 19 else 5)
                row = {"ansatz": name, "qubits": n, "depth": depth, "batch": batch,
                       "plan": program.plan.describe(), "ms": ms, **plan_features(program.plan)}
                rows.append(row)
                print(f"{name:<20} n={n:<2} d={depth} batch {batch:>5}  {ms:9.2f} ms  {row['plan']}", flush=True)
    return rows


def fit(rows: list[dict]) -> dict[str, float]:
    """Non-negative least squares of the model's three terms, on relative errors."""
    from scipy.optimize import nnls

    from sims.backends.statevector.plan import REFERENCE_AMPLITUDES, ROWS_STEP_MS

    a = np.array([[r["passes"] * r["batch"] * 2 ** r["qubits"] / REFERENCE_AMPLITUDES, r["build"], r["operations"]]
                  for r in rows])
    # The fixed cost of recipe steps run on rows is set by hand (docs/engine.md); the rest is fitted.
    t = np.array([max(r["ms"] - ROWS_STEP_MS * r["on_rows"], 1e-3) for r in rows])
    coefficients, _ = nnls(a / t[:, None], np.ones(len(t)))
    return dict(zip(("PER_PASS_MS", "BUILD_MS_PER_AMPLITUDE", "STEP_MS"), map(float, coefficients), strict=True))


def judge(rows: list[dict], coefficients: dict[str, float]) -> list[dict]:
    """For each circuit and batch: the plan the model picks, its time, and the fastest measured."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["ansatz"], r["qubits"], r["depth"], r["batch"]), []).append(r)
    verdicts = []
    for (name, n, depth, batch), group in groups.items():
        best = min(group, key=lambda r: r["ms"])
        chosen = min(reversed(group), key=lambda r: model_ms(r, coefficients))
        verdicts.append({"ansatz": name, "qubits": n, "depth": depth, "batch": batch, "chosen": chosen["plan"],
                         "chosen_ms": chosen["ms"], "best": best["plan"], "best_ms": best["ms"],
                         "regret": chosen["ms"] / best["ms"]})
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two circuits, two batch sizes")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "planner_cost.json"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from sims.atomic import write_json
    from sims.plotting import pyplot, save_png

    rows = measure(QUICK_CIRCUITS if args.quick else CIRCUITS, QUICK_BATCHES if args.quick else BATCHES)
    coefficients = fit(rows)
    verdicts = judge(rows, coefficients)
    print("\nfitted: " + ", ".join(f"{k} = {v:.3g}" for k, v in coefficients.items()))
    print(f"\n{'circuit':<28} {'batch':>5}  {'chosen (ms)':>11}  {'best (ms)':>9}  regret  chosen plan")
    for v in verdicts:
        print(f"{v['ansatz'] + ' n=' + str(v['qubits']) + ' d=' + str(v['depth']):<28} {v['batch']:>5}  "
              f"{v['chosen_ms']:>11.2f}  {v['best_ms']:>9.2f}  {v['regret']:6.2f}  {v['chosen']}")
    regrets = [v["regret"] for v in verdicts]
    print(f"\nregret: median {statistics.median(regrets):.2f}, worst {max(regrets):.2f} over {len(regrets)} cases "
          f"({os.cpu_count()} cores)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, {"coefficients": coefficients, "verdicts": verdicts, "rows": rows, "cores": os.cpu_count()})
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter([r["ms"] for r in rows], [r["ms"] for r in rows], s=0)  # the diagonal's range
    predicted = [model_ms(r, coefficients) for r in rows]
    ax.scatter([r["ms"] for r in rows], predicted, c=[np.log2(r["batch"]) for r in rows], cmap="viridis", s=14)
    low, high = min(r["ms"] for r in rows), max(r["ms"] for r in rows)
    ax.plot([low, high], [low, high], color="grey", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="measured ms (forward + gradient)", ylabel="model ms",
           title="planner cost model (colour: log2 batch)")
    save_png(fig, out.with_suffix(".png"))
    print(f"written {out} and {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
