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

Each encoding is an :class:`Encoding` object that gives both its gates
(:meth:`Encoding.operations`) and its symbol values (:meth:`Encoding.values`, on numpy
or TensorFlow arrays through :class:`ArrayOps`); a new one is one subclass, added with
:func:`register_encoding`.
"""

from __future__ import annotations

import dataclasses
import itertools
import numbers
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import cirq
import numpy as np
import sympy

from qcircuits.errors import ConfigurationError
from qcircuits.typing import Array, FloatArray


class ArrayOps(Protocol):
    """The two array operations an encoding's values need, so one formula serves numpy and TensorFlow."""

    def take(self, array: Any, index: Array) -> Any:
        """Columns ``index`` of the last axis (``a[..., index]``, ``tf.gather(a, index, axis=-1)``)."""

    def concat(self, arrays: list[Any]) -> Any:
        """Concatenation along the last axis."""


class NumpyOps:
    """:class:`ArrayOps` for numpy arrays."""

    def take(self, array: Any, index: Array) -> Any:
        return array[..., index]

    def concat(self, arrays: list[Any]) -> Any:
        return np.concatenate(arrays, axis=-1)


NUMPY_OPS = NumpyOps()


@dataclasses.dataclass(frozen=True)
class Encoding:
    """A named data encoding: its gates and the values of its data symbols.

    A new encoding is one subclass that implements :meth:`operations` (and, when its
    gates need values other than the features themselves, :meth:`product_pairs` and
    :meth:`products`), registered with :func:`register_encoding`.

    Attributes:
        name: registry name, e.g. ``"angle_y"``.
        features_per_qubit: how many features one qubit can hold (0: takes none).
        description: one line for reports.
    """

    name: str
    features_per_qubit: int
    description: str

    def capacity(self, n_qubits: int) -> int:
        """The largest number of features this encoding fits on ``n_qubits``."""
        return self.features_per_qubit * n_qubits

    def product_pairs(self, n_features: int) -> tuple[tuple[int, int], ...]:
        """Feature pairs whose products get symbols of their own (none by default)."""
        return ()

    def operations(self, plan: EncodingPlan, qubits: Sequence[cirq.Qid]) -> list[cirq.Operation]:
        """The gates that load ``plan``'s data symbols onto ``qubits``."""
        raise NotImplementedError(f"encoding {self.name!r} gives no operations")

    def products(self, plan: EncodingPlan, features: Any, ops: ArrayOps) -> Any:
        """Values of ``plan.product_symbols`` from the features (only for encodings with product pairs)."""
        raise NotImplementedError(f"encoding {self.name!r} has no product symbols")

    def values(self, plan: EncodingPlan, features: Any, ops: ArrayOps = NUMPY_OPS) -> Any:
        """Values of every data symbol: the features, then the products (numpy or TensorFlow via ``ops``)."""
        if not plan.product_pairs:
            return features
        return ops.concat([features, self.products(plan, features, ops)])


_ROTATIONS: dict[str, Callable[[Any], cirq.Gate]] = {"rx": cirq.rx, "ry": cirq.ry, "rz": cirq.rz}


@dataclasses.dataclass(frozen=True)
class AngleEncoding(Encoding):
    """One feature per qubit: a rotation by the feature's value, optionally after a Hadamard."""

    rotation: str = "ry"
    hadamard_first: bool = False

    def operations(self, plan: EncodingPlan, qubits: Sequence[cirq.Qid]) -> list[cirq.Operation]:
        x = plan.feature_symbols
        pre = [cirq.H(qubits[i]) for i in range(len(x))] if self.hadamard_first else []
        return pre + [_ROTATIONS[self.rotation](s).on(qubits[i]) for i, s in enumerate(x)]


