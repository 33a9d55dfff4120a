import os
import subprocess
import sys
import textwrap

import cirq
import pytest
import sympy
from helpers import ROOT

import plugins
from plugins import ContractError, DuplicateAnsatzError, PluginError, UnknownAnsatzError
from qcircuits import Ansatz, AnsatzBuilder, ConfigurationError

BUILTINS = {"hardware_efficient", "real_amplitudes", "efficient_su2", "basic_entangler",
            "strongly_entangling", "tree_tensor_network"}


def _toy(qubits: int = 2, depth: int = 1, **options) -> Ansatz:
    """Toy ansatz for registry tests."""
    b = AnsatzBuilder("toy", qubits, depth, entanglement="linear", **options)
    b.encode()
    b.rotations(("ry",))
    b.entangle()
    return b.build()


def test_builtins_are_registered_with_their_source():
    assert BUILTINS <= set(plugins.list_ansatze())
    for name in BUILTINS:
        entry = plugins.get(name)
        assert entry.source == "built-in"
        assert entry.description, name


def test_a_separate_registry_also_has_the_builtins():
    assert BUILTINS <= set(plugins.Registry().list())
    assert plugins.Registry().create("hardware_efficient", qubits=2).n_qubits == 2


def test_list_ansatze_filters_with_wildcards_and_sorts_naturally(clean_registry):
    for name in ("toy_10", "toy_2", "toy_1"):
        plugins.REGISTRY.register(_toy, name)
    assert plugins.list_ansatze("toy*") == ["toy_1", "toy_2", "toy_10"]
    assert plugins.list_ansatze("*entangl*") == ["basic_entangler", "strongly_entangling"]


def test_decorator_registers_and_create_builds(clean_registry):
    @plugins.register_ansatz("toy_decorated")
    def toy_decorated(qubits=2, depth=1):
        """Toy decorated ansatz."""
        return _toy(qubits, depth)

    entry = plugins.get("toy_decorated")
    assert entry.description == "Toy decorated ansatz."
    assert entry.source == f"module {__name__}"
    assert plugins.create("toy_decorated", qubits=3).n_qubits == 3


def test_create_with_keywords_from_the_issue():
    ansatz = plugins.create("strongly_entangling", qubits=6, depth=3, entanglement="circular")
    assert isinstance(ansatz.circuit, cirq.FrozenCircuit)  # built once: nothing can change it under a simulator
    assert not hasattr(ansatz.circuit, "append")
    assert ansatz.n_weights == plugins.shape("strongly_entangling", qubits=6, depth=3) == 54
    assert ansatz.entanglement == "circular"
    assert len(ansatz.data_symbols) == 6 and len(ansatz.readouts) == 6


def test_unknown_name_lists_closest_matches():
    with pytest.raises(UnknownAnsatzError, match="Did you mean: hardware_efficient"):
        plugins.create("hardware_eficient")


def test_duplicate_name_names_both_sources(clean_registry):
    with pytest.raises(DuplicateAnsatzError, match="by built-in and by module elsewhere"):
        plugins.REGISTRY.register(_toy, "hardware_efficient", source="module elsewhere")


def test_unknown_option_is_a_plugin_error():
    with pytest.raises(PluginError, match="does not take these options"):
        plugins.create("hardware_efficient", colour="blue")


def _write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


def test_load_plugin_file_registers_its_ansatz(tmp_path, clean_registry):
    path = _write(tmp_path / "my_plugin.py", """
        import plugins
        from qcircuits import AnsatzBuilder

        @plugins.register_ansatz
        def file_ansatz(qubits=2, depth=1):
            '''From a file.'''
            b = AnsatzBuilder("file_ansatz", qubits, depth, entanglement="linear")
            b.encode()
            b.rotations(("rx",))
            b.entangle()
            return b.build()
    """)
    assert plugins.load_plugin(str(path)) == ["file_ansatz"]
    assert plugins.get("file_ansatz").source == f"file {path.resolve()}"
    assert plugins.load_plugin(str(path)) == ["file_ansatz"]  # loading twice is not a duplicate


@pytest.mark.parametrize(
    "body, match",
    [
        ("raise RuntimeError('boom')", "failed to load.*RuntimeError: boom"),
        ("def broken(:\n    pass", "failed to load.*SyntaxError"),
        ("x = 1", "registered no ansatz"),
    ],
)
def test_broken_plugin_files_are_reported_by_name(tmp_path, clean_registry, body, match):
    path = _write(tmp_path / "bad_plugin.py", body)
    with pytest.raises(PluginError, match=match) as info:
        plugins.load_plugin(str(path))
    assert "bad_plugin.py" in str(info.value)


def test_missing_plugin_module_and_file(clean_registry):
    with pytest.raises(PluginError, match="was not found"):
        plugins.load_plugin("no_such_plugin_module")
    with pytest.raises(PluginError, match="does not exist"):
        plugins.load_plugin("no/such/file.py")


def _make_distribution(root, dist, entry_points, module_name, module_text):
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[qcircuits.ansatze]\n{lines}\n")
    (root / f"{module_name}.py").write_text(textwrap.dedent(module_text))


