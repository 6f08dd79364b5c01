"""Resumable parameter sweeps for every engine (``linearized``, ``qmodel``, ``compare``).

The master-equation engines key each grid point by a hash of its full parameter set and the
solver settings (:func:`compare.batch.store.point_key`).  Points already in the store are not
recomputed; the others are evaluated on local processes (``ProcessPoolExecutor``, all cores by
default) or on an existing Dask cluster, and each is written to the store as soon as it
finishes.  A point that fails is stored as failed with its reason and the sweep goes on.

The linearized engine never builds a parameter object per point: the grid's parameters are
arrays (:func:`linearized.sweep.grid_params`), solved in blocks by the batched solver and
stored one block per row (:func:`compare.batch.store.grid_key`); an interrupted linearized sweep
resumes at the first block not stored.  Only with a physical drive (a model's ``drive = E``,
or a YIG drive's power given or swept) is each point's mean field solved on its own.

When every point is known the grid is exported to the self-describing ``.npz`` of
:mod:`linearized.sweep`.

Where the points run: :mod:`compare.batch.executors`; what each engine computes at a point:
:mod:`compare.batch.engines`.
"""
from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from compare.batch.engines import ENGINES, FIELDS
from compare.batch.executors import run_points
from compare.batch.store import Store, block_key, grid_key, point_key
from compare.defaults import PROGRESS
from linearized.description.drive import BranchError, NoStableBranch
from linearized.description.system import System
from linearized.description.units import format_quantity
from linearized.steady import solve_model as solve
from linearized.steady import solve_model_grid
from linearized.sweep import Sweep

# -- results ---------------------------------------------------------------------------------

#: linearized point status codes, and their names
OK, UNSTABLE, FAILED = 0, 1, 2
STATUS_NAMES = np.array(["ok", "unstable", "failed"])
_UNSTABLE_REASON = "unstable: no steady state"


@dataclass
class _LinearizedRows:
    """A linearized grid as arrays: status codes and values (grid shape + (6,)), the reasons
    of the points that have one (flat index -> text), and each block's key, range, time."""
    status: np.ndarray
    values: np.ndarray
    errors: dict
    blocks: list          # (key, start, stop, seconds, finished)


@dataclass(frozen=True)
class SweepRun:
    """What a sweep did: the grid, every point's outcome, and how many were computed now.

    For the master-equation engines ``rows`` holds one dict per point; the linearized engine
    keeps arrays (``linearized``) and builds the per-point dicts only when :attr:`points` is
    asked for.
    """
    engine: str
    base: System
    axes: tuple
    computed: int
    reused: int
    store: str
    settings: dict = field(default_factory=dict)
    rows: list | None = None
    linearized: _LinearizedRows | None = None

    @property
    def shape(self) -> tuple:
        return tuple(len(a.values) for a in self.axes)

    @property
    def key(self) -> str:
        """Identity of the sweep (engine, base, axes, settings; not the code version)."""
        return sweep_identity(self.engine, self.base, self.axes, self.settings)

    @property
    def points(self) -> list:
        """One dict per grid point: index, values, key, status, result, error, seconds,
        finished."""
        if self.rows is not None:
            return self.rows
        lin, out = self.linearized, []
        st = lin.status.reshape(-1)
        vals = lin.values.reshape(-1, _width(self.base))
        for key, start, stop, sec, fin in lin.blocks:
            per = sec / max(1, stop - start)
            for flat in range(start, stop):
                index = np.unravel_index(flat, self.shape)
                code = int(st[flat])
                result = ({"E_N": float(vals[flat, 0]), "duan": float(vals[flat, 1]),
                           "stable": True} if code == OK else None)
                error = lin.errors.get(flat, _UNSTABLE_REASON if code == UNSTABLE else None)
                out.append({"index": [int(i) for i in index],
                            "values": {a.key: float(a.values[i]) for a, i in
                                       zip(self.axes, index)},
                            "key": f"{key}:{flat - start}", "status": str(STATUS_NAMES[code]),
                            "result": result, "error": error, "seconds": per,
                            "finished": fin})
        return out

    def failures(self) -> list:
        """The reasons of the failed points (one entry per failed point)."""
        if self.rows is not None:
            return [p["error"] for p in self.rows if p["status"] == "failed"]
        flat = np.flatnonzero(self.linearized.status.reshape(-1) == FAILED)
        return [self.linearized.errors.get(int(i), "failed") for i in flat]

    def to_sweep(self) -> Sweep:
        """The grid as a :class:`linearized.sweep.Sweep` (NaN where a point has no value)."""
        created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if self.linearized is not None:
            st, vals = self.linearized.status, self.linearized.values
            ok = st == OK
            n = self.base.n_modes
            data = {"E_N": np.where(ok, vals[..., 0], np.nan),
                    "duan": np.where(ok, vals[..., 1], np.nan),
                    "stable": st != UNSTABLE,
                    "occupations": np.where(ok[..., None], vals[..., 2:2 + n], np.nan),
                    "status": STATUS_NAMES[st]}
            if vals.shape[-1] > 2 + n:
                k = (vals.shape[-1] - 2 - n) // 2
                data["pair_E_N"] = np.where(ok[..., None], vals[..., 2 + n:2 + n + k], np.nan)
                data["pair_duan"] = np.where(ok[..., None], vals[..., 2 + n + k:], np.nan)
            return Sweep(base=self.base, axes=self.axes, data=data, engine=self.engine,
                         created=created, key=self.key)
        shape = self.shape
        data = {f: np.full(shape, np.nan) for f in FIELDS[self.engine]}
        data["stable"] = np.zeros(shape, bool)
        status = np.empty(shape, dtype="<U8")
        verdict = np.full(shape, "", dtype="<U10")
        for pt in self.rows:
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
                     created=created, key=self.key)


