"""``mwent meanfield``: mean-field branches for a drive power, or the drive for a target G."""
from __future__ import annotations

import math

from .common import EXIT_OK, CliError, emit, load_params, refuse_options

HELP = "mean-field branches for a drive power, sphere and bare detuning; or the drive for a G"
DESCRIPTION = ("With P, diameter, Delta_m0 and G_0: every real solution of the self-consistent "
               "mean field (Eq. 3 with the magnetostrictive and Kerr shifts), with its G, "
               "effective Delta_m and stability.  With --target-G: the drive power and bare "
               "detuning that give that G at the effective Delta_m (Eq. 3 exactly, and the "
               "paper's Eq. 4).")


def add_arguments(p) -> None:
    p.add_argument("--target-G", metavar="FREQ",
                   help="find the drive power and bare detuning giving this G (> 0) at the "
                        "effective Delta_m (the preset's, or --set Delta_m=...), e.g. 4.5MHz")


def kerr_text(k: dict, params, yig: bool = True) -> str:
    if yig:
        used = "in the model" if params.K == k["K"] else "not in the model unless --set K=yig"
        what = f"YIG Kerr estimate K/2pi = {k['K']:.3g} Hz for this sphere ([100], {used})"
    else:
        what = f"the model's K/2pi = {k['K']:.3g} Hz"
    return (f"{what}: shift {k['shift'] / 1e6:.4g} MHz = {k['shift_over_kappa_m']:.3g} kappa_m, "
            f"{'negligible' if k['negligible'] else 'NOT negligible'} "
            f"(K|<m>|^3/Omega = {_g(k['K_m3_over_Omega'])})")


def _g(x) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _target(args, params) -> int:
    from linearized import physical as ph
    from linearized.meanfield import magnon_number
    from linearized.params import ParameterError, parse_value
    if params.is_physical:
        raise CliError("--target-G computes P and Delta_m0: do not give P as well")
    if params.diameter is None:
        raise CliError("--target-G needs the sphere diameter (--set diameter=250um)")
    if not params.G_0 > 0:
        raise CliError("--target-G needs G_0 > 0")
    G = parse_value("G", args.target_G)
    if not G > 0:
        raise CliError(f"--target-G must be positive (got {args.target_G}): G is taken real "
                       f"and positive")
    target = params.replace(G=G)
    rows, why = {}, {}
    for name, approx in (("eq3", False), ("eq4", True)):
        try:
            Omega, d0 = ph.drive_for_coupling(target, approximate=approx)
        except ParameterError as exc:
            if not approx:
                raise
            rows[name], why[name] = None, str(exc)     # Eq. (4) singular; Eq. (3) holds
            continue
        P = ph.power_for_rabi(Omega, float(params.diameter))
        rows[name] = {"P": P, "Delta_m0": d0, "Omega_over_2pi": Omega / (2 * math.pi),
                      "B_0": float(ph.drive_field(P, float(params.diameter)))}
    out = {"target_G": float(target.G), "Delta_m": float(target.Delta_m),
           "G_0": float(params.G_0), "diameter": float(params.diameter),
           "N_spins": ph.spin_number(float(params.diameter)), **rows["eq3"],
           "eq4": rows["eq4"], "undefined": why,
           "units": {"P": "W", "Delta_m0": "Hz", "B_0": "T", "Omega_over_2pi": "Hz",
                     "target_G": "Hz", "Delta_m": "Hz", "G_0": "Hz", "diameter": "m"}}
    n = float(magnon_number(target))
    out["kerr_yig"] = ph.kerr_check(ph.kerr_coefficient(float(params.diameter)), n,
                                    float(params.kappa_m),
                                    2 * math.pi * rows["eq3"]["Omega_over_2pi"])
    eq4 = (f"{rows['eq4']['P'] * 1e3:.4g} mW (Eq. 4, the paper's approximation)"
           if rows["eq4"] else f"Eq. 4 undefined here ({why.get('eq4')})")
    text = (f"G = {target.G / 1e6:g} MHz at Delta_m = {target.Delta_m / 1e6:g} MHz "
            f"(G_0 = {params.G_0:g} Hz, diameter {params.diameter * 1e6:g} um) needs\n"
            f"  P = {rows['eq3']['P'] * 1e3:.4g} mW (Eq. 3, exact), {eq4}\n"
            f"  bare detuning Delta_m0 = {rows['eq3']['Delta_m0'] / 1e6:.6g} MHz\n"
            f"  |<m>| = {math.sqrt(n):.4g}; {kerr_text(out['kerr_yig'], params)}")
    emit(out, args.json, text)
    return EXIT_OK


def _model(args) -> int:
    """Every mean-field branch of a model file's physical drive (or, for the effective form,
    the driven modes' amplitudes |<k>| = G / (sqrt2 |G_0|))."""
    import numpy as np
    from linearized.description import load_model
    from .common import load_system, model_info
    if args.target_G is not None:
        raise CliError("--target-G works on the seed paper's model only so far")
    spec = load_model(args.model or "paper")
    if any(c.drive for c in spec.couplings):
        args.branch = args.branch or "lowest"        # list every branch, whichever is chosen
        s = load_system(args)
        rows = [b.to_dict() for b in s.branches]
        k = s.drive[0]
        lines = [f"model {s.name}: drive E/2pi = {s.drive[3] / 1e6:g} MHz on mode "
                 f"{s.mode_names[k]} (bare detuning {s.drive[4] / 1e6:g} MHz): "
                 f"{len(rows)} branch(es)"]
        for b in s.branches:
            lines.append(f"  [{b.index}] |<{s.mode_names[k]}>| = {np.sqrt(b.n):.4g}, "
                         f"G = {b.G / 1e6:.4f} MHz, effective detuning "
                         f"{b.detuning / 1e6:.4f} MHz, "
                         f"{'stable' if b.stable else 'unstable'} (max Re lambda/2pi = "
                         f"{b.max_real_eigenvalue:.4g} Hz)")
        out = {"model": model_info(s), "branches": rows, "params": s.to_dict(),
               "units": {"n": "quanta", "G": "Hz", "detuning": "Hz",
                         "max_real_eigenvalue": "Hz", "means": "sqrt(quanta)"}}
    else:
        s = load_system(args)
        rows = []
        for k, (sigma, amp) in s.means.items():
            rows.append({"mode": s.mode_names[k], "abs_mean": float(amp),
                         "mean": {"re": 0.0, "im": float(-sigma * amp)}})
        lines = [f"model {s.name}: effective parametrization; the driven modes' mean fields "
                 f"follow from G = sqrt2 |G_0| |<k>|:"]
        lines += [f"  <{r['mode']}> = {r['mean']['im']:.6g} i" for r in rows]
        out = {"model": model_info(s), "driven_modes": rows, "params": s.to_dict(),
               "phase_convention": "<k> = -i sign(G_0) |<k>| (G real, positive)"}
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK


def run(args) -> int:
    from .common import uses_model_file
    refuse_options(args, ("branch",), "the commands that solve one branch (meanfield lists "
                                      "every branch)")
    refuse_options(args, ("pair",), "the commands that give a pair's E_N and Duan sum")
    if uses_model_file(args):
        return _model(args)
    from linearized import physical as ph
    params = load_params(args, resolve=False)
    if args.target_G is not None:
        return _target(args, params)
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
        lines.append(f"      {kerr_text(rows[b.index]['kerr_yig'], params)}")
        if params.K != 0 and params.K != K_yig:
            lines.append(f"      {kerr_text(rows[b.index]['kerr'], params, yig=False)}")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK
