"""``mwent output``: entanglement of the filtered output fields of a model's pair (linear
theory)."""
from __future__ import annotations

import math

from compare.cli.commands.linearized import unstable_error
from compare.cli.options import EXIT_OK, CliError, load_system
from compare.cli.serialize import emit
from compare.defaults import OUTPUT_BANDWIDTH
from linearized.description.units import UnitError, parse_quantity
from linearized.output import field_pair, filtered_output
from linearized.steady import solve_model

HELP = "entanglement of the two filtered output fields, with detection efficiency and noise"
DESCRIPTION = (
    "Linearized theory of what leaves the two modes of --pair (field modes with a decay: "
    "cavities, magnons; any model): the output fields a_j^out = sqrt(2 "
    "kappa_j) a_j - a_j^in, each filtered by g(t) = sqrt(2 eps) exp(-(eps + i Omega_j) t) "
    "(Genes, Mari, Tombesi & Vitali, PRA 78, 032316 (2008)); eps/2pi is --bandwidth, "
    "Omega_j/2pi are --centers in the frame rotating at the drive (+omega_b: the resonance of "
    "a cavity at Delta = +omega_b; default: each mode's own detuning).  The covariance matrix "
    "of the two filtered modes is exact (Lyapunov equation of the system plus the two "
    "filters).  Detection: efficiency eta "
    "(V -> eta V + (1 - eta)/2 I per mode), then added noise n quanta (V -> V + n I per "
    "mode; vacuum variance 1/2).  Prints E_N (Eq. 9), the Duan sum (Eq. 10) and its minimum "
    "over the LO phases, for the filtered pair and, for scale, of the two modes themselves.")


def add_arguments(p) -> None:
    p.add_argument("--bandwidth", metavar="FREQ", default=f"{OUTPUT_BANDWIDTH:g}Hz",
                   help=f"filter bandwidth eps/2pi (amplitude half-width), > 0, e.g. 0.1MHz "
                        f"(default {OUTPUT_BANDWIDTH / 1e3:g}kHz)")
    p.add_argument("--centers", metavar="F1,F2",
                   help="filter centres Omega_1/2pi,Omega_2/2pi in the drive frame (default "
                        "each mode's detuning, +omega_b,-omega_b for the paper); write a "
                        "negative first centre with an equals sign after the option")
    p.add_argument("--efficiency", metavar="ETA[,ETA2]", default="1",
                   help="detection efficiency in [0, 1], one for both modes or one each "
                        "(default 1)")
    p.add_argument("--added-noise", metavar="N[,N2]", default="0",
                   help="added detection noise in quanta, >= 0: adds N to each quadrature "
                        "variance of the mode (vacuum 1/2) (default 0)")


def _split(text: str, flag: str, parse) -> tuple:
    parts = [s for s in str(text).split(",")]
    if len(parts) not in (1, 2) or any(not s.strip() for s in parts):
        raise CliError(f"{flag} expects one value or two separated by a comma, got {text!r}")
    values = tuple(parse(s) for s in parts)
    return values if len(values) == 2 else values * 2


def frequency(text: str, flag: str) -> float:
    try:
        return parse_quantity(text, "frequency", flag)
    except UnitError as exc:
        raise CliError(str(exc))


def number(text: str, flag: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CliError(f"{flag}: cannot read {text!r} as a number")
    if not math.isfinite(value):
        raise CliError(f"{flag}: {text!r} is not a finite number")
    return value


def run(args) -> int:
    bandwidth = frequency(args.bandwidth, "--bandwidth")
    if not bandwidth > 0:
        raise CliError(f"--bandwidth must be positive (got {args.bandwidth}): it is the "
                       f"filter's amplitude bandwidth eps/2pi")
    if args.centers is not None and len(str(args.centers).split(",")) != 2:
        raise CliError(f"--centers expects two filter centres F1,F2 (one per mode of the "
                       f"pair), got {args.centers!r}")
    centers = (None if args.centers is None else
               _split(args.centers, "--centers", lambda s: frequency(s, "--centers")))
    eta = _split(args.efficiency, "--efficiency", lambda s: number(s, "--efficiency"))
    if any(not 0 <= e <= 1 for e in eta):
        raise CliError(f"--efficiency must lie in [0, 1] (got {args.efficiency})")
    n_add = _split(args.added_noise, "--added-noise", lambda s: number(s, "--added-noise"))
    if any(n < 0 for n in n_add):
        raise CliError(f"--added-noise must not be negative (got {args.added_noise} quanta)")
    system = load_system(args)
    field_pair(system)              # a pair without an output field: one sentence, exit 2
    res = filtered_output(system, bandwidth, centers, eta, n_add)
    out = res.to_dict()
    if not res.stable:
        raise unstable_error(solve_model(system), out)
    f, c = out["filtered"], out["intracavity"]
    fl = out["filter"]
    mhz = lambda x: f"{x / 1e6:.6g} MHz"
    x, y = system.pair_names
    text = "\n".join([
        f"filtered output modes of {x}, {y} (model {system.name}; bandwidth eps/2pi = "
        f"{mhz(bandwidth)}, centres Omega/2pi = {mhz(fl['centers'][0])}, {mhz(fl['centers'][1])}; efficiency "
        f"{eta[0]:g}, {eta[1]:g}; added noise {n_add[0]:g}, {n_add[1]:g} quanta)",
        f"  E_N (Eq. 9)          = {res.E_N:.6f}   (before detection {res.E_N_ideal:.6f})",
        f"  Duan sum (Eq. 10)    = {res.duan:.6f}",
        f"  Duan, best LO phases = {f['duan_min_lo']['duan']:.6f}   (theta_1 = "
        f"{f['duan_min_lo']['theta_1']:.3f}, theta_2 = {f['duan_min_lo']['theta_2']:.3f} rad)",
        f"intracavity ({x}, {y}), for scale: E_N = {res.intracavity_E_N:.6f}, Duan = "
        f"{res.intracavity_duan:.6f}, best LO {c['duan_min_lo']['duan']:.6f}",
    ])
    emit(out, args.json, text)
    return EXIT_OK
