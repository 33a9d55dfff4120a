"""Options declared once, as dataclass fields, and read from a command line or from a dict.

A field made with :func:`option` carries its help text, converter and choices. The
command line builds its arguments from the fields (:func:`add_field_argument`); a sweep
file's or an API caller's dict is converted and checked by the same converters
(:func:`field_values`), without going through ``argv``. The converters raise
``argparse.ArgumentTypeError`` (argparse prints it as one line); :func:`field_values` turns
that into a :class:`~qcircuits.errors.ConfigurationError` naming the option.

No TensorFlow, no command-line module: domain modules and the sweep tasks import this.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qcircuits.errors import ConfigurationError
from qcircuits.validation import check_positive_number, seed_problem

# --- converters (argparse ``type=``; also applied to dict values) ----------------------------


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def integer(text: str) -> int:
    """Any integer (its range is checked by whoever uses it, with its own message)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None


def seed(text: str) -> int:
    """A random seed: an integer from 0 to 2^32 - 1 (:func:`qcircuits.validation.check_seed`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed; got {text!r}") from None
    problem = seed_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def seed_list(text: str) -> list[int]:
    """A comma list of seeds, none repeated."""
    values = [seed(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected seeds like 0,1,2; got {text!r}")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"expected different seeds; got {text!r}")
    return values


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates): :func:`qcircuits.validation.check_positive_number`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    try:
        return check_positive_number("the value", value)
    except ConfigurationError:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text!r}") from None


def noise_spec(text: str) -> str:
    """A noise spec such as ``depolarize:0.01,readout:0.02`` (:class:`qcircuits.noise.NoiseSpec`), in
    canonical form (``"none"`` when noiseless), so that equal specs make equal records and trial keys."""
    from qcircuits.noise import NoiseSpec

    try:
        return str(NoiseSpec.parse(str(text)))
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


def shot_count(text: str) -> int:
    """Shots per readout: an integer from 1 to :data:`qcircuits.validation.MAX_REPETITIONS`."""
    from qcircuits.validation import check_repetitions

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of shots; got {text!r}") from None
    try:
        return check_repetitions(value, "shots")
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("shots: ").rstrip(".")) from None


# --- fields ----------------------------------------------------------------------------------


def option(default: Any, help: str, *, flag: str | None = None, type: Callable[[str], Any] | None = None,
           choices: Sequence[str] | None = None, circuit: bool = False) -> Any:
    """A dataclass field that is also a command-line option (its default declared here only).

    Args:
        default: the field's default, which is also the option's.
        help: the ``--help`` text.
        flag: the option, when it is not ``--`` plus the field name with dashes.
        type: the converter (one of this module's, or any ``str -> value`` raising
            ``argparse.ArgumentTypeError``).
        choices: the allowed values.
        circuit: a circuit option that other commands share (ansatz, qubits, ...): a
            command line leaves it ``None`` when not given (see :func:`add_field_argument`).
    """
    return dataclasses.field(default=default, metadata={"help": help, "flag": flag, "type": type,
                                                        "choices": choices, "circuit": circuit})


def is_option(field: dataclasses.Field) -> bool:
    """Whether ``field`` was declared with :func:`option`."""
    return "help" in field.metadata


def option_fields(kind: type) -> list[dataclasses.Field]:
    """The fields of dataclass ``kind`` that are options."""
    return [f for f in dataclasses.fields(kind) if is_option(f)]


def option_flag(field: dataclasses.Field) -> str:
    """A field's command-line option, e.g. ``--head-readout`` for ``readout``."""
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def option_dest(field: dataclasses.Field) -> str:
    """The name of a field's option in a dict or namespace (``head_readout`` for ``readout``)."""
    return option_flag(field)[2:].replace("-", "_")


def is_switch(field: dataclasses.Field) -> bool:
    """An on/off option (a ``False`` default): ``--flag`` on a command line, ``true`` in a file."""
    return field.default is False


def add_field_argument(parser: Any, field: dataclasses.Field, *, unset_default: bool = False) -> None:
    """Adds ``field``'s option to an argparse parser or group.

    Args:
        parser: a parser or argument group.
        field: a field made with :func:`option`.
        unset_default: leave the value ``None`` when the option is not given (the help
            still shows the field's default), so a caller can tell "not given" apart.
    """
    meta = field.metadata
    help_text = meta["help"].replace("%(default)s", str(field.default)) if unset_default else meta["help"]
    if is_switch(field):
        parser.add_argument(option_flag(field), dest=option_dest(field), action="store_true",
                            default=None if unset_default else False, help=help_text)
        return
    parser.add_argument(option_flag(field), dest=option_dest(field), type=meta["type"], choices=meta["choices"],
                        default=None if unset_default else field.default, help=help_text)


def converted(name: str, value: Any, converter: Callable[[str], Any]) -> Any:
    """A string or number from a file or a dict, through a command-line converter.

    Raises:
        ConfigurationError: naming ``name`` and what was expected.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigurationError(f"{name}: expected a string or a number; got {value!r}.")
    try:
        return converter(str(value))
    except argparse.ArgumentTypeError as exc:
        raise ConfigurationError(f"{name}: {exc}.") from None


def convert(field: dataclasses.Field, value: Any) -> Any:
    """``value`` (from a file or a dict) as the option's type, checked as its command line checks it.

    Raises:
        ConfigurationError: naming the option and what was expected.
    """
    flag, meta = option_flag(field), field.metadata
    if is_switch(field):
        if not isinstance(value, bool):
            raise ConfigurationError(f"{flag} is a switch: expected true or false; got {value!r}.")
        return value
    if value is None and field.default is None:
        return None
    value = converted(flag, value, meta["type"] or str)
    if meta["choices"] is not None and value not in meta["choices"]:
        raise ConfigurationError(f"{flag}: invalid choice {value!r}; expected one of "
                                 f"{', '.join(map(str, meta['choices']))}.")
    return value


def field_values(kind: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """A dict of options (by :func:`option_dest` name) converted to ``kind``'s field names and types.

    Raises:
        ConfigurationError: for an unknown option (with the closest name) or a bad value.
    """
    by_dest = {option_dest(f): f for f in option_fields(kind)}
    converted = {}
    for name, value in values.items():
        field = by_dest.get(name)
        if field is None:
            close = difflib.get_close_matches(name, list(by_dest), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(sorted(by_dest))}."
            raise ConfigurationError(f"unknown option {name!r}{hint}")
        converted[field.name] = convert(field, value)
    return converted


def plugin_list(value: Any) -> list[str]:
    """The ``plugin`` option of a dict: one module or file, or a list of them.

    Raises:
        ConfigurationError: for anything else.
    """
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise ConfigurationError(f"plugin: expected a module or file name, or a list of them; got {value!r}.")
    return list(items)
