"""The linearized steady state of any model (:class:`~linearized.description.system.System`): Lyapunov CM,
stability and the entanglement of every pair of modes.

Measures of a pair ``(i, j)`` use its 4x4 block of the CM in the order
``(x_i, p_i, x_j, p_j)``: E_N of Eq. (9) and the Duan sum of Eq. (10) with
``X+ = x_i + x_j``, ``Y- = p_i - p_j`` (vacuum 2; in a fixed frame, so a pair whose
correlations sit in other quadratures can be entangled with a Duan sum above 2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linearized.description.meanfield import mean_field
from linearized.description.system import System
from linearized.lyapunov import max_real_eigenvalue, steady_covariance, steady_covariance_batch
from linearized.measures import duan_sum, duan_sum_optimized, log_negativity, mode_occupations


def pair_block(cov, i: int, j: int) -> np.ndarray:
    """The 4x4 CM of modes ``i`` and ``j`` (rows/columns x_i, p_i, x_j, p_j)."""
    idx = np.array([2 * i, 2 * i + 1, 2 * j, 2 * j + 1])
    return np.asarray(cov)[..., idx[:, None], idx[None, :]]


def pair_measures(cov, pairs, names) -> list:
    """``[{"modes": [X, Y], "E_N": ..., "duan": ...}, ...]`` for the index pairs given."""
    out = []
    for i, j in pairs:
        blk = pair_block(cov, i, j)
        ok = np.all(np.isfinite(blk))
        out.append({"modes": [names[i], names[j]],
                    "E_N": float(log_negativity(blk)) if ok else None,
                    "duan": float(duan_sum(blk)) if ok else None})
    return out


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


@dataclass(frozen=True)
class ModelResult:
    """Linearized steady state of a model at one point.

    ``drift``, ``diffusion`` in rad/s; ``max_real_eigenvalue`` in Hz (Re lambda / 2 pi);
    ``covariance`` ``2n x 2n`` (order of ``params.quadrature_names``, vacuum 1/2); ``E_N`` and
    ``duan`` of the system's pair; ``pairs``: every pair's measures.  Measures are NaN (null in
    JSON) when the point is unstable.
    """
    params: System
    drift: np.ndarray
    diffusion: np.ndarray
    covariance: np.ndarray
    stable: bool
    max_real_eigenvalue: float
    E_N: float
    duan: float
    occupations: np.ndarray
    thermal_occupations: np.ndarray
    pairs: list

    def to_dict(self) -> dict:
        s = self.params
        undefined = {}
        if not self.stable:
            why = (f"unstable: no steady state (largest Re lambda/2pi = "
                   f"{self.max_real_eigenvalue:.6g} Hz > 0)")
            undefined = {k: why for k in ("E_N", "duan", "pairs", "occupations", "covariance")}
        best = None
        if self.stable:
            v, t1, t2 = duan_sum_optimized(pair_block(self.covariance, *s.pair))
            if np.isfinite(v):
                best = {"duan": v, "theta_1": t1, "theta_2": t2}
        else:
            undefined["duan_min_lo"] = undefined["E_N"]
        mf = mean_field(s)
        mf = None if mf is None else mf.to_dict()
        if s.branch is not None:
            mf.update({"branch": s.branch.index, "branches": [b.to_dict() for b in s.branches],
                       "units": "n quanta; G, detuning, max_real_eigenvalue Hz; means "
                                "sqrt(quanta)"})
        return {
            "model": s.spec.to_dict(), "pair": list(s.pair_names),
            "E_N": _num(self.E_N), "duan": _num(self.duan), "duan_min_lo": best,
            "pairs": self.pairs,
            "stable": self.stable, "max_real_eigenvalue": _num(self.max_real_eigenvalue),
            "occupations": {k: _num(v) for k, v in zip(s.mode_names, self.occupations)},
            "thermal_occupations": {k: _num(v) for k, v in
                                    zip(s.mode_names, self.thermal_occupations)},
            "covariance": [[_num(x) for x in row] for row in self.covariance],
            "covariance_order": s.quadrature_names,
            "mech_bath": s.mech_bath, "params": s.to_dict(),
            "mean_field": mf,
            "units": {"max_real_eigenvalue": "Hz (Re lambda / 2pi)",
                      "params": {p.name: p.unit for p in s.spec.parameters},
                      "covariance": "dimensionless, vacuum = 1/2", "E_N": "natural log"},
            "undefined": undefined,
        }


def solve_model(system: System) -> ModelResult:
    """Drift and diffusion matrices, stability, Lyapunov CM and every pair's E_N and Duan."""
    if system.shape != ():
        raise ValueError("solve_model() takes a single point; use solve_model_grid() for arrays")
    A, D = system.drift_matrix(), system.diffusion_matrix()
    lam = float(max_real_eigenvalue(A))
    n = system.n_modes
    if lam < 0:
        C = steady_covariance(A, D)
        occ = mode_occupations(C)
    else:
        C = np.full((2 * n, 2 * n), np.nan)
        occ = np.full(n, np.nan)
    pairs = pair_measures(C, system.all_pairs(), system.mode_names)
    chosen = next(p for p in pairs if set(p["modes"]) == set(system.pair_names))
    nan = float("nan")
    return ModelResult(system, A, D, C, lam < 0, lam / (2 * np.pi),
                       nan if chosen["E_N"] is None else chosen["E_N"],
                       nan if chosen["duan"] is None else chosen["duan"], occ,
                       system.thermal_occupations(), pairs)


@dataclass(frozen=True)
class ModelGridResult:
    """Linearized measures of a model on a grid: ``E_N``/``duan`` of the chosen pair,
    ``pair_E_N``/``pair_duan`` with a last axis over ``pairs`` (name pairs), NaN where
    ``stable`` is False."""
    E_N: np.ndarray
    duan: np.ndarray
    stable: np.ndarray
    occupations: np.ndarray
    covariance: np.ndarray
    pairs: list
    pair_E_N: np.ndarray
    pair_duan: np.ndarray


def solve_model_grid(system: System) -> ModelGridResult:
    """Every point of an array-valued system with the batched Lyapunov solver."""
    A, D = system.drift_matrix(), system.diffusion_matrix()
    if A.ndim == 2:
        A, D = A[None], D[None]
        squeeze = True
    else:
        squeeze = False
    C, stable, _ = steady_covariance_batch(A, D)
    nan = np.where(stable, 1.0, np.nan)
    idx = system.all_pairs()
    en = np.stack([log_negativity(pair_block(C, i, j)) * nan for i, j in idx], axis=-1)
    du = np.stack([duan_sum(pair_block(C, i, j)) * nan for i, j in idx], axis=-1)
    k = idx.index(tuple(sorted(system.pair)))
    occ = mode_occupations(C) * nan[..., None]
    out = ModelGridResult(en[..., k], du[..., k], stable, occ, C,
                          [[system.mode_names[i], system.mode_names[j]] for i, j in idx], en, du)
    if squeeze:
        out = ModelGridResult(*(x[0] if isinstance(x, np.ndarray) else x
                                for x in (out.E_N, out.duan, out.stable, out.occupations,
                                          out.covariance, out.pairs, out.pair_E_N,
                                          out.pair_duan)))
    return out
