"""The backend registry: capabilities, options, and the lists that come from it."""

import numpy as np
import pytest
from helpers import run_sims

import plugins
from qcircuits import ConfigurationError
from sims.backends import REGISTRY, backend_names, backend_spec, make_backend

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`

CPU_BACKENDS = [n for n in backend_names() if not REGISTRY[n].gpu or n == "statevector"]


def test_registry_declares_what_each_backend_can_do():
    assert set(backend_names()) >= {"qsim", "cirq", "tfq", "statevector", "qsim-gpu", "qsim-custatevec"}
    assert set(backend_names(differentiable=True)) == {"tfq", "statevector"}
    assert REGISTRY["statevector"].gpu and REGISTRY["qsim-gpu"].gpu and not REGISTRY["tfq"].gpu
    assert backend_spec("qsim").option_names() == ("noise", "repetitions", "shot_seed", "threads", "trajectories")
    assert [n for n, s in REGISTRY.items() if s.noise] == ["cirq", "qsim", "statevector", "tfq"]
    assert not REGISTRY["qsim-gpu"].noise and REGISTRY["cirq"].shots


@pytest.mark.parametrize("name, options, match", [
    ("cirq", {"threads": 2}, "Backend 'cirq' does not take option\\(s\\) threads \\(backends that do: qsim\\); "
     "it takes: noise, repetitions, shot_seed"),
    ("qsim", {"dtype": "complex64"}, "Backend 'qsim' does not take option\\(s\\) dtype \\(backends that do: "
     "statevector\\); it takes: noise, repetitions, shot_seed, threads, trajectories"),
    ("qsim", {"threads": 0}, "threads must be >= 1"),
    ("tfq", {"repetitions": -3}, "repetitions: expected a shot count from 1"),
    ("qsim", {"trajectories": 0}, "trajectories must be >= 1"),
    ("qsim-gpu", {"noise": "bit_flip:0.1"}, r"does not take option\(s\) noise \(backends that do: "),
    ("statevector", {"noise": "amplitude_damp:-0.1"}, "must be from 0 to 1; got -0.1"),
    ("cirq", {"shot_seed": -1}, "shot_seed: expected a seed"),
    ("nonesuch", {}, "Unknown backend 'nonesuch'; expected one of .*statevector.*auto"),
])
def test_a_backend_rejects_options_it_does_not_take_in_one_line(name, options, match):
    with pytest.raises(ConfigurationError, match=match):
        make_backend(name, **options)


def test_auto_leaves_out_options_the_chosen_backend_does_not_take_and_says_so():
    backend = make_backend("auto", qubits=4, training=True, threads=2)
    assert backend.name == "statevector"
    assert backend.selection.startswith("auto -> statevector") and "(not used: threads)" in backend.selection


@pytest.mark.parametrize("name", CPU_BACKENDS)
def test_every_cpu_backend_agrees_on_expectations_and_states(name):
    ansatz = plugins.create("sim_14", qubits=3, depth=2, encoding="iqp", readout="ZZI,X0,Y2")
    values = ansatz.random_parameter_values(5, np.random.default_rng(2))
    reference = make_backend("cirq")
    backend = make_backend(name)
    np.testing.assert_allclose(backend.expectations(ansatz, values), reference.expectations(ansatz, values), atol=2e-5)
    if name != "tfq":
        np.testing.assert_allclose(backend.states(ansatz, values), reference.states(ansatz, values), atol=2e-5)


def test_a_readout_on_a_qubit_no_gate_touches_is_simulated_on_every_backend():
    """cirq and qsim drop idle qubits unless told the qubit order."""
    ansatz = plugins.create("tree_tensor_network", qubits=4, depth=1, encoding="none", readout="Z3,Z0")
    values = ansatz.random_parameter_values(2, np.random.default_rng(0))
    for name in ("cirq", "qsim", "statevector"):
        out = make_backend(name).expectations(ansatz, values)
        assert out.shape == (2, 2)


def test_cli_backend_choices_come_from_the_registry():
    result = run_sims("--backend", "nonesuch", "--qubits", "3")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "statevector" in lines[0] and "tfq" in lines[0]


def test_report_runs_on_the_engine():
    result = run_sims("--backend", "statevector", "--qubits", "3", "--batch", "4")
    assert result.returncode == 0, result.stderr
    assert "statevector engine" in result.stdout and "<Z2>" in result.stdout


def test_auto_under_noise_takes_the_density_matrix_then_tfq_and_says_why():
    from sims.backends import AUTO_DENSITY_MAX_QUBITS

    noise = "depolarize:0.01"
    dense = make_backend("auto", qubits=AUTO_DENSITY_MAX_QUBITS, training=True, noise=noise)
    assert dense.name == "statevector" and dense.options.trajectories is None and dense.density_matrices
    assert "exact density matrix" in dense.selection
    wide = make_backend("auto", qubits=AUTO_DENSITY_MAX_QUBITS + 1, training=True, noise=noise)
    assert wide.name == "tfq" and "TFQ's noisy trajectories" in wide.selection
    asked = make_backend("auto", qubits=AUTO_DENSITY_MAX_QUBITS, training=True, noise=noise, trajectories=50)
    assert asked.name == "statevector" and asked.options.trajectories == 50  # asked for: the engine's trajectories
    simulated = make_backend("auto", qubits=AUTO_DENSITY_MAX_QUBITS + 1, noise=noise)
    assert simulated.name == "qsim" and "qsim's trajectories" in simulated.selection
