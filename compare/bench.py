"""``mwent bench``: speed measured as ratios against a baseline run in the same process."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import qutip
import scipy.linalg

from linearized.measures import log_negativity
from linearized.steady import pair_block, solve_model_grid
from linearized.sweep import grid_params, parse_axis
from qmodel.basis import fock_basis
from qmodel.converge import ConvergenceOptions
from qmodel.defaults import MAX_DIM
from qmodel.master import solve_master
from qmodel.model import build_model
from qmodel.solvers import steady_state


def _timed(fn, repeat=1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_axes(base) -> tuple:
    """The two parameters the benchmarks sweep over +-20 MHz: the detunings of the model's
    first two field modes that are parameters (Delta_1, Delta_2 for the paper)."""
    names = [m.detuning for m in base.spec.modes if not m.mechanical
             and m.detuning in base.spec.parameter
             and base.spec.parameter[m.detuning].unit == "Hz"]
    names += [p.name for p in base.spec.parameters if p.unit == "Hz" and p.name not in names]
    return tuple(names[:2])


def _grid_axes(base, n):
    return [parse_axis(f"{k}=-20MHz:20MHz:{n}", base.spec.parameter) for k in bench_axes(base)]


def bench_linearized(base, n: int = 201) -> dict:
    """Batched E_N map on an ``n x n`` (Delta_1, Delta_2) grid vs a per-point SciPy loop.

    The batched time covers the whole pipeline (drift and diffusion matrices, Lyapunov solve,
    stability, E_N, Duan).  The baseline gets the matrices prebuilt and loops over points with
    ``scipy.linalg.solve_continuous_lyapunov`` and E_N (``speedup``); a second ratio charges
    the loop for the SciPy solve alone (``speedup_vs_solve_only``), the strictest comparison.  The first batched call (symbolic factorisation, loading the compiled
    kernel) is reported separately as ``cold_seconds``.
    """
    axes = _grid_axes(base, n)
    grid = grid_params(base, axes)
    solve = solve_model_grid
    cold, _ = _timed(lambda: solve(grid))
    batched, res = _timed(lambda: solve(grid), repeat=3)
    baseline, solve_only_time, en_loop = _scipy_loops(grid)
    en = res.E_N.reshape(-1)
    ok = res.stable.reshape(-1)
    return {
        "grid": [n, n], "points": n * n, "mech_bath": base.mech_bath,
        "axes": [a.key for a in axes],
        "batched_seconds": batched, "cold_seconds": cold, "scipy_loop_seconds": baseline,
        "speedup": baseline / batched,
        "scipy_solve_only_seconds": solve_only_time,
        "speedup_vs_solve_only": solve_only_time / batched,
        "max_abs_diff_E_N": float(np.max(np.abs(en[ok] - en_loop[ok]))) if ok.any() else None,
    }


def _scipy_loops(grid):
    """The per-point SciPy baseline on ``grid`` (matrices prebuilt, not timed): seconds for
    ``solve_continuous_lyapunov`` + E_N at every point, seconds for the solve alone, and the
    E_N values."""
    A, D, pair = grid.drift_matrix(), grid.diffusion_matrix(), grid.pair
    n2 = A.shape[-1]
    A, D = A.reshape(-1, n2, n2), D.reshape(-1, n2, n2)

    def loop():
        out = np.empty(len(A))
        for i in range(len(A)):
            C = scipy.linalg.solve_continuous_lyapunov(A[i], -D[i])
            out[i] = log_negativity(pair_block(C, *pair))
        return out

    def solve_only():
        for i in range(len(A)):
            scipy.linalg.solve_continuous_lyapunov(A[i], -D[i])

    baseline, en = _timed(loop)
    solve_only_time, _ = _timed(solve_only)
    return baseline, solve_only_time, en


def _sweep_argv(n: int, param_args, out: str, keys=("Delta_1", "Delta_2")) -> list:
    return ["sweep", "--engine", "linearized", *param_args,
            "--axis", f"{keys[0]}=-20MHz:20MHz:{n}", "--axis", f"{keys[1]}=-20MHz:20MHz:{n}",
            "--out", out, "--json"]


def bench_sweep_command(base, param_args=(), n: int = 201, repeat: int = 3,
                        scipy_seconds: tuple | None = None, end_to_end: bool = True) -> dict:
    """The command a user runs, ``mwent sweep --engine linearized ... --axis
    Delta_1=-20MHz:20MHz:N --axis Delta_2=-20MHz:20MHz:N --out PATH``, against the per-point
    SciPy loop on the same grid.

    The command runs as a new ``python -m compare`` process (store and ``.npz`` written, each
    run into a fresh ``--out`` so nothing is reused), best of ``repeat``, on N x N and on
    2 x 2; an untimed first 2 x 2 run pays the one-time costs (loading the compiled kernel).
    The command's own per-point cost is ``(t_NxN - t_2x2) / (N^2 - 4)``, so start-up is not
    counted; ``per_point_ratio`` is the SciPy loop's per-point cost (solve + E_N,
    matrices prebuilt; ``scipy_seconds`` = (loop, solve alone) if already measured on this
    grid) over it.  ``end_to_end`` also times both sizes as a fresh ``python -m compare``
    process, start-up included (what a user waits for).
    """
    param_args = list(param_args)
    keys = bench_axes(base)
    with tempfile.TemporaryDirectory(prefix="mwent-bench-") as tmp:
        count = iter(range(10 ** 6))

        def run(size):
            argv = _sweep_argv(size, param_args, os.path.join(tmp, f"run{next(count)}"), keys)
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "compare", *argv], capture_output=True,
                               text=True)
            sec = time.perf_counter() - t
            if r.returncode != 0:
                raise RuntimeError(f"the benchmarked sweep command failed (exit "
                                   f"{r.returncode}): {r.stderr.strip()}")
            return sec

        run(2)
        small = min(run(2) for _ in range(repeat))
        large = min(run(n) for _ in range(repeat))
        e2e = None
        if end_to_end:
            e2e = {}
            for size in (n, 2):
                cmd = [sys.executable, "-m", "compare",
                       *_sweep_argv(size, param_args, os.path.join(tmp, f"e2e{size}"), keys)]
                t = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True)
                e2e[f"{size}x{size}"] = time.perf_counter() - t
    if scipy_seconds is None:
        loop, solve_only, _ = _scipy_loops(grid_params(base, _grid_axes(base, n)))
    else:
        loop, solve_only = scipy_seconds
    points = n * n
    per_point = max(large - small, 1e-9) / max(points - 4, 1)
    return {
        "grid": [n, n], "points": points,
        "command": "mwent " + " ".join(_sweep_argv(n, param_args, "PATH", keys)),
        "seconds": large, "seconds_2x2": small, "per_point_seconds": per_point,
        "scipy_loop_seconds": loop, "scipy_per_point_seconds": loop / points,
        "per_point_ratio": loop / points / per_point,
        "scipy_solve_only_seconds": solve_only,
        "per_point_ratio_vs_solve_only": solve_only / points / per_point,
        "end_to_end_seconds": e2e,
    }


def _qutip_default_worker(params, cutoffs, queue):
    model = build_model(params, fock_basis(cutoffs))
    dims = model.basis.dims
    t = time.perf_counter()
    qutip.steadystate(qutip.Qobj(model.H, dims=dims), [qutip.Qobj(L, dims=dims)
                                                        for L in model.c_ops])
    queue.put(time.perf_counter() - t)


def _time_qutip_default(params, cutoffs, cap):
    """QuTiP's default ``steadystate(H, c_ops)`` in a child process, killed after ``cap`` s."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_qutip_default_worker, args=(params, tuple(cutoffs), queue))
    proc.start()
    proc.join(cap)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return queue.get() if not queue.empty() else None


def bench_qmodel(base, cap: float = 60.0, scaling_budget: float = 0.0) -> dict:
    """Master-equation figures: the converged paper optimum, the Krylov solver against QuTiP's
    default ``steadystate`` at plain cutoffs (3,3,3,3) and (4,4,4,4) with QuTiP capped at
    ``cap`` seconds, and optionally (``scaling_budget`` > 0 s) the largest plain-basis
    dimension the Krylov solver handles within that budget, with its peak memory."""
    params = base.replace(mech_bath="lindblad")
    n = params.n_modes
    t = time.perf_counter()
    res = solve_master(params, ConvergenceOptions(basis="normal", tol=1e-4))
    out = {"model_point": {"seconds": time.perf_counter() - t, "E_N": res.measures.E_N,
                             "E_N_gaussian": res.measures.E_N_gaussian,
                             "cutoffs": list(res.cutoffs), "dim": res.dim,
                             "converged": res.converged, "basis": "normal"}}
    rows = []
    for cut in ((3,) * n, (4,) * n):
        basis = fock_basis(cut)
        t = time.perf_counter()
        steady_state(build_model(params, basis))
        ours = time.perf_counter() - t
        theirs = _time_qutip_default(params, cut, cap)
        rows.append({"cutoffs": list(cut), "dim": basis.dim, "krylov_seconds": ours,
                     "qutip_default_seconds": theirs,
                     "qutip_capped_at": None if theirs is not None else cap,
                     "speedup": (theirs / ours) if theirs is not None else f"> {cap / ours:.0f}"})
    out["vs_qutip_default"] = rows
    if scaling_budget > 0:
        out["scaling"] = _scaling(params, scaling_budget)
    return out


