"""The ``quantum`` head: a dressed quantum circuit (Mari et al. 2020) per word."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from sims.ner.heads.registry import Head, register_head


def circuit_initializer(init: str, seed: int) -> Any:
    """The Keras initializer of the circuit weights that ``init`` names (see ``HeadDesign.init``)."""
    from qcircuits.errors import ConfigurationError
    from sims.tf_env import keras

    if init == "auto":  # NerOptions resolves it; a TaggingHead built by hand must say which
        raise ConfigurationError("circuit init 'auto' depends on the ansatz; resolve it with "
                                 "sims.ner.defaults.resolve_init, or give uniform, small or zeros.")
    if init == "small":
        return keras.initializers.RandomUniform(-0.1, 0.1, seed=seed)
    if init == "zeros":
        return keras.initializers.Zeros()
    return keras.initializers.RandomUniform(0.0, 2 * np.pi, seed=seed)


def run_in_the_training_graph(circuit: Any) -> None:
    """The statevector engine runs the head's circuit in the training step's own graph, not compiled apart.

    Its ``xla="auto"`` compiles small calls such as the head's (8 qubits, 128 words): a tenth faster
    for the layer alone, but no faster in a Keras training step, while compiling doubled the first
    epoch on CoNLL-2003 (26-31 s against 13-14 s; the later epochs alike, the same losses; README,
    "Measured on CoNLL-2003"). Other backends are left as they are.
    """
    kernel = getattr(circuit, "kernel", None)
    if kernel is not None and getattr(kernel, "xla", None) == "auto":
        kernel.xla = "off"


@register_head
class QuantumHead(Head):
    """Projection -> angle scaling -> :class:`~sims.layers.QuantumLayer` (readouts in [-1, 1]).

    Several blocks are residual on the Z readouts, ``h + Q(angles(h))``; ZZ readouts
    (``HeadDesign.readout``) are appended by the circuit itself.
    """

    name = "quantum"
    description = "projection -> angles -> parameterised circuit (Z, ZZ readouts)"
    uses_circuit = True

    def build(self, layer: Any) -> None:
        from qcircuits.builder import PER_LAYER
        from sims.layers import QuantumLayer
        from sims.tf_env import keras

        options = {**layer.ansatz_options, "qubits": layer.qubits}
        if layer.pairs:
            options["readout"] = layer.design.circuit_readout(layer.qubits)
        layer.blocks = [
            QuantumLayer(layer.ansatz_name, backend=layer.backend, projection="none", seed=layer.seed + block,
                         ansatz_options=options, name=f"circuit_{block}", noise=layer.noise, repetitions=layer.shots,
                         weight_initializer=circuit_initializer(layer.design.init, layer.seed + block),
                         batch_size=layer.batch_size)
            for block in range(layer.design.blocks)]
        for block in layer.blocks:
            run_in_the_training_graph(block)
        ansatz = layer.blocks[0].ansatz
        # A circuit that re-uploads per layer reads depth x n angles: the head projects to n and
        # gives each layer its own scaled copy (TaggingHead.projected).
        layer.upload_layers = ansatz.depth if ansatz.reupload == PER_LAYER else 1
        layer.projection = keras.layers.Dense(ansatz.n_features // layer.upload_layers, name="projection",
                                              kernel_initializer=keras.initializers.GlorotUniform(seed=layer.seed))

    def features(self, layer: Any, x: Any, mask: Any) -> Any:
        from sims.tf_env import tf

        n = layer.qubits
        out = layer.blocks[0](layer.angles(layer.projected(x)), mask=mask)
        for block in layer.blocks[1:]:  # residual on the Z readouts: h + Q(h)
            h = out[..., :n]
            step = block(layer.angles(layer.per_layer(h)), mask=mask)
            out = tf.concat([h + step[..., :n], step[..., n:]], axis=-1)
        return out

    def run_name(self, options: Any) -> str:
        noise = getattr(options, "noise", "none")
        shots = getattr(options, "shots", None)
        extra = ("" if noise in (None, "none") else "-" + re.sub(r"[^A-Za-z0-9.]+", "", noise)) + (
            f"-shots{shots}" if shots else "")
        return f"-{options.ansatz}-q{options.qubits}-d{options.depth}{extra}"

    def label(self, options: Any) -> str:
        return f"quantum:{options.ansatz}"
