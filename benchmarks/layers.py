"""The statevector engine against raw TensorFlow Quantum doing the same work, in one interleaved run.

For hardware_efficient (angle encoding, Z readouts), for each configuration:
  * ours: ``QuantumLayer(backend="statevector")`` inside ``tf.function``;
  * ``tfq`` layer: ``QuantumLayer(backend="tfq")`` (our wrapper of TFQ's native ops);
  * raw: ``tfq.layers.Expectation`` (Adjoint) on the same tiled serialized circuit with a
    precomputed symbol-value tensor: TFQ used as well as it can be.
Each is timed forward and forward+gradient (inputs and weights), interleaved (ours, raw,
ours, raw, ...) so that machine noise hits both alike, after checking that they agree.
Sweeps: batch 256-8192 (8 qubits, depth 3), qubits 4-16 (batch 2048, depth 3), depth 1-8
(8 qubits, batch 2048). Prints tables and the crossover where TFQ wins; writes JSON and a PNG.

    python benchmarks/layers.py [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.peers import start_peers, timed_calls  # noqa: E402
from sims.atomic import write_json  # noqa: E402
from sims.backends.statevector.backend import XLA_MODES  # noqa: E402
from sims.layers import QuantumLayer  # noqa: E402
from sims.plotting import pyplot, save_png  # noqa: E402
from sims.tf_env import tf, tfq  # noqa: E402

ANSATZ = "hardware_efficient"


def step_functions(layer, x):
    """Forward and forward+gradient (inputs and weights) of ``layer`` on ``x``, as ``tf.function`` s."""
    @tf.function
    def forward():
        return layer(x)

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, [x, layer.circuit_weights])

    return forward, forward_backward


def _raw(layer, x, batch):
    """TFQ's Expectation on the tiled serialized circuit, values precomputed."""
    ansatz = layer.ansatz
    expectation = tfq.layers.Expectation(differentiator=tfq.differentiators.Adjoint())
    names = tf.constant([s.name for s in ansatz.symbols])
    circuits = tf.tile(tfq.convert_to_tensor([ansatz.circuit.unfreeze(copy=False)]), [batch])
    operators = tf.tile(tfq.convert_to_tensor([list(ansatz.readouts)]), [batch, 1])
    values = tf.Variable(tf.concat([x, tf.tile(layer.circuit_weights[None], [batch, 1])], axis=1))

    @tf.function
    def forward():
        return expectation(circuits, symbol_names=names, symbol_values=values, operators=operators)

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(expectation(circuits, symbol_names=names, symbol_values=values, operators=operators))
        return tape.gradient(loss, values)

    return forward, forward_backward


def _run(fn) -> None:
    result = fn()
    for r in result if isinstance(result, (list, tuple)) else [result]:
        r.numpy()


def interleaved(functions: dict, repeats: int) -> dict:
    """Median seconds of each function over ``repeats`` rounds (:func:`interleaved_times`)."""
    return {k: statistics.median(v) for k, v in interleaved_times(functions, repeats).items()}


def interleaved_times(functions: dict, repeats: int, best_of: int = 1) -> dict:
    """Seconds of each function in each of ``repeats`` rounds; each round times every function in turn
    (the fastest of ``best_of`` calls).

    Each timed call follows an untimed call of the same function. Without it, whoever
    runs right after TFQ pays for TFQ: its ops parse thousands of small protobuf
    objects, and the next large allocation in the process spends ~0.1-0.2 s in glibc's
    ``malloc_consolidate`` (measured with ``perf`` here).
    """
    times = {k: [] for k in functions}
    for _ in range(repeats):
        for key, fn in functions.items():
            _run(fn)
            calls = []
            for _ in range(best_of):
                start = time.perf_counter()
                _run(fn)
                calls.append(time.perf_counter() - start)
            times[key].append(min(calls))
    return times


