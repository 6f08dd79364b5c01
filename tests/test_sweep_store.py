"""Sweep stores: versions, retries, resume, executor failures, worker threads, output files."""
import os
import sqlite3

import numpy as np
import pytest

import compare.batch.store as store_mod
import compare.batch.executors as executors
import compare.batch.sweeps as sweeps
from compare.cli import main
from compare.batch.store import Store, StoreError
from compare.batch.executors import SweepError
from compare.batch.sweeps import run_sweep
from linearized.description.parse import load_model
from linearized.steady import solve_model_grid
from linearized.sweep import Sweep, grid_params, parse_axis
from linearized.description.units import ParameterError

PARAMETERS = load_model("paper").parameter

QSET = {"basis": "fock", "cutoffs": [3, 3, 2, 3], "tol": 1e-4, "tail_tol": 1.0,
        "max_dim": 1500, "solver": "krylov"}


def _lin_axes(n=7, m=5):
    return [parse_axis(f"Delta_1=-20MHz:20MHz:{n}", PARAMETERS),
            parse_axis(f"G=1MHz:20MHz:{m}", PARAMETERS)]


# -- versions ---------------------------------------------------------------------------------

def _old_store(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT INTO meta VALUES ('format', 'mwent-store-1')")
    con.execute("CREATE TABLE points (key TEXT PRIMARY KEY, engine TEXT, params TEXT, "
                "settings TEXT, status TEXT, result TEXT, error TEXT, seconds REAL, "
                "finished TEXT)")
    con.execute("INSERT INTO points VALUES ('k', 'linearized', '{}', '{}', 'ok', "
                "'{\"E_N\": 0.0897}', NULL, 0.0, 'then')")
    con.commit()
    con.close()


def test_old_format_store_is_refused_with_what_to_do(paper, tmp_path, capsys):
    path = tmp_path / "run.sqlite"
    _old_store(path)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="older mwent .*delete it or choose another"):
        run_sweep("linearized", paper, _lin_axes(), str(path), progress=False)
    code = main(["sweep", "--axis", "T=20mK:40mK:2", "--out", str(tmp_path / "run")])
    err = capsys.readouterr()[1]
    assert code == 2 and err.count("\n") == 1 and "older mwent" in err
    assert path.read_bytes() == before


def test_rows_of_an_older_result_version_are_recomputed_with_a_note(paper, tmp_path,
                                                                    monkeypatch, capsys):
    path = str(tmp_path / "v.sqlite")
    monkeypatch.setattr(store_mod, "RESULT_VERSION", 1)
    first = run_sweep("linearized", paper, _lin_axes(), path, progress=False)
    assert first.computed == 35
    assert "older version" not in capsys.readouterr()[1]
    monkeypatch.setattr(store_mod, "RESULT_VERSION", 2)
    again = run_sweep("linearized", paper, _lin_axes(), path, progress=False)
    assert again.computed == 35 and again.reused == 0
    assert "older version (1, now 2)" in capsys.readouterr()[1]
    assert store_mod.point_key("qmodel", {}, {}) != _key_at(monkeypatch, 1)


def _key_at(monkeypatch, version):
    monkeypatch.setattr(store_mod, "RESULT_VERSION", version)
    return store_mod.point_key("qmodel", {}, {})


# -- failed points --------------------------------------------------------------------------

def test_store_put_replaces_failed_rows_only(tmp_path):
    s = Store(str(tmp_path / "s.sqlite"))
    s.put([("a", "qmodel", {}, {}, "failed", None, "boom", 0.0),
           ("b", "qmodel", {}, {}, "ok", {"E_N": 1.0}, None, 0.0)])
    s.put([("a", "qmodel", {}, {}, "ok", {"E_N": 2.0}, None, 0.0),
           ("b", "qmodel", {}, {}, "ok", {"E_N": 3.0}, None, 0.0)])
    rows = s.get_many(["a", "b"])
    assert rows["a"]["status"] == "ok" and rows["a"]["result"]["E_N"] == 2.0
    assert rows["b"]["result"]["E_N"] == 1.0          # the first writer of a result wins
    s.close()


def test_retry_failed_recomputes_and_replaces(paper, tmp_path, monkeypatch):
    path = str(tmp_path / "r.sqlite")
    axes = [parse_axis("T=20mK:40mK:2", PARAMETERS)]
    real = executors.evaluate_point
    monkeypatch.setattr(executors, "evaluate_point",
                        lambda e, p, s: ("failed", None, "transient trouble", 0.0))
    run = run_sweep("qmodel", paper, axes, path, QSET, workers=1, progress=False)
    assert [p["status"] for p in run.points] == ["failed", "failed"]
    monkeypatch.setattr(executors, "evaluate_point", real)
    run = run_sweep("qmodel", paper, axes, path, QSET, workers=1, progress=False)
    assert run.computed == 0 and run.failures() == ["transient trouble"] * 2
    run = run_sweep("qmodel", paper, axes, path, QSET, workers=1, progress=False,
                    retry_failed=True)
    assert run.computed == 2 and [p["status"] for p in run.points] == ["ok", "ok"]
    run = run_sweep("qmodel", paper, axes, path, QSET, workers=1, progress=False)
    assert run.computed == 0 and [p["status"] for p in run.points] == ["ok", "ok"]
    assert Store(path).count() == 2


