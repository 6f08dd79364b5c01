"""Covariance matrices of textbook Gaussian states and transformations (for tests and docs).

Same conventions as :mod:`linearized.measures`: ``(x1, p1, x2, p2)`` order, vacuum ``I/2``.
"""
from __future__ import annotations

import numpy as np


def thermal_cm(N: float, n_modes: int = 1) -> np.ndarray:
    """Thermal state with mean occupation ``N`` in each mode: ``(N + 1/2) I``."""
    return (N + 0.5) * np.eye(2 * n_modes)


def two_mode_squeezed_cm(r: float) -> np.ndarray:
    """Two-mode squeezed vacuum ``exp(r (a1 a2 - a1^dag a2^dag))|0,0>``.

    Heisenberg picture: ``a1 -> a1 cosh r - a2^dag sinh r``, so ``<x1^2> = cosh(2r)/2``,
    ``<x1 x2> = -sinh(2r)/2``, ``<p1 p2> = +sinh(2r)/2``: ``x1 + x2`` and ``p1 - p2`` are
    squeezed.  Its logarithmic negativity is ``2 r`` and its Duan sum ``2 exp(-2 r)``.
    """
    c, s = np.cosh(2 * r) / 2, np.sinh(2 * r) / 2
    return np.array([[c, 0, -s, 0], [0, c, 0, s], [-s, 0, c, 0], [0, s, 0, c]])


def beam_splitter(theta: float) -> np.ndarray:
    """Symplectic matrix of a beam splitter of mixing angle ``theta`` on two modes."""
    ct, st = np.cos(theta), np.sin(theta)
    return np.array([[ct, 0, st, 0], [0, ct, 0, st], [-st, 0, ct, 0], [0, -st, 0, ct]])


def single_mode_squeezer(r: float) -> np.ndarray:
    """Symplectic matrix squeezing x by ``exp(-r)`` and stretching p by ``exp(r)``."""
    return np.diag([np.exp(-r), np.exp(r)])