@dataclasses.dataclass(frozen=True)
class DenseAngleEncoding(Encoding):
    """Two features per qubit: RY then RZ (LaRose and Coyle 2020)."""

    def operations(self, plan: EncodingPlan, qubits: Sequence[cirq.Qid]) -> list[cirq.Operation]:
        return [(cirq.ry if i % 2 == 0 else cirq.rz)(s).on(qubits[i // 2]) for i, s in enumerate(plan.feature_symbols)]


@dataclasses.dataclass(frozen=True)
class IQPEncoding(Encoding):
    """The IQP / ZZ feature map (Havlicek et al. 2019): H, RZ(2 x_i), then ZZ phases of the
    products ``(pi - x_i)(pi - x_j)`` on every pair, ``repetitions`` times."""

    repetitions: int = 2

    def product_pairs(self, n_features: int) -> tuple[tuple[int, int], ...]:
        return tuple(itertools.combinations(range(n_features), 2))

    def operations(self, plan: EncodingPlan, qubits: Sequence[cirq.Qid]) -> list[cirq.Operation]:
        x = plan.feature_symbols
        ops: list[cirq.Operation] = []
        for _ in range(self.repetitions):
            ops += [cirq.H(qubits[i]) for i in range(len(x))]
            ops += [cirq.rz(2 * s).on(qubits[i]) for i, s in enumerate(x)]
            for (i, j), z in zip(plan.product_pairs, plan.product_symbols, strict=True):
                # exp(-i z Z_i Z_j) as CNOT . RZ(2z) . CNOT
                ops += [cirq.CNOT(qubits[i], qubits[j]), cirq.rz(2 * z).on(qubits[j]),
                        cirq.CNOT(qubits[i], qubits[j])]
        return ops

    def products(self, plan: EncodingPlan, features: Any, ops: ArrayOps) -> Any:
        # The one place the formula is written: the circuit builders (numpy) and the Keras
        # layer (TensorFlow) compute the same values.
        i, j = np.array(plan.product_pairs, dtype=np.int64).T
        shifted = np.pi - features
        return ops.take(shifted, i) * ops.take(shifted, j)


@dataclasses.dataclass(frozen=True)
class NoEncoding(Encoding):
    """No data: the circuit takes no features."""

    def operations(self, plan: EncodingPlan, qubits: Sequence[cirq.Qid]) -> list[cirq.Operation]:
        return []


ENCODINGS: dict[str, Encoding] = {}


def register_encoding(encoding: Encoding) -> Encoding:
    """Adds an encoding under its name.

    Raises:
        ConfigurationError: for something that is not an :class:`Encoding`, or a name taken
            by a different encoding.
    """
    if not isinstance(encoding, Encoding):
        raise ConfigurationError(f"register_encoding takes an Encoding; got {encoding!r}.")
    old = ENCODINGS.get(encoding.name)
    if old is not None and old != encoding:
        raise ConfigurationError(f"Encoding {encoding.name!r} is already registered ({old.description}).")
    ENCODINGS[encoding.name] = encoding
    return encoding


for _encoding in (
    AngleEncoding("angle_x", 1, "RX(x_i) on qubit i", rotation="rx"),
    AngleEncoding("angle_y", 1, "RY(x_i) on qubit i", rotation="ry"),
    AngleEncoding("angle_z", 1, "H then RZ(x_i) on qubit i", rotation="rz", hadamard_first=True),
    AngleEncoding("angle_y_plus", 1, "H then RY(x_i) on qubit i: <Z> = -sin(x_i), monotone like tanh near 0",
                  rotation="ry", hadamard_first=True),
    DenseAngleEncoding("dense_angle", 2, "RY(x_2i) RZ(x_2i+1) on qubit i"),
    IQPEncoding("iqp", 1, "IQP/ZZ feature map (Havlicek et al. 2019), 2 repetitions"),
    NoEncoding("none", 0, "no data encoding"),
):
    register_encoding(_encoding)
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
    if encoding.features_per_qubit == 0:
        if features:
            raise ConfigurationError(f"Encoding {encoding.name!r} takes no features; got features={features}.")
    elif features < 1:
        raise ConfigurationError(f"Number of features must be >= 1; got {features}.")
    elif features > capacity:
        needed = -(-features // encoding.features_per_qubit)
        raise ConfigurationError(
            f"Encoding {encoding.name!r} with {features} features needs at least {needed} "
            f"qubits; got {n_qubits}."
        )
    feature_symbols = tuple(sympy.Symbol(f"x_{i}") for i in range(features))
    pairs = encoding.product_pairs(features)
    product_symbols = tuple(sympy.Symbol(f"z_{i}_{j}") for i, j in pairs)
    return EncodingPlan(encoding, features, feature_symbols, pairs, product_symbols)


def encoding_operations(plan: EncodingPlan, qubits: Sequence[cirq.Qid]) -> list[cirq.Operation]:
    """The gates that load the data symbols of ``plan`` onto ``qubits``."""
    return plan.encoding.operations(plan, qubits)


def feature_values(plan: EncodingPlan, features: Array) -> FloatArray:
    """Data-symbol values for a batch of features (numpy).

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
    values: FloatArray = plan.encoding.values(plan, features)
    return values
