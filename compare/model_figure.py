"""``mwent figure map --model ...``: a model file's entanglement on one or two axes.

One axis: E_N of every pair of modes against it (a curve each).  Two axes: E_N of the model's
pair on the grid (a map, its maximum marked).  Linearized theory (batched Lyapunov solver);
unstable points are gaps (NaN), never zeros.  Writes ``map.png`` and ``map.npz`` (the grid,
every pair's E_N and Duan sum, the stability mask).
"""
from __future__ import annotations

import os

import numpy as np

#: display scale of each SI unit
_SCALE = {"Hz": (1e6, "MHz"), "K": (1e-3, "mK"), "W": (1e-3, "mW"), "m": (1e-6, "um"),
          "": (1.0, "")}


def _label(axis) -> tuple:
    scale, unit = _SCALE.get(axis.unit, (1.0, axis.unit))
    name = f"{axis.key}/2pi" if axis.unit == "Hz" else axis.key
    return axis.values / scale, f"{name} ({unit})" if unit else name


def _grid(system, axes):
    from linearized.model_steady import solve_model, solve_model_grid
    from linearized.sweep import grid_params
    if system.drive is None:
        g = solve_model_grid(grid_params(system, axes))
        return g.pair_E_N, g.pair_duan, g.stable, g.pairs
    shape = tuple(len(a.values) for a in axes)      # a physical drive: point by point
    k = len(system.all_pairs())
    en, du = np.full(shape + (k,), np.nan), np.full(shape + (k,), np.nan)
    stable = np.zeros(shape, bool)
    for idx in np.ndindex(*shape):
        try:
            r = solve_model(system.replace(**{a.key: float(a.values[i])
                                              for a, i in zip(axes, idx)}))
        except (ValueError, RuntimeError):
            continue
        stable[idx] = r.stable
        if r.stable:
            en[idx] = [p["E_N"] for p in r.pairs]
            du[idx] = [p["duan"] for p in r.pairs]
    names = [[system.mode_names[i], system.mode_names[j]] for i, j in system.all_pairs()]
    return en, du, stable, names


def make_model_figure(system, axes, out_dir: str) -> dict:
    """Compute and draw the figure; returns the paths and a summary (maxima, with where)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    en, du, stable, names = _grid(system, axes)
    k = next(i for i, p in enumerate(names) if set(p) == set(system.pair_names))
    summary = {"model": system.spec.to_dict(), "pair": list(system.pair_names),
               "unstable_points": int(np.sum(~stable)), "maxima": []}
    for i, p in enumerate(names):
        e = en[..., i]
        if np.any(np.isfinite(e)):
            at = np.unravel_index(np.nanargmax(e), e.shape)
            summary["maxima"].append({"modes": p, "E_N_max": float(e[at]),
                                      "at": {a.key: float(a.values[j])
                                             for a, j in zip(axes, at)},
                                      "units": {a.key: a.unit for a in axes}})
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    if len(axes) == 1:
        x, xl = _label(axes[0])
        for i, p in enumerate(names):
            ax.plot(x, en[:, i], label=f"E_N({p[0]}, {p[1]})")
        ax.set_xlabel(xl)
        ax.set_ylabel("E_N (linearized)")
        ax.legend(fontsize=8)
    else:
        x, xl = _label(axes[0])
        y, yl = _label(axes[1])
        mesh = ax.pcolormesh(x, y, en[..., k].T, shading="nearest", cmap="viridis")
        fig.colorbar(mesh, ax=ax, label=f"E_N({names[k][0]}, {names[k][1]}) (linearized)")
        best = next((m for m in summary["maxima"] if m["modes"] == names[k]), None)
        if best is not None:
            bx = best["at"][axes[0].key] / _SCALE.get(axes[0].unit, (1.0,))[0]
            by = best["at"][axes[1].key] / _SCALE.get(axes[1].unit, (1.0,))[0]
            ax.plot([bx], [by], "w+", ms=10, mew=2, label=f"max {best['E_N_max']:.4f}")
            ax.legend(fontsize=8, loc="upper right")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
    ax.set_title(f"model {system.name}" + (f" ({system.spec.reference})"
                                           if system.spec.reference else ""), fontsize=9)
    if summary["unstable_points"]:
        ax.text(0.01, 0.01, f"{summary['unstable_points']} unstable points left blank",
                transform=ax.transAxes, fontsize=7)
    fig.tight_layout()
    png = os.path.join(out_dir, "map.png")
    fig.savefig(png, dpi=150)
    plt.close(fig)
    data = os.path.join(out_dir, "map.npz")
    arrays = {f"axis_{i}": a.values for i, a in enumerate(axes)}
    np.savez(data, pair_E_N=en, pair_duan=du, stable=stable,
             pairs=np.array(["-".join(p) for p in names]),
             axis_keys=np.array([a.key for a in axes]),
             axis_units=np.array([a.unit for a in axes]), **arrays)
    return {"png": png, "data": data, "summary": summary}
