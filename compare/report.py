"""Comparison reports: a self-contained HTML page and its Markdown twin, with figures.

``write_report(comparison, out_dir)`` draws (PNG and SVG):

* ``convergence``: E_N against the Hilbert-space dimension for each basis the master equation
  was solved in (normal-mode basis and, for independence, the plain Fock basis), with the
  linearized value;
* ``cavities``: photon-number distributions and Wigner functions of the two cavities'
  reduced states (from the master equation, mapped to the physical Fock basis).
"""
from __future__ import annotations

import base64
import html
import os

import numpy as np
import qutip

from compare.plots import subplots
from linearized.description.units import format_quantity


def _units(system) -> dict:
    """``{parameter: SI unit}`` of a model."""
    return {p.name: p.unit for p in system.spec.parameters}


def _fmt_value(key, value, units):
    return value if isinstance(value, str) else format_quantity(value, units.get(key, ""))


def _save(fig, out_dir, name):
    paths = []
    for ext in ("png", "svg"):
        path = os.path.join(out_dir, f"{name}.{ext}")
        fig.savefig(path, dpi=150)
        paths.append(path)
    return paths


def convergence_figure(comparison, fock_history, out_dir):
    fig, ax = subplots(figsize=(6, 4))
    q = comparison.qmodel
    hist = q.history if q is not None else []
    for label, h, marker in (("normal-mode basis", hist, "o"), ("plain Fock basis", fock_history, "s")):
        if not h:
            continue
        d = [e["dim"] for e in h]
        ax.plot(d, [e["E_N"] for e in h], marker + "-", label=f"{label}: exact $E_N$")
        ax.plot(d, [e["E_N_gaussian"] for e in h], marker + ":", alpha=0.6,
                label=f"{label}: Eq. 9 on $\\rho$")
    ax.axhline(comparison.linearized.E_N, color="k", lw=1, label="linearized (Lyapunov)")
    ax.set_xscale("log")
    ax.set_xlabel("Hilbert-space dimension $d$")
    ax.set_ylabel("$E_N$")
    ax.set_title("Truncation convergence of the master equation", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out_dir, "convergence")


def cavity_figure(comparison, out_dir):
    q = comparison.qmodel
    # the pair's reduced state as the exact E_N takes it (mapped from a normal-mode basis)
    i, j = comparison.params.pair
    rho12 = q.reduced_state(i, j)
    rho12 = rho12 / rho12.tr()
    names = tuple(f"mode {comparison.params.mode_names[k]}" for k in (i, j))
    occ = [comparison.linearized.occupations[k] for k in (i, j)]
    fig, axes = subplots(2, 2, figsize=(8, 6.4))
    xv = np.linspace(-3, 3, 121)
    for k, name in enumerate(names):
        rk = rho12.ptrace(k)
        p = np.real(np.diag(rk.full()))
        nbar = float(occ[k])
        ns = np.arange(len(p))
        ax = axes[0, k]
        ax.bar(ns, p, color="C0", label="master equation")
        ax.plot(ns, nbar ** ns / (nbar + 1) ** (ns + 1), "k.--", lw=1,
                label=f"thermal, $\\bar n$ = {nbar:.3f} (linearized)")
        ax.set_yscale("log")
        ax.set_ylim(max(p[p > 0].min(), 1e-12), 1.5)
        ax.set_xlabel("excitation number $n$")
        ax.set_ylabel("$P(n)$")
        ax.set_title(f"{name}: excitation-number distribution", fontsize=9)
        ax.legend(fontsize=7)
        W = qutip.wigner(rk, xv, xv)
        ax = axes[1, k]
        im = ax.contourf(xv, xv, W, 40, cmap="RdBu_r", vmin=-abs(W).max(), vmax=abs(W).max())
        fig.colorbar(im, ax=ax, label="$W(x, p)$")
        ax.set_xlabel("$x$ (vacuum variance 1/2)")
        ax.set_ylabel("$p$")
        ax.set_aspect("equal")
        ax.set_title(f"{name}: Wigner function (min {W.min():.1e})", fontsize=9)
    fig.tight_layout()
    return _save(fig, out_dir, "cavities")