def test_retry_failed_replaces_linearized_blocks(paper, tmp_path, monkeypatch):
    path = str(tmp_path / "l.sqlite")
    real = sweeps._linearized_block

    def flaky(*args):
        st, val, err = real(*args)
        st[0], err[0] = sweeps.FAILED, "transient trouble"
        return st, val, err

    monkeypatch.setattr(sweeps, "_linearized_block", flaky)
    run = run_sweep("linearized", paper, _lin_axes(), path, progress=False)
    assert run.failures() == ["transient trouble"]
    monkeypatch.setattr(sweeps, "_linearized_block", real)
    assert run_sweep("linearized", paper, _lin_axes(), path, progress=False).failures()
    run = run_sweep("linearized", paper, _lin_axes(), path, progress=False, retry_failed=True)
    assert run.failures() == [] and run.computed == 35
    run = run_sweep("linearized", paper, _lin_axes(), path, progress=False)
    assert run.failures() == [] and run.computed == 0 and run.points[0]["status"] == "ok"


# -- the linearized engine: batched, blocks, resume -------------------------------------------

def test_linearized_sweep_equals_solve_model_grid_and_resumes(paper, tmp_path, monkeypatch):
    axes = _lin_axes()
    ref = solve_model_grid(grid_params(paper, axes))
    path = str(tmp_path / "b.sqlite")
    monkeypatch.setattr(sweeps, "BLOCK", 10)
    real, calls = sweeps._linearized_block, []

    def interrupted(*args):
        calls.append(args[3])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(sweeps, "_linearized_block", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_sweep("linearized", paper, axes, path, progress=False)
    monkeypatch.setattr(sweeps, "_linearized_block", real)
    run = run_sweep("linearized", paper, axes, path, progress=False)
    assert (run.computed, run.reused) == (15, 20)          # blocks 0:10 and 10:20 were kept
    s = run.to_sweep()
    ok = ref.stable
    assert np.array_equal(s.data["stable"], ref.stable) and not ok.all()
    assert np.allclose(s.data["E_N"][ok], ref.E_N[ok], rtol=1e-9, atol=1e-12)
    assert np.allclose(s.data["occupations"][ok], ref.occupations[ok], rtol=1e-9, atol=1e-12)
    assert np.all(np.isnan(s.data["E_N"][~ok]))
    assert list(np.unique(s.data["status"])) == ["ok", "unstable"]
    assert len(run.points) == 35
    again = run_sweep("linearized", paper, axes, path, progress=False)
    assert (again.computed, again.reused) == (0, 35)
    assert np.array_equal(again.to_sweep().data["E_N"], s.data["E_N"], equal_nan=True)


def test_points_list_matches_arrays(paper):
    run = run_sweep("linearized", paper, _lin_axes(3, 2), ":memory:", progress=False)
    s = run.to_sweep()
    for p in run.points:
        i = tuple(p["index"])
        assert p["values"] == {"Delta_1": s.axes[0].values[i[0]], "G": s.axes[1].values[i[1]]}
        assert p["status"] == s.data["status"][i]
        if p["status"] == "ok":
            assert p["result"]["E_N"] == s.data["E_N"][i]


# -- executors ------------------------------------------------------------------------------

def _die_at_high_T(engine, params, settings):
    if params.value("T") > 0.03:
        os._exit(1)
    return ("ok", {"E_N": 0.0, "duan": 2.0, "stable": True}, None, 0.0)


def test_dead_worker_process_becomes_sweep_error(paper, tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "evaluate_point", _die_at_high_T)
    path = str(tmp_path / "dead.sqlite")
    with pytest.raises(SweepError, match="worker process died.*stored in .*rerun the same"):
        run_sweep("qmodel", paper, [parse_axis("T=20mK:40mK:3", PARAMETERS)], path, QSET,
                  workers=2, progress=False)
    rows = sqlite3.connect(path).execute("SELECT status FROM points").fetchall()
    assert all(r[0] == "ok" for r in rows)


def _kill_worker(engine, params, settings):
    os._exit(1)


@pytest.fixture
def process_cluster():
    distributed = pytest.importorskip("dask.distributed")
    import cloudpickle
    import dask
    import sys
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            yield cluster
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def _clients(cluster):
    return {c for c in cluster.scheduler.clients if c != "fire-and-forget"}


def test_dask_killed_worker_becomes_sweep_error_and_client_closes(paper, tmp_path,
                                                                  monkeypatch, process_cluster):
    import time
    axes = [parse_axis("T=20mK:40mK:2", PARAMETERS)]
    good = run_sweep("qmodel", paper, axes, str(tmp_path / "ok.sqlite"), QSET, executor="dask",
                     scheduler=process_cluster.scheduler_address, progress=False)
    assert [p["status"] for p in good.points] == ["ok", "ok"]
    monkeypatch.setattr(executors, "evaluate_point", _kill_worker)
    with pytest.raises(SweepError, match="Dask worker died.*rerun the same command"):
        run_sweep("qmodel", paper, axes, str(tmp_path / "k.sqlite"), QSET, executor="dask",
                  scheduler=process_cluster.scheduler_address, progress=False)
    deadline = time.time() + 10
    while _clients(process_cluster) and time.time() < deadline:
        time.sleep(0.1)
    assert _clients(process_cluster) == set()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "nosuchscheme://x:1"])
def test_unreachable_scheduler_becomes_sweep_error(paper, tmp_path, address):
    pytest.importorskip("dask.distributed")
    import dask
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(SweepError, match=f"Dask scheduler at {address}"):
            run_sweep("qmodel", paper, [parse_axis("T=20mK:40mK:2", PARAMETERS)],
                      str(tmp_path / "u.sqlite"), QSET, executor="dask", scheduler=address,
                      progress=False)


# -- worker threads -------------------------------------------------------------------------

def test_workers_times_threads_fit_the_cores(monkeypatch):
    # a user's OMP_NUM_THREADS=8 must not give each of 2 workers 8 threads
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "8")
    cores = executors.available_cores()
    with executors._local_executor(2) as pool:
        threads = {pool.submit(executors.blas_threads).result() for _ in range(4)}
    assert max(threads) * 2 <= max(2, cores)
    assert threads == {executors.threads_per_worker(2)}
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert executors.threads_per_worker(1, cores=16) == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.delenv("MKL_NUM_THREADS")
    assert executors.threads_per_worker(3, cores=16) == 5


# -- output files ---------------------------------------------------------------------------

LIN = ["sweep", "--engine", "linearized", "--axis", "Delta_1=-20MHz:20MHz:3", "--axis",
       "Delta_2=-20MHz:20MHz:2", "--json"]


def test_npz_of_a_different_sweep_is_refused_unless_overwrite(tmp_path, capsys):
    out = str(tmp_path / "map")
    assert main(LIN + ["--out", out]) == 0
    first = os.path.getmtime(out + ".npz")
    assert main(LIN + ["--out", out]) == 0                        # the same sweep: rerun
    capsys.readouterr()
    other = LIN + ["--set", "T=30mK", "--out", out]
    assert main(other) == 2
    assert "holds a different sweep" in capsys.readouterr()[1]
    assert os.path.getmtime(out + ".npz") >= first
    assert main(other + ["--overwrite"]) == 0
    assert Sweep.load(out).base.value("T") == 0.03


def test_junk_npz_at_out_is_refused(tmp_path, capsys):
    out = tmp_path / "map"
    (tmp_path / "map.npz").write_text("my notes")
    assert main(LIN + ["--out", str(out)]) == 2
    err = capsys.readouterr()[1]
    assert "not a mwent sweep file" in err and err.count("\n") == 1
    assert (tmp_path / "map.npz").read_text() == "my notes"


@pytest.mark.parametrize("content", ["text", "sqlite"])
def test_foreign_store_at_out_exits_2(tmp_path, capsys, content):
    store = tmp_path / "map.sqlite"
    if content == "text":
        store.write_text("my notes")
    else:
        con = sqlite3.connect(store)
        con.execute("CREATE TABLE x (a)")
        con.commit()
        con.close()
    before = store.read_bytes()
    for engine, qm in (("linearized", []), ("qmodel", ["--basis", "fock", "--cutoffs",
                                                       "3,3,2,3"])):
        code = main(["sweep", "--engine", engine, "--axis", "T=20mK:40mK:2", *qm,
                     "--out", str(tmp_path / "map")])
        err = capsys.readouterr()[1]
        assert code == 2 and err.count("\n") == 1 and "not a mwent result store" in err
    code = main(["validity", "--axis", "G_0=1e4Hz:1e5Hz:2", "--axis", "T=20mK:40mK:2",
                 "--out", str(tmp_path / "map")])
    assert code == 2 and "not a mwent result store" in capsys.readouterr()[1]
    assert store.read_bytes() == before


