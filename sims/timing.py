"""Timing helper shared by the benchmarks and the layer-bench sweep task."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_seconds(fn: Callable[[], Any], repeats: int, *, warmup: bool = True) -> tuple[float, Any]:
    """Median wall time of ``fn()`` over ``repeats`` calls, after one untimed warm-up call.

    Returns:
        ``(seconds, last result)``.
    """
    result = fn() if warmup else None
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
