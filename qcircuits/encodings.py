"""Data encodings: how classical features enter a circuit.

An encoding turns ``features`` input values into gates parameterised by *data
symbols*. Linear encodings use one symbol per feature (``x_0, x_1, ...``). The
IQP / ZZ feature map of Havlicek et al. (Nature 567, 209, 2019) also needs the
products ``(pi - x_i)(pi - x_j)``; those become extra data symbols ``z_i_j``
whose values :func:`feature_values` computes from the features, because the
simulators (TFQ in particular) only accept gates whose angle is linear in one
symbol.

Names: ``angle_x``, ``angle_y``, ``angle_z`` (one feature per qubit; ``angle_z``
puts a Hadamard first so the phase is visible), ``angle_y_plus`` (a Hadamard, then RY:
the readout of an otherwise idle qubit is ``-sin(x)``, monotone around 0, where RY on
``|0>`` gives ``cos(x)``, which cannot tell ``x`` from ``-x``; Mari et al. 2020), ``dense_angle`` (two features
per qubit: RY then RZ, LaRose and Coyle 2020), ``iqp`` (alias ``zz``), and
``none`` (no data symbols). Data re-uploading (Perez-Salinas et al., Quantum 4,
226, 2020) is not a separate encoding: ansatz families repeat the chosen
encoding before every layer when ``reupload=True``.
"""

from __future__ import annotations

import dataclasses
import itertools
import numbers
from typing import Any, Callable, Sequence

import cirq
import numpy as np
import sympy

from qcircuits.errors import ConfigurationError
from qcircuits.typing import Array, FloatArray


@dataclasses.dataclass(frozen=True)
class Encoding:
    """A named data encoding.

    Attributes:
        name: registry name, e.g. ``"angle_y"``.
        features_per_qubit: how many features one qubit can hold.
        description: one line for reports.
    """

    name: str
    features_per_qubit: int
    description: str

    def capacity(self, n_qubits: int) -> int:
        """The largest number of features this encoding fits on ``n_qubits``."""
        return self.features_per_qubit * n_qubits


ENCODINGS: dict[str, Encoding] = {
    e.name: e
    for e in (
        Encoding("angle_x", 1, "RX(x_i) on qubit i"),
        Encoding("angle_y", 1, "RY(x_i) on qubit i"),
        Encoding("angle_z", 1, "H then RZ(x_i) on qubit i"),
        Encoding("angle_y_plus", 1, "H then RY(x_i) on qubit i: <Z> = -sin(x_i), monotone like tanh near 0"),
        Encoding("dense_angle", 2, "RY(x_2i) RZ(x_2i+1) on qubit i"),
        Encoding("iqp", 1, "IQP/ZZ feature map (Havlicek et al. 2019), 2 repetitions"),
        Encoding("none", 0, "no data encoding"),
    )
}
ALIASES = {"zz": "iqp", "angle": "angle_y", "dense": "dense_angle"}


def get_encoding(name: str) -> Encoding:
    """Looks up an encoding by name or alias.

    Raises:
        ConfigurationError: for an unknown name.
    """
    key = ALIASES.get(name, name)
    if key not in ENCODINGS:
        raise ConfigurationError(
            f"Unknown encoding {name!r}; expected one of {', '.join(ENCODINGS)} (or alias zz)."
        )
    return ENCODINGS[key]


@dataclasses.dataclass(frozen=True)
class EncodingPlan:
    """An encoding bound to a qubit count: its symbols and how to fill them.

    Attributes:
        encoding: the encoding.
        n_features: number of input features.
        feature_symbols: one symbol per feature.
        product_pairs: feature index pairs ``(i, j)`` whose product symbol
            ``z_i_j`` takes the value ``(pi - x_i) (pi - x_j)`` (IQP only).
        product_symbols: the symbols for ``product_pairs``, in the same order.
    """

    encoding: Encoding
    n_features: int
    feature_symbols: tuple[sympy.Symbol, ...]
    product_pairs: tuple[tuple[int, int], ...]
    product_symbols: tuple[sympy.Symbol, ...]

    @property
    def data_symbols(self) -> tuple[sympy.Symbol, ...]:
        """All data symbols: features first, then products."""
        return self.feature_symbols + self.product_symbols


def plan_encoding(name: str, n_qubits: int, features: int | None = None) -> EncodingPlan:
    """Binds an encoding to a qubit count and checks that the features fit.

    Args:
        name: encoding name.
        n_qubits: number of qubits.
        features: number of input features; defaults to the encoding's capacity.

    Raises:
        ConfigurationError: if the features do not fit on ``n_qubits``.
    """
    if not isinstance(name, str):
        raise ConfigurationError(f"Encoding must be a name (str); got {name!r}.")
    encoding = get_encoding(name)
    capacity = encoding.capacity(n_qubits)
    if features is None:
        features = capacity
    if isinstance(features, bool) or not isinstance(features, numbers.Integral):
        raise ConfigurationError(f"features must be an integer; got {features!r}.")
    if encoding.name == "none":
        if features:
            raise ConfigurationError(f"Encoding 'none' takes no features; got features={features}.")
    elif features < 1:
        raise ConfigurationError(f"Number of features must be >= 1; got {features}.")
    elif features > capacity:
        needed = -(-features // encoding.features_per_qubit)
        raise ConfigurationError(
            f"Encoding {encoding.name!r} with {features} features needs at least {needed} "
            f"qubits; got {n_qubits}."
        )
    feature_symbols = tuple(sympy.Symbol(f"x_{i}") for i in range(features))
    pairs: tuple[tuple[int, int], ...] = ()
    if encoding.name == "iqp":
        pairs = tuple(itertools.combinations(range(features), 2))
    product_symbols = tuple(sympy.Symbol(f"z_{i}_{j}") for i, j in pairs)
    return EncodingPlan(encoding, features, feature_symbols, pairs, product_symbols)


def encoding_operations(plan: EncodingPlan, qubits: Sequence[cirq.Qid]) -> list[cirq.Operation]:
    """The gates that load the data symbols of ``plan`` onto ``qubits``."""
    name = plan.encoding.name
    x = plan.feature_symbols
    if name == "none":
        return []
    if name in ("angle_x", "angle_y", "angle_z", "angle_y_plus"):
        gate = {"angle_x": cirq.rx, "angle_y": cirq.ry, "angle_z": cirq.rz, "angle_y_plus": cirq.ry}[name]
        pre = [cirq.H(qubits[i]) for i in range(len(x))] if name in ("angle_z", "angle_y_plus") else []
        return pre + [gate(s).on(qubits[i]) for i, s in enumerate(x)]
    if name == "dense_angle":
        ops = []
        for i, s in enumerate(x):
            rotation = cirq.ry if i % 2 == 0 else cirq.rz
            ops.append(rotation(s).on(qubits[i // 2]))
        return ops
    if name == "iqp":
        ops = []
        for _ in range(2):
            ops += [cirq.H(qubits[i]) for i in range(len(x))]
            ops += [cirq.rz(2 * s).on(qubits[i]) for i, s in enumerate(x)]
            for (i, j), z in zip(plan.product_pairs, plan.product_symbols):
                # exp(-i z Z_i Z_j) as CNOT . RZ(2z) . CNOT
                ops += [cirq.CNOT(qubits[i], qubits[j]), cirq.rz(2 * z).on(qubits[j]),
                        cirq.CNOT(qubits[i], qubits[j])]
        return ops
    raise AssertionError(f"no builder for encoding {name}")  # registry and builders out of sync


def feature_values(plan: EncodingPlan, features: Array) -> FloatArray:
    """Data-symbol values for a batch of features.

    Args:
        plan: the encoding plan.
        features: array ``[..., n_features]``.

    Returns:
        Array ``[..., len(plan.data_symbols)]``: the features, then the IQP products.
    """
    features = np.asarray(features, dtype=float)
    if features.shape[-1] != plan.n_features:
        raise ConfigurationError(
            f"Expected {plan.n_features} features per sample; got {features.shape[-1]}."
        )
    if not plan.product_pairs:
        return features
    products = product_values(plan, features, lambda a, index: a[..., index])
    return np.concatenate([features, products], axis=-1)


def product_values(plan: EncodingPlan, features: Any, take: Callable[[Any, Array], Any]) -> Any:
    """The IQP product values ``(pi - x_i) (pi - x_j)`` for ``plan.product_pairs``, in their order.

    The one place the formula is written: ``take(array, index)`` picks feature columns
    (``a[..., index]`` in numpy, ``tf.gather(a, index, axis=-1)`` in TensorFlow), so the
    circuit builders and the Keras layer compute the same values.
    """
    i, j = np.array(plan.product_pairs, dtype=np.int64).T
    shifted = np.pi - features
    return take(shifted, i) * take(shifted, j)
