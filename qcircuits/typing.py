"""Type aliases shared by the package (numpy arrays of any shape)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
"""Real values: features, weights, parameter values, probabilities."""

Array = npt.NDArray[Any]
"""Any numpy array (complex states, integer indices)."""
