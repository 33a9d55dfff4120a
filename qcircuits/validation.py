"""Argument checks shared by ansatz families, in "expected X; got Y" form."""

from __future__ import annotations

import numbers

from qcircuits.errors import ConfigurationError


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
