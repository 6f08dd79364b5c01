"""``mwent meanfield``: the mean-field branches of a physical drive, or the drive for a G."""
from __future__ import annotations

import math

import numpy as np

from compare.cli.options import (EXIT_OK, CliError, input_values, load_system, model_info,
                                 refuse_options)
from compare.cli.serialize import emit
from linearized.description import physical as ph
from linearized.description.expressions import evaluate
from linearized.description.meanfield import mean_field
from linearized.description.parse import load_model
from linearized.description.system import build_system
from linearized.description.units import ParameterError

HELP = "mean-field branches of a physical drive; or the drive that gives a G"
DESCRIPTION = ("With a physical drive (a model file's 'drive = E', or a YIG drive's power: "
               "for the paper P, diameter, Delta_m0 and G_0): every real solution of the "
               "self-consistent mean field, with its G, effective detuning and stability.  "
               "With --target-G: the drive (for a YIG sphere the power) and bare detuning "
               "that give that G at the effective detuning (exactly, and in the "
               "large-detuning approximation, the paper's Eq. 4).  Otherwise the driven "
               "modes' amplitudes implied by the effective G.")


def add_arguments(p) -> None:
    p.add_argument("--target-G", metavar="FREQ",
                   help="find the drive and bare detuning giving this G (> 0) at the "
                        "effective detuning (the model's, or --set Delta_m=...), e.g. 4.5MHz")


def kerr_text(k: dict, yig: bool = True, used: bool = False) -> str:
    if yig:
        what = (f"YIG Kerr estimate K/2pi = {k['K']:.3g} Hz for this sphere ([100], "
                f"{'in the model' if used else 'not in the model unless --set K=yig'})")
    else:
        what = f"the model's K/2pi = {k['K']:.3g} Hz"
    return (f"{what}: shift {k['shift'] / 1e6:.4g} MHz = {k['shift_over_kappa_m']:.3g} kappa_m, "
            f"{'negligible' if k['negligible'] else 'NOT negligible'} "
            f"(K|<m>|^3/Omega = {_g(k['K_m3_over_Omega'])})")


def _g(x) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _driven(spec):
    """The model's one radiation_pressure coupling and its driven mode (refused otherwise)."""
    rp = [c for c in spec.couplings if c.kind == "radiation_pressure"]
    if len(rp) != 1:
        raise CliError(f"this needs a model with one driven mode (one radiation_pressure "
                       f"coupling); model {spec.name} has {len(rp)}")
    return rp[0], spec.modes[spec.mode_names.index(rp[0].modes[0])]


def _kerr_param(spec, c):
    """The model's Kerr rate on the driven mode (0 without one)."""
    return next((k for k in spec.couplings if k.kind == "kerr" and k.modes == c.modes[:1]),
                None)


