"""Peak memory of the statevector engine's forward+gradient against depth: autodiff or adjoint?

Autodiff keeps the input of every step for the backward pass; an adjoint pass would keep
two states whatever the depth. The planner fuses a whole stretch of gates into one block,
so the number of steps, and with it autodiff's memory, grows far slower than the depth.
Each configuration runs in a fresh process; the peak resident memory above the process
after TensorFlow's start-up is reported in units of one batch of states.

    python benchmarks/engine_memory.py [--qubits 12] [--batch 1024] [--depths 1,2,4,8,16]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys
sys.path.insert(0, {root!r})
from sims.tf_env import tf
from sims.layers import QuantumLayer
qubits, depth, batch = {qubits}, {depth}, {batch}
layer = QuantumLayer("hardware_efficient", qubits=qubits, depth=depth, backend="statevector")
x = tf.random.uniform((batch, qubits))
layer.build(x.shape)
@tf.function
def step():
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x))
    return tape.gradient(loss, [x, layer.circuit_weights])
small = tf.random.uniform((1, qubits))
layer(small)  # graph machinery in place before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"depth": depth, "steps": layer.kernel.program.readout_steps,
                  "plan": layer.kernel.plan_summary, "extra_kib": peak - base}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qubits", type=int, default=12)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--depths", default="1,2,4,8,16")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    root = str(Path(__file__).resolve().parents[1])
    state_kib = args.batch * 2 ** args.qubits * 8 / 1024
    rows = []
    print(f"{args.qubits} qubits, batch {args.batch}: one batch of complex64 states = {state_kib / 1024:.0f} MiB")
    print(f"{'depth':>5} {'steps':>5} {'peak extra MiB':>15} {'in states':>9}  plan")
    for depth in [int(d) for d in args.depths.split(",")]:
        code = CHILD.format(root=root, qubits=args.qubits, depth=depth, batch=args.batch)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        row["extra_states"] = row["extra_kib"] / state_kib
        rows.append(row)
        print(f"{depth:>5} {row['steps']:>5} {row['extra_kib'] / 1024:>15.0f} {row['extra_states']:>9.1f}  "
              f"{row['plan']}",
              flush=True)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, root)
    from sims.atomic import write_json

    write_json(out_dir / "engine_memory.json", {"qubits": args.qubits, "batch": args.batch,
                                                "state_mib": state_kib / 1024, "rows": rows})
    print(f"written {out_dir / 'engine_memory.json'}")


if __name__ == "__main__":
    main()
