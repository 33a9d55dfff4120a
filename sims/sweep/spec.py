"""Sweep files: what to run (a task, fixed options, a grid, seeds), read and checked before anything runs.

A sweep file is TOML::

    task = "ner"                 # ner, metrics or layer-bench
    seeds = [0, 1, 2]

    [options]                    # the same for every trial (the task's command-line options)
    data-dir = "../shared/data/conll2003"
    epochs = 4

    [grid]                       # every combination of these
    ansatz = ["hardware_efficient", "sim_14"]
    depth = [1, 2]

    [[configurations]]           # optional: named variants, each crossed with the grid
    head = "quantum"

    [resources]                  # per trial, so Ray can pack trials onto machines
    cpus = 1
    gpus = 0

Every trial is one configuration and one seed: ``configurations x grid x seeds``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError

TOP_LEVEL = ("task", "seeds", "options", "grid", "configurations", "resources", "metric", "scheduler")
MAX_TRIALS = 10_000  # a typo in a grid must not queue a million trainings


@dataclasses.dataclass(frozen=True)
class Resources:
    """What one trial asks of the machine (Ray places trials by it)."""

    cpus: float = 1.0
    gpus: float = 0.0


@dataclasses.dataclass(frozen=True)
class Trial:
    """One configuration at one seed.

    Attributes:
        key: a folder name unique to the task, options and seed (readable, with a short hash).
        options: every option of the trial (fixed, configuration and grid values), dest names.
        varying: the options that differ between configurations (labels, tables, plots).
        seed: the trial's random seed.
    """

    key: str
    options: dict[str, Any]
    varying: dict[str, Any]
    seed: int

    @property
    def label(self) -> str:
        """The configuration without the seed, e.g. ``ansatz=sim_14 depth=2``."""
        return " ".join(f"{k}={v}" for k, v in self.varying.items()) or "(fixed options)"


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A checked sweep file.

    Attributes:
        path: the file it was read from.
        task: ``ner``, ``metrics`` or ``layer-bench``.
        options: the fixed options (dest names: ``data_dir``, not ``data-dir``).
        configurations: the named variants (at least one, possibly empty).
        grid: option -> list of values, crossed with every configuration.
        seeds: one trial per seed.
        resources: per trial.
        metric: the number that ranks configurations; ``mode`` says whether higher is better.
        scheduler: ``none`` (run every trial to the end) or ``asha`` (stop bad NER trials early).
    """

    path: Path
    task: str
    options: dict[str, Any]
    configurations: tuple[dict[str, Any], ...]
    grid: dict[str, list[Any]]
    seeds: tuple[int, ...]
    resources: Resources
    metric: str
    mode: str
    scheduler: str = "none"

    def trials(self) -> list[Trial]:
        """Every configuration x grid point x seed, in file order."""
        grid_points = [dict(zip(self.grid, values, strict=True)) for values in itertools.product(*self.grid.values())]
        varying_keys = _varying_keys(self.configurations, self.grid)
        trials = []
        for configuration in self.configurations:
            for point in grid_points:
                options = {**self.options, **configuration, **point}
                varying = {k: options[k] for k in varying_keys if k in options}
                for seed in self.seeds:
                    trials.append(Trial(trial_key(self.task, options, varying, seed), options, varying, seed))
        return trials


def _varying_keys(configurations: tuple[dict[str, Any], ...], grid: dict[str, list[Any]]) -> list[str]:
    keys: list[str] = []
    for configuration in configurations:
        keys += [k for k in configuration if k not in keys and len({json.dumps(c.get(k)) for c in configurations}) > 1]
    return keys + [k for k in grid if k not in keys]


