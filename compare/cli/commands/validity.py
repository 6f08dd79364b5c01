"""``mwent validity``: where the linearization stops being true, over two axes."""
from __future__ import annotations

import numpy as np

from compare.cli.commands.qmodel import add_qmodel_options
from compare.cli.commands.sweep import AXIS_HELP, add_executor_options, check_same_sweep, run_grid
from compare.cli.options import (EXIT_OK, CliError, check_output_prefix, finite_positive,
                                 grid_inputs, sweep_settings)
from compare.cli.serialize import emit
from compare.defaults import TOLERANCE
from linearized.sweep import Axis

HELP = "map where linearized and full theory disagree over two axes (resumable)"
DESCRIPTION = ("A compare sweep over exactly two axes (e.g. G_0 and P), drawn as a map of the "
               "linearization error max(|dE_N|, |dDuan|) with the tolerance boundary, "
               "non-Gaussian, unstable and undecided points.  Resumable like sweep.")


def add_arguments(p) -> None:
    p.add_argument("--axis", action="append", default=[], metavar="KEY=START:STOP:N[:log]",
                   help=AXIS_HELP + "; exactly two, e.g. G_0=1e4Hz:2e6Hz:5:log and "
                                    "P=1e-17W:1e-13W:5:log")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="writes PATH.png/.svg (map), PATH.npz (grid), PATH.sqlite (store)")
    p.add_argument("--tolerance", type=float, default=TOLERANCE,
                   help=f"error above which the linearization is called invalid "
                        f"(default {TOLERANCE:g})")
    p.add_argument("--overwrite", action="store_true",
                   help="replace PATH.npz even if it holds a different sweep")
    add_executor_options(p)
    add_qmodel_options(p)


def _value(key, v, unit="") -> str:
    # Matplotlib loads when the map is drawn, not with every command's --help
    from compare.verdict.validity import _scaled
    if v is None:
        return "none"
    scaled, label = _scaled(Axis(key, np.array([v]), unit))
    return f"{scaled[0]:.4g} {label.split('(')[-1].rstrip(')')}"


def run(args) -> int:
    # Matplotlib loads when the map is drawn, not with every command's --help
    from compare.verdict.validity import run_validity
    if len(args.axis) != 2:
        raise CliError("validity needs exactly two --axis options (e.g. P and G_0)")
    base, axes = grid_inputs(args)
    finite_positive(args.tolerance, "--tolerance")
    settings = sweep_settings(args, "compare", base)
    check_output_prefix(args.out, "--out", suffixes=(".npz", ".png", ".svg", ".sqlite"))
    if not args.overwrite:
        check_same_sweep(args.out, "compare", base, axes, settings)
    run_ = run_grid(args, "compare", base, axes, f"{args.out}.sqlite", settings)
    out = run_validity(base, axes, args.out, settings, run=run_)
    k0, k1 = axes[0].key, axes[1].key
    verdicts = ", ".join(f"{v} {n}" for v, n in out["verdicts"].items()) or "none"
    err = "n/a" if out["max_error"] is None else f"{out['max_error']:.3g}"
    lines = [f"validity map over {k0} x {k1}: computed {out['computed']}, reused "
             f"{out['reused']}",
             f"  largest linearization error max(|dE_N|, |dDuan|) = {err} (tolerance "
             f"{out['tolerance']:g}); verdicts: {verdicts}",
             f"  non-Gaussian points {out['non_gaussian_points']}, unstable "
             f"{out['unstable_points']}, failed {out['failed_points']}",
             f"  boundary: the first {k1} above tolerance, for each {k0}:"]
    for row in out["boundary"]:
        lines.append(f"    {k0} = {_value(k0, row[k0], axes[0].unit)}: "
                     f"{k1} = {_value(k1, row[k1], axes[1].unit)}")
    lines.append(f"  wrote {', '.join(out['figures'])} and {out['file']}")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK
