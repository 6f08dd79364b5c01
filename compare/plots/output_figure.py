"""``mwent figure output``: what an experiment sees, from the linearized theory, for the pair
of field modes of any model.

Two panels (PNG) and their data (``.npz``):

* E_N of the two filtered output modes (:func:`linearized.output.filtered_output`) against the
  filter centres (Omega_1, Omega_2) at one bandwidth, over +-2 ``scale``, ``scale`` the
  largest |default centre| (omega_b for the seed paper);
* E_N of the filtered pair against the bandwidth eps at the default centres (each mode's
  detuning: (+omega_b, -omega_b) for the seed paper), with the intracavity E_N as a line for
  scale.
"""
from __future__ import annotations

import json
import os

import numpy as np

from compare.defaults import OUTPUT_BANDWIDTH
from compare.plots import subplots
from linearized.description.system import System
from linearized.output import default_centers, filtered_output


def center_scale(base: System) -> float:
    """The frequency scale of the centre map (Hz): the largest |default centre|, else the
    largest decay of the pair."""
    scale = max(abs(c) for c in default_centers(base))
    return scale if scale > 0 else max(float(base.decay[k]) for k in base.pair)


def compute(base: System, n: int = 41, bandwidth: float = 1e5, efficiency=1.0) -> dict:
    """The data of both panels (Hz; NaN where the point is unstable)."""
    wb = center_scale(base)
    centers = np.linspace(-2 * wb, 2 * wb, n)
    en_map = np.full((n, n), np.nan)
    for i, c1 in enumerate(centers):
        for j, c2 in enumerate(centers):
            r = filtered_output(base, bandwidth, (c1, c2), efficiency)
            en_map[i, j] = r.E_N
    widths = np.geomspace(1e3, 1e8, max(n, 8))
    res = [filtered_output(base, w, default_centers(base), efficiency) for w in widths]
    return {"centers": centers, "E_N_map": en_map, "bandwidth": float(bandwidth),
            "bandwidths": widths, "E_N_vs_bandwidth": np.array([r.E_N for r in res]),
            "duan_min_lo_vs_bandwidth": np.array([r.duan_min_lo[0] for r in res]),
            "intracavity_E_N": float(res[0].intracavity_E_N),
            "efficiency": float(np.mean(efficiency))}


def draw(data: dict, path: str) -> str:
    fig, (a, b) = subplots(1, 2, figsize=(10, 4.2), dpi=150)
    c = data["centers"] / 1e6
    mesh = a.pcolormesh(c, c, data["E_N_map"].T, shading="nearest", cmap="jet")
    fig.colorbar(mesh, ax=a, label=r"$E_N$ of the filtered pair")
    a.set_xlabel(r"filter centre $\Omega_1/2\pi$ (MHz)")
    a.set_ylabel(r"filter centre $\Omega_2/2\pi$ (MHz)")
    a.set_title(rf"filtered outputs, $\epsilon/2\pi$ = {data['bandwidth'] / 1e6:g} MHz",
                fontsize=9)
    b.semilogx(data["bandwidths"] / 1e6, data["E_N_vs_bandwidth"], "C3-", lw=2,
               label=r"filtered pair, $\Omega_j$ = mode detunings")
    b.axhline(data["intracavity_E_N"], color="k", ls="--", lw=1,
              label=f"intracavity ({data['intracavity_E_N']:.4f})")
    b.set_xlabel(r"filter bandwidth $\epsilon/2\pi$ (MHz)")
    b.set_ylabel(r"$E_N$")
    b.set_ylim(bottom=0)
    b.grid(alpha=0.3)
    b.legend(fontsize=8)
    b.set_title(f"detection efficiency {data['efficiency']:g}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return path


def make_output_figure(base: System, out_dir: str, n: int | None = None,
                       bandwidth: float = OUTPUT_BANDWIDTH) -> dict:
    """Compute, draw and save ``figoutput.png`` and ``figoutput.npz``; returns a summary."""
    os.makedirs(out_dir, exist_ok=True)
    data = compute(base, n or 41, bandwidth)
    png = draw(data, os.path.join(out_dir, "figoutput.png"))
    npz = os.path.join(out_dir, "figoutput.npz")
    meta = {"format": "mwent-figure-output-1", "units": {"centers": "Hz", "bandwidth": "Hz",
                                                         "bandwidths": "Hz"},
            "model": base.spec.to_dict(), "pair": list(base.pair_names),
            "base_params": base.to_dict()}
    np.savez(npz, meta=np.array(json.dumps(meta)),
             **{k: np.asarray(v) for k, v in data.items()})
    m = data["E_N_map"]
    i, j = np.unravel_index(np.nanargmax(m), m.shape) if np.isfinite(m).any() else (0, 0)
    k = int(np.nanargmax(data["E_N_vs_bandwidth"]))
    summary = {"bandwidth": data["bandwidth"], "intracavity_E_N": data["intracavity_E_N"],
               "E_N_max_over_centers": float(m[i, j]),
               "E_N_max_at_centers": [float(data["centers"][i]), float(data["centers"][j])],
               "E_N_at_sidebands_vs_bandwidth": {
                   f"{w:.3g}": float(e) for w, e in zip(data["bandwidths"][::max(1, len(
                       data["bandwidths"]) // 8)], data["E_N_vs_bandwidth"][::max(1, len(
                           data["bandwidths"]) // 8)])},
               "E_N_max_vs_bandwidth": float(data["E_N_vs_bandwidth"][k]),
               "E_N_max_at_bandwidth": float(data["bandwidths"][k]),
               "units": {"bandwidth": "Hz (eps/2pi)", "centers": "Hz (Omega/2pi)"}}
    return {"figure": "output", "png": png, "data": npz, "summary": summary}
