"""Where the points of a sweep run: in this process, on local worker processes, or on a Dask
cluster; each finished point is handed to a ``record`` callback as it arrives.

Threads.  Local worker processes share the cores: with W workers on C cores each worker's
BLAS/OpenMP pools are limited to ``max(1, C // W)`` threads (with :mod:`threadpoolctl`, when
the worker starts), so workers x threads <= cores.  To give each worker fewer threads, set
``OMP_NUM_THREADS`` (or ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) before running mwent;
a larger value is lowered to ``C // W``.  ``--workers W`` sets the number of workers (default:
every core available to the process).  The linearized engine and ``--workers 1`` run in the
calling process, whose threads the environment variables set as usual.  Dask workers are
configured where the cluster is started (``dask worker --nthreads``; Dask sets
``OMP_NUM_THREADS=1`` in the processes its nannies start).

Dask is an optional dependency (``pip install mwent[dask]``): it is imported only when a sweep
asks for it.

A lost Dask worker.  The scheduler gives the points the worker was running to the workers
left, and the sweep goes on; a result the worker held is not lost, because each point is
stored, and its future dropped, as soon as it arrives.  Dask gives a point up (``KilledWorker``)
only when more workers died running it than its ``distributed.scheduler.allowed-failures``
(3 by default): the sweep then stops with one sentence, keeping what is stored.  With no
worker left Dask waits for one to join (unless its scheduler's ``no-workers-timeout`` is set,
which also stops the sweep in one sentence); the sweep says so on stderr once the cluster has
had no worker for :data:`NO_WORKERS_NOTE` seconds, and goes on when a worker joins.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as local_completed
from concurrent.futures.process import BrokenProcessPool

from threadpoolctl import threadpool_info

from compare.batch.engines import evaluate_point, expected_size
from qmodel.threads import (apply_threads, available_cores, env_thread_limit,
                             follow_thread_share, give_machine_share)


class SweepError(RuntimeError):
    """The sweep could not go on (a worker process died, the cluster lost a worker); every
    point finished before is in the store.  The message is one sentence for the user."""


class SchedulerUnreachable(SweepError):
    """Nothing answers at the Dask scheduler address given: bad input, before any point ran."""


#: seconds to wait for a Dask scheduler to answer (Dask's own default is 30 s; a scheduler
#: that is up answers in well under a second, even across a network)
CONNECT_TIMEOUT = 10.0

#: seconds a Dask cluster may have no worker before the sweep says it is waiting for one, and
#: how often it looks (a cheap call to the scheduler)
NO_WORKERS_NOTE = 5.0
WATCH_INTERVAL = 1.0


# -- threads and local workers ---------------------------------------------------------------

def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """BLAS/OpenMP threads for each of ``workers`` processes: ``max(1, cores // workers)``,
    or fewer if the user asked for fewer with ``OMP_NUM_THREADS`` (etc., see the module)."""
    return env_thread_limit(max(1, (cores or available_cores()) // max(1, workers)))


def shared_threads(left: int, workers: int, current: int) -> int:
    """Threads for each local worker once ``left`` points remain of a sweep on ``workers``
    workers: with fewer points than workers every point left is running, and they share the
    idle cores (:func:`threads_per_worker` of ``left``); before that, ``current``."""
    return threads_per_worker(left) if 0 < left < workers else current


def _init_worker(threads: int, share=None, workers: int = 1) -> None:
    """Worker initializer: limit the thread pools of the libraries already loaded (NumPy and
    SciPy are, by the time a spawned worker runs this) and of those loaded later; with
    ``share`` (a shared integer the parent raises as workers fall idle) follow it before
    each solve (:func:`qmodel.threads.follow_thread_share`); plan with one ``workers``-th of
    the memory (:func:`qmodel.threads.machine_share`: every worker's point may grow at once)."""
    import scipy.linalg  # noqa: F401  (loads SciPy's own BLAS, if it has one, before limiting)
    os.environ.update(give_machine_share(workers))
    apply_threads(threads)
    if share is not None:
        follow_thread_share(lambda: share.value)


def blas_threads() -> int:
    """The largest thread count of the BLAS/OpenMP pools loaded in this process."""
    return max((int(i.get("num_threads") or 1) for i in threadpool_info()), default=1)


def _local_executor(workers: int, share=None):
    """``workers`` spawned processes, each limited to :func:`threads_per_worker` threads, or
    to the shared ``share`` (a ``multiprocessing`` integer of the spawn context) once set."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=_init_worker,
                               initargs=(threads_per_worker(workers), share, workers))


def stopped(what: str, done: int, total: int, store_path: str) -> SweepError:
    where = "kept in memory only" if store_path == ":memory:" else f"stored in {store_path}"
    return SweepError(f"{what} after {done} of {total} points; the finished points are "
                      f"{where}, so rerun the same command to compute the rest")


def _dask_client(scheduler, workers=None):
    """A client for ``scheduler`` (an address; ``"local"``: a Dask ``LocalCluster`` of
    ``workers`` processes, default every core, one thread each, closed with the client; or a
    ready Client, returned as is), with a one-sentence :class:`SweepError` when the address
    is invalid or nothing answers there.  Returns ``(client, owned, cluster)``: an owned
    client (and its cluster, if it started one) is closed by the caller."""
    from dask.distributed import Client  # Dask is optional (mwent[dask]): only when asked for
    if not isinstance(scheduler, str):
        return scheduler, False, None
    if scheduler == "local":
        from dask.distributed import LocalCluster  # optional, as above
        cluster = None
        try:
            # memory_limit=0: no per-worker share of the memory at which Dask's nanny would
            # pause or kill a large point that a local process could run
            n = workers or available_cores()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, memory_limit=0,
                                   env=give_machine_share(n))
            return Client(cluster), True, cluster
        except Exception as exc:
            if cluster is not None:
                cluster.close()
            raise SweepError(f"cannot start a Dask LocalCluster here "
                             f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                             ) from None
    import dask  # optional, as above
    from dask.utils import parse_timedelta

    # Dask's configured connect timeout, if shorter, else ours
    timeout = min(CONNECT_TIMEOUT, parse_timedelta(
        dask.config.get("distributed.comm.timeouts.connect"), default="seconds"))
    try:
        return Client(scheduler, timeout=timeout), True, None
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {scheduler} "
                                   f"({reason}); check the address and that the scheduler is "
                                   f"running") from None


class _WorkerWatch:
    """While a Dask sweep runs, a thread that looks at the cluster's workers and says on
    stderr when it has had none for :data:`NO_WORKERS_NOTE` seconds (once per such spell):
    Dask waits for a worker to join, silently, so the sweep would seem to hang."""

    def __init__(self, client, store_path: str):
        self.client = client
        self.where = ("kept in memory only" if store_path == ":memory:"
                      else f"stored in {store_path}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="mwent-worker-watch",
                                        daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=CONNECT_TIMEOUT)

    def _watch(self) -> None:
        since, told = None, False
        while not self._stop.wait(WATCH_INTERVAL):
            try:
                workers = len(self.client.nthreads())
            except Exception:     # noqa: BLE001 - a lost cluster is the main loop's to report
                return
            if workers:
                since, told = None, False
                continue
            since = since or time.monotonic()
            if not told and time.monotonic() - since >= NO_WORKERS_NOTE:
                addr = self.client.scheduler.address
                print(f"mwent: note: the Dask cluster at {addr} has no worker; the sweep goes "
                      f"on when one joins (dask worker {addr}), or stop it and rerun later: "
                      f"the finished points are {self.where}", file=sys.stderr, flush=True)
                told = True


def _no_worker_errors(dask_scheduler) -> dict:
    """The errors of a scheduler whose ``no-workers-timeout`` ran out (Dask versions
    without that setting have none), with what happened."""
    return {t: "the Dask cluster stayed without a worker beyond its no-workers-timeout"
            for t in (getattr(dask_scheduler, "NoWorkerError", None),
                      getattr(dask_scheduler, "NoValidWorkerError", None)) if t is not None}


def _collect(futures, as_completed, record, failures, total, store_path) -> None:
    """Record each finished future; an exception of a type in ``failures`` (type -> what
    happened) ends the sweep with a :class:`SweepError` that says what is kept.

    A recorded future is dropped at once (from ``futures`` too): a Dask cluster keeps a
    result on its worker while the client holds its future, and recomputes it elsewhere if
    that worker dies, so a point already stored would be computed again."""
    done = 0
    for fut in as_completed(futures):
        k, g = futures.pop(fut)
        try:
            outcome = fut.result()
        except tuple(failures) as exc:
            what = next(w for t, w in failures.items() if isinstance(exc, t))
            raise stopped(what.format(name=type(exc).__name__), done, total,
                           store_path) from None
        del fut                   # the last reference: Dask releases the result now
        record(k, g, outcome)
        done += 1


def run_points(engine, todo, settings, executor, scheduler, workers, record, store_path):
    """Evaluate ``todo`` = ``[(key, grid point)]``, calling ``record`` as each finishes;
    in parallel the largest points first (:func:`compare.batch.engines.expected_size`: the
    cost of a point grows steeply with it, and none is then left to run alone at the end)."""
    n = workers or available_cores()
    if executor != "dask" and n == 1:
        for k, g in todo:
            record(k, g, evaluate_point(engine, g[2], settings))
        return
    size = {k: expected_size(engine, g[2], settings) for k, g in todo}
    todo = sorted(todo, key=lambda kg: -size[kg[0]])
    if executor == "dask":
        # Dask is optional (mwent[dask]): imported only when a sweep asks for it
        from dask.distributed import as_completed
        import distributed.scheduler as dask_scheduler
        client, own, cluster = _dask_client(scheduler, min(n, len(todo)))
        try:
            futures = {client.submit(evaluate_point, engine, g[2], settings,
                                     pure=False): (k, g) for k, g in todo}
            with _WorkerWatch(client, store_path):
                _collect(futures, as_completed, record,
                         {dask_scheduler.KilledWorker: "a Dask worker died (killed, e.g. "
                                                       "out of memory)",
                          **_no_worker_errors(dask_scheduler),
                          OSError: "the Dask cluster was lost ({name})",
                          TimeoutError: "the Dask cluster was lost ({name})"},
                         len(todo), store_path)
        finally:
            if own:
                client.close()
            if cluster is not None:
                cluster.close()
        return
    n = min(n, len(todo))
    # the threads of each worker; raised as the last points leave workers idle (the last
    # point of Fig. 2(a) ran on one core for minutes while the other had nothing to do)
    share = mp.get_context("spawn").Value("i", threads_per_worker(n))
    pool = _local_executor(n, share)
    left = [len(todo)]

    def record_and_share(k, g, outcome):
        record(k, g, outcome)
        left[0] -= 1
        share.value = shared_threads(left[0], n, share.value)

    try:
        futures = {pool.submit(evaluate_point, engine, g[2], settings): (k, g)
                   for k, g in todo}
        _collect(futures, local_completed, record_and_share,
                 {BrokenProcessPool: "a worker process died (killed, e.g. out of memory)"},
                 len(todo), store_path)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