def _tables(comparison):
    c = comparison.to_dict()
    units = _units(comparison.params)
    params = [(k, _fmt_value(k, v, units)) for k, v in c["params"].items()]
    q = c["qmodel"] or {}
    fmt = lambda x: "—" if x is None else (f"{x:.6f}" if isinstance(x, float) else str(x))
    dfmt = lambda x: "—" if x is None else f"{x:+.2e}"     # differences: small, keep digits
    rows = [
        ("E_N (exact, partial transpose of ρ)", fmt(q.get("E_N")), fmt(c["linearized"]["E_N"]),
         dfmt(c["delta_E_N"])),
        ("E_N (Eq. 9 on ρ's covariance)", fmt(q.get("E_N_gaussian")), fmt(c["linearized"]["E_N"]),
         "—"),
        ("Duan sum (Eq. 10)", fmt(q.get("duan")), fmt(c["linearized"]["duan"]),
         dfmt(c["delta_duan"])),
        ("E_N, paper's Brownian bath (reference)", "—",
         fmt(c["linearized_brownian_reference"]["E_N"]), "—"),
    ]
    evidence = []
    if q:
        evidence = [("basis", str(q.get("basis"))), ("cutoffs (levels per tensor factor: a1, a2, m, b in the fock basis; normal "
                     "modes, most occupied first, otherwise)",
                                                        str(q.get("cutoffs"))),
                    ("dimension", str(q.get("dim"))),
                    ("top-level populations", ", ".join(f"{x:.1e}" for x in
                                                        q.get("tail_population", []))),
                    ("non-Gaussianity (relative entropy, nats)",
                     f"{q.get('non_gaussianity', float('nan')):.2e} (truncation alone: "
                     f"{q.get('non_gaussianity_floor', float('nan')):.2e})"),
                    ("solver", str(q.get("solver"))),
                    ("seconds", f"{q.get('seconds', 0):.1f}")]
        if q.get("E_N_mapping"):
            m = q["E_N_mapping"]
            evidence.append(("exact E_N at larger physical cutoffs",
                             f"{m['next_E_N']:.6f} at {m['next_physical_cutoffs']} (population "
                             f"lost by the mapping: {m['lost_population']:.1e} at "
                             f"{m['physical_cutoffs']}, {m['next_lost_population']:.1e} there)"))
    for e in c.get("evidence", []):
        state = {True: "passed", False: "FAILED", None: "missing"}[e["passed"]]
        num = lambda x: "—" if x is None else f"{x:.2e}"
        evidence.append((f"evidence: {e['name']}"
                         + (" (independent of the linearized CM)"
                            if e.get("independent_of_linearized") else ""),
                         f"{state}; value {num(e.get('value'))}, bound {num(e.get('bound'))}; "
                         f"{e.get('detail', '')}"))
    return params, rows, evidence


_CSS = ("body{font-family:sans-serif;max-width:960px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #bbb;padding:3px 8px;text-align:left}img{max-width:100%}")


def _html_table(head, body) -> str:
    h = "".join(f"<th>{html.escape(x)}</th>" for x in head)
    b = "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in r) + "</tr>"
                for r in body)
    return f"<table><tr>{h}</tr>{b}</table>"


def _html_images(figs) -> str:
    imgs = ""
    for name, paths in figs.items():
        with open(paths[0], "rb") as f:
            data = base64.b64encode(f.read()).decode()
        imgs += f'<figure><img alt="{name}" src="data:image/png;base64,{data}"/></figure>'
    return imgs


def _md_table(head, body) -> list:
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(str(x) for x in r) + " |" for r in body])


def sweep_figure(sweep, out_dir):
    """Both methods side by side with their difference: curves (one axis) or maps (two)."""
    d = sweep.data
    x = sweep.axes[0]
    scale, unit = (1e-3, "mK") if x.key == "T" else ((1.0, "Hz") if x.key == "G_0" else
                                                     ((1e-3, "mW") if x.key == "P" else (1e6, "MHz")))
    if len(sweep.axes) == 1:
        fig, axes = subplots(1, 3, figsize=(12, 3.6))
        xv = x.values / scale
        axes[0].plot(xv, d["E_N_linearized"], "k-", label="linearized (Lyapunov)")
        axes[0].plot(xv, d["E_N"], "o", label="master equation, exact")
        axes[0].plot(xv, d["E_N_gaussian"], "x", label="master equation, Eq. 9 on rho")
        axes[0].set_ylabel("$E_N$")
        axes[1].plot(xv, d["duan_linearized"], "k-", label="linearized")
        axes[1].plot(xv, d["duan"], "o", label="master equation")
        axes[1].axhline(2, color="gray", lw=0.8, ls=":")
        axes[1].set_ylabel("Duan sum")
        axes[2].plot(xv, d["delta_E_N"], "o-", label=r"$\Delta E_N$")
        axes[2].plot(xv, d["delta_duan"], "s-", label=r"$\Delta$ Duan")
        axes[2].axhline(0, color="gray", lw=0.8)
        axes[2].set_ylabel("master equation - linearized")
        for ax in axes:
            ax.set_xlabel(f"{x.key} ({unit})")
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3)
    else:
        y = sweep.axes[1]
        yscale, yunit = (1e-3, "mK") if y.key == "T" else (1e6, "MHz")
        fig, axes = subplots(1, 3, figsize=(13, 3.8))
        for ax, (key, title) in zip(axes, (("E_N_linearized", "$E_N$ linearized"),
                                           ("E_N", "$E_N$ master equation"),
                                           ("delta_E_N", r"$\Delta E_N$"))):
            m = ax.pcolormesh(x.values / scale, y.values / yscale, d[key].T, shading="nearest")
            fig.colorbar(m, ax=ax)
            ax.set_title(title, fontsize=9)
            ax.set_xlabel(f"{x.key} ({unit})")
            ax.set_ylabel(f"{y.key} ({yunit})")
    fig.tight_layout()
    return _save(fig, out_dir, "sweep")


