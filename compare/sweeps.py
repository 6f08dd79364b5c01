"""Resumable parameter sweeps for every engine (``linearized``, ``qmodel``, ``compare``).

Each grid point is keyed by a hash of its full parameter set and the solver settings
(:func:`compare.store.point_key`).  Points already in the store are not recomputed; the others
are evaluated on local processes (``ProcessPoolExecutor``, all cores by default) or on an
existing Dask cluster, and each is written to the store as soon as it finishes.  A point that
fails is stored as failed with its reason and the sweep goes on.  When every point is known the
grid is exported to the self-describing ``.npz`` of :mod:`linearized.sweep`.
"""
from __future__ import annotations

import itertools
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from linearized.params import DIMENSIONS, Params
from linearized.sweep import Sweep
from .store import Store, point_key

ENGINES = ("linearized", "qmodel", "compare")

#: per-engine fields exported to the grid file (NaN where a point has no value)
FIELDS = {
    "linearized": ("E_N", "duan"),
    "qmodel": ("E_N", "E_N_gaussian", "duan", "non_gaussianity", "non_gaussianity_floor", "dim"),
    "compare": ("E_N", "E_N_gaussian", "duan", "E_N_linearized", "duan_linearized",
                "delta_E_N", "delta_duan", "non_gaussianity", "non_gaussianity_floor"),
}


def evaluate_point(engine: str, params: dict, settings: dict):
    """Evaluate one point; returns ``(status, result, error, seconds)``.

    ``status`` is ``ok``, ``unstable`` or ``failed``; never raises for a physics or solver
    failure (the reason goes into ``error``).
    """
    from linearized.steady import solve
    t = time.perf_counter()
    p = Params(**params)
    try:
        if engine == "linearized":
            r = solve(p)
            if not r.stable:
                return ("unstable", {"max_real_eigenvalue": r.max_real_eigenvalue},
                        "unstable: no steady state", time.perf_counter() - t)
            result = {"E_N": r.E_N, "duan": r.duan, "stable": True}
        else:
            from qmodel.converge import ConvergenceOptions, NotConverged, Unstable, solve_master
            from qmodel.solvers import SolverError, SolverOptions
            opts = ConvergenceOptions(
                basis=settings.get("basis", "normal"),
                cutoffs=tuple(settings["cutoffs"]) if settings.get("cutoffs") else None,
                tol=settings.get("tol", 1e-4), tail_tol=settings.get("tail_tol", 1e-4),
                max_dim=settings.get("max_dim", 1500),
                solver=SolverOptions(method=settings.get("solver", "krylov")))
            try:
                if engine == "qmodel":
                    q = solve_master(p, opts)
                    m = q.measures
                    if not q.converged:
                        return ("failed", None, "truncation too small (top-level population "
                                f"{m.tail_population.max():.2e})", time.perf_counter() - t)
                    result = {"E_N": m.E_N, "E_N_gaussian": m.E_N_gaussian, "duan": m.duan,
                              "non_gaussianity": m.non_gaussianity,
                              "non_gaussianity_floor": m.non_gaussianity_floor, "dim": q.dim,
                              "cutoffs": list(q.cutoffs), "converged": True, "stable": True}
                else:
                    from .comparison import compare
                    c = compare(p, opts, settings.get("tolerance", 1e-3))
                    d = c.to_dict()
                    q = d["qmodel"] or {}
                    result = {"verdict": c.verdict, "reason": c.reason, "stable": True,
                              "E_N": q.get("E_N"), "E_N_gaussian": q.get("E_N_gaussian"),
                              "duan": q.get("duan"), "non_gaussianity": q.get("non_gaussianity"),
                              "non_gaussianity_floor": q.get("non_gaussianity_floor"),
                              "E_N_linearized": c.linearized.E_N,
                              "duan_linearized": c.linearized.duan,
                              "delta_E_N": c.delta_E_N, "delta_duan": c.delta_duan}
            except Unstable as exc:
                return ("unstable", None, f"unstable: {exc}", time.perf_counter() - t)
            except (NotConverged, SolverError) as exc:
                return ("failed", None, str(exc), time.perf_counter() - t)
    except Exception as exc:   # a point that fails is recorded and the sweep goes on
        return ("failed", None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t)
    return ("ok", result, None, time.perf_counter() - t)


class SweepError(RuntimeError):
    """The sweep could not go on (a worker process died, the cluster lost a worker); every
    point finished before is in the store.  The message is one sentence for the user."""


@dataclass(frozen=True)
class SweepRun:
    """What a sweep did: the grid, every point's row, and how many were computed now."""
    engine: str
    base: Params
    axes: tuple
    points: list
    computed: int
    reused: int
    store: str

    def to_sweep(self) -> Sweep:
        """The grid as a :class:`linearized.sweep.Sweep` (NaN where a point has no value)."""
        shape = tuple(len(a.values) for a in self.axes)
        data = {f: np.full(shape, np.nan) for f in FIELDS[self.engine]}
        data["stable"] = np.zeros(shape, bool)
        status = np.empty(shape, dtype="<U8")
        verdict = np.full(shape, "", dtype="<U10")
        for pt in self.points:
            idx = tuple(pt["index"])
            status[idx] = pt["status"]
            data["stable"][idx] = pt["status"] != "unstable"
            res = pt.get("result") or {}
            if pt["status"] == "ok":
                for f in FIELDS[self.engine]:
                    if res.get(f) is not None:
                        data[f][idx] = res[f]
                verdict[idx] = res.get("verdict", "")
        data["status"] = status
        if self.engine == "compare":
            data["verdict"] = verdict
        return Sweep(base=self.base, axes=self.axes, data=data, engine=self.engine,
                     created=time.strftime("%Y-%m-%dT%H:%M:%S%z"))


