"""``mwent qmodel``: the full master equation at one point, converged with its evidence."""
from __future__ import annotations

import sys

import numpy as np

from compare.cli.options import (EXIT_NOT_CONVERGED, EXIT_OK, CliError, convergence_options,
                                 load_system, model_info, progress_printer, refuse_options)
from compare.cli.serialize import emit
from linearized.steady import solve_model as solve
from qmodel.defaults import MAX_DIM, TAIL_TOL, TOL

HELP = "steady state of the full master equation, converged"
DESCRIPTION = ("Solve the model's master equation in the displaced frame (the nonlinear "
               "residue, e.g. G_0 m^dag m q, kept) in a truncated Fock space, growing the truncation "
               "until E_N and the Duan sum stop moving and the top-level populations are "
               "small.  The mechanical bath is always the Lindblad form.")


#: the master-equation options of add_qmodel_options (refused where no master equation runs)
QMODEL_OPTIONS = ("basis", "cutoffs", "tol", "tail_tol", "max_dim", "time_limit", "truncation",
                  "eps", "solver")


def add_qmodel_options(p) -> None:
    """The master-equation options shared by qmodel, compare, sweep and validity."""
    p.add_argument("--basis", choices=["normal", "fock", "self"], default="normal",
                   help="normal: Williamson normal modes of the linearized state (default); "
                        "fock: the plain Fock basis of a1, a2, m, b; self: normal modes of "
                        "the master equation's own state, iterated (owes nothing to the "
                        "linearized theory)")
    p.add_argument("--cutoffs", metavar="N1,N2,...",
                   help="fixed truncation, levels per tensor factor (each >= 2), one per mode "
                        "of the model (four for the paper): in the fock basis the factors are "
                        "the model's modes in its order (paper: a1,a2,m,b); in the normal and "
                        "self bases they are the normal modes, most occupied first.  A fixed truncation "
                        "carries no convergence evidence (compare then never says agree). "
                        "Default: grow automatically until converged")
    p.add_argument("--tol", type=float, default=TOL,
                   help=f"convergence: change of E_N and Duan between truncations "
                        f"(default {TOL:g})")
    p.add_argument("--tail-tol", type=float, default=TAIL_TOL,
                   help=f"convergence: population of each factor's top level "
                        f"(default {TAIL_TOL:g})")
    p.add_argument("--max-dim", type=int, default=None, metavar="N",
                   help=f"largest Hilbert-space dimension tried (default: the largest whose "
                        f"solve fits in the memory available when each point starts, at "
                        f"least {MAX_DIM})")
    p.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="give up after this many seconds of solving (exit 4, history kept); "
                        "default: no limit")
    p.add_argument("--truncation", choices=["box", "probability"], default=None,
                   help="probability (default in the normal basis): the normal-mode Fock "
                        "states whose Gaussian-predicted probability exceeds eps, lowered "
                        "tenfold per step (a few times fewer states for the same accuracy); "
                        "box: every normal mode below its own cutoff (the default with "
                        "--cutoffs or --basis fock/self)")
    p.add_argument("--eps", type=float, metavar="EPS",
                   help="with --truncation probability: a fixed threshold (no growth, so no "
                        "growth evidence); default: grow from tail-tol * 1e-3")
    p.add_argument("--solver", default="krylov",
                   help="krylov (default), direct, or qutip-<method> (QuTiP's steadystate)")


def add_arguments(p) -> None:
    add_qmodel_options(p)
    p.add_argument("--frame", choices=["displaced", "undisplaced"], default="displaced",
                   help="undisplaced: the driven model without linearization or displacement, "
                        "plain basis, fixed --cutoffs (small drives only; checks the "
                        "displacement step)")


def linearized_reference(params):
    """Both bath models of the linearized theory, for the JSON's ``linearized`` entry."""
    lin = {bath: solve(params.replace(mech_bath=bath)) for bath in ("lindblad", "brownian")}
    return lin, {bath: {"E_N": r.E_N, "duan": r.duan, "stable": r.stable}
                 for bath, r in lin.items()}


