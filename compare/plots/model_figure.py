"""``mwent figure map --model ...``: a model file's entanglement on one or two axes.

One axis: E_N of every pair of modes against it (a curve each).  Two axes: E_N of the model's
pair on the grid (a map, its maximum marked).  Linearized theory (batched Lyapunov solver);
unstable points are gaps (NaN), never zeros.  Writes ``map.png`` and ``map.npz`` (the grid,
every pair's E_N and Duan sum, the stability mask).
"""
from __future__ import annotations

import os

import numpy as np

from compare.batch.sweeps import OK, _linearized_block
from compare.plots import subplots
from compare.verdict.validity import _scaled as _label


def _grid(system, axes):
    """Every pair's E_N and Duan on the grid, and the stable points: the linearized sweep's
    own block evaluation (batched; point by point for a physical drive)."""
    shape = tuple(len(a.values) for a in axes)
    point_by_point = bool(system.spec.drive_parameters(system.to_dict(), [a.key for a in axes]))
    status, values, _ = _linearized_block(system, axes, shape, 0, int(np.prod(shape)),
                                          point_by_point)
    n, k = system.n_modes, len(system.all_pairs())
    en = values[:, 2 + n:2 + n + k].reshape(shape + (k,))
    du = values[:, 2 + n + k:].reshape(shape + (k,))
    names = [[system.mode_names[i], system.mode_names[j]] for i, j in system.all_pairs()]
    return en, du, (status == OK).reshape(shape), names


def make_model_figure(system, axes, out_dir: str) -> dict:
    """Compute and draw the figure; returns the paths and a summary (maxima, with where)."""
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
    fig, ax = subplots(figsize=(6.4, 4.6))
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
        e = en[..., k]
        if np.any(np.isfinite(e)):
            i, j = np.unravel_index(np.nanargmax(e), e.shape)
            ax.plot([x[i]], [y[j]], "w+", ms=10, mew=2, label=f"max {e[i, j]:.4f}")
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
    data = os.path.join(out_dir, "map.npz")
    arrays = {f"axis_{i}": a.values for i, a in enumerate(axes)}
    np.savez(data, pair_E_N=en, pair_duan=du, stable=stable,
             pairs=np.array(["-".join(p) for p in names]),
             axis_keys=np.array([a.key for a in axes]),
             axis_units=np.array([a.unit for a in axes]), **arrays)
    return {"png": png, "data": data, "summary": summary}
