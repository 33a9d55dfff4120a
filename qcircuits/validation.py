"""Argument checks shared by ansatz families, in "expected X; got Y" form."""

from __future__ import annotations

import numbers

from qcircuits.errors import ConfigurationError

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
