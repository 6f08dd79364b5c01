"""The paper's figures with master-equation points on them (``mwent figure NAME --engine
compare``).

The linearized curve or map is drawn as in :mod:`compare.plots.figures`, on the Lindblad bath that
the master equation has (so both engines describe one model; at Q_m = 1e5 the two baths
differ by ~5e-5 in E_N).  On a coarser grid (``grid`` points per axis; Fig. 3: T from 20 to
200 mK) every point is run through :func:`compare.verdict.comparison.compare` by the resumable sweep
(:func:`compare.batch.sweeps.run_sweep`, store ``figNAME_compare.sqlite`` in the output folder):
each point is ``agree`` or ``disagree`` with its evidence, or ``undecided`` with its reason,
never a master-equation value without its convergence evidence.
"""
from __future__ import annotations

import os
import time
from collections import Counter

import numpy as np

from compare.batch.sweeps import run_sweep
from compare.defaults import TOLERANCE
from compare.plots import subplots
from compare.plots.figures import _spec, compute
from linearized.description.system import System
from linearized.sweep import Axis

#: Fig. 3's master-equation temperatures: 20 to 200 mK (every 10 mK with the default 19)
FIG3_RANGE_K = (0.02, 0.2)
#: default points per axis of the master-equation grid
DEFAULT_GRID = {"3": 19}
DEFAULT_GRID_2D = 21
VERDICT_STYLE = {"agree": ("o", "C2", "agree"), "disagree": ("s", "C3", "disagree"),
                 "undecided": ("^", "0.5", "undecided (no converged value)"),
                 "unstable": ("x", "k", "unstable")}


def default_grid(name: str) -> int:
    return DEFAULT_GRID.get(name, DEFAULT_GRID_2D)


def me_axes(name: str, base: System, grid: int) -> list:
    """The master-equation grid of figure ``name``: ``grid`` points per axis over the
    figure's own range (Fig. 3: T from 20 to 200 mK)."""
    if name == "3":
        return [Axis("T", np.linspace(*FIG3_RANGE_K, grid))]
    spec = _spec(name, base, grid)
    return [Axis(k, np.linspace(a, b, m)) for k, a, b, m in spec.axes]


def me_start(linear_sweep) -> System:
    """The parameters the master-equation grid varies: those of the linear figure (Fig. 3:
    its curve's point), on the Lindblad bath."""
    return linear_sweep.base.replace(mech_bath="lindblad")


def _point_rows(run, quantity: str) -> list:
    rows = []
    for pt in run.points:
        res = pt["result"] or {}
        status = pt["status"]
        verdict = res.get("verdict") if status == "ok" else (
            "unstable" if status == "unstable" else "undecided")
        reason = res.get("reason") if status == "ok" else pt["error"]
        rows.append({"values": pt["values"], "index": pt["index"], "verdict": verdict,
                     "reason": reason, "seconds": pt["seconds"],
                     "E_N": res.get("E_N"), "E_N_linearized": res.get("E_N_linearized"),
                     "duan": res.get("duan"), "duan_linearized": res.get("duan_linearized"),
                     "delta_E_N": res.get("delta_E_N"), "delta_duan": res.get("delta_duan"),
                     "quantity": quantity, "dim": res.get("dim")})
    return rows


def _value(row, quantity):
    return row["E_N"] if quantity == "E_N" else row["duan"]


def draw_curve(spec, line, rows, tolerance, path) -> str:
    """Fig. 3: the linear curve with the master-equation points, and below it their
    differences on a log scale with the agreement tolerance."""
    scale = spec.scales[0]
    fig, (ax, bx) = subplots(2, 1, figsize=(5.6, 6.0), dpi=150, sharex=True,
                                 gridspec_kw={"height_ratios": [3, 2]})
    x = line.axes[0].values / scale
    ax.plot(x, line.data[spec.quantity], color="C0", lw=1.8,
            label="linearized (Lyapunov, Lindblad bath)")
    for verdict, (marker, color, label) in VERDICT_STYLE.items():
        pts = [r for r in rows if r["verdict"] == verdict]
        if not pts:
            continue
        xs = [r["values"][line.axes[0].key] / scale for r in pts]
        if verdict in ("agree", "disagree"):
            ys = [_value(r, spec.quantity) for r in pts]
            ax.plot(xs, ys, marker, color=color, ms=6, mfc=color if verdict == "agree"
                    else "none", label=f"master equation: {label} ({len(pts)})")
        else:    # no converged value: marked on the axis, the reason is in the JSON
            ax.plot(xs, np.zeros(len(xs)), marker, color=color, ms=7, mfc="none",
                    clip_on=False, label=f"{label} ({len(pts)})")
    ax.set_ylabel(r"$E_N$" if spec.quantity == "E_N" else "Duan sum")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper right", frameon=False)
    ax.set_title(spec.title + ": master equation vs linearized",
                 fontsize=9)
    for key, style, label in (("delta_E_N", "o-", r"$|\Delta E_N|$"),
                              ("delta_duan", "s--", r"$|\Delta$ Duan$|$")):
        pts = [r for r in rows if r[key] is not None]
        if pts:
            xs = [r["values"][line.axes[0].key] / scale for r in pts]
            ys = [max(abs(r[key]), 1e-12) for r in pts]
            bx.semilogy(xs, ys, style, ms=4, lw=1, label=label)
    bx.axhline(tolerance, color="C3", lw=1, ls=":", label=f"tolerance {tolerance:g}")
    bx.set_xlabel(spec.labels[0])
    bx.set_ylabel("|master equation - linearized|")
    bx.grid(alpha=0.3, which="both")
    bx.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    return path


