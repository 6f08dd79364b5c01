"""``mwent figure``: one of the paper's figures from the linearized theory."""
from __future__ import annotations

import os

import numpy as np

from compare.cli.commands.linearized import unstable_error
from compare.cli.commands.qmodel import QMODEL_OPTIONS, add_qmodel_options
from compare.cli.commands.sweep import add_executor_options, sweep_errors
from compare.cli.options import (AXIS_REPLACES_SET, EXIT_OK, CliError, check_executor,
                                 check_output_dir, load_system, refuse_options, refuse_set,
                                 sweep_progress, sweep_settings)
from compare.cli.serialize import emit
from compare.defaults import OUTPUT_BANDWIDTH, TOLERANCE
from linearized.description.units import parse_quantity
from linearized.output import field_pair
from linearized.steady import solve_model
from linearized.sweep import parse_axis

HELP = "reproduce one of the paper's figures (PNG + data)"
DESCRIPTION = ("Compute one of the paper's Figs. 2(a), 2(b), 3, 4(a), 4(b) from the linearized "
               "theory on the preset's parameters and write figNAME.png and figNAME.npz.  The "
               "summary gives what the paper's text is checked against: the E_N maximum "
               "(2a, 2b) or Duan minimum (4a, 4b) and where it lies (omega_b; kappa_1, g_1; "
               "MHz), on the grid and refined, each with its resolution; for Fig. 3 the "
               "temperature where E_N vanishes (bisection on T) and the curve's parameters.")


def add_arguments(p) -> None:
    p.add_argument("name", choices=["2a", "2b", "3", "4a", "4b", "output", "map"],
                   help="which figure; output: E_N of the filtered output pair against the "
                        "filter centres and the bandwidth, beside the intracavity value; "
                        "map: any model file on one parameter axis (E_N of every pair) or "
                        "two (E_N of the pair), given with the axis option")
    p.add_argument("--axis", action="append", default=[], metavar="KEY=START:STOP:N[:log]",
                   help="figure map: a parameter axis of the model (one or two)")
    p.add_argument("--out", default="figs", metavar="DIR", help="output folder (default figs)")
    p.add_argument("--points", type=int, default=None, metavar="N",
                   help="points per axis (default 201)")
    p.add_argument("--bandwidth", metavar="FREQ", default=f"{OUTPUT_BANDWIDTH:g}Hz",
                   help=f"figure output: filter bandwidth eps/2pi of the centre map "
                        f"(default {OUTPUT_BANDWIDTH / 1e3:g}kHz, as 'mwent output')")
    p.add_argument("--as-given", action="store_true",
                   help="Fig. 3 only: draw E_N(T) at the parameters as given (preset, "
                        "--config, --set) instead of at the Fig. 2(b) optimum")
    p.add_argument("--engine", choices=["linearized", "compare"], default="linearized",
                   help="linearized: the Gaussian theory alone (default); compare: the "
                        "linearized curve or map on the Lindblad bath with master-equation "
                        "points on it, each agree, disagree or undecided with its reason "
                        "(a resumable sweep stored in OUT/figNAME_compare.sqlite)")
    p.add_argument("--me-points", type=int, metavar="N",
                   help="master-equation points per axis with --engine compare (default: 19 for "
                        "Fig. 3, T = 20..200 mK every 10 mK; 21 over the figure's range "
                        "otherwise)")

    p.add_argument("--tolerance", type=float, default=TOLERANCE,
                   help=f"agreement tolerance of the master-equation points (default "
                        f"{TOLERANCE:g})")
    add_executor_options(p)
    add_qmodel_options(p)


def _fmt_at(at: dict, unit: str) -> str:
    return ", ".join(f"{k} = {v:.4g}" for k, v in at.items()) + f" ({unit})"


