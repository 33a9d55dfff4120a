"""Training speed of one quantum layer: forward and forward+gradient samples per second.

The ``layer-bench`` sweep task. ``benchmarks/layers.py`` holds the full comparison with
raw TensorFlow Quantum; this measures one configuration, so a sweep can map speed over
ansatz x qubits x depth x batch x backend.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from qcircuits.plugins import DEFAULT_ANSATZ
from sims.option_fields import field_values, integer, option, positive_int
from sims.option_fields import seed as seed_type


@dataclasses.dataclass(frozen=True)
class BenchOptions:
    """One layer benchmark: the circuit, the batch and the backend."""

    ansatz: str = option(DEFAULT_ANSATZ, "registered ansatz (default: %(default)s)")
    qubits: int = option(8, "qubits (default: %(default)s)", type=integer)
    depth: int = option(3, "layers (default: %(default)s)", type=integer)
    batch: int = option(2048, "samples per call (default: %(default)s)", type=positive_int)
    backend: str = option("statevector", "a training backend: statevector, tfq or auto (default: %(default)s)")
    repeats: int = option(5, "timed calls; the median is reported (default: %(default)s)", type=positive_int)
    dtype: str = option("complex64", "statevector engine precision (default: %(default)s)",
                        choices=("complex64", "complex128"))
    seed: int = option(0, "random seed (default: %(default)s)", type=seed_type)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> BenchOptions:
        """From a dict by option name (a sweep file's options), each value checked.

        Raises:
            ConfigurationError: naming the option and what was expected.
        """
        return cls(**field_values(cls, values))


BENCH_OPTIONS = frozenset(f.name for f in dataclasses.fields(BenchOptions)) | {"plugin"}


def check_bench(args: BenchOptions, plugin: list[str] | tuple[str, ...] = ()) -> None:
    """Validates without TensorFlow: the ansatz builds, the backend trains, the batch fits.

    Raises:
        ConfigurationError: naming the bad value.
    """
    from qcircuits import plugins
    from qcircuits.errors import ConfigurationError
    from sims.backends import backend_names
    from sims.memory import check_batch_fits

    plugins.load_plugins(list(plugin))
    ansatz = plugins.create(args.ansatz, qubits=args.qubits, depth=args.depth)
    training = backend_names(differentiable=True, with_auto=True)
    if args.backend not in training:
        raise ConfigurationError(f"backend {args.backend!r} gives no gradients; expected one of {', '.join(training)}.")
    check_batch_fits(args.batch, ansatz)


def measure_layer(args: BenchOptions, plugin: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Median seconds of a forward call and of a forward+gradient call, as samples per second."""
    from qcircuits import plugins
    from sims.layers import QuantumLayer
    from sims.tf_env import tf
    from sims.timing import median_seconds

    plugins.load_plugins(list(plugin))
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