def test_sweep_file_has_occupations_and_loads_with_or_without_suffix(paper, tmp_path, capsys):
    out = str(tmp_path / "map")
    assert main(LIN + ["--out", out]) == 0
    capsys.readouterr()
    a, b = Sweep.load(out), Sweep.load(out + ".npz")
    ref = solve_model_grid(grid_params(paper, a.axes))
    assert a.data["occupations"].shape == (3, 2, 4)
    assert np.allclose(a.data["occupations"], ref.occupations, rtol=1e-9, atol=1e-12)
    assert np.array_equal(a.data["E_N"], b.data["E_N"])
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x93NUMPY not really")
    with pytest.raises(ParameterError, match="not a mwent sweep file"):
        Sweep.load(junk)
    with pytest.raises(ParameterError, match="no sweep file"):
        Sweep.load(tmp_path / "absent")
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    with pytest.raises(ValueError, match="not a mwent sweep file"):
        Sweep.load(tmp_path / "other")


# -- scheduling --------------------------------------------------------------------------------

def test_a_parallel_sweep_starts_its_largest_points_first(paper, tmp_path, monkeypatch):
    # the expected size is the first probability set of the linearized state: at 200 mK the
    # phonon's normal mode holds more quanta than at 20 mK, so its set is larger
    from compare.batch.engines import expected_size
    cold, hot = paper.replace(T=0.02), paper.replace(T=0.2)
    assert expected_size("compare", hot, {}) > expected_size("compare", cold, {}) > 0
    assert expected_size("linearized", hot, {}) == 0
    # the order the points are handed to a two-worker pool (one thread here, in order)
    from concurrent.futures import ThreadPoolExecutor
    seen = []

    def evaluate(engine, p, settings):
        seen.append(p.value("T"))
        return ("failed", None, "not computed in this test", 0.0)

    monkeypatch.setattr(executors, "_local_executor", lambda n, share=None: ThreadPoolExecutor(1))
    monkeypatch.setattr(executors, "evaluate_point", evaluate)
    axes = [parse_axis("T=20mK:200mK:4", PARAMETERS)]
    run_sweep("compare", paper, axes, str(tmp_path / "s.sqlite"), workers=2, progress=False)
    assert seen == sorted(seen, reverse=True) and len(seen) == 4


def test_a_worker_follows_the_thread_share_its_parent_sets():
    from threadpoolctl import threadpool_info
    import qmodel.threads as threads
    from qmodel._kernels import _threads
    share = [1]
    saved = {v: os.environ.get(v) for v in threads.THREAD_VARS}
    before = max(int(i["num_threads"]) for i in threadpool_info())
    try:
        threads.follow_thread_share(lambda: share[0])
        threads.take_thread_share()
        assert max(int(i["num_threads"]) for i in threadpool_info()) == 1
        assert _threads() == 1
        share[0] = 2
        threads.take_thread_share()
        assert os.environ["OMP_NUM_THREADS"] == "2" and _threads() == min(2, _numba())
    finally:
        threads.follow_thread_share(None)
        for v, x in saved.items():
            if x is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = x
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=before)


def _numba():
    from numba import config
    return config.NUMBA_NUM_THREADS


def test_idle_cores_go_to_the_points_still_running(monkeypatch):
    # two workers on two cores: one thread each while points wait; when one point is left
    # it gets both cores; a user's OMP_NUM_THREADS still caps it
    monkeypatch.setattr(executors, "available_cores", lambda: 2)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    assert executors.shared_threads(5, 2, 1) == 1
    assert executors.shared_threads(2, 2, 1) == 1
    assert executors.shared_threads(1, 2, 1) == 2
    assert executors.shared_threads(0, 2, 2) == 2          # the sweep is over
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert executors.shared_threads(1, 2, 1) == 1


def test_the_progress_line_of_a_point_says_what_it_found():
    from compare.batch.sweeps import point_line
    from compare.defaults import PROGRESS
    units = {"T": "K", "Delta_1": "Hz"}
    at = {"T": 0.19, "Delta_1": -6e6}
    assert point_line(3, 19, at, units, ("ok", {"verdict": "agree", "dim": 1350}, None,
                                         334.06)) == (
        f"{PROGRESS} point 3 of 19 (T = 190 mK, Delta_1 = -6 MHz): agree, d = 1350, 334.1 s")
    assert point_line(1, 2, {"T": 0.0}, units, ("ok", {"E_N": 0.25, "dim": 19}, None, 1.0)) \
        .endswith("(T = 0 K): E_N = 0.25, d = 19, 1.0 s")
    assert point_line(1, 2, {"T": 0.2}, units, (
        "failed", None, "the master equation did not converge within max_dim = 300", 2.0)) \
        .endswith("(T = 200 mK): undecided (the master equation did not converge within "
                  "max_dim = 300), 2.0 s")
    assert point_line(2, 2, {"T": 0.2}, units, ("unstable", {"max_real_eigenvalue": 1.0},
                                                "unstable: no steady state", 0.1)) \
        .endswith("(T = 200 mK): unstable, 0.1 s")
