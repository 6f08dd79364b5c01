"""``mwent compare``: both methods on one parameter set, with a verdict and its evidence."""
from __future__ import annotations

from compare.cli.commands.output import _split, frequency
from compare.cli.commands.qmodel import add_qmodel_options
from compare.cli.options import (EXIT_NOT_CONVERGED, EXIT_OK, EXIT_UNSTABLE, CliError,
                                 check_output_dir, convergence_options,
                                 finite_positive, load_system, model_info, progress_printer,
                                 refuse_options)
from compare.cli.serialize import emit
from compare.defaults import ME_OUTPUT_BANDWIDTH, TOLERANCE
from linearized.output import field_pair

HELP = "linearized theory vs master equation, with a verdict"
DESCRIPTION = ("Solve the linearized theory and the master equation on the same parameters "
               "(both with the Lindblad mechanical bath) and say whether they agree on E_N "
               "and the Duan sum within --tolerance.  'agree' needs every line of convergence "
               "evidence present and passing; otherwise the verdict is 'undecided' (exit 4) "
               "with the reason.")


def add_arguments(p) -> None:
    add_qmodel_options(p)
    p.add_argument("--tolerance", type=float, default=TOLERANCE,
                   help=f"agreement tolerance on E_N and on the Duan sum "
                        f"(default {TOLERANCE:g})")
    p.add_argument("--output", action="store_true",
                   help="compare the two filtered output modes of the pair (field modes "
                        "with a decay) instead of the pair itself: the cascaded master "
                        "equation (filters as two more modes driven by the modes' outputs, "
                        "exact E_N of the filters' reduced state) against the linear theory; "
                        "with --bandwidth, --centers (as in 'mwent output'); probability "
                        "truncation by default, --cutoffs takes one value per mode and two "
                        "for the filters (a1,a2,m,b,f1,f2 normal modes for the paper), and "
                        "the largest dimension defaults to 2000")
    p.add_argument("--bandwidth", metavar="FREQ", default=f"{ME_OUTPUT_BANDWIDTH:g}Hz",
                   help=f"with --output: filter bandwidth eps/2pi (default "
                        f"{ME_OUTPUT_BANDWIDTH / 1e6:g}MHz, wider than 'mwent output' uses: "
                        f"the master equation's cost grows as the filter narrows)")
    p.add_argument("--centers", metavar="F1,F2",
                   help="with --output: filter centres Omega_j/2pi (default each mode's "
                        "detuning, +omega_b,-omega_b for the paper)")
    p.add_argument("--report", metavar="DIR",
                   help="write report.html, report.md and figures (PNG, SVG) into DIR")


def _fmt(x, spec=".6f"):
    return "n/a" if x is None else format(x, spec)


def table(c, out: dict) -> str:
    """The verdict as a table naming each column's bath, the truncation and the time."""
    q = c.qmodel.measures if c.qmodel is not None else None
    lines = []
    if c.qmodel is not None:
        r = c.qmodel
        lines.append(f"master equation: {r.basis} basis, cutoffs "
                     f"{','.join(map(str, r.cutoffs))} (d = {r.dim}), solver {r.solver}, "
                     f"{r.seconds:.1f} s")
    lines += [
        "                     master equation   linearized    difference",
        "                     (Lindblad bath)   (Lindblad)",
        f"  E_N (exact)        {_fmt(q.E_N if q else None):>15}   {c.linearized.E_N:10.6f}"
        f"    {_fmt(c.delta_E_N, '+.2e')}",
        f"  E_N (Eq. 9 on rho) {_fmt(q.E_N_gaussian if q else None):>15}   "
        f"{c.linearized.E_N:10.6f}",
        f"  Duan sum           {_fmt(q.duan if q else None):>15}   {c.linearized.duan:10.6f}"
        f"    {_fmt(c.delta_duan, '+.2e')}",
        f"  (the paper's Brownian bath, linearized: E_N = {c.linearized_brownian.E_N:.6f}, "
        f"Duan = {c.linearized_brownian.duan:.6f})"]
    for ev in out.get("evidence") or []:
        mark = "pass" if ev.get("passed") else "FAIL"
        extra = " (independent of the linearized theory)" if ev.get(
            "independent_of_linearized") else ""
        lines.append(f"  evidence {ev.get('name')}: {mark}{extra}"
                     + (f": {ev['detail']}" if ev.get("detail") else ""))
    lines.append(f"verdict: {c.verdict} (tolerance {c.tolerance:g}): {c.reason}")
    pairs = out.get("pairs") or []
    if len(pairs) > 1:
        lines.append(f"every pair of model {out.get('model', {}).get('name', 'paper')} (the "
                     f"verdict and its evidence are for the pair {','.join(out['pair'])}):")
        lines.append("    pair         E_N linearized   E_N exact (ME)   E_N Eq. 9 (ME)")
        for p in pairs:
            q = p.get("qmodel") or {}
            lines.append(f"    {','.join(p['modes']):<12} {_fmt(p['E_N']):>14}   "
                         f"{_fmt(q.get('E_N')):>14}   {_fmt(q.get('E_N_gaussian')):>14}")
    if "report" in out:
        lines.append(f"report: {out['report']['html']}")
    return "\n".join(lines)