def draw_map(spec, line, run, rows, tolerance, path) -> str:
    """A 2-D figure: the linear map with each master-equation point marked by its verdict;
    the master equation's own values on its grid; the larger of |dE_N| and |dDuan|."""
    sx, sy = spec.scales
    fig, axs = subplots(1, 3, figsize=(15, 4.4), dpi=130)
    x = line.axes[0].values / sx
    y = line.axes[1].values / sy
    vals = line.data[spec.quantity]
    cmap = "jet" if spec.quantity == "E_N" else "viridis"
    label = r"$E_N$" if spec.quantity == "E_N" else "Duan sum"
    shown = vals if spec.quantity == "E_N" else np.where(vals < 2, vals, np.nan)
    m0 = axs[0].pcolormesh(x, y, shown.T, shading="nearest", cmap=cmap)
    fig.colorbar(m0, ax=axs[0], label=label)
    k0, k1 = (a.key for a in line.axes)
    for verdict, (marker, color, lab) in VERDICT_STYLE.items():
        pts = [r for r in rows if r["verdict"] == verdict]
        if pts:
            agree = verdict == "agree"
            axs[0].plot([r["values"][k0] / sx for r in pts], [r["values"][k1] / sy for r in pts],
                        marker, color="w" if agree else "m" if verdict == "undecided" else color,
                        ms=2.5 if agree else 5, mfc="none", mew=0.6 if agree else 1.2,
                        alpha=0.6 if agree else 1.0, label=f"{lab} ({len(pts)})")
    axs[0].legend(fontsize=6, loc="lower left", framealpha=0.7)
    axs[0].set_title("linearized (Lindblad bath), master-equation points marked",
                     fontsize=8)
    gx = run.axes[0].values / sx
    gy = run.axes[1].values / sy
    shape = tuple(len(a.values) for a in run.axes)
    me = np.full(shape, np.nan)
    err = np.full(shape, np.nan)
    for r in rows:
        i = tuple(r["index"])
        if r["verdict"] in ("agree", "disagree"):
            v = _value(r, spec.quantity)
            # as on the linear panel, a Duan map leaves separable points (>= 2) blank
            me[i] = v if spec.quantity == "E_N" or v < 2 else np.nan
            err[i] = max(abs(r["delta_E_N"] or 0.0), abs(r["delta_duan"] or 0.0))
    m1 = axs[1].pcolormesh(gx, gy, me.T, shading="nearest", cmap=cmap,
                           vmin=np.nanmin(shown) if np.isfinite(shown).any() else None,
                           vmax=np.nanmax(shown) if np.isfinite(shown).any() else None)
    fig.colorbar(m1, ax=axs[1], label=label + " (master equation)")
    axs[1].set_title(f"master equation, {shape[0]} x {shape[1]} (blank: undecided or "
                     f"unstable)", fontsize=8)
    with np.errstate(divide="ignore"):
        m2 = axs[2].pcolormesh(gx, gy, np.log10(np.maximum(err, 1e-12)).T, shading="nearest",
                               cmap="magma")
    fig.colorbar(m2, ax=axs[2], label=r"$\log_{10}\max(|\Delta E_N|, |\Delta$Duan$|)$")
    axs[2].set_title(f"linearization error (tolerance {tolerance:g} = "
                     f"{np.log10(tolerance):.0f})", fontsize=8)
    for a in axs:
        a.set_xlabel(spec.labels[0])
        a.set_ylabel(spec.labels[1])
    fig.suptitle(spec.title + ": master equation vs linearized", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return path


def make_compare_figure(name: str, base: System, out_dir: str, grid: int | None,
                        settings: dict, n: int | None = None, as_given: bool = False,
                        executor: str = "local", scheduler=None, workers: int | None = None,
                        progress: bool = False, retry_failed: bool = False) -> dict:
    """Figure ``name`` with master-equation points: the linear figure (``n`` points per
    axis) on the Lindblad bath, a resumable compare sweep on ``grid`` points per axis (store
    ``figNAME_compare.sqlite`` in ``out_dir``), the drawing ``figNAME_compare.png`` and the
    grid ``figNAME_compare.npz``.  Returns the file names and a summary: the verdict of every
    point with its reason and differences, and the counts."""
    t0 = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    grid = grid or default_grid(name)
    lin_base = base.replace(mech_bath="lindblad")
    line = compute(name, lin_base, n, as_given)
    spec = _spec(name, line.base, len(line.axes[0].values))
    start = me_start(line)
    axes = me_axes(name, start, grid)
    store = os.path.join(out_dir, f"fig{name}_compare.sqlite")
    run = run_sweep("compare", start, axes, store, settings, executor=executor,
                    scheduler=scheduler, workers=workers, progress=progress,
                    retry_failed=retry_failed)
    rows = _point_rows(run, spec.quantity)
    tol = settings.get("tolerance", TOLERANCE)
    png = os.path.join(out_dir, f"fig{name}_compare.png")
    if len(axes) == 1:
        draw_curve(spec, line, rows, tol, png)
    else:
        draw_map(spec, line, run, rows, tol, png)
    data = run.to_sweep().save(os.path.join(out_dir, f"fig{name}_compare"))
    counts = dict(Counter(r["verdict"] for r in rows))
    decided = [r for r in rows if r["verdict"] in ("agree", "disagree")]
    worst = max((max(abs(r["delta_E_N"] or 0), abs(r["delta_duan"] or 0)) for r in decided),
                default=None)
    summary = {"grid": [{"key": a.key, "n": len(a.values), "start": float(a.values[0]),
                         "stop": float(a.values[-1])} for a in axes],
               "verdicts": counts, "points": rows, "largest_difference_decided": worst,
               "tolerance": tol, "computed": run.computed, "reused": run.reused,
               "store": store, "seconds": time.perf_counter() - t0,
               "mech_bath": "lindblad (both engines)",
               "linear_points_per_axis": len(line.axes[0].values),
               "point_parameters": start.to_dict()}
    return {"figure": name, "engine": "compare", "png": png, "data": data,
            "summary": summary}
