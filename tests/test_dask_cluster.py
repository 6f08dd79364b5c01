"""A real Dask cluster: a scheduler and two workers started as separate processes on
127.0.0.1 with Dask's own ``dask scheduler`` / ``dask worker`` commands, and
``mwent figure 2a --engine compare --me-points 3 --executor dask --scheduler ADDR`` run on it
as a user would (issue 20, "A real cluster").

What must hold: the cluster's points equal those of local processes; killing one worker
during the run loses nothing.  Dask reschedules the points a lost worker was running on the
workers left (its documented behaviour while a point has been on fewer than
``distributed.scheduler.allowed-failures`` + 1 dying workers, 3 + 1 by default), so the run
finishes; where Dask gives a point up instead (``KilledWorker``, forced here with
``allowed-failures = 0``) the command stops with one sentence and a rerun completes without
recomputing the points stored before.  With every worker gone the command says so on stderr
and finishes when a worker joins; a scheduler whose ``no-workers-timeout`` runs out stops it
with one sentence.  Every process started here is killed (its whole process group) when its
test ends, passed or not.
"""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from compare.defaults import PROGRESS

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).parent / "dask"
GRID = ("figure", "2a", "--engine", "compare", "--me-points", "3", "--json")
STORE = "fig2a_compare.sqlite"
POINTS = 9

pytestmark = pytest.mark.skipif(not DASK.exists(), reason=f"no dask command at {DASK}")


def _env(**extra) -> dict:
    """This environment, with the repository first on the path: the workers and the command
    import this checkout (an installed mwent, or an editable install elsewhere, comes after)."""
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _mwent(*args):
    # as tests/test_me_figure.py: the package's __main__ in a fresh interpreter
    return subprocess.run([sys.executable, "-m", "compare", *args], capture_output=True,
                          text=True, timeout=300, env=_env())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    """``mwent ARGS`` started in its own process group, its output going to files."""

    def __init__(self, tmp: Path, name: str, args):
        self.out, self.err = tmp / f"{name}.out", tmp / f"{name}.err"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "compare", *args], stdout=out,
                                         stderr=err, text=True, env=_env(),
                                         start_new_session=True)

    def stderr(self) -> str:
        return self.err.read_text()

    def wait(self, timeout=300):
        """``(exit code, stdout, stderr)`` once the command ends."""
        self.proc.wait(timeout=timeout)
        return self.proc.returncode, self.out.read_text(), self.stderr()


