"""The 19 circuits of Sim, Johnson and Aspuru-Guzik (2019), Fig. 2.

"Expressibility and entangling capability of parameterized quantum circuits for
hybrid quantum-classical algorithms", Adv. Quantum Technol. 2, 1900070 (2019),
arXiv:1905.10876. Registered as ``sim_01`` ... ``sim_19``.

Conventions (qubit 0 is the top wire of the paper's figures; a pair is
``(control, target)``):

* ladder: ``(n-1 -> n-2), ..., (1 -> 0)``, bottom to top (circuits 2-4, 9);
* ring: ``(n-1 -> 0)``, then ``(n-2 -> n-1), ..., (0 -> 1)`` (circuits 13-15 first
  block, 18, 19);
* second ring of circuits 13-15: ``(n-1 -> n-2)``, then ``(0 -> n-1), (1 -> 0), ...,
  (n-2 -> n-3)``: every qubit controls the one above it, cyclically;
* all-to-all (circuits 5, 6): each qubit from the bottom up controls every other
  qubit, targets also from the bottom up, one weight per gate;
* bricks (circuits 7, 8, 11, 12, 16, 17): ``(1 -> 0), (3 -> 2), ...`` then
  ``(2 -> 1), (4 -> 3), ...``; with odd n the last qubit sits out of the first block.

``depth`` is the number of layers L: the whole block is repeated L times. Choices
where the figure leaves things open: circuit 10's first RY layer is applied once
and each layer is the CZ ring followed by RY (so n (L + 1) weights, 8 for n = 4,
L = 1, as in the paper's table); circuits 11 and 12 rotate qubits 1..n-2 in their
middle block. Every circuit fixes its own entanglement; passing another raises.
"""

from __future__ import annotations

from collections.abc import Callable

from qcircuits import Ansatz, AnsatzBuilder
from qcircuits.entanglement import EntanglementSpec
from qcircuits.errors import ConfigurationError
from qcircuits.plugins.registry import register_ansatz
from qcircuits.readouts import ReadoutSpec

Pairs = list[tuple[int, int]]


def ladder(n: int) -> Pairs:
    return [(i + 1, i) for i in reversed(range(n - 1))]


def ring(n: int) -> Pairs:
    if n <= 2:  # two qubits: each controls the other once
        return [(1, 0), (0, 1)] if n == 2 else []
    return [(n - 1, 0)] + [(i, i + 1) for i in reversed(range(n - 1))]


def ring_up(n: int) -> Pairs:
    if n <= 2:
        return [(1, 0), (0, 1)] if n == 2 else []
    return [(n - 1, n - 2)] + [(i, (i - 1) % n) for i in range(n - 1)]


def all_to_all(n: int) -> Pairs:
    return [(c, t) for c in reversed(range(n)) for t in reversed(range(n)) if t != c]


def bricks_first(n: int) -> Pairs:
    return [(i + 1, i) for i in range(0, n - 1, 2)]


def bricks_second(n: int) -> Pairs:
    return [(i + 1, i) for i in range(1, n - 1, 2)]


def _layer(b: AnsatzBuilder, spec: str) -> None:
    """Runs one layer described as ``step;step;...``.

    Steps: ``rx`` ``ry`` ``rz`` ``rxrz`` ``ryrz`` (rotations on every qubit), ``mid:ryrz``
    (rotations on qubits 1..n-2), ``h`` (Hadamards) and ``GATE@PATTERN`` for two-qubit
    gates (GATE in cx, cz, crx, crz; PATTERN in ladder, ring, ring_up, all, bricks1, bricks2).
    """
    n = b.n_qubits
    patterns: dict[str, Callable[[int], Pairs]] = {
        "ladder": ladder, "ring": ring, "ring_up": ring_up, "all": all_to_all,
        "bricks1": bricks_first, "bricks2": bricks_second}
    for step in spec.split(";"):
        if "@" in step:
            gate, pattern = step.split("@")
            b.entangle(gate, pairs=patterns[pattern](n))
        elif step == "h":
            b.hadamards()
        elif step.startswith("mid:"):
            b.rotations(_split(step[4:]), on=range(1, n - 1))
        else:
            b.rotations(_split(step))


def _split(rotations: str) -> tuple[str, ...]:
    return tuple(rotations[i:i + 2] for i in range(0, len(rotations), 2))


