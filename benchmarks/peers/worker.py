"""A benchmark peer: one circuit in TensorCircuit-ng or PennyLane, timed when asked (benchmark-only).

Runs in the peer's own virtual environment (``benchmarks/peers/setup.sh``), never in ours: it
imports numpy, JAX and the peer library only. It reads a circuit exported by
:func:`benchmarks.peers.export_circuit` (rotations, controlled rotations, CNOT, CZ, H and, for
``default.mixed``, channels), the inputs and weights, builds a jitted forward pass and forward + gradient (inputs
and weights) for the whole batch the way each library's documentation recommends (TensorCircuit:
``vmap`` over the batch; PennyLane: parameter broadcasting, ``backprop``), runs each once (JIT),
prints one JSON line with its outputs, and then answers ``forward`` / ``forward_gradient`` on
stdin with one timed call each (``{"seconds": ...}``), so that the caller can interleave its rounds
with ours.

    python worker.py FRAMEWORK SPEC.json     # FRAMEWORK: tensorcircuit | pennylane | pennylane-mixed
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def angle(gate: dict, x, w):
    kind, index, coefficient = gate["param"]
    return (x[..., index] if kind == "x" else w[index]) * coefficient


def tensorcircuit_functions(spec: dict):
    import tensorcircuit as tc

    backend = tc.set_backend("jax")
    tc.set_dtype("complex64")
    n = spec["qubits"]

    def one(x, w):
        c = tc.Circuit(n)
        for gate in spec["gates"]:
            name, qubits = gate["gate"], gate["qubits"]
            if name in ("rx", "ry", "rz", "crx", "cry", "crz"):
                getattr(c, name)(*qubits, theta=angle(gate, x, w))
            else:  # cnot, cz, h
                getattr(c, name)(*qubits)
        return backend.stack([backend.real(c.expectation_ps(z=[q])) for q in spec["readouts"]])

    batched = backend.vmap(one, vectorized_argnums=0)

    def loss(x, w):
        return backend.sum(batched(x, w))

    return backend.jit(batched), backend.jit(backend.value_and_grad(loss, argnums=(0, 1))), tc.__version__


def pennylane_functions(spec: dict, mixed: bool):
    import jax
    import jax.numpy as jnp
    import pennylane as qml

    jax.config.update("jax_enable_x64", False)
    device = qml.device("default.mixed" if mixed else "default.qubit", wires=spec["qubits"])
    rotations = {"rx": qml.RX, "ry": qml.RY, "rz": qml.RZ, "crx": qml.CRX, "cry": qml.CRY, "crz": qml.CRZ}
    fixed = {"cnot": qml.CNOT, "cz": qml.CZ, "h": qml.Hadamard}
    channels = {"depolarize": qml.DepolarizingChannel, "amplitude_damp": qml.AmplitudeDamping,
                "phase_damp": qml.PhaseDamping, "bit_flip": qml.BitFlip, "phase_flip": qml.PhaseFlip}

    @qml.qnode(device, interface="jax", diff_method="backprop")
    def circuit(x, w):
        for gate in spec["gates"]:
            name, qubits = gate["gate"], gate["qubits"]
            if name in rotations:
                rotations[name](angle(gate, x, w), wires=qubits)
            elif name in fixed:
                fixed[name](wires=qubits)
            else:
                channels[name](gate["p"], wires=qubits[0])
        return [qml.expval(qml.PauliZ(q)) for q in spec["readouts"]]

    def forward(x, w):
        return jnp.stack(circuit(x, w), axis=-1)

    def loss(x, w):
        return jnp.sum(forward(x, w))

    return jax.jit(forward), jax.jit(jax.value_and_grad(loss, argnums=(0, 1))), qml.__version__


def main() -> None:
    import jax

    framework, spec_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as handle:
        spec = json.load(handle)
    arrays = np.load(spec["arrays"])
    x, w = jax.numpy.asarray(arrays["x"], jax.numpy.float32), jax.numpy.asarray(arrays["w"], jax.numpy.float32)
    if framework == "tensorcircuit":
        forward, forward_gradient, version = tensorcircuit_functions(spec)
    else:
        forward, forward_gradient, version = pennylane_functions(spec, mixed=framework == "pennylane-mixed")
    calls = {"forward": lambda: forward(x, w), "forward_gradient": lambda: forward_gradient(x, w)}
    start = time.perf_counter()
    outputs = np.asarray(jax.block_until_ready(calls["forward"]()))
    jax.block_until_ready(calls["forward_gradient"]())
    print(json.dumps({"ready": True, "version": version, "jax": jax.__version__, "outputs": outputs.tolist(),
                      "compile_seconds": time.perf_counter() - start}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        start = time.perf_counter()
        jax.block_until_ready(calls[command]())
        print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)


if __name__ == "__main__":
    main()
