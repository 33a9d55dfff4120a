"""The measured defaults of a NER run, and the ``auto`` values that depend on the ansatz.

Chosen by the comparison in ``docs/ner_heads.md`` (frozen MiniLM, CoNLL-2003 dev, 3 to 5
seeds): the dressed circuit (``pi/2 tanh`` angles, a Hadamard then RY, so each readout
starts monotone like a tanh unit) that starts as the identity recovered the 8 F1 points
by which the plain head (unbounded angles into RY on |0>, uniform weights, CNOT ladders)
trailed its classical twin; the sum of the encoder's last four layers lifted every head,
and layer normalisation of the projection (frozen encoder) lifted the quantum head and its
twin alike. Whether a circuit *can* start as the identity depends on its gates, so two options
are ``auto``:

* ``entangler="auto"``: ``cry`` (parametrised, the identity at 0) where the family takes
  an ``entangler`` option (``hardware_efficient``); the family's own gates elsewhere. Not
  ``crz``: from the identity start, H and RY leave the state real, and with Z readouts the
  derivative of a CRZ (or RZ) angle at 0 is then exactly 0, so CRZ weights never move and
  the circuit stays separable (bit-identical to the ablation without entanglers); CRY is
  real too, and trains. It scored 0.2 points under CRZ, inside one std over 5 seeds.
* ``init="auto"``: ``zeros`` where every gate of the circuit is the identity at zero
  weights (identity-block initialisation, Grant et al. 2019); ``small`` (uniform in
  [-0.1, 0.1]) where fixed gates such as CNOTs make that impossible (it measured the
  same mean as uniform [0, 2 pi) with an eighth of the spread over seeds).

Runs saved before these defaults existed load with :data:`LEGACY_DEFAULTS`.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

AUTO = "auto"
IDENTITY_ENTANGLER = "cry"

# What an option meant when a run's config.json did not record it (runs made before it existed).
LEGACY_DEFAULTS: dict[str, Any] = {"ansatz": "strongly_entangling", "encoding": "angle_y", "scaling": "linear",
                                   "init": "uniform", "entangler": None, "encoder_features": "last"}


def resolve_entangler(ansatz: str, entangler: str | None) -> str | None:
    """The entangler a run uses: ``entangler`` itself, or for ``auto`` the measured choice.

    Args:
        ansatz: a registered ansatz name.
        entangler: ``auto``, an entangler name, or None (the family's own gates).

    Returns:
        ``cry`` for ``auto`` when the family takes an ``entangler`` option, else None.
    """
    if entangler != AUTO:
        return entangler
    from qcircuits import plugins

    factory = plugins.get(ansatz).factory
    if factory is None:  # not loadable: the ansatz check names why
        return None
    return IDENTITY_ENTANGLER if "entangler" in inspect.signature(factory).parameters else None


def resolve_init(init: str, ansatz: str, qubits: int, ansatz_options: dict[str, Any]) -> str:
    """The circuit initialisation a run uses: ``init`` itself, or for ``auto`` ``zeros`` where
    the circuit then starts as the identity and ``small`` where it cannot.

    Args:
        init: ``auto`` or one of ``uniform``, ``small``, ``zeros``.
        ansatz: a registered ansatz name.
        qubits: its width.
        ansatz_options: its other options (depth, entanglement, entangler, ...); the data
            encoding is left out, since the question is about the trainable gates.
    """
    if init != AUTO:
        return init
    options = {k: v for k, v in ansatz_options.items() if k not in ("encoding", "reupload", "readout")}
    return "zeros" if _identity_at_zero(ansatz, qubits, tuple(sorted(options.items()))) else "small"


@functools.lru_cache(maxsize=64)
def _identity_at_zero(ansatz: str, qubits: int, options: tuple[tuple[str, Any], ...]) -> bool:
    """Whether every gate of the ansatz (built without a data encoding) is the identity, up to
    a global phase, when every weight is 0."""
    import cirq
    import numpy as np

    from qcircuits import plugins

    built = plugins.create(ansatz, qubits=qubits, encoding="none", **dict(options))
    zeros = cirq.ParamResolver({symbol: 0.0 for symbol in built.weight_symbols})
    for op in built.circuit.all_operations():
        resolved = cirq.resolve_parameters(op, zeros)
        if not cirq.has_unitary(resolved):
            return False
        unitary = cirq.unitary(resolved)
        if not cirq.equal_up_to_global_phase(unitary, np.eye(unitary.shape[0]), atol=1e-9):
            return False
    return True


def resolve_encoder_features(features: str | None, fine_tune: bool) -> str:
    """``features`` as given, else the measured default: the sum of the last four layers for a
    frozen encoder, the last layer when it is fine-tuned (the head then reads what is trained)."""
    if features is not None:
        return features
    return "last" if fine_tune else "sum4"


def resolve_scaling(scaling: str | None, fine_tune: bool) -> str:
    """``scaling`` as given, else the measured default: layer normalisation, then ``pi/2 tanh``
    for a frozen encoder (it lifted the quantum head and its twin alike, by 3 to 4 points on
    the sum of four layers); ``pi/2 tanh`` with ``--fine-tune``, where layer normalisation
    was not measured."""
    if scaling is not None:
        return scaling
    return "tanh" if fine_tune else "layernorm"