def measure(qubits: int, depth: int, batch: int, repeats: int, with_tfq_layer: bool = False,
            ansatz: str = ANSATZ, peers: tuple[str, ...] = (), beside: str | None = None, best_of: int = 1,
            xla: str = "auto") -> dict:
    """One configuration, the engine against raw TFQ (and ``peers``) in interleaved rounds.

    ``beside``: also time the engine on that family (same width, depth and batch) in the same
    rounds, for the ratio of the two engine times (``ratio_to_beside``: median and range over
    rounds): timed apart, a shared machine's load changes between them and moves the ratio.

    ``best_of``: each round times the fastest of that many calls of each function (back to back, as a
    training loop runs its step). ``xla``: the engine's ``xla`` option.
    """
    engine = {"backend": "statevector", "seed": 1, "backend_options": {"xla": xla}}
    ours = QuantumLayer(ansatz, qubits=qubits, depth=depth, **engine)
    x = tf.random.stateless_uniform((batch, ours.ansatz.n_features), seed=(0, 1), maxval=np.pi)
    ours.build(x.shape)
    raw_f, raw_fb = _raw(ours, x, batch)
    ours_f, ours_fb = step_functions(ours, x)
    difference = float(np.max(np.abs(ours_f().numpy() - raw_f().numpy())))
    assert difference < 1e-4, f"engine and TFQ disagree by {difference}"
    functions = {"ours_forward": ours_f, "raw_forward": raw_f, "ours_forward_gradient": ours_fb,
                 "raw_forward_gradient": raw_fb}
    if with_tfq_layer:
        layer = QuantumLayer(ansatz, qubits=qubits, depth=depth, backend="tfq", seed=1)
        layer.build(x.shape)
        layer.set_weights(ours.get_weights())
        functions["tfq_layer_forward"], functions["tfq_layer_forward_gradient"] = step_functions(layer, x)
    if beside is not None:
        other = QuantumLayer(beside, qubits=qubits, depth=depth, **engine)
        other_x = tf.random.stateless_uniform((batch, other.ansatz.n_features), seed=(0, 1), maxval=np.pi)
        other.build(other_x.shape)
        other_f, functions["beside_forward_gradient"] = step_functions(other, other_x)
    running = start_peers(ours, x, peers, ours_f().numpy()) if peers else {}
    running_beside: dict = {}
    try:
        if beside is not None and running:  # each peer on ``beside`` too: is the family's cost ours or the circuit's?
            running_beside = {f"{name}_beside": peer for name, peer in
                              start_peers(other, other_x, tuple(running), other_f().numpy()).items()}
        times = interleaved_times({**functions, **timed_calls(running), **timed_calls(running_beside)}, repeats,
                                  best_of=best_of)
        seconds = {k: statistics.median(v) for k, v in times.items()}
    finally:
        for peer in [*running.values(), *running_beside.values()]:
            peer.close()
    row = {"ansatz": ansatz, "qubits": qubits, "depth": depth, "batch": batch, "max_abs_difference": difference,
           "plan": ours.kernel.plan_summary, "xla": xla, "compiled": ours.kernel.last_compiled, "best_of": best_of,
           "peers": {name: {"version": p.version, "jax": p.jax_version} for name, p in running.items()}}
    for key, value in seconds.items():
        row[f"{key}_s"] = value
        row[f"{key}_samples_per_s"] = batch / value
    row["speedup_forward"] = seconds["raw_forward"] / seconds["ours_forward"]
    row["speedup_forward_gradient"] = seconds["raw_forward_gradient"] / seconds["ours_forward_gradient"]
    # The range over rounds of each ratio to raw TFQ in the same round (interleaved: a round's noise hits both).
    for who in ["ours", *running]:
        ratios = [r / o for r, o in zip(times["raw_forward_gradient"], times[f"{who}_forward_gradient"], strict=True)]
        row[f"{who}_speedup_forward_gradient_range"] = [min(ratios), max(ratios)]
    if beside is not None:
        row["beside"] = beside
        pairs = [("", "ours_forward_gradient", "beside_forward_gradient")]  # (row key prefix, time keys)
        pairs += [(f"{name}_", f"{name}_forward_gradient", f"{name}_beside_forward_gradient") for name in running
                  if f"{name}_beside" in running_beside]
        for prefix, mine_key, theirs_key in pairs:
            mine, theirs = times[mine_key], times[theirs_key]
            ratios = [o / b for o, b in zip(mine, theirs, strict=True)]
            row[f"{prefix}ratio_to_beside"] = statistics.median(ratios)
            row[f"{prefix}ratio_to_beside_range"] = [min(ratios), max(ratios)]
            # Each one's fastest round: the least disturbed by the machine's other load (timeit's advice).
            row[f"{prefix}ratio_to_beside_fastest"] = min(mine) / min(theirs)
        # The circuits' sizes: a family with five times the gates is not expected to run as fast; per gate
        # (fastest rounds) says whether the engine is as efficient on it as on the other.
        row["gates"], row["two_qubit_gates"] = ours.ansatz.n_gates, ours.ansatz.n_two_qubit_gates
        row["beside_gates"], row["beside_two_qubit_gates"] = other.ansatz.n_gates, other.ansatz.n_two_qubit_gates
        row["ratio_to_beside_per_gate"] = row["ratio_to_beside_fastest"] * other.ansatz.n_gates / ours.ansatz.n_gates
    for name in running:  # each peer's rate relative to raw TFQ, as ours
        row[f"{name}_speedup_forward_gradient"] = seconds["raw_forward_gradient"] / seconds[f"{name}_forward_gradient"]
    return row