def sweep_identity(engine: str, base: System, axes, settings: dict) -> str:
    """A hash naming the sweep (engine, base parameters, axes, settings), independent of the
    code's result version: a rerun of the same command has the same identity."""
    return grid_key(engine, base.to_dict(), axes, settings, version=None)


# -- the linearized engine: whole blocks of the grid at once ----------------------------------

#: points per stored block: effective parameters (the batched solver does ~1e5 points/s), and
#: physical ones (each point's mean field is solved on its own, ~1e3 points/s)
BLOCK = 1 << 17
BLOCK_PHYSICAL = 1 << 9


def _width(base) -> int:
    """Values stored per linearized point: E_N, Duan, the occupations, every pair's E_N and
    Duan."""
    n = base.n_modes
    return 2 + n + n * (n - 1)


def _pack(E_N, duan, occupations, pair_E_N, pair_duan) -> np.ndarray:
    """The stored row(s) of a linearized point(s): E_N, Duan, the occupations, every pair's
    E_N, every pair's Duan (the layout :meth:`SweepRun.to_sweep` reads)."""
    col = lambda x: np.atleast_2d(np.asarray(x, float).T).T
    return np.hstack([col(E_N), col(duan), np.atleast_2d(occupations),
                      np.atleast_2d(pair_E_N), np.atleast_2d(pair_duan)])


def _linearized_block(base, axes, shape, start: int, stop: int, point_by_point: bool):
    """Status codes, values ``(n, width)`` and reasons ``{offset: text}`` of the flat grid
    indices ``start:stop``: the batched solver, or with a physical drive point by point (each
    point's own mean field)."""
    n = stop - start
    index = np.unravel_index(np.arange(start, stop), shape)
    if point_by_point:
        return _linearized_points(base, axes, index)
    g = solve_model_grid(base.replace(**{a.key: a.values[i] for a, i in zip(axes, index)}))
    stable = np.broadcast_to(g.stable, (n,))
    values = _pack(g.E_N, g.duan, g.occupations, g.pair_E_N, g.pair_duan)
    return np.where(stable, OK, UNSTABLE).astype(np.int8), values, {}


