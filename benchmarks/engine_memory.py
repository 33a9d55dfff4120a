"""Peak memory of the statevector engine's forward+gradient against depth: autodiff or adjoint?

Autodiff keeps the input of every step for the backward pass; an adjoint pass would keep
two states whatever the depth. The planner fuses a whole stretch of gates into one block,
so the number of steps, and with it autodiff's memory, grows far slower than the depth.
Each configuration runs in a fresh process; the peak resident memory above the process
after TensorFlow's start-up is reported in units of one batch of states.

    python benchmarks/engine_memory.py [--qubits 12] [--batch 1024] [--depths 1,2,4,8,16]
    python benchmarks/engine_memory.py --noise depolarize:0.01 --qubits 2,4,6,8 --depths 3 --batch 64

With ``--chunk N`` the gradient runs checkpointed in chunks of N samples (the mode the layer
picks by itself when autodiff's copies of the batch would not fit). With ``--noise`` the layer
runs the density-matrix mode: a state of twice the width (the unit is then one batch of density
matrices), measured by width with ``--qubits`` a list.
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
qubits, depth, batch, noise, chunk = {qubits}, {depth}, {batch}, {noise!r}, {chunk!r}
layer = QuantumLayer("hardware_efficient", qubits=qubits, depth=depth, backend="statevector", noise=noise)
layer.kernel.chunk = chunk
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
step.get_concrete_function()  # traced (not run) before the baseline: building the graph is not the states
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"qubits": qubits, "depth": depth, "chunk": layer.kernel.last_chunk,
                  "steps": layer.kernel.program.readout_steps, "plan": layer.kernel.plan_summary,
                  "extra_kib": peak - base}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qubits", default="12", help="a width, or a comma list of widths")
    parser.add_argument("--noise", default=None, help="a noise spec: the density-matrix mode")
    parser.add_argument("--chunk", type=int, default=None,
                        help="force the checkpointed gradient mode with chunks of this many samples")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--depths", default="1,2,4,8,16")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    root = str(Path(__file__).resolve().parents[1])
    rows = []
    factor = 2 if args.noise else 1  # a density matrix of n qubits is a state of 2n
    print(f"batch {args.batch}{', noise ' + args.noise + ' (density matrices)' if args.noise else ''}")
    print(f"{'qubits':>6} {'depth':>5} {'steps':>5} {'batch MiB':>10} {'peak extra MiB':>15} {'in states':>9}  plan")
    for qubits in [int(q) for q in args.qubits.split(",")]:
        state_kib = args.batch * 2 ** (factor * qubits) * 8 / 1024
        for depth in [int(d) for d in args.depths.split(",")]:
            code = CHILD.format(root=root, qubits=qubits, depth=depth, batch=args.batch, noise=args.noise,
                                chunk=args.chunk)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            row["state_mib"] = state_kib / 1024
            row["extra_states"] = row["extra_kib"] / state_kib
            rows.append(row)
            print(f"{qubits:>6} {depth:>5} {row['steps']:>5} {state_kib / 1024:>10.1f} "
                  f"{row['extra_kib'] / 1024:>15.0f} {row['extra_states']:>9.1f}  {row['plan'][:60]}", flush=True)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, root)
    from sims.atomic import write_json

    name = f"engine_memory{'_noise' if args.noise else ''}{f'_chunk{args.chunk}' if args.chunk else ''}.json"
    write_json(out_dir / name, {"qubits": args.qubits, "batch": args.batch, "noise": args.noise, "rows": rows})
    print(f"written {out_dir / name}")


if __name__ == "__main__":
    main()
