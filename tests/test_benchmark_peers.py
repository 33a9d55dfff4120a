"""benchmarks/peers: the gate list the peers rebuild means the same circuit as ours."""

import cirq
import numpy as np
import pytest

import plugins
from benchmarks.peers import export_circuit

# What each exported name means, as the peers' own gates do (TensorCircuit's and PennyLane's conventions:
# R(theta) = exp(-i theta P / 2), a controlled rotation's control first).
ROTATIONS = {"rx": cirq.rx, "ry": cirq.ry, "rz": cirq.rz}
FIXED = {"cnot": cirq.CNOT, "cz": cirq.CZ, "h": cirq.H}


def rebuilt(spec: dict, x: np.ndarray, w: np.ndarray) -> tuple[cirq.Circuit, list[cirq.LineQubit]]:
    """The circuit a peer builds from ``spec`` for one sample, with numbers for every angle."""
    qubits = cirq.LineQubit.range(spec["qubits"])
    circuit = cirq.Circuit()
    for gate in spec["gates"]:
        on = [qubits[i] for i in gate["qubits"]]
        name = gate["gate"]
        if name in FIXED:
            circuit.append(FIXED[name].on(*on))
            continue
        kind, index, coefficient = gate["param"]
        theta = (x if kind == "x" else w)[index] * coefficient
        rotation = ROTATIONS[name.removeprefix("c")](theta)
        circuit.append(rotation.controlled().on(*on) if name.startswith("c") else rotation.on(*on))
    return circuit, qubits


@pytest.mark.parametrize("name", plugins.list_ansatze())
def test_every_family_exports_to_a_gate_list_that_gives_its_expectations(name):
    ansatz = plugins.create(name, qubits=3, depth=2)
    readout_qubits = [next(iter(readout.keys())) for readout in ansatz.readouts]
    spec = export_circuit(ansatz.circuit, ansatz.qubits, ansatz.data_symbols, ansatz.weight_symbols, readout_qubits)
    rng = np.random.default_rng(0)
    x, w = rng.uniform(0, np.pi, ansatz.n_features), rng.uniform(0, 2 * np.pi, ansatz.n_weights)
    values = ansatz.parameter_values(x[None], w)[0]  # the data symbols' values first, then the weights
    resolver = dict(zip(ansatz.symbols, values, strict=True))
    ours = cirq.final_state_vector(cirq.resolve_parameters(ansatz.circuit, resolver), qubit_order=ansatz.qubits)
    theirs_circuit, qubits = rebuilt(spec, values[:ansatz.n_data_symbols], values[ansatz.n_data_symbols:])
    theirs = cirq.final_state_vector(theirs_circuit, qubit_order=qubits)
    # The same state up to a global phase: every readout agrees.
    assert abs(np.vdot(ours, theirs)) == pytest.approx(1, abs=1e-5)
    assert spec["readouts"] == [list(ansatz.qubits).index(q) for q in readout_qubits]


def test_a_gate_the_peers_are_not_taught_is_refused_by_name():
    a, b = cirq.LineQubit.range(2)
    for op in (cirq.ISWAP(a, b), cirq.rx(0.3).controlled(control_values=[0]).on(a, b)):
        with pytest.raises(ValueError, match="not taught"):
            export_circuit(cirq.Circuit(op), [a, b], (), (), [a])
