"""Circuit descriptors from the literature, as pure NumPy functions of states.

* Expressibility (Sim, Johnson and Aspuru-Guzik, Adv. Quantum Technol. 2019,
  arXiv:1905.10876): KL divergence, natural log, between the histogram of
  fidelities ``|<psi(a)|psi(b)>|^2`` of random state pairs and the Haar
  distribution ``P(F) = (N - 1)(1 - F)^(N - 2)``, ``N = 2^n``, over equal bins on
  [0, 1] (75 by default). Lower is more expressive.
* Entangling capability: the mean Meyer-Wallach measure
  ``Q = 2 (1 - (1/n) sum_k Tr rho_k^2)`` over random parameter sets.

The simulation that produces the states lives in :mod:`sims.descriptors`.
"""

from __future__ import annotations

import numpy as np

from qcircuits.errors import ConfigurationError
from qcircuits.typing import Array, FloatArray


def haar_bin_probabilities(n_qubits: int, bins: int = 75) -> FloatArray:
    """Haar probability of each fidelity bin, integrated exactly.

    ``int_a^b (N-1)(1-F)^(N-2) dF = (1-a)^(N-1) - (1-b)^(N-1)``.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    dim = 2 ** n_qubits
    cdf_complement = (1.0 - edges) ** (dim - 1)
    return np.asarray(cdf_complement[:-1] - cdf_complement[1:], dtype=np.float64)


def pair_fidelities(states_a: Array, states_b: Array) -> FloatArray:
    """``|<a|b>|^2`` row by row."""
    return np.asarray(np.abs(np.einsum("bi,bi->b", np.conj(states_a), states_b)) ** 2, dtype=np.float64)


def expressibility(fidelities: Array, n_qubits: int, bins: int = 75) -> float:
    """KL(P_circuit || P_Haar) of the fidelity histogram (natural log).

    Bins are ``[k/bins, (k+1)/bins)``, the last one closed so that F = 1 counts.
    """
    if len(fidelities) == 0:
        raise ConfigurationError("Expressibility needs at least one pair of states; got 0.")
    counts, _ = np.histogram(np.clip(fidelities, 0.0, 1.0), bins=bins, range=(0.0, 1.0))
    p = counts / counts.sum()
    q = haar_bin_probabilities(n_qubits, bins)
    mask = p > 0
    # Where the Haar probability underflows to 0 (large n), use the smallest float: KL stays finite.
    return float(np.sum(p[mask] * np.log(p[mask] / np.maximum(q[mask], np.finfo(float).tiny))))


def meyer_wallach(states: Array, n_qubits: int) -> FloatArray:
    """Meyer-Wallach Q for each state row (``[batch, 2^n]``): 0 for products, 1 for GHZ."""
    tensor = states.reshape((len(states),) + (2,) * n_qubits)
    purity_sum = np.zeros(len(states))
    for k in range(n_qubits):
        psi = np.moveaxis(tensor, k + 1, 1).reshape(len(states), 2, -1)
        rho = np.einsum("bik,bjk->bij", psi, np.conj(psi))
        purity_sum += np.real(np.einsum("bij,bji->b", rho, rho))
    return np.asarray(2.0 * (1.0 - purity_sum / n_qubits), dtype=np.float64)


def haar_mean_meyer_wallach(n_qubits: int) -> float:
    """Mean Q over Haar-random states: (N - 2) / (N + 1), N = 2^n (14/17 for n = 4)."""
    dim: int = 2 ** n_qubits
    return float((dim - 2) / (dim + 1))