def run(args) -> int:
    # SciPy and QuTiP load when the command runs, not with every command's --help
    from compare.verdict.comparison import compare, plain_basis_curve
    from qmodel.converge import Unstable
    if not args.output:
        refuse_options(args, ("bandwidth", "centers"), "--output (the filtered output modes)")
    params = load_system(args)
    if args.output:
        return run_output(args, params)
    opts = convergence_options(args, params.n_modes)
    tolerance = finite_positive(args.tolerance, "--tolerance")
    if args.report:
        check_output_dir(args.report, "--report")
    try:
        c = compare(params, opts, tolerance, progress=progress_printer(args))
    except Unstable as exc:
        raise CliError(f"unstable: {exc}, so no steady state exists", EXIT_UNSTABLE,
                       {"verdict": "unstable", "stable": False})
    out = c.to_dict()
    out["model"] = model_info(params)
    if args.report:
        fock_hist = []
        if c.qmodel is not None and c.qmodel.basis != "fock":
            # the plain-basis curve: the check that owes nothing to the linearized code
            fock_hist = plain_basis_curve(params, max_dim=min(opts.dim_limit(), 900))
        from compare.report import write_report  # Matplotlib: only when a report is asked for
        out["report"] = write_report(c, args.report, fock_hist)
    text = table(c, out)
    if c.verdict == "undecided":
        if not args.json:
            print(text)
        raise CliError(f"undecided: {c.reason}", EXIT_NOT_CONVERGED, out)
    emit(out, args.json, text)
    return EXIT_OK


def _output_options(args, n_modes: int):
    """Convergence options of ``--output``: ``n_modes`` cutoffs (the model's and the two
    filters); the probability truncation unless --cutoffs or --truncation box say otherwise
    (a six-mode box is hopeless)."""
    if args.basis != "normal":
        raise CliError("--output solves in the normal-mode basis (its independent check is "
                       "the self-consistent basis); drop --basis")
    if args.truncation is None and not args.cutoffs:
        args.truncation = "probability"
    return convergence_options(args, n_modes)


def run_output(args, system) -> int:
    """``mwent compare --output``: the filtered output pair of the system's pair, cascaded
    master equation vs linear theory."""
    # SciPy and QuTiP load when the command runs, not with every command's --help
    from compare.verdict.output import compare_output
    from qmodel.converge import Unstable
    tolerance = finite_positive(args.tolerance, "--tolerance")
    if args.report:
        raise CliError("--report is not available with --output yet")
    bandwidth = frequency(args.bandwidth, "--bandwidth")
    if not bandwidth > 0:
        raise CliError(f"--bandwidth must be positive (got {args.bandwidth})")
    centers = (None if args.centers is None else
               _split(args.centers, "--centers", lambda s: frequency(s, "--centers")))
    field_pair(system)              # a pair without an output field: one sentence, exit 2
    opts = _output_options(args, system.n_modes + 2)
    try:
        out = compare_output(system, bandwidth, centers, opts, tolerance,
                             progress=progress_printer(args))
    except Unstable as exc:
        raise CliError(f"unstable: {exc}, so no steady state exists", EXIT_UNSTABLE,
                       {"verdict": "unstable", "stable": False})
    q = out["qmodel"]
    lines = [f"filtered output pair of {','.join(system.pair_names)} (model {system.name}; "
             f"bandwidth {bandwidth / 1e6:g} MHz, centres "
             f"{out['filter']['centers'][0] / 1e6:g}, {out['filter']['centers'][1] / 1e6:g} MHz)"]
    if q is not None:
        trunc = (f"probability set eps {q['eps']:g}" if q["truncation"] == "probability"
                 else "cutoffs " + ",".join(map(str, q["cutoffs"])))
        lines += [f"master equation: cascaded ({','.join(q['occupations'])}), normal basis, "
                  f"{trunc} "
                  f"(d = {q['dim']}), {q['seconds']:.1f} s",
                  "                     master equation   linearized    difference",
                  f"  E_N (exact)        {_fmt(q['E_N']):>15}   {out['linearized']['E_N']:10.6f}"
                  f"    {out['delta_E_N']:+.2e}",
                  f"  E_N (Eq. 9 on rho) {q['E_N_gaussian']:15.6f}   "
                  f"{out['linearized']['E_N']:10.6f}",
                  f"  Duan sum           {q['duan']:15.6f}   {out['linearized']['duan']:10.6f}"
                  f"    {out['delta_duan']:+.2e}"]
    for ev in out["evidence"]:
        mark = {True: "pass", False: "FAIL", None: "missing"}[ev["passed"]]
        extra = " (independent of the linearized theory)" if ev.get(
            "independent_of_linearized") and ev["name"] == "independent_basis" else ""
        lines.append(f"  evidence {ev['name']}: {mark}{extra}: {ev.get('detail', '')}")
    lines.append(f"verdict: {out['verdict']} (tolerance {tolerance:g}): {out['reason']}")
    text = "\n".join(lines)
    if out["verdict"] == "undecided":
        if not args.json:
            print(text)
        raise CliError(f"undecided: {out['reason']}", EXIT_NOT_CONVERGED, out)
    emit(out, args.json, text)
    return EXIT_OK