def _linearized_points(base, axes, index):
    n = len(index[0])
    status = np.zeros(n, np.int8)
    values = np.full((n, _width(base)), np.nan)
    errors = {}
    for t in range(n):
        try:
            r = solve(base.replace(**{a.key: float(a.values[i[t]])
                                      for a, i in zip(axes, index)}))
        except NoStableBranch as exc:
            status[t], errors[t] = UNSTABLE, f"unstable: {exc}"
            continue
        except (BranchError, ValueError) as exc:
            status[t], errors[t] = FAILED, str(exc)
            continue
        status[t] = OK if r.stable else UNSTABLE
        if r.stable:
            values[t] = _pack(r.E_N, r.duan, r.occupations, [p["E_N"] for p in r.pairs],
                              [p["duan"] for p in r.pairs])[0]
    return status, values, errors


def _run_linearized(base: System, axes, store: Store, settings: dict, retry_failed: bool,
                    new_bar):
    shape = tuple(len(a.values) for a in axes)
    total = int(np.prod(shape))
    width = _width(base)
    physical = bool(base.spec.drive_parameters(base.to_dict(), [a.key for a in axes]))
    size = BLOCK_PHYSICAL if physical else BLOCK
    grid = grid_key("linearized", base.to_dict(), axes, settings)
    ranges = [(a, min(a + size, total)) for a in range(0, total, size)]
    keys = [block_key(grid, a, b) for a, b in ranges]
    known = store.get_blocks(keys)
    status = np.zeros(total, np.int8)
    values = np.full((total, width), np.nan)
    errors, blocks, computed = {}, [], 0
    todo = []
    for key, (a, b) in zip(keys, ranges):
        row = known.get(key)
        if row is not None:
            st = np.frombuffer(row[0], np.int8)
            if not (retry_failed and np.any(st == FAILED)):
                status[a:b] = st
                values[a:b] = np.frombuffer(row[1], "<f8").reshape(-1, width)
                errors.update({a + int(i): e for i, e in row[2].items()})
                blocks.append((key, a, b, row[3], row[4]))
                continue
        todo.append((key, a, b))
    bar = new_bar(sum(b - a for _, a, b in todo))
    for key, a, b in todo:
        t = time.perf_counter()
        st, val, err = _linearized_block(base, axes, shape, a, b, physical)
        sec = time.perf_counter() - t
        store.put_blocks([(key, grid, a, b, st.tobytes(), val.astype("<f8").tobytes(),
                           {str(i): e for i, e in err.items()}, int(np.sum(st == FAILED)),
                           sec)])
        status[a:b], values[a:b] = st, val
        errors.update({a + i: e for i, e in err.items()})
        blocks.append((key, a, b, sec, time.strftime("%Y-%m-%dT%H:%M:%S")))
        computed += b - a
        bar.update(b - a)
    blocks.sort(key=lambda r: r[1])
    rows = _LinearizedRows(status.reshape(shape), values.reshape(shape + (width,)),
                           errors, blocks)
    return rows, computed, total - computed


# -- the master-equation engines: one point at a time ------------------------------------------

def _grid(base: System, axes):
    """Grid points ``(index, values, system, outcome)``.  A physical drive is resolved per
    point; a point whose mean field has no stable branch, or several and no ``--branch``
    choice, gets its outcome now (it is stored, not computed)."""
    for index in itertools.product(*(range(len(a.values)) for a in axes)):
        values = {a.key: float(a.values[i]) for a, i in zip(axes, index)}
        outcome = None
        try:
            p = base.replace(**values)
        except NoStableBranch as exc:
            p, outcome = _Unbuilt(base, values), ("unstable", None, f"unstable: {exc}", 0.0)
        except BranchError as exc:
            p, outcome = _Unbuilt(base, values), ("failed", None, str(exc), 0.0)
        yield index, values, p, outcome


class _Unbuilt:
    """A grid point of a model whose parameters could not be built (its outcome is known):
    keyed and stored by its values."""

    def __init__(self, base, values):
        self._d = {**base.to_dict(), **values}

    def to_dict(self) -> dict:
        return dict(self._d)


