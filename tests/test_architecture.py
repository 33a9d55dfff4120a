"""The shape of the code: no import circles, and the command line above everything else."""

from __future__ import annotations

import importlib.util

from helpers import ROOT


def _checker():
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "scripts" / "import_cycles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_circle_anywhere_in_the_project():
    checker = _checker()
    assert checker.circles(checker.import_graph()) == []


def test_the_checker_finds_a_circle_and_lazy_imports_count():
    checker = _checker()
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert checker.circles(graph) == [["a", "b", "c"]]
    graph = checker.import_graph()
    assert "sims.sweep.tasks" in graph["sims.sweep.executors"]  # a top-level import
    assert "sims.ner.trainer" in graph["sims.sweep.tasks"]  # an import inside a function


def test_no_module_below_the_commands_imports_a_command_module():
    graph = _checker().import_graph()
    above = {name for name in graph if name == "sims.run" or name.startswith("sims.commands")}
    for name, imported in graph.items():
        if name not in above:
            assert not imported & above, f"{name} imports {sorted(imported & above)}"


def test_sweep_tasks_import_domain_modules_only():
    graph = _checker().import_graph()
    assert not {m for m in graph["sims.sweep.tasks"] if "commands" in m or m == "sims.run"}


def test_no_private_name_is_imported_from_another_module_of_the_project():
    import ast

    for package in ("qcircuits", "sims", "plugins"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("qcircuits", "sims",
                                                                                                "plugins"):
                    private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                    assert not private, f"{path}: imports {private} from {node.module}"


def test_the_engine_package_only_re_exports():
    import ast

    tree = ast.parse((ROOT / "sims" / "backends" / "statevector" / "__init__.py").read_text(encoding="utf-8"))
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds  # the docstring, imports and __all__
