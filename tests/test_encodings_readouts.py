import cirq
import numpy as np
import pytest

from qcircuits import ConfigurationError, build_readouts, plan_encoding
from qcircuits.encodings import encoding_operations, feature_values


@pytest.mark.parametrize(
    "name, qubits, features, match",
    [
        ("angle_y", 4, 5, "'angle_y' with 5 features needs at least 5 qubits; got 4"),
        ("dense_angle", 2, 5, "'dense_angle' with 5 features needs at least 3 qubits; got 2"),
        ("iqp", 3, 4, "'iqp' with 4 features needs at least 4 qubits; got 3"),
        ("angle_y", 4, 0, "features must be >= 1"),
        ("none", 4, 2, "takes no features"),
        ("amplitude", 4, None, "Unknown encoding 'amplitude'"),
    ],
)
def test_plan_encoding_rejects_features_that_do_not_fit(name, qubits, features, match):
    with pytest.raises(ConfigurationError, match=match):
        plan_encoding(name, qubits, features)


def test_dense_angle_puts_two_features_on_each_qubit():
    plan = plan_encoding("dense_angle", 2)
    ops = encoding_operations(plan, cirq.LineQubit.range(2))
    q = cirq.LineQubit.range(2)
    assert ops == [cirq.ry(plan.feature_symbols[0]).on(q[0]), cirq.rz(plan.feature_symbols[1]).on(q[0]),
                   cirq.ry(plan.feature_symbols[2]).on(q[1]), cirq.rz(plan.feature_symbols[3]).on(q[1])]


def test_iqp_product_symbols_take_pi_minus_x_products():
    plan = plan_encoding("zz", 3)
    assert [s.name for s in plan.data_symbols] == ["x_0", "x_1", "x_2", "z_0_1", "z_0_2", "z_1_2"]
    x = np.array([[0.1, 0.2, 0.3]])
    values = feature_values(plan, x)
    expected = [(np.pi - 0.1) * (np.pi - 0.2), (np.pi - 0.1) * (np.pi - 0.3), (np.pi - 0.2) * (np.pi - 0.3)]
    np.testing.assert_allclose(values[0, 3:], expected)
    np.testing.assert_allclose(values[0, :3], x[0])


def test_readouts_default_subset_and_pauli_strings():
    q = cirq.LineQubit.range(3)
    assert build_readouts(None, q) == tuple(cirq.Z(x) * 1 for x in q)
    assert build_readouts("0,2", q) == (cirq.Z(q[0]) * 1, cirq.Z(q[2]) * 1)
    assert build_readouts(["ZZI", "X0 Y2"], q) == (
        cirq.Z(q[0]) * cirq.Z(q[1]), cirq.X(q[0]) * cirq.Y(q[2]))


@pytest.mark.parametrize("spec, match", [([5], "out of range"), (["QQQ"], "Invalid Pauli"),
                                         (["III"], "identity"), (["Z0 Z0"], "twice")])
def test_readouts_reject_bad_specs(spec, match):
    with pytest.raises(ConfigurationError, match=match):
        build_readouts(spec, cirq.LineQubit.range(3))


def test_a_new_encoding_is_one_class_and_every_family_takes_it():
    import plugins
    from qcircuits.encodings import ENCODINGS, Encoding, register_encoding

    class RyRx(Encoding):  # one feature per qubit, loaded twice: RY(x) then RX(x)
        def operations(self, plan, qubits):
            return [g(s).on(qubits[i]) for i, s in enumerate(plan.feature_symbols) for g in (cirq.ry, cirq.rx)]

    register_encoding(RyRx("ry_rx_test", 1, "RY then RX"))
    try:
        ansatz = plugins.create("hardware_efficient", qubits=2, depth=1, encoding="ry_rx_test")
        q = ansatz.qubits
        for qubit, x in zip(q, ansatz.data_symbols, strict=True):
            first = [op for op in ansatz.circuit.all_operations() if op.qubits == (qubit,)][:2]
            assert first == [cirq.ry(x).on(qubit), cirq.rx(x).on(qubit)]
        with pytest.raises(ConfigurationError, match="Encoding 'ry_rx_test' is already registered"):
            register_encoding(RyRx("ry_rx_test", 1, "another"))
    finally:
        del ENCODINGS["ry_rx_test"]
    with pytest.raises(ConfigurationError, match="register_encoding takes an Encoding"):
        register_encoding("angle_y")


def test_iqp_values_are_the_same_formula_in_numpy_and_tensorflow():
    tf = pytest.importorskip("tensorflow")
    from sims.layers import TF_OPS

    plan = plan_encoding("iqp", 4)
    x = np.random.default_rng(0).uniform(-2, 2, (5, 4))
    np.testing.assert_allclose(plan.encoding.values(plan, tf.constant(x), TF_OPS).numpy(), feature_values(plan, x))
