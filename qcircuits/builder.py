"""A small builder that ansatz families use to assemble circuits.

It validates the common arguments once (qubits, depth, entanglement,
encoding), mints weight symbols in creation order, and returns an
:class:`~qcircuits.ansatz.Ansatz`. Families stay short: a loop over layers
calling :meth:`AnsatzBuilder.encode`, :meth:`AnsatzBuilder.rotations` and
:meth:`AnsatzBuilder.entangle`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import cirq
import numpy as np
import sympy

from qcircuits.ansatz import Ansatz
from qcircuits.encodings import EncodingPlan, encoding_operations, plan_encoding
from qcircuits.entanglement import EntanglementSpec, describe, entangling_pairs, validate_entanglement
from qcircuits.errors import ConfigurationError
from qcircuits.readouts import ReadoutSpec, build_readouts
from qcircuits.validation import MAX_DEPTH, MAX_QUBITS, check_int

ROTATIONS: dict[str, Callable[[Any], cirq.Gate]] = {"rx": cirq.rx, "ry": cirq.ry, "rz": cirq.rz}
ENTANGLERS: dict[str, cirq.Gate] = {"cx": cirq.CNOT, "cz": cirq.CZ}
# Parameterised two-qubit gates: each one gets its own weight, and each is the identity at angle 0.
CONTROLLED_ROTATIONS: dict[str, Callable[[Any], cirq.Gate]] = {
    "crx": lambda angle: cirq.rx(angle).controlled(),
    "cry": lambda angle: cirq.ry(angle).controlled(),
    "crz": lambda angle: cirq.rz(angle).controlled(),
}
PARAMETRISED_ENTANGLERS: dict[str, Callable[[Any], cirq.Gate]] = {
    **CONTROLLED_ROTATIONS,
    # exp(-i angle/2 Z Z), the Ising coupling
    "rzz": lambda angle: cirq.ZZPowGate(exponent=angle / np.pi, global_shift=-0.5),
}
ENTANGLER_NAMES = tuple(ENTANGLERS) + tuple(PARAMETRISED_ENTANGLERS)


def check_entangler(gate: object) -> str:
    """Returns ``gate`` if it names a two-qubit entangler.

    Raises:
        ConfigurationError: naming the value and the entanglers there are.
    """
    if not isinstance(gate, str) or gate not in ENTANGLER_NAMES:
        raise ConfigurationError(f"Unknown entangler {gate!r}; expected one of {', '.join(ENTANGLER_NAMES)}.")
    return gate


PER_LAYER = "per_layer"


def check_reupload(reupload: object) -> bool | str:
    """Returns ``reupload`` if it is ``True``, ``False`` or ``"per_layer"``.

    Raises:
        ConfigurationError: naming the value and the choices.
    """
    if isinstance(reupload, (bool, np.bool_)):
        return bool(reupload)
    if reupload == PER_LAYER:
        return PER_LAYER
    raise ConfigurationError(f"reupload must be True, False or {PER_LAYER!r}; got {reupload!r}.")


def per_layer_plans(plan: EncodingPlan, depth: int) -> list[EncodingPlan]:
    """``plan`` once per layer, layer ``l`` on features ``x_{l*n} ... x_{l*n+n-1}``.

    Raises:
        ConfigurationError: for an encoding with product symbols (IQP), whose products would
            also need a copy per layer.
    """
    if plan.product_pairs or not plan.n_features:
        raise ConfigurationError(f"reupload={PER_LAYER!r} needs an encoding of the features alone "
                                 f"(angle or dense_angle); got {plan.encoding.name!r}.")
    n = plan.n_features
    return [dataclasses.replace(plan, feature_symbols=tuple(sympy.Symbol(f"x_{layer * n + i}") for i in range(n)))
            for layer in range(depth)]


class AnsatzBuilder:
    """Collects operations and weight symbols for one ansatz.

    Args:
        family: registry name of the family.
        qubits: number of qubits (>= ``min_qubits``).
        depth: number of variational layers (>= 1).
        entanglement: pattern name or explicit pairs; ``None`` when the family
            fixes its own (then ``fixed_entanglement`` names it).
        encoding: data encoding name.
        features: number of input features (default: the encoding's capacity).
        reupload: ``False`` (encode once), ``True`` (the same features before every layer),
            or ``"per_layer"`` (before every layer, each layer its own features: the ansatz
            takes ``depth`` times as many, layer by layer, so a model can scale or shift the
            data per layer, Perez-Salinas et al. 2020; Schuld et al. 2021).
        min_qubits: the family's smallest qubit count.
        max_depth: the family's largest depth, if bounded.
        fixed_entanglement: description used when ``entanglement`` is ``None``.
    """

    def __init__(
        self,
        family: str,
        qubits: int,
        depth: int,
        *,
        entanglement: EntanglementSpec | None,
        encoding: str = "angle_y",
        features: int | None = None,
        reupload: bool | str = False,
        min_qubits: int = 1,
        max_depth: int | None = None,
        fixed_entanglement: str | None = None,
    ):
        self.family = family
        self.n_qubits = check_int("qubits", qubits, minimum=min_qubits, maximum=MAX_QUBITS)
        self.depth = check_int("depth", depth, minimum=1, maximum=min(max_depth or MAX_DEPTH, MAX_DEPTH))
        self.qubits = tuple(cirq.LineQubit.range(self.n_qubits))
        if entanglement is None:
            self.entanglement = None
            self.entanglement_name = fixed_entanglement or "none"
        else:
            self.entanglement = validate_entanglement(entanglement, self.n_qubits)
            self.entanglement_name = describe(self.entanglement)
        self.plan = plan_encoding(encoding, self.n_qubits, features)
        self.reupload = check_reupload(reupload)
        self.layer_plans = [self.plan]
        if self.reupload == PER_LAYER:
            self.layer_plans = per_layer_plans(self.plan, self.depth)
            symbols = tuple(s for layer_plan in self.layer_plans for s in layer_plan.feature_symbols)
            self.plan = dataclasses.replace(self.plan, n_features=len(symbols), feature_symbols=symbols)
        self.operations: list[cirq.Operation] = []
        self.weights: list[sympy.Symbol] = []
        self.options: dict[str, Any] = {
            "qubits": self.n_qubits,
            "depth": self.depth,
            "encoding": self.plan.encoding.name,
            "features": self.layer_plans[0].n_features,  # per layer: what rebuilds it
            "reupload": self.reupload,
        }
        if self.entanglement is not None:
            self.options["entanglement"] = (
                self.entanglement if isinstance(self.entanglement, str)
                else [list(p) for p in self.entanglement]
            )

    def weight(self) -> sympy.Symbol:
        """A fresh trainable symbol ``theta_k``."""
        symbol = sympy.Symbol(f"theta_{len(self.weights)}")
        self.weights.append(symbol)
        return symbol

    def encode(self, layer: int = 0) -> None:
        """Adds the data encoding: always before layer 0, before every layer if re-uploading.

        Raises:
            ConfigurationError: for a layer outside ``range(depth)``.
        """
        check_int("encoding layer", layer, minimum=0, maximum=self.depth - 1)
        if layer == 0 or self.reupload:
            plan = self.layer_plans[layer] if self.reupload == PER_LAYER else self.plan
            self.operations += encoding_operations(plan, self.qubits)

    def rotations(self, gates: Sequence[str], on: Sequence[int] | None = None) -> None:
        """Adds trainable single-qubit rotations, ``gates`` in order on each qubit."""
        for index in range(self.n_qubits) if on is None else on:
            for name in gates:
                self.operations.append(ROTATIONS[name](self.weight()).on(self.qubits[index]))

    def entangle(self, gate: str = "cx", layer: int = 0,
                 pairs: Sequence[tuple[int, int]] | None = None) -> None:
        """Adds two-qubit gates on the layer's pairs (the builder's pattern by default).

        ``gate`` is ``cx`` or ``cz``, or a parametrised entangler (``crx``/``cry``/``crz``
        controlled rotations, or the ``rzz`` Ising coupling) with a fresh weight per gate;
        the first index of a pair is the control.
        """
        check_entangler(gate)
        if pairs is None:
            if self.entanglement is None:
                raise ConfigurationError(f"{self.family} fixes its own entanglement; pass the pairs to entangle().")
            pairs = entangling_pairs(self.entanglement, self.n_qubits, layer)
        for control, target in pairs:
            c, t = self.qubits[control], self.qubits[target]
            if gate in PARAMETRISED_ENTANGLERS:
                self.operations.append(PARAMETRISED_ENTANGLERS[gate](self.weight()).on(c, t))
            else:
                self.operations.append(ENTANGLERS[gate](c, t))

    def hadamards(self) -> None:
        """Adds a Hadamard on every qubit."""
        self.operations += [cirq.H(q) for q in self.qubits]

    def build(self, readout: ReadoutSpec = None) -> Ansatz:
        """The finished ansatz, with readouts (Z on every qubit by default)."""
        readouts = build_readouts(readout, self.qubits)  # validates before anything is recorded
        if self.reupload == PER_LAYER:  # a family that encodes fewer layers would leave features unread
            used = cirq.parameter_symbols(cirq.Circuit(self.operations))
            if not set(self.plan.feature_symbols) <= used:
                raise ConfigurationError(f"{self.family} does not encode before every layer; it cannot take "
                                         "reupload='per_layer'.")
        if readout is not None:
            self.options["readout"] = readout if isinstance(readout, str) else list(readout)
        return Ansatz(
            family=self.family,
            circuit=cirq.Circuit(self.operations),
            qubits=self.qubits,
            encoding=self.plan,
            weight_symbols=tuple(self.weights),
            readouts=readouts,
            depth=self.depth,
            entanglement=self.entanglement_name,
            reupload=self.reupload,
            options=dict(self.options),
        )