def trial_key(task: str, options: dict[str, Any], varying: dict[str, Any], seed: int) -> str:
    """A folder name: the varying values (readable) and a hash of everything (unique).

    Changing a fixed option changes every key, so old results are never mistaken for new ones.
    """
    canonical = json.dumps({"task": task, "options": options, "seed": seed}, sort_keys=True, default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    readable = "-".join(f"{k}={v}" for k, v in varying.items())
    readable = re.sub(r"[^A-Za-z0-9_.=,+-]+", "_", readable)[:80]
    return f"{readable + '-' if readable else ''}seed{seed}-{digest}"


def option_name(name: str) -> str:
    """``data-dir`` and ``data_dir`` are the same option (argparse's dest form)."""
    return name.strip().replace("-", "_")


def read_toml(path: Path) -> dict[str, Any]:
    """Parses a TOML file; a syntax error names the file, line and column."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is read past
    except FileNotFoundError:
        raise ConfigurationError(f"Sweep file {str(path)!r} does not exist.") from None
    except IsADirectoryError:
        raise ConfigurationError(f"Sweep file {str(path)!r} is a folder; expected a .toml file.") from None
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"Sweep file {str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start}).") \
            from None
    except OSError as exc:
        raise ConfigurationError(f"Cannot read sweep file {str(path)!r}: {exc.strerror}.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}.") from None


def _table(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: [{name}] must be a table of options; got {type(value).__name__}.")
    return {option_name(k): v for k, v in value.items()}


def _seeds(data: dict[str, Any], path: Path) -> tuple[int, ...]:
    from qcircuits.validation import check_seed

    seeds = data.get("seeds", [0])
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = [seeds]
    if not isinstance(seeds, list) or not seeds:
        raise ConfigurationError(f"{path}: seeds must be a non-empty list of seeds; got {seeds!r}.")
    for value in seeds:
        try:
            check_seed(value, "each seed")
        except ConfigurationError as exc:
            raise ConfigurationError(f"{path}: {exc}") from None
    if len(set(seeds)) != len(seeds):
        raise ConfigurationError(f"{path}: seeds must differ; got {seeds!r}.")
    return tuple(seeds)


def _resources(data: dict[str, Any], path: Path) -> Resources:
    table = _table(data, "resources", path)
    unknown = sorted(set(table) - {"cpus", "gpus"})
    if unknown:
        raise ConfigurationError(f"{path}: unknown resource {unknown[0]!r} in [resources]; expected cpus, gpus.")
    values = {}
    for name, minimum in (("cpus", 0.01), ("gpus", 0.0)):
        value = table.get(name, getattr(Resources(), name))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value <= 1024:
            raise ConfigurationError(f"{path}: resources.{name} must be a number from {minimum:g} to 1024; "
                                     f"got {value!r}.")
        values[name] = float(value)
    return Resources(**values)


def parse_override(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` from the command line: VALUE read as a TOML value (``3``, ``true``, ``[1, 2]``), else text.

    Raises:
        ConfigurationError: without ``=`` or a name.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ConfigurationError(f"--set {text!r}: expected NAME=VALUE, e.g. data-dir=data/conll2003 or epochs=4.")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    return option_name(name), parsed


def load_spec(path: str | Path, overrides: dict[str, Any] | None = None) -> SweepSpec:
    """Reads and checks a sweep file: the task, its options and every grid value, before anything runs.

    Args:
        path: the TOML file.
        overrides: fixed options that replace the file's (``--set NAME=VALUE``); an option
            the file varies in its grid cannot be fixed this way.

    Raises:
        ConfigurationError: one line naming the file, the entry and what was expected.
    """
    path = Path(path)
    data = read_toml(path)
    if overrides:
        data["options"] = {**{option_name(k): v for k, v in data.get("options", {}).items()}, **overrides}
    return spec_from_data(data, path)


def spec_from_data(data: dict[str, Any], path: Path) -> SweepSpec:
    """A checked sweep from the contents of a sweep file (or from a command line that builds one).

    Args:
        data: the file's tables: task, seeds, options, grid, configurations, resources, ...
        path: where they came from; error messages start with it.

    Raises:
        ConfigurationError: one line naming ``path``, the entry and what was expected.
    """
    from sims.sweep.tasks import get_task

    unknown = sorted(set(data) - set(TOP_LEVEL))
    if unknown:
        raise ConfigurationError(f"{path}: unknown entry {unknown[0]!r}; expected {', '.join(TOP_LEVEL)}.")
    if "task" not in data:
        raise ConfigurationError(f"{path}: no task; add task = \"ner\", \"metrics\" or \"layer-bench\".")
    task = get_task(data["task"], path)
    options = _table(data, "options", path)
    grid = _table(data, "grid", path)
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigurationError(f"{path}: grid.{name} must be a non-empty list of values; got {values!r}.")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise ConfigurationError(f"{path}: grid.{name} repeats a value: {values!r}.")
    raw_configurations = data.get("configurations", [{}])
    if not isinstance(raw_configurations, list) or not all(isinstance(c, dict) for c in raw_configurations) \
            or not raw_configurations:
        raise ConfigurationError(f"{path}: [[configurations]] must be a list of option tables.")
    configurations = tuple({option_name(k): v for k, v in c.items()} for c in raw_configurations)
    options = task.resolve_paths(options)  # trials run in other folders, maybe on other machines
    configurations = tuple(task.resolve_paths(c) for c in configurations)
    grid = {name: [task.resolve_paths({name: v})[name] for v in values] for name, values in grid.items()}
    overlap = sorted(set(options) & (set(grid) | {k for c in configurations for k in c}))
    if overlap:
        raise ConfigurationError(f"{path}: {overlap[0]!r} is both a fixed option and varied; give it in one place.")
    both = sorted(set(grid) & {k for c in configurations for k in c})
    if both:
        raise ConfigurationError(f"{path}: {both[0]!r} is in [grid] and in [[configurations]]; give it in one place.")
    metric = data.get("metric", task.metric)
    if metric not in task.metrics:
        raise ConfigurationError(f"{path}: metric {metric!r} is not one that task {task.name!r} reports; expected "
                                 f"one of {', '.join(task.metrics)}.")
    scheduler = data.get("scheduler", "none")
    if scheduler not in task.schedulers:
        raise ConfigurationError(f"{path}: scheduler {scheduler!r} is not available for task {task.name!r}; expected "
                                 + " or ".join(repr(name) for name in task.schedulers) + ".")
    spec = SweepSpec(path=path, task=task.name, options=options, configurations=configurations, grid=grid,
                     seeds=_seeds(data, path), resources=_resources(data, path), metric=metric,
                     mode=task.metrics[metric], scheduler=scheduler)
    count = len(configurations) * len(spec.seeds) * math.prod(len(v) for v in grid.values())
    if count > MAX_TRIALS:
        raise ConfigurationError(f"{path}: the sweep has {count} trials; expected at most {MAX_TRIALS}.")
    for trial in spec.trials():  # every value, in every combination, before the first trial starts
        try:
            task.validate(trial.options, trial.seed)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{path}: trial {trial.label} seed {trial.seed}: {exc}") from None
    return spec

