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


def _qutip_default_worker(params_dict, cutoffs, queue):
    import qutip

    from linearized.params import Params
    from qmodel.basis import fock_basis
    from qmodel.model import build_model
    model = build_model(Params(**params_dict), fock_basis(cutoffs))
    dims = model.basis.dims
    t = time.perf_counter()
    qutip.steadystate(qutip.Qobj(model.H, dims=dims), [qutip.Qobj(L, dims=dims)
                                                        for L in model.c_ops])
    queue.put(time.perf_counter() - t)


def _time_qutip_default(params, cutoffs, cap):
    """QuTiP's default ``steadystate(H, c_ops)`` in a child process, killed after ``cap`` s."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_qutip_default_worker,
                       args=(params.to_dict(), tuple(cutoffs), queue))
    proc.start()
    proc.join(cap)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return queue.get() if not queue.empty() else None


def bench_qmodel(base, cap: float = 60.0, scaling_budget: float = 0.0) -> dict:
    """Master-equation figures: the converged paper optimum, the Krylov solver against QuTiP's
    default ``steadystate`` at plain cutoffs (3,3,3,3) and (4,4,4,4) with QuTiP capped at
    ``cap`` seconds, and optionally (``scaling_budget`` > 0 s) the largest plain-basis
    dimension the Krylov solver handles within that budget, with its peak memory."""
    from qmodel.basis import fock_basis
    from qmodel.converge import ConvergenceOptions, solve_master
    from qmodel.model import build_model
    from qmodel.solvers import steady_state

    params = base.replace(mech_bath="lindblad")
    t = time.perf_counter()
    res = solve_master(params, ConvergenceOptions(basis="normal", tol=1e-4))
    out = {"paper_optimum": {"seconds": time.perf_counter() - t, "E_N": res.measures.E_N,
                             "E_N_gaussian": res.measures.E_N_gaussian,
                             "cutoffs": list(res.cutoffs), "dim": res.dim,
                             "converged": res.converged, "basis": "normal"}}
    rows = []
    for cut in ((3, 3, 3, 3), (4, 4, 4, 4)):
        basis = fock_basis(cut)
        t = time.perf_counter()
        steady_state(build_model(params, basis))
        ours = time.perf_counter() - t
        theirs = _time_qutip_default(params, cut, cap)
        rows.append({"cutoffs": list(cut), "dim": basis.dim, "krylov_seconds": ours,
                     "qutip_default_seconds": theirs,
                     "qutip_capped_at": None if theirs is not None else cap,
                     "speedup": (theirs / ours) if theirs is not None else f"> {cap / ours:.0f}"})
    out["vs_qutip_default"] = rows
    if scaling_budget > 0:
        out["scaling"] = _scaling(params, scaling_budget)
    return out


def _scaling(params, budget):
    """Time the Krylov solver on growing plain cutoffs until one solve exceeds the budget."""
    import resource

    from qmodel.basis import fock_basis
    from qmodel.model import build_model
    from qmodel.solvers import steady_state
    rows, n = [], 4
    while True:
        cut = (n, n, max(n - 2, 2), n)
        basis = fock_basis(cut)
        t = time.perf_counter()
        steady_state(build_model(params, basis))
        sec = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB on Linux
        rows.append({"cutoffs": list(cut), "dim": basis.dim, "seconds": sec,
                     "peak_rss_mib": peak})
        if sec * 3 > budget:
            break
        n += 1
    return rows