def _scaling(params, budget):
    """Time the Krylov solver on growing plain cutoffs until one solve exceeds the budget."""
    rows, n = [], 4
    while True:
        cut = (n,) * params.n_modes
        basis = fock_basis(cut)
        t = time.perf_counter()
        steady_state(build_model(params, basis))
        sec = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB on Linux
        rows.append({"cutoffs": list(cut), "dim": basis.dim, "seconds": sec,
                     "peak_rss_mib": peak})
        if sec * 3 > budget:
            break
        n += 1
    return rows


def _qmodel_command(param_args, truncation: str, cap: float, max_dim: int) -> dict:
    """``mwent qmodel ... --truncation T --max-dim N --json`` as a new process (start-up
    included), at most ``cap`` seconds: its wall time, exit code and JSON."""
    argv = [sys.executable, "-m", "compare", "qmodel", *param_args, "--set",
            "mech_bath=lindblad", "--truncation", truncation, "--max-dim", str(max_dim),
            "--json"]
    t = time.perf_counter()
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "capped_at": cap, "exit_code": None, "result": None}
    sec = time.perf_counter() - t
    try:
        result = json.loads(r.stdout)
    except ValueError:
        result = None
    return {"seconds": sec, "capped_at": None, "exit_code": r.returncode, "result": result}


def bench_truncation(param_args=(), cap: float = 600.0, max_dim: int = MAX_DIM) -> dict:
    """The box against the probability truncation on one point, end to end: the command
    ``mwent qmodel`` (a new process, mech_bath=lindblad) with ``--truncation box`` (the
    baseline, capped at ``cap`` seconds) and ``--truncation probability``, run one after the
    other in this process, both with ``--max-dim max_dim`` (one fixed limit for both, not the
    memory's; too small a limit refuses a hot point's first box at once, which times
    nothing).  Each run's history gives the
    scaling table: the dimension, the seconds of each solve and its E_N and Duan sum.  The
    ratio is given only when both converged, as a bound when the box hit the cap."""
    out = {"max_dim": max_dim}
    # untimed: compiles (or loads) the solver's kernels, so that neither timed run pays for it
    _qmodel_command(["--basis", "fock", "--cutoffs", "2,2,2,2"], "box", cap, max_dim)
    for trunc in ("box", "probability"):
        run = _qmodel_command(list(param_args), trunc, cap, max_dim)
        res = run["result"] or {}
        hist = res.get("history") or []
        run["steps"] = [{"dim": h.get("dim"), "seconds": h.get("seconds"),
                         "iterations": h.get("iterations"), "E_N": h.get("E_N"),
                         "duan": h.get("duan"), "cutoffs": h.get("cutoffs"),
                         "eps": h.get("eps")} for h in hist]
        run["converged"] = res.get("converged")
        run["dim"] = res.get("dim")
        run["E_N"] = res.get("E_N")
        run["duan"] = res.get("duan")
        run["reason"] = res.get("not_converged_because") or res.get("error")
        run.pop("result")
        out[trunc] = run
    box, prob = out["box"], out["probability"]
    p = prob["seconds"] if prob["converged"] else None
    if p and box["converged"]:
        out["speedup"] = box["seconds"] / p
    elif p and box["capped_at"] is not None:
        out["speedup"] = f"> {cap / p:.1f}"
    else:                      # a failure is not a baseline
        out["speedup"] = None
    return out


#: a three-mode model like the one issue 20 was measured on: two microwave cavities on one
#: 10 MHz mechanical mode (a 15 mK bath, about 30 thermal phonons), the red-detuned cavity
#: cooling it and the blue-detuned one entangled with it (linearized E_N(c, b) = 0.669; each
#: mode holds 1.5 to 1.8 quanta, so its normal modes need tens of levels)
THREE_MODE_MODEL = '''\
name = "twosideband"
title = "two cavities on the two sidebands of one mechanical mode"
pair = ["c", "b"]
temperature = "T"

[parameters]
Delta_a = { value = "10MHz", doc = "effective detuning of a (red sideband)" }
Delta_c = { value = "-10MHz", doc = "effective detuning of c (blue sideband)" }
kappa = { value = "0.5MHz", doc = "amplitude decay of both cavities" }
G_a = { value = "1MHz", doc = "effective coupling of a" }
G_c = { value = "0.8MHz", doc = "effective coupling of c" }
G_0 = { value = "10Hz", doc = "single-photon coupling (sets the residue)" }
omega_c = { value = "10GHz", doc = "cavity frequency" }
omega_b = { value = "10MHz", doc = "mechanical frequency" }
gamma_b = { value = "100Hz", doc = "mechanical damping" }
T = { value = "15mK", doc = "bath temperature (about 30 phonons)" }
mech_bath = "lindblad"

[[modes]]
name = "a"
detuning = "Delta_a"
decay = "kappa"
bath_frequency = "omega_c"

[[modes]]
name = "c"
detuning = "Delta_c"
decay = "kappa"
bath_frequency = "omega_c"

[[modes]]
name = "b"
mechanical = true
frequency = "omega_b"
damping = "gamma_b"
bath = "mech_bath"

[[couplings]]
kind = "radiation_pressure"
modes = ["a", "b"]
G_0 = "-G_0"
G = "G_a"

[[couplings]]
kind = "radiation_pressure"
modes = ["c", "b"]
G_0 = "-G_0"
G = "G_c"
'''

