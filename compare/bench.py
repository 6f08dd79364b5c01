"""``mwent bench``: speed measured as ratios against a baseline run in the same process."""
from __future__ import annotations

import time

import numpy as np


def _timed(fn, repeat=1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_linearized(base, n: int = 201) -> dict:
    """Batched E_N map on an ``n x n`` (Delta_1, Delta_2) grid vs a per-point SciPy loop.

    The batched time covers the whole pipeline (drift and diffusion matrices, Lyapunov solve,
    stability, E_N, Duan).  The baseline gets the matrices prebuilt and loops over points with
    ``scipy.linalg.solve_continuous_lyapunov`` and E_N (``speedup``); a second ratio charges
    the loop for the SciPy solve alone (``speedup_vs_solve_only``), the strictest comparison.  The first batched call (symbolic factorisation, loading the compiled
    kernel) is reported separately as ``cold_seconds``.
    """
    import scipy.linalg

    from linearized.matrices import diffusion_matrix, drift_matrix
    from linearized.measures import cavity_block, log_negativity
    from linearized.steady import solve_grid
    from linearized.sweep import grid_params, parse_axis

    axes = [parse_axis(f"Delta_1=-20MHz:20MHz:{n}"), parse_axis(f"Delta_2=-20MHz:20MHz:{n}")]
    grid = grid_params(base, axes)
    cold, _ = _timed(lambda: solve_grid(grid))
    batched, res = _timed(lambda: solve_grid(grid), repeat=3)
    A = drift_matrix(grid).reshape(-1, 8, 8)
    D = diffusion_matrix(grid).reshape(-1, 8, 8)

    def loop():
        out = np.empty(len(A))
        for i in range(len(A)):
            C = scipy.linalg.solve_continuous_lyapunov(A[i], -D[i])
            out[i] = log_negativity(cavity_block(C))
        return out

    def solve_only():
        for i in range(len(A)):
            scipy.linalg.solve_continuous_lyapunov(A[i], -D[i])

    baseline, en_loop = _timed(loop)
    solve_only_time, _ = _timed(solve_only)
    en = res.E_N.reshape(-1)
    ok = res.stable.reshape(-1)
    return {
        "grid": [n, n], "points": n * n, "mech_bath": base.mech_bath,
        "batched_seconds": batched, "cold_seconds": cold, "scipy_loop_seconds": baseline,
        "speedup": baseline / batched,
        "scipy_solve_only_seconds": solve_only_time,
        "speedup_vs_solve_only": solve_only_time / batched,
        "max_abs_diff_E_N": float(np.max(np.abs(en[ok] - en_loop[ok]))) if ok.any() else None,
    }
