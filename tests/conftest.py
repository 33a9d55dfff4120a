"""Shared fixtures."""

from __future__ import annotations

import os

import pytest

# TFQ and transformers' TF models need Keras 2; set before TensorFlow is imported anywhere.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def clean_registry():
    """Restores the global registry after a test that registers or loads plugins."""
    import plugins

    plugins.list_ansatze()  # discover built-ins before the snapshot
    entries = dict(plugins.REGISTRY._entries)
    failures = dict(plugins.REGISTRY.failures)
    yield plugins.REGISTRY
    plugins.REGISTRY._entries.clear()
    plugins.REGISTRY._entries.update(entries)
    plugins.REGISTRY.failures.clear()
    plugins.REGISTRY.failures.update(failures)