#: the end-to-end cases of ``mwent bench --only commands``: (name, argv after ``mwent``);
#: ``{three_mode}`` is replaced by the path of :data:`THREE_MODE_MODEL` written out
COMMAND_CASES = (
    ("the paper's compare", ["compare", "--preset", "paper"]),
    ("the Fig. 2(b) optimum at 160 mK", ["qmodel", "--preset", "paper", "--set",
                                         "kappa_2=0.3MHz", "--set", "g_2=2.85MHz", "--set",
                                         "T=160mK"]),
    ("a three-mode model's compare", ["compare", "--model", "{three_mode}"]),
    ("compare --output at 1 MHz", ["compare", "--preset", "paper", "--output", "--bandwidth",
                                   "1MHz"]),
)

#: the baselines each case runs beside the default (probability set, Krylov solver)
BASELINES = {"box": ["--truncation", "box"], "qutip": ["--solver", "qutip-direct"]}


def _command(argv, cap: float) -> dict:
    """``mwent ARGV --json`` as a new process, at most ``cap`` seconds: wall time (start-up
    included), exit code, the verdict or convergence and the final dimension."""
    t = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-m", "compare", *argv, "--json"],
                           capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "capped_at": cap, "exit_code": None}
    sec = time.perf_counter() - t
    try:
        res = json.loads(r.stdout)
    except ValueError:
        res = {}
    # compare nests the master equation's result under "qmodel"; qmodel prints it alone
    me = (res.get("qmodel") or res) if isinstance(res, dict) else {}
    return {"seconds": sec, "capped_at": None, "exit_code": r.returncode,
            "verdict": res.get("verdict"), "converged": me.get("converged"),
            "dim": me.get("dim"), "error": res.get("error") or (r.stderr.strip().splitlines()
                                                                 or [None])[-1]}


def bench_commands(cap: float = 600.0, cases=COMMAND_CASES, baselines=BASELINES,
                   progress=None) -> list:
    """Each case of :data:`COMMAND_CASES` end to end (a new process, start-up included) with
    the default settings and beside it, in the same run, each baseline of :data:`BASELINES`:
    the box truncation, and QuTiP's default steady state (``--solver qutip-direct``) for
    every solve, each capped at ``cap`` seconds.  A ratio is given when the baseline finished
    with exit 0 or 4 and the same verdict as ours, as a lower bound when it hit the cap, else
    None."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="mwent-bench-") as tmp:
        three = os.path.join(tmp, "twosideband.toml")
        with open(three, "w") as fh:
            fh.write(THREE_MODE_MODEL)
        # untimed: compiles (or loads) the solver's kernels, so no timed run pays for it
        _command(["qmodel", "--basis", "fock", "--cutoffs", "2,2,2,2"], cap)
        for name, argv in cases:
            argv = [a.replace("{three_mode}", three) for a in argv]
            row = {"case": name, "command": "mwent " + " ".join(argv).replace(three,
                                                                              "MODEL.toml")}
            if progress:
                progress(f"{name}: default")
            row["default"] = ours = _command(argv, cap)
            for key, extra in baselines.items():
                if progress:
                    progress(f"{name}: baseline {key}")
                base = row[key] = _command(argv + extra, cap)
                if ours["seconds"] is None:
                    row[f"ratio_{key}"] = None
                elif (base["seconds"] is not None and base["exit_code"] in (0, 4)
                      and (base["exit_code"], base.get("verdict"))
                      == (ours["exit_code"], ours.get("verdict"))):
                    # the same outcome only: a baseline that gave up at once is no baseline
                    row[f"ratio_{key}"] = base["seconds"] / ours["seconds"]
                elif base["capped_at"] is not None:
                    row[f"ratio_{key}"] = f"> {cap / ours['seconds']:.1f}"
                else:
                    row[f"ratio_{key}"] = None
            rows.append(row)
    return rows
