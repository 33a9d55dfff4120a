"""The density-matrix mode's two pictures by width and batch: which is faster, and does the planner pick it?

For each width and batch, one noisy layer (hardware_efficient, depth 3, ``depolarize:p`` after
every gate, the issue's circuit) is timed forward + gradient (inputs and weights) under
``tf.function``, interleaved, in both pictures: forward (each sample's density matrix, a state of
``2n`` qubits; :mod:`sims.backends.statevector.density`) and backward (the readouts run once,
each sample one contraction; :mod:`sims.backends.statevector.heisenberg`). Agreement to 1e-4
is checked first. Reported: samples/s of each, the ratio, which one the cost model picks and
what that pick costs against the faster (the regret), and the contraction's measured
milliseconds per multiply-add (what ``heisenberg.CONTRACT_MS_PER_MAC`` is set from: the
backward picture's time minus its time at batch 1, over ``batch x R x 4^n``).

    python benchmarks/heisenberg.py [--widths 4,6,8,10] [--batches 1,4,16,64,256,2048] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.layers import interleaved, step_functions  # noqa: E402
from sims.atomic import write_json  # noqa: E402
from sims.layers import QuantumLayer  # noqa: E402
from sims.plotting import finish_axes_and_save, pyplot  # noqa: E402
from sims.tf_env import tf  # noqa: E402

ANSATZ = "hardware_efficient"
PICTURES = ("schrodinger", "heisenberg")


def layer_in(picture: str, qubits: int, depth: int, noise: str):
    layer = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1)
    layer.kernel.plans.picture = picture
    return layer


def measure(qubits: int, depth: int, noise: str, batch: int, repeats: int) -> dict:
    from sims.backends.statevector.heisenberg import HeisenbergProgram

    layers = {p: layer_in(p, qubits, depth, noise) for p in PICTURES}
    x = tf.random.stateless_uniform((batch, qubits), seed=(0, 1), maxval=np.pi)
    for layer in layers.values():
        layer.build(x.shape)
    layers["heisenberg"].set_weights(layers["schrodinger"].get_weights())
    outputs = {p: layer(x).numpy() for p, layer in layers.items()}
    difference = float(np.max(np.abs(outputs["heisenberg"] - outputs["schrodinger"])))
    assert difference < 1e-4, f"the two pictures disagree by {difference}"
    functions = {p: step_functions(layer, x)[1] for p, layer in layers.items()}
    seconds = interleaved(functions, repeats)
    auto = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1).kernel
    picked = "heisenberg" if isinstance(auto.program_for(batch), HeisenbergProgram) else "schrodinger"
    fastest = min(PICTURES, key=lambda p: seconds[p])
    heisenberg = layers["heisenberg"].kernel.program_for(batch)
    return {"qubits": qubits, "depth": depth, "noise": noise, "batch": batch, "cores": os.cpu_count(),
            "max_abs_difference": difference, "readouts": heisenberg.n_readouts,
            **{f"{p}_samples_per_s": batch / seconds[p] for p in PICTURES},
            **{f"{p}_ms": 1e3 * seconds[p] for p in PICTURES},
            "heisenberg_over_schrodinger": seconds["schrodinger"] / seconds["heisenberg"],
            "picked": picked, "fastest": fastest, "regret": seconds[picked] / seconds[fastest],
            "model_ms": {"heisenberg": heisenberg.cost(batch),
                         "schrodinger": _plan_cost(layers["schrodinger"].kernel, batch)}}


def _plan_cost(kernel, batch: int) -> float:
    from sims.backends.statevector.plan import plan_cost

    return plan_cost(kernel.plans.plan_for(batch), batch)


def contraction_ms_per_mac(rows: list[dict]) -> float | None:
    """Median over widths of (backward ms at the largest batch - at the smallest) / (batch difference x R x 4^n)."""
    estimates = []
    for qubits in sorted({r["qubits"] for r in rows}):
        mine = sorted((r for r in rows if r["qubits"] == qubits), key=lambda r: r["batch"])
        if len(mine) < 2 or mine[-1]["batch"] < 256:
            continue
        low, high = mine[0], mine[-1]
        macs = (high["batch"] - low["batch"]) * high["readouts"] * 4 ** qubits
        estimates.append(max(0.0, high["heisenberg_ms"] - low["heisenberg_ms"]) / macs)
    return statistics.median(estimates) if estimates else None


def plot(rows: list[dict], path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for qubits in sorted({r["qubits"] for r in rows}):
        mine = sorted((r for r in rows if r["qubits"] == qubits), key=lambda r: r["batch"])
        line = ax.plot([r["batch"] for r in mine], [r["heisenberg_over_schrodinger"] for r in mine], "o-",
                       label=f"{qubits} qubits")[0]
        wrong = [r for r in mine if r["picked"] != r["fastest"]]
        ax.plot([r["batch"] for r in wrong], [r["heisenberg_over_schrodinger"] for r in wrong], "x",
                color=line.get_color(), markersize=10)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="batch", ylabel="backward / forward picture speed (forward+gradient)",
           title=f"{ANSATZ} depth {rows[0]['depth']}, {rows[0]['noise']} after every gate\n"
                 "(x: the planner picked the slower)")
    finish_axes_and_save(fig, ax, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", default="4,6,8,10")
    parser.add_argument("--batches", default="1,4,16,64,256,2048")
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--noise", default="depolarize:0.01")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-forward-amplitudes", type=float, default=2 ** 27,
                        help="skip batches whose forward picture would hold more amplitudes (batch x 4^n)")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    rows = []
    print(f"{ANSATZ} depth {args.depth}, {args.noise} after every gate; {os.cpu_count()} cores; forward+gradient")
    print(f"{'qubits':>6} {'batch':>6} {'forward/s':>10} {'backward/s':>11} {'ratio':>7} {'picked':>12} {'regret':>7}")
    for qubits in (int(w) for w in args.widths.split(",")):
        for batch in (int(b) for b in args.batches.split(",")):
            if batch * 4 ** qubits > args.max_forward_amplitudes:
                continue
            row = measure(qubits, args.depth, args.noise, batch, args.repeats)
            rows.append(row)
            print(f"{qubits:>6} {batch:>6} {row['schrodinger_samples_per_s']:>10.1f} "
                  f"{row['heisenberg_samples_per_s']:>11.1f} {row['heisenberg_over_schrodinger']:>6.2f}x "
                  f"{row['picked']:>12} {row['regret']:>6.2f}x", flush=True)
    fitted = contraction_ms_per_mac(rows)
    print(f"contraction: {fitted:.3g} ms per multiply-add (forward+gradient)" if fitted else "contraction: not fitted")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "heisenberg.json", {"rows": rows, "contraction_ms_per_mac": fitted,
                                             "command": " ".join(sys.argv)})
    plot(rows, out_dir / "heisenberg.png")
    print(f"written {out_dir / 'heisenberg.json'} and {out_dir / 'heisenberg.png'}")


if __name__ == "__main__":
    main()
