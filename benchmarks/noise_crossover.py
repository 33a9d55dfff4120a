"""Where the engine's trajectories overtake its exact density matrix, by width (the numbers ``auto`` uses).

For each width and noise: hardware_efficient depth 3, Z readouts, forward + gradient for the
inputs and the weights, both modes of ``QuantumLayer(backend="statevector", noise=...)``:

* the exact density matrix (a state of ``2n`` qubits), on ``--density-batch`` samples in chunks
  the engine chooses (its checkpointed mode where autodiff's copies would not fit);
* ``K`` trajectories per sample (pure states of ``n`` qubits), with ``K`` chosen for a standard
  error of ``--accuracy`` on every readout: ``K = sigma_max^2 / accuracy^2``, ``sigma_max`` the
  largest spread of single trajectories measured on 4 samples (the engine reports it).

The rate is samples per second, both on the same inputs and weights, timed interleaved (median
of ``--repeats`` rounds). Agreement within 4 standard errors is checked first at every width
where the density matrix runs. The density matrix's batch shrinks with width (``--density-batch``
up to 10 qubits, 4x less per qubit above), so that a call stays within seconds.

With ``--tfq-trajectories K``: the engine's trajectories against TFQ's noisy ``Expectation`` (the op
of ``NoisyPQC``; parameter-shift gradients) at that same ``K``, on one sample, in the same rounds:
what to use where the density matrix no longer fits.

    python benchmarks/noise_crossover.py --widths 4,6,8,10 [--noise amplitude_damp:0.01]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.layers import interleaved, step_functions  # noqa: E402
from benchmarks.noise import tfq_functions  # noqa: E402
from qcircuits.errors import ResourceLimitError  # noqa: E402
from sims.atomic import write_json  # noqa: E402
from sims.backends import make_backend  # noqa: E402
from sims.layers import QuantumLayer  # noqa: E402
from sims.plotting import finish_axes_and_save, pyplot  # noqa: E402
from sims.tf_env import tf  # noqa: E402

ANSATZ = "hardware_efficient"


def matching_trajectories(qubits: int, depth: int, noise: str, accuracy: float) -> tuple[int, float]:
    """``(K, sigma_max)``: trajectories per sample for a standard error of ``accuracy`` on every readout."""
    backend = make_backend("statevector", noise=noise, trajectories=400, shot_seed=5)
    layer = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, seed=1)
    values = layer.ansatz.random_parameter_values(4, np.random.default_rng(3))
    backend.expectations(layer.ansatz, values)
    assert backend.last_standard_error is not None
    sigma = float(backend.last_standard_error.max() * np.sqrt(400))
    return max(1, int(np.ceil(sigma ** 2 / accuracy ** 2))), sigma


def measure(qubits: int, depth: int, noise: str, density_batch: int, rows: int, accuracy: float,
            repeats: int, with_density: bool, tfq_trajectories: int = 0) -> dict:
    k, sigma = matching_trajectories(qubits, depth, noise, accuracy)
    row: dict = {"ansatz": ANSATZ, "qubits": qubits, "depth": depth, "noise": noise, "accuracy": accuracy,
                 "trajectory_sigma_max": sigma, "matching_trajectories": k, "cores": os.cpu_count()}
    traj_batch = max(1, rows // k)
    sampled = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1,
                           backend_options={"trajectories": k})
    x = tf.random.stateless_uniform((max(traj_batch, density_batch), sampled.ansatz.n_features), seed=(0, 1),
                                    maxval=np.pi, dtype=tf.float32)
    sampled.build(x.shape)
    functions = {}
    functions["trajectories_forward"], functions["trajectories_forward_gradient"] = step_functions(
        sampled, x[:traj_batch])
    row["trajectory_batch"] = traj_batch
    if with_density:
        exact = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1)
        exact.build(x.shape)
        exact.set_weights(sampled.get_weights())
        check = x[:2]
        difference = np.abs(exact(check).numpy() - sampled(check).numpy()).max()
        assert difference < 4 * sigma / np.sqrt(k) + 1e-4, f"trajectories and density matrix disagree by {difference}"
        row["max_abs_difference"] = float(difference)
        functions["density_forward"], functions["density_forward_gradient"] = step_functions(
            exact, x[:density_batch])
        row["density_batch"] = density_batch
    if tfq_trajectories:
        equal = QuantumLayer(ANSATZ, qubits=qubits, depth=depth, backend="statevector", noise=noise, seed=1,
                             backend_options={"trajectories": tfq_trajectories})
        equal.build(x.shape)
        equal.set_weights(sampled.get_weights())
        functions["engine_equal_k_forward_gradient"] = step_functions(equal, x[:1])[1]
        functions["tfq_equal_k_forward_gradient"] = tfq_functions(sampled, x[:1], tfq_trajectories)[1]
        row["equal_trajectories"] = tfq_trajectories
    seconds = interleaved(functions, repeats)
    if tfq_trajectories:
        for who in ("engine", "tfq"):
            row[f"{who}_equal_k_forward_gradient_samples_per_s"] = 1 / seconds[f"{who}_equal_k_forward_gradient"]
    for kind in ("forward", "forward_gradient"):
        row[f"trajectories_{kind}_samples_per_s"] = traj_batch / seconds[f"trajectories_{kind}"]
        if with_density:
            row[f"density_{kind}_samples_per_s"] = density_batch / seconds[f"density_{kind}"]
    return row


def plot(rows: list, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for noise, marker in zip(sorted({r["noise"] for r in rows}), "os^v", strict=False):
        mine = [r for r in rows if r["noise"] == noise]
        dense = [r for r in mine if "density_forward_gradient_samples_per_s" in r]
        ax.plot([r["qubits"] for r in dense], [r["density_forward_gradient_samples_per_s"] for r in dense],
                marker + "-", label=f"density matrix, {noise}")
        ax.plot([r["qubits"] for r in mine], [r["trajectories_forward_gradient_samples_per_s"] for r in mine],
                marker + "--", label=f"trajectories (s.e. {mine[0]['accuracy']}), {noise}")
    ax.set(yscale="log", xlabel="qubits", ylabel="samples/s (forward + gradient)",
           title=f"{ANSATZ} depth {rows[0]['depth']}: exact density matrix vs trajectories")
    finish_axes_and_save(fig, ax, path, legend_size="x-small")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", default="4,6,8,10")
    parser.add_argument("--density-max", type=int, default=10, help="widest density matrix measured")
    parser.add_argument("--noise", default="depolarize:0.01;amplitude_damp:0.01",
                        help="noise specs separated by ';' (each is measured)")
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--density-batch", type=int, default=16)
    parser.add_argument("--rows", type=int, default=8192, help="trajectory rows per timed call (batch = rows / K)")
    parser.add_argument("--accuracy", type=float, default=0.01, help="target standard error per readout")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tfq-trajectories", type=int, default=0,
                        help="also time the engine's and TFQ's trajectories at this K on one sample (0: no)")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",") if w]
    rows: list[dict] = []
    refusals: list[dict] = []
    print(f"{ANSATZ} depth {args.depth}; {os.cpu_count()} cores; standard error {args.accuracy} per readout")
    print(f"{'noise':>36} {'qubits':>6} {'K':>6} {'density f+g/s':>14} {'traj f+g/s':>11} {'traj/density':>12} "
          f"{'density f/s':>12} {'traj f/s':>9}")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for noise in args.noise.split(";"):
        for qubits in widths:
            start = time.perf_counter()
            try:
                batch = max(1, args.density_batch // 4 ** max(0, qubits - 10))
                row = measure(qubits, args.depth, noise, batch, args.rows, args.accuracy, args.repeats,
                              with_density=qubits <= args.density_max, tfq_trajectories=args.tfq_trajectories)
            except ResourceLimitError as refused:  # a finding too: what does not fit in this machine's memory
                print(f"{noise:>36} {qubits:>6} refused: {refused}", flush=True)
                refusals.append({"noise": noise, "qubits": qubits, "refused": str(refused)})
                continue
            row["wall_seconds"] = time.perf_counter() - start
            rows.append(row)
            write_json(out_dir / "noise_crossover.json", {"rows": rows, "refused": refusals,
                                                          "command": " ".join(sys.argv)})
            dense = row.get("density_forward_gradient_samples_per_s", float("nan"))
            traj = row["trajectories_forward_gradient_samples_per_s"]
            print(f"{noise:>36} {qubits:>6} {row['matching_trajectories']:>6} {dense:>14.2f} {traj:>11.2f} "
                  f"{traj / dense:>12.2f} {row.get('density_forward_samples_per_s', float('nan')):>12.2f} "
                  f"{row['trajectories_forward_samples_per_s']:>9.2f}", flush=True)
            if args.tfq_trajectories:
                ours, theirs = (row[f"{w}_equal_k_forward_gradient_samples_per_s"] for w in ("engine", "tfq"))
                print(f"{'':>36} {'':>6} at K = {args.tfq_trajectories}: engine trajectories {ours:.3f} f+g/s, "
                      f"TFQ noisy {theirs:.3f} f+g/s ({ours / theirs:.1f}x)", flush=True)
    if rows:
        plot(rows, out_dir / "noise_crossover.png")
        print(f"written {out_dir / 'noise_crossover.json'} and {out_dir / 'noise_crossover.png'}")


if __name__ == "__main__":
    main()
