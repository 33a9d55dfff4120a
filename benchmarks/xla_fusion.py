"""What the engine's XLA-minded helpers save, each against the plain operation doing the same work.

Under ``jit_compile`` on the CPU, two plain TensorFlow patterns cost far more than their arithmetic:

  * a small tensor of costly values broadcast over the states (a shared phase ``cos(angle)`` of
    ``[1, 2^n]`` times ``[batch, 2^n]``): XLA fuses the cosine into the product and computes it
    again for every sample; :func:`~sims.backends.statevector.tensors.stored` keeps it computed once;
  * the gradient of a gather is a scatter, which XLA runs as a serial loop:
    :func:`~sims.backends.statevector.tensors.take` (small gathers as a 0/1 product) and
    :func:`~sims.backends.statevector.tensors.permute_columns` (a permutation's gradient is the
    inverse permutation, a gather).

Each case is timed forward + gradient, compiled, the two ways interleaved in one process (medians
over rounds, each the best of ``--best-of`` calls). Prints a table and writes JSON (default
``benchmarks/results/xla_fusion.json``).

    python benchmarks/xla_fusion.py [--qubits 8] [--batches 128,2048] [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.layers import interleaved_times  # noqa: E402
from sims.atomic import write_json  # noqa: E402
from sims.backends.statevector.tensors import permute_columns, stored, take  # noqa: E402
from sims.tf_env import tf  # noqa: E402


def cases(qubits: int, batch: int) -> dict[str, tuple]:
    """Per case: the plain function, the helper's, and the tensor both take (the one differentiated)."""
    rng = np.random.default_rng(0)
    d = 2 ** qubits
    states = tf.constant(rng.normal(size=(batch, d)) + 1j * rng.normal(size=(batch, d)), tf.complex64)
    angle = tf.constant(rng.uniform(-3, 3, size=(1, d)), tf.float32)
    symbols = tf.constant(rng.normal(size=(batch, 16)), tf.float32)
    columns = rng.integers(0, 16, size=64)  # a phase table's columns: each symbol several times
    rows = tf.constant(rng.normal(size=(batch * 8, 32)), tf.float32)  # the states as rows of a 5-qubit block
    gate = tf.constant(rng.normal(size=17), tf.float32)  # a two-qubit gate's 16 entries and a zero
    embedding = rng.integers(0, 17, size=(32, 32))  # written into a 5-qubit block's matrix
    source = rng.permutation(d)  # a CNOT run's permutation of the basis states

    def phase(keep):
        return lambda a: states * keep(tf.complex(tf.cos(a), tf.sin(a)))

    return {
        "shared phase times the states": (phase(lambda p: p), phase(stored), angle),
        "symbol columns (64 of 16)": (lambda v: tf.gather(v, columns, axis=-1), lambda v: take(v, columns), symbols),
        "gate entries into a 32 x 32 block": (lambda g: tf.matmul(rows, tf.gather(g, embedding)),
                                             lambda g: tf.matmul(rows, take(g, embedding)),
                                             gate),
        "permutation of the amplitudes": (lambda z: tf.gather(z, source, axis=1),
                                          lambda z: permute_columns(z, source), states),
    }


def compiled_gradient(fn, x):
    """``fn(x)`` and the gradient of ``sum(re(fn(x)))`` under ``jit_compile`` (both returned, as a
    layer's states go on to the next step)."""

    @tf.function(jit_compile=True)
    def run():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cast(fn(x), tf.complex64)
            loss = tf.reduce_sum(tf.math.real(y))
        return y, tf.convert_to_tensor(tape.gradient(loss, x))  # a gather's gradient comes as slices

    return run


def measure(qubits: int, batches: list[int], repeats: int, best_of: int) -> list[dict]:
    rows = []
    for batch in batches:
        functions = {}
        for name, (plain, helper, x) in cases(qubits, batch).items():
            a, b = compiled_gradient(plain, x), compiled_gradient(helper, x)
            for want, got in zip(a(), b(), strict=True):  # the same values and gradient first
                np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)
            functions[name, "plain"], functions[name, "helper"] = a, b
        times = interleaved_times(functions, repeats, best_of=best_of)
        for name in cases(qubits, batch):
            plain, helper = times[name, "plain"], times[name, "helper"]
            rows.append({"case": name, "qubits": qubits, "batch": batch,
                         "plain_ms": 1e3 * statistics.median(plain), "helper_ms": 1e3 * statistics.median(helper),
                         "plain_ms_range": [1e3 * min(plain), 1e3 * max(plain)],
                         "helper_ms_range": [1e3 * min(helper), 1e3 * max(helper)],
                         "speedup": statistics.median(plain) / statistics.median(helper)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qubits", type=int, default=8)
    parser.add_argument("--batches", default="128,2048", help="comma-separated batch sizes")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--best-of", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "xla_fusion.json")
    args = parser.parse_args()
    try:
        batches = [int(b) for b in args.batches.split(",")]
        if min(batches) < 1 or not 1 <= args.qubits <= 16 or args.repeats < 1 or args.best_of < 1:
            raise ValueError
    except ValueError:
        parser.exit(2, f"error: --qubits {args.qubits} (1-16), --batches {args.batches!r} (positive integers), "
                       f"--repeats and --best-of (at least 1) expected\n")
    rows = measure(args.qubits, batches, args.repeats, args.best_of)
    print(f"{'case':32s} {'batch':>6s} {'plain ms':>9s} {'helper ms':>10s} {'speedup':>8s}")
    for r in rows:
        print(f"{r['case']:32s} {r['batch']:6d} {r['plain_ms']:9.3f} {r['helper_ms']:10.3f} {r['speedup']:7.2f}x")
    write_json(args.out, {"benchmark": "xla_fusion", "cpu_count": os.cpu_count(), "repeats": args.repeats,
                          "best_of": args.best_of, "rows": rows})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
