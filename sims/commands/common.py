"""Parent parsers: each option that several commands share is declared here, once."""

from __future__ import annotations

import argparse
from typing import Any

from qcircuits.noise import NAMES
from qcircuits.plugins import DEFAULT_ANSATZ
from sims.option_fields import integer, noise_spec, positive_int, seed, shot_count


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False, allow_abbrev=False)


def plugin_options() -> argparse.ArgumentParser:
    """``--plugin``: every command loads the user's ansatze and heads first."""
    parent = _parent()
    parent.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE",
                        help="load ansatze (or NER heads) from a module or .py file (repeatable)")
    return parent


def seed_option() -> argparse.ArgumentParser:
    parent = _parent()
    parent.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2^32-1 (default: %(default)s)")
    return parent


def circuit_options(*, ranges: bool = False, full: bool = True) -> argparse.ArgumentParser:
    """The circuit: ``--ansatz``, ``--qubits``, ``--depth`` and (``full``) its encoding and readout.

    Args:
        ranges: ``--qubits`` and ``--depth`` also take ranges and lists (descriptor tables).
        full: add the options beyond the three (entanglement, encoding, features, ...).
    """
    parent = _parent()
    group = parent.add_argument_group("circuit (defaults: the family's own)")
    group.add_argument("--ansatz", help=f"registered ansatz name (default: {DEFAULT_ANSATZ})")
    # Ranges are text, parsed by the command (sims.commands.metrics.parse_range).
    number: dict[str, Any] = {"help": " (also a range like 2-12 or a list 2,4)"} if ranges else {"type": integer}
    span = number.pop("help", "")
    group.add_argument("--qubits", help="number of qubits" + span, **number)
    group.add_argument("--depth", help="number of variational layers" + span, **number)
    if full:
        group.add_argument("--entanglement", help="linear, reverse_linear, circular, full, pairwise, sca, star, or "
                                                  "pairs like 0-1,1-2")
        group.add_argument("--encoding", help="angle_x, angle_y, angle_z, angle_y_plus, dense_angle, iqp (zz), none")
        group.add_argument("--features", type=integer, help="number of input features")
        group.add_argument("--reupload", action="store_true", default=None,
                           help="repeat the encoding before every layer (data re-uploading)")
        group.add_argument("--readout", help="'z' (default), qubit indices '0,2', or Pauli strings 'ZZII,X0'")
    return parent


def backend_option(default: str) -> argparse.ArgumentParser:
    from sims.backends import backend_names  # the registry is light: no TensorFlow import

    parent = _parent()
    parent.add_argument("--backend", help=f"one of {', '.join(backend_names(with_auto=True))} (default: {default})")
    return parent


def simulation_options() -> argparse.ArgumentParser:
    """How a report simulates: the batch, CPU threads and qsim's GPU options."""
    parent = _parent()
    group = parent.add_argument_group("simulation")
    group.add_argument("--batch", type=positive_int, default=32,
                       help="random parameter sets to simulate (default: %(default)s)")
    group.add_argument("--threads", type=positive_int, help="CPU threads (default: all cores)")
    group.add_argument("--gpu-threads", type=positive_int,
                       help="GPU backends: CUDA threads per block, a power of two from 32 to 1024")
    group.add_argument("--gpu-data-blocks", type=positive_int, help="GPU backends: data blocks per kernel")
    return parent


def noise_options() -> argparse.ArgumentParser:
    """``--noise``, ``--shots`` and ``--trajectories``: what a device would do to the circuit."""
    parent = _parent()
    group = parent.add_argument_group("noise and shots")
    group.add_argument("--noise", type=noise_spec, metavar="SPEC",
                       help="channels after every gate and readout error, e.g. 'depolarize:0.01' or "
                            "'depolarize:0.01,amplitude_damp:0.005,readout:0.02' (channels: "
                            f"{', '.join(NAMES)})")
    group.add_argument("--shots", type=shot_count, metavar="N",
                       help="sampled expectations with N shots per readout (parameter-shift gradients when training)")
    group.add_argument("--trajectories", type=positive_int, metavar="K",
                       help="Monte Carlo trajectories per sample under noise: qsim and tfq (default 1000), "
                            "statevector (default: the exact density matrix)")
    return parent


def json_option(what: str) -> argparse.ArgumentParser:
    parent = _parent()
    parent.add_argument("--json", metavar="PATH", help=f"also write {what} as JSON to PATH")
    return parent


def ansatz_options(args: argparse.Namespace) -> dict[str, Any]:
    """The circuit options the user gave (others stay at the family's defaults)."""
    names = ("qubits", "depth", "entanglement", "encoding", "features", "reupload", "readout")
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """The backend options the user gave; the backend rejects the ones it does not take."""
    names = ("threads", "gpu_threads", "gpu_data_blocks", "trajectories")
    options = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    if getattr(args, "noise", None) not in (None, "none"):
        options["noise"] = args.noise
    if getattr(args, "shots", None) is not None:
        options["repetitions"] = args.shots
        options["shot_seed"] = getattr(args, "seed", 0)
    return options