def _grid(base: Params, axes, branch=None):
    """Grid points ``(index, values, params, outcome)``.  Physical parameters (P given) are
    resolved to G and Delta_m here; a point whose mean field has no stable branch, or several
    and no ``branch`` choice, gets its outcome now (it is stored, not computed)."""
    from linearized.physical import BranchError, NoStableBranch, resolve
    for index in itertools.product(*(range(len(a.values)) for a in axes)):
        values = {a.key: float(a.values[i]) for a, i in zip(axes, index)}
        p = base.replace(**values)
        outcome = None
        try:
            p = resolve(p, branch)
        except NoStableBranch as exc:
            outcome = ("unstable", None, f"unstable: {exc}", 0.0)
        except BranchError as exc:
            outcome = ("failed", None, str(exc), 0.0)
        yield index, values, p, outcome


def _linearized_batch(points):
    """Evaluate linearized points all at once with the batched solver."""
    from linearized.steady import solve_grid
    ps = [p for _, _, p, _ in points]
    # every numeric key (never a hand-written list: a key left out would take the first
    # point's value at every point)
    stacked = ps[0].replace(**{k: np.array([float(getattr(p, k)) for p in ps])
                               for k in DIMENSIONS})
    g = solve_grid(stacked)
    out = []
    for i in range(len(ps)):
        if g.stable[i]:
            out.append(("ok", {"E_N": float(g.E_N[i]), "duan": float(g.duan[i]),
                               "stable": True}, None, 0.0))
        else:
            out.append(("unstable", None, "unstable: no steady state", 0.0))
    return out


def _local_executor(workers):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    # one BLAS thread per worker process: the workers already use every core
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))


def run_sweep(engine: str, base: Params, axes, store_path: str, settings: dict | None = None,
              executor: str = "local", scheduler: str | None = None, workers: int | None = None,
              progress: bool = True, retry_failed: bool = False) -> SweepRun:
    """Evaluate the grid spanned by ``axes`` with ``engine``, resuming from ``store_path``."""
    from tqdm import tqdm
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    settings = dict(settings or {})
    store = Store(store_path)
    grid = list(_grid(base, axes, settings.get("branch")))
    keys = [point_key(engine, p.to_dict(), settings) for _, _, p, _ in grid]
    known = store.get_many(keys)
    if retry_failed:
        known = {k: row for k, row in known.items() if row["status"] != "failed"}
    decided = [(k, g) for k, g in zip(keys, grid) if k not in known and g[3] is not None]
    if decided:
        store.put([(k, engine, g[2].to_dict(), settings, *g[3]) for k, g in decided])
    todo = [(k, g) for k, g in zip(keys, grid) if k not in known and g[3] is None]
    bar = tqdm(total=len(todo), desc=f"{engine} sweep", unit="pt", file=sys.stderr,
               disable=not progress or not todo, dynamic_ncols=True)

    def record(key, point, outcome):
        status, result, error, seconds = outcome
        store.put([(key, engine, point[2].to_dict(), settings, status, result, error, seconds)])
        bar.update(1)

    try:
        if todo and engine == "linearized":
            outcomes = _linearized_batch([g for _, g in todo])
            store.put([(k, engine, g[2].to_dict(), settings, *o) for (k, g), o in
                       zip(todo, outcomes)])
            bar.update(len(todo))
        elif todo and executor == "dask":
            from dask.distributed import Client, as_completed
            client = Client(scheduler) if isinstance(scheduler, str) else scheduler
            futures = {client.submit(evaluate_point, engine, g[2].to_dict(), settings,
                                     pure=False): (k, g) for k, g in todo}
            for fut in as_completed(futures):
                k, g = futures[fut]
                record(k, g, fut.result())
            if isinstance(scheduler, str):
                client.close()
        elif todo:
            n = workers or os.cpu_count() or 1
            if n == 1:
                for k, g in todo:
                    record(k, g, evaluate_point(engine, g[2].to_dict(), settings))
            else:
                from concurrent.futures import as_completed
                with _local_executor(n) as pool:
                    futures = {pool.submit(evaluate_point, engine, g[2].to_dict(), settings):
                               (k, g) for k, g in todo}
                    for fut in as_completed(futures):
                        k, g = futures[fut]
                        record(k, g, fut.result())
    finally:
        bar.close()
    rows = store.get_many(keys)
    store.close()
    points = []
    for k, (index, values, _, _) in zip(keys, grid):
        row = rows[k]
        points.append({"index": list(index), "values": values, "key": k,
                       "status": row["status"], "result": row["result"], "error": row["error"],
                       "seconds": row["seconds"], "finished": row["finished"]})
    return SweepRun(engine, base, tuple(axes), points, computed=len(todo) + len(decided),
                    reused=len(keys) - len(todo) - len(decided), store=store_path)
