"""benchmarks/xla_fusion.py: each helper is timed against the plain operation, after checking they agree."""

import json
import sys

import pytest

pytest.importorskip("sims.tf_env")
pytestmark = pytest.mark.tf

from benchmarks import xla_fusion  # noqa: E402


def test_measure_times_every_case_both_ways():
    rows = xla_fusion.measure(qubits=5, batches=[4], repeats=1, best_of=1)
    assert {r["case"] for r in rows} == set(xla_fusion.cases(5, 4))
    for row in rows:
        assert row["plain_ms"] > 0 and row["helper_ms"] > 0
        assert row["speedup"] == pytest.approx(row["plain_ms"] / row["helper_ms"])


def test_the_command_writes_its_table_and_refuses_bad_values(tmp_path, monkeypatch, capsys):
    # In this process (TensorFlow is loaded already): a subprocess per call took 12 s of the suite.
    out = tmp_path / "fusion.json"
    monkeypatch.setattr(sys, "argv", ["xla_fusion.py", "--qubits", "4", "--batches", "2", "--repeats", "1",
                                      "--best-of", "1", "--out", str(out)])
    xla_fusion.main()
    assert "speedup" in capsys.readouterr().out
    assert len(json.loads(out.read_text())["rows"]) == len(xla_fusion.cases(4, 2))
    monkeypatch.setattr(sys, "argv", ["xla_fusion.py", "--batches", "0,x"])
    with pytest.raises(SystemExit) as exited:
        xla_fusion.main()
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.strip().count("\n") == 0 and "--batches '0,x'" in error
