"""Running sweeps: one row per trial with the right configuration, resuming, failures, and Ray.

The Ray tests start a local Ray on this machine's cores (2 in CI) with tiny trials.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import DESCRIPTOR_SWEEP as DESCRIPTORS
from helpers import ROOT, run_sims, write_ner_data

from sims.descriptors import DescriptorOptions, describe_ansatz, flat_row
from sims.sweep.results import read_result, trial_dir
from sims.sweep.spec import load_spec


def ner_sweep(tmp_path: Path, *, bad: bool = False, seeds: str = "[0, 1]") -> Path:
    """A tiny NER sweep: quantum and bottleneck heads x ``seeds`` (and a broken training file with ``bad``)."""
    good = write_ner_data(tmp_path / "data")
    heads = [("quantum", good), ("bottleneck", good)]
    if bad:  # a training file with a broken line: the trial fails at run time, the others go on
        broken = write_ner_data(tmp_path / "broken")
        (broken / "train.txt").write_text("Alice B-PER\na-line-without-a-tag\n")
        heads.append(("bottleneck", broken))
    configurations = "".join(f'[[configurations]]\nhead = "{head}"\ndata-dir = "{data}"\n' for head, data in heads)
    path = tmp_path / "ner.toml"
    path.write_text(f'task = "ner"\nseeds = {seeds}\n[options]\nencoder = "tiny"\nepochs = 1\nqubits = 3\ndepth = 1\n'
                    f'batch-size = 8\nmax-length = 16\n{configurations}')
    return path


def sweep_here(capsys, *args: str) -> tuple[int, str]:
    """``python -m sims.run sweep ARGS --executor local`` in this process: its exit code and stdout.

    The local executor runs trials in the calling process anyway; a new interpreter per test
    only paid TensorFlow's import again (the Ray tests below run the real command).
    """
    from sims.run import main

    code = main(["sweep", *args, "--executor", "local"])
    return code, capsys.readouterr().out


def result_files(out_dir: Path) -> dict[str, float]:
    return {p.parent.name: p.stat().st_mtime_ns for p in (out_dir / "trials").glob("*/result.json")}


def test_local_sweep_rows_hold_each_trials_configuration_and_its_own_numbers(tmp_path, capsys):
    path = tmp_path / "d.toml"
    path.write_text(DESCRIPTORS)
    code, _ = sweep_here(capsys, str(path), "--out-dir", str(tmp_path / "out"))
    assert code == 0
    table = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert len(table["rows"]) == 8
    for row in table["rows"]:  # each row is the descriptor of exactly that configuration and seed
        direct = flat_row(describe_ansatz(row["ansatz"], 3, row["depth"], DescriptorOptions(
            samples=100, grad_samples=20, seeds=2, seed=row["seed"])))
        assert row["status"] == "ok" and row["qubits"] == 3
        assert row["expressibility"] == pytest.approx(direct["expressibility"], rel=1e-5)
        assert row["trainable_parameters"] == direct["trainable_parameters"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary) == 4 and all(s["seeds_done"] == 2 for s in summary)
    means = [s["expressibility_mean"] for s in summary]
    assert means == sorted(means)  # lower KL is better: best first
    assert (tmp_path / "out" / "sweep.png").stat().st_size > 1000
    assert (tmp_path / "out" / "sweep.csv").read_text().count("\n") == 9


def test_a_second_run_skips_finished_trials_and_a_grown_grid_runs_only_the_new_ones(tmp_path, capsys):
    path = tmp_path / "d.toml"
    path.write_text(DESCRIPTORS)
    out = tmp_path / "out"
    assert sweep_here(capsys, str(path), "--out-dir", str(out))[0] == 0
    before = result_files(out)
    path.write_text(DESCRIPTORS.replace("depth = [1, 2]", "depth = [1, 2, 3]"))
    code, stdout = sweep_here(capsys, str(path), "--out-dir", str(out))
    assert code == 0 and "12 trials (8 done, 4 to run)" in stdout
    after = result_files(out)
    assert len(after) == 12 and all(after[k] == before[k] for k in before)  # none redone


@pytest.mark.tf
def test_layer_bench_trials_measure_each_configuration(tmp_path, capsys):
    path = tmp_path / "bench.toml"
    path.write_text('task = "layer-bench"\n[options]\ndepth = 1\nrepeats = 1\nbatch = 16\n'
                    '[grid]\nqubits = [2, 3]\nbackend = ["statevector", "tfq"]\n')
    assert sweep_here(capsys, str(path), "--out-dir", str(tmp_path / "out"))[0] == 0
    rows = json.loads((tmp_path / "out" / "sweep.json").read_text())["rows"]
    assert sorted((r["qubits"], r["backend"]) for r in rows) == [(2, "statevector"), (2, "tfq"), (3, "statevector"),
                                                                 (3, "tfq")]
    for row in rows:
        assert row["status"] == "ok" and row["forward_gradient_samples_per_s"] > 0
        assert row["circuit_parameters"] == 2 * row["qubits"]  # hardware_efficient, depth 1: RY and RZ per qubit
        assert row["forward_s"] * row["forward_samples_per_s"] == pytest.approx(16)


@pytest.mark.tf
def test_a_failed_trial_is_recorded_and_the_others_finish(tmp_path, capsys):
    path = ner_sweep(tmp_path, bad=True, seeds="[0]")
    out = tmp_path / "out"
    code, stdout = sweep_here(capsys, str(path), "--out-dir", str(out))
    assert code == 1  # not every trial finished
    rows = json.loads((out / "sweep.json").read_text())["rows"]
    failed = [r for r in rows if r["status"] == "error"]
    assert len(rows) == 3 and len(failed) == 1
    assert all("broken" in r["data_dir"] and "train.txt:2" in r["error"] for r in failed)
    assert all(r["status"] == "ok" and 0 <= r["best_dev_entity_f1"] <= 1 for r in rows if r not in failed)
    assert "1 failed" in stdout and "did not finish" in stdout


@pytest.mark.tf
def test_an_interrupted_ner_trial_resumes_from_its_run_folder(tmp_path, capsys):
    """A trial cut off after epoch 1 continues at epoch 2 when the sweep runs again."""
    path = ner_sweep(tmp_path, seeds="[0]")
    text = path.read_text().replace("epochs = 1", "epochs = 2")
    path.write_text(text[:text.index('[[configurations]]\nhead = "bottleneck"')])
    spec = load_spec(path)
    (trial,) = spec.trials()
    out = tmp_path / "out"
    from sims.sweep.tasks import get_task

    first_epoch = dict(trial.options, epochs=1)  # what an interrupted trial leaves: a run folder after epoch 1
    get_task("ner").run(first_epoch, trial.seed, trial_dir(out, trial), lambda values: None)
    assert sweep_here(capsys, str(path), "--out-dir", str(out))[0] == 0
    log = (trial_dir(out, trial) / "trial.log").read_text()
    assert "resuming after epoch 1" in log
    assert read_result(out, trial)["values"]["epochs_done"] == 2


# --- on Ray ---------------------------------------------------------------------------------

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed")


@needs_ray
@pytest.mark.tf
@pytest.mark.slow
def test_ray_sweep_of_ner_and_descriptor_trials(tmp_path):
    """The CI sweep: tiny encoder, 2 configurations x 2 seeds (with ASHA), and descriptors at 2 depths, on 2 CPUs."""
    out = tmp_path / "ner"
    path = ner_sweep(tmp_path)
    path.write_text('scheduler = "asha"\n' + path.read_text().replace("epochs = 1", "epochs = 2"))
    result = run_sims("sweep", str(path), "--out-dir", str(out), timeout=1200)  # a guard: Ray on 2 busy cores is slow
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = json.loads((out / "sweep.json").read_text())["rows"]
    assert len(rows) == 4
    for row in rows:  # the configuration in each row is the one its run folder trained
        config = json.loads((out / "trials" / row["key"] / "run" / "config.json").read_text())["options"]
        assert (config["head"], config["seed"]) == (row["head"], row["seed"])
        assert row["status"] in ("ok", "stopped") and 0 <= row["best_dev_entity_f1"] <= 1
        # Tune saw the dev F1 of every epoch (the scheduler decides on them), then the final result.
        (reports,) = (out / "ray").glob(f"*/{row['key']}/result.json")
        lines = [json.loads(line) for line in reports.read_text().splitlines()]
        epochs = [line["epoch"] for line in lines if not line["sweep_final"]]
        assert epochs == ([1, 2] if row["status"] == "ok" else epochs[:1]) and epochs
    assert any(r["status"] == "ok" for r in rows)
    assert {(r["head"], r["seed"]) for r in rows} == {(h, s) for h in ("quantum", "bottleneck") for s in (0, 1)}
    assert (out / "sweep.png").exists() and (out / "summary.csv").exists()

    path = tmp_path / "d.toml"
    path.write_text(DESCRIPTORS.replace('ansatz = ["hardware_efficient", "sim_14"]\n', "").replace("[0, 1]", "[0]"))
    result = run_sims("sweep", str(path), "--out-dir", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads((tmp_path / "d" / "sweep.json").read_text())["rows"]
    assert sorted(r["depth"] for r in rows) == [1, 2] and all(r["status"] == "ok" for r in rows)


@needs_ray
@pytest.mark.slow
def test_ray_sweep_interrupted_by_ctrl_c_resumes_without_redoing_finished_trials(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text(DESCRIPTORS.replace("seeds = [0, 1]", "seeds = [0]"))  # 4 trials, one at a time
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sims.run", "sweep", str(path), "--out-dir", str(out), "--max-concurrent", "1"]
    driver = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    while not result_files(out) and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.1)
    driver.send_signal(signal.SIGINT)
    output = driver.communicate(timeout=120)[0]
    finished = result_files(out)
    assert 1 <= len(finished) < 4, output[-3000:]
    result = run_sims("sweep", str(path), "--out-dir", str(out), timeout=1200)  # a guard: Ray on 2 busy cores is slow
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"4 trials ({len(finished)} done, {4 - len(finished)} to run)" in result.stdout
    after = result_files(out)
    assert len(after) == 4 and all(after[k] == finished[k] for k in finished)  # finished ones were not redone
