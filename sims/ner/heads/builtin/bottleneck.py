"""The ``bottleneck`` head: the quantum head's classical twin, ``tanh`` units of the same width."""

from __future__ import annotations

from typing import Any

from sims.ner.heads.registry import Head, register_head


@register_head
class BottleneckHead(Head):
    """Projection -> ``tanh`` units (as many as the quantum head has qubits) -> tags.

    It takes the same design options as the quantum head where they apply (Bowles, Ahmed
    and Schuld 2024 on fair controls): layer normalisation and trainable scaling of the
    projection, the readout widening (pairwise products of the units, the twin of ZZ
    readouts) and residual stacking, ``h + tanh(W h + b)``.
    """

    name = "bottleneck"
    description = "classical twin of the quantum head: tanh units of the same width"

    def build(self, layer: Any) -> None:
        from sims.tf_env import keras

        init = keras.initializers.GlorotUniform(seed=layer.seed)
        layer.projection = keras.layers.Dense(layer.qubits, kernel_initializer=init, name="projection")
        layer.blocks = [keras.layers.Dense(layer.qubits, activation="tanh", name=f"units_{block}",
                                           kernel_initializer=keras.initializers.GlorotUniform(seed=layer.seed + block))
                        for block in range(1, layer.design.blocks)]

    def features(self, layer: Any, x: Any, mask: Any) -> Any:
        from sims.tf_env import tf

        h = tf.tanh(layer.projected(x))
        for block in layer.blocks:  # residual: h + tanh(W h + b)
            h = h + block(h)
        return layer.widened(h)