def describe(out: dict) -> list:
    """Text lines for the summary of :func:`compare.plots.figures.make_figure`."""
    s = out["summary"]
    lines = []
    if "optimum" in s:
        o = s["optimum"]
        what = "E_N maximum" if o["sense"] == "max" else "Duan minimum"
        if o.get("grid") is None:
            return [f"{what}: {o.get('note', 'none')}"]
        g, r = o["grid"], o["refined"]
        lines.append(f"{what} on the grid: {g['value']:.6f} at {_fmt_at(g['at'], o['unit'])}, "
                     f"resolution {_fmt_at(g['resolution'], o['unit'])}")
        if r and r.get("value") is not None:
            lines.append(f"{what} refined:     {r['value']:.6f} at "
                         f"{_fmt_at(r['at'], o['unit'])}, resolution "
                         f"{_fmt_at(r['resolution'], o['unit'])}")
        if "mirror_at" in o:
            lines.append(f"equal optimum at the mirror point {_fmt_at(o['mirror_at'], o['unit'])}")
    if "vanishing" in s:
        v = s["vanishing"]
        c = v["curve"]
        lines.append(f"curve ({c['source']}): kappa_2/kappa_1 = {c['kappa_2/kappa_1']:.4g}, "
                     f"g_2/g_1 = {c['g_2/g_1']:.4g}, Delta_1 = {c['Delta_1/omega_b']:.4g} "
                     f"omega_b, Delta_2 = {c['Delta_2/omega_b']:.4g} omega_b, gamma_b = "
                     f"{c['gamma_b']:.4g} Hz")
        if v["T_vanish"] is None:
            lines.append(f"E_N vanishing temperature: none ({v.get('note', '')})")
        else:
            lo, hi = v["grid_bracket_K"]
            lines.append(f"E_N vanishes at T = {v['T_vanish_mK']:.2f} mK (bisection, "
                         f"resolution {1e3 * v['resolution_K']:.2g} mK; grid bracket "
                         f"{1e3 * lo:.2f}-{1e3 * hi:.2f} mK, step {1e3 * v['grid_step_K']:.3g} mK)")
    return lines


def run(args) -> int:
    # Matplotlib loads when a figure is drawn, not with every command (all are imported for --help)
    from compare.plots.figures import make_figure
    if args.engine != "compare":
        refuse_options(args, _COMPARE_ONLY, "--engine compare (the master-equation points)")
    if args.name != "output":
        refuse_options(args, ("bandwidth",), "figure output (the filter bandwidth)")
    if args.name == "map":
        if args.engine == "compare":
            raise CliError("--engine compare draws the paper's Figs. 2a, 2b, 3, 4a, 4b; for a "
                           "model's master-equation points use 'mwent sweep --engine compare'")
        return _map(args)
    if args.axis:
        raise CliError("--axis goes with 'figure map' (the paper's figures have fixed axes)")
    base = load_system(args)
    if base.spec.name != "paper" or base.spec.path is not None or \
            tuple(base.pair) != base.spec.pair_index():
        raise CliError(f"figure {args.name} is a figure of the seed paper; for another model "
                       f"use 'mwent figure map --model NAME --axis KEY=START:STOP:N' (one or "
                       f"two axes)")
    if args.name != "output":
        refuse_set(args, _figure_keys(args.name, base, args.as_given),
                   f"is replaced by figure {args.name}'s own values (its axes and fixed "
                   f"parameters)" + ("; --as-given draws Fig. 3 at the parameters as given"
                                     if args.name == "3" else ""))
    if args.points is not None and args.points < 2:
        raise CliError("--points must be at least 2")
    if args.points is not None and args.points > 2001:
        raise CliError("--points must be at most 2001 (a figure of 4 million points)")
    if args.as_given and args.name != "3":
        raise CliError("--as-given applies to Fig. 3 only")
    if args.engine == "compare":
        return _compare(args, base)
    check_output_dir(args.out, "--out")
    if args.name == "output":
        return _output(args, base)
    out = make_figure(args.name, base, args.out, args.points, as_given=args.as_given)
    emit(out, args.json, "\n".join([f"wrote {out['png']} and {out['data']}"] + describe(out)))
    return EXIT_OK


#: options that only a master-equation figure (``--engine compare``) takes
_COMPARE_ONLY = ("me_points", "executor", "scheduler", "workers", "retry_failed", *QMODEL_OPTIONS,
                 "tolerance")


def _figure_keys(name: str, base, as_given: bool) -> set:
    """The parameters figure ``name`` sets itself (its axes and fixed values; Fig. 3 also
    those of the Fig. 2(b) optimum it starts from, unless ``as_given``): a ``--set`` of one
    would be replaced."""
    # Matplotlib loads when a figure is drawn, not with every command (all are imported for --help)
    from compare.plots.figures import _spec
    names = (name, "2b") if name == "3" and not as_given else (name,)
    return {k for n in names for spec in [_spec(n, base, 2)]
            for k in [a[0] for a in spec.axes] + list(spec.fixed)}


