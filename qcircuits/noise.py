"""Noise, described once: channels after every gate and readout error, from a short spec or a Cirq model.

A spec is comma-separated ``channel:probability`` items::

    depolarize:0.01
    depolarize:0.01,amplitude_damp:0.005,readout:0.02
    two_qubit_depolarize:0.02

Every channel except ``readout`` is placed **after every gate**, on the qubits that gate
touched (``two_qubit_depolarize``: after every gate on exactly two qubits, on that pair).
Idle qubits get no noise. Cirq's per-moment models (``cirq.ConstantQubitNoiseModel``,
``circuit.with_noise``) instead put a channel on *every* qubit after *every moment*,
idle or not; give such a model as ``noise=`` when that is what you want
(:class:`CirqNoise`). ``readout:p`` flips each measured bit with probability ``p``: on
exact expectations that is the factor ``(1 - 2p)`` per qubit a readout measures.

A probability of 0 is no channel at all: a spec whose probabilities are all 0 is
noiseless, and simulators then give exactly the noiseless numbers.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Sequence
from typing import Any

import cirq
import numpy as np

from qcircuits.errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class ChannelKind:
    """A channel a spec can name.

    Attributes:
        name: its name in specs.
        make: the Cirq channel for a probability.
        two_qubit: placed after two-qubit gates, on the pair (else on each qubit a gate touches).
        pauli: a mixture of Pauli operators (trajectories sample them).
        description: one line for help texts.
    """

    name: str
    make: Callable[[float], cirq.Gate]
    two_qubit: bool
    pauli: bool
    description: str


CHANNELS: dict[str, ChannelKind] = {kind.name: kind for kind in (
    ChannelKind("depolarize", cirq.depolarize, False, True, "X, Y or Z, each with probability p/3"),
    ChannelKind("bit_flip", cirq.bit_flip, False, True, "X with probability p"),
    ChannelKind("phase_flip", cirq.phase_flip, False, True, "Z with probability p"),
    ChannelKind("amplitude_damp", cirq.amplitude_damp, False, False, "decay |1> -> |0> with probability p (T1)"),
    ChannelKind("phase_damp", cirq.phase_damp, False, False, "loss of phase with probability p (T2)"),
    ChannelKind("two_qubit_depolarize", lambda p: cirq.depolarize(p, n_qubits=2), True, True,
                "one of the 15 non-identity two-qubit Paulis, each with p/15, after two-qubit gates"),
)}
READOUT = "readout"
NAMES = (*CHANNELS, READOUT)


def _probability(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigurationError(f"noise {name}:{text}: the probability {text!r} is not a number; "
                                 "expected a number from 0 to 1.") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ConfigurationError(f"noise {name}:{text}: the probability must be from 0 to 1; got {value}.")
    return value


@dataclasses.dataclass(frozen=True)
class NoiseSpec:
    """Channels after every gate and a readout error: what ``--noise`` describes.

    Attributes:
        channels: ``(name, probability)`` in the order given (applied in that order after each gate).
        readout: probability that a measured bit flips.
    """

    channels: tuple[tuple[str, float], ...] = ()
    readout: float = 0.0

    @classmethod
    def parse(cls, text: str) -> NoiseSpec:
        """A spec from ``"name:p,name:p"`` (``""`` or ``"none"``: no noise).

        Raises:
            ConfigurationError: one line naming the bad item (an unknown channel gets the
                closest name), a probability outside [0, 1] or NaN, or a repeated channel.
        """
        if not isinstance(text, str):
            raise ConfigurationError(f"noise must be a spec such as 'depolarize:0.01'; got {text!r}.")
        stripped = text.strip()
        if stripped.lower() in ("", "none"):
            return cls()
        channels: list[tuple[str, float]] = []
        readout = None
        for item in stripped.split(","):
            name, colon, value = (part.strip() for part in item.partition(":"))
            if not colon or not name or not value:
                raise ConfigurationError(
                    f"noise {text!r}: item {item.strip()!r} is not 'channel:probability' "
                    "(e.g. 'depolarize:0.01,readout:0.02').")
            if name not in NAMES:
                close = difflib.get_close_matches(name, NAMES, n=1, cutoff=0.5)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ConfigurationError(f"noise {text!r}: unknown channel {name!r}; {hint}expected one of "
                                         f"{', '.join(NAMES)}.")
            p = _probability(name, value)
            if name == READOUT and readout is None:
                readout = p
            elif name == READOUT or any(name == other for other, _ in channels):
                raise ConfigurationError(f"noise {text!r}: channel {name!r} is given twice.")
            else:
                channels.append((name, p))
        return cls(tuple(channels), readout or 0.0)

    def __str__(self) -> str:
        items = [f"{name}:{p:g}" for name, p in self.channels]
        if self.readout:
            items.append(f"{READOUT}:{self.readout:g}")
        return ",".join(items) or "none"

    @property
    def is_noiseless(self) -> bool:
        """No channel with a probability above 0 and no readout error."""
        return not self.readout and not any(p for _, p in self.channels)

    @property
    def has_channels(self) -> bool:
        """Some channel acts on the state (not only readout error)."""
        return any(p for _, p in self.channels)

    @property
    def pauli_only(self) -> bool:
        """Every channel with a probability above 0 is a Pauli mixture (trajectories can sample it)."""
        return all(CHANNELS[name].pauli for name, p in self.channels if p)

    def noisy_circuit(self, circuit: cirq.AbstractCircuit) -> cirq.Circuit:
        """``circuit`` with this spec's channels after every gate (readout error is not a channel)."""
        active = [(CHANNELS[name], p) for name, p in self.channels if p]
        if not active:
            return cirq.Circuit(circuit.all_operations())
        operations: list[cirq.Operation] = []
        for op in circuit.all_operations():
            operations.append(op)
            if isinstance(op.gate, cirq.IdentityGate) or not op.qubits:
                continue
            for kind, p in active:
                if kind.two_qubit:
                    if len(op.qubits) == 2:
                        operations.append(kind.make(p).on(*op.qubits))
                else:
                    operations.extend(kind.make(p).on(q) for q in op.qubits)
        return cirq.Circuit(operations)

    def readout_factors(self, readouts: Sequence[cirq.PauliString[Any]]) -> np.ndarray[Any, Any]:
        """``(1 - 2p)^w`` per readout, ``w`` the number of qubits it measures: exact expectations
        under readout error."""
        return np.array([(1.0 - 2.0 * self.readout) ** len(r) for r in readouts])