def test_entry_points_load_lazily_and_broken_ones_do_not_stop_others(tmp_path, monkeypatch):
    _make_distribution(tmp_path, "goodplug", {"ep_good": "goodplug_mod:build"}, "goodplug_mod", """
        from qcircuits import AnsatzBuilder
        def build(qubits=2, depth=1):
            '''Entry-point ansatz.'''
            b = AnsatzBuilder("ep_good", qubits, depth, entanglement="linear", encoding="none")
            b.rotations(("ry",))
            return b.build()
    """)
    _make_distribution(tmp_path, "badplug", {"ep_bad": "badplug_mod:build"}, "badplug_mod",
                       "raise ImportError('missing dependency foo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = plugins.Registry()
    names = registry.list("ep_*")
    assert names == ["ep_bad", "ep_good"]
    assert "goodplug_mod" not in sys.modules  # listed, not imported
    with pytest.raises(PluginError, match="'ep_bad'.*failed to load: ImportError: missing dependency foo"):
        registry.get("ep_bad")
    assert registry.create("ep_good", qubits=3).n_qubits == 3
    assert registry.get("ep_good").source == "entry point goodplug_mod:build from goodplug 1.0"
    rows = {name: description for name, description, _ in registry.describe("ep_*")}
    assert rows["ep_good"] == "Entry-point ansatz." and "failed to load" in rows["ep_bad"]


def _with_circuit(ansatz: Ansatz, circuit: cirq.Circuit) -> Ansatz:
    import dataclasses
    return dataclasses.replace(ansatz, circuit=circuit)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda a: _with_circuit(a, a.circuit + cirq.rx(sympy.Symbol("stray")).on(a.qubits[0])),
         "not declared.*stray"),
        (lambda a: _with_circuit(a, a.circuit[:1]), "not in the circuit.*theta_0"),
        (lambda a: _with_circuit(a, a.circuit + cirq.MatrixGate(cirq.unitary(cirq.H)).on(a.qubits[0])),
         "unsupported operation"),
        (lambda a: _with_circuit(a, a.circuit + cirq.rx(sympy.Symbol("theta_0") ** 2).on(a.qubits[0])),
         "not a number times one symbol"),
        (lambda a: "not an ansatz", "returned str"),
    ],
)
def test_contract_violations_are_reported_by_name(clean_registry, mutate, match):
    plugins.REGISTRY.register(lambda **kw: mutate(_toy(2, 1)), "bad_contract")
    with pytest.raises(PluginError, match=match) as info:
        plugins.create("bad_contract")
    assert "bad_contract" in str(info.value)
    assert isinstance(info.value, (ContractError, PluginError))


# -- hygiene ------------------------------------------------------------------------------------------
def test_unknown_options_are_a_typed_error_naming_them_before_the_factory_runs(clean_registry):
    calls = []

    @plugins.register_ansatz("counting_family")
    def counting_family(qubits: int = 2, depth: int = 1):
        calls.append(1)
        return plugins.create("hardware_efficient", qubits=qubits, depth=depth)

    with pytest.raises(plugins.UnknownOptionError) as info:
        plugins.create("counting_family", qubits=2, colour="red", flavour=1)
    assert info.value.options == ["colour", "flavour"] and info.value.name == "counting_family"
    assert "it takes: qubits, depth" in str(info.value) and not calls


def test_snapshot_and_restore_put_the_registry_back(clean_registry):
    state = plugins.REGISTRY.snapshot()
    before = plugins.list_ansatze()
    plugins.REGISTRY.register(lambda qubits=2: None, "temporary_family")
    assert "temporary_family" in plugins.list_ansatze()
    plugins.REGISTRY.restore(state)
    assert plugins.list_ansatze() == before


def test_the_registry_module_does_not_import_discovery():
    import ast
    import inspect

    from plugins import registry

    tree = ast.parse(inspect.getsource(registry))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not imported & {"plugins", "plugins.discovery", "qcircuits.plugins", "qcircuits.plugins.discovery"}
    assert len(plugins.Registry().list("sim_*")) == 19  # a fresh registry still discovers the built-ins


def test_a_folder_that_shadows_plugins_does_not_stop_the_toolkit(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "__init__.py").write_text("SOMETHING_ELSE = 1\n")
    result = subprocess.run([sys.executable, "-m", "sims.run", "list"], capture_output=True, text=True,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "strongly_entangling" in result.stdout and "[built-in]" in result.stdout  # it uses qcircuits.plugins
    note = result.stderr.strip().splitlines()
    assert len(note) == 1 and f"imported from {tmp_path / 'plugins'} is not this toolkit's" in note[0]
    assert "from qcircuits import plugins" in note[0]


def test_the_short_name_is_the_canonical_registry():
    import importlib

    import qcircuits.plugins

    assert plugins is qcircuits.plugins and plugins.REGISTRY is qcircuits.plugins.REGISTRY
    assert importlib.import_module("plugins.registry") is qcircuits.plugins.registry
    family = importlib.import_module("plugins.builtin.sim_circuits")
    assert family is importlib.import_module("qcircuits.plugins.builtin.sim_circuits")
    assert plugins.get("sim_14").source == "built-in"
    from sims.commands import shadowing_package

    assert shadowing_package(("plugins", "sims")) is None  # imported, `plugins` is qcircuits.plugins: ours


def test_a_family_option_the_builder_does_not_record_is_kept_so_the_options_rebuild_it():
    ansatz = plugins.create("hardware_efficient", qubits=3, depth=1, entangler="crz")
    assert ansatz.options["entangler"] == "crz"
    assert plugins.create("hardware_efficient", **ansatz.options).circuit == ansatz.circuit


@pytest.mark.parametrize("value, message", [("yes", "reupload must be True, False or 'per_layer'; got 'yes'"),
                                            (2, "reupload must be True, False or 'per_layer'; got 2")])
def test_bad_reupload_value_is_named(value, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plugins.create("hardware_efficient", qubits=3, depth=1, reupload=value)


def test_per_layer_reupload_refuses_an_encoding_with_products():
    with pytest.raises(ConfigurationError, match="needs an encoding of the features alone"):
        plugins.create("hardware_efficient", qubits=3, depth=2, encoding="iqp", reupload="per_layer")
