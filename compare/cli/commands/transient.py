"""``mwent transient``: E_N(t) and Duan(t) of a model's pair after the drive is switched on
(linear theory; with --master-equation also the full master equation)."""
from __future__ import annotations

import math
import re

import numpy as np

from compare.cli.commands.linearized import unstable_error
from compare.cli.options import (EXIT_NOT_CONVERGED, EXIT_OK, CliError, load_system, parse_cutoffs,
                                 refuse_options)
from compare.cli.serialize import emit
from linearized.steady import solve_model
from linearized.transient import FRACTION, default_times, transient
from qmodel.defaults import MAX_DIM, TAIL_TOL, TOL

HELP = "E_N(t) and Duan(t) after switch-on from the thermal state, and the time to 90%%"
DESCRIPTION = (
    "Linearized dynamics after the drive is switched on at t = 0 from thermal equilibrium, "
    "V(0) = diag(N_k + 1/2): dV/dt = A V + V A^T + D solved exactly, V(t) = V_ss + e^{At} "
    "(V(0) - V_ss) e^{A^T t}.  Prints E_N(t) (Eq. 9) and the Duan sum (Eq. 10) of the pair "
    "(--pair, any two modes of any --model) on a "
    "log-spaced time grid, their steady values, and t_90: the first time E_N reaches 90% of "
    "its steady value, and the time after which it stays there.  With --master-equation and "
    "--cutoffs: the same from the full master equation (QuTiP's mesolve in the plain Fock "
    "basis, from the same thermal state), with its truncation evidence (tails over time, the "
    "change at cutoffs + 1); refused (exit 4) when the initial thermal state does not fit the "
    "cutoffs, as at the paper's point, where the 10 MHz phonon holds 41 thermal quanta.")

_TIME = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(s|ms|us|µs|ns|ps)?\s*$")
_SCALE = {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}


def add_arguments(p) -> None:
    p.add_argument("--points", type=int, default=400, metavar="N",
                   help="number of log-spaced times (default 400)")
    p.add_argument("--t-min", metavar="TIME",
                   help="first time after 0 (s, or with a unit: 1ns, 2us, 1ms); default "
                        "1e-3 / max|lambda| (lambda: eigenvalues of A, rad/s)")
    p.add_argument("--t-max", metavar="TIME",
                   help="last time; default max(40/min|Re lambda|, 5/gamma_min), gamma_min "
                        "the smallest decay or damping of the model's modes (gamma_b for the "
                        "paper)")
    p.add_argument("--master-equation", action="store_true",
                   help="also integrate the full master equation (plain Fock basis, Lindblad "
                        "mechanical bath) from the same thermal state; needs --cutoffs")
    p.add_argument("--cutoffs", metavar="N1,N2,...",
                   help="levels of each mode of the model for --master-equation, in the "
                        "model's order (a1,a2,m,b for the paper), each >= 2")
    p.add_argument("--me-points", type=int, default=60, metavar="N",
                   help="log-spaced times of the master equation (default 60), over the "
                        "linear grid's range")
    p.add_argument("--tol", type=float, default=TOL,
                   help=f"largest change of E_N and Duan allowed when every cutoff grows by "
                        f"one (default {TOL:g})")
    p.add_argument("--tail-tol", type=float, default=TAIL_TOL,
                   help=f"largest top-level population allowed at any time (default "
                        f"{TAIL_TOL:g})")
    p.add_argument("--max-dim", type=int, default=MAX_DIM,
                   help=f"largest dimension of the cutoffs+1 check (default {MAX_DIM})")


def _grid(system, n: int, t_min, t_max):
    """``n`` log-spaced times (s) over the default range, or over [t_min, t_max] as given."""
    grid = default_times(system, n)
    lo = grid[0] if t_min is None else t_min
    hi = grid[-1] if t_max is None else t_max
    if not hi > lo:
        raise CliError(f"the time grid is empty: last time {hi:.3g} s is not after the "
                       f"first {lo:.3g} s")
    return np.geomspace(lo, hi, n)


def duration(text: str, flag: str) -> float:
    m = _TIME.match(str(text))
    if not m:
        raise CliError(f"{flag}: cannot read {text!r} as a time (e.g. 1e-6, 2us, 1ms)")
    value = float(m.group(1)) * _SCALE[m.group(2)]
    if not (math.isfinite(value) and value > 0):
        raise CliError(f"{flag} must be a positive finite time (got {text!r})")
    return value


def run(args) -> int:
    if args.points < 2:
        raise CliError(f"--points must be at least 2 (got {args.points})")
    t_min = None if args.t_min is None else duration(args.t_min, "--t-min")
    t_max = None if args.t_max is None else duration(args.t_max, "--t-max")
    if t_min is not None and t_max is not None and not t_max > t_min:
        raise CliError(f"--t-max ({args.t_max}) must be later than --t-min ({args.t_min})")
    if args.master_equation and args.cutoffs is None:
        raise CliError("--master-equation needs --cutoffs N1,N2,... (one per mode)")
    if not args.master_equation:
        refuse_options(args, ("cutoffs", "me_points", "tol", "tail_tol", "max_dim"),
                       "--master-equation")
    system = load_system(args)
    cutoffs = None
    if args.master_equation:
        cutoffs = parse_cutoffs(args.cutoffs, system.n_modes)
        if args.me_points < 2:
            raise CliError(f"--me-points must be at least 2 (got {args.me_points})")
        if not (args.tail_tol > 0 and args.tol > 0 and args.max_dim > 0):
            raise CliError("--tol, --tail-tol and --max-dim must be positive")
        if math.prod(cutoffs) > args.max_dim:
            raise CliError(f"--cutoffs {args.cutoffs} give d = {math.prod(cutoffs)}, more "
                           f"than --max-dim {args.max_dim}")
    lin = solve_model(system)
    if not lin.stable:
        raise unstable_error(lin, {"stable": False, "params": system.to_dict()})
    times = None
    if args.points != 400 or t_min is not None or t_max is not None:
        times = _grid(system, args.points, t_min, t_max)
    res = transient(system, times)
    out = res.to_dict()
    fmt = lambda t: "n/a" if t is None else f"{t * 1e6:.6g} us"
    idx = np.unique(np.linspace(0, len(res.times) - 1, 13).round().astype(int))
    rows = [f"  {res.times[i]:11.4e}  {res.E_N[i]:9.6f}  {res.duan[i]:10.6f}" for i in idx]
    text = "\n".join([
        f"linearized transient after switch-on (thermal start), pair "
        f"{','.join(system.pair_names)} of model {system.name}",
        f"  steady: E_N = {res.E_N_steady:.6f}, Duan = {res.duan_steady:.6f}",
        f"  t_90 (first reaches 90% of steady E_N) = {fmt(res.t_90_first)}",
        f"  t_90 (stays above 90% from)            = {fmt(res.t_90_settled)}",
        f"  slowest decay min|Re lambda|/2pi = {res.slowest_rate:.6g} Hz",
        "  t (s)        E_N        Duan", *rows])
    code = EXIT_OK
    if cutoffs is not None:
        me, reason = _master(system, _grid(system, args.me_points, t_min, t_max), cutoffs,
                             args)
        out["master_equation"] = me
        diff = me["difference_from_linear"]
        text += ("\nmaster equation (Fock basis, cutoffs "
                 f"{','.join(map(str, cutoffs))}, {me['seconds']:.3g} s)\n"
                 f"  largest |ME - linear| over {len(me['times'])} times: "
                 f"E_N {diff['E_N']:.2e}, E_N_gaussian {diff['E_N_gaussian']:.2e}, "
                 f"Duan {diff['duan']:.2e}\n"
                 f"  max tail {me['max_tail']:.2e}; cutoffs+1: "
                 + (f"largest change {me['evidence']['max_change_overall']:.2e}"
                    if me["evidence"]["done"] else me["evidence"]["reason"])
                 + f"\n  t_90 (ME, first) = {fmt(me['t_90']['first'])}, "
                   f"settled = {fmt(me['t_90']['settled'])}")
        if reason:
            out["master_equation"]["not_converged"] = reason
            text += f"\n  not converged: {reason}"
            code = EXIT_NOT_CONVERGED
    emit(out, args.json, text)
    return code


def _master(system, times, cutoffs, args):
    """The master-equation entry and the reason it is not converged ('' when it is)."""
    # SciPy and QuTiP load when the command runs, not with every command's --help
    from qmodel.basis import fock_basis
    from qmodel.measures import exact_log_negativity
    from qmodel.model import build_model
    from qmodel.solvers import steady_state
    from qmodel.transient import TruncationRefused, growth_evidence, master_transient, t90
    try:
        res = master_transient(system, times, cutoffs, tail_tol=args.tail_tol)
    except TruncationRefused as exc:
        raise CliError(f"not converged: {exc}", EXIT_NOT_CONVERGED,
                       {"master_equation": {"refused": str(exc), "levels_needed":
                                            list(exc.levels), "dim_needed": exc.dim}})
    me = res.to_dict()
    ev = growth_evidence(res, args.max_dim, tail_tol=1.0)
    me["evidence"] = ev
    # the linear theory with the same (Lindblad) mechanical bath, on the ME grid
    lindblad = system.replace(mech_bath="lindblad")
    lin = transient(lindblad, res.times)
    me["difference_from_linear"] = {
        "E_N": float(np.abs(res.E_N - lin.E_N).max()),
        "E_N_gaussian": float(np.abs(res.E_N_gaussian - lin.E_N).max()),
        "duan": float(np.abs(res.duan - lin.duan).max()),
        "against": "linearized transient with mech_bath = lindblad, on the same times"}
    ss = steady_state(build_model(lindblad, fock_basis(cutoffs)))
    en_ss = float(exact_log_negativity(ss.rho, fock_basis(cutoffs), pair=system.pair)[0])
    first, settled = t90(res.times, res.E_N, en_ss, FRACTION)
    me["t_90"] = {"first": first, "settled": settled, "E_N_steady": en_ss,
                  "definition": "as the linear t_90, on the exact E_N of the master "
                                "equation, sampled on its time grid (linear interpolation), "
                                "steady value from the steady state at the same cutoffs"}
    reasons = []
    if res.max_tail > args.tail_tol:
        reasons.append(f"a top-level population reaches {res.max_tail:.2e} > --tail-tol "
                       f"{args.tail_tol:g}")
    if not ev["done"]:
        reasons.append(f"no cutoffs+1 check ({ev['reason']})")
    elif ev["max_change_overall"] > args.tol:
        reasons.append(f"E_N/Duan change by {ev['max_change_overall']:.2e} with one more "
                       f"level per mode, > --tol {args.tol:g}")
    return me, "; ".join(reasons)
