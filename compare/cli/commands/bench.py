"""``mwent bench``: speed as ratios against baselines run in the same process."""
from __future__ import annotations

import sys

from compare.cli.options import (EXIT_OK, PROGRESS, CliError, load_system, refuse_options,
                                 refuse_set)
from compare.cli.serialize import emit
from qmodel.defaults import MAX_DIM

HELP = "speed, as ratios against baselines run in this process"
DESCRIPTION = ("Time what a user runs against a baseline in the same process and print the "
               "ratios: the linearized grid solver and the 'mwent sweep' command itself "
               "against a per-point SciPy loop, the master equation against QuTiP's default "
               "steadystate.")


def add_arguments(p) -> None:
    p.add_argument("--points", type=int, default=201, metavar="N",
                   help="points per axis: the N x N grid for the linearized and sweep benchmarks (default 201)")
    p.add_argument("--only", choices=["linearized", "sweep", "qmodel", "truncation",
                                      "commands"],
                   help="run one part only (default: all but truncation and commands; sweep "
                        "times the 'mwent sweep' command on N x N and 2 x 2 against the SciPy "
                        "loop; truncation times 'mwent qmodel' on the given point with the box "
                        "truncation (baseline, capped at --cap) and the probability one, "
                        "with each solve's dimension and seconds; commands times four "
                        "commands end to end (the paper's compare, the 160 mK point, a "
                        "three-mode model's compare, compare --output at 1 MHz) beside the "
                        "same commands with the box truncation and with QuTiP's steady state, "
                        "each capped at --cap)")
    p.add_argument("--cap", type=float, default=60.0, metavar="SECONDS",
                   help="time cap for QuTiP's default steadystate, and with --only "
                        "truncation for each of the two runs (default 60; a hot point's box "
                        "needs minutes)")
    p.add_argument("--max-dim", type=int, default=MAX_DIM, metavar="N",
                   help=f"--only truncation: largest dimension both truncations may grow to "
                        f"(default {MAX_DIM}: one fixed limit for both; a hot point's box "
                        f"baseline needs more, e.g. 6000)")
    p.add_argument("--scaling", type=float, default=0.0, metavar="SECONDS",
                   help="also find the largest plain-basis dimension solved within this "
                        "time (default: skip)")


def _f(x) -> str:
    return "none" if x is None else f"{x:.7f}"


def _param_args(args) -> list:
    """The parameter options of this command, passed on to the benchmarked sweep."""
    out = ["--preset", args.preset] if args.preset else []
    out += ["--model", args.model] if args.model else []
    out += ["--pair", args.pair] if args.pair else []
    out += ["--config", args.config] if args.config else []
    for s in args.set:
        out += ["--set", s]
    return out + (["--branch", args.branch] if args.branch else [])


def _ratio(x) -> str:
    return "none" if x is None else x if isinstance(x, str) else f"{x:.1f}x"


def _took(r) -> str:
    if r["seconds"] is None:
        return f"> {r['capped_at']:.0f} s (capped)"
    what = r.get("verdict") or ("converged" if r.get("converged") else
                                f"exit {r['exit_code']}")
    return f"{r['seconds']:.1f} s ({what}" + (f", d = {r['dim']})" if r.get("dim") else ")")


def _commands(args) -> int:
    # the benchmarks load QuTiP and SciPy: only for this command, not for every --help
    from compare.bench import bench_commands
    rows = bench_commands(args.cap, progress=lambda what: print(f"{PROGRESS} {what}",
                                                                 file=sys.stderr, flush=True))
    lines = []
    for r in rows:
        lines.append(f"{r['case']}: {r['command']}")
        lines.append(f"  default {_took(r['default'])}; box {_took(r['box'])}, ratio "
                     f"{_ratio(r['ratio_box'])}; QuTiP steadystate {_took(r['qutip'])}, "
                     f"ratio {_ratio(r['ratio_qutip'])}")
    emit({"commands": rows, "cap": args.cap}, args.json, "\n".join(lines))
    return EXIT_OK


