"""The paper's Figs. 2(a), 2(b), 3, 4(a), 4(b) from the linearized model.

Each figure is a :class:`linearized.sweep.Sweep` on the paper's model (the model file
``paper`` at its defaults, which the user may modify with ``--set``), drawn with Matplotlib and written as
``figNAME.png`` plus the data as ``figNAME.npz``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from compare.plots import subplots
from linearized.description.system import System
from linearized.steady import solve_model, solve_model_grid
from linearized.sweep import Axis, Sweep, grid_params, run_linearized

FIGURES = ("2a", "2b", "3", "4a", "4b")


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    quantity: str             # "E_N" or "duan"
    axes: tuple               # (key, start, stop, n) in SI, or (key, start/ref, ..) scaled
    labels: tuple             # axis labels
    scales: tuple             # divide axis values by these for display
    fixed: dict               # parameter changes applied before the sweep


def _spec(name: str, base: System, n: int) -> FigureSpec:
    wb = float(base.value("omega_b"))
    if name == "2a":
        return FigureSpec(name, r"Fig. 2(a): $E_N$ vs $\Delta_1$, $\Delta_2$", "E_N",
                          (("Delta_1", -2 * wb, 2 * wb, n), ("Delta_2", -2 * wb, 2 * wb, n)),
                          (r"$\Delta_1/\omega_b$", r"$\Delta_2/\omega_b$"), (wb, wb), {})
    if name == "2b":
        k1, g1 = float(base.value("kappa_1")), float(base.value("g_1"))
        return FigureSpec(name, r"Fig. 2(b): $E_N$ vs $\kappa_2/\kappa_1$, $g_2/g_1$", "E_N",
                          (("kappa_2", 0.1 * k1, 2.0 * k1, n), ("g_2", 0.5 * g1, 1.5 * g1, n)),
                          (r"$\kappa_2/\kappa_1$", r"$g_2/g_1$"), (k1, g1),
                          {"Delta_1": wb, "Delta_2": -wb})
    if name == "3":
        return FigureSpec(name, r"Fig. 3: $E_N$ vs $T$ (optimum of Fig. 2(b))", "E_N",
                          (("T", 0.0, 0.25, n),), (r"$T$ (mK)",), (1e-3,), {})
    if name == "4a":
        return FigureSpec(name, r"Fig. 4(a): Duan sum vs $\Delta_1$, $\Delta_2$", "duan",
                          (("Delta_1", -2 * wb, 2 * wb, n), ("Delta_2", -2 * wb, 2 * wb, n)),
                          (r"$\Delta_1/\omega_b$", r"$\Delta_2/\omega_b$"), (wb, wb), {})
    if name == "4b":
        return FigureSpec(name, r"Fig. 4(b): Duan sum vs $\kappa_1$, $\kappa_2$", "duan",
                          (("kappa_1", 0.1e6, 6e6, n), ("kappa_2", 0.1e6, 6e6, n)),
                          (r"$\kappa_1/2\pi$ (MHz)", r"$\kappa_2/2\pi$ (MHz)"), (1e6, 1e6),
                          {"Delta_1": 0.9 * wb, "Delta_2": -1.1 * wb})
    raise ValueError(f"unknown figure {name!r}; choose one of {', '.join(FIGURES)}")


def fig2b_optimum(base: System, n: int = 201) -> System:
    """Parameters at the E_N maximum of Fig. 2(b) (used by Fig. 3, as in the paper)."""
    sweep = compute("2b", base, n)
    en = sweep.data["E_N"]
    i, j = np.unravel_index(np.nanargmax(en), en.shape)
    spec = _spec("2b", base, n)
    return base.replace(**spec.fixed, kappa_2=float(sweep.axes[0].values[i]),
                        g_2=float(sweep.axes[1].values[j]))


def curve_params(base: System, n: int = 201, as_given: bool = False) -> System:
    """Parameters of the Fig. 3 curve: the Fig. 2(b) optimum on an ``n`` x ``n`` grid, or
    ``base`` itself with ``as_given`` (to draw E_N(T) at any other point)."""
    return base if as_given else fig2b_optimum(base, n)


def compute(name: str, base: System, n: int | None = None, as_given: bool = False) -> Sweep:
    """Compute the data of figure ``name`` (``n`` points per axis; default 201).

    ``as_given`` (Fig. 3 only): the E_N(T) curve at ``base`` instead of the Fig. 2(b) optimum.
    """
    n = n or 201
    spec = _spec(name, base, n)
    start = base.replace(**spec.fixed) if name != "3" else curve_params(base, n, as_given)
    axes = [Axis(k, np.linspace(a, b, m)) for k, a, b, m in spec.axes]
    return run_linearized(start, axes)


def draw(name: str, sweep: Sweep, path: str) -> str:
    """Draw ``sweep`` as figure ``name`` into the PNG ``path``."""

    spec = _spec(name, sweep.base, len(sweep.axes[0].values))
    values = sweep.data[spec.quantity]
    fig, ax = subplots(figsize=(5.2, 4.2), dpi=150)
    if len(sweep.axes) == 1:
        x = sweep.axes[0].values / spec.scales[0]
        ax.plot(x, values, color="C3", lw=2)
        ax.set_xlabel(spec.labels[0])
        ax.set_ylabel(r"$E_N$")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        p = sweep.base
        ax.text(0.97, 0.95, rf"$\kappa_2/\kappa_1$={p.value('kappa_2') / p.value('kappa_1'):.2f}, "
                rf"$g_2/g_1$={p.value('g_2') / p.value('g_1'):.2f}", transform=ax.transAxes, ha="right",
                va="top", fontsize=8)
    else:
        x = sweep.axes[0].values / spec.scales[0]
        y = sweep.axes[1].values / spec.scales[1]
        stable = sweep.data["stable"]
        if spec.quantity == "duan":
            shown = np.where(values < 2, values, np.nan)     # blank where Duan >= 2
            cmap, label = "viridis", r"$\langle\delta X_+^2\rangle+\langle\delta Y_-^2\rangle$"
        else:
            shown, cmap, label = values, "jet", r"$E_N$"
        mesh = ax.pcolormesh(x, y, shown.T, shading="nearest", cmap=cmap)
        if np.any(~stable):
            ax.contourf(x, y, (~stable).T.astype(float), levels=[0.5, 1.5], colors="none",
                        hatches=["///"])
            ax.plot([], [], " ", label="hatched: unstable")
            ax.legend(loc="upper right", fontsize=7, frameon=False)
        fig.colorbar(mesh, ax=ax, label=label)
        ax.set_xlabel(spec.labels[0])
        ax.set_ylabel(spec.labels[1])
        if spec.quantity == "duan":
            ax.text(0.02, 0.02, "blank: Duan sum $\\geq$ 2", transform=ax.transAxes,
                    fontsize=7)
    ax.set_title(spec.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return path


def make_figure(name: str, base: System, out_dir: str, n: int | None = None,
                as_given: bool = False) -> dict:
    """Compute, draw and save figure ``name``; returns the file names and a summary.

    The summary is :meth:`Sweep.summary` plus what the paper's text is checked against
    (:func:`figure_summary`): the optimum of Figs. 2 and 4 and its location in the paper's
    units, and for Fig. 3 the temperature where E_N vanishes with the curve's parameters.
    """
    os.makedirs(out_dir, exist_ok=True)
    sweep = compute(name, base, n, as_given)
    png = draw(name, sweep, os.path.join(out_dir, f"fig{name}.png"))
    data = sweep.save(os.path.join(out_dir, f"fig{name}.npz"))
    summary = sweep.summary()
    summary.update(figure_summary(name, sweep, curve_source="as given" if as_given else
                                  f"Fig. 2(b) optimum on its {len(sweep.axes[0].values)} x "
                                  f"{len(sweep.axes[0].values)} grid"))
    return {"figure": name, "png": png, "data": data, "summary": summary}


# -- what the paper's text is checked against ---------------------------------------------------

#: display unit of each figure's axes: (name, scale as a function of the base parameters)
_UNITS = {
    "2a": ("omega_b", lambda p: (float(p.value("omega_b")), float(p.value("omega_b")))),
    "4a": ("omega_b", lambda p: (float(p.value("omega_b")), float(p.value("omega_b")))),
    "2b": ("kappa_1, g_1", lambda p: (float(p.value("kappa_1")), float(p.value("g_1")))),
    "4b": ("MHz", lambda p: (1e6, 1e6)),
}
#: levels and points per axis of the local refinement of a 2-D optimum
REFINE_LEVELS, REFINE_POINTS = 3, 11
#: tolerance (K) of the bisection on T for the vanishing temperature of Fig. 3
T_TOL = 1e-5


def _best_index(values, sense: str):
    """Index of the optimum of ``values`` (NaN ignored); among (numerically) equal optima, the
    last in C order, i.e. the one with the largest first-axis value (Delta_1 > 0 in Figs. 2(a),
    4(a), whose two optima are mirror images under cavity exchange)."""
    v = np.where(np.isfinite(values), values, np.nan)
    if np.all(np.isnan(v)):
        return None
    best = np.nanmax(v) if sense == "max" else np.nanmin(v)
    close = np.abs(v - best) <= 1e-12 * max(abs(best), 1.0)
    flat = np.flatnonzero(np.where(np.isnan(v), False, close))
    return np.unravel_index(flat[-1], v.shape)


def refine_optimum(base: System, keys: tuple, center: tuple, steps: tuple, bounds: tuple,
                   quantity: str, sense: str, levels: int = REFINE_LEVELS,
                   points: int = REFINE_POINTS):
    """Refine a grid optimum by nested local grids (``points`` per axis over +- one step,
    ``levels`` times, each step shrinking by (points-1)/2).  Returns
    ``(value, location, final_steps)`` in SI; the true optimum lies within the final step if it
    lay within one grid step of the grid optimum."""
    center, steps = np.array(center, float), np.array(steps, float)
    value = None
    for _ in range(levels):
        axes = [Axis(k, np.clip(np.linspace(c - h, c + h, points), lo, hi))
                for k, c, h, (lo, hi) in zip(keys, center, steps, bounds)]
        res = solve_model_grid(grid_params(base, axes))
        vals = getattr(res, quantity)
        i = _best_index(vals, sense)
        if i is None:
            break
        value = float(vals[i])
        center = np.array([a.values[k] for a, k in zip(axes, i)])
        steps = steps / ((points - 1) / 2)
    # after each level ``steps`` is the spacing of the grid just searched
    return value, tuple(float(c) for c in center), tuple(float(h) for h in steps)


def _optimum_2d(name: str, sweep: Sweep) -> dict:
    spec = _spec(name, sweep.base, len(sweep.axes[0].values))
    quantity = spec.quantity
    sense = "max" if quantity == "E_N" else "min"
    unit, scale_of = _UNITS[name]
    scales = scale_of(sweep.base)
    keys = tuple(a.key for a in sweep.axes)
    values = np.where(sweep.data["stable"], sweep.data[quantity], np.nan)
    i = _best_index(values, sense)
    out = {"quantity": quantity, "sense": sense, "unit": unit,
           "scale_Hz": dict(zip(keys, scales))}
    if i is None:
        out["grid"] = out["refined"] = None
        out["note"] = "no stable point on the grid"
        return out
    grid_steps = tuple(float(a.values[1] - a.values[0]) for a in sweep.axes)
    at = tuple(float(a.values[k]) for a, k in zip(sweep.axes, i))
    out["grid"] = {"value": float(values[i]),
                   "at": {k: x / s for k, x, s in zip(keys, at, scales)},
                   "resolution": {k: h / s for k, h, s in zip(keys, grid_steps, scales)}}
    bounds = tuple((float(a.values[0]), float(a.values[-1])) for a in sweep.axes)
    v, loc, steps = refine_optimum(sweep.base, keys, at, grid_steps, bounds, quantity, sense)
    out["refined"] = {"value": v, "at": {k: x / s for k, x, s in zip(keys, loc, scales)},
                      "resolution": {k: h / s for k, h, s in zip(keys, steps, scales)},
                      "method": f"{REFINE_LEVELS} nested {REFINE_POINTS}x{REFINE_POINTS} "
                                f"grids around the grid optimum"}
    p = sweep.base
    if name in ("2a", "4a") and p.value('kappa_1') == p.value("kappa_2") and p.value('g_1') == p.value("g_2"):
        out["mirror_at"] = {keys[0]: loc[1] / scales[1], keys[1]: loc[0] / scales[0]}
        out["note"] = ("kappa_1 = kappa_2 and g_1 = g_2: the map is symmetric under "
                       "Delta_1 <-> Delta_2, with an equal optimum at mirror_at")
    return out


def vanishing_temperature(params: System, lo: float, hi: float, tol: float = T_TOL,
                          E_N=None) -> float:
    """Bisection on T for the temperature where E_N vanishes, given E_N(lo) > 0 and
    E_N(hi) = 0; ``E_N`` (default: :func:`linearized.steady.solve_model`'s) maps a
    model to E_N.
    Returns the midpoint of the final bracket (width <= ``tol``)."""
    en = E_N or (lambda q: solve_model(q).E_N)
    if not en(params.replace(T=lo)) > 0 or en(params.replace(T=hi)) > 0:
        raise ValueError(f"E_N must be > 0 at T = {lo} K and 0 at T = {hi} K")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if en(params.replace(T=mid)) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _vanishing(sweep: Sweep, curve_source: str) -> dict:
    p = sweep.base
    T, en, stable = sweep.axes[0].values, sweep.data["E_N"], sweep.data["stable"]
    step = float(T[1] - T[0])
    out = {"curve": {"source": curve_source, "kappa_1": float(p.value("kappa_1")),
                     "kappa_2": float(p.value("kappa_2")), "g_1": float(p.value("g_1")), "g_2": float(p.value("g_2")),
                     "Delta_1": float(p.value("Delta_1")), "Delta_2": float(p.value("Delta_2")),
                     "Delta_m": float(p.value("Delta_m")), "gamma_b": float(p.value("gamma_b")),
                     "kappa_2/kappa_1": float(p.value("kappa_2") / p.value("kappa_1")),
                     "g_2/g_1": float(p.value("g_2") / p.value("g_1")),
                     "Delta_1/omega_b": float(p.value("Delta_1") / p.value("omega_b")),
                     "Delta_2/omega_b": float(p.value("Delta_2") / p.value("omega_b")),
                     "mech_bath": p.mech_bath, "units": "Hz"},
           "T_vanish": None, "T_vanish_mK": None, "resolution_K": T_TOL,
           "method": "bisection on T with linearized.steady.solve_model inside the grid bracket",
           "grid_bracket_K": None, "grid_step_K": step}
    if not np.all(stable):
        out["note"] = "unstable: no steady state at these parameters"
        return out
    pos = en > 0
    if not pos[0]:
        out["note"] = f"E_N = 0 already at T = {T[0]:g} K"
        return out
    zero = np.flatnonzero(~pos)
    if zero.size == 0:
        out["note"] = f"E_N > 0 up to the end of the grid, T = {T[-1]:g} K"
        return out
    k = int(zero[0])
    out["grid_bracket_K"] = [float(T[k - 1]), float(T[k])]
    tv = vanishing_temperature(p, float(T[k - 1]), float(T[k]))
    out["T_vanish"], out["T_vanish_mK"] = tv, 1e3 * tv
    return out


def figure_summary(name: str, sweep: Sweep, curve_source: str = "") -> dict:
    """The numbers the paper's text is checked against, for figure ``name``.

    Figs. 2(a), 2(b), 4(a), 4(b): ``optimum`` (E_N maximum or Duan minimum): the grid optimum
    and a local refinement, locations in the units of ``unit`` (omega_b; kappa_1 and g_1; MHz),
    each with its resolution.  Fig. 3: ``vanishing``: the temperature where E_N vanishes
    (bisection, ``resolution_K``) and the parameters of the curve.
    """
    if name == "3":
        return {"vanishing": _vanishing(sweep, curve_source)}
    return {"optimum": _optimum_2d(name, sweep)}
