"""The circuit report that ``python -m sims.run`` prints and saves as JSON."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from qcircuits.ansatz import Ansatz
from qcircuits.noise import has_channels, noise_config
from sims.backends import Backend
from sims.backends.noise_support import readout_coefficients
from sims.memory import format_bytes, state_vector_bytes

# Circuits up to this size get a text diagram in the report.
DIAGRAM_MAX_QUBITS = 8
DIAGRAM_MAX_MOMENTS = 40


def simulate_report(ansatz: Ansatz, backend: Backend, *, batch: int, seed: int,
                    source: str = "") -> dict[str, Any]:
    """Simulates ``batch`` random parameter sets and collects the report.

    Features and weights are drawn uniformly from [0, 2 pi) with ``seed``.
    The throughput counts the whole backend call (resolver construction included).
    """
    needed = backend.check_fits(ansatz.n_qubits)
    values = ansatz.random_parameter_values(batch, np.random.default_rng(seed))
    start = time.perf_counter()
    expectations = backend.expectations(ansatz, values)
    seconds = time.perf_counter() - start
    small = ansatz.n_qubits <= DIAGRAM_MAX_QUBITS and ansatz.n_moments <= DIAGRAM_MAX_MOMENTS
    return {
        "ansatz": {**ansatz.summary(), "source": source, "options": dict(ansatz.options)},
        "backend": {"name": backend.name, "device": backend.device(), "selection": backend.selection or None},
        "noise": noise_config(backend.noise),
        "shots": getattr(backend.options, "repetitions", None),
        "batch": batch,
        "seed": seed,
        "expectations": {
            "readouts": ansatz.readout_names(),
            "mean": expectations.mean(axis=0),
            "std": expectations.std(axis=0),
            "first_rows": expectations[:4],
        },
        "timing": {"seconds": seconds, "circuits_per_second": batch / seconds if seconds > 0 else None},
        "memory": {
            "state_vector_bytes": state_vector_bytes(ansatz.n_qubits, backend.bytes_per_amplitude),
            "peak_estimate_bytes": needed,
        },
        "diagram": str(ansatz.circuit) if small else None,
        "trajectories": trajectory_summary(ansatz, backend),
    }


def trajectory_summary(ansatz: Ansatz, backend: Backend) -> dict[str, Any] | None:
    """How many Monte Carlo trajectories the last expectations took per sample, and their standard error.

    None when the backend computed exact expectations (no channels, a density matrix) or sampled shots.
    The engine measures each mean's standard error (the rows' spread); qsim and TFQ do not report theirs,
    so the bound ``|c| / sqrt(K)`` of a readout ``c * P`` (its values lie in ``[-|c|, |c|]``) is given.
    """
    trajectories = getattr(backend.options, "trajectories", None)
    noisy = backend.noise.has_channels or has_channels(ansatz.circuit)
    if not noisy or trajectories is None or backend.density_matrices \
            or getattr(backend.options, "repetitions", None) is not None:
        return None
    error = backend.last_standard_error
    if error is not None:
        return {"per_sample": trajectories, "standard_error_max": float(error.max()),
                "standard_error_mean": float(error.mean()), "measured": True}
    bound = float(np.abs(readout_coefficients(ansatz.readouts)).max() / np.sqrt(trajectories))
    return {"per_sample": trajectories, "standard_error_max": bound, "standard_error_mean": None, "measured": False}


def format_report(report: dict[str, Any]) -> str:
    """Human-readable text for a report dict."""
    a = report["ansatz"]
    e = report["expectations"]
    t = report["timing"]
    m = report["memory"]
    lines = [
        f"ansatz        {a['family']}  ({a['source']})",
        f"qubits        {a['qubits']}",
        f"depth         {a['depth']} layer(s)",
        f"entanglement  {a['entanglement']}",
        f"encoding      {a['encoding']} ({a['features']} features"
        f"{', re-uploaded every layer' if a['reupload'] else ''})",
        f"parameters    {a['trainable_parameters']} trainable, {a['data_parameters']} data",
        f"gates         {a['gates']} total, {a['two_qubit_gates']} two-qubit, {a['moments']} moments",
        f"backend       {report['backend']['name']} ({report['backend']['device']})",
        f"noise         {report.get('noise') or 'none'}"
        + (f"; {report['shots']} shots per readout" if report.get("shots") else ""),
        f"memory        state vector {format_bytes(m['state_vector_bytes'])}"
        f" (peak estimate {format_bytes(m['peak_estimate_bytes'])})",
    ]
    sampled = report.get("trajectories")
    if sampled and sampled["measured"]:
        lines.append(f"trajectories  {sampled['per_sample']} per sample; standard error of a mean: max "
                     f"{sampled['standard_error_max']:.5f}, mean {sampled['standard_error_mean']:.5f}")
    elif sampled:
        lines.append(f"trajectories  {sampled['per_sample']} per sample; standard error of a mean at most "
                     f"{sampled['standard_error_max']:.5f} (|c| / sqrt(K); not measured by this backend)")
    if report.get("diagram"):
        lines += ["", report["diagram"], ""]
    lines.append(f"expectations over {report['batch']} random parameter sets (seed {report['seed']}):")
    width = max(len(r) for r in e["readouts"])
    for name, mean, std in zip(e["readouts"], e["mean"], e["std"], strict=True):
        lines.append(f"  <{name}>{' ' * (width - len(name))}  mean {mean:+.5f}  std {std:.5f}")
    first = np.asarray(e["first_rows"])
    for i, row in enumerate(first):
        shown = " ".join(f"{v:+.4f}" for v in row[:8]) + (" ..." if len(row) > 8 else "")
        lines.append(f"  set {i}: {shown}")
    rate = t["circuits_per_second"]
    lines.append(f"throughput    {rate:,.1f} circuits/s ({t['seconds']:.3f} s for {report['batch']})"
                 if rate else f"throughput    {t['seconds']:.3f} s")
    return "\n".join(lines)