def measure_eager(qubits: int, depth: int, batch: int, repeats: int) -> dict:
    """The engine's layer called eagerly (no ``tf.function`` around it), against raw TFQ in a graph."""
    ours = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", seed=1)
    x = tf.random.stateless_uniform((batch, ours.ansatz.n_features), seed=(0, 1), maxval=np.pi)
    ours.build(x.shape)

    def eager_forward_gradient():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(ours(x))
        return tape.gradient(loss, [x, ours.circuit_weights])

    _, raw_fb = _raw(ours, x, batch)
    seconds = interleaved({"ours": eager_forward_gradient, "raw": raw_fb}, repeats)
    return {"ansatz": ANSATZ, "qubits": qubits, "depth": depth, "batch": batch, "mode": "eager",
            "target": 10.0, "ours_forward_gradient_samples_per_s": batch / seconds["ours"],
            "raw_forward_gradient_samples_per_s": batch / seconds["raw"],
            "speedup_forward_gradient": seconds["raw"] / seconds["ours"]}


def _print(title: str, rows: list, key: str) -> None:
    print(f"\n{title}")
    print(f"  {key:>7} {'ours fwd':>10} {'TFQ fwd':>10} {'x':>6} {'ours f+g':>10} {'TFQ f+g':>10} {'x':>6}")
    for r in rows:
        print(f"  {r[key]:>7} {r['ours_forward_samples_per_s']:>10.0f} {r['raw_forward_samples_per_s']:>10.0f} "
              f"{r['speedup_forward']:>6.1f} {r['ours_forward_gradient_samples_per_s']:>10.0f} "
              f"{r['raw_forward_gradient_samples_per_s']:>10.0f} {r['speedup_forward_gradient']:>6.1f}", flush=True)


