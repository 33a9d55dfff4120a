"""What one trial of a sweep runs: a NER training, circuit descriptors, or a layer benchmark.

Each task takes the options of its own command line (``python -m sims.run ner``,
``metrics``; ``layer-bench`` has its own small parser), checks them without running
anything, and runs one trial in the current process, returning a flat row of numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
from pathlib import Path
from typing import Any, Callable

from qcircuits.errors import ConfigurationError

Report = Callable[[dict[str, Any]], None]  # intermediate results (one per NER epoch), for early stopping


@dataclasses.dataclass(frozen=True)
class Task:
    """One kind of trial.

    Attributes:
        name: as written in sweep files.
        metrics: every number a trial reports that can rank configurations, and whether
            higher (``max``) or lower (``min``) is better.
        metric: the default ranking metric.
        options: the option names a sweep may give (dest form).
        refused: options a sweep must not give, and why.
        path_options: options holding file or folder paths (made absolute when the file is read).
        parse: options -> the task's argparse namespace (raises ConfigurationError).
        check: (options, seed) -> None; validates without running.
        run: (options, seed, trial folder, report) -> the trial's row.
    """

    name: str
    metrics: dict[str, str]
    metric: str
    options: frozenset[str]
    refused: dict[str, str]
    path_options: tuple[str, ...]
    check: Callable[[dict[str, Any], int], None]
    run: Callable[[dict[str, Any], int, Path, Report], dict[str, Any]]

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


def to_argv(options: dict[str, Any]) -> list[str]:
    """Sweep options -> command-line arguments (``true`` is a flag, a list repeats the option)."""
    argv: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            argv += [flag] if value else []
        elif isinstance(value, list):
            for item in value:
                argv += [flag, str(item)]
        elif isinstance(value, (int, float, str)):
            argv += [flag, str(value)]
        else:
            raise ConfigurationError(f"option {name!r}: expected a string, number, boolean or list; "
                                     f"got {type(value).__name__}.")
    return argv


# --- ner -------------------------------------------------------------------------------------

def ner_options(options: dict[str, Any], seed: int):
    """The trial's parsed arguments and NerOptions (validated), as ``python -m sims.run ner`` reads them."""
    from sims.cli_args import RaisingParser
    from sims.ner.cli import options_from_args
    from sims.run import parse_subcommand, single_int

    args = parse_subcommand("ner", to_argv(options) + ["--seed", str(seed)], RaisingParser)
    single_int(args, "qubits")
    single_int(args, "depth")
    for name in ("head", "ansatz"):
        value = getattr(args, name) or ""
        if "," in value:
            raise ConfigurationError(f"{name} {value!r} is a list; in a sweep, vary it in [grid] instead.")
    from qcircuits import plugins

    plugins.load_plugins(args.plugin)  # before the options: a plugin may register the head or the ansatz
    return args, options_from_args(args, args.head)


def _check_ner(options: dict[str, Any], seed: int) -> None:
    """The options, the ansatz, and the paths a trial reads (data, encoder), before anything runs."""
    from qcircuits import plugins
    from sims.ner.conll import find_split_files
    from sims.ner.encoder import local_encoder_folder
    from sims.ner.options import DEMO_DATA

    _, ner = ner_options(options, seed)
    find_split_files(ner.data_dir or DEMO_DATA)
    local_encoder_folder(ner.encoder)
    if ner.head_type().uses_circuit:
        plugins.create(ner.ansatz, qubits=ner.qubits, **ner.ansatz_options())


def _run_ner(options: dict[str, Any], seed: int, folder: Path, report: Report) -> dict[str, Any]:
    from sims.ner.trainer import train

    _, ner = ner_options(options, seed)
    ner.run_dir = str(folder / "run")  # resumes from its last epoch when the trial is run again
    ner.cache_dir = ner.cache_dir or str(folder.parent.parent / ".encoder_cache")  # shared by the sweep's trials
    metrics = train(ner, on_epoch=lambda entry: report({"dev_entity_f1": entry.get("dev_entity_f1"),
                                                        "epoch": entry.get("epoch")}))
    return {key: metrics.get(key) for key in ("best_dev_entity_f1", "train_tokens_per_s", "trainable_parameters",
                                              "circuit_parameters", "epochs_done", "best_epoch")}


