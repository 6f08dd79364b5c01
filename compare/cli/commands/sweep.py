"""``mwent sweep``: a grid of points with any engine, stored as it goes and resumable."""
from __future__ import annotations

import contextlib
import os

from compare.batch.store import StoreError
from compare.cli.commands.qmodel import QMODEL_OPTIONS, add_qmodel_options
from compare.cli.options import (EXIT_ERROR, EXIT_INPUT, EXIT_OK, CliError, check_output_dir,
                                 check_output_prefix, grid_inputs, refuse_options, sweep_progress,
                                 sweep_settings)
from compare.cli.serialize import emit
from compare.defaults import TOLERANCE
from linearized.description.units import ParameterError
from linearized.sweep import npz_path, read_meta

HELP = "evaluate a grid of parameter points (resumable)"
DESCRIPTION = ("Evaluate the linearized theory, the master equation or the comparison on "
               "every point of a grid.  Each point is written to an SQLite store as it "
               "finishes; rerunning the same command reuses stored points (interrupt it at "
               "any time).  --out PATH writes the grid to PATH.npz; an existing PATH.npz "
               "of a different sweep is refused unless --overwrite is given.")

AXIS_HELP = ("sweep axis KEY=START:STOP:N (inclusive ends, unit suffixes allowed), or "
             "KEY=START:STOP:N:log for geometric spacing; repeatable")


def add_executor_options(p) -> None:
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="where points run: local processes (default) or an existing Dask "
                        "cluster (--scheduler; install the 'dask' extra)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler address for --executor dask, e.g. tcp://HOST:8786, "
                        "or 'local': a Dask LocalCluster here (--workers processes, one "
                        "thread each)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: all cores, one BLAS thread each)")
    p.add_argument("--retry-failed", action="store_true",
                   help="recompute points stored as failed (by default a stored failure is "
                        "reused with its reason)")


def add_arguments(p) -> None:
    p.add_argument("--engine", choices=["linearized", "qmodel", "compare"], default="linearized",
                   help="linearized: the Gaussian theory, batched (default); qmodel: the "
                        "master equation per point; compare: both, with a verdict per point")
    p.add_argument("--axis", action="append", default=[], metavar="KEY=START:STOP:N[:log]",
                   help=AXIS_HELP)
    p.add_argument("--out", metavar="PATH",
                   help="write the grid to PATH.npz and keep the results in PATH.sqlite "
                        "(rerunning the same command resumes from it)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace PATH.npz even if it holds a different sweep (other engine, "
                        "axes, parameters or settings) or is not a mwent sweep file")
    p.add_argument("--store", metavar="FILE.sqlite",
                   help="result store (default PATH.sqlite with --out, else in memory)")
    add_executor_options(p)
    p.add_argument("--tolerance", type=float, default=TOLERANCE,
                   help=f"agreement tolerance of the compare engine (default {TOLERANCE:g})")
    p.add_argument("--report", metavar="DIR",
                   help="compare engine: write report.html, report.md and the figure into DIR")
    p.add_argument("--list-points", action="store_true",
                   help="with --json, also list every point (status, result, reason); by "
                        "default the JSON is a summary")
    add_qmodel_options(p)


@contextlib.contextmanager
def sweep_errors(store_path):
    """Map a sweep's store, executor and write failures to one-sentence errors (used by
    ``sweep`` and by ``figure --engine compare``)."""
    # threadpoolctl and tqdm load when a sweep runs, not with every command's --help
    from compare.batch.executors import SchedulerUnreachable, SweepError
    try:
        yield
    except StoreError as exc:
        raise CliError(str(exc))
    except SchedulerUnreachable as exc:    # the address given: bad input, nothing computed
        raise CliError(str(exc), EXIT_INPUT)
    except SweepError as exc:
        raise CliError(str(exc), EXIT_ERROR)
    except OSError as exc:
        raise CliError(f"cannot write the sweep's results ({exc.strerror or exc}: "
                       f"{exc.filename or store_path})", EXIT_ERROR)


def run_grid(args, engine, base, axes, store_path, settings):
    """Run the sweep, mapping executor and store failures to one-sentence errors."""
    # threadpoolctl and tqdm load when a sweep runs, not with every command's --help
    from compare.batch.sweeps import run_sweep
    with sweep_errors(store_path):
        return run_sweep(engine, base, axes, store_path, settings, executor=args.executor,
                         scheduler=args.scheduler, workers=args.workers,
                         progress=sweep_progress(),
                         retry_failed=getattr(args, "retry_failed", False))


def check_same_sweep(out: str, engine, base, axes, settings) -> None:
    """Refuse (exit 2) to overwrite ``out.npz`` when it holds a different sweep, one written
    by an older mwent without an identity, or a file that is not a mwent sweep."""

    # threadpoolctl and tqdm load when a sweep runs, not with every command's --help
    from compare.batch.sweeps import sweep_identity
    path = npz_path(out)
    if not os.path.exists(path):
        return
    try:
        meta = read_meta(path)
    except ParameterError:
        raise CliError(f"{path} exists and is not a mwent sweep file; choose another --out "
                       f"or pass --overwrite to replace it")
    if meta.get("sweep_key") != sweep_identity(engine, base, axes, settings):
        raise CliError(f"{path} holds a different sweep (engine, axes, parameters or settings "
                       f"differ, or an older mwent wrote it); choose another --out or pass "
                       f"--overwrite to replace it")


def run(args) -> int:
    if not args.axis:
        raise CliError("sweep needs at least one --axis KEY=START:STOP:N")
    if args.report and args.engine != "compare":
        raise CliError("--report needs --engine compare (it shows both methods)")
    if not args.out:
        refuse_options(args, ("overwrite",), "--out (it replaces PATH.npz)")
    if not args.json:
        refuse_options(args, ("list_points",), "--json (the text summary lists no points)")
    base, axes = grid_inputs(args)
    if args.engine == "linearized":
        refuse_options(args, ("executor", "scheduler", "workers"),
                       "--engine qmodel or compare (the linearized engine solves the whole "
                       "grid at once, in this process)")
        refuse_options(args, QMODEL_OPTIONS, "--engine qmodel or compare (the master "
                                             "equation)")
    if args.engine != "compare":
        refuse_options(args, ("tolerance",), "--engine compare (the verdict)")
    settings = sweep_settings(args, args.engine, base)
    if args.out:
        check_output_prefix(args.out, "--out")
        if not args.overwrite:
            check_same_sweep(args.out, args.engine, base, axes, settings)
    if args.store:
        check_output_prefix(args.store, "--store", suffixes=())
    if args.report:
        check_output_dir(args.report, "--report")
    store = args.store or (f"{args.out}.sqlite" if args.out else ":memory:")
    run_ = run_grid(args, args.engine, base, axes, store, settings)
    sweep = run_.to_sweep()
    out = sweep.summary()
    failed = run_.failures()
    out.update({"computed": run_.computed, "reused": run_.reused, "store": run_.store,
                "failed": len(failed), "failed_reasons": sorted(set(failed))[:20]})
    fixed = args.engine == "qmodel" and settings.get("cutoffs") is not None
    if fixed:
        out["fixed_truncation"] = True
    if args.list_points:
        out["points"] = run_.points
    if args.out:
        out["file"] = sweep.save(args.out)
    if args.report:
        from compare.report import \
            write_sweep_report  # Matplotlib: only when a report is asked for
        out["report"] = write_sweep_report(run_, args.report)
    lines = [f"{out['engine']} sweep over " + " x ".join(
        f"{a['key']} ({a['n']} points)" for a in out["axes"]),
        f"  computed {run_.computed}, reused {run_.reused} from {run_.store}; "
        f"unstable {out['unstable_points']}, failed {out['failed']}"]
    if "E_N_max" in out:
        lines.append(f"  max E_N = {out['E_N_max']:.6f} at " + ", ".join(
            f"{k} = {v:.6g} {a['unit']}" for (k, v), a in zip(out["E_N_max_at"].items(),
                                                              out["axes"])))
        lines.append(f"  min Duan sum = {out['duan_min']:.6f}")
    if args.engine == "compare":
        verdicts = [p["result"]["verdict"] for p in run_.points if p["status"] == "ok"]
        out["verdicts"] = {v: verdicts.count(v) for v in sorted(set(verdicts))}
        lines.append("  verdicts: " + ", ".join(f"{v} {n}" for v, n in out["verdicts"].items()))
    if fixed:
        lines.append("  fixed truncation (--cutoffs): the values are not converged results "
                     "(no growth evidence)")
    for reason in out["failed_reasons"][:5]:
        lines.append(f"  failed: {reason}")
    if failed:
        lines.append("  (stored failures are reused; rerun with --retry-failed to recompute "
                     "them)")
    if args.out:
        lines.append(f"  written to {out['file']}")
    if args.report:
        lines.append(f"  report: {out['report']['html']}")
    emit(out, args.json, "\n".join(lines))
    return EXIT_OK
