"""Training speed of one quantum layer: forward and forward+gradient samples per second.

The ``layer-bench`` sweep task. ``benchmarks/layers.py`` holds the full comparison with
raw TensorFlow Quantum; this measures one configuration, so a sweep can map speed over
ansatz x qubits x depth x batch x backend.
"""

from __future__ import annotations

import argparse
from typing import Any

from sims.cli_args import integer, positive_int, seed

BENCH_OPTIONS = frozenset({"ansatz", "qubits", "depth", "batch", "backend", "repeats", "dtype", "plugin", "seed"})


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of one layer benchmark."""
    parser.add_argument("--ansatz", default="hardware_efficient")
    parser.add_argument("--qubits", type=integer, default=8)
    parser.add_argument("--depth", type=integer, default=3)
    parser.add_argument("--batch", type=positive_int, default=2048, help="samples per call")
    parser.add_argument("--backend", default="statevector", help="a training backend: statevector, tfq or auto")
    parser.add_argument("--repeats", type=positive_int, default=5, help="timed calls (the median is reported)")
    parser.add_argument("--dtype", choices=("complex64", "complex128"), default="complex64",
                        help="statevector engine precision")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE")
    parser.add_argument("--seed", type=seed, default=0)


def check_bench(args: argparse.Namespace) -> None:
    """Validates without TensorFlow: the ansatz builds, the backend trains, the batch fits.

    Raises:
        ConfigurationError: naming the bad value.
    """
    from qcircuits import plugins
    from qcircuits.errors import ConfigurationError
    from sims.backends import backend_names

    plugins.load_plugins(args.plugin)
    ansatz = plugins.create(args.ansatz, qubits=args.qubits, depth=args.depth)
    training = backend_names(differentiable=True, with_auto=True)
    if args.backend not in training:
        raise ConfigurationError(f"backend {args.backend!r} gives no gradients; expected one of {', '.join(training)}.")
    from sims.run import check_batch_fits

    check_batch_fits(args.batch, ansatz)


def measure_layer(args: argparse.Namespace) -> dict[str, Any]:
    """Median seconds of a forward call and of a forward+gradient call, as samples per second."""
    from qcircuits import plugins
    from sims.layers import QuantumLayer
    from sims.tf_env import tf
    from sims.timing import median_seconds

    plugins.load_plugins(args.plugin)
    options = {"dtype": args.dtype} if args.backend == "statevector" else {}
    layer = QuantumLayer(args.ansatz, qubits=args.qubits, depth=args.depth, backend=args.backend, seed=args.seed,
                         projection="none", backend_options=options or None)
    x = tf.random.stateless_uniform((args.batch, layer.ansatz.n_features), seed=(args.seed, 1), maxval=3.0)
    layer.build(x.shape)

    @tf.function
    def forward():
        return layer(x)

    @tf.function
    def forward_gradient():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, [x, *layer.trainable_weights])

    def run(fn):
        return lambda: [t.numpy() for t in tf.nest.flatten(fn())]

    forward_s, _ = median_seconds(run(forward), args.repeats)
    gradient_s, _ = median_seconds(run(forward_gradient), args.repeats)
    return {"forward_samples_per_s": args.batch / forward_s, "forward_gradient_samples_per_s": args.batch / gradient_s,
            "forward_s": forward_s, "forward_gradient_s": gradient_s, "circuit_parameters": layer.ansatz.n_weights,
            "backend_selection": getattr(layer, "backend_selection", None) or args.backend}