# circuit number -> (layer recipe, one-line description, weights as a function of (n, L))
SIM_CIRCUITS: dict[int, tuple[str, str, Callable[[int, int], int]]] = {
    1: ("rxrz", "RX RZ on every qubit, no entanglement", lambda n, L: 2 * n * L),
    2: ("rxrz;cx@ladder", "RX RZ, CNOT ladder", lambda n, L: 2 * n * L),
    3: ("rxrz;crz@ladder", "RX RZ, CRZ ladder", lambda n, L: (3 * n - 1) * L),
    4: ("rxrz;crx@ladder", "RX RZ, CRX ladder", lambda n, L: (3 * n - 1) * L),
    5: ("rxrz;crz@all;rxrz", "RX RZ, all-to-all CRZ, RX RZ", lambda n, L: (4 * n + n * (n - 1)) * L),
    6: ("rxrz;crx@all;rxrz", "RX RZ, all-to-all CRX, RX RZ", lambda n, L: (4 * n + n * (n - 1)) * L),
    7: ("rxrz;crz@bricks1;rxrz;crz@bricks2", "RX RZ, CRZ bricks, RX RZ, shifted CRZ bricks",
        lambda n, L: (4 * n + n - 1) * L),
    8: ("rxrz;crx@bricks1;rxrz;crx@bricks2", "RX RZ, CRX bricks, RX RZ, shifted CRX bricks",
        lambda n, L: (4 * n + n - 1) * L),
    9: ("h;cz@ladder;rx", "H, CZ ladder, RX", lambda n, L: n * L),
    10: ("cz@ring;ry", "RY, then per layer a CZ ring and RY", lambda n, L: n * (L + 1)),
    11: ("ryrz;cx@bricks1;mid:ryrz;cx@bricks2", "RY RZ, CNOT bricks, RY RZ inside, shifted CNOT bricks",
         lambda n, L: (4 * n - 4) * L),
    12: ("ryrz;cz@bricks1;mid:ryrz;cz@bricks2", "RY RZ, CZ bricks, RY RZ inside, shifted CZ bricks",
         lambda n, L: (4 * n - 4) * L),
    13: ("ry;crz@ring;ry;crz@ring_up", "RY, CRZ ring, RY, reverse CRZ ring", lambda n, L: 4 * n * L),
    14: ("ry;crx@ring;ry;crx@ring_up", "RY, CRX ring, RY, reverse CRX ring", lambda n, L: 4 * n * L),
    15: ("ry;cx@ring;ry;cx@ring_up", "RY, CNOT ring, RY, reverse CNOT ring", lambda n, L: 2 * n * L),
    16: ("rxrz;crz@bricks1;crz@bricks2", "RX RZ, CRZ bricks, shifted CRZ bricks", lambda n, L: (3 * n - 1) * L),
    17: ("rxrz;crx@bricks1;crx@bricks2", "RX RZ, CRX bricks, shifted CRX bricks", lambda n, L: (3 * n - 1) * L),
    18: ("rxrz;crz@ring", "RX RZ, CRZ ring", lambda n, L: 3 * n * L),
    19: ("rxrz;crx@ring", "RX RZ, CRX ring", lambda n, L: 3 * n * L),
}


def _make_family(number: int) -> Callable[..., Ansatz]:
    recipe, summary, count = SIM_CIRCUITS[number]
    name = f"sim_{number:02d}"
    min_qubits = 1 if number == 1 else (3 if number in (11, 12) else 2)

    def factory(qubits: int = 4, depth: int = 1, *, entanglement: EntanglementSpec | None = None,
                encoding: str = "angle_y",
                features: int | None = None, reupload: bool = False, readout: ReadoutSpec = None) -> Ansatz:
        if entanglement not in (None, "paper"):
            raise ConfigurationError(f"{name} fixes its entanglement to the paper's; got {entanglement!r}.")
        b = AnsatzBuilder(name, qubits, depth, entanglement=None, fixed_entanglement="paper",
                          encoding=encoding, features=features, reupload=reupload, min_qubits=min_qubits)
        if number == 10:
            b.encode(0)
            b.rotations(("ry",))
        for layer in range(b.depth):
            if number != 10 or layer:
                b.encode(layer)
            _layer(b, recipe)
        return b.build(readout)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = (f"Sim et al. (2019) circuit {number}: {summary}.\n\n"
                       "See qcircuits/plugins/builtin/sim_circuits.py for gate order and directions.")
    register_ansatz(name, shape=lambda qubits=4, depth=1, **_: count(qubits, depth))(factory)
    return factory


for _number in SIM_CIRCUITS:
    globals()[f"sim_{_number:02d}"] = _make_family(_number)
