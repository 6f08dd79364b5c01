"""``mwent linearized``: the Gaussian theory of a model at one parameter point."""
from __future__ import annotations

import math

import numpy as np

from compare.cli.options import EXIT_OK, EXIT_UNSTABLE, CliError, load_system
from compare.cli.serialize import emit
from linearized.steady import solve_model

HELP = "steady state of the linearized model at one point"
DESCRIPTION = ("Solve the linearized (Gaussian) theory of a model at one parameter point: "
               "mean field, drift matrix (the paper's Eq. 6 for its model), Lyapunov equation "
               "(Eq. 8), E_N (Eq. 9) and Duan sum (Eq. 10) of the pair and of every pair, the "
               "pair's Duan sum also minimised over local-oscillator phases.")


def add_arguments(p) -> None:
    pass


def unstable_error(res, payload) -> CliError:
    eig = np.linalg.eigvals(res.drift)
    lam = eig[eig.real.argmax()] / (2 * math.pi)
    return CliError(f"unstable: the drift matrix has an eigenvalue with positive real part, "
                    f"lambda/2pi = {lam.real:.6g}{lam.imag:+.6g}i Hz, so no steady state "
                    f"exists", EXIT_UNSTABLE, payload)


def run(args) -> int:
    system = load_system(args)
    res = solve_model(system)
    out = res.to_dict()
    if not res.stable:
        raise unstable_error(res, out)
    x, y = system.pair_names
    best = out["duan_min_lo"]
    lines = [f"linearized steady state of model {system.name} (mech_bath = "
             f"{system.mech_bath or 'none'}); pair {x},{y}",
             f"  E_N (Eq. 9)          = {res.E_N:.6f}",
             f"  Duan sum (Eq. 10)    = {res.duan:.6f}   "
             f"({'< 2: entangled' if res.duan < 2 else '>= 2: no witness in this frame'})",
             f"  Duan, best LO phases = {best['duan']:.6f}   (theta_1 = {best['theta_1']:.3f}, "
             f"theta_2 = {best['theta_2']:.3f} rad)",
             f"  stable               = yes (max Re lambda/2pi = "
             f"{res.max_real_eigenvalue:.6g} Hz)",
             "  occupations (quanta) = " + ", ".join(f"{k} {v:.4g}" for k, v in
                                                    out["occupations"].items()),
             "  every pair:          E_N        Duan"]
    for p in res.pairs:
        lines.append(f"    {p['modes'][0] + ',' + p['modes'][1]:<16} {p['E_N']:.6f}   "
                     f"{p['duan']:.6f}")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK
