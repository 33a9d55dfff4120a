"""Imports TensorFlow and TFQ the one way that works with this stack.

TFQ 0.7.6 and transformers' TF models need Keras 2 (tf-keras), which
TensorFlow 2.18 only uses when ``TF_USE_LEGACY_KERAS=1`` is set before the
first TensorFlow import. Every module that needs TensorFlow imports it from here.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# 3: TensorFlow's C++ start-up prints error-level noise on machines without CUDA
# (cuFFT/cuDNN factory registration, cuInit); set the variable yourself to see it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError(
        "TensorFlow was imported before sims set TF_USE_LEGACY_KERAS=1; import sims first "
        "or set TF_USE_LEGACY_KERAS=1 in the environment."
    )


def _import_tensorflow():
    """Imports TF and TFQ with stderr silenced: on machines without CUDA, XLA prints
    error-level lines while loading (cuDNN/cuBLAS factory registration) that would
    bury our one-line messages. A failing import still raises its exception.
    Set QCIRCUITS_TF_VERBOSE=1 to see everything."""
    if os.environ.get("QCIRCUITS_TF_VERBOSE"):
        import tensorflow
        import tensorflow_quantum

        return tensorflow, tensorflow_quantum
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow
        import tensorflow_quantum

        return tensorflow, tensorflow_quantum
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


tf, tfq = _import_tensorflow()

keras = tf.keras
tf.get_logger().setLevel("ERROR")  # TFQ's differentiators warn about retracing on every new layer

try:  # TensorFlow's own test for an XLA context (it has no public name)
    from tensorflow.python.ops.control_flow_util import GraphOrParentsInXlaContext as _xla_context
except ImportError:  # pragma: no cover
    _xla_context = None


def in_xla_context() -> bool:
    """True while tracing a function that XLA compiles (``tf.function(jit_compile=True)``, Keras
    ``compile(jit_compile=True)``), directly or inside one: XLA needs static shapes and has no
    complex bitcasts, sampling from binomials or TFQ ops."""
    if tf.executing_eagerly() or _xla_context is None:
        return False
    return bool(_xla_context(tf.compat.v1.get_default_graph()))


__all__ = ["in_xla_context", "keras", "tf", "tfq"]
