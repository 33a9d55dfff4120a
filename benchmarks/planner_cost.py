"""The planner's cost model, measured: the candidate plans of a few circuits, timed at several batch sizes.

For each circuit (family, qubits, depth) and batch, the engine's candidate plans that the
shipped model ranks cheapest (``--max-plans``, 12 by default: the full lists run to 30-90
plans) are each timed forward + gradient (inputs and weights) under ``tf.function``, in
interleaved rounds (every plan once per round, the best of a few calls; the median over
rounds), so that the machine's drifting load falls on all of them alike. The model of
``sims.backends.statevector.plan.plan_cost``,

    ms = (PER_PASS_MS * other passes + PRODUCT_PASS_MS * products + TRANSPOSE_PASS_MS * transposes)
             * batch * 2^n / REFERENCE_AMPLITUDES
         + BUILD_MS_PER_AMPLITUDE * build + WIDE_BUILD_MS_PER_AMPLITUDE * wide_build
         + STEP_MS * operations + ROWS_STEP_MS * on_rows,

is fitted to the times: non-negative least squares on relative errors, then refined for what
the planner does with it, ranking plans (the log regret of its picks summed over the cases,
plus a little of the squared log error so that its milliseconds stay near the measured
ones; see :func:`fit`). It is then judged the way the planner uses it:
for each circuit and batch, the time of the plan it picks against the fastest measured plan
(the regret), for the fitted constants and for the shipped ones. Prints the fit and the
table; writes JSON and a PNG.

    python benchmarks/planner_cost.py [--quick] [--max-plans 12] [--out-dir benchmarks/results]
    python benchmarks/planner_cost.py --circuits sim_01:8:1:16/128 --out-dir DIR  # other circuits
    python benchmarks/planner_cost.py --refit A.json [B.json ...]  # fit the pooled rows again, no timing
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]

# (family, qubits, depth, batches): hardware_efficient and the families whose 6-qubit first
# blocks the earlier fit misjudged at batch 128 (sim_07, sim_11), beside sim_14's narrow blocks and sim_05's
# many blocks at 12 qubits.
CIRCUITS = [("hardware_efficient", 6, 3, (16, 128)), ("hardware_efficient", 8, 3, (16, 128, 2048)),
            ("sim_14", 8, 2, (16, 128, 2048)), ("strongly_entangling", 8, 2, (16, 128, 2048)),
            ("sim_05", 8, 2, (16, 128, 2048)), ("sim_07", 8, 2, (16, 128, 2048)),
            ("sim_11", 8, 2, (16, 128, 2048)), ("sim_15", 8, 2, (16, 128, 2048)),
            ("hardware_efficient", 12, 3, (1024,)), ("sim_14", 12, 1, (1024,)),
            # Many blocks and phase runs at 12 qubits: with one weight for every pass, the model's pick was 1.5x slow.
            ("sim_05", 12, 2, (1024,))]
QUICK_CIRCUITS = [("hardware_efficient", 8, 3, (128,)), ("sim_11", 8, 2, (128,))]


def plan_features(plan) -> dict[str, float]:
    """What the model reads of a plan (``plan.cost_terms``, the same terms ``plan_cost`` uses)."""
    from sims.backends.statevector.plan import cost_terms

    return dataclasses.asdict(cost_terms(plan))


def with_terms(rows: list[dict]) -> list[dict]:
    """``rows`` with the model's terms, computed again where a row lacks one (rows stored before a term
    was added): the circuit's candidate plans are made again and matched by their description.

    Raises:
        KeyError: a row's plan is no longer among its circuit's candidates (say which).
    """
    from qcircuits import plugins
    from sims.backends.statevector.engine import ansatz_plans
    from sims.backends.statevector.plan import CostTerms

    terms = {field.name for field in dataclasses.fields(CostTerms)}
    plans: dict[tuple, dict] = {}
    out = []
    for row in rows:
        if not terms <= set(row):
            key = (row["ansatz"], row["qubits"], row["depth"])
            if key not in plans:
                candidates = ansatz_plans(plugins.create(row["ansatz"], qubits=row["qubits"], depth=row["depth"]))
                plans[key] = {plan.describe(): plan for plan in candidates.plans}
            plan = plans[key].get(row["plan"])
            if plan is None:
                raise KeyError(f"{row['ansatz']} on {row['qubits']} qubits, depth {row['depth']}: plan "
                               f"{row['plan']!r} is not among its candidates now; measure it again")
            row = row | plan_features(plan)
        out.append(row)
    return out


def _terms(row: dict):
    from sims.backends.statevector.plan import CostTerms

    return CostTerms(**{field.name: row[field.name] for field in dataclasses.fields(CostTerms)})


def model_ms(row: dict, coefficients: dict[str, float]) -> float:
    """The model's milliseconds for a measured row, with ``coefficients`` (named as in ``plan.COST_CONSTANTS``)."""
    from sims.backends.statevector.plan import COST_CONSTANTS

    return _terms(row).ms(row["batch"], row["qubits"], [coefficients[name] for name in COST_CONSTANTS])


def shipped(xla: bool = False) -> dict[str, float]:
    """The constants the planner uses now (``xla``: for calls compiled by XLA)."""
    from sims.backends.statevector import plan

    return dict(zip(plan.COST_CONSTANTS, map(float, plan.cost_constants(xla)), strict=True))


def measure(circuits, max_plans: int, rounds: int, xla: bool = False) -> list[dict]:
    """Times the candidate plans of ``circuits``; ``xla``: compiled as the engine compiles its own calls
    (a compiled forward pass and a compiled gradient that recomputes it), each case in a fresh process
    (XLA never frees what it compiled: one process for the whole list grew past 23 GiB), and the
    candidates are the cheapest ``max_plans`` by either model (the XLA model's constants are what is
    being fitted)."""
    from tqdm import tqdm

    from benchmarks.layers import in_fresh_process

    rows = []
    cases = [(name, n, depth, batch) for name, n, depth, batches in circuits for batch in batches]
    for case in tqdm(cases, desc="circuits x batches", unit="case"):
        rows += in_fresh_process(measure_case, *case, max_plans, rounds, xla) if xla else \
            measure_case(*case, max_plans, rounds, xla)
    return rows


def measure_case(name: str, n: int, depth: int, batch: int, max_plans: int, rounds: int, xla: bool) -> list[dict]:
    """The rows of one circuit at one batch size (see :func:`measure`)."""
    from tqdm import tqdm

    from benchmarks.layers import _run, interleaved_times
    from qcircuits import plugins
    from sims.backends.statevector.engine import ansatz_plans
    from sims.backends.statevector.layer_kernel import compiled_with_recomputed_gradient
    from sims.backends.statevector.plan import plan_cost
    from sims.tf_env import tf

    rng = np.random.default_rng(0)
    ansatz = plugins.create(name, qubits=n, depth=depth)
    plans = ansatz_plans(ansatz)
    candidates = sorted(plans.plans, key=lambda plan: plan_cost(plan, batch))[:max_plans]
    if xla:
        chosen = {id(plan) for plan in candidates}
        candidates += [plan for plan in sorted(plans.plans, key=lambda plan: plan_cost(plan, batch, xla=True))
                       [:max_plans] if id(plan) not in chosen]
    x = tf.constant(rng.uniform(0, 3, (batch, ansatz.n_data_symbols)), tf.float32)
    w = tf.Variable(rng.uniform(0, 6, ansatz.n_weights).astype(np.float32))
    calls = {}
    for i, plan in enumerate(candidates):
        program = plans.program_for_plan(plan)
        run = program.expectations
        if xla:
            run = compiled_with_recomputed_gradient(program.expectations)

        def step(run=run):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(run(x, w, batch))
            return tape.gradient(loss, [x, w])

        calls[i] = tf.function(step)
        _run(calls[i])  # traced
    # Every plan once per round, the fastest of a few calls each; the median over rounds.
    times = interleaved_times(calls, rounds, best_of=5 if batch * 2 ** n <= 2 ** 19 else 2)
    rows = []
    for i, plan in enumerate(candidates):
        row = {"ansatz": name, "qubits": n, "depth": depth, "batch": batch, "xla": xla, "plan": plan.describe(),
               "ms": 1e3 * statistics.median(times[i]), **plan_features(plan)}
        rows.append(row)
        tqdm.write(f"{name:<20} n={n:<2} d={depth} batch {batch:>5}  {row['ms']:9.2f} ms  {row['plan']}")
    return rows


def _design(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """What each constant multiplies, per row (``CostTerms.features``), and the measured milliseconds."""
    a = np.array([_terms(r).features(r["batch"], r["qubits"]) for r in rows], dtype=float)
    return a, np.array([r["ms"] for r in rows])


def _groups(rows: list[dict]) -> list[np.ndarray]:
    """Row indices of each (circuit, batch) case: the plans the planner chooses between."""
    keys: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        keys.setdefault((r["ansatz"], r["qubits"], r["depth"], r["batch"]), []).append(i)
    return [np.array(v) for v in keys.values()]


def fit(rows: list[dict], error_weight: float = 0.2, starts: int = 12, margin: float = 1.05,
        xla: bool = False) -> dict[str, float]:
    """Non-negative least squares on relative errors, refined to rank the plans of each case.

    The refinement minimises, over the log of the constants (so they stay positive), the sum
    over the cases of the log regret of the plan the model picks (of the slowest plan modelled
    within ``margin`` of the cheapest: rounded constants then pick the same), plus ``error_weight`` times
    the number of cases times the mean squared log error (so that the model's milliseconds stay
    near the measured ones, and a tie in the picks goes to the closer fit). The regret is a step
    function of the constants: Nelder-Mead from the least-squares fit, from ``starts - 1``
    seeded perturbations of it and from the shipped constants (``xla``: the XLA ones), the best kept.
    """
    from scipy.optimize import minimize, nnls

    a, t = _design(rows)
    start, _ = nnls(a / t[:, None], np.ones(len(t)))
    current_constants = shipped(xla)
    floor = 1e-3 * np.array(list(current_constants.values()))
    start = np.where(start > 0, start, floor)  # a log needs every constant above zero
    groups = _groups(rows)

    def loss(log_c: np.ndarray) -> float:
        predicted = a @ np.exp(log_c)
        regret = 0.0
        for idx in groups:  # a near-tie (within ``margin``) counts its slowest plan: no fit on a knife's edge
            near = predicted[idx] <= margin * predicted[idx].min()
            regret += float(np.log(t[idx][near].max() / t[idx].min()))
        return regret + error_weight * len(groups) * float(np.mean((np.log(predicted) - np.log(t)) ** 2))

    rng = np.random.default_rng(0)
    best = None
    current = np.log(np.maximum(np.array(list(current_constants.values())), floor))
    for attempt in range(starts + 1):
        x0 = current if attempt == starts else np.log(start) + (rng.normal(0, 0.5, len(start)) if attempt else 0.0)
        result = minimize(loss, x0, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-7})
        if best is None or result.fun < best.fun:
            best = result
    return dict(zip(current_constants, map(float, np.exp(best.x)), strict=True))


def judge(rows: list[dict], coefficients: dict[str, float]) -> list[dict]:
    """For each circuit and batch: the plan the model picks, its time, and the fastest measured."""
    verdicts = []
    for idx in _groups(rows):
        group = [rows[i] for i in idx]
        best = min(group, key=lambda r: r["ms"])
        chosen = min(reversed(group), key=lambda r: model_ms(r, coefficients))
        first = group[0]
        verdicts.append({"ansatz": first["ansatz"], "qubits": first["qubits"], "depth": first["depth"],
                         "batch": first["batch"], "chosen": chosen["plan"], "chosen_ms": chosen["ms"],
                         "best": best["plan"], "best_ms": best["ms"], "regret": chosen["ms"] / best["ms"]})
    return verdicts


def summary(verdicts: list[dict]) -> dict[str, float]:
    regrets = [v["regret"] for v in verdicts]
    return {"median": statistics.median(regrets), "geometric_mean": float(np.exp(np.mean(np.log(regrets)))),
            "worst": max(regrets), "cases": len(regrets)}


