"""Registry errors. All are :class:`ConfigurationError`, so the CLI reports them in one line."""

from __future__ import annotations

from qcircuits.errors import ConfigurationError


class PluginError(ConfigurationError):
    """A plugin could not be loaded, or produced something invalid."""


class UnknownAnsatzError(PluginError):
    """No ansatz is registered under the requested name."""


class UnknownOptionError(PluginError):
    """A family was given options its factory does not take.

    Attributes:
        name: the ansatz.
        options: the options it does not take.
    """

    def __init__(self, message: str, *, name: str = "", options: list[str] | None = None):
        super().__init__(message)
        self.name, self.options = name, list(options or [])


class DuplicateAnsatzError(PluginError):
    """Two different sources registered the same name."""


class ContractError(PluginError):
    """An ansatz breaks the contract the simulators rely on."""
