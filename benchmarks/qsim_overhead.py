"""Overhead of our qsim path against qsimcirq called directly on the same work.

Measures, in one run:
  * batch throughput: the default ansatz (hardware_efficient) at 8 qubits,
    batch 1024, through ``sims.backends`` (what ``sims.run`` reports) vs
    ``QSimSimulator.simulate_expectation_values_sweep`` with a list of resolvers;
  * one large circuit: 24 qubits, depth 10, both ways.

Prints a table and writes JSON (default benchmarks/results/qsim_overhead.json).

    python benchmarks/qsim_overhead.py [--repeats 3] [--threads N] [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import cirq
import numpy as np
import qsimcirq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qcircuits import plugins  # noqa: E402
from sims.atomic import write_json  # noqa: E402
from sims.backends import make_backend  # noqa: E402
from sims.timing import median_seconds  # noqa: E402


def measure(qubits: int, depth: int, batch: int, repeats: int, threads: int) -> dict:
    ansatz = plugins.create("hardware_efficient", qubits=qubits, depth=depth)
    values = ansatz.random_parameter_values(batch, np.random.default_rng(0))
    ours = make_backend("qsim", threads=threads)
    raw = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=threads))
    names = [s.name for s in ansatz.symbols]

    def run_raw():
        resolvers = [dict(zip(names, row, strict=True)) for row in values]
        return raw.simulate_expectation_values_sweep(ansatz.circuit, list(ansatz.readouts), resolvers)

    ours_result = ours.expectations(ansatz, values)  # warm-up and agreement check
    raw_result = np.real(np.asarray(run_raw()))
    t_ours = median_seconds(lambda: ours.expectations(ansatz, values), repeats, warmup=False)[0]
    t_raw = median_seconds(run_raw, repeats, warmup=False)[0]
    return {
        "qubits": qubits, "depth": depth, "batch": batch, "threads": threads, "repeats": repeats,
        "ours_seconds": t_ours, "raw_qsimcirq_seconds": t_raw,
        "ours_circuits_per_second": batch / t_ours, "raw_circuits_per_second": batch / t_raw,
        "ratio_ours_over_raw_throughput": t_raw / t_ours,
        "max_abs_difference": float(np.max(np.abs(ours_result - raw_result))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--large-qubits", type=int, default=24)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "qsim_overhead.json"))
    args = parser.parse_args()
    rows = [
        measure(8, 2, 1024, args.repeats, args.threads),
        measure(args.large_qubits, 10, 1, args.repeats, args.threads),
    ]
    print(f"{'qubits':>6} {'depth':>5} {'batch':>5} {'ours s':>9} {'raw s':>9} {'ours circ/s':>12} "
          f"{'raw circ/s':>11} {'ratio':>6} {'max |diff|':>10}")
    for r in rows:
        print(f"{r['qubits']:>6} {r['depth']:>5} {r['batch']:>5} {r['ours_seconds']:>9.4f} "
              f"{r['raw_qsimcirq_seconds']:>9.4f} {r['ours_circuits_per_second']:>12.1f} "
              f"{r['raw_circuits_per_second']:>11.1f} {r['ratio_ours_over_raw_throughput']:>6.2f} "
              f"{r['max_abs_difference']:>10.1e}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, {"benchmark": "qsim_overhead", "qsimcirq": qsimcirq.__version__,
                     "cirq": cirq.__version__, "cpu_count": os.cpu_count(), "rows": rows})
    print(f"written {out}")


if __name__ == "__main__":
    main()
