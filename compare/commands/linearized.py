"""``mwent linearized``: the paper's Gaussian theory at one parameter point."""
from __future__ import annotations

import math

from .common import EXIT_OK, EXIT_UNSTABLE, CliError, emit, load_params

HELP = "steady state of the linearized model at one point"
DESCRIPTION = ("Solve the linearized (Gaussian) theory of the paper at one parameter point: "
               "mean field, drift matrix (Eq. 6), Lyapunov equation (Eq. 8), E_N (Eq. 9), "
               "Duan sum (Eq. 10), also minimised over local-oscillator phases.")


def add_arguments(p) -> None:
    pass


def unstable_error(res, payload) -> CliError:
    lam = res.eigenvalues[res.eigenvalues.real.argmax()] / (2 * math.pi)
    return CliError(f"unstable: the drift matrix has an eigenvalue with positive real part, "
                    f"lambda/2pi = {lam.real:.6g}{lam.imag:+.6g}i Hz, so no steady state "
                    f"exists", EXIT_UNSTABLE, payload)


def run(args) -> int:
    from linearized.steady import solve
    params = load_params(args)
    res = solve(params)
    out = res.to_dict()
    if not res.stable:
        raise unstable_error(res, out)
    n = out["occupations"]
    best = out["duan_min_lo"]
    text = "\n".join([
        f"linearized steady state (mech_bath = {params.mech_bath})",
        f"  E_N (Eq. 9)          = {res.E_N:.6f}",
        f"  Duan sum (Eq. 10)    = {res.duan:.6f}   "
        f"({'< 2: entangled' if res.duan < 2 else '>= 2: no witness'})",
        f"  Duan, best LO phases = {best['duan']:.6f}   (theta_1 = {best['theta_1']:.3f}, "
        f"theta_2 = {best['theta_2']:.3f} rad)",
        f"  stable               = yes (max Re lambda/2pi = {res.max_real_eigenvalue:.6g} Hz)",
        "  occupations (quanta) = " + ", ".join(f"{k} {v:.4g}" for k, v in n.items()),
    ])
    emit(out, args.json, text)
    return EXIT_OK