class Cluster:
    """``dask scheduler`` and named ``dask worker`` processes, each in its own process group
    (a worker is a nanny and the worker process it starts: both go with the group), and the
    commands run on it; :meth:`close` kills every one still running."""

    #: no dashboard, and the HTTP server each process still runs on a free port, not 8787
    QUIET = ("--no-dashboard", "--dashboard-address", "127.0.0.1:0")

    def __init__(self, tmp: Path, workers=2, scheduler_env=None):
        self.tmp = tmp
        self.procs = {}
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.client = None
        try:
            self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port",
                                      self.address.rsplit(":", 1)[1], *self.QUIET],
                        scheduler_env or {})
            self.client = distributed.Client(self.address, timeout=30)
            for i in range(workers):
                self.add_worker(f"w{i}", wait=False)
            if workers:
                self.client.wait_for_workers(workers, timeout=60)
        except BaseException:
            self.close()
            raise

    def _start(self, name, args, extra):
        with open(self.tmp / f"{name}.log", "w") as log:
            self.procs[name] = subprocess.Popen([str(DASK), *args], stdout=log, stderr=log,
                                                env=_env(**extra), start_new_session=True)

    def add_worker(self, name, wait=True) -> None:
        """A worker process with one thread (its scratch space in the test's directory)."""
        self._start(name, ["worker", self.address, "--name", name, "--nworkers", "1",
                           "--nthreads", "1", "--host", "127.0.0.1", *self.QUIET,
                           "--local-directory", str(self.tmp / name)], {})
        if wait:
            deadline = time.monotonic() + 60
            while name not in self.workers():
                assert time.monotonic() < deadline, f"worker {name} did not join"
                time.sleep(0.1)

    def workers(self) -> dict:
        """``{name: address}`` of the workers the scheduler sees."""
        return {w["name"]: a for a, w in self.client.scheduler_info()["workers"].items()}

    def mwent(self, *args) -> Run:
        """``mwent ARGS`` started, not waited for."""
        name = f"mwent{len(self.procs)}"
        run = Run(self.tmp, name, args)
        self.procs[name] = run.proc
        return run

    def busy_worker(self) -> str:
        """The name of a worker with a point assigned to it now."""
        names = {a: n for n, a in self.workers().items()}
        busy = [names[a] for a, keys in self.client.processing().items() if keys]
        assert busy, "no worker is running a point"
        return busy[0]

    def held(self) -> int:
        """Finished results the cluster holds now (Dask keeps one while a client holds its
        future, and computes it again if its worker dies)."""
        return self.client.run_on_scheduler(lambda dask_scheduler: sum(
            ts.state == "memory" for ts in dask_scheduler.tasks.values()))

    def completions(self) -> Counter:
        """How often each point finished on the cluster (the scheduler's transition log)."""
        return Counter(self.client.run_on_scheduler(lambda dask_scheduler: [
            str(t.key) for t in dask_scheduler.transition_log if t.finish == "memory"]))

    def lost_with(self, address) -> set:
        """The finished points the scheduler says it lost with the worker at ``address``
        (its ``remove-worker`` event's ``lost-computed-tasks``: results held only there, which
        Dask computes again because the command still wants them)."""
        events = self.client.run_on_scheduler(
            lambda dask_scheduler, topic: list(dask_scheduler.get_events(topic)),
            topic=address)
        removed = [m for _, m in events if m.get("action") == "remove-worker"]
        assert len(removed) == 1, events
        return {str(k) for k in removed[0]["lost-computed-tasks"]}

    def kill(self, name) -> None:
        """SIGKILL to the worker's process group: its nanny and its worker process."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def close(self) -> None:
        if self.client is not None:
            self.client.close(timeout=5)
        for p in self.procs.values():
            if p.returncode is None:  # not reaped: its group id is still its own
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass              # the group is gone already
        for p in self.procs.values():
            p.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    made = []

    def start(**kw):
        made.append(Cluster(tmp_path, **kw))
        return made[-1]

    try:
        yield start
    finally:
        for c in made:
            c.close()


@pytest.fixture(scope="module")
def local_points(tmp_path_factory):
    """The grid on local processes (the default executor): the reference for every run."""
    r = _mwent(*GRID, "--out", str(tmp_path_factory.mktemp("local")))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["summary"]["points"]


def _stored(out: Path) -> int:
    """Points in the run's store now (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{out / STORE}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    except sqlite3.Error:
        return 0


def _same_points(points, reference) -> None:
    """Every point of ``reference`` is in ``points`` with the same verdict and values."""
    got = {tuple(p["values"].values()): p for p in points}
    assert len(got) == POINTS and got.keys() == {tuple(p["values"].values())
                                                 for p in reference}
    for want in reference:
        p = got[tuple(want["values"].values())]
        assert p["verdict"] == want["verdict"], (p, want)
        for f in ("E_N", "duan"):
            assert (p[f] is None) == (want[f] is None)
            if want[f] is not None:
                assert p[f] == pytest.approx(want[f], abs=1e-9)


def _our_lines(stderr: str) -> list:
    """stderr's lines without Dask's own client log (it may say that it reschedules a result
    it could not gather from a killed worker: a timestamped "distributed.client - WARNING"
    line, a race of the kill; it failed two .ci/run's) and without the command's progress
    lines (one per stored point, stderr not being a terminal): neither is an error."""
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith(PROGRESS)
            and not re.match(r"\d{4}-\d\d-\d\d [\d:,]+ - distributed\.", ln)]


def _one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = _our_lines(stderr)
    assert len(lines) == 1 and lines[0].startswith("mwent: error: "), stderr


def _run_until_stored(cluster, out: Path) -> Run:
    """Start the command on ``cluster``; return it once a point is stored (the others are
    still to come)."""
    run = cluster.mwent(*GRID, "--out", str(out), "--executor", "dask", "--scheduler",
                        cluster.address)
    deadline = time.monotonic() + 120
    while _stored(out) == 0:
        assert run.proc.poll() is None, run.stderr()
        assert time.monotonic() < deadline, "no point stored in 120 s"
        time.sleep(0.05)
    return run


def _released(cluster) -> None:
    """Wait until the cluster holds no finished result: the command drops each point's
    future as soon as the point is stored."""
    deadline = time.monotonic() + 3
    while cluster.held():
        assert time.monotonic() < deadline, "the cluster keeps a stored point's result"
        time.sleep(0.02)


def test_real_cluster_matches_local_processes(cluster, tmp_path, local_points):
    c = cluster()
    r = _mwent(*GRID, "--out", str(tmp_path / "dask"), "--executor", "dask", "--scheduler",
               c.address)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)["summary"]
    assert s["computed"] == POINTS and s["reused"] == 0
    _same_points(s["points"], local_points)


def test_no_worker_beyond_the_schedulers_timeout_stops_in_one_sentence(cluster, tmp_path):
    # a scheduler configured to give up when it has had no worker for 1 s: one sentence,
    # not Dask's error as an unexpected failure
    c = cluster(workers=0,
                scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__NO_WORKERS_TIMEOUT": "1s"})
    out = tmp_path / "run"
    r = _mwent(*GRID, "--out", str(out), "--executor", "dask", "--scheduler", c.address)
    assert r.returncode == 1, r.stderr
    _one_sentence(r.stderr)
    assert "no-workers-timeout" in r.stderr and "rerun the same command" in r.stderr
    assert _stored(out) == 0


@pytest.mark.slow
def test_killed_worker_points_move_to_the_other(cluster, tmp_path, local_points):
    # Dask's default allowed-failures (3): the killed worker's point is rescheduled on the
    # worker left and the run finishes.  No result is lost with the worker, and a point is
    # computed twice only where its finished result was held on the killed worker alone (one
    # that finished after the command's last store, in the moment before the kill: Dask
    # reports it lost and computes it again); every other point reaches the scheduler's
    # memory state once
    c = cluster()
    out = tmp_path / "run"
    run = _run_until_stored(c, out)
    busy = c.busy_worker()
    address = c.workers()[busy]
    _released(c)
    c.kill(busy)
    code, stdout, stderr = run.wait()
    assert code == 0, stderr
    assert "Traceback" not in stderr and not any("error" in ln for ln in _our_lines(stderr)), \
        stderr
    s = json.loads(stdout)["summary"]
    assert s["computed"] == POINTS and s["reused"] == 0 and _stored(out) == POINTS
    progress = [ln for ln in stderr.splitlines() if ln.startswith(f"{PROGRESS} point ")]
    assert len(progress) == POINTS and progress[-1].startswith(
        f"{PROGRESS} point {POINTS} of {POINTS} (Delta_1 = "), stderr
    finished = c.completions()
    lost = c.lost_with(address)
    assert len(finished) == POINTS, finished
    assert all(n == 1 + (k in lost) for k, n in finished.items()), (finished, lost)
    _same_points(s["points"], local_points)


@pytest.mark.slow
def test_point_given_up_by_dask_stops_in_one_sentence_and_rerun_completes(
        cluster, tmp_path, local_points):
    # allowed-failures = 0: Dask gives up a point whose worker died (KilledWorker); the
    # command stops with one sentence, the points finished before are kept, and the same
    # command on the worker left computes only the rest
    c = cluster(scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    out = tmp_path / "run"
    run = _run_until_stored(c, out)
    c.kill(c.busy_worker())
    code, _, stderr = run.wait()
    assert code == 1, stderr
    _one_sentence(stderr)
    assert "a Dask worker died" in stderr and "rerun the same command" in stderr
    kept = _stored(out)
    assert 1 <= kept < POINTS
    again = _mwent(*GRID, "--out", str(out), "--executor", "dask", "--scheduler", c.address)
    assert again.returncode == 0, again.stderr
    s = json.loads(again.stdout)["summary"]
    assert s["reused"] == kept and s["computed"] == POINTS - kept
    _same_points(s["points"], local_points)


@pytest.mark.slow
def test_no_worker_left_the_run_waits_saying_so_and_goes_on_when_one_joins(
        cluster, tmp_path, local_points):
    # Dask's default: with every worker gone the points wait for one to join.  The command
    # says so on stderr (it would seem to hang), and finishes on a worker started later
    c = cluster()
    out = tmp_path / "run"
    run = _run_until_stored(c, out)
    c.kill("w0")
    c.kill("w1")
    deadline = time.monotonic() + 60
    while "has no worker" not in run.stderr():
        assert run.proc.poll() is None, run.stderr()
        assert time.monotonic() < deadline, "no word of the missing workers in 60 s"
        time.sleep(0.1)
    c.add_worker("w2")
    code, stdout, stderr = run.wait()
    assert code == 0, stderr
    lines = _our_lines(stderr)
    assert len(lines) == 1 and lines[0].startswith("mwent: note: the Dask cluster at "), stderr
    assert f"dask worker {c.address}" in lines[0]
    s = json.loads(stdout)["summary"]
    assert _stored(out) == POINTS
    _same_points(s["points"], local_points)
