"""Thread limits a process was given through the environment (no heavy imports: the sweep
module reads them before anything is solved)."""
from __future__ import annotations

import os

#: environment variables that set the thread count of BLAS and OpenMP libraries
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def env_thread_limit(limit: int) -> int:
    """``limit`` lowered to the smallest positive value of :data:`THREAD_VARS` set in the
    environment (at least 1)."""
    for var in THREAD_VARS:
        try:
            asked = int(os.environ.get(var, ""))
        except ValueError:
            continue
        if asked > 0:
            limit = min(limit, asked)
    return max(1, limit)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: environment variable: the share of this machine's memory a process may plan with (a
#: sweep's local workers, and those of its Dask ``LocalCluster``: one over their number)
MACHINE_SHARE_VAR = "MWENT_MACHINE_SHARE"


def machine_share() -> float:
    """The share of this machine this process was given (:data:`MACHINE_SHARE_VAR`, set for
    each worker of a local sweep); 1 where none was given or it is not a number in (0, 1]."""
    try:
        share = float(os.environ.get(MACHINE_SHARE_VAR, ""))
    except ValueError:
        return 1.0
    return share if 0 < share <= 1 else 1.0


def give_machine_share(workers: int) -> dict:
    """The environment entry that gives each of ``workers`` processes on this machine its
    share (:func:`machine_share`)."""
    return {MACHINE_SHARE_VAR: repr(1.0 / max(1, workers))}


def calm_blas_threads() -> None:
    """Ask OpenBLAS (NumPy's BLAS) to put its idle threads to sleep after 2^4 cycles instead
    of spinning for 2^28 (about 0.1 s) after every call: a Krylov iteration alternates dense
    products (BLAS) with the jump kernel (Numba), and the spinning threads took the kernel's
    cores; at d = 731 the kernel took 22 ms per call inside a solve against 10 ms alone, and
    the solve 16.3 s against 14.3 s.  Only where the user has not set it, and only before
    OpenBLAS loads (the command line and ``import qmodel`` come before NumPy's import)."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


#: where this process reads its current share of the cores (None: it keeps what it has);
#: a thread pool is the process's own, so the share is too.  Set by a sweep's worker
#: process (:func:`follow_thread_share`), read before each solve (:func:`take_thread_share`)
_SHARE_SOURCE: list = [None, None]


def follow_thread_share(source) -> None:
    """From now on let ``source()`` (an int: threads this process may use) set this
    process's BLAS/OpenMP and Numba thread counts before each solve.  A sweep's local worker
    reads the number its parent raises when fewer points are left than workers, so that the
    last points of a sweep run on the cores the finished workers left idle."""
    _SHARE_SOURCE[:] = [source, None]


def take_thread_share() -> None:
    """Apply the share of :func:`follow_thread_share` if it changed (the environment's thread
    variables, which the Numba kernels read, and the loaded thread pools)."""
    source, current = _SHARE_SOURCE
    if source is None:
        return
    n = max(1, int(source()))
    if n == current:
        return
    apply_threads(n)
    _SHARE_SOURCE[1] = n


def apply_threads(n: int) -> None:
    """Limit this process to ``n`` threads: the environment's thread variables (read by the
    libraries loaded later and by the Numba kernels, :func:`qmodel._kernels._threads`) and
    the thread pools already loaded (threadpoolctl)."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n)