def parse_circuit(text: str, parser: argparse.ArgumentParser) -> tuple[str, int, int, tuple[int, ...]]:
    """``NAME:QUBITS:DEPTH:BATCH[/BATCH...]`` as a :data:`CIRCUITS` entry (a one-line error otherwise)."""
    parts = text.split(":")
    try:
        name, qubits, depth, batches = parts[0], int(parts[1]), int(parts[2]), \
            tuple(int(b) for b in parts[3].split("/"))
        if len(parts) != 4 or not name or min(qubits, depth, *batches) < 1:
            raise ValueError
    except (ValueError, IndexError):
        parser.error(f"--circuits {text!r}: expected NAME:QUBITS:DEPTH:BATCH[/BATCH...] with positive integers, "
                     "e.g. sim_01:8:1:16/128")
    return name, qubits, depth, batches


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two circuits at batch 128")
    parser.add_argument("--max-plans", type=int, default=12,
                        help="time the plans the shipped model ranks cheapest, this many per case (default 12)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--circuits", metavar="NAME:QUBITS:DEPTH:BATCH[/BATCH...]", nargs="+",
                        help="time these circuits instead of the built-in list (e.g. sim_01:8:1:16/128)")
    parser.add_argument("--refit", metavar="JSON", nargs="+",
                        help="fit and judge the rows of earlier runs' JSON files, pooled (no timing)")
    parser.add_argument("--xla", action="store_true",
                        help="time the plans compiled by XLA, as the engine compiles its small calls, and fit "
                             "the XLA model's constants")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    if args.max_plans < 1 or args.rounds < 1:
        parser.error(f"--max-plans {args.max_plans} and --rounds {args.rounds}: expected positive integers")
    sys.path.insert(0, str(ROOT))
    from sims.atomic import write_json
    from sims.plotting import pyplot, save_png

    circuits = QUICK_CIRCUITS if args.quick else CIRCUITS
    if args.circuits:
        circuits = [parse_circuit(text, parser) for text in args.circuits]
    if args.refit:
        rows = []
        for path in args.refit:
            try:
                found = json.loads(Path(path).read_text())["rows"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                parser.error(f"--refit {path}: expected a JSON file written by this benchmark ({exc})")
            if not found or any(not {"ansatz", "qubits", "depth", "plan"} <= set(row) for row in found):
                parser.error(f"--refit {path}: expected rows with the circuit and its plan "
                             "(ansatz, qubits, depth, plan)")
            rows += found
        xla = bool(rows[0].get("xla", False))
        if any(bool(row.get("xla", False)) != xla for row in rows):
            parser.error("--refit: the files mix rows timed with and without --xla; fit them apart")
        if args.xla and not xla:
            parser.error("--refit with --xla: these rows were timed without XLA")
        try:
            rows = with_terms(rows)
        except KeyError as exc:
            parser.error(f"--refit: {exc.args[0]}")
        except ValueError as exc:  # a row's circuit cannot be made (an ansatz not registered here, bad sizes)
            parser.error(f"--refit: {str(exc).splitlines()[0]}")
    else:
        xla = args.xla
        rows = measure(circuits, args.max_plans, args.rounds, xla=xla)
    coefficients, current = fit(rows, xla=xla), shipped(xla)
    verdicts, verdicts_shipped = judge(rows, coefficients), judge(rows, current)
    print("\nfitted:  " + ", ".join(f"{k} = {v:.3g}" for k, v in coefficients.items()))
    print("shipped: " + ", ".join(f"{k} = {v:.3g}" for k, v in current.items()))
    print(f"\n{'circuit':<28} {'batch':>5}  {'chosen (ms)':>11}  {'best (ms)':>9}  regret  shipped's  chosen plan")
    for v, s in zip(verdicts, verdicts_shipped, strict=True):
        print(f"{v['ansatz'] + ' n=' + str(v['qubits']) + ' d=' + str(v['depth']):<28} {v['batch']:>5}  "
              f"{v['chosen_ms']:>11.2f}  {v['best_ms']:>9.2f}  {v['regret']:6.2f}  {s['regret']:9.2f}  {v['chosen']}")
    fitted_summary, shipped_summary = summary(verdicts), summary(verdicts_shipped)
    for label, sm in (("fitted", fitted_summary), ("shipped", shipped_summary)):
        print(f"regret with the {label} constants: median {sm['median']:.2f}, "
              f"geometric mean {sm['geometric_mean']:.3f}, "
              f"worst {sm['worst']:.2f} over {sm['cases']} cases ({os.cpu_count()} cores)")
    out = Path(args.out_dir) / ("planner_cost_xla.json" if xla else "planner_cost.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, {"coefficients": coefficients, "shipped": current, "regret": fitted_summary,
                     "regret_shipped": shipped_summary, "verdicts": verdicts, "verdicts_shipped": verdicts_shipped,
                     "rows": rows, "cores": os.cpu_count(), "max_plans": args.max_plans, "rounds": args.rounds,
                     "xla": xla})
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    predicted = [model_ms(r, coefficients) for r in rows]
    ax.scatter([r["ms"] for r in rows], predicted, c=[np.log2(r["batch"]) for r in rows], cmap="viridis", s=14)
    low, high = min(r["ms"] for r in rows), max(r["ms"] for r in rows)
    ax.plot([low, high], [low, high], color="grey", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="measured ms (forward + gradient)", ylabel="model ms (fitted)",
           title=f"planner cost model{' under XLA' if xla else ''} (colour: log2 batch)")
    save_png(fig, out.with_suffix(".png"))
    print(f"written {out} and {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
