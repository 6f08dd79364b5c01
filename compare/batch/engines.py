"""What one grid point runs with each engine (``linearized``, ``qmodel``, ``compare``).

:func:`evaluate_point` is the function a worker process (local or Dask) calls: it never raises
for a physics or solver failure, the reason goes into the point's row instead.
"""
from __future__ import annotations

import time

from compare.defaults import TOLERANCE
from linearized.description.system import System
from linearized.steady import solve_model as solve
from qmodel.defaults import TAIL_TOL, TOL

ENGINES = ("linearized", "qmodel", "compare")

#: per-engine fields exported to the grid file (NaN where a point has no value)
FIELDS = {
    "linearized": ("E_N", "duan"),
    "qmodel": ("E_N", "E_N_gaussian", "duan", "non_gaussianity", "non_gaussianity_floor", "dim"),
    "compare": ("E_N", "E_N_gaussian", "duan", "E_N_linearized", "duan_linearized",
                "delta_E_N", "delta_duan", "non_gaussianity", "non_gaussianity_floor"),
}


def convergence_options(settings: dict):
    """The master equation's options of a sweep's ``settings``."""
    from qmodel.converge import ConvergenceOptions
    from qmodel.solvers import SolverOptions
    return ConvergenceOptions(
        basis=settings.get("basis", "normal"),
        cutoffs=tuple(settings["cutoffs"]) if settings.get("cutoffs") else None,
        tol=settings.get("tol", TOL), tail_tol=settings.get("tail_tol", TAIL_TOL),
        max_dim=settings.get("max_dim"), time_limit=settings.get("time_limit"),
        truncation=settings.get("truncation"), eps=settings.get("eps"),
        solver=SolverOptions(method=settings.get("solver", "krylov")))


def expected_size(engine: str, params: System, settings: dict) -> int:
    """The dimension of the first truncation the master equation would solve at this point
    (:func:`qmodel.converge.first_truncation_size`; 0 for the linearized engine or an
    unstable point).  A sweep starts its points largest first: the cost of a point grows
    steeply with it, and the largest point started last had run alone on one core for
    minutes after every other point of Fig. 2(a) was done."""
    if engine == "linearized":
        return 0
    from qmodel.converge import first_truncation_size
    try:
        return first_truncation_size(params, convergence_options(settings))
    except Exception:      # Unstable, or what the point's own evaluation will report
        return 0


def evaluate_point(engine: str, params: System, settings: dict):
    """Evaluate one point; returns ``(status, result, error, seconds)``.

    ``status`` is ``ok``, ``unstable`` or ``failed``; never raises for a physics or solver
    failure (the reason goes into ``error``).
    """
    t = time.perf_counter()
    p = params
    try:
        if engine == "linearized":
            r = solve(p)
            if not r.stable:
                return ("unstable", {"max_real_eigenvalue": r.max_real_eigenvalue},
                        "unstable: no steady state", time.perf_counter() - t)
            result = {"E_N": r.E_N, "duan": r.duan, "stable": True}
        else:
            # imported here: a linearized sweep must not pay QuTiP's import (about 1 s)
            from qmodel.converge import NotConverged, Unstable
            from qmodel.master import solve_master
            from qmodel.solvers import SolverError
            opts = convergence_options(settings).resolved()   # one limit for the point
            try:
                if engine == "qmodel":
                    q = solve_master(p, opts)
                    m = q.measures
                    if not q.converged:
                        return ("failed", None, f"not converged: {q.why_not_converged()}",
                                time.perf_counter() - t)
                    fixed = opts.fixed_truncation
                    result = {"E_N": m.E_N, "E_N_gaussian": m.E_N_gaussian, "duan": m.duan,
                              "non_gaussianity": m.non_gaussianity,
                              "non_gaussianity_floor": m.non_gaussianity_floor, "dim": q.dim,
                              "cutoffs": list(q.cutoffs), "converged": q.proved,
                              "fixed_truncation": fixed, "stable": True,
                              "evidence": q.to_dict()["evidence"]}
                else:
                    from compare.verdict.comparison import compare  # QuTiP, as above
                    c = compare(p, opts, settings.get("tolerance", TOLERANCE))
                    d = c.to_dict()
                    q = d["qmodel"] or {}
                    result = {"verdict": c.verdict, "reason": c.reason, "stable": True,
                              "E_N": q.get("E_N"), "E_N_gaussian": q.get("E_N_gaussian"),
                              "duan": q.get("duan"), "non_gaussianity": q.get("non_gaussianity"),
                              "non_gaussianity_floor": q.get("non_gaussianity_floor"),
                              "E_N_linearized": c.linearized.E_N,
                              "duan_linearized": c.linearized.duan,
                              "delta_E_N": c.delta_E_N, "delta_duan": c.delta_duan,
                              "dim": q.get("dim"), "evidence": d.get("evidence")}
            except Unstable as exc:
                return ("unstable", None, f"unstable: {exc}", time.perf_counter() - t)
            except (NotConverged, SolverError) as exc:
                return ("failed", None, str(exc), time.perf_counter() - t)
    except Exception as exc:   # a point that fails is recorded and the sweep goes on
        return ("failed", None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t)
    return ("ok", result, None, time.perf_counter() - t)
