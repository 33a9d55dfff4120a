"""The backend registry: one decorator per backend declares what it can do and the options it takes.

Each backend is a :class:`~sims.backends.base.Backend` subclass registered with
:func:`register_backend`, next to a frozen dataclass of its options (as
qsimcirq's ``QSimOptions``). :func:`make_backend` builds one by name and rejects,
in one line, an option the backend does not take. The command-line choices, the
layer backends and the conformance tests all come from :data:`REGISTRY`, so
adding a backend touches one file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from qcircuits.errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class BackendSpec:
    """A registered backend.

    Attributes:
        name: registry name (``--backend NAME``).
        cls: the :class:`Backend` subclass; called as ``cls(options)``.
        options: the frozen dataclass of its options.
        description: one line for ``--help`` and docs.
        differentiable: gives exact gradients inside TensorFlow (can train a layer).
        gpu: runs on a GPU.
    """

    name: str
    cls: type
    options: type
    description: str
    differentiable: bool = False
    gpu: bool = False

    def option_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.options))

    @property
    def noise(self) -> bool:
        """Simulates noise channels and readout error (takes ``noise``)."""
        return "noise" in self.option_names()

    @property
    def shots(self) -> bool:
        """Samples finite shots (takes ``repetitions``)."""
        return "repetitions" in self.option_names()


REGISTRY: dict[str, BackendSpec] = {}
AUTO = "auto"


def register_backend(name: str, *, options: type, description: str, differentiable: bool = False,
                     gpu: bool = False) -> Callable[[type], type]:
    """Class decorator that registers a backend under ``name``.

    Raises:
        ConfigurationError: if ``name`` is taken or is ``"auto"``.
    """
    def decorate(cls: type) -> type:
        if name == AUTO or name in REGISTRY:
            raise ConfigurationError(f"Backend name {name!r} is already taken.")
        if not dataclasses.is_dataclass(options):
            raise TypeError(f"options of backend {name!r} must be a dataclass. Given: {options!r}")
        REGISTRY[name] = BackendSpec(name, cls, options, description, differentiable, gpu)
        setattr(cls, "name", name)  # noqa: B010 - the class learns its registered name
        return cls

    return decorate


def backend_names(*, differentiable: bool | None = None, with_auto: bool = False) -> tuple[str, ...]:
    """Registered names (in registration order), optionally only the (non-)differentiable ones."""
    names = tuple(n for n, s in REGISTRY.items() if differentiable is None or s.differentiable == differentiable)
    return names + ((AUTO,) if with_auto else ())


def backend_spec(name: str) -> BackendSpec:
    """The spec of a registered backend.

    Raises:
        ConfigurationError: for an unknown name, listing the registered ones.
    """
    if name not in REGISTRY:
        choices = ", ".join(backend_names(with_auto=True))
        raise ConfigurationError(f"Unknown backend {name!r}; expected one of {choices}.")
    return REGISTRY[name]


def build_options(name: str, options: dict[str, Any]) -> Any:
    """The options dataclass of ``name`` from keyword arguments.

    Raises:
        ConfigurationError: for an option the backend does not take, naming the ones it does.
    """
    spec = backend_spec(name)
    unknown = sorted(set(options) - set(spec.option_names()))
    if unknown:
        takes = ", ".join(spec.option_names()) or "no options"
        able = [n for n, s in REGISTRY.items() if set(unknown) <= set(s.option_names())]
        others = f" (backends that do: {', '.join(able)})" if able else ""
        raise ConfigurationError(f"Backend {name!r} does not take option(s) {', '.join(unknown)}{others}; "
                                 f"it takes: {takes}.")
    return spec.options(**options)