def plot(batch_rows: list, qubit_rows: list, depth_rows: list, path: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, rows, key, title in ((axes[0], batch_rows, "batch", "8 qubits, depth 3"),
                                 (axes[1], qubit_rows, "qubits", "batch 2048, depth 3"),
                                 (axes[2], depth_rows, "depth", "8 qubits, batch 2048")):
        xs = [r[key] for r in rows]
        for who, color in (("ours", "tab:blue"), ("raw", "tab:red")):
            label = "statevector engine" if who == "ours" else "raw TFQ"
            ax.plot(xs, [r[f"{who}_forward_gradient_samples_per_s"] for r in rows], "o-", color=color,
                    label=f"{label}, forward+gradient")
            ax.plot(xs, [r[f"{who}_forward_samples_per_s"] for r in rows], "s--", color=color, alpha=0.5,
                    label=f"{label}, forward")
        ax.set(yscale="log", xlabel=key, ylabel="samples/s", title=title)
        if key == "batch":
            ax.set_xscale("log", base=2)
            ax.set_xticks(xs, [str(v) for v in xs])
            ax.minorticks_off()
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.suptitle(f"QuantumLayer throughput ({ANSATZ}, {os.cpu_count()} CPU cores)")
    fig.tight_layout()
    save_png(fig, path, dpi=110)


# The engine issue's targets (forward + gradient against raw TFQ): (qubits, depth, batch, at least).
TARGETS = [(8, 3, 128, 10.0), (8, 3, 2048, 40.0), (12, 3, 1024, 10.0), (16, 3, 256, 5.0), (20, 3, 16, 1.0)]


def _range(row: dict, who: str) -> str:
    low, high = row[f"{who}_speedup_forward_gradient_range"]
    return f"{low:.1f}-{high:.1f}x over rounds"


def in_fresh_process(function, *args, **kwargs):
    """``function(*args, **kwargs)`` in a fresh (spawned) process, its result returned: XLA keeps every
    function it compiled until its process ends (100-300 MiB per compiled layer call at 8 qubits), and
    the engine's ``xla="auto"`` compiles a bounded number of calls per process
    (``layer_kernel.XLA_MAX_COMPILED_CALLS``), so a benchmark of many compiled configurations in one
    process would time most of them uncompiled, or, forced, run out of memory. ``function`` must be
    importable by its module's name."""
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args, **kwargs).result()


