"""The ansatz template: a parameterised circuit plus everything needed to run it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import cirq
import numpy as np
import sympy

from qcircuits.encodings import EncodingPlan, feature_values
from qcircuits.errors import ConfigurationError
from qcircuits.noise import has_channels
from qcircuits.readouts import describe_readout
from qcircuits.typing import Array, FloatArray
from qcircuits.validation import warn_large_angles


@dataclasses.dataclass(frozen=True)
class Ansatz:
    """A built parameterised circuit.

    Symbols are ordered: data symbols first (features, then IQP products), then
    trainable weights, each in the order the builder created them. Every array of
    parameter values in this toolkit uses that order.

    Attributes:
        family: registry name of the family that built it.
        circuit: the circuit (data encoding included), a ``cirq.FrozenCircuit``: a built
            ansatz cannot change under the simulators that compiled it. A factory may
            return a ``cirq.Circuit``; it is frozen here. Libraries that want a mutable
            one (TensorFlow Quantum) get ``circuit.unfreeze(copy=False)``.
        qubits: the qubits, in index order.
        encoding: the bound data encoding (its symbols and feature map).
        weight_symbols: trainable symbols.
        readouts: observables whose expectations the ansatz outputs.
        depth: number of variational layers.
        entanglement: human-readable entanglement pattern.
        reupload: whether the encoding is repeated before every layer: ``True`` with the
            same features, ``"per_layer"`` with each layer's own (``n_features`` counts them all).
        options: keyword arguments that rebuild it with ``plugins.create(family, **options)``.
    """

    family: str
    circuit: cirq.AbstractCircuit
    qubits: tuple[cirq.Qid, ...]
    encoding: EncodingPlan
    weight_symbols: tuple[sympy.Symbol, ...]
    readouts: tuple[cirq.PauliString[cirq.Qid], ...]
    depth: int
    entanglement: str
    reupload: bool | str = False
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.circuit, cirq.Circuit):
            object.__setattr__(self, "circuit", self.circuit.freeze())

    @property
    def data_symbols(self) -> tuple[sympy.Symbol, ...]:
        """Symbols whose values come from data."""
        return self.encoding.data_symbols

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """All symbols: data first, then weights."""
        return self.data_symbols + self.weight_symbols

    @property
    def n_qubits(self) -> int:
        return len(self.qubits)

    @property
    def n_features(self) -> int:
        """Number of input features the encoding takes."""
        return self.encoding.n_features

    @property
    def n_weights(self) -> int:
        return len(self.weight_symbols)

    @property
    def n_data_symbols(self) -> int:
        return len(self.data_symbols)

    @property
    def n_readouts(self) -> int:
        return len(self.readouts)

    @property
    def n_two_qubit_gates(self) -> int:
        return sum(1 for op in self.circuit.all_operations() if len(op.qubits) == 2)

    @property
    def n_gates(self) -> int:
        return sum(1 for _ in self.circuit.all_operations())

    @property
    def unentangled(self) -> bool:
        """True when every operation acts on one qubit: the state stays a product (no channel either)."""
        return all(len(op.qubits) == 1 for op in self.circuit.all_operations()) and not has_channels(self.circuit)

    @property
    def n_moments(self) -> int:
        return len(self.circuit)

    def parameter_values(self, features: Array | None, weights: Array) -> FloatArray:
        """Values for :attr:`symbols` from raw features and weights.

        Args:
            features: ``[batch, n_features]`` (``None`` when the encoding is ``none``).
            weights: ``[batch, n_weights]`` or ``[n_weights]`` (shared by the batch).

        Returns:
            ``[batch, len(symbols)]`` float array.
        """
        weights = np.asarray(weights, dtype=float)
        if weights.shape[-1] != self.n_weights:
            raise ConfigurationError(
                f"Expected {self.n_weights} weights for {self.family}; got {weights.shape[-1]}."
            )
        if features is None:
            if self.n_features:
                raise ConfigurationError(f"{self.family} expects {self.n_features} features; got none.")
            data = np.zeros(weights.shape[:-1] + (0,))
        else:
            data = feature_values(self.encoding, features)
        batch = np.broadcast_shapes(data.shape[:-1], weights.shape[:-1])
        data = np.broadcast_to(data, batch + data.shape[-1:])
        weights = np.broadcast_to(weights, batch + weights.shape[-1:])
        values: FloatArray = np.concatenate([data, weights], axis=-1)
        warn_large_angles(values)
        return values

    def random_parameter_values(self, batch: int, rng: np.random.Generator) -> FloatArray:
        """Uniform random features and weights in ``[0, 2 pi)``, mapped to symbol values."""
        features = rng.uniform(0, 2 * np.pi, (batch, self.n_features)) if self.n_features else None
        weights = rng.uniform(0, 2 * np.pi, (batch, self.n_weights))
        return self.parameter_values(features, weights)

    def readout_names(self) -> list[str]:
        """Readouts in sparse text form, e.g. ``['Z0', 'Z1']``."""
        return [describe_readout(r, self.qubits) for r in self.readouts]

    def summary(self) -> dict[str, Any]:
        """The counts that tell circuits apart, as a JSON-ready dict."""
        return {
            "family": self.family,
            "qubits": self.n_qubits,
            "depth": self.depth,
            "entanglement": self.entanglement,
            "encoding": self.encoding.encoding.name,
            "reupload": self.reupload,
            "features": self.n_features,
            "trainable_parameters": self.n_weights,
            "data_parameters": self.n_data_symbols,
            "gates": self.n_gates,
            "two_qubit_gates": self.n_two_qubit_gates,
            "moments": self.n_moments,
            "readouts": self.readout_names(),
        }