def write_sweep_report(run, out_dir: str) -> dict:
    """Report of a ``compare`` sweep: parameters, a row per point, and the figure."""
    os.makedirs(out_dir, exist_ok=True)
    sweep = run.to_sweep()
    figs = {"sweep": sweep_figure(sweep, out_dir)}
    units = _units(sweep.base)
    params = [(k, "lindblad (both methods)" if k == "mech_bath" else
               _fmt_value(k, v, units)) for k, v in sweep.base.to_dict().items()
              if k not in {a.key for a in sweep.axes}]
    fmt = lambda v: "—" if v is None else f"{v:.6f}" if isinstance(v, float) else str(v)
    head = [a.key for a in sweep.axes] + ["outcome", "E_N (master eq.)", "E_N (linearized)",
                                          "dE_N", "dDuan", "reason"]
    rows = []
    for p in run.points:
        r = p["result"] or {}
        # a point the master equation solved may still be undecided: show the verdict, and
        # the reason wherever the outcome is not a plain agree
        outcome = r.get("verdict", p["status"]) if p["status"] == "ok" else p["status"]
        why = "" if outcome == "agree" else (r.get("reason") or p.get("error") or "")
        rows.append([_fmt_value(k, v, units) for k, v in p["values"].items()]
                    + [outcome, fmt(r.get("E_N")), fmt(r.get("E_N_linearized")),
                       fmt(r.get("delta_E_N")), fmt(r.get("delta_duan")), why])
    title = "mwent sweep: linearized theory vs full master equation"
    md = [f"# {title}", "", "Both methods use the Lindblad form of the mechanical bath.", "",
          "## Fixed parameters", ""] + _md_table(["parameter", "value"], params)
    md += ["", "## Points", ""] + _md_table(head, rows)
    md += ["", "## Figure", "", f"![sweep]({os.path.basename(figs['sweep'][0])})"]
    md_path = os.path.join(out_dir, "report.md")
    with open(md_path, "w") as f:
        f.write("\n".join(md) + "\n")
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body><h1>{title}</h1><p>Both methods use the "
            f"Lindblad form of the mechanical bath.</p><h2>Fixed parameters</h2>"
            f"{_html_table(['parameter', 'value'], params)}<h2>Points</h2>"
            f"{_html_table(head, rows)}<h2>Figure</h2>{_html_images(figs)}</body></html>")
    html_path = os.path.join(out_dir, "report.html")
    with open(html_path, "w") as f:
        f.write(page)
    return {"html": html_path, "markdown": md_path, "figures": figs["sweep"]}


def write_report(comparison, out_dir: str, fock_history=None) -> dict:
    """Write ``report.md``, ``report.html`` and the figures into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    figs = {"convergence": convergence_figure(comparison, fock_history or [], out_dir)}
    if comparison.qmodel is not None:
        figs["cavities"] = cavity_figure(comparison, out_dir)
    params, rows, evidence = _tables(comparison)
    title = "mwent comparison: linearized theory vs full master equation"
    verdict = f"**Verdict: {comparison.verdict}** (tolerance {comparison.tolerance:g}). {comparison.reason}"
    md = [f"# {title}", "", "System of Yu, Shen & Li, PRL 124, 213604 (2020). Both methods use "
          "the Lindblad form of the mechanical bath; the paper's Brownian value is shown for "
          "reference.", "", verdict, "", "## Parameters", ""]
    md += _md_table(["parameter", "value"], params)
    md += ["", "## Results", ""]
    md += _md_table(["quantity", "master equation", "linearized", "difference"], rows)
    md += ["", "## Truncation evidence", ""] + _md_table(["item", "value"], evidence)
    md += ["", "## Figures", ""]
    md += [f"![{name}]({os.path.basename(paths[0])})" for name, paths in figs.items()]
    md_path = os.path.join(out_dir, "report.md")
    with open(md_path, "w") as f:
        f.write("\n".join(md) + "\n")

    table = _html_table
    imgs = _html_images(figs)
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<style>{_CSS}.verdict{{padding:.6em;background:{'#e6f4ea' if comparison.agree else '#fdecea'}}}</style>
</head><body><h1>{title}</h1>
<p>System of Yu, Shen &amp; Li, PRL 124, 213604 (2020). Both methods use the Lindblad form of the
mechanical bath; the paper's Brownian value is shown for reference.</p>
<p class="verdict"><b>Verdict: {comparison.verdict}</b> (tolerance {comparison.tolerance:g}).
{html.escape(comparison.reason)}</p>
<h2>Parameters</h2>{table(["parameter", "value"], params)}
<h2>Results</h2>{table(["quantity", "master equation", "linearized", "difference"], rows)}
<h2>Truncation evidence</h2>{table(["item", "value"], evidence)}
<h2>Figures</h2>{imgs}</body></html>"""
    html_path = os.path.join(out_dir, "report.html")
    with open(html_path, "w") as f:
        f.write(page)
    return {"html": html_path, "markdown": md_path,
            "figures": [p for paths in figs.values() for p in paths]}
