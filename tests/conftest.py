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

    state = plugins.REGISTRY.snapshot()
    yield plugins.REGISTRY
    plugins.REGISTRY.restore(state)
