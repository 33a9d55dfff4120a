"""What noisy backends share: the ``noise``/``repetitions`` options, readout error and shot sampling.

A backend that simulates noise declares ``noise`` among its options (a dataclass field,
e.g. through :class:`NoiseOptions`); one that samples shots declares ``repetitions``. The
registry reads those names, so that asking a backend for what it cannot do is one line
naming the backends that can (:func:`sims.backends.registry.build_options`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from qcircuits.noise import Noise, NoiseSpec, as_noise
from qcircuits.validation import check_repetitions, check_seed


@dataclasses.dataclass(frozen=True)
class NoiseOptions:
    """The noise option (a base of backend option dataclasses).

    Attributes:
        noise: a spec such as ``"depolarize:0.01,readout:0.02"``, a :class:`qcircuits.noise.NoiseSpec`,
            a ``cirq.NoiseModel``, or None (noiseless). Stored as the parsed description.
    """

    noise: Any = None

    def __post_init__(self):
        object.__setattr__(self, "noise", as_noise(self.noise))


@dataclasses.dataclass(frozen=True)
class ShotOptions(NoiseOptions):
    """Noise and finite shots.

    Attributes:
        repetitions: shots per readout (None: exact expectations).
        shot_seed: seed of the shot sampler.
    """

    repetitions: int | None = None
    shot_seed: int = 0

    def __post_init__(self):
        super().__post_init__()
        if self.repetitions is not None:
            check_repetitions(self.repetitions)
        check_seed(self.shot_seed, "shot_seed")


def noise_of(options: Any) -> Noise:
    """The options' noise (noiseless for a backend without the option)."""
    return getattr(options, "noise", None) or NoiseSpec()


def readout_coefficients(readouts: Sequence) -> np.ndarray:
    """Each readout's real coefficient (``c`` of ``c * P``)."""
    return np.array([complex(r.coefficient).real for r in readouts])


def sample_readouts(exact: np.ndarray, readouts: Sequence, noise: Noise, repetitions: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Shot estimates ``[batch, R]`` from exact expectations without readout error (NaN stays NaN).

    Each readout ``c * P`` is measured ``repetitions`` times on its own: ``c (2 k / N - 1)``
    with ``k ~ Binomial(N, (1 + <P>') / 2)``, ``<P>'`` the expectation after readout error.
    """
    scale = readout_coefficients(readouts)
    safe = np.where(scale == 0, 1.0, scale)
    mean = exact / safe * noise.readout_factors(readouts)
    finite = np.isfinite(mean)
    probability = np.clip((1 + np.where(finite, mean, 0.0)) / 2, 0.0, 1.0)
    counts = rng.binomial(repetitions, probability)
    return np.where(finite, (2.0 * counts / repetitions - 1.0) * scale, np.nan)


def finish_expectations(exact: np.ndarray, readouts: Sequence, options: Any, rng: np.random.Generator | None
                        ) -> np.ndarray:
    """Readout error and, with ``repetitions``, shots applied to exact expectations ``[batch, R]``."""
    noise = noise_of(options)
    repetitions = getattr(options, "repetitions", None)
    if repetitions is not None:
        assert rng is not None
        return sample_readouts(exact, readouts, noise, repetitions, rng)
    factors = noise.readout_factors(readouts)
    return exact * factors if np.any(factors != 1.0) else exact