@dataclasses.dataclass(frozen=True)
class CirqNoise:
    """A ``cirq.NoiseModel`` as given (its own placement: per moment for Cirq's constant models)."""

    model: cirq.NoiseModel
    readout: float = 0.0

    def __str__(self) -> str:
        return f"cirq:{self.model!r}"

    is_noiseless = False
    has_channels = True

    @property
    def pauli_only(self) -> bool:
        return False

    def noisy_circuit(self, circuit: cirq.AbstractCircuit) -> cirq.Circuit:
        return cirq.Circuit(circuit.unfreeze(copy=True) if isinstance(circuit, cirq.FrozenCircuit) else circuit
                            ).with_noise(self.model)

    def readout_factors(self, readouts: Sequence[cirq.PauliString[Any]]) -> np.ndarray[Any, Any]:
        return np.ones(len(readouts))


Noise = NoiseSpec | CirqNoise


def as_noise(value: Any) -> Noise:
    """``noise=`` as given by a user: None, a spec string, a :class:`NoiseSpec`, or a ``cirq.NoiseModel``.

    Raises:
        ConfigurationError: for anything else, or a bad spec.
    """
    if value is None:
        return NoiseSpec()
    if isinstance(value, NoiseSpec | CirqNoise):
        return value
    if isinstance(value, str):
        return NoiseSpec.parse(value)
    if isinstance(value, cirq.NoiseModel):
        return CirqNoise(value)
    if isinstance(value, dict) and set(value) == {"cirq_json"}:  # noise_config's form of a Cirq model
        return CirqNoise(cirq.read_json(json_text=value["cirq_json"]))
    raise ConfigurationError(f"noise must be a spec such as 'depolarize:0.01', a cirq.NoiseModel or None; "
                             f"got {value!r}.")


def has_channels(circuit: cirq.AbstractCircuit) -> bool:
    """True when an operation is a channel (no unitary): the circuit needs a mixed-state simulation."""
    return any(not cirq.is_parameterized(op) and not cirq.has_unitary(op) and cirq.has_kraus(op)
               for op in circuit.all_operations())


def noise_text(value: Any) -> str:
    """How ``noise=`` is recorded (reports, run configs, sweep trials): the canonical spec."""
    return str(as_noise(value))


def noise_config(noise: Noise) -> str | dict[str, str] | None:
    """A JSON-friendly form of ``noise`` that :func:`as_noise` reads back (saved layers, run configs)."""
    if isinstance(noise, CirqNoise):
        return {"cirq_json": cirq.to_json(noise.model)}
    return None if noise.is_noiseless else str(noise)
