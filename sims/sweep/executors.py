"""Running a sweep's trials: on Ray Tune (this machine or a cluster), or one after another in this process.

Both executors run the same :func:`execute_trial` and record each finished trial in its
own result file, so a sweep run again skips what is done, whichever executor ran it.
Resuming is ours rather than ``Tuner.restore``: a result file per trial, keyed by a hash
of its configuration, survives a killed driver, and lets a grown grid run only its new
trials. A NER trial cut off mid-way resumes from its run folder's last epoch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from qcircuits.errors import ConfigurationError
from sims.sweep.results import is_done, read_result, record, trial_dir
from sims.sweep.spec import SweepSpec, Trial
from sims.sweep.tasks import Task, get_task

INSTALL_HINT = "pip install 'qcircuits-toolkit[sweep]' (make install includes it)"


@contextlib.contextmanager
def _trial_log(folder: Path, capture: bool) -> Iterator[None]:
    """Sends the trial's Python output (training logs, progress bars) to ``trial.log`` in its folder."""
    folder.mkdir(parents=True, exist_ok=True)
    if not capture:
        yield
        return
    with open(folder / "trial.log", "a", encoding="utf-8") as log:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            yield


def execute_trial(task_name: str, trial: Trial, out_dir: Path,
                  report: Callable[[dict[str, Any]], None] = lambda values: None, *,
                  capture: bool = True, raise_errors: bool = False) -> dict[str, Any]:
    """Runs one trial and returns its outcome; an exception is caught and returned as an error.

    Args:
        task_name: the trial's task.
        trial: the configuration and seed.
        out_dir: the sweep folder (the trial works in ``trials/<key>/``).
        report: receives intermediate results (NER: each epoch's dev F1).
        capture: send the trial's output to its ``trial.log`` instead of the console.
        raise_errors: let an exception through instead of recording it (a command that
            runs a single comparison stops at the first error, as one line).

    Returns:
        ``{"status": "ok" | "error", "values": {...}, "error": str | None, "seconds": float}``.
    """
    folder = trial_dir(out_dir, trial)
    start = time.perf_counter()
    with _trial_log(folder, capture):
        try:
            values = get_task(task_name).run(trial.options, trial.seed, folder, report)
            return {"status": "ok", "values": values, "error": None, "seconds": time.perf_counter() - start}
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - one failed trial must not stop the others
            if raise_errors:
                raise
            if capture:
                traceback.print_exc()  # into trial.log
            else:
                with open(folder / "trial.log", "a", encoding="utf-8") as log:
                    traceback.print_exc(file=log)
            message = " ".join(str(exc).split()) or type(exc).__name__
            return {"status": "error", "values": {}, "error": f"{type(exc).__name__}: {message}",
                    "seconds": time.perf_counter() - start}


def run_local(task: str, trials: list[Trial], out_dir: Path, *, capture: bool = True,
              raise_errors: bool = False, desc: str = "trials") -> None:
    """Runs ``trials`` one after another in this process, with a progress bar (see :func:`execute_trial`)."""
    from tqdm.auto import tqdm

    bar = tqdm(trials, desc=desc, unit="trial", disable=len(trials) < 2 or not capture)
    for trial in bar:
        bar.set_postfix_str(trial.label + f" seed {trial.seed}", refresh=True)
        outcome = execute_trial(task, trial, out_dir, capture=capture, raise_errors=raise_errors)
        record(out_dir, trial, outcome["status"], outcome["values"], outcome["error"], outcome["seconds"])
        if outcome["status"] == "error":
            tqdm.write(f"trial {trial.label} seed {trial.seed} failed: {outcome['error']}")