def run(args) -> int:
    # the benchmarks load QuTiP and SciPy: only for this command, not for every --help
    from compare.bench import bench_linearized
    parts = ("linearized", "sweep", "qmodel") if args.only is None else (args.only,)
    for dest, used_by in (("points", ("linearized", "sweep")), ("cap", ("qmodel", "truncation")),
                          ("max_dim", ("truncation",)), ("scaling", ("qmodel",))):
        if args.only == "commands" and dest == "cap":
            continue
        if not set(parts) & set(used_by):
            refuse_options(args, (dest,), " or ".join(f"--only {u}" for u in used_by)
                           + (" (or no --only)" if set(used_by) - {"truncation"} else ""))
    if args.only == "commands":
        refuse_options(args, ("preset", "model", "pair", "config", "branch"),
                       "the other parts (the commands benchmark runs its own four cases)")
        if args.set:
            raise CliError("--set is not used by --only commands (it runs its own four cases)")
        return _commands(args)
    base = load_system(args)
    if set(parts) & {"linearized", "sweep"}:
        # the benchmarks load QuTiP and SciPy: only for this command, not for every --help
        from compare.bench import bench_axes
        refuse_set(args, bench_axes(base), "is replaced by the linearized and sweep "
                                           "benchmarks' axis {key} (+-20 MHz); run them "
                                           "without it, or with --only qmodel")
    if not 2 <= args.points <= 2001:
        raise CliError("--points must be between 2 and 2001")
    out, lines = {}, []
    if args.only in (None, "linearized"):
        lin = out["linearized"] = bench_linearized(base, args.points)
        lines.append(
            f"linearized E_N map {lin['grid'][0]}x{lin['grid'][1]} over "
            f"{' x '.join(lin['axes'])}: batched "
            f"{lin['batched_seconds']:.3f} s (cold {lin['cold_seconds']:.3f} s), per-point "
            f"scipy loop {lin['scipy_loop_seconds']:.3f} s, speed-up {lin['speedup']:.1f}x, "
            f"max |dE_N| = {lin['max_abs_diff_E_N']:.2e}; vs the SciPy solve alone "
            f"{lin['speedup_vs_solve_only']:.1f}x")
    if args.only in (None, "sweep"):
        # the benchmarks load QuTiP and SciPy: only for this command, not for every --help
        from compare.bench import bench_sweep_command
        lin = out.get("linearized")
        scipy_seconds = ((lin["scipy_loop_seconds"], lin["scipy_solve_only_seconds"])
                         if lin else None)
        sw = out["sweep_command"] = bench_sweep_command(
            base, _param_args(args), args.points, scipy_seconds=scipy_seconds)
        e2e = sw["end_to_end_seconds"] or {}
        lines.append(
            f"sweep command {sw['grid'][0]}x{sw['grid'][1]}: {sw['seconds']:.3f} s, 2x2 "
            f"{sw['seconds_2x2']:.3f} s in process ("
            + ", ".join(f"{k} {v:.2f} s" for k, v in e2e.items())
            + f" as a new process); per point {sw['per_point_seconds'] * 1e6:.2f} us vs "
            f"SciPy loop {sw['scipy_per_point_seconds'] * 1e6:.1f} us: "
            f"{sw['per_point_ratio']:.1f}x ({sw['per_point_ratio_vs_solve_only']:.1f}x vs "
            f"the SciPy solve alone)")
    if args.only in (None, "qmodel"):
        # the benchmarks load QuTiP and SciPy: only for this command, not for every --help
        from compare.bench import bench_qmodel
        q = out["qmodel"] = bench_qmodel(base, args.cap, args.scaling)
        po = q["model_point"]
        what = f"model {base.name} point"
        lines.append(f"qmodel {what} converged ({po['basis']} basis, d = {po['dim']}): "
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
    if args.only == "truncation":
        # the benchmarks load QuTiP and SciPy: only for this command, not for every --help
        from compare.bench import bench_truncation
        if args.max_dim < 2:
            raise CliError("--max-dim must be at least 2")
        tr = out["truncation"] = bench_truncation(_param_args(args), args.cap, args.max_dim)
        for name in ("box", "probability"):
            r = tr[name]
            took = (f"{r['seconds']:.1f} s" if r["seconds"] is not None else
                    f"> {r['capped_at']:.0f} s (capped)")
            state = ("converged" if r["converged"] else
                     f"not converged ({r['reason']})" if r["seconds"] is not None else "")
            lines.append(f"mwent qmodel --truncation {name}: {took} end to end, {state}"
                         + (f", d = {r['dim']}, E_N = {_f(r['E_N'])}" if r["converged"] else ""))
            for st in r["steps"]:
                lines.append(f"  d = {st['dim']}: {st['seconds']:.1f} s "
                             f"({st['iterations']} GMRES iterations), E_N = {_f(st['E_N'])}, "
                             f"Duan = {_f(st['duan'])}")
        sp = tr["speedup"]
        lines.append("ratio box / probability: " + (
            "none (a run did not converge)" if sp is None else
            sp if isinstance(sp, str) else f"{sp:.1f}"))
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK
