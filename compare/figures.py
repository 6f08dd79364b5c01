"""The paper's Figs. 2(a), 2(b), 3, 4(a), 4(b) from the linearized model.

Each figure is a :class:`linearized.sweep.Sweep` on the paper's parameters (preset ``paper``,
which the user may modify with ``--set``), drawn with Matplotlib and written as
``figNAME.png`` plus the data as ``figNAME.npz``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from linearized.params import Params
from linearized.sweep import Axis, Sweep, run_linearized

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


def _spec(name: str, base: Params, n: int) -> FigureSpec:
    wb = float(base.omega_b)
    if name == "2a":
        return FigureSpec(name, r"Fig. 2(a): $E_N$ vs $\Delta_1$, $\Delta_2$", "E_N",
                          (("Delta_1", -2 * wb, 2 * wb, n), ("Delta_2", -2 * wb, 2 * wb, n)),
                          (r"$\Delta_1/\omega_b$", r"$\Delta_2/\omega_b$"), (wb, wb), {})
    if name == "2b":
        k1, g1 = float(base.kappa_1), float(base.g_1)
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


def fig2b_optimum(base: Params, n: int = 201) -> Params:
    """Parameters at the E_N maximum of Fig. 2(b) (used by Fig. 3, as in the paper)."""
    sweep = compute("2b", base, n)
    en = sweep.data["E_N"]
    i, j = np.unravel_index(np.nanargmax(en), en.shape)
    spec = _spec("2b", base, n)
    return base.replace(**spec.fixed, kappa_2=float(sweep.axes[0].values[i]),
                        g_2=float(sweep.axes[1].values[j]))


def compute(name: str, base: Params, n: int | None = None) -> Sweep:
    """Compute the data of figure ``name`` (``n`` points per axis; default 201, 251 for Fig. 3)."""
    n = n or 201
    spec = _spec(name, base, n)
    start = base.replace(**spec.fixed) if name != "3" else fig2b_optimum(base, n)
    axes = [Axis(k, np.linspace(a, b, m)) for k, a, b, m in spec.axes]
    return run_linearized(start, axes)


def draw(name: str, sweep: Sweep, path: str) -> str:
    """Draw ``sweep`` as figure ``name`` into the PNG ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = _spec(name, sweep.base, len(sweep.axes[0].values))
    values = sweep.data[spec.quantity]
    fig, ax = plt.subplots(figsize=(5.2, 4.2), dpi=150)
    if len(sweep.axes) == 1:
        x = sweep.axes[0].values / spec.scales[0]
        ax.plot(x, values, color="C3", lw=2)
        ax.set_xlabel(spec.labels[0])
        ax.set_ylabel(r"$E_N$")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        p = sweep.base
        ax.text(0.97, 0.95, rf"$\kappa_2/\kappa_1$={p.kappa_2 / p.kappa_1:.2f}, "
                rf"$g_2/g_1$={p.g_2 / p.g_1:.2f}", transform=ax.transAxes, ha="right",
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
    plt.close(fig)
    return path


def make_figure(name: str, base: Params, out_dir: str, n: int | None = None) -> dict:
    """Compute, draw and save figure ``name``; returns the file names and a summary."""
    os.makedirs(out_dir, exist_ok=True)
    sweep = compute(name, base, n)
    png = draw(name, sweep, os.path.join(out_dir, f"fig{name}.png"))
    data = sweep.save(os.path.join(out_dir, f"fig{name}.npz"))
    return {"figure": name, "png": png, "data": data, "summary": sweep.summary()}
