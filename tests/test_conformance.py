"""Every registered ansatz, built-in or plugin, is tested here the moment it is registered."""

import numpy as np
import pytest

import plugins
from qcircuits import ConfigurationError
from sims.backends import make_backend

NAMES = plugins.list_ansatze()
CASES = [(2, 1), (3, 2), (5, 1)]
ENTANGLEMENTS = [None, "linear", "full", "circular", "sca"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("qubits, depth", CASES)
@pytest.mark.parametrize("entanglement", ENTANGLEMENTS)
def test_ansatz_builds_and_matches_its_declared_shape(name, qubits, depth, entanglement):
    options = {"qubits": qubits, "depth": depth}
    if entanglement is not None:
        options["entanglement"] = entanglement
    try:
        ansatz = plugins.create(name, **options)
    except ConfigurationError as exc:
        # A family may fix its entanglement, bound its depth or need more qubits; it must say so.
        assert any(k in str(exc) for k in ("fixes", "depth must be", "qubits must be >=")), exc
        return
    assert ansatz.n_qubits == qubits
    assert ansatz.depth == depth
    assert ansatz.n_weights == plugins.shape(name, **options)
    assert plugins.contract_problems(ansatz) == []
    rebuilt = plugins.create(name, **ansatz.options)
    assert rebuilt.circuit == ansatz.circuit


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("encoding", ["angle_y", "dense_angle", "iqp"])
def test_qsim_and_cirq_agree_on_expectations(name, encoding):
    ansatz = plugins.create(name, qubits=4, depth=2, encoding=encoding)
    values = ansatz.random_parameter_values(8, np.random.default_rng(1))
    qsim = make_backend("qsim", threads=1).expectations(ansatz, values)
    reference = make_backend("cirq").expectations(ansatz, values)
    assert qsim.shape == (8, ansatz.n_readouts)
    np.testing.assert_allclose(qsim, reference, atol=1e-5)
    assert np.ptp(reference) > 0.01  # the parameters actually change the outputs


@pytest.mark.parametrize("name", NAMES)
def test_reupload_repeats_the_encoding_when_offered(name):
    try:
        ansatz = plugins.create(name, qubits=4, depth=2, reupload=True)
    except ConfigurationError as exc:
        assert "reupload" in str(exc)
        return
    once = plugins.create(name, qubits=4, depth=2)
    count = lambda a: sum(1 for op in a.circuit.all_operations() if "x_0" in str(op))
    assert count(ansatz) == 2 * count(once)
