"""Sweep files: the trials they describe, and one clear line for each kind of bad file (no Ray, no training)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers import DESCRIPTOR_SWEEP as DESCRIPTORS
from helpers import one_line_error, run_sims

from qcircuits.errors import ConfigurationError
from sims.sweep.executors import check_address
from sims.sweep.spec import load_spec


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_trials_are_grid_times_seeds_with_the_right_options(tmp_path):
    spec = load_spec(write(tmp_path, DESCRIPTORS))
    trials = spec.trials()
    assert len(trials) == 2 * 2 * 2
    assert len({t.key for t in trials}) == len(trials)
    combos = {(t.options["ansatz"], t.options["depth"], t.seed) for t in trials}
    assert combos == {(a, d, s) for a in ("hardware_efficient", "sim_14") for d in (1, 2) for s in (0, 1)}
    for trial in trials:
        assert trial.options["qubits"] == 3 and trial.options["grad_samples"] == 20  # dashes read as dest names
        assert trial.varying == {"ansatz": trial.options["ansatz"], "depth": trial.options["depth"]}
    assert spec.metric == "expressibility" and spec.mode == "min"


def test_configurations_cross_the_grid_and_only_varying_keys_label_trials(tmp_path):
    text = DESCRIPTORS.replace("[grid]", '[[configurations]]\nansatz = "sim_14"\nsamples = 120\n'
                                         '[[configurations]]\nansatz = "sim_02"\nsamples = 120\n[grid]')
    text = text.replace('ansatz = ["hardware_efficient", "sim_14"]\n', "").replace("samples = 100\n", "")
    trials = load_spec(write(tmp_path, text)).trials()
    assert len(trials) == 2 * 2 * 2
    assert {t.label for t in trials} == {f"ansatz={a} depth={d}" for a in ("sim_14", "sim_02") for d in (1, 2)}
    assert all(t.options["samples"] == 120 for t in trials)


def test_a_changed_fixed_option_changes_every_trial_key(tmp_path):
    before = {t.key for t in load_spec(write(tmp_path, DESCRIPTORS)).trials()}
    after = {t.key for t in load_spec(write(tmp_path, DESCRIPTORS.replace("samples = 100", "samples = 101"))).trials()}
    assert not before & after


def test_relative_paths_become_absolute(tmp_path, monkeypatch):
    plugin = tmp_path / "mine.py"
    plugin.write_text("")
    monkeypatch.chdir(tmp_path)
    text = DESCRIPTORS.replace("[options]", '[options]\nplugin = ["mine.py"]')
    with pytest.raises(ConfigurationError, match=f"Plugin .{tmp_path / 'mine.py'}. registered no ansatz"):
        load_spec(write(tmp_path, text))


@pytest.mark.parametrize("text, message", [
    ("task = ", "not valid TOML"),
    ('task = "nlp"', "unknown task 'nlp'; expected one of ner, metrics, layer-bench"),
    ("seeds = [0]", "no task"),
    ('task = "metrics"\ncolour = 1', "unknown entry 'colour'"),
    ('task = "metrics"\n[grid]\ndepth = []', "grid.depth must be a non-empty list"),
    ('task = "metrics"\n[grid]\ndepth = 2', "grid.depth must be a non-empty list"),
    ('task = "metrics"\n[grid]\ndepth = [1, 1]', "grid.depth repeats a value"),
    ('task = "metrics"\n[grid]\ndepth = [1, 0]', "trial depth=0 seed 0: .*depth"),
    ('task = "metrics"\n[options]\nqubits = "four"', "qubits: expected an integer; got 'four'"),
    ('task = "metrics"\n[options]\nsamples = true', "--samples: expected a string or a number; got True"),
    ('task = "ner"\n[options]\nepochs = "x"', "--epochs: expected a positive integer; got 'x'"),
    ('task = "metrics"\n[options]\ndepht = 2', "unknown option 'depht' for task 'metrics'; did you mean 'depth'"),
    ('task = "metrics"\n[options]\nseed = 2', "seeds = \\[...\\]"),
    ('task = "metrics"\n[options]\ncompare = "sim_*"', "vary ansatz in \\[grid\\]"),
    ('task = "metrics"\nseeds = []', "seeds must be a non-empty list"),
    ('task = "metrics"\nseeds = [1, 1]', "seeds must differ"),
    ('task = "metrics"\nseeds = [-1]', "each seed: expected a seed from 0 to 4294967295; got -1"),
    ('task = "metrics"\nmetric = "f1"', "metric 'f1' is not one that task 'metrics' reports"),
    ('task = "metrics"\nscheduler = "asha"', "scheduler 'asha' is not available for task 'metrics'"),
    ('task = "metrics"\n[resources]\ncpus = 0', "resources.cpus must be a number"),
    ('task = "metrics"\n[resources]\ntpus = 1', "unknown resource 'tpus'"),
    ('task = "metrics"\n[options]\ndepth = 2\n[grid]\ndepth = [1]', "'depth' is both a fixed option and varied"),
    ('task = "metrics"\n[grid]\nansatz = ["no_such_ansatz"]', "no_such_ansatz"),
    ('task = "layer-bench"\n[grid]\nbackend = ["qsim"]', "backend 'qsim' gives no gradients"),
    ('task = "layer-bench"\n[grid]\nbatch = [0]', "expected a positive integer"),
])
def test_bad_sweep_files_are_refused_with_one_line_naming_the_problem(tmp_path, text, message):
    with pytest.raises(ConfigurationError, match=message):
        load_spec(write(tmp_path, text))


def test_a_missing_or_binary_sweep_file_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_spec(tmp_path / "nope.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        load_spec(tmp_path / "bin.toml")


def test_an_unreachable_ray_address_is_refused_before_ray_starts():
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigurationError, match=f"Cannot reach the Ray cluster at '127.0.0.1:{port}'"):
        check_address(f"127.0.0.1:{port}")
    with pytest.raises(ConfigurationError, match="is not HOST:PORT"):
        check_address("nowhere")
    check_address("auto")  # left to Ray


def test_sweep_command_errors_are_one_line_with_exit_2(tmp_path):
    bad = write(tmp_path, 'task = "metrics"\n[grid]\ndepth = [0]')
    assert "depth" in one_line_error(run_sims("sweep", str(bad)))
    good = write(tmp_path, DESCRIPTORS, "good.toml")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = one_line_error(run_sims("sweep", str(good), "--ray-address", f"127.0.0.1:{port}",
                                   "--out-dir", str(tmp_path / "out")))
    assert "Cannot reach the Ray cluster" in line
    assert not (tmp_path / "out").exists()  # nothing was started or written


def test_dry_run_lists_every_trial_and_the_old_flag_form_works(tmp_path):
    path = write(tmp_path, DESCRIPTORS)
    result = run_sims("--sweep", str(path), "--dry-run", "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("todo") == 8 and "8 trials (0 done, 8 to run)" in result.stdout


def test_without_ray_a_sweep_says_how_to_install_it_in_one_line(tmp_path):
    fake = tmp_path / "site" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    path = write(tmp_path, DESCRIPTORS)
    line = one_line_error(run_sims("sweep", str(path), "--out-dir", str(tmp_path / "out"),
                                   env={"PYTHONPATH": str(tmp_path / "site")}))
    assert "pip install 'qcircuits-toolkit[sweep]'" in line and "--executor local" in line
    assert not (tmp_path / "out").exists()


def test_list_report_and_the_layers_do_not_import_ray():
    from helpers import run_python

    code = ("import sys, sims.run; sims.run.main(['list']); sims.run.main(['report', '--qubits', '2']); "
            "import sims.layers, sims.sweep.spec, sims.sweep.tasks, sims.sweep.results; "
            "print('ray' in sys.modules)")
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_tables_take_every_rows_columns(tmp_path):
    """Configurations may set different options: the CSV has every column, empty where a row lacks one."""
    from sims.atomic import write_csv

    rows = [{"head": "bottleneck", "seed": 0}, {"head": "quantum", "ansatz": "sim_14", "seed": 0}]
    write_csv(tmp_path / "t.csv", rows)
    assert (tmp_path / "t.csv").read_text().splitlines() == ["head,seed,ansatz", "bottleneck,0,", "quantum,0,sim_14"]