def point_line(done: int, total: int, values: dict, units: dict, outcome) -> str:
    """The progress line of a finished master-equation point: how many are done, its
    parameters with their units, its verdict (``compare``) or E_N (``qmodel``), or why it has
    none, its d and its seconds, e.g. ``mwent: progress: point 3 of 19 (T = 190 mK): agree,
    d = 1350, 334.1 s``."""
    status, result, error, seconds = outcome
    result = result or {}
    at = ", ".join(f"{k} = {format_quantity(v, units.get(k, ''))}" for k, v in values.items())
    if status == "ok":
        what = result.get("verdict") or f"E_N = {result.get('E_N')}"
        if result.get("verdict") == "undecided" and result.get("reason"):
            what += f" ({result['reason']})"
        if result.get("dim") is not None:
            what += f", d = {result['dim']}"
    else:
        what = "unstable" if status == "unstable" else f"undecided ({error})"
    return f"{PROGRESS} point {done} of {total} ({at}): {what}, {seconds:.1f} s"


def run_sweep(engine: str, base: System, axes, store_path: str, settings: dict | None = None,
              executor: str = "local", scheduler=None, workers: int | None = None,
              progress: bool | str = True, retry_failed: bool = False) -> SweepRun:
    """Evaluate the grid spanned by ``axes`` with ``engine``, resuming from ``store_path``.

    ``progress``: True, a progress bar on stderr; ``"lines"``, one line on stderr for each
    master-equation point as it finishes (:func:`point_line`: for a log, where a bar is
    noise); False, nothing.
    ``retry_failed`` recomputes points stored as failed and replaces their rows.  Raises
    :class:`SweepError` (one sentence) when a worker dies or the Dask scheduler cannot be
    reached; the points finished before are in the store.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    settings = dict(settings or {})
    axes = tuple(axes)
    store = Store(store_path)
    if store.note:
        print(f"mwent: note: {store.note}", file=sys.stderr)
    bars = []

    def new_bar(total):
        bars.append(tqdm(total=total, desc=f"{engine} sweep", unit="pt", file=sys.stderr,
                         disable=progress is not True or not total, dynamic_ncols=True))
        return bars[-1]

    try:
        if engine == "linearized":
            rows, computed, reused = _run_linearized(base, axes, store, settings,
                                                     retry_failed, new_bar)
            return SweepRun(engine, base, axes, computed, reused, store_path, settings,
                            linearized=rows)
        grid = list(_grid(base, axes))
        keys = [point_key(engine, p.to_dict(), settings) for _, _, p, _ in grid]
        known = store.get_many(keys)
        if retry_failed:
            known = {k: row for k, row in known.items() if row["status"] != "failed"}
        decided = [(k, g) for k, g in zip(keys, grid) if k not in known and g[3] is not None]
        if decided:
            store.put([(k, engine, g[2].to_dict(), settings, *g[3]) for k, g in decided])
        todo = [(k, g) for k, g in zip(keys, grid) if k not in known and g[3] is None]
        bar = new_bar(len(todo))
        units = {p.name: p.unit for p in base.spec.parameters}
        done = [0]

        def record(key, point, outcome):
            status, result, error, seconds = outcome
            store.put([(key, engine, point[2].to_dict(), settings, status, result, error,
                        seconds)])
            bar.update(1)
            done[0] += 1
            if progress == "lines":
                print(point_line(done[0], len(todo), point[1], units, outcome),
                      file=sys.stderr, flush=True)

        if todo:
            run_points(engine, todo, settings, executor, scheduler, workers, record,
                        store_path)
        stored = store.get_many(keys)
    finally:
        for bar in bars:
            bar.close()
        store.close()
    points = []
    for k, (index, values, _, _) in zip(keys, grid):
        row = stored[k]
        points.append({"index": list(index), "values": values, "key": k,
                       "status": row["status"], "result": row["result"], "error": row["error"],
                       "seconds": row["seconds"], "finished": row["finished"]})
    return SweepRun(engine, base, axes, computed=len(todo) + len(decided),
                    reused=len(keys) - len(todo) - len(decided), store=store_path,
                    settings=settings, rows=points)
