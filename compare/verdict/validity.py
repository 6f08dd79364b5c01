"""Where the linearized theory stops being true: a compare sweep over two axes, mapped.

The error of the linearization at a point is ``max(|dE_N|, |dDuan|)`` between the master
equation (converged) and the Lyapunov solution, both with the Lindblad mechanical bath.  The
map shows it on a log colour scale, marks points whose master-equation state is non-Gaussian,
points that are unstable or undecided, and draws the boundary where the error crosses the
tolerance.
"""
from __future__ import annotations

import itertools

import matplotlib.patheffects as pe
import numpy as np
from matplotlib.colors import LogNorm

from compare.batch.sweeps import run_sweep
from compare.defaults import NON_GAUSSIAN, TOLERANCE
from compare.plots import subplots
from linearized.description.drive import BranchError, NoStableBranch
from linearized.sweep import Axis

#: display scale of a parameter, by its SI unit
_BY_UNIT = {"Hz": (1e6, "MHz"), "K": (1e-3, "mK"), "W": (1e-3, "mW"), "m": (1e-6, "um"),
            "": (1.0, "")}


def _scaled(axis):
    """Values and label of an axis in display units (frequencies as X/2pi in MHz, ...)."""
    scale, unit = _BY_UNIT.get(axis.unit, (1.0, axis.unit))
    if axis.unit == "W" and np.max(axis.values) < 1e-6:
        scale, unit = 1.0, "W"          # femtowatt drives read better in W than in mW
    if axis.unit == "Hz" and 0 < np.max(np.abs(axis.values)) < 1e3:
        scale, unit = 1.0, "Hz"         # single-excitation rates (G_0) read better in Hz
    label = f"{axis.key}/2pi" if axis.unit == "Hz" else axis.key
    return axis.values / scale, f"{label} ({unit})" if unit else label


def _is_log(values) -> bool:
    v = np.asarray(values, float)
    return len(v) > 2 and v[0] > 0 and np.allclose(v[1:] / v[:-1], v[1] / v[0])


def _mean_field_lines(ax, sweep, branch, points=60):
    """Lines of constant G and |<m>| from the mean field on a fine grid over the map."""
    fine = []
    for a in sweep.axes:
        lo, hi = float(np.min(a.values)), float(np.max(a.values))
        v = np.geomspace(lo, hi, points) if _is_log(a.values) else np.linspace(lo, hi, points)
        fine.append(Axis(a.key, v, a.unit))
    G, m = mean_field_grid(sweep.base, fine, branch)
    X, Y = np.meshgrid(_scaled(fine[0])[0], _scaled(fine[1])[0], indexing="ij")
    for z, levels, fmt, style in ((G, np.array([1, 4.5]) * 1e6,
                                   lambda v: f"G/2pi={v / 1e6:g} MHz", "--"),
                                  (m, [1, 3, 10, 30], lambda v: f"|<m>|={v:g}", ":")):
        z = np.ma.masked_invalid(z)
        if z.count() > 3:
            cs = ax.contour(X, Y, z, levels=levels, colors="0.9", linewidths=0.9,
                            linestyles=style)
            ax.clabel(cs, fmt=fmt, fontsize=6, inline_spacing=2)


def boundary(error, tolerance, axes):
    """For each value of the first axis, the first value along the second axis where the
    error exceeds ``tolerance`` (None if nowhere)."""
    out = []
    for i, v in enumerate(axes[0].values):
        above = np.flatnonzero(np.nan_to_num(error[i], nan=-1.0) > tolerance)
        out.append({axes[0].key: float(v),
                    axes[1].key: float(axes[1].values[above[0]]) if above.size else None})
    return out


def non_gaussian(data) -> np.ndarray:
    """Points whose non-Gaussianity exceeds ``NON_GAUSSIAN`` above the truncation floor
    (stores written before the floor was recorded count it as 0)."""
    floor = np.nan_to_num(data.get("non_gaussianity_floor", 0.0))
    return np.nan_to_num(data["non_gaussianity"]) - floor > NON_GAUSSIAN


def mean_field_grid(base, axes, branch=None):
    """Effective ``G`` (Hz) and amplitude ``|<k>|`` of the driven mode's mean-field branch
    (the base's ``--branch`` choice) at every point of a grid of a physically driven model
    (NaN where no branch is stable or none was chosen among several)."""
    shape = tuple(len(a.values) for a in axes)
    G, m = np.full(shape, np.nan), np.full(shape, np.nan)
    for index in itertools.product(*(range(n) for n in shape)):
        try:
            p = base.replace(**{a.key: float(a.values[i]) for a, i in zip(axes, index)})
        except (BranchError, NoStableBranch):
            continue
        if p.drive is not None:
            k = p.drive[0]
            G[index] = next(float(t[2]) for t in p.terms if t[0] == "radiation_pressure")
            m[index] = float(p.means[k][1])
    return G, m


def run_validity(base, axes, out: str, settings: dict, run=None, **sweep_kw) -> dict:
    """Run (or resume) the compare sweep behind the map and draw it; returns a summary.

    ``run``: the :class:`compare.batch.sweeps.SweepRun` of that sweep if the caller ran it already
    (the command line does, to map executor failures to its exit codes)."""
    if len(axes) != 2:
        raise ValueError("a validity map takes exactly two axes")
    if run is None:
        run = run_sweep("compare", base, axes, f"{out}.sqlite", settings, **sweep_kw)
    sweep = run.to_sweep()
    d = sweep.data
    error = np.fmax(np.abs(d["delta_E_N"]), np.abs(d["delta_duan"]))
    # an undecided point's differences carry no evidence: no error, no boundary through it
    decided = np.isin(d.get("verdict", np.full(error.shape, "")), ("agree", "disagree"))
    error = np.where(decided, error, np.nan)
    sweep.data["error"] = error
    tol = settings.get("tolerance", TOLERANCE)
    if base.spec.drive_parameters(base.to_dict(), [a.key for a in axes]):
        sweep.data["G_eff"], sweep.data["abs_m"] = mean_field_grid(base, axes,
                                                                   settings.get("branch"))
    npz = sweep.save(out)
    figs = draw(sweep, error, tol, out, settings.get("branch"))
    verdicts = [p["result"]["verdict"] for p in run.points if p["status"] == "ok"]
    return {"file": npz, "figures": figs, "store": run.store, "computed": run.computed,
            "reused": run.reused, "tolerance": tol,
            "max_error": float(np.nanmax(error)) if np.any(np.isfinite(error)) else None,
            "verdicts": {v: verdicts.count(v) for v in sorted(set(verdicts))},
            "non_gaussian_points": int(np.sum(non_gaussian(d))),
            "unstable_points": int(np.sum(d["status"] == "unstable")),
            "failed_points": int(np.sum(d["status"] == "failed")),
            "boundary": boundary(error, tol, sweep.axes),
            "points": run.points}


def draw(sweep, error, tol, out, branch=None):

    x, xl = _scaled(sweep.axes[0])
    y, yl = _scaled(sweep.axes[1])
    d = sweep.data
    fig, ax = subplots(figsize=(6.4, 5.4))
    shown = np.where(error > 0, error, np.nan)
    finite = shown[np.isfinite(shown)]
    if finite.size:
        lo, hi = max(finite.min(), 1e-8), max(finite.max(), tol * 10)
        mesh = ax.pcolormesh(x, y, shown.T, shading="nearest", cmap="viridis",
                             norm=LogNorm(vmin=min(lo, tol / 10), vmax=hi))
        fig.colorbar(mesh, ax=ax, label=r"linearization error max(|$\Delta E_N$|, |$\Delta$Duan|)")
        if finite.size > 3 and finite.min() < tol < finite.max() and min(len(x), len(y)) > 1:
            # NaN (unstable, undecided) stays masked: no boundary is drawn against missing data
            ax.contour(x, y, np.ma.masked_invalid(error).T, levels=[tol], colors="r",
                       linewidths=2)
            ax.plot([], [], "r-", lw=2, label=f"error = tolerance {tol:g}")
    ng = non_gaussian(d)
    X, Y = np.meshgrid(x, y, indexing="ij")
    if "G_eff" in d and min(len(x), len(y)) > 1:
        _mean_field_lines(ax, sweep, branch)
    if ng.any():
        ax.plot(X[ng], Y[ng], "wx", ms=8, mew=2,
                path_effects=[pe.withStroke(linewidth=3.5, foreground="k")],
                label=f"non-Gaussian (relative entropy {NON_GAUSSIAN:g} above truncation)")
    for status, style, label in (("unstable", "k^", "unstable (no steady state)"),
                                 ("failed", "ks", "master equation not converged")):
        mask = d["status"] == status
        if mask.any():
            ax.plot(X[mask], Y[mask], style, mfc="none", label=label)
    undecided = d.get("verdict", np.array([])) == "undecided"
    if np.any(undecided):
        ax.plot(X[undecided], Y[undecided], "ko", mfc="none", label="undecided")
    for axis, setter in ((sweep.axes[0], ax.set_xscale), (sweep.axes[1], ax.set_yscale)):
        if _is_log(axis.values):
            setter("log")
    ax.set_xlabel(xl)
    ax.set_ylabel(yl)
    ax.set_title("Validity of the linearized theory", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
                  frameon=False)
    fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        paths.append(f"{out}.{ext}")
        fig.savefig(paths[-1], dpi=150)
    return paths
