"""QuantumLayer throughput against raw TFQ and the naive usage, plus scaling.

In one run, for hardware_efficient at 8 qubits, depth 3, batch 2048:
  * ours: ``QuantumLayer`` inside ``tf.function`` (forward, forward+gradient);
  * raw: ``tfq.layers.Expectation`` (Adjoint) on the same tiled serialized circuit
    with a precomputed symbol-value tensor;
  * naive: ``tfq.convert_to_tensor`` of a Python list of circuits every step.
Then ours forward+gradient across batch sizes (256..8192) and qubits (4..16).

Prints tables and writes JSON + a PNG plot (default benchmarks/results/).

    python benchmarks/layers.py [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sims.atomic import write_json  # noqa: E402
from sims.layers import QuantumLayer  # noqa: E402
from sims.plotting import pyplot, save_png  # noqa: E402
from sims.tf_env import tf, tfq  # noqa: E402
from timing import median_seconds  # noqa: E402


def _median_time(fn, repeats: int) -> float:
    return median_seconds(fn, repeats)[0]  # the warm-up call traces the tf.functions


def _ours(qubits: int, depth: int, batch: int):
    layer = QuantumLayer("hardware_efficient", qubits=qubits, depth=depth)
    x = tf.random.stateless_uniform((batch, qubits), seed=(0, 1), maxval=np.pi)
    layer.build(x.shape)

    @tf.function
    def forward():
        return layer(x)

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, [layer.circuit_weights])

    return layer, x, forward, forward_backward


def compare(qubits: int, depth: int, batch: int, repeats: int) -> dict:
    layer, x, ours_f, ours_fb = _ours(qubits, depth, batch)
    ansatz = layer.ansatz
    expectation = tfq.layers.Expectation(differentiator=tfq.differentiators.Adjoint())
    names = tf.constant([s.name for s in ansatz.symbols])
    circuits = tf.tile(tfq.convert_to_tensor([ansatz.circuit]), [batch])
    operators = tf.tile(tfq.convert_to_tensor([list(ansatz.readouts)]), [batch, 1])
    values = tf.Variable(tf.concat([x, tf.tile(layer.circuit_weights[None], [batch, 1])], axis=1))

    @tf.function
    def raw_f():
        return expectation(circuits, symbol_names=names, symbol_values=values, operators=operators)

    @tf.function
    def raw_fb():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(expectation(circuits, symbol_names=names, symbol_values=values,
                                             operators=operators))
        return tape.gradient(loss, values)

    def naive_fb():
        fresh = tfq.convert_to_tensor([ansatz.circuit] * batch)
        fresh_ops = tfq.convert_to_tensor([list(ansatz.readouts)] * batch)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(expectation(fresh, symbol_names=names, symbol_values=values,
                                             operators=fresh_ops))
        return tape.gradient(loss, values)

    np.testing.assert_allclose(ours_f().numpy(), raw_f().numpy(), atol=1e-5)
    t = {
        "ours_forward": _median_time(ours_f, repeats),
        "ours_forward_backward": _median_time(ours_fb, repeats),
        "raw_forward": _median_time(raw_f, repeats),
        "raw_forward_backward": _median_time(raw_fb, repeats),
        "naive_forward_backward": _median_time(naive_fb, repeats),
    }
    rates = {f"{k}_samples_per_s": batch / v for k, v in t.items()}
    return {"qubits": qubits, "depth": depth, "batch": batch, **{f"{k}_s": v for k, v in t.items()}, **rates,
            "ratio_ours_over_raw_forward": t["raw_forward"] / t["ours_forward"],
            "ratio_ours_over_raw_forward_backward": t["raw_forward_backward"] / t["ours_forward_backward"],
            "ratio_ours_over_naive_forward_backward": t["naive_forward_backward"] / t["ours_forward_backward"]}


def scaling(qubits: int, depth: int, batch: int, repeats: int) -> dict:
    _, _, forward, forward_backward = _ours(qubits, depth, batch)
    return {"qubits": qubits, "depth": depth, "batch": batch,
            "forward_samples_per_s": batch / _median_time(forward, repeats),
            "forward_backward_samples_per_s": batch / _median_time(forward_backward, repeats)}


def plot(batch_rows: list, qubit_rows: list, path: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("forward_samples_per_s", "forward"), ("forward_backward_samples_per_s", "forward+gradient")):
        axes[0].plot([r["batch"] for r in batch_rows], [r[key] for r in batch_rows], "o-", label=label)
        axes[1].plot([r["qubits"] for r in qubit_rows], [r[key] for r in qubit_rows], "o-", label=label)
    axes[0].set_xscale("log", base=2)
    axes[0].set_xticks([r["batch"] for r in batch_rows], [str(r["batch"]) for r in batch_rows])
    axes[0].minorticks_off()
    axes[0].set(xlabel="batch", ylabel="samples/s", title="8 qubits, depth 3")
    axes[1].set(yscale="log", xlabel="qubits", ylabel="samples/s", title="batch 2048, depth 3")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("QuantumLayer (TFQ native, adjoint) throughput")
    fig.tight_layout()
    save_png(fig, path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer scaling points")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    main_row = compare(8, 3, 2048, args.repeats)
    print("8 qubits, depth 3, batch 2048 (samples/s):")
    for key in ("ours_forward", "raw_forward", "ours_forward_backward", "raw_forward_backward",
                "naive_forward_backward"):
        print(f"  {key:<24} {main_row[key + '_samples_per_s']:>10.0f}")
    print(f"  ours/raw forward {main_row['ratio_ours_over_raw_forward']:.2f}x, "
          f"forward+gradient {main_row['ratio_ours_over_raw_forward_backward']:.2f}x, "
          f"ours/naive {main_row['ratio_ours_over_naive_forward_backward']:.1f}x")

    batches = [256, 1024, 4096] if args.quick else [256, 512, 1024, 2048, 4096, 8192]
    qubit_counts = [4, 8, 12] if args.quick else [4, 6, 8, 10, 12, 14, 16]
    batch_rows = [scaling(8, 3, b, args.repeats) for b in batches]
    qubit_rows = [scaling(q, 3, 2048, args.repeats) for q in qubit_counts]
    print("scaling (ours, samples/s):  batch | qubits -> forward, forward+gradient")
    for r in batch_rows:
        print(f"  batch {r['batch']:>5}: {r['forward_samples_per_s']:>9.0f} {r['forward_backward_samples_per_s']:>9.0f}")
    for r in qubit_rows:
        print(f"  qubits {r['qubits']:>4}: {r['forward_samples_per_s']:>9.0f} {r['forward_backward_samples_per_s']:>9.0f}")
    write_json(out / "layers.json", {"benchmark": "layers", "tensorflow": tf.__version__, "tfq": tfq.__version__,
                                     "cpu_count": os.cpu_count(), "comparison": main_row,
                                     "batch_scaling": batch_rows, "qubit_scaling": qubit_rows})
    plot(batch_rows, qubit_rows, out / "layers.png")
    print(f"written {out / 'layers.json'} and {out / 'layers.png'}")


if __name__ == "__main__":
    main()
