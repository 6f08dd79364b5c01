"""``mwent linearized``: the paper's Gaussian theory at one parameter point."""
from __future__ import annotations

import math

from .common import EXIT_OK, EXIT_UNSTABLE, CliError, emit, load_params, model_info

HELP = "steady state of the linearized model at one point"
DESCRIPTION = ("Solve the linearized (Gaussian) theory of the paper at one parameter point: "
               "mean field, drift matrix (Eq. 6), Lyapunov equation (Eq. 8), E_N (Eq. 9), "
               "Duan sum (Eq. 10), also minimised over local-oscillator phases.")


def add_arguments(p) -> None:
    pass


def unstable_error(res, payload) -> CliError:
    import numpy as np
    eig = getattr(res, "eigenvalues", None)
    if eig is None:
        eig = np.linalg.eigvals(res.drift)
    lam = eig[eig.real.argmax()] / (2 * math.pi)
    return CliError(f"unstable: the drift matrix has an eigenvalue with positive real part, "
                    f"lambda/2pi = {lam.real:.6g}{lam.imag:+.6g}i Hz, so no steady state "
                    f"exists", EXIT_UNSTABLE, payload)


def run(args) -> int:
    from linearized.matrices import MODES
    from linearized.model_steady import pair_measures
    from linearized.steady import solve
    from linearized.system import System
    params = load_params(args)
    if isinstance(params, System):
        return _run_model(args, params)
    res = solve(params)
    out = res.to_dict()
    out.update({"model": model_info(params), "pair": list(MODES[:2]),
                "pairs": pair_measures(res.covariance, [(i, j) for i in range(4)
                                                        for j in range(i + 1, 4)], MODES)})
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


def _run_model(args, system) -> int:
    from linearized.model_steady import solve_model
    res = solve_model(system)
    out = res.to_dict()
    if not res.stable:
        raise unstable_error(res, out)
    x, y = system.pair_names
    lines = [f"linearized steady state of model {system.name} (mech_bath = "
             f"{system.mech_bath or 'none'}); pair {x},{y}",
             f"  E_N (Eq. 9)          = {res.E_N:.6f}",
             f"  Duan sum (Eq. 10)    = {res.duan:.6f}   "
             f"({'< 2: entangled' if res.duan < 2 else '>= 2: no witness in this frame'})",
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
