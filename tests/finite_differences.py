"""Central finite differences, shared by the gradient tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_differences(f: Callable[[np.ndarray, np.ndarray], float], x0: np.ndarray, w0: np.ndarray,
                        eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(df/dx, df/dw)`` of ``f(x, w)`` at ``(x0, w0)`` by central differences."""
    fd_w = np.array([(f(x0, w0 + eps * e) - f(x0, w0 - eps * e)) / (2 * eps) for e in np.eye(len(w0))])
    fd_x = np.zeros_like(x0)
    for index in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[index] = eps
        fd_x[index] = (f(x0 + d, w0) - f(x0 - d, w0)) / (2 * eps)
    return fd_x, fd_w
