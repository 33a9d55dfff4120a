"""Sweeps: a grid of configurations x seeds, run on Ray Tune or one after another here.

The public entry points (the commands and the comparisons use these, and nothing below)::

    spec = load_spec("examples/sweeps/descriptors.toml")           # or spec_from_data({...}, Path("name"))
    results = run_here(spec, Path("runs/x"))                       # one trial after another, in this process
    run_ray(spec, spec.trials(), Path("runs/x"), address=None)     # on Ray Tune, here or on a cluster
    rows, summary = write_tables(spec, Path("runs/x"))

See :mod:`sims.sweep.spec` for the file format and :mod:`sims.sweep.results` for what is
written. Ray is imported only when a sweep runs on it.
"""

from sims.sweep.executors import check_address, import_tune, run_here, run_ray
from sims.sweep.results import FINISHED, format_summary, is_done, read_result, trial_dir, write_tables
from sims.sweep.spec import SweepSpec, Trial, load_spec, parse_override, spec_from_data
from sims.sweep.tasks import TASK_NAMES, Task, get_task

__all__ = ["FINISHED", "SweepSpec", "TASK_NAMES", "Task", "Trial", "check_address", "format_summary", "get_task",
           "import_tune", "is_done", "load_spec", "parse_override", "read_result", "run_here", "run_ray",
           "spec_from_data", "trial_dir", "write_tables"]
