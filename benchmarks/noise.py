"""Noisy forward+gradient: the engine's density-matrix mode against TFQ's noisy ops, measured interleaved.

The issue's configuration: hardware_efficient, 8 qubits, depth 3, ``depolarize:p`` (p = 1%)
after every gate, Z readouts, forward + gradient for the inputs and the weights.

* ours: ``QuantumLayer(backend="statevector", noise=...)``: the exact density matrix (a state
  of 16 qubits) with autodiff gradients, inside ``tf.function``, as the planner runs it (at a
  large batch: the Heisenberg picture, the readouts run backwards once per call); the whole
  batch in one call unless ``--chunk`` says otherwise. Beside it, the forward picture (each
  sample's density matrix; the mode before the Heisenberg picture existed), in chunks of
  ``--forward-chunk`` (the states of 2048 density matrices and their autodiff copies do not fit
  in this machine's memory at once); rates are per sample.
* TFQ: ``tfq.layers.Expectation(backend="noisy")``, the op behind ``tfq.layers.NoisyPQC``:
  ``K`` Monte Carlo trajectories per sample, gradients by ``ParameterShift`` (TFQ's adjoint
  differentiator needs pure states and is refused for noisy circuits), on the tiled serialized
  circuit with precomputed values (raw TFQ, as well as it can be used). TFQ simulates one circuit
  per sample, so its rate per sample does not depend on the batch: it is measured on
  ``--tfq-batch`` samples.

Matched accuracy: ours is exact (float32: ~1e-7); TFQ's mean of ``K`` trajectories has a
standard error ``sigma / sqrt(K)`` (``sigma <= 1`` per Z readout). To give every readout a
standard error of ``--accuracy`` (default 0.01) TFQ needs ``K = sigma_max^2 / accuracy^2``
trajectories, with ``sigma_max`` measured from 200 single trajectories; TFQ is then timed at
that ``K`` (and at ``--trajectories`` for reference: its cost is far from linear in ``K`` at
small ``K``, so no extrapolation). The agreement of both within 4 standard errors is checked
first.

With ``--peers``: PennyLane's ``default.mixed`` (exact density matrices, JAX ``backprop``; from its
own environment, ``bash benchmarks/peers/setup.sh``, never a project dependency) on the same noisy
circuit, inputs and weights, on ``--peer-batch`` samples, checked to agree with ours to 1e-4 first.

Also measured: the engine's own trajectories (``trajectories=K``, pure states, ``K`` rows per
sample) at the same ``K``, on as many samples as make 16384 rows: where they overtake the
density matrix is the crossover. And the density-matrix mode's memory estimate by width.

    python benchmarks/noise.py [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.layers import interleaved  # noqa: E402
from benchmarks.peers import start_peers, timed_calls  # noqa: E402
from sims.atomic import write_json  # noqa: E402
from sims.layers import QuantumLayer  # noqa: E402
from sims.memory import format_bytes  # noqa: E402
from sims.plotting import finish_axes_and_save, pyplot  # noqa: E402
from sims.tf_env import tf, tfq  # noqa: E402

ANSATZ = "hardware_efficient"


def ours_functions(layer, x, chunk: int):
    """Forward and forward+gradient of the whole batch, ``chunk`` samples at a time."""
    pieces = [x[i:i + chunk] for i in range(0, int(x.shape[0]), chunk)]

    @tf.function
    def piece_forward(piece):
        return layer(piece)

    @tf.function
    def piece_gradient(piece):
        with tf.GradientTape() as tape:
            tape.watch(piece)
            loss = tf.reduce_sum(layer(piece))
        return tape.gradient(loss, [piece, layer.circuit_weights])

    def forward():
        return [piece_forward(p) for p in pieces]

    def forward_gradient():
        return [g for p in pieces for g in piece_gradient(p)]

    return forward, forward_gradient


def tfq_functions(layer, x, trajectories: int):
    """Raw TFQ noisy expectation (``K`` trajectories) and its parameter-shift gradient."""
    ansatz = layer.ansatz
    batch = int(x.shape[0])
    circuit = layer._backend.noise.noisy_circuit(ansatz.circuit)
    expectation = tfq.layers.Expectation(backend="noisy", differentiator=tfq.differentiators.ParameterShift())
    names = tf.constant([s.name for s in ansatz.symbols])
    circuits = tf.tile(tfq.convert_to_tensor([circuit]), [batch])
    operators = tf.tile(tfq.convert_to_tensor([list(ansatz.readouts)]), [batch, 1])
    repetitions = tf.fill([batch, ansatz.n_readouts], trajectories)
    values = tf.Variable(tf.concat([x, tf.tile(layer.circuit_weights[None], [batch, 1])], axis=1))

    @tf.function
    def forward():
        return expectation(circuits, symbol_names=names, symbol_values=values, operators=operators,
                           repetitions=repetitions)

    @tf.function
    def forward_gradient():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(expectation(circuits, symbol_names=names, symbol_values=values,
                                             operators=operators, repetitions=repetitions))
        return tape.gradient(loss, values)

    return forward, forward_gradient


def measure(qubits: int, depth: int, p: float, batch: int, chunk: int, tfq_batch: int, trajectories: list[int],
            accuracy: float, repeats: int, peer_batch: int = 0, forward_chunk: int = 128) -> dict:
    noise = f"depolarize:{p:g}"
    layer = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1)
    x = tf.random.stateless_uniform((batch, layer.ansatz.n_features), seed=(0, 1), maxval=np.pi)
    layer.build(x.shape)
    ours_f, ours_fb = ours_functions(layer, x, chunk or batch)
    forward_layer = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1)
    forward_layer.kernel.plans.picture = "schrodinger"
    forward_layer.build(x.shape)
    forward_layer.set_weights(layer.get_weights())
    forward_f, forward_fb = ours_functions(forward_layer, x, forward_chunk)
    # Agreement, and the trajectories' spread: one trajectory per sample, many times.
    small = x[:tfq_batch]
    exact = layer(small).numpy()
    check_f, _ = tfq_functions(layer, small, max(trajectories))
    sampled = check_f().numpy()
    k_check = max(trajectories)
    worst = float(np.max(np.abs(sampled - exact)))
    assert worst < 4 / np.sqrt(k_check), f"TFQ's trajectories and the density matrix disagree by {worst}"
    single, _ = tfq_functions(layer, small, 1)
    draws = np.stack([single().numpy() for _ in range(200)])
    sigma = float(np.sqrt(draws.var(axis=0, ddof=1).max()))
    matching = int(np.ceil(sigma ** 2 / accuracy ** 2))
    functions = {"ours_forward": ours_f, "ours_forward_gradient": ours_fb,
                 "forward_picture_forward": forward_f, "forward_picture_forward_gradient": forward_fb}
    # The engine's own trajectories at the same K: pure states, K rows per sample.
    rows_layer = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1,
                              backend_options={"trajectories": matching})
    rows_layer.build(x.shape)
    rows_layer.set_weights(layer.get_weights())
    traj_batch = max(1, min(batch, 16384 // matching))
    traj_x = x[:traj_batch]
    functions["traj_forward"], functions["traj_forward_gradient"] = ours_functions(rows_layer, traj_x, traj_batch)
    trajectories = sorted(set(trajectories) | {matching})
    for k in trajectories:
        functions[f"tfq_k{k}_forward"], functions[f"tfq_k{k}_forward_gradient"] = tfq_functions(layer, small, k)
    running = {}
    if peer_batch:
        peer_x = x[:peer_batch]
        running = start_peers(layer, peer_x, ("pennylane-mixed",), layer(peer_x).numpy(),
                              noisy_circuit=layer._backend.noise.noisy_circuit(layer.ansatz.circuit))
    try:
        seconds = interleaved({**functions, **timed_calls(running)}, repeats)
    finally:
        for peer in running.values():
            peer.close()
    row = {"ansatz": ANSATZ, "qubits": qubits, "depth": depth, "noise": noise, "batch": batch, "chunk": chunk,
           "forward_chunk": forward_chunk, "forward_plan": forward_layer.kernel.plan_summary,
           "tfq_batch": tfq_batch, "plan": layer.kernel.plan_summary, "max_abs_difference_tfq": worst,
           "tfq_check_trajectories": k_check, "trajectory_sigma_max": sigma, "accuracy": accuracy,
           "matching_trajectories": matching, "cores": os.cpu_count()}
    row["traj_batch"] = traj_batch
    row["peers"] = {name: {"version": peer.version, "jax": peer.jax_version, "batch": peer_batch}
                    for name, peer in running.items()}
    for kind in ("forward", "forward_gradient"):
        ours_rate = batch / seconds[f"ours_{kind}"]
        row[f"ours_{kind}_samples_per_s"] = ours_rate
        row[f"traj_{kind}_samples_per_s"] = traj_batch / seconds[f"traj_{kind}"]
        row[f"forward_picture_{kind}_samples_per_s"] = batch / seconds[f"forward_picture_{kind}"]
        for k in trajectories:
            row[f"tfq_k{k}_{kind}_samples_per_s"] = tfq_batch / seconds[f"tfq_k{k}_{kind}"]
        tfq_matched = row[f"tfq_k{matching}_{kind}_samples_per_s"]
        row[f"tfq_matched_{kind}_samples_per_s"] = tfq_matched
        row[f"speedup_matched_{kind}"] = ours_rate / tfq_matched
        for name in running:
            row[f"{name}_{kind}_samples_per_s"] = peer_batch / seconds[f"{name}_{kind}"]
    return row


def density_memory(qubits: int, batch: int, steps: int) -> int:
    """Bytes of a forward+gradient batch in the density-matrix mode (complex64), by the engine's estimate."""
    from sims.backends.statevector.sizes import FORWARD_COPIES

    return 4 ** qubits * 8 * (FORWARD_COPIES + 3 * steps) * batch


def plot(rows: list, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    widths = [r["qubits"] for r in rows]
    ax.plot(widths, [r["ours_forward_gradient_samples_per_s"] for r in rows], "o-",
            label="ours: exact density matrix (as planned)")
    ax.plot(widths, [r["forward_picture_forward_gradient_samples_per_s"] for r in rows], "o--",
            label="ours: exact density matrix, forward picture")
    ax.plot(widths, [r["traj_forward_gradient_samples_per_s"] for r in rows], "^-",
            label=f"ours: trajectories for s.e. {rows[0]['accuracy']}")
    ax.plot(widths, [r["tfq_matched_forward_gradient_samples_per_s"] for r in rows], "s-",
            label=f"TFQ noisy, trajectories for s.e. {rows[0]['accuracy']}")
    for name in rows[0].get("peers", {}):
        ax.plot(widths, [r[f"{name}_forward_gradient_samples_per_s"] for r in rows], "v-",
                label=f"{name} (PennyLane default.mixed, exact)")
    ax.set(yscale="log", xlabel="qubits", ylabel="samples/s (forward + gradient)",
           title=f"{ANSATZ} depth {rows[0]['depth']}, {rows[0]['noise']} after every gate")
    finish_axes_and_save(fig, ax, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qubits", type=int, default=8)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--p", type=float, default=0.01)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--chunk", type=int, default=0, help="samples per call of ours (0: the whole batch)")
    parser.add_argument("--forward-chunk", type=int, default=128, help="samples per call of the forward picture")
    parser.add_argument("--tfq-batch", type=int, default=2)
    parser.add_argument("--trajectories", default="100", help="K values TFQ is also measured at (comma list)")
    parser.add_argument("--accuracy", type=float, default=0.01, help="target standard error per readout")
    parser.add_argument("--widths", default="4,6", help="extra widths (comma list)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers", action="store_true", help="PennyLane default.mixed beside (its own environment)")
    parser.add_argument("--peer-batch", type=int, default=128, help="samples the peer runs per call")
    parser.add_argument("--quick", action="store_true", help="4 qubits, batch 256, one repeat (a smoke run)")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    if args.quick:
        args.qubits, args.batch, args.repeats, args.widths = 4, 256, 1, "2"
    trajectories = [int(k) for k in args.trajectories.split(",")]
    widths = [int(w) for w in args.widths.split(",") if w] + [args.qubits]
    rows = []
    print(f"{ANSATZ} depth {args.depth}, depolarize:{args.p:g} after every gate; {os.cpu_count()} cores; "
          f"ours on batch {args.batch} (the forward picture in chunks of {args.forward_chunk}), "
          f"TFQ on {args.tfq_batch} samples; "
          f"TFQ matched to a standard error of {args.accuracy} per readout")
    print(f"{'qubits':>6} {'ours f+g/s':>11} {'TFQ K':>6} {'TFQ f+g/s':>10} {'speedup':>8} {'ours f/s':>9} "
          f"{'TFQ f/s':>9} {'speedup':>8} {'density MiB/sample':>19} {'our traj f+g/s':>15} {'our traj f/s':>13}")
    for qubits in widths:
        start = time.perf_counter()
        row = measure(qubits, args.depth, args.p, args.batch if qubits == args.qubits else min(args.batch, 512),
                      args.chunk, args.tfq_batch, trajectories, args.accuracy, args.repeats,
                      peer_batch=args.peer_batch if args.peers else 0, forward_chunk=args.forward_chunk)
        row["memory_bytes_per_sample_estimate"] = density_memory(qubits, 1, row["forward_plan"].count(" "))
        row["wall_seconds"] = time.perf_counter() - start
        rows.append(row)
        print(f"{qubits:>6} {row['ours_forward_gradient_samples_per_s']:>11.1f} {row['matching_trajectories']:>6} "
              f"{row['tfq_matched_forward_gradient_samples_per_s']:>10.3f} "
              f"{row['speedup_matched_forward_gradient']:>7.0f}x "
              f"{row['ours_forward_samples_per_s']:>9.1f} {row['tfq_matched_forward_samples_per_s']:>9.2f} "
              f"{row['speedup_matched_forward']:>7.0f}x "
              f"{format_bytes(row['memory_bytes_per_sample_estimate']):>19} "
              f"{row['traj_forward_gradient_samples_per_s']:>15.1f} {row['traj_forward_samples_per_s']:>13.1f}",
              flush=True)
        print(f"{'':>6} forward picture: {row['forward_picture_forward_gradient_samples_per_s']:.1f} f+g/s, "
              f"{row['forward_picture_forward_samples_per_s']:.1f} f/s ({row['forward_plan'][:60]}...); "
              f"ours: {row['plan'][:60]}...", flush=True)
        for name in row["peers"]:
            print(f"{'':>6} {name}: {row[f'{name}_forward_gradient_samples_per_s']:.1f} f+g/s, "
                  f"{row[f'{name}_forward_samples_per_s']:.1f} f/s (ours / {name}: "
                  f"{row['ours_forward_gradient_samples_per_s'] / row[f'{name}_forward_gradient_samples_per_s']:.1f}x "
                  "f+g)", flush=True)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "noise.json", {"rows": rows, "command": " ".join(sys.argv)})
    plot(rows, out_dir / "noise.png")
    print(f"written {out_dir / 'noise.json'} and {out_dir / 'noise.png'}")


if __name__ == "__main__":
    main()