def targets(repeats: int, out: Path, peers: tuple[str, ...] = (), families_too: bool = True,
            widths_too: bool = True, best_of: int = 1, xla: str = "auto",
            families: tuple[str, ...] | None = None, families_at: tuple[int, int] = (8, 128)) -> None:
    """The targets' configurations (with ``peers`` beside, where set up), then every registered family against
    hardware_efficient at 8 qubits, batch 128 (``widths_too=False``: the families alone, with ``peers`` on each
    family and on hardware_efficient in the same rounds; ``families``: only these; ``families_at``: qubits and
    batch of that table); ``best_of`` and ``xla``: see :func:`measure`."""
    import plugins as registry

    rows = []
    print(f"targets ({ANSATZ}, forward + gradient, median of {repeats} interleaved rounds (each the fastest of "
          f"{best_of} calls), {os.cpu_count()} cores, engine xla={xla}):")
    for qubits, depth, batch, goal in TARGETS if widths_too else ():
        row = measure(qubits, depth, batch, repeats if qubits < 16 else max(2, repeats // 2), peers=peers,
                      best_of=best_of, xla=xla)
        row["target"] = goal
        rows.append(row)
        beside = "".join(f", {name} {row[f'{name}_speedup_forward_gradient']:.1f}x "
                         f"({_range(row, name)})" for name in row["peers"])
        print(f"  {qubits:>2} qubits, batch {batch:>5}: {row['speedup_forward_gradient']:6.1f}x TFQ "
              f"({_range(row, 'ours')}; target {goal:g}x) "
              f"{'met' if row['speedup_forward_gradient'] >= goal else 'MISSED'}{beside}  [{row['plan']}]", flush=True)
    if widths_too:
        eager = measure_eager(8, 3, 2048, repeats)
        rows.append(eager)
        print(f"   8 qubits, batch  2048, eager calls: {eager['speedup_forward_gradient']:6.1f}x TFQ (target 10x) "
              f"{'met' if eager['speedup_forward_gradient'] >= 10 else 'MISSED'}", flush=True)
    family_rows = []
    # The peers join the families table when it is asked for alone: beside every family they add over an hour.
    family_peers = () if widths_too else peers
    family_qubits, family_batch = families_at
    if families_too and families_at != (8, 128):
        print(f"families at {family_qubits} qubits, batch {family_batch}:")
    for depth in (1, 2) if families_too else ():
        for name in families or registry.list_ansatze():
            try:  # hardware_efficient timed in the same rounds as each family (beside)
                row = in_fresh_process(measure, family_qubits, depth, family_batch, repeats, ansatz=name, beside=ANSATZ,
                                       best_of=best_of, xla=xla, peers=family_peers)
            except Exception as exc:  # noqa: BLE001 - a family that does not take these options is listed as such
                print(f"  {name} depth {depth}: not measured ({type(exc).__name__}: {exc})")
                continue
            family_rows.append(row)
            low, high = row["ratio_to_beside_range"]
            # Each peer's own ratio, family to hardware_efficient, in the same rounds (fastest rounds' in brackets).
            theirs = "".join(f"; {peer} {row[f'{peer}_ratio_to_beside']:.2f}x "
                             f"({row[f'{peer}_ratio_to_beside_fastest']:.2f}x), "
                             f"{row[f'{peer}_speedup_forward_gradient']:.1f}x TFQ"
                             for peer in row["peers"] if f"{peer}_ratio_to_beside" in row)
            print(f"  {name:<24} depth {depth}: {row['ours_forward_gradient_samples_per_s']:>9.0f} samples/s, "
                  f"{row['ratio_to_beside']:.2f}x the time of {ANSATZ} ({low:.2f}-{high:.2f} over "
                  f"rounds; fastest rounds {row['ratio_to_beside_fastest']:.2f}x; {row['gates']} gates against "
                  f"{row['beside_gates']}, per gate {row['ratio_to_beside_per_gate']:.2f}x), "
                  f"{row['speedup_forward_gradient']:.1f}x TFQ{theirs}", flush=True)
    name = ("layers_targets" if widths_too else "layers_families") + "_peers" * bool(peers)
    if families:
        name += "_" + "+".join(families)
    if families_at != (8, 128):
        name += f"_{family_qubits}-qubits_batch-{family_batch}"
    if xla != "auto" or best_of != 1:
        name += f"_xla-{xla}_best-of-{best_of}"
    path = out / f"{name}.json"
    write_json(path, {"benchmark": "layers --targets", "cpu_count": os.cpu_count(), "repeats": repeats,
                      "best_of": best_of, "xla": xla, "targets": rows, "families": family_rows})
    print(f"written {path}")


def _qubits_and_batch(text: str) -> tuple[int, int]:
    """``QUBITS:BATCH`` as two ints: 2 to 20 qubits, a batch of at least 1 (argparse's one-line error otherwise)."""
    try:
        qubits, batch = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected QUBITS:BATCH such as 12:1024; got {text!r}") from None
    if not 2 <= qubits <= 20 or batch < 1:
        raise argparse.ArgumentTypeError(f"expected 2 to 20 qubits and a batch of at least 1; got {text!r}")
    return qubits, batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer points (a smoke run)")
    parser.add_argument("--targets", action="store_true",
                        help="only the engine's targets (8, 12, 16, 20 qubits) and every family at batch 128")
    parser.add_argument("--peers", action="store_true",
                        help="with --targets: TensorCircuit-ng and PennyLane (JAX) beside, from their own environments "
                             "(bash benchmarks/peers/setup.sh); on the families table with --families-only")
    parser.add_argument("--no-families", action="store_true", help="with --targets: skip the table of every family")
    parser.add_argument("--families-only", action="store_true",
                        help="with --targets: only the table of every family (no widths, no eager calls)")
    parser.add_argument("--families", type=lambda text: tuple(text.split(",")), default=None,
                        help="with --targets: the table for these families only (comma-separated names)")
    parser.add_argument("--families-at", type=_qubits_and_batch, default=(8, 128), metavar="QUBITS:BATCH",
                        help="with --targets: the families table at this width and batch (default 8:128)")
    parser.add_argument("--best-of", type=int, default=1,
                        help="with --targets: each round times the fastest of this many calls (default: 1)")
    parser.add_argument("--xla", choices=XLA_MODES, default="auto",
                        help="with --targets: the engine's xla option (default: auto)")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    if args.best_of < 1:
        parser.error(f"--best-of must be at least 1; got {args.best_of}")
    if not args.targets and (args.best_of != 1 or args.xla != "auto"):
        parser.error("--best-of and --xla go with --targets")
    if args.families_only and (args.no_families or not args.targets):
        parser.error("--families-only goes with --targets (not with --no-families)")
    if args.families_at != (8, 128) and (not args.targets or args.no_families):
        parser.error(f"--families-at goes with --targets (not with --no-families); got {args.families_at[0]}:"
                     f"{args.families_at[1]}")
    if args.families is not None:
        import plugins as registry

        unknown = [name for name in args.families if name not in registry.list_ansatze()]
        if unknown or not args.targets or args.no_families:
            parser.error(f"--families takes registered ansatz names, with --targets and without --no-families; got "
                         f"{','.join(unknown or args.families)} (registered: {', '.join(registry.list_ansatze())})")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if args.targets:
        targets(args.repeats, out, peers=("tensorcircuit", "pennylane") if args.peers else (),
                families_too=not args.no_families, widths_too=not args.families_only, best_of=args.best_of,
                xla=args.xla, families=args.families, families_at=args.families_at)
        return

    main_row = measure(8, 3, 2048, args.repeats, with_tfq_layer=True)
    print("8 qubits, depth 3, batch 2048 (samples/s):")
    for key in ("ours_forward", "raw_forward", "tfq_layer_forward", "ours_forward_gradient", "raw_forward_gradient",
                "tfq_layer_forward_gradient"):
        print(f"  {key:<28} {main_row[key + '_samples_per_s']:>10.0f}")
    print(f"  engine/raw TFQ: forward {main_row['speedup_forward']:.1f}x, "
          f"forward+gradient {main_row['speedup_forward_gradient']:.1f}x   (plan: {main_row['plan']})")

    batches = [256, 2048, 8192] if args.quick else [256, 512, 1024, 2048, 4096, 8192]
    qubit_counts = [4, 8, 12] if args.quick else [4, 6, 8, 10, 12, 14, 16]
    depths = [1, 4, 8] if args.quick else [1, 2, 3, 4, 5, 6, 7, 8]
    batch_rows = [measure(8, 3, b, args.repeats) for b in batches]
    _print("batch (8 qubits, depth 3), samples/s", batch_rows, "batch")
    qubit_rows = [measure(q, 3, 2048, args.repeats if q < 14 else max(1, args.repeats // 3)) for q in qubit_counts]
    _print("qubits (batch 2048, depth 3), samples/s", qubit_rows, "qubits")
    depth_rows = [measure(8, d, 2048, args.repeats) for d in depths]
    _print("depth (8 qubits, batch 2048), samples/s", depth_rows, "depth")
    losing = [r["qubits"] for r in qubit_rows if r["speedup_forward_gradient"] < 1]
    crossover = min(losing) if losing else None
    verdict = f"TFQ wins from {crossover} qubits" if crossover else "the engine is faster at every width measured"
    print(f"\ncrossover (forward+gradient): {verdict}")
    write_json(out / "layers.json", {"benchmark": "layers", "ansatz": ANSATZ, "tensorflow": tf.__version__,
                                     "tfq": tfq.__version__, "cpu_count": os.cpu_count(), "repeats": args.repeats,
                                     "comparison": main_row, "batch_scaling": batch_rows,
                                     "qubit_scaling": qubit_rows, "depth_scaling": depth_rows,
                                     "crossover_qubits": crossover})
    plot(batch_rows, qubit_rows, depth_rows, out / "layers.png")
    print(f"written {out / 'layers.json'} and {out / 'layers.png'}")


if __name__ == "__main__":
    main()
