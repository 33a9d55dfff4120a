"""Registry errors. All are :class:`ConfigurationError`, so the CLI reports them in one line."""

from __future__ import annotations

from qcircuits.errors import ConfigurationError


class PluginError(ConfigurationError):
    """A plugin could not be loaded, or produced something invalid."""


class UnknownAnsatzError(PluginError):
    """No ansatz is registered under the requested name."""


class DuplicateAnsatzError(PluginError):
    """Two different sources registered the same name."""


class ContractError(PluginError):
    """An ansatz breaks the contract the simulators rely on."""