def _compare(args, base) -> int:
    # Matplotlib loads when a figure is drawn, not with every command (all are imported for --help)
    from compare.plots.me_figure import default_grid, make_compare_figure

    if args.name not in ("2a", "2b", "3", "4a", "4b"):
        raise CliError(f"--engine compare draws the paper's Figs. 2a, 2b, 3, 4a, 4b (not "
                       f"{args.name!r})")
    grid = args.me_points if args.me_points is not None else default_grid(args.name)
    if grid < 2 or grid > 101:
        raise CliError("--me-points must be between 2 and 101 (master-equation points per axis)")
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1")
    check_executor(args)
    settings = sweep_settings(args, "compare", base)
    check_output_dir(args.out, "--out")
    out = _run_compare_figure(args, base, grid, settings, make_compare_figure,
                              sweep_progress())
    s = out["summary"]
    lines = [f"wrote {out['png']} and {out['data']}",
             "master-equation points: " + ", ".join(f"{v} {n}" for v, n in
                                                      sorted(s["verdicts"].items()))
             + f" (computed {s['computed']}, reused {s['reused']} from {s['store']}; "
               f"{s['seconds']:.0f} s)"]
    if s["largest_difference_decided"] is not None:
        lines.append(f"largest |dE_N|, |dDuan| over the decided points: "
                     f"{s['largest_difference_decided']:.2e} (tolerance {s['tolerance']:g})")
    for r in s["points"]:
        if r["verdict"] in ("undecided", "disagree"):
            at = ", ".join(f"{k} = {v:.4g}" for k, v in r["values"].items())
            lines.append(f"  {r['verdict']} at {at}: {r['reason']}")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK


def _run_compare_figure(args, base, grid, settings, make, progress):
    """The figure's sweep, with the sweep command's mapping of store and worker failures."""

    with sweep_errors(os.path.join(args.out, f"fig{args.name}_compare.sqlite")):
        return make(args.name, base, args.out, grid, settings, n=args.points,
                    as_given=args.as_given, executor=args.executor,
                    scheduler=args.scheduler, workers=args.workers, progress=progress,
                    retry_failed=args.retry_failed)


def _output(args, system) -> int:
    # Matplotlib loads when a figure is drawn, not with every command (all are imported for --help)
    from compare.plots.output_figure import make_output_figure
    bw = parse_quantity(args.bandwidth, "frequency", "--bandwidth")
    if not bw > 0:
        raise CliError(f"--bandwidth must be positive (got {args.bandwidth})")
    if args.points is not None and args.points > 201:
        raise CliError("--points must be at most 201 for the output figure")
    field_pair(system)
    res = solve_model(system)
    if not res.stable:
        raise unstable_error(res, res.to_dict())
    out = make_output_figure(system, args.out, args.points, bw)
    s = out["summary"]
    text = "\n".join([
        f"wrote {out['png']} and {out['data']}",
        f"filtered pair at the sidebands: largest E_N {s['E_N_max_vs_bandwidth']:.4f} at "
        f"eps/2pi = {s['E_N_max_at_bandwidth'] / 1e6:.3g} MHz (intracavity "
        f"{s['intracavity_E_N']:.4f})",
        f"over the filter centres at eps/2pi = {s['bandwidth'] / 1e6:g} MHz: largest E_N "
        f"{s['E_N_max_over_centers']:.4f} at Omega/2pi = "
        + ", ".join(f"{c / 1e6:.3g}" for c in s["E_N_max_at_centers"]) + " MHz"])
    emit(out, args.json, text)
    return EXIT_OK


def _map(args) -> int:
    # Matplotlib loads when a figure is drawn, not with every command (all are imported for --help)
    from compare.plots.model_figure import make_model_figure
    if not 1 <= len(args.axis) <= 2:
        raise CliError("figure map takes one or two --axis KEY=START:STOP:N")
    if args.points is not None or args.as_given:
        raise CliError("figure map takes its points from --axis (no --points, --as-given)")
    system = load_system(args)
    axes = [parse_axis(a, system.spec.parameter) for a in args.axis]
    refuse_set(args, {a.key for a in axes}, AXIS_REPLACES_SET)
    if len({a.key for a in axes}) != len(axes):
        raise CliError("each --axis key may appear once")
    if np.prod([len(a.values) for a in axes]) > 1_000_000:
        raise CliError("figure map takes at most 1,000,000 points")
    check_output_dir(args.out, "--out")
    out = make_model_figure(system, axes, args.out)
    s = out["summary"]
    lines = [f"wrote {out['png']} and {out['data']}"]
    for m in s["maxima"]:
        at = ", ".join(f"{k} = {v:.6g} {m['units'][k]}" for k, v in m["at"].items())
        lines.append(f"  max E_N({m['modes'][0]}, {m['modes'][1]}) = {m['E_N_max']:.6f} at {at}")
    if s["unstable_points"]:
        lines.append(f"  {s['unstable_points']} unstable points (no steady state) left blank")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK
