"""The options that shape a NER head, and their choices (no TensorFlow: the CLI reads them)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

from qcircuits.errors import ConfigurationError
from qcircuits.validation import check_int

SCALINGS = ("linear", "tanh", "layernorm", "gudermannian")
READOUTS = ("z", "zz", "zz_all")
INITS = ("auto", "uniform", "small", "zeros")
ENCODER_FEATURES = ("last", "sum4", "concat4")
MAX_BLOCKS = 16


def check_choice(what: str, value: object, allowed: tuple[str, ...]) -> str:
    """Returns ``value`` if it is one of ``allowed``.

    Raises:
        ConfigurationError: naming the value and the choices.
    """
    if value not in allowed:
        raise ConfigurationError(f"Unknown {what} {value!r}; expected one of {', '.join(allowed)}.")
    return value


@dataclasses.dataclass(frozen=True)
class HeadDesign:
    """How the quantum head (and its classical twin) is built.

    Attributes:
        scaling: what turns the projection into angles. ``linear``: as is (unbounded);
            ``tanh``: ``pi/2 * tanh``; ``layernorm``: layer normalisation, then ``pi/2 * tanh``;
            ``gudermannian``: ``gd(u) = 2 atan(tanh(u/2)) = asin(tanh(u))``, so that a qubit
            read after H, RY gives ``-sin(gd(u)) = -tanh(u)``: at the identity start the
            quantum head is its twin exactly, and ``gd`` saturates more slowly than ``pi/2 tanh``.
            The twin always applies ``tanh`` (after layer normalisation for ``layernorm``).
        trainable_scaling: a trainable per-feature factor (initialised at 1) before the
            scaling (Jerbi et al. 2021); the twin gets it too.
        readout: ``z`` (one readout per qubit), ``zz`` (plus Z_i Z_i+1 on neighbours) or
            ``zz_all`` (plus every pair). The twin appends the same products of its units.
        init: circuit weight initialisation: ``uniform`` in [0, 2 pi), ``small`` in
            [-0.1, 0.1], or ``zeros`` (the identity where every gate is a rotation, e.g.
            ``entangler="cry"``: identity-block initialisation, Grant et al. 2019). ``auto``
            is for :class:`~sims.ner.options.NerOptions`, which resolves it for its ansatz
            (``sims.ner.defaults``); a circuit cannot be built with it.
        blocks: how many circuits (or tanh layers, for the twin) are stacked; each after the
            first is residual, ``h + Q(h)``.
    """

    scaling: str = "linear"
    trainable_scaling: bool = False
    readout: str = "z"
    init: str = "uniform"
    blocks: int = 1

    def __post_init__(self):
        check_choice("head scaling", self.scaling, SCALINGS)
        check_choice("head readout", self.readout, READOUTS)
        check_choice("circuit init", self.init, INITS)
        if not isinstance(self.trainable_scaling, (bool, np.bool_)):
            raise ConfigurationError(f"trainable_scaling must be True or False; got {self.trainable_scaling!r}.")
        check_int("blocks", self.blocks, minimum=1, maximum=MAX_BLOCKS)

    def pairs(self, width: int) -> list[tuple[int, int]]:
        """The unit pairs whose products widen the readout."""
        if self.readout == "zz":
            return [(i, i + 1) for i in range(width - 1)]
        if self.readout == "zz_all":
            return list(itertools.combinations(range(width), 2))
        return []

    def circuit_readout(self, width: int) -> str:
        """The circuit's readout spec: Z on every qubit, then Z Z on the pairs."""
        return ",".join([f"Z{i}" for i in range(width)] + [f"Z{i} Z{j}" for i, j in self.pairs(width)])

    def to_config(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