def run_here(spec: SweepSpec, out_dir: Path, *, capture: bool = True, raise_errors: bool = False,
             desc: str = "trials") -> list[dict[str, Any]]:
    """Runs a sweep's trials here, one after another, skipping those already done; what comparisons use.

    Args:
        spec: the checked sweep (:func:`~sims.sweep.spec.spec_from_data` builds one from a dict).
        out_dir: its folder; each trial's result file goes to ``trials/<key>/``.
        capture: send each trial's output to its ``trial.log`` instead of the console.
        raise_errors: stop at the first failing trial with its exception (a command that
            runs one comparison), instead of recording it and going on.
        desc: the progress bar's label.

    Returns:
        Every trial's recorded result, in the spec's order, each with ``reused`` (True when
        an earlier run had finished it).
    """
    trials = spec.trials()
    pending = [t for t in trials if not is_done(out_dir, t)]
    run_local(spec.task, pending, out_dir, capture=capture, raise_errors=raise_errors, desc=desc)
    todo = {t.key for t in pending}
    return [{**(read_result(out_dir, t) or {"status": "pending", "values": {}}), "reused": t.key not in todo}
            for t in trials]


# --- Ray ------------------------------------------------------------------------------------

def import_tune():
    """``ray.tune``, or a one-line error that says how to install it."""
    try:
        from ray import tune
    except ImportError as exc:
        raise ConfigurationError(f"Sweeps on Ray need Ray Tune, which is not installed ({exc}); {INSTALL_HINT}, "
                                 "or run with --executor local.") from None
    return tune


def check_address(address: str | None, timeout: float = 5.0) -> None:
    """Refuses a Ray address that cannot be reached, before Ray starts (Ray itself retries for a minute).

    ``auto`` (the cluster this machine belongs to) is left to Ray.

    Raises:
        ConfigurationError: for a malformed or unreachable ``host:port``.
    """
    if address in (None, "", "auto", "local"):
        return
    text = address.removeprefix("ray://")
    host, _, port = text.rpartition(":")
    if not host or not port.isdecimal() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"Ray address {address!r} is not HOST:PORT (for example 10.0.0.5:6379) or 'auto'.")
    try:
        speaks_grpc = _speaks_grpc(host, int(port), timeout=timeout)
    except OSError as exc:
        raise ConfigurationError(f"Cannot reach the Ray cluster at {address!r} ({exc.strerror or exc}); start it with "
                                 "`ray start --head` there, or leave out --ray-address to run on this machine.") \
            from None
    if not speaks_grpc:
        raise ConfigurationError(f"{address!r} answers, but not as a Ray cluster (no gRPC reply within {timeout:g} s); "
                                 "check the port (Ray's default is 6379, 10001 for ray://) or leave out --ray-address.")


# The HTTP/2 connection preface a gRPC client sends first; a gRPC server (Ray's GCS and its
# client server are gRPC) answers with a SETTINGS frame (frame type 4, the 4th byte of the frame).
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def _speaks_grpc(host: str, port: int, timeout: float) -> bool:
    """True when ``host:port`` answers an HTTP/2 preface with an HTTP/2 SETTINGS frame, within ``timeout``.

    Ray retries a wrong address for a minute (or hangs on an HTTP server); this tells a gRPC
    server from anything else in one round trip, and never waits longer than ``timeout``.

    Raises:
        OSError: when nothing accepts the connection.
    """
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.settimeout(timeout)
        try:
            connection.sendall(_HTTP2_PREFACE)
            reply = b""
            while len(reply) < 9:
                chunk = connection.recv(9 - len(reply))
                if not chunk:
                    return False
                reply += chunk
        except (TimeoutError, ConnectionError):
            return False
    return reply[3] == 4  # a SETTINGS frame header: 3 bytes length, then the type


def _ray_trainable(config: dict[str, Any], trials: dict[str, Trial], task: str, out_dir: str) -> None:
    """One Tune trial: runs the trial and reports its outcome (the driver records it)."""
    from ray import tune

    trial = trials[config["key"]]
    last: dict[str, Any] = {}  # the scheduler's metric must be in every result, the final one too

    def report(values: dict[str, Any]) -> None:
        last.update(_scalars(values))
        tune.report({**last, "sweep_final": False})

    outcome = execute_trial(task, trial, Path(out_dir), report=report)
    tune.report({**last, **_scalars(outcome["values"]), "sweep_final": True, "sweep_status": outcome["status"],
                 "sweep_values": json.dumps(outcome["values"], default=str), "sweep_error": outcome["error"] or "",
                 "sweep_seconds": outcome["seconds"]})


