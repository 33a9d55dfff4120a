"""Argument checks shared by ansatz families, in "expected X; got Y" form."""

from __future__ import annotations

import numbers

from qcircuits.errors import ConfigurationError, ToolkitWarning

# Far beyond what any simulator here holds, but a bound: a typo such as 10**9 qubits or layers must
# fail at once rather than spend hours building a circuit nobody can run.
MAX_QUBITS = 1024
MAX_DEPTH = 1024


def check_int(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    """Returns ``value`` as an int after checking its type and range.

    Raises:
        ConfigurationError: if ``value`` is not an integer or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigurationError(f"{name} must be an integer; got {value!r}.")
    value = int(value)
    if value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name} must be <= {maximum}; got {value}.")
    return value


MAX_SEED = 2 ** 32 - 1  # numpy's and TensorFlow's seeds are 32-bit


def check_seed(value: object, name: str = "seed") -> int:
    """Returns ``value`` if it is a random seed: an integer from 0 to 2^32 - 1.

    The one check of a seed, wherever it comes from (a command line, a sweep file, an API).

    Raises:
        ConfigurationError: naming the value and the range.
    """
    problem = seed_problem(value)
    if problem:
        raise ConfigurationError(f"{name}: {problem}.")
    return int(value)  # type: ignore[call-overload,no-any-return]


def seed_problem(value: object) -> str | None:
    """What is wrong with ``value`` as a seed (``"expected a seed from 0 to ...; got -1"``), or None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= MAX_SEED:
        return f"expected a seed from 0 to {MAX_SEED}; got {value!r}"
    return None


def check_positive_number(name: str, value: object) -> float:
    """Returns ``value`` as a float if it is a finite number > 0 (learning rates, scales).

    Raises:
        ConfigurationError: naming the value.
    """
    import math

    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a finite number > 0; got {value!r}.")
    return float(value)


MAX_REPETITIONS = 10 ** 9  # shots per readout: beyond it a count is a typo, and float32 counts lose whole shots


def check_repetitions(value: object, name: str = "repetitions") -> int:
    """Returns ``value`` if it is a shot count: an integer from 1 to :data:`MAX_REPETITIONS`.

    Raises:
        ConfigurationError: naming the value and the range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= int(value) <= MAX_REPETITIONS:
        raise ConfigurationError(f"{name}: expected a shot count from 1 to {MAX_REPETITIONS:,}; got {value!r}.")
    return int(value)


# Beyond this many radians a float32 angle's spacing exceeds 1e-3 rad, so backends that reduce
# angles in float32 (our engine, TFQ, qsim) and those that work in float64 (Cirq) disagree in
# the third decimal, and at 1e30 rad they give unrelated answers.
LARGE_ANGLE = 1e4


class PrecisionWarning(ToolkitWarning):
    """Angles so large that float32 backends cannot represent their rotation faithfully."""


def warn_large_angles(values: object, what: str = "parameter values") -> bool:
    """Warns (once per call site, Python's default) when any angle's magnitude exceeds :data:`LARGE_ANGLE`.

    Returns:
        True when it warned.
    """
    import warnings

    import numpy as np

    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return False
    largest = float(np.nanmax(np.abs(array))) if not np.all(np.isnan(array)) else 0.0
    if largest <= LARGE_ANGLE:
        return False
    warnings.warn(f"{what} reach {largest:.3g} rad: float32 backends (statevector, tfq, qsim) lose the rotation's "
                  f"precision beyond {LARGE_ANGLE:.0e} rad and disagree with cirq; scale the inputs to a few pi.",
                  PrecisionWarning, stacklevel=3)
    return True
