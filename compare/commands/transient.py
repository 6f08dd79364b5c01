"""``mwent transient``: E_N(t) and Duan(t) after the drive is switched on (linear theory)."""
from __future__ import annotations

import math
import re

from .common import EXIT_OK, CliError, emit, load_params

HELP = "E_N(t) and Duan(t) after switch-on from the thermal state, and the time to 90%%"
DESCRIPTION = (
    "Linearized dynamics after the drive is switched on at t = 0 from thermal equilibrium, "
    "V(0) = diag(N_k + 1/2): dV/dt = A V + V A^T + D solved exactly, V(t) = V_ss + e^{At} "
    "(V(0) - V_ss) e^{A^T t}.  Prints E_N(t) (Eq. 9) and the Duan sum (Eq. 10) on a "
    "log-spaced time grid, their steady values, and t_90: the first time E_N reaches 90% of "
    "its steady value, and the time after which it stays there.")

_TIME = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(s|ms|us|µs|ns|ps)?\s*$")
_SCALE = {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}


def add_arguments(p) -> None:
    p.add_argument("--points", type=int, default=400, metavar="N",
                   help="number of log-spaced times (default 400)")
    p.add_argument("--t-min", metavar="TIME",
                   help="first time after 0 (s, or with a unit: 1ns, 2us, 1ms); default "
                        "1e-3 / max|lambda| (lambda: eigenvalues of A, rad/s)")
    p.add_argument("--t-max", metavar="TIME",
                   help="last time; default max(40/min|Re lambda|, 5/gamma_b)")


def duration(text: str, flag: str) -> float:
    m = _TIME.match(str(text))
    if not m:
        raise CliError(f"{flag}: cannot read {text!r} as a time (e.g. 1e-6, 2us, 1ms)")
    value = float(m.group(1)) * _SCALE[m.group(2)]
    if not (math.isfinite(value) and value > 0):
        raise CliError(f"{flag} must be a positive finite time (got {text!r})")
    return value


def run(args) -> int:
    import numpy as np
    from linearized.steady import solve
    from linearized.transient import default_times, transient
    from .linearized import unstable_error
    if args.points < 2:
        raise CliError(f"--points must be at least 2 (got {args.points})")
    t_min = None if args.t_min is None else duration(args.t_min, "--t-min")
    t_max = None if args.t_max is None else duration(args.t_max, "--t-max")
    if t_min is not None and t_max is not None and not t_max > t_min:
        raise CliError(f"--t-max ({args.t_max}) must be later than --t-min ({args.t_min})")
    params = load_params(args)
    lin = solve(params)
    if not lin.stable:
        raise unstable_error(lin, {"stable": False, "params": params.to_dict()})
    times = None
    if args.points != 400 or t_min is not None or t_max is not None:
        grid = default_times(params, args.points)
        lo = grid[0] if t_min is None else t_min
        hi = grid[-1] if t_max is None else t_max
        if not hi > lo:
            raise CliError(f"the time grid is empty: last time {hi:.3g} s is not after the "
                           f"first {lo:.3g} s")
        times = np.geomspace(lo, hi, args.points)
    res = transient(params, times)
    out = res.to_dict()
    fmt = lambda t: "n/a" if t is None else f"{t * 1e6:.6g} us"
    idx = np.unique(np.linspace(0, len(res.times) - 1, 13).round().astype(int))
    rows = [f"  {res.times[i]:11.4e}  {res.E_N[i]:9.6f}  {res.duan[i]:10.6f}" for i in idx]
    text = "\n".join([
        "linearized transient after switch-on (thermal start)",
        f"  steady: E_N = {res.E_N_steady:.6f}, Duan = {res.duan_steady:.6f}",
        f"  t_90 (first reaches 90% of steady E_N) = {fmt(res.t_90_first)}",
        f"  t_90 (stays above 90% from)            = {fmt(res.t_90_settled)}",
        f"  slowest decay min|Re lambda|/2pi = {res.slowest_rate:.6g} Hz",
        "  t (s)        E_N        Duan", *rows])
    emit(out, args.json, text)
    return EXIT_OK
