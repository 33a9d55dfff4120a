"""Benchmark-only peers: TensorCircuit-ng and PennyLane, each in its own virtual environment.

They are never dependencies of the project. ``bash benchmarks/peers/setup.sh`` makes the
environments under ``.peers/`` (ignored by git); a benchmark run with ``--peers`` uses the ones
that exist and says which are missing. Each peer runs in its own process
(:mod:`benchmarks.peers.worker`) on the same circuit, inputs and weights as ours, exported
here gate by gate; the caller checks agreement first and then interleaves timed calls.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import cirq
import numpy as np
import sympy

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ROOT / ".peers"
WORKER = Path(__file__).with_name("worker.py")
# framework -> the environment that runs it
PEERS = {"tensorcircuit": "tensorcircuit", "pennylane": "pennylane", "pennylane-mixed": "pennylane"}
ROTATIONS = {cirq.Rx: "rx", cirq.Ry: "ry", cirq.Rz: "rz"}
FIXED_GATES = {cirq.CNOT: "cnot", cirq.CZ: "cz", cirq.H: "h"}
CHANNELS = {cirq.DepolarizingChannel: ("depolarize", "p"), cirq.AmplitudeDampingChannel: ("amplitude_damp", "gamma"),
            cirq.PhaseDampingChannel: ("phase_damp", "gamma"), cirq.BitFlipChannel: ("bit_flip", "p"),
            cirq.PhaseFlipChannel: ("phase_flip", "p")}


def python_of(framework: str) -> Path | None:
    """The peer environment's interpreter, or None when it has not been set up."""
    python = ENVIRONMENTS / PEERS[framework] / "bin" / "python"
    return python if python.exists() else None


def export_circuit(circuit: cirq.AbstractCircuit, qubits, data_symbols, weight_symbols, readout_qubits) -> dict:
    """The circuit as a gate list a peer can rebuild: rotations ``number * symbol`` (also controlled by one
    qubit: ``crx``, ``cry``, ``crz``, control first), CNOT, CZ, H, channels.

    Raises:
        ValueError: for a gate the peers are not taught (the benchmark circuits use only these).
    """
    index = {q: i for i, q in enumerate(qubits)}
    where = {s: ("x", i) for i, s in enumerate(data_symbols)} | {s: ("w", i) for i, s in enumerate(weight_symbols)}
    gates = []
    for op in circuit.all_operations():
        on = [index[q] for q in op.qubits]
        gate = op.gate
        # A rotation controlled by one qubit (the sim_* families' CRX and CRZ): "c" + its name, control first.
        controlled = isinstance(gate, cirq.ControlledGate) and gate.num_controls() == 1 and \
            type(gate.sub_gate) in ROTATIONS and gate.control_values == cirq.ProductOfSums(((1,),))
        rotation = gate.sub_gate if controlled else gate
        if type(rotation) in ROTATIONS:
            rads = sympy.sympify(rotation.exponent * sympy.pi)
            (symbol,) = rads.free_symbols
            gates.append({"gate": "c" * controlled + ROTATIONS[type(rotation)], "qubits": on,
                          "param": [*where[symbol], float(rads / symbol)]})
        elif fixed := [name for known, name in FIXED_GATES.items() if gate == known]:
            gates.append({"gate": fixed[0], "qubits": on})
        elif type(gate) in CHANNELS:
            name, attribute = CHANNELS[type(gate)]
            gates.append({"gate": name, "qubits": on, "p": float(getattr(gate, attribute))})
        else:
            raise ValueError(f"the peers are not taught {op!r}")
    return {"qubits": len(qubits), "gates": gates, "readouts": [index[q] for q in readout_qubits]}


class Peer:
    """A running peer process: ``call("forward")`` runs one timed call in it and returns when done.

    Args:
        framework: ``tensorcircuit``, ``pennylane`` or ``pennylane-mixed``.
        spec: from :func:`export_circuit`.
        x, w: inputs ``[batch, features]`` and weights.
    """

    def __init__(self, framework: str, spec: dict, x: np.ndarray, w: np.ndarray):
        python = python_of(framework)
        if python is None:
            raise FileNotFoundError(f"{framework}: no environment at {ENVIRONMENTS / PEERS[framework]}; "
                                    "run bash benchmarks/peers/setup.sh")
        self.framework = framework
        self._directory = tempfile.TemporaryDirectory()
        arrays = Path(self._directory.name) / "arrays.npz"
        np.savez(arrays, x=np.asarray(x, np.float32), w=np.asarray(w, np.float32))
        spec_path = Path(self._directory.name) / "spec.json"
        spec_path.write_text(json.dumps({**spec, "arrays": str(arrays)}))
        self.process = subprocess.Popen([str(python), str(WORKER), framework, str(spec_path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        hello = self._reply()
        self.version, self.jax_version = hello["version"], hello["jax"]
        self.outputs = np.asarray(hello["outputs"])
        self.compile_seconds = hello["compile_seconds"]
        self.last_seconds = float("nan")

    def _reply(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.framework} peer exited with code {self.process.wait()}")
        return json.loads(line)

    def call(self, command: str) -> float:
        """One timed call of ``forward`` or ``forward_gradient`` in the peer; its own seconds."""
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        self.last_seconds = self._reply()["seconds"]
        return self.last_seconds

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=60)
        self._directory.cleanup()


def layer_spec(layer, noisy_circuit: cirq.AbstractCircuit | None = None) -> dict:
    """:func:`export_circuit` of a :class:`sims.layers.QuantumLayer`'s ansatz (single-qubit Z readouts)."""
    ansatz = layer.ansatz
    readout_qubits = []
    for readout in ansatz.readouts:
        (qubit, pauli), = readout.items()
        if pauli != cirq.Z:
            raise ValueError(f"the peers read single-qubit Z only; got {readout}")
        readout_qubits.append(qubit)
    n_data = ansatz.n_data_symbols
    return export_circuit(noisy_circuit or ansatz.circuit, ansatz.qubits, ansatz.symbols[:n_data],
                          ansatz.symbols[n_data:], readout_qubits)


def start_peers(layer, x, frameworks, reference: np.ndarray, tolerance: float = 1e-4,
                noisy_circuit: cirq.AbstractCircuit | None = None) -> dict[str, Peer]:
    """Starts each available peer on ``layer``'s circuit, ``x`` and weights; checks it agrees with ``reference``.

    Missing environments, and peers that die while starting (e.g. killed for memory), are skipped with a line
    saying so.
    """
    spec = layer_spec(layer, noisy_circuit)
    peers = {}
    for framework in frameworks:
        if python_of(framework) is None:
            print(f"  peer {framework}: not set up (bash benchmarks/peers/setup.sh); skipped", flush=True)
            continue
        try:
            peer = Peer(framework, spec, np.asarray(x), layer.circuit_weights.numpy())
        except RuntimeError as failed:  # e.g. killed for memory while compiling: a finding, not a crash
            print(f"  peer {framework}: {failed}; skipped", flush=True)
            continue
        difference = float(np.max(np.abs(peer.outputs - reference)))
        if difference > tolerance:
            peer.close()
            raise AssertionError(f"{framework} and the engine disagree by {difference}")
        peers[framework] = peer
    return peers


def timed_calls(peers: dict[str, Peer]) -> dict:
    """``{"<framework>_forward": fn, "<framework>_forward_gradient": fn}`` for :func:`benchmarks.layers.interleaved`."""
    functions = {}
    for framework, peer in peers.items():
        for kind in ("forward", "forward_gradient"):
            functions[f"{framework}_{kind}"] = lambda peer=peer, kind=kind: (peer.call(kind), [])[1]
    return functions