# --- metrics (descriptors) ------------------------------------------------------------------

def _descriptor_job(options: dict[str, Any], seed: int):
    from sims.cli_args import RaisingParser
    from sims.descriptors import DescriptorOptions
    from sims.run import parse_subcommand, single_int

    args = parse_subcommand("metrics", to_argv(options) + ["--seed", str(seed)], RaisingParser)
    single_int(args, "qubits")
    single_int(args, "depth")
    descriptor_options = DescriptorOptions(samples=args.samples, grad_samples=args.grad_samples,
                                           seeds=args.metric_seeds, seed=args.seed,
                                           backend=args.backend or "statevector")
    qubits = args.qubits if args.qubits is not None else 4
    depth = args.depth if args.depth is not None else 1
    return args, args.ansatz or "hardware_efficient", qubits, depth, descriptor_options


def _check_metrics(options: dict[str, Any], seed: int) -> None:
    from qcircuits import plugins
    from sims.descriptors import checked_metric_ansatz

    args, name, qubits, depth, _ = _descriptor_job(options, seed)
    plugins.load_plugins(args.plugin)
    checked_metric_ansatz(name, qubits, depth)


def _run_metrics(options: dict[str, Any], seed: int, folder: Path, report: Report) -> dict[str, Any]:
    from qcircuits import plugins
    from sims.descriptors import describe_ansatz
    from sims.metrics_cli import flat_row

    args, name, qubits, depth, descriptor_options = _descriptor_job(options, seed)
    plugins.load_plugins(args.plugin)
    row = describe_ansatz(name, qubits, depth, descriptor_options)
    return {**flat_row(row), "detail": row}  # the full row (per-seed values) for --compare's JSON and plots


# --- layer-bench ----------------------------------------------------------------------------

def _bench_args(options: dict[str, Any], seed: int) -> argparse.Namespace:
    from sims.cli_args import RaisingParser
    from sims.layer_bench import add_bench_arguments

    parser = RaisingParser(prog="layer-bench")
    add_bench_arguments(parser)
    return parser.parse_args(to_argv(options) + ["--seed", str(seed)])


def _check_bench(options: dict[str, Any], seed: int) -> None:
    from sims.layer_bench import check_bench

    check_bench(_bench_args(options, seed))


def _run_bench(options: dict[str, Any], seed: int, folder: Path, report: Report) -> dict[str, Any]:
    from sims.layer_bench import measure_layer

    return measure_layer(_bench_args(options, seed))


def _ner_option_names() -> frozenset[str]:
    from sims.ner.cli import NER_OPTIONS

    return frozenset(NER_OPTIONS | {"plugin"})


SEED_REASON = "give the seeds as seeds = [...] at the top of the file"


def _tasks() -> dict[str, Task]:
    from sims.layer_bench import BENCH_OPTIONS

    return {
        "ner": Task(
            name="ner", metrics={"best_dev_entity_f1": "max", "train_tokens_per_s": "max"},
            metric="best_dev_entity_f1", options=_ner_option_names() - {"run_dir", "seeds"},
            refused={"seed": SEED_REASON, "seeds": SEED_REASON,
                     "run_dir": "each trial trains into its own folder under the sweep's output folder"},
            path_options=("data_dir", "cache_dir", "plugin", "encoder"), check=_check_ner, run=_run_ner),
        "metrics": Task(
            name="metrics",
            metrics={"expressibility": "min", "entangling_capability": "max", "gradient_variance": "max"},
            metric="expressibility",
            options=frozenset({"ansatz", "qubits", "depth", "backend", "samples", "grad_samples", "metric_seeds",
                               "plugin"}),
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
