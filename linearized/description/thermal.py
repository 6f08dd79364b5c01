"""Thermal occupations of the baths (CODATA 2018 exact constants)."""
from __future__ import annotations

import numpy as np

#: Planck constant h (J s), exact in SI since 2019
H_PLANCK = 6.62607015e-34
#: Boltzmann constant k_B (J/K), exact in SI since 2019
K_BOLTZMANN = 1.380649e-23


def occupation(frequency, T):
    """Bose-Einstein occupation ``N = 1 / (exp(h f / k_B T) - 1)``.

    ``frequency`` is an ordinary frequency in Hz (``f = omega / 2 pi``), ``T`` in kelvin.
    ``T = 0`` gives 0.  Broadcasts over arrays.
    """
    f = np.asarray(frequency, dtype=float)
    T = np.asarray(T, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        x = H_PLANCK * f / (K_BOLTZMANN * T)
        n = 1.0 / np.expm1(x)
    return np.where(T > 0, n, 0.0)