def _target(args, spec, values) -> int:
    c, mode = _driven(spec)
    if spec.drive_parameters(values):
        raise CliError("--target-G computes the drive and the bare detuning: do not give the "
                       "drive as well")
    G = spec.parameter[c.G].parse(args.target_G) if c.G in spec.parameter else None
    if G is None:
        raise CliError(f"--target-G sets the effective coupling, which model {spec.name} "
                       f"does not name as a parameter")
    if not G > 0:
        raise CliError(f"--target-G must be positive (got {args.target_G}): G is taken real "
                       f"and positive")
    system = build_system(spec, {**values, c.G: G}, branch=None)
    G0 = float(evaluate(c.G_0, system.values, "G_0"))
    if G0 == 0:
        raise CliError("--target-G needs G_0 != 0 (the amplitude is G / (sqrt2 |G_0|))")
    k = spec.mode_names.index(c.modes[0])
    mf = mean_field(system)
    drive = mf.drives[mode.name]
    if drive["Omega"] is None:
        raise ParameterError(f"no drive gives G here: {dict(mf.undefined)}")
    yig = c.yig
    d = None if yig is None else system.values.get(yig.diameter)
    if yig is not None and d is None:
        raise CliError(f"--target-G needs the sphere diameter (--set {yig.diameter}=250um)")
    bare = yig.bare_detuning if yig is not None else f"{mode.detuning}0"
    rows = {}
    for name, omega in (("eq3", drive["Omega"]), ("eq4", drive["Omega_eq4"])):
        if omega is None:
            rows[name] = None
            continue
        row = {bare: drive["bare_detuning"], "Omega_over_2pi": omega}
        if yig is not None:
            P = ph.power_for_rabi(2 * math.pi * omega, float(d))
            row = {"P": P, **row, "B_0": float(ph.drive_field(P, float(d)))}
        rows[name] = row
    det = float(system.frequency[k])
    out = {"target_G": G, mode.detuning: det, "G_0": G0, **rows["eq3"], "eq4": rows["eq4"],
           "undefined": {"eq4": why for f, why in mf.undefined if f == "Omega_eq4"},
           "units": {bare: "Hz", "Omega_over_2pi": "Hz", "target_G": "Hz", mode.detuning: "Hz",
                     "G_0": "Hz"}}
    n = float(system.means[k][1]) ** 2
    lines = [f"G = {G / 1e6:g} MHz at {mode.detuning} = {det / 1e6:g} MHz (G_0 = {G0:g} Hz) "
             f"needs"]
    if yig is not None:
        out.update({yig.diameter: float(d), "N_spins": ph.spin_number(float(d))})
        out["units"].update({"P": "W", "B_0": "T", yig.diameter: "m"})
        out["kerr_yig"] = ph.kerr_check(ph.kerr_coefficient(float(d)), n,
                                        float(system.decay[k]),
                                        2 * math.pi * rows["eq3"]["Omega_over_2pi"])
        eq4 = (f"{rows['eq4']['P'] * 1e3:.4g} mW (Eq. 4, the paper's approximation)"
               if rows["eq4"] else f"Eq. 4 undefined here ({out['undefined'].get('eq4')})")
        lines.append(f"  P = {rows['eq3']['P'] * 1e3:.4g} mW (Eq. 3, exact), {eq4} for a sphere "
                     f"of {float(d) * 1e6:g} um")
    else:
        lines.append(f"  a drive E/2pi = {drive['Omega'] / 1e6:.6g} MHz")
    lines.append(f"  bare detuning {bare} = {drive['bare_detuning'] / 1e6:.6g} MHz")
    if yig is not None:
        lines.append(f"  |<{mode.name}>| = {math.sqrt(n):.4g}; {kerr_text(out['kerr_yig'])}")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK


