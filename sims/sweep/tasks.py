"""What one trial of a sweep runs: a NER training, circuit descriptors, or a layer benchmark.

Each task reads a trial's options as a dict (option names as on the command line, in
their dict form: ``data_dir``, ``head_readout``), converts and checks them with the same
declarations the commands use (:mod:`sims.option_fields`), and runs one trial in the
current process, returning a flat row of numbers. Tasks import domain modules only.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError
from qcircuits.plugins import DEFAULT_ANSATZ

Report = Callable[[dict[str, Any]], None]  # intermediate results (one per NER epoch), for early stopping
SCHEDULERS = ("none", "asha")


@dataclasses.dataclass(frozen=True)
class Task:
    """One kind of trial.

    Attributes:
        name: as written in sweep files.
        metrics: every number a trial reports that can rank configurations, and whether
            higher (``max``) or lower (``min``) is better.
        metric: the default ranking metric.
        options: the option names a sweep may give (dict form).
        refused: options a sweep must not give, and why.
        path_options: options holding file or folder paths (made absolute when the file is read).
        check: (options, seed) -> None; validates without running.
        run: (options, seed, trial folder, report) -> the trial's row.
        intermediate_metric: what a trial reports while it runs (once per epoch), which an
            early-stopping scheduler reads; None for a trial that reports only at its end.
        shared_process: whether trials may run one after another in one worker process
            (short trials: a new process costs seconds of imports); a NER training gets a
            fresh one, so that no state leaks into the next trial.
        default_epochs: how many epochs a trial runs when the sweep does not say (a
            scheduler's horizon); None for a task without epochs.
        schedulers: the schedulers a sweep of this task may choose (``none`` always).
    """

    name: str
    metrics: dict[str, str]
    metric: str
    options: frozenset[str]
    refused: dict[str, str]
    path_options: tuple[str, ...]
    check: Callable[[dict[str, Any], int], None]
    run: Callable[[dict[str, Any], int, Path, Report], dict[str, Any]]
    intermediate_metric: str | None = None
    shared_process: bool = True
    default_epochs: int | None = None
    schedulers: tuple[str, ...] = ("none",)

    def resolve_paths(self, options: dict[str, Any]) -> dict[str, Any]:
        """Relative paths are taken from the current folder and made absolute (trials run elsewhere)."""
        resolved = dict(options)
        for name in self.path_options:
            value = resolved.get(name)
            if isinstance(value, str) and value:
                resolved[name] = _absolute(value)
            elif isinstance(value, list):
                resolved[name] = [_absolute(v) if isinstance(v, str) else v for v in value]
        return resolved

    def validate(self, options: dict[str, Any], seed: int) -> None:
        """Checks a trial's options without running it: known names first, then the task's own checks.

        Raises:
            ConfigurationError: naming the option and what was expected.
        """
        self.check_names(options)
        self.check(options, seed)

    def check_names(self, options: dict[str, Any]) -> None:
        for name in options:
            if name in self.refused:
                raise ConfigurationError(f"option {name!r} cannot be given in a sweep: {self.refused[name]}.")
            if name not in self.options:
                close = difflib.get_close_matches(name, sorted(self.options), n=1)
                known = ", ".join(sorted(self.options))
                hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {known}."
                raise ConfigurationError(f"unknown option {name!r} for task {self.name!r}{hint}")


def _absolute(value: str) -> str:
    """A path that exists (or looks like a file) made absolute; module names and model names stay as they are."""
    path = Path(value).expanduser()
    if path.exists() or value.endswith((".py", "/")) or "/" in value:
        return str(path.resolve())
    return value


def _split_plugin(options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The options without ``plugin``, and the plugins (loaded before anything else is read)."""
    from qcircuits import plugins
    from sims.option_fields import plugin_list

    rest = dict(options)
    modules = plugin_list(rest.pop("plugin", []))
    plugins.load_plugins(modules)  # a plugin may register the head or the ansatz the options name
    return rest, modules


# --- ner -------------------------------------------------------------------------------------

def ner_options(options: dict[str, Any], seed: int):
    """The trial's :class:`~sims.ner.options.NerOptions`, converted and validated, with its seed.

    Raises:
        ConfigurationError: naming the option and what was expected.
    """
    from sims.ner.options import NerOptions

    values, _ = _split_plugin(options)
    for name in ("head", "ansatz"):
        value = values.get(name)
        if isinstance(value, str) and "," in value:
            raise ConfigurationError(f"{name} {value!r} is a list; in a sweep, vary it in [grid] instead.")
    return NerOptions.from_values({**values, "seed": seed})


def _check_ner(options: dict[str, Any], seed: int) -> None:
    """The options, the ansatz, and the paths a trial reads (data, encoder), before anything runs."""
    from qcircuits import plugins
    from sims.ner.conll import find_split_files
    from sims.ner.encoder import local_encoder_folder
    from sims.ner.options import DEMO_DATA

    ner = ner_options(options, seed)
    find_split_files(ner.data_dir or DEMO_DATA)
    local_encoder_folder(ner.encoder)
    if ner.head_type().uses_circuit:
        plugins.create(ner.ansatz, qubits=ner.qubits, **ner.ansatz_options())


def _run_ner(options: dict[str, Any], seed: int, folder: Path, report: Report) -> dict[str, Any]:
    from sims.ner.trainer import train

    ner = ner_options(options, seed)
    ner.run_dir = str(folder / "run")  # resumes from its last epoch when the trial is run again
    ner.cache_dir = ner.cache_dir or str(folder.parent.parent / ".encoder_cache")  # shared by the sweep's trials
    metrics = train(ner, on_epoch=lambda entry: report({"dev_entity_f1": entry.get("dev_entity_f1"),
                                                        "epoch": entry.get("epoch")}))  # the intermediate metric
    return {key: metrics.get(key) for key in ("best_dev_entity_f1", "train_tokens_per_s", "trainable_parameters",
                                              "circuit_parameters", "epochs_done", "best_epoch")}


# --- metrics (descriptors) ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DescriptorJob:
    """One descriptor trial: which circuit, and how it is sampled."""

    ansatz: str
    qubits: int
    depth: int
    options: Any  # sims.descriptors.DescriptorOptions


def _descriptor_job(options: dict[str, Any], seed: int) -> DescriptorJob:
    from sims.descriptors import DescriptorOptions
    from sims.option_fields import converted, field_values, integer

    values, _ = _split_plugin(options)
    circuit = {name: values.pop(name) for name in ("ansatz", "qubits", "depth", "backend") if name in values}
    qubits = converted("qubits", circuit.get("qubits", 4), integer)  # ranges are the ansatz's to check
    depth = converted("depth", circuit.get("depth", 1), integer)
    descriptor_options = DescriptorOptions(**field_values(DescriptorOptions, values), seed=seed,
                                           backend=str(circuit.get("backend", "statevector")))
    return DescriptorJob(str(circuit.get("ansatz", DEFAULT_ANSATZ)), qubits, depth, descriptor_options)


def _check_metrics(options: dict[str, Any], seed: int) -> None:
    from sims.descriptors import checked_metric_ansatz

    job = _descriptor_job(options, seed)
    checked_metric_ansatz(job.ansatz, job.qubits, job.depth)


def _run_metrics(options: dict[str, Any], seed: int, folder: Path, report: Report) -> dict[str, Any]:
    from sims.descriptors import describe_ansatz, flat_row

    job = _descriptor_job(options, seed)
    row = describe_ansatz(job.ansatz, job.qubits, job.depth, job.options)
    return {**flat_row(row), "detail": row}  # the full row (per-seed values) for --compare's JSON and plots


# --- layer-bench ----------------------------------------------------------------------------

def _bench(options: dict[str, Any], seed: int):
    from sims.layer_bench import BenchOptions

    values, modules = _split_plugin(options)
    return BenchOptions.from_values({**values, "seed": seed}), modules


def _check_bench(options: dict[str, Any], seed: int) -> None:
    from sims.layer_bench import check_bench

    check_bench(*_bench(options, seed))


def _run_bench(options: dict[str, Any], seed: int, folder: Path, report: Report) -> dict[str, Any]:
    from sims.layer_bench import measure_layer

    return measure_layer(*_bench(options, seed))


def _ner_option_names() -> frozenset[str]:
    from sims.ner.options import NerOptions
    from sims.option_fields import option_dest, option_fields

    return frozenset(option_dest(f) for f in option_fields(NerOptions)) | {"plugin"}


SEED_REASON = "give the seeds as seeds = [...] at the top of the file"


def _tasks() -> dict[str, Task]:
    from sims.layer_bench import BENCH_OPTIONS
    from sims.ner.options import DEFAULTS as NER_DEFAULTS

    return {
        "ner": Task(
            name="ner", metrics={"best_dev_entity_f1": "max", "train_tokens_per_s": "max"},
            metric="best_dev_entity_f1", options=_ner_option_names() - {"run_dir", "seeds"},
            refused={"seed": SEED_REASON, "seeds": SEED_REASON,
                     "run_dir": "each trial trains into its own folder under the sweep's output folder"},
            path_options=("data_dir", "cache_dir", "plugin", "encoder"), check=_check_ner, run=_run_ner,
            intermediate_metric="dev_entity_f1", shared_process=False, default_epochs=NER_DEFAULTS["epochs"],
            schedulers=SCHEDULERS),
        "metrics": Task(
            name="metrics",
            metrics={"expressibility": "min", "entangling_capability": "max", "gradient_variance": "max"},
            metric="expressibility",
            options=frozenset({"ansatz", "qubits", "depth", "backend", "samples", "grad_samples", "metric_seeds",
                               "noise", "plugin"}),
            refused={"seed": SEED_REASON, "compare": "vary ansatz in [grid] instead",
                     "json": "the sweep writes its own tables", "out_dir": "use --out-dir of the sweep command"},
            path_options=("plugin",), check=_check_metrics, run=_run_metrics),
        "layer-bench": Task(
            name="layer-bench",
            metrics={"forward_gradient_samples_per_s": "max", "forward_samples_per_s": "max"},
            metric="forward_gradient_samples_per_s", options=BENCH_OPTIONS - {"seed"}, refused={"seed": SEED_REASON},
            path_options=("plugin",), check=_check_bench, run=_run_bench),
    }


TASK_NAMES = ("ner", "metrics", "layer-bench")


def get_task(name: Any, where: Any = "sweep") -> Task:
    """The task called ``name``.

    Raises:
        ConfigurationError: for an unknown name, listing the known ones.
    """
    if name not in TASK_NAMES:
        raise ConfigurationError(f"{where}: unknown task {name!r}; expected one of {', '.join(TASK_NAMES)}.")
    return _tasks()[name]
