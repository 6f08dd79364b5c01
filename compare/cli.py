"""The ``mwent`` command line.  See ``mwent --help`` and DESIGN.md's CLI contract.

Exit codes: 0 success; 2 bad input; 3 no steady state (unstable); 4 master equation did not
converge.  Errors are one sentence on stderr; ``--json`` prints one JSON object on stdout.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from linearized.params import ParameterError

EXIT_OK, EXIT_INPUT, EXIT_UNSTABLE, EXIT_NOT_CONVERGED = 0, 2, 3, 4


class CliError(Exception):
    """An error with its exit code and one-sentence message."""

    def __init__(self, message: str, code: int = EXIT_INPUT, payload: dict | None = None):
        super().__init__(message)
        self.code = code
        self.payload = payload


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CliError(f"{message} (see 'mwent {self.prog.split()[-1]} --help')"
                       if " " in self.prog else message)


def _common(p: argparse.ArgumentParser):
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="override one parameter; SI numbers or unit suffixes (10MHz, 20mK); "
                        "K=yig: the literature YIG Kerr coefficient for the sphere's "
                        "diameter; repeatable")
    p.add_argument("--config", metavar="FILE.toml", help="TOML file of parameters")
    p.add_argument("--preset", metavar="NAME", help="named parameter set (default: paper)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--branch", metavar="WHICH",
                   help="mean-field branch when P is given and several are stable: lowest, "
                        "highest or an index (see 'mwent meanfield')")


def _qmodel_options(p: argparse.ArgumentParser):
    p.add_argument("--basis", choices=["normal", "fock", "self"], default="normal",
                   help="normal: Williamson normal modes of the linearized state (default); "
                        "fock: the plain Fock basis of a1, a2, m, b; self: normal modes of "
                        "the master equation's own state, iterated (owes nothing to the "
                        "linearized theory)")
    p.add_argument("--cutoffs", metavar="N1,N2,NM,NB",
                   help="fixed truncation (levels per mode, order a1,a2,m,b); default: grow "
                        "automatically until converged")
    p.add_argument("--tol", type=float, default=1e-4,
                   help="convergence: change of E_N and Duan between truncations (default 1e-4)")
    p.add_argument("--tail-tol", type=float, default=1e-4,
                   help="convergence: population of each mode's top level (default 1e-4)")
    p.add_argument("--max-dim", type=int, default=1500,
                   help="largest Hilbert-space dimension tried (default 1500)")
    p.add_argument("--solver", default="krylov",
                   help="krylov (default), direct, or qutip-<method> (QuTiP's steadystate)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mwent", description="Microwave entanglement in cavity "
                     "magnomechanics: the linearized Gaussian theory and the full master "
                     "equation on the same parameters.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("linearized", help="steady state of the linearized model at one point")
    _common(p)

    p = sub.add_parser("meanfield", help="mean-field branches for a drive power, sphere, "
                       "bare detuning; or the drive giving a target G")
    _common(p)
    p.add_argument("--target-G", metavar="FREQ",
                   help="find the drive power and bare detuning giving this G at the "
                        "preset's effective Delta_m (e.g. 4.5MHz)")

    p = sub.add_parser("qmodel", help="steady state of the full master equation, converged")
    _common(p)
    _qmodel_options(p)
    p.add_argument("--frame", choices=["displaced", "undisplaced"], default="displaced",
                   help="undisplaced: the driven model without linearization or displacement, "
                        "plain basis, fixed --cutoffs (small drives only; checks the "
                        "displacement step)")

    p = sub.add_parser("compare", help="linearized theory vs master equation, with a verdict")
    _common(p)
    _qmodel_options(p)
    p.add_argument("--tolerance", type=float, default=1e-3,
                   help="agreement tolerance on E_N and on the Duan sum (default 1e-3)")
    p.add_argument("--report", metavar="DIR",
                   help="write report.html, report.md and figures (PNG, SVG) into DIR")

    p = sub.add_parser("sweep", help="evaluate a grid of parameter points")
    _common(p)
    p.add_argument("--engine", choices=["linearized", "qmodel", "compare"], default="linearized")
    p.add_argument("--axis", action="append", default=[], metavar="KEY=START:STOP:N",
                   help="sweep axis (repeatable; inclusive ends, unit suffixes allowed)")
    p.add_argument("--out", metavar="PATH",
                   help="write the grid to PATH.npz and keep the results in PATH.sqlite "
                        "(rerunning the same command resumes from it)")
    p.add_argument("--store", metavar="FILE.sqlite",
                   help="result store (default PATH.sqlite with --out, else in memory)")
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local processes (default) or an existing Dask cluster")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: all cores)")
    p.add_argument("--tolerance", type=float, default=1e-3,
                   help="agreement tolerance of the compare engine (default 1e-3)")
    p.add_argument("--report", metavar="DIR",
                   help="compare engine: write report.html, report.md and the figure into DIR")
    _qmodel_options(p)

    p = sub.add_parser("validity", help="map where linearized and full theory disagree "
                       "over two axes, e.g. P and G_0 (resumable)")
    _common(p)
    p.add_argument("--axis", action="append", default=[], metavar="KEY=START:STOP:N[:log]",
                   help="exactly two axes, e.g. P=0.1mW:10mW:5:log and G_0=1e4Hz:2e6Hz:5:log")
    p.add_argument("--out", default="validity", metavar="PATH",
                   help="writes PATH.png/.svg (map), PATH.npz (grid), PATH.sqlite (store)")
    p.add_argument("--tolerance", type=float, default=1e-3,
                   help="error above which the linearization is called invalid (default 1e-3)")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", metavar="ADDR")
    p.add_argument("--workers", type=int, metavar="N")
    _qmodel_options(p)

    p = sub.add_parser("figure", help="reproduce one of the paper's figures")
    _common(p)
    p.add_argument("name", choices=["2a", "2b", "3", "4a", "4b"])
    p.add_argument("--out", default="figs", metavar="DIR", help="output folder (default figs)")
    p.add_argument("--points", type=int, default=None, metavar="N",
                   help="points per axis (default 201)")

    p = sub.add_parser("bench", help="speed, as ratios against baselines run in this process")
    _common(p)
    p.add_argument("--grid", type=int, default=201, metavar="N",
                   help="N x N grid for the linearized benchmark (default 201)")
    p.add_argument("--only", choices=["linearized", "qmodel"],
                   help="run one part only (default: both)")
    p.add_argument("--cap", type=float, default=60.0, metavar="SECONDS",
                   help="time cap for QuTiP's default steadystate (default 60)")
    p.add_argument("--scaling", type=float, default=0.0, metavar="SECONDS",
                   help="also find the largest plain-basis dimension solved within this "
                        "time (default: skip)")
    return parser


def _emit(obj: dict, as_json: bool, text: str):
    if as_json:
        print(json.dumps(obj, allow_nan=False, default=_jsonable))
    else:
        print(text)


def _jsonable(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x)}")


def _params(args, resolve=True):
    from compare.params_io import load_params
    from linearized.physical import BranchError, NoStableBranch
    try:
        return load_params(args.preset, args.config, args.set, args.branch, resolve)
    except BranchError as exc:
        raise CliError(str(exc))
    except NoStableBranch as exc:
        raise CliError(f"unstable: {exc}, so no steady state exists", EXIT_UNSTABLE)


def _kerr_text(k: dict, params, yig: bool = True) -> str:
    if yig:
        used = "in the model" if params.K == k["K"] else "not in the model unless --set K=yig"
        what = f"YIG Kerr estimate K/2pi = {k['K']:.3g} Hz for this sphere ([100], {used})"
    else:
        what = f"the model's K/2pi = {k['K']:.3g} Hz"
    return (f"{what}: shift {k['shift'] / 1e6:.4g} MHz = {k['shift_over_kappa_m']:.3g} kappa_m, "
            f"{'negligible' if k['negligible'] else 'NOT negligible'} "
            f"(K|<m>|^3/Omega = {k['K_m3_over_Omega']:.3g})")


def cmd_meanfield(args) -> int:
    from linearized import physical as ph
    from linearized.meanfield import magnon_number
    from linearized.params import parse_value
    params = _params(args, resolve=False)
    if args.target_G is not None:
        if params.is_physical:
            raise CliError("--target-G computes P and Delta_m0: do not give P as well")
        if params.diameter is None:
            raise CliError("--target-G needs the sphere diameter (--set diameter=250um)")
        if not params.G_0 > 0:
            raise CliError("--target-G needs G_0 > 0")
        target = params.replace(G=parse_value("G", args.target_G))
        rows = {}
        for name, approx in (("eq3", False), ("eq4", True)):
            Omega, d0 = ph.drive_for_coupling(target, approximate=approx)
            P = ph.power_for_rabi(Omega, float(params.diameter))
            rows[name] = {"P": P, "Delta_m0": d0, "Omega_over_2pi": Omega / (2 * math.pi),
                          "B_0": float(ph.drive_field(P, float(params.diameter)))}
        out = {"target_G": float(target.G), "Delta_m": float(target.Delta_m),
               "G_0": float(params.G_0), "diameter": float(params.diameter),
               "N_spins": ph.spin_number(float(params.diameter)), **rows["eq3"],
               "eq4": rows["eq4"],
               "units": {"P": "W", "Delta_m0": "Hz", "B_0": "T", "Omega_over_2pi": "Hz"}}
        n = float(magnon_number(target))
        out["kerr_yig"] = ph.kerr_check(ph.kerr_coefficient(float(params.diameter)), n,
                                        float(params.kappa_m),
                                        2 * math.pi * rows["eq3"]["Omega_over_2pi"])
        text = (f"G = {target.G / 1e6:g} MHz at Delta_m = {target.Delta_m / 1e6:g} MHz "
                f"(G_0 = {params.G_0:g} Hz, diameter {params.diameter * 1e6:g} um) needs\n"
                f"  P = {rows['eq3']['P'] * 1e3:.4g} mW (Eq. 3, exact), "
                f"{rows['eq4']['P'] * 1e3:.4g} mW (Eq. 4, the paper's approximation)\n"
                f"  bare detuning Delta_m0 = {rows['eq3']['Delta_m0'] / 1e6:.6g} MHz\n"
                f"  |<m>| = {math.sqrt(n):.4g}; {_kerr_text(out['kerr_yig'], params)}")
        _emit(out, args.json, text)
        return EXIT_OK
    if not params.is_physical:
        raise CliError("meanfield needs the physical parameters P, diameter, Delta_m0 (and "
                       "G_0), or --target-G")
    ph.check_physical(params)
    Omega = ph.rabi_frequency(float(params.P), float(params.diameter))
    branches = ph.mean_field_branches(params, Omega, float(params.Delta_m0))
    rows = []
    K_yig = ph.kerr_coefficient(float(params.diameter))
    for b in branches:
        row = b.to_dict()
        if params.K != 0:
            row["kerr"] = ph.kerr_check(float(params.K), b.n, float(params.kappa_m), Omega)
            row["kerr_negligible"] = row["kerr"]["negligible"]
        row["kerr_yig"] = ph.kerr_check(K_yig, b.n, float(params.kappa_m), Omega)
        rows.append(row)
    out = {"branches": rows,
           "N_spins": ph.spin_number(float(params.diameter)),
           "B_0": float(ph.drive_field(float(params.P), float(params.diameter))),
           "Omega_over_2pi": Omega / (2 * math.pi), "params": params.to_dict(),
           "units": {"Delta_m": "Hz", "G": "Hz", "B_0": "T", "Omega_over_2pi": "Hz",
                     "max_real_eigenvalue": "Hz", "phase_m": "rad"},
           "phase_convention": "phase_m is that of Eq. (3) with a real drive; the models "
                               "rotate a1, a2, m by a common phase so that G is real"}
    lines = [f"P = {params.P * 1e3:g} mW, diameter {params.diameter * 1e6:g} um, "
             f"Delta_m0 = {params.Delta_m0 / 1e6:g} MHz, G_0 = {params.G_0:g} Hz: "
             f"{len(branches)} branch(es)"]
    for b in branches:
        lines.append(f"  [{b.index}] |<m>| = {math.sqrt(b.n):.4g}, G = {b.G / 1e6:.4f} MHz, "
                     f"Delta_m = {b.Delta_m / 1e6:.4f} MHz, <q> = {b.q:.4g}, "
                     f"{'stable' if b.stable else 'unstable'}")
        lines.append(f"      {_kerr_text(rows[b.index]['kerr_yig'], params)}")
        if params.K != 0 and params.K != K_yig:
            lines.append(f"      {_kerr_text(rows[b.index]['kerr'], params, yig=False)}")
    _emit(out, args.json, "\n".join(lines))
    return EXIT_OK


def cmd_linearized(args) -> int:
    from linearized.steady import solve
    params = _params(args)
    res = solve(params)
    out = res.to_dict()
    if not res.stable:
        lam = res.eigenvalues[res.eigenvalues.real.argmax()] / (2 * math.pi)
        raise CliError(f"unstable: the drift matrix has an eigenvalue with positive real part, "
                       f"lambda/2pi = {lam.real:.6g}{lam.imag:+.6g}i Hz, so no steady state "
                       f"exists", EXIT_UNSTABLE, out)
    n = out["occupations"]
    text = "\n".join([
        "linearized steady state (mech_bath = %s)" % params.mech_bath,
        f"  E_N (Eq. 9)          = {res.E_N:.6f}",
        f"  Duan sum (Eq. 10)    = {res.duan:.6f}   ({'< 2: entangled' if res.duan < 2 else '>= 2: no witness'})",
        f"  Duan, best LO phases = {out['duan_min_lo']['duan']:.6f}   (theta_1 = "
        f"{out['duan_min_lo']['theta_1']:.3f}, theta_2 = {out['duan_min_lo']['theta_2']:.3f} rad)",
        f"  stable               = yes (max Re lambda/2pi = {res.max_real_eigenvalue:.6g} Hz)",
        "  occupations          = " + ", ".join(f"{k} {v:.4g}" for k, v in n.items()),
    ])
    _emit(out, args.json, text)
    return EXIT_OK


def _cutoffs(text):
    try:
        cut = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise CliError(f"--cutoffs expects four integers like 3,3,3,3, got {text!r}")
    if len(cut) != 4 or min(cut) < 1:
        raise CliError(f"--cutoffs expects four positive integers (a1,a2,m,b), got {text!r}")
    return cut


def _convergence_options(args):
    from qmodel.converge import ConvergenceOptions
    from qmodel.solvers import METHODS, SolverOptions
    if args.solver not in METHODS:
        raise CliError(f"unknown --solver {args.solver!r}; choose one of {', '.join(METHODS)}")
    if not (args.tol > 0 and args.tail_tol > 0 and args.max_dim > 0):
        raise CliError("--tol, --tail-tol and --max-dim must be positive")
    cut = _cutoffs(args.cutoffs) if args.cutoffs else None
    return ConvergenceOptions(basis=args.basis, cutoffs=cut, tol=args.tol,
                              tail_tol=args.tail_tol, max_dim=args.max_dim,
                              solver=SolverOptions(method=args.solver))


def _sweep_settings(args, engine) -> dict:
    """The solver settings that key a sweep point in the store (and that it runs with)."""
    settings = {"branch": args.branch} if args.branch is not None else {}
    if engine != "linearized":
        opts = _convergence_options(args)
        settings.update({"basis": opts.basis,
                         "cutoffs": list(opts.cutoffs) if opts.cutoffs else None,
                         "tol": opts.tol, "tail_tol": opts.tail_tol, "max_dim": opts.max_dim,
                         "solver": opts.solver.method})
    if engine == "compare":
        settings["tolerance"] = args.tolerance
    return settings


def cmd_compare(args) -> int:
    from compare.comparison import compare, plain_basis_curve
    from qmodel.converge import Unstable

    params = _params(args)
    opts = _convergence_options(args)
    if not args.tolerance > 0:
        raise CliError("--tolerance must be positive")
    try:
        c = compare(params, opts, args.tolerance, progress=_progress_printer(args))
    except Unstable as exc:
        raise CliError(f"unstable: {exc}, so no steady state exists", EXIT_UNSTABLE,
                       {"verdict": "unstable"})
    out = c.to_dict()
    if args.report:
        from compare.report import write_report
        fock_hist = []
        if c.qmodel is not None and c.qmodel.basis != "fock":
            # the plain-basis curve: the check that owes nothing to the linearized code
            fock_hist = plain_basis_curve(params, max_dim=min(opts.max_dim, 900))
        out["report"] = write_report(c, args.report, fock_hist)
    if c.verdict == "undecided":
        raise CliError(f"undecided: {c.reason}", EXIT_NOT_CONVERGED, out)
    q = c.qmodel.measures
    fmt = lambda x: "n/a" if x is None else f"{x:.6f}"
    text = "\n".join([
        "                     master equation   linearized    difference",
        f"  E_N (exact)        {fmt(q.E_N):>15}   {c.linearized.E_N:10.6f}    {c.delta_E_N:+.2e}",
        f"  E_N (Eq. 9 on rho) {q.E_N_gaussian:15.6f}   {c.linearized.E_N:10.6f}",
        f"  Duan sum           {q.duan:15.6f}   {c.linearized.duan:10.6f}    {c.delta_duan:+.2e}",
        f"  (paper's Brownian bath, linearized: E_N = {c.linearized_brownian.E_N:.6f}, "
        f"Duan = {c.linearized_brownian.duan:.6f})",
        f"verdict: {c.verdict} (tolerance {c.tolerance:g}): {c.reason}"]
        + ([f"report: {out['report']['html']}"] if args.report else []))
    _emit(out, args.json, text)
    return EXIT_OK


def cmd_qmodel(args) -> int:
    from linearized.steady import solve
    from qmodel.converge import NotConverged, Unstable, solve_master
    from qmodel.solvers import SolverError

    params = _params(args)
    opts = _convergence_options(args)
    if args.frame == "undisplaced":
        return _qmodel_undisplaced(args, params, opts)
    lin = {bath: solve(params.replace(mech_bath=bath)) for bath in ("lindblad", "brownian")}
    reference = {bath: {"E_N": r.E_N, "duan": r.duan, "stable": r.stable}
                 for bath, r in lin.items()}
    note = None
    if params.mech_bath == "brownian":
        d = lin["brownian"].E_N - lin["lindblad"].E_N
        note = (f"the master equation uses the Lindblad form of the mechanical bath; in the "
                f"linearized model the two bath models differ here by dE_N = {d:.3g}")
        print(f"mwent: note: {note}", file=sys.stderr)
    progress = _progress_printer(args)
    try:
        res = solve_master(params, opts, progress=progress)
    except Unstable as exc:
        raise CliError(f"unstable: {exc}, so no steady state exists", EXIT_UNSTABLE,
                       {"stable": False, "linearized": reference})
    except NotConverged as exc:
        raise CliError(str(exc), EXIT_NOT_CONVERGED,
                       {"converged": False, "best": exc.best, "history": exc.history,
                        "linearized": reference})
    except SolverError as exc:
        raise CliError(f"the steady-state solver failed: {exc}", EXIT_NOT_CONVERGED,
                       {"converged": False, "linearized": reference})
    out = res.to_dict()
    out.update({"linearized": reference, "mech_bath": "lindblad", "bath_note": note,
                "params": params.replace(mech_bath="lindblad").to_dict(),
                "delta_E_N": (out["E_N"] - lin["lindblad"].E_N) if out["E_N"] is not None
                else None,
                "delta_duan": out["duan"] - lin["lindblad"].duan})
    if not res.converged:
        worst = int(np.argmax(res.measures.tail_population))
        raise CliError(f"truncation too small: the top level of factor {worst + 1} holds "
                       f"population {res.measures.tail_population[worst]:.2e} "
                       f"(> --tail-tol {args.tail_tol:g}) at cutoffs {','.join(map(str, res.cutoffs))}",
                       EXIT_NOT_CONVERGED, out)
    en = "n/a" if out["E_N"] is None else f"{out['E_N']:.6f}"
    text = "\n".join([
        f"master equation steady state ({res.basis} basis, cutoffs "
        f"{','.join(map(str, res.cutoffs))}, d = {res.dim}, solver {res.solver}, "
        f"{res.seconds:.1f} s)",
        f"  E_N exact (partial transpose) = {en}",
        f"  E_N Gaussian (Eq. 9 on rho)   = {out['E_N_gaussian']:.6f}   linearized: "
        f"{lin['lindblad'].E_N:.6f}",
        f"  Duan sum                      = {out['duan']:.6f}   linearized: "
        f"{lin['lindblad'].duan:.6f}",
        "  top-level populations         = " + ", ".join(f"{x:.1e}" for x in
                                                        out["tail_population"]),
        f"  non-Gaussianity (rel. entropy) = {out['non_gaussianity']:.2e}   (truncation alone: "
        f"{out['non_gaussianity_floor']:.2e})",
        f"  converged after {len(res.history)} truncations (tol {args.tol:g})"])
    _emit(out, args.json, text)
    return EXIT_OK


def _qmodel_undisplaced(args, params, opts) -> int:
    from linearized.meanfield import mean_field
    from qmodel.solvers import SolverError
    from qmodel.undisplaced import solve_undisplaced
    if opts.cutoffs is None:
        raise CliError("--frame undisplaced needs fixed --cutoffs N1,N2,NM,NB large enough to "
                       "hold the mean amplitudes")
    if not params.G_0 > 0:
        raise CliError("--frame undisplaced needs G_0 > 0 (the drive follows from G / G_0)")
    mf = mean_field(params)
    try:
        r = solve_undisplaced(params, opts.cutoffs, opts.solver)
    except SolverError as exc:
        raise CliError(f"the steady-state solver failed: {exc}", EXIT_NOT_CONVERGED)
    c = lambda z: {"re": z.real, "im": z.imag}
    out = {"frame": "undisplaced", "E_N": r["E_N"], "E_N_gaussian": r["E_N_gaussian"],
           "duan": r["duan"], "m": c(r["m"]), "a1": c(r["a1"]), "a2": c(r["a2"]),
           "q": r["q"], "mean_field": {"m": c(mf.m), "a1": c(mf.a1), "a2": c(mf.a2),
                                       "q": mf.q},
           "cutoffs": list(r["cutoffs"]), "tail_population": r["tail_population"].tolist(),
           "residual": r["residual"], "seconds": r["seconds"], "mech_bath": "lindblad"}
    if r["tail_population"].max() > opts.tail_tol:
        raise CliError(f"truncation too small: a top level holds population "
                       f"{r['tail_population'].max():.2e} (> --tail-tol {opts.tail_tol:g}); "
                       f"the mean amplitudes need more levels", EXIT_NOT_CONVERGED, out)
    text = (f"undisplaced master equation (cutoffs {','.join(map(str, r['cutoffs']))}): "
            f"E_N = {r['E_N']:.6f}, Duan = {r['duan']:.6f}\n"
            f"  <m> = {r['m']:.6g} (mean field {mf.m:.6g})")
    _emit(out, args.json, text)
    return EXIT_OK


def _progress_printer(args):
    if not sys.stderr.isatty():
        return None

    def show(entry):
        en = entry["E_N"]
        print(f"  cutoffs {','.join(map(str, entry['cutoffs']))} (d = {entry['dim']}): "
              f"E_N = {'n/a' if en is None else f'{en:.6f}'}, "
              f"Duan = {entry['duan']:.6f}, {entry['seconds']:.1f} s", file=sys.stderr)
    return show


def _grid_inputs(args):
    """Base parameters and axes of a sweep or validity map, checked before anything runs.

    Physical axes (P, diameter, Delta_m0) leave the base unresolved: each point is resolved
    to G and Delta_m on its own.
    """
    from linearized.params import PHYSICAL_KEYS
    from linearized.sweep import grid_params, parse_axis
    axes = [parse_axis(a) for a in args.axis]
    physical_axes = any(a.key in PHYSICAL_KEYS for a in axes)
    base = _params(args, resolve=not physical_axes)
    grid_params(base, axes)           # validates every grid value
    from compare.params_io import yig_kerr_requested
    if any(a.key == "diameter" for a in axes) and yig_kerr_requested(args.config, args.set):
        raise CliError("K = yig is fixed by the base diameter; a diameter axis would keep it, "
                       "so give K as a number or do not sweep the diameter")
    if any(a.key in ("G", "Delta_m") for a in axes) and (base.is_physical or physical_axes):
        raise CliError("give either effective (G, Delta_m) or physical (P, diameter, "
                       "Delta_m0) axes and parameters, not both")
    if args.executor == "dask" and not args.scheduler:
        raise CliError("--executor dask needs --scheduler ADDR (e.g. tcp://HOST:8786)")
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1")
    return base, axes


def cmd_sweep(args) -> int:
    from compare.store import StoreError
    from compare.sweeps import run_sweep
    if not args.axis:
        raise CliError("sweep needs at least one --axis KEY=START:STOP:N")
    base, axes = _grid_inputs(args)
    settings = _sweep_settings(args, args.engine)
    store = args.store or (f"{args.out}.sqlite" if args.out else ":memory:")
    try:
        run = run_sweep(args.engine, base, axes, store, settings, executor=args.executor,
                        scheduler=args.scheduler, workers=args.workers,
                        progress=sys.stderr.isatty())
    except StoreError as exc:
        raise CliError(str(exc))
    except OSError as exc:
        raise CliError(f"cannot reach the Dask scheduler {args.scheduler} ({exc})")
    sweep = run.to_sweep()
    out = sweep.summary()
    out.update({"computed": run.computed, "reused": run.reused, "store": run.store,
                "failed": sum(p["status"] == "failed" for p in run.points),
                "points": run.points})
    if args.out:
        out["file"] = sweep.save(args.out)
    if args.report:
        if args.engine != "compare":
            raise CliError("--report needs --engine compare (it shows both methods)")
        from compare.report import write_sweep_report
        out["report"] = write_sweep_report(run, args.report)
    lines = [f"{out['engine']} sweep over " + " x ".join(
        f"{a['key']} ({a['n']} points)" for a in out["axes"]),
        f"  computed {run.computed}, reused {run.reused} from {run.store}; "
        f"unstable {out['unstable_points']}, failed {out['failed']}"]
    if "E_N_max" in out:
        lines.append(f"  max E_N = {out['E_N_max']:.6f} at " + ", ".join(
            f"{k} = {v:.6g}" for k, v in out["E_N_max_at"].items()))
        lines.append(f"  min Duan sum = {out['duan_min']:.6f}")
    if args.engine == "compare":
        verdicts = [p["result"]["verdict"] for p in run.points if p["status"] == "ok"]
        lines.append("  verdicts: " + ", ".join(f"{v} {verdicts.count(v)}" for v in
                                                 sorted(set(verdicts))))
    if args.out:
        lines.append(f"  written to {out['file']}")
    if args.report:
        lines.append(f"  report: {out['report']['html']}")
    _emit(out, args.json, "\n".join(lines))
    return EXIT_OK


def cmd_validity(args) -> int:
    from compare.store import StoreError
    from compare.validity import run_validity
    if len(args.axis) != 2:
        raise CliError("validity needs exactly two --axis options (e.g. P and G_0)")
    base, axes = _grid_inputs(args)
    if not args.tolerance > 0:
        raise CliError("--tolerance must be positive")
    settings = _sweep_settings(args, "compare")
    try:
        out = run_validity(base, axes, args.out, settings, executor=args.executor,
                           scheduler=args.scheduler, workers=args.workers,
                           progress=sys.stderr.isatty())
    except StoreError as exc:
        raise CliError(str(exc))
    b = "; ".join(f"{list(r.values())[0]:.4g} -> {list(r.values())[1]}" for r in out["boundary"])
    text = (f"validity map over {axes[0].key} x {axes[1].key}: computed {out['computed']}, "
            f"reused {out['reused']}\n  max error {out['max_error']}, tolerance "
            f"{out['tolerance']:g}; verdicts {out['verdicts']}; non-Gaussian points "
            f"{out['non_gaussian_points']}\n  boundary (first {axes[1].key} above tolerance, "
            f"per {axes[0].key}): {b}\n  wrote {', '.join(out['figures'])} and {out['file']}")
    _emit(out, args.json, text)
    return EXIT_OK


def cmd_figure(args) -> int:
    from compare.figures import make_figure
    base = _params(args)
    if args.points is not None and args.points < 2:
        raise CliError("--points must be at least 2")
    out = make_figure(args.name, base, args.out, args.points)
    _emit(out, args.json, f"wrote {out['png']} and {out['data']}")
    return EXIT_OK


def cmd_bench(args) -> int:
    from compare.bench import bench_linearized
    base = _params(args)
    if args.grid < 2:
        raise CliError("--grid must be at least 2")
    out, lines = {}, []
    if args.only in (None, "linearized"):
        lin = out["linearized"] = bench_linearized(base, args.grid)
        lines.append(
            f"linearized E_N map {lin['grid'][0]}x{lin['grid'][1]}: batched "
            f"{lin['batched_seconds']:.3f} s (cold {lin['cold_seconds']:.3f} s), per-point "
            f"scipy loop {lin['scipy_loop_seconds']:.3f} s, speed-up {lin['speedup']:.1f}x, "
            f"max |dE_N| = {lin['max_abs_diff_E_N']:.2e}; vs the SciPy solve alone "
            f"{lin['speedup_vs_solve_only']:.1f}x")
    if args.only in (None, "qmodel"):
        from compare.bench import bench_qmodel
        q = out["qmodel"] = bench_qmodel(base, args.cap, args.scaling)
        po = q["paper_optimum"]
        lines.append(f"qmodel paper optimum converged ({po['basis']} basis, d = {po['dim']}): "
                     f"{po['seconds']:.1f} s, E_N = {po['E_N']:.6f}")
        for row in q["vs_qutip_default"]:
            theirs = (f"{row['qutip_default_seconds']:.2f} s" if row["qutip_default_seconds"]
                      is not None else f"> {row['qutip_capped_at']:.0f} s (capped)")
            sp = row["speedup"]
            lines.append(f"  plain cutoffs {row['cutoffs']} (d = {row['dim']}): krylov "
                         f"{row['krylov_seconds']:.2f} s, QuTiP default {theirs}, ratio "
                         f"{sp if isinstance(sp, str) else f'{sp:.1f}'}")
        for row in q.get("scaling", []):
            lines.append(f"  scaling d = {row['dim']}: {row['seconds']:.1f} s, peak RSS "
                         f"{row['peak_rss_mib']:.0f} MiB")
    _emit(out, args.json, "\n".join(lines))
    return EXIT_OK


COMMANDS = {"validity": cmd_validity, "meanfield": cmd_meanfield, "linearized": cmd_linearized, "qmodel": cmd_qmodel, "compare": cmd_compare, "sweep": cmd_sweep, "figure": cmd_figure,
            "bench": cmd_bench}


def main(argv=None) -> int:
    parser = build_parser()
    as_json = False
    try:
        args = parser.parse_args(argv)
        as_json = getattr(args, "json", False)
        return COMMANDS[args.command](args)
    except CliError as exc:
        if as_json and exc.payload is not None:
            print(json.dumps({**exc.payload, "error": str(exc)}, default=_jsonable))
        print(f"mwent: error: {exc}", file=sys.stderr)
        return exc.code
    except ParameterError as exc:
        print(f"mwent: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("mwent: interrupted", file=sys.stderr)
        return 130
