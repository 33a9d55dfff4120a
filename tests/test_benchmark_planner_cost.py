"""benchmarks/planner_cost.py: the cost model's fit is judged by the plans it picks."""

import numpy as np
import pytest

pytest.importorskip("sims.tf_env")
pytestmark = pytest.mark.tf

# Imported by its package name (not loaded from its path): its --xla cases run in spawned processes,
# which import the measuring function by its module's name.
from benchmarks import planner_cost  # noqa: E402


def _synthetic_rows(truth: dict[str, float], noise: float, seed: int = 0) -> list[dict]:
    """Plans of made-up circuits whose times follow the model with ``truth``, times a log-normal noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for case in range(12):
        batch = [16, 128, 2048][case % 3]
        for plan in range(8):
            products, transposes = float(rng.uniform(10, 200)), float(rng.uniform(0, 100))
            row = {"ansatz": f"c{case}", "qubits": 8, "depth": 2, "batch": batch, "plan": f"p{plan}",
                   "passes": products + transposes + float(rng.uniform(10, 100)), "products": products,
                   "transposes": transposes, "build": int(rng.integers(0, 60000)),
                   "wide_build": int(rng.integers(0, 3) * rng.integers(0, 40000)),
                   "operations": int(rng.integers(5, 40)), "on_rows": int(rng.integers(0, 3) * rng.integers(0, 8))}
            row["ms"] = planner_cost.model_ms(row, truth) * float(np.exp(rng.normal(0, noise)))
            rows.append(row)
    return rows


def test_the_fit_recovers_constants_that_made_the_times_and_picks_the_fastest_plans():
    truth = {"PER_PASS_MS": 3.0, "PRODUCT_PASS_MS": 3.5, "TRANSPOSE_PASS_MS": 0.6, "BUILD_MS_PER_AMPLITUDE": 2e-5,
             "WIDE_BUILD_MS_PER_AMPLITUDE": 6e-5, "STEP_MS": 0.07, "ROWS_STEP_MS": 0.3}
    rows = _synthetic_rows(truth, noise=0.0)
    exact = planner_cost.fit(rows, margin=1.0)  # near-ties count as they fall
    for name, value in truth.items():
        assert exact[name] == pytest.approx(value, rel=0.05)
    summary = planner_cost.summary(planner_cost.judge(rows, exact))
    assert summary["worst"] == pytest.approx(1.0) and summary["cases"] == 12
    # The default margin keeps the fit off knife-edge ties; its picks stay within that margin.
    noisy = _synthetic_rows(truth, noise=0.05, seed=1)
    assert planner_cost.summary(planner_cost.judge(noisy, planner_cost.fit(noisy)))["geometric_mean"] < 1.05


def test_judging_compares_the_pick_with_the_fastest_measured_plan():
    truth = {"PER_PASS_MS": 3.0, "PRODUCT_PASS_MS": 3.5, "TRANSPOSE_PASS_MS": 0.6, "BUILD_MS_PER_AMPLITUDE": 2e-5,
             "WIDE_BUILD_MS_PER_AMPLITUDE": 6e-5, "STEP_MS": 0.07, "ROWS_STEP_MS": 0.3}
    rows = _synthetic_rows(truth, noise=0.0)
    # Passes only:
    wrong = dict.fromkeys(truth, 0.0) | {"PER_PASS_MS": 3.0, "PRODUCT_PASS_MS": 3.0, "TRANSPOSE_PASS_MS": 3.0}
    verdicts = planner_cost.judge(rows, wrong)
    for verdict in verdicts:
        group = [r for r in rows if r["ansatz"] == verdict["ansatz"]]
        picked = min(group, key=lambda r: r["passes"])
        assert verdict["chosen_ms"] == picked["ms"]
        assert verdict["best_ms"] == min(r["ms"] for r in group)
        assert verdict["regret"] == pytest.approx(picked["ms"] / verdict["best_ms"])
    assert planner_cost.summary(verdicts)["worst"] > 1.05  # blind to the build, it picks slower plans


def test_measured_rows_carry_the_terms_the_model_reads():
    rows = planner_cost.measure([("hardware_efficient", 3, 1, (4,))], max_plans=2, rounds=1)
    assert len(rows) == 2 and len({r["plan"] for r in rows}) == 2
    for row in rows:
        assert row["ms"] > 0 and row["passes"] > 0
        assert planner_cost.model_ms(row, planner_cost.shipped()) > 0
        # The benchmark's model is the planner's: the same milliseconds as plan_cost for the same plan.
        from sims.backends.statevector.plan import CostTerms

        terms = CostTerms(**{k: row[k] for k in ("passes", "products", "transposes", "build", "wide_build",
                                                 "operations", "on_rows")})
        assert planner_cost.model_ms(row, planner_cost.shipped()) == pytest.approx(terms.ms(4, 3))


def test_the_passes_split_into_products_transposes_and_the_rest_sum_to_the_plans_passes():
    from qcircuits import plugins
    from sims.backends.statevector.engine import ansatz_plans
    from sims.backends.statevector.plan import DenseBlock, PhaseRun, cost_terms, step_cost_parts

    plans = ansatz_plans(plugins.create("sim_05", qubits=6, depth=2)).plans
    for plan in plans:
        terms = cost_terms(plan)
        assert 0 <= terms.products and 0 <= terms.transposes and terms.products + terms.transposes <= terms.passes
    # A block's product and transpose, a phase run's pass: each in its own part.
    plan = next(p for p in plans if any(isinstance(s, PhaseRun) for s in p.steps[1:-1]))
    for step in plan.steps:
        product, transpose, other = step_cost_parts(step)
        if isinstance(step, DenseBlock):
            assert product > 0 and other == 0 and (transpose > 0) == (step.axes is not None or bool(step.condition))
        else:
            assert product == transpose == 0 and other > 0


def test_refit_computes_the_terms_that_stored_rows_lack_from_their_plans(tmp_path):
    rows = planner_cost.measure([("hardware_efficient", 3, 1, (4,))], max_plans=2, rounds=1)
    full = planner_cost.with_terms(rows)
    assert full == rows  # rows that carry every term are kept as they are
    stored = [{k: v for k, v in row.items() if k not in ("products", "transposes")} for row in rows]
    assert planner_cost.with_terms(stored) == rows


def test_circuits_on_the_command_line_are_parsed_or_refused_in_one_line(capsys):
    parser = planner_cost.argparse.ArgumentParser()
    assert planner_cost.parse_circuit("sim_01:8:1:16/128", parser) == ("sim_01", 8, 1, (16, 128))
    for bad in ("sim_01:8:1", "sim_01:8:x:16", "sim_01:8:1:0", ":8:1:16", "sim_01:8:1:16:3"):
        with pytest.raises(SystemExit) as exit_info:
            planner_cost.parse_circuit(bad, parser)
        assert exit_info.value.code == 2
        assert f"--circuits {bad!r}: expected NAME:QUBITS:DEPTH:BATCH" in capsys.readouterr().err


def test_refit_refuses_rows_whose_plans_it_cannot_find_again(tmp_path, capsys):
    old = tmp_path / "old.json"
    old.write_text('{"rows": [{"ansatz": "hardware_efficient", "qubits": 3, "depth": 1, "batch": 16, "ms": 1.0, '
                   '"passes": 1.0, "plan": "product(3) no-such-block"}]}')
    with pytest.raises(SystemExit) as exit_info:
        planner_cost.main(["--refit", str(old), "--out-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "is not among its candidates now; measure it again" in err and "Traceback" not in err
    assert not (tmp_path / "planner_cost.json").exists()
    old.write_text('{"rows": [{"ansatz": "no_such_ansatz", "qubits": 3, "depth": 1, "batch": 16, "ms": 1.0, '
                   '"plan": "p"}]}')
    with pytest.raises(SystemExit) as exit_info:
        planner_cost.main(["--refit", str(old), "--out-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--refit: Unknown ansatz 'no_such_ansatz'" in err and "Traceback" not in err
    old.write_text('{"rows": [{"ansatz": "x", "batch": 16, "ms": 1.0}]}')
    with pytest.raises(SystemExit) as exit_info:
        planner_cost.main(["--refit", str(old), "--out-dir", str(tmp_path)])
    assert exit_info.value.code == 2 and "expected rows with the circuit and its plan" in capsys.readouterr().err


def test_xla_rows_time_the_compiled_calls_and_take_the_xla_models_candidates_too():
    from sims.backends.statevector.plan import XLA_COST_CONSTANTS

    rows = planner_cost.measure([("hardware_efficient", 4, 1, (4,))], max_plans=1, rounds=1, xla=True)
    assert rows and all(row["xla"] and row["ms"] > 0 for row in rows)
    assert planner_cost.shipped(xla=True) == pytest.approx(XLA_COST_CONSTANTS)
    assert planner_cost.shipped(xla=True) != planner_cost.shipped()


def test_refit_refuses_to_pool_rows_timed_with_and_without_xla(tmp_path, capsys):
    row = {"ansatz": "x", "qubits": 8, "depth": 1, "batch": 16, "plan": "p", "ms": 1.0, "passes": 1.0,
           "products": 0.5, "transposes": 0.0, "build": 16, "wide_build": 0, "operations": 3, "on_rows": 0}
    plain, compiled = tmp_path / "plain.json", tmp_path / "xla.json"
    plain.write_text(planner_cost.json.dumps({"rows": [{**row, "xla": False}]}))
    compiled.write_text(planner_cost.json.dumps({"rows": [{**row, "xla": True}]}))
    for argv, message in ((["--refit", str(plain), str(compiled)], "mix rows timed with and without --xla"),
                          (["--refit", str(plain), "--xla"], "these rows were timed without XLA")):
        with pytest.raises(SystemExit) as exit_info:
            planner_cost.main([*argv, "--out-dir", str(tmp_path)])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("planner_cost*.json*"))