def _trial_name(trial) -> str:
    return str(trial.config["key"])


def _scalars(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _recorder(tune, out_dir: Path, by_key: dict[str, Trial], task: Task):
    """A Tune callback on the driver that writes each trial's result file as soon as it finishes.

    A trial the scheduler stops keeps the best of its intermediate metric, as the task's
    ranking metric, and how many epochs it ran.
    """
    better = max if task.metrics[task.metric] == "max" else min

    class Recorder(tune.Callback):
        def __init__(self) -> None:
            self.recorded: set[str] = set()
            self.best: dict[str, float] = {}

        def on_trial_result(self, iteration, trials, trial, result, **info):
            value = result.get(task.intermediate_metric or "")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                key = trial.config["key"]
                self.best[key] = better(self.best.get(key, value), value)
            if result.get("sweep_final"):
                key = trial.config["key"]
                record(out_dir, by_key[key], result["sweep_status"], json.loads(result["sweep_values"]),
                       result["sweep_error"] or None, result["sweep_seconds"])
                self.recorded.add(key)

        def on_trial_complete(self, iteration, trials, trial, **info):
            key = trial.config["key"]
            if key not in self.recorded:  # stopped early by the scheduler: keep its numbers so far
                values = {task.metric: self.best.get(key), "epochs_done": (trial.last_result or {}).get("epoch")}
                record(out_dir, by_key[key], "stopped", values, "stopped early by the ASHA scheduler")
                self.recorded.add(key)

        def on_trial_error(self, iteration, trials, trial, **info):
            key = trial.config["key"]
            if key not in self.recorded:
                record(out_dir, by_key[key], "error", {}, "the trial's process failed (see the Ray logs in "
                                                          f"{out_dir / 'ray'})")
                self.recorded.add(key)

    return Recorder()


def run_ray(spec: SweepSpec, trials: list[Trial], out_dir: Path, *, address: str | None = None,
            max_concurrent: int | None = None) -> None:
    """Runs ``trials`` as a Ray Tune grid: on this machine's cores, or on the cluster at ``address``.

    The caller checks ``address`` first (:func:`check_address`), before it writes anything.
    """
    tune = import_tune()
    import ray

    if not ray.is_initialized():
        # Trials write their output to trial.log in their own folders; the driver shows Tune's table.
        ray.init(address=None if address in (None, "", "local") else address, include_dashboard=False,
                 logging_level=logging.WARNING, log_to_driver=False)
    by_key = {t.key: t for t in trials}
    task = get_task(spec.task)
    trainable = tune.with_resources(
        tune.with_parameters(_ray_trainable, trials=by_key, task=spec.task, out_dir=str(out_dir.resolve())),
        {"cpu": spec.resources.cpus, "gpu": spec.resources.gpus})
    scheduler = None
    if spec.scheduler == "asha":  # the spec allowed it: the task has an intermediate metric and epochs
        from ray.tune.schedulers import ASHAScheduler

        epochs = int(spec.options.get("epochs", task.default_epochs or 1))
        scheduler = ASHAScheduler(metric=task.intermediate_metric, mode=task.metrics[task.metric],
                                  max_t=epochs + 1, grace_period=min(2, epochs), reduction_factor=3)
    tuner = tune.Tuner(
        trainable, param_space={"key": tune.grid_search(list(by_key))},
        tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent, reuse_actors=task.shared_process,
                                    scheduler=scheduler,
                                    trial_name_creator=_trial_name, trial_dirname_creator=_trial_name),
        run_config=tune.RunConfig(name=time.strftime("run-%Y%m%d-%H%M%S"),
                                  storage_path=str((out_dir / "ray").resolve()),
                                  callbacks=[_recorder(tune, out_dir, by_key, task)],
                                  failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
                                  verbose=1))
    try:
        tuner.fit()
    finally:
        sys.stdout.flush()