def _branches(args, spec, values) -> int:
    """Every mean-field branch of the physical drive."""
    args.branch = args.branch or "lowest"        # list every branch, whichever is chosen
    s = load_system(args)
    k, l = s.drive[0], s.drive[1]
    c, mode = _driven(spec)
    name = mode.name
    omega = 2 * math.pi * s.drive[3]             # rad/s
    kerr = _kerr_param(spec, c)
    K = 0.0 if kerr is None else float(evaluate(kerr.rate, s.values, "kerr"))
    yig = c.yig if c.yig is not None and values.get(c.yig.power) is not None else None
    K_yig = None if yig is None else ph.kerr_coefficient(float(s.values[yig.diameter]))
    # the effective detuning under the name of the parameter that holds it in the effective
    # form (a YIG drive's Delta_m); with 'drive = E' the mode's parameter is the bare one
    label = mode.detuning if c.yig is not None else "detuning"
    rows = []
    for b in s.branches:
        row = b.to_dict()
        row.update({f"abs_{name}": math.sqrt(b.n), f"phase_{name}": float(np.angle(b.means[k])),
                    "q": float(b.means[l].real * math.sqrt(2)), label: b.detuning,
                    "kerr_shift": K * (2 * b.n + 1)})
        if K != 0:
            row["kerr"] = ph.kerr_check(K, b.n, float(s.decay[k]), omega)
            row["kerr_negligible"] = row["kerr"]["negligible"]
        if yig is not None:
            row["kerr_yig"] = ph.kerr_check(K_yig, b.n, float(s.decay[k]), omega)
        rows.append(row)
    out = {"model": model_info(s), "branches": rows,
           "params": {key: v for key, v in spec.values(values).items() if v is not None},
           "units": {"n": "quanta", "G": "Hz", "detuning": "Hz", label: "Hz",
                     "max_real_eigenvalue": "Hz", "means": "sqrt(quanta)",
                     f"phase_{name}": "rad", "Omega_over_2pi": "Hz"},
           "Omega_over_2pi": s.drive[3],
           "phase_convention": f"phase_{name} and means are those of a real drive; the "
                               f"effective model rotates the field modes by a common phase "
                               f"so that G is real"}
    lines = [f"model {s.name}: drive Omega/2pi = {s.drive[3] / 1e6:g} MHz on mode {name} "
             f"(bare detuning {s.drive[4] / 1e6:g} MHz): {len(rows)} branch(es)"]
    if yig is not None:
        P, d = float(s.values[yig.power]), float(s.values[yig.diameter])
        out.update({"N_spins": ph.spin_number(d), "B_0": float(ph.drive_field(P, d))})
        out["units"]["B_0"] = "T"
        lines[0] = (f"P = {P * 1e3:g} mW, diameter {d * 1e6:g} um, {yig.bare_detuning} = "
                    f"{s.drive[4] / 1e6:g} MHz: {len(rows)} branch(es)")
    for b, row in zip(s.branches, rows):
        lines.append(f"  [{b.index}] |<{name}>| = {math.sqrt(b.n):.4g}, G = {b.G / 1e6:.4f} MHz, "
                     f"{label} = {b.detuning / 1e6:.4f} MHz, <q> = {row['q']:.4g}, "
                     f"{'stable' if b.stable else 'unstable'} (max Re lambda/2pi = "
                     f"{b.max_real_eigenvalue:.4g} Hz)")
        if yig is not None:
            lines.append(f"      {kerr_text(row['kerr_yig'], used=K == K_yig)}")
        if K != 0 and K != K_yig:
            lines.append(f"      {kerr_text(row['kerr'], yig=False)}")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK


def run(args) -> int:
    refuse_options(args, ("branch",), "the commands that solve one branch (meanfield lists "
                                      "every branch)")
    refuse_options(args, ("pair",), "the commands that give a pair's E_N and Duan sum")
    spec = load_model(args.model or "paper")
    values = input_values(args, spec)
    if args.target_G is not None:
        return _target(args, spec, values)
    if spec.drive_parameters(values):
        return _branches(args, spec, values)
    s = load_system(args)
    rows = [{"mode": s.mode_names[k], "abs_mean": float(amp),
             "mean": {"re": 0.0, "im": float(-sigma * amp)}} for k, (sigma, amp) in s.means.items()]
    lines = [f"model {s.name}: effective parametrization; the driven modes' mean fields "
             f"follow from G = sqrt2 |G_0| |<k>|:"]
    lines += [f"  <{r['mode']}> = {r['mean']['im']:.6g} i" for r in rows]
    mf = mean_field(s)
    if mf is not None:
        for k, d in mf.drives.items():
            if d["Omega"] is not None:
                what = ("the power" if any(c.yig for c in s.spec.couplings) else
                        "the drive for another G")
                lines.append(f"  the drive on {k}: Omega/2pi = {d['Omega'] / 1e6:.6g} MHz at the "
                             f"bare detuning {d['bare_detuning'] / 1e6:.6g} MHz (--target-G "
                             f"gives {what})")
    out = {"model": model_info(s), "driven_modes": rows, "params": s.to_dict(),
           "mean_field": None if mf is None else mf.to_dict(),
           "phase_convention": "<k> = -i sign(G_0) |<k>| (G real, positive)"}
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK
