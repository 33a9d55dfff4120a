"""Imports TensorFlow and TFQ the one way that works with this stack.

TFQ 0.7.6 and transformers' TF models need Keras 2 (tf-keras), which
TensorFlow 2.18 only uses when ``TF_USE_LEGACY_KERAS=1`` is set before the
first TensorFlow import. Every module that needs TensorFlow imports it from here.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError(
        "TensorFlow was imported before sims set TF_USE_LEGACY_KERAS=1; import sims first "
        "or set TF_USE_LEGACY_KERAS=1 in the environment."
    )

import tensorflow as tf  # noqa: E402
import tensorflow_quantum as tfq  # noqa: E402

keras = tf.keras
tf.get_logger().setLevel("ERROR")  # TFQ's differentiators warn about retracing on every new layer

__all__ = ["keras", "tf", "tfq"]
