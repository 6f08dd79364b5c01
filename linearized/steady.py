"""The linearized steady state at one parameter point or on a grid.

:func:`solve` gives a :class:`LinearizedResult` for a single point (SciPy Lyapunov solver, full
eigenvalues); :func:`solve_grid` evaluates a whole grid at once (batched solver of
:mod:`linearized.lyapunov`) and returns a :class:`GridResult`.  Neither raises for an unstable
point: the result says ``stable = False`` and its measures are NaN, never 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lyapunov import max_real_eigenvalue, steady_covariance, steady_covariance_batch
from .matrices import MODES, diffusion_matrix, drift_matrix
from .meanfield import MeanField, mean_field
from .measures import (cavity_block, duan_sum, duan_sum_optimized, log_negativity,
                       mode_occupations)
from .params import Params
from .thermal import occupations as thermal_occupations


@dataclass(frozen=True)
class LinearizedResult:
    """Steady state of the linearized model at one point.

    ``drift``, ``diffusion`` and ``eigenvalues`` are in rad/s; ``max_real_eigenvalue`` is in Hz
    (the largest real part divided by 2 pi, same units as the inputs).  ``covariance`` is the
    8x8 CM in the order ``(X1, Y1, X2, Y2, x, y, q, p)`` with vacuum 1/2.  ``E_N`` (Eq. 9),
    ``duan`` (Eq. 10) and ``occupations`` (mean excitation numbers of the fluctuations, in the
    order a1, a2, m, b) are NaN when the point is unstable.
    """
    params: Params
    drift: np.ndarray
    diffusion: np.ndarray
    covariance: np.ndarray
    eigenvalues: np.ndarray
    stable: bool
    max_real_eigenvalue: float
    E_N: float
    duan: float
    occupations: np.ndarray
    thermal_occupations: np.ndarray
    mean_field: MeanField

    def to_dict(self) -> dict:
        """JSON-ready dictionary with the documented keys.

        Strict JSON (``json.dumps(d, allow_nan=False)`` works): non-finite numbers are null,
        and ``undefined`` says why a measure is null (an unstable point has no steady state).
        """
        best = None
        undefined = {}
        if self.stable:
            v, t1, t2 = duan_sum_optimized(cavity_block(self.covariance))
            if np.isfinite(v):
                best = {"duan": v, "theta_1": t1, "theta_2": t2}
        else:
            why = (f"unstable: no steady state (largest Re lambda/2pi = "
                   f"{self.max_real_eigenvalue:.6g} Hz > 0)")
            undefined = {k: why for k in ("E_N", "duan", "duan_min_lo", "occupations",
                                          "covariance")}
        return {
            "E_N": _num(self.E_N),
            "duan": _num(self.duan),
            "duan_min_lo": best,
            "stable": self.stable,
            "max_real_eigenvalue": _num(self.max_real_eigenvalue),
            "occupations": {k: _num(v) for k, v in zip(MODES, self.occupations)},
            "thermal_occupations": {k: _num(v) for k, v in zip(MODES, self.thermal_occupations)},
            "covariance": [[_num(x) for x in row] for row in self.covariance],
            "covariance_order": ["X1", "Y1", "X2", "Y2", "x", "y", "q", "p"],
            "mean_field": self.mean_field.to_dict(),
            "params": self.params.to_dict(),
            "units": {"max_real_eigenvalue": "Hz (Re lambda / 2pi)", "params": "Hz, K",
                      "covariance": "dimensionless, vacuum = 1/2", "E_N": "natural log"},
            "undefined": undefined,
        }


def _num(x):
    """A float for JSON: None for None and for NaN or infinite values."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def solve(params: Params) -> LinearizedResult:
    """Drift and diffusion matrices, stability, Lyapunov CM, E_N, Duan sum at one point."""
    if params.shape != ():
        raise ValueError("solve() takes a single parameter point; use solve_grid() for arrays")
    A, D = drift_matrix(params), diffusion_matrix(params)
    eig = np.linalg.eigvals(A)
    lam = float(max_real_eigenvalue(A))
    stable = lam < 0
    if stable:
        C = steady_covariance(A, D)
        cav = cavity_block(C)
        en, duan, occ = float(log_negativity(cav)), float(duan_sum(cav)), mode_occupations(C)
    else:
        C = np.full((8, 8), np.nan)
        en = duan = float("nan")
        occ = np.full(4, np.nan)
    return LinearizedResult(
        params=params, drift=A, diffusion=D, covariance=C, eigenvalues=eig, stable=stable,
        max_real_eigenvalue=lam / (2 * np.pi), E_N=en, duan=duan, occupations=occ,
        thermal_occupations=np.array([float(x) for x in thermal_occupations(params)]),
        mean_field=mean_field(params))


@dataclass(frozen=True)
class GridResult:
    """Linearized measures on a parameter grid (arrays of the grid's shape).

    ``E_N``, ``duan`` and ``occupations`` (last axis a1, a2, m, b) are NaN where ``stable`` is
    False.  ``covariance`` has shape ``grid + (8, 8)``.
    """
    E_N: np.ndarray
    duan: np.ndarray
    stable: np.ndarray
    occupations: np.ndarray
    covariance: np.ndarray


def solve_grid(params: Params) -> GridResult:
    """Evaluate every point of an array-valued :class:`Params` with the batched solver."""
    A, D = drift_matrix(params), diffusion_matrix(params)
    C, stable, _ = steady_covariance_batch(A, D)
    cav = cavity_block(C)
    nan = np.where(stable, 1.0, np.nan)
    return GridResult(E_N=log_negativity(cav) * nan, duan=duan_sum(cav) * nan, stable=stable,
                      occupations=mode_occupations(C) * nan[..., None], covariance=C)
