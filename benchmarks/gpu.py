"""qsim on the GPU against qsim on the CPU, same circuits, same run.

For hardware_efficient at 20-30 qubits (depth 10 and 20): seconds for one circuit
(expectation of Z on every qubit) on ``qsim`` (all CPU threads) and on
``qsim-gpu`` (and ``qsim-custatevec`` where built), the speed-up, and the largest
difference between their expectations. Prints a table; writes JSON and a PNG.

    python benchmarks/gpu.py [--qubits 20,22,24,26,28,30] [--depths 10,20] [--repeats 2]

Needs a qsimcirq built with GPU kernels (make gpu) and a CUDA device; exits with
code 2 and one line otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qcircuits import plugins  # noqa: E402
from qcircuits.errors import ConfigurationError  # noqa: E402
from sims.atomic import write_json  # noqa: E402
from sims.backends import make_backend  # noqa: E402
from sims.gpu_info import gpu_status  # noqa: E402
from sims.plotting import pyplot, save_png  # noqa: E402
from sims.timing import median_seconds  # noqa: E402


def timed(backend, ansatz, values, repeats):
    """Median seconds and result; the warm-up call sets up the GPU context and allocations."""
    return median_seconds(lambda: backend.expectations(ansatz, values), repeats)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qubits", default="20,22,24,26,28,30")
    parser.add_argument("--depths", default="10,20")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    try:
        kinds = ["qsim-gpu"] + (["qsim-custatevec"] if gpu_status().custatevec_usable else [])
        gpus = {k: make_backend(k) for k in kinds}
    except ConfigurationError as exc:
        print(f"gpu.py: error: {exc}", file=sys.stderr)
        return 2
    cpu = make_backend("qsim", threads=os.cpu_count())
    rows = []
    print(f"{'qubits':>6} {'depth':>5} {'CPU s':>9} " + " ".join(f"{k + ' s':>18} {'x':>6}" for k in kinds)
          + f" {'max |diff|':>10}")
    for depth in [int(d) for d in args.depths.split(",")]:
        for qubits in [int(q) for q in args.qubits.split(",")]:
            ansatz = plugins.create("hardware_efficient", qubits=qubits, depth=depth)
            values = ansatz.random_parameter_values(1, np.random.default_rng(0))
            cpu_s, reference = timed(cpu, ansatz, values, args.repeats)
            row = {"qubits": qubits, "depth": depth, "cpu_seconds": cpu_s, "cpu_threads": os.cpu_count()}
            diffs = []
            for kind, backend in gpus.items():
                gpu_s, result = timed(backend, ansatz, values, args.repeats)
                row[f"{kind}_seconds"] = gpu_s
                row[f"{kind}_speedup"] = cpu_s / gpu_s
                diffs.append(float(np.max(np.abs(result - reference))))
            row["max_abs_difference"] = max(diffs)
            rows.append(row)
            print(f"{qubits:>6} {depth:>5} {cpu_s:>9.3f} "
                  + " ".join(f"{row[k + '_seconds']:>18.4f} {row[k + '_speedup']:>6.1f}" for k in kinds)
                  + f" {row['max_abs_difference']:>10.1e}", flush=True)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "gpu.json", {"benchmark": "gpu", "status": gpu_status().__dict__, "rows": rows})
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for depth in sorted({r["depth"] for r in rows}):
        chosen = [r for r in rows if r["depth"] == depth]
        for kind in ["cpu"] + kinds:
            ax.plot([r["qubits"] for r in chosen], [r[f"{kind}_seconds"] for r in chosen], "o-",
                    label=f"{kind}, depth {depth}")
    ax.set(yscale="log", xlabel="qubits", ylabel="seconds per circuit", title="qsim: CPU vs GPU")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    save_png(fig, out / "gpu.png")
    print(f"written {out / 'gpu.json'} and {out / 'gpu.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