def run(args) -> int:
    # SciPy and QuTiP load when the command runs, not with every command's --help
    from qmodel.converge import NotConverged, Unstable
    from qmodel.master import solve_master
    from qmodel.solvers import SolverError
    if args.frame == "undisplaced":
        refuse_options(args, ("basis", "tol", "time_limit", "truncation", "eps"),
                       "the displaced frame (--frame undisplaced solves once, in the plain "
                       "basis, at the fixed --cutoffs)")
    params = load_system(args)
    opts = convergence_options(args, params.n_modes)
    if args.frame == "undisplaced":
        return _undisplaced(args, params, opts)
    lin, reference = linearized_reference(params)
    note = None
    if params.mech_bath == "brownian":
        d = lin["brownian"].E_N - lin["lindblad"].E_N
        note = (f"the master equation uses the Lindblad form of the mechanical bath; in the "
                f"linearized model the two bath models differ here by dE_N = {d:.3g}")
        print(f"mwent: note: {note}", file=sys.stderr)
    try:
        res = solve_master(params, opts, progress=progress_printer(args))
    except Unstable as exc:
        raise CliError(f"unstable: {exc}, so no steady state exists", 3,
                       {"stable": False, "linearized": reference})
    except NotConverged as exc:
        raise CliError(str(exc), EXIT_NOT_CONVERGED,
                       {"converged": False, "best": exc.best, "history": exc.history,
                        "linearized": reference})
    except SolverError as exc:
        raise CliError(f"the steady-state solver failed: {exc}", EXIT_NOT_CONVERGED,
                       {"converged": False, "linearized": reference})
    out = res.to_dict()
    out.update({"model": model_info(params), "linearized": reference, "mech_bath": "lindblad",
                "bath_note": note,
                "params": params.replace(mech_bath="lindblad").to_dict(),
                "delta_E_N": (out["E_N"] - lin["lindblad"].E_N) if out["E_N"] is not None
                else None,
                "delta_duan": out["duan"] - lin["lindblad"].duan,
                "units": {"E_N": "natural log", "duan": "vacuum = 2",
                          "occupations": "quanta", "non_gaussianity": "nats",
                          "seconds": "s", "residual": "units of omega_b (||L rho||_F)",
                          "relative_residual": "dimensionless",
                          "covariance": "dimensionless, vacuum = 1/2",
                          "params": "Hz, K"}})
    fixed = opts.fixed_truncation
    if fixed:
        out.update({"fixed_truncation": True, "checks_passed": res.converged,
                    "converged": res.proved})
    en = "n/a" if out["E_N"] is None else f"{out['E_N']:.6f}"
    lines = [
        f"master equation steady state ({res.basis} basis, "
        + (f"probability set eps {res.basis_obj.eps:g} (Gaussian-predicted population "
           f"outside it {res.history[-1].get('outside_population', float('nan')):.1e}; "
           f"levels up to {','.join(map(str, res.cutoffs))})"
           if res.basis_obj.states is not None else
           f"cutoffs {','.join(map(str, res.cutoffs))}")
        + f", d = {res.dim}, solver {res.solver}, {res.seconds:.1f} s)",
        f"  E_N exact (partial transpose) = {en}",
        f"  E_N Gaussian (Eq. 9 on rho)   = {out['E_N_gaussian']:.6f}   linearized: "
        f"{lin['lindblad'].E_N:.6f}",
        f"  Duan sum                      = {out['duan']:.6f}   linearized: "
        f"{lin['lindblad'].duan:.6f}",
        ("  edge populations (per mode)   = " if res.basis_obj.states is not None else
         "  top-level populations         = ") + ", ".join(f"{x:.1e}" for x in
                                                        out["tail_population"]),
        f"  non-Gaussianity (rel. entropy) = {out['non_gaussianity']:.2e} nats   (truncation "
        f"alone: {out['non_gaussianity_floor']:.2e} nats)"]
    for ev in out.get("evidence") or []:
        lines.append(f"  evidence {ev['name']}: {'pass' if ev.get('passed') else 'FAIL'}"
                     + (f" ({ev['detail']})" if ev.get("detail") else ""))
    if fixed:
        lines.append("  fixed truncation: no growth evidence, not a converged result"
                     + ("" if res.converged else f"; failed: {res.why_not_converged()}"))
    else:
        lines.append(f"  converged after {len(res.history)} truncations (tol {args.tol:g})"
                     if res.converged else f"  NOT converged: {res.why_not_converged()}")
    text = "\n".join(lines)
    if not res.converged:
        if not args.json:
            print(text)
        raise CliError(f"not converged: {res.why_not_converged() or _tail_reason(res, args)}",
                       EXIT_NOT_CONVERGED, out)
    emit(out, args.json, text)
    return EXIT_OK


def _tail_reason(res, args) -> str:
    worst = int(np.argmax(res.measures.tail_population))
    return (f"the top level of factor {worst + 1} holds population "
            f"{res.measures.tail_population[worst]:.2e} (> --tail-tol {args.tail_tol:g}) at "
            f"cutoffs {','.join(map(str, res.cutoffs))}")


def _undisplaced_payload(r, opts, fields: dict) -> dict:
    """The JSON of a fixed plain-basis undisplaced solve (its tails are its only evidence);
    exit 4 when a top level holds more than ``--tail-tol``."""
    out = {"frame": "undisplaced", **fields,
           "cutoffs": list(r["cutoffs"]), "tail_population": r["tail_population"].tolist(),
           "residual": r["residual"], "seconds": r["seconds"], "mech_bath": "lindblad",
           "converged": False,
           "evidence_note": "a fixed truncation in the plain basis: the tail populations are "
                            "the only convergence evidence"}
    if r["tail_population"].max() > opts.tail_tol:
        raise CliError(f"truncation too small: a top level holds population "
                       f"{r['tail_population'].max():.2e} (> --tail-tol {opts.tail_tol:g}); "
                       f"the mean amplitudes need more levels", EXIT_NOT_CONVERGED, out)
    return out


def _undisplaced(args, system, opts) -> int:
    """``--frame undisplaced`` for a model file with a physical drive."""
    # SciPy and QuTiP load when the command runs, not with every command's --help
    from qmodel.solvers import SolverError
    from qmodel.undisplaced import solve_undisplaced
    if opts.cutoffs is None:
        raise CliError(f"--frame undisplaced needs fixed --cutoffs (one per mode: "
                       f"{','.join(system.mode_names)}) large enough to hold the mean "
                       f"amplitudes")
    try:
        r = solve_undisplaced(system, opts.cutoffs, opts.solver)
    except SolverError as exc:
        raise CliError(f"the steady-state solver failed: {exc}", EXIT_NOT_CONVERGED)
    c = lambda z: {"re": z.real, "im": z.imag}
    branch = system.branch
    out = _undisplaced_payload(r, opts, {
        "model": model_info(system), "pair": list(system.pair_names), "E_N": r["E_N"],
        "E_N_gaussian": r["E_N_gaussian"], "duan": r["duan"],
        "means": {k: c(v) for k, v in r["means"].items()},
        "mean_field": None if branch is None else branch.to_dict(),
        "duan_frame": "quadratures in the drive's phase (a real drive E); the displaced frame "
                      "and the linearized theory rotate the field modes so that <k> = "
                      "-i sign(G_0)|<k>|, so their Duan sum can differ from this one (E_N "
                      "does not depend on the frame)"})
    x, y = system.pair_names
    text = (f"undisplaced master equation of model {system.name} (cutoffs "
            f"{','.join(map(str, r['cutoffs']))}): pair {x},{y}: E_N = {r['E_N']:.6f}, "
            f"Eq. 9 on the fluctuations {r['E_N_gaussian']:.6f}, Duan = {r['duan']:.6f} "
            f"(in the drive's phase frame)\n"
            + "\n".join(f"  <{k}> = {v:.6g}" for k, v in r["means"].items()))
    emit(out, args.json, text)
    return EXIT_OK
