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


def calm_blas_threads() -> None:
    """Ask OpenBLAS (NumPy's BLAS) to put its idle threads to sleep after 2^4 cycles instead
    of spinning for 2^28 (about 0.1 s) after every call: a Krylov iteration alternates dense
    products (BLAS) with the jump kernel (Numba), and the spinning threads took the kernel's
    cores; at d = 731 the kernel took 22 ms per call inside a solve against 10 ms alone, and
    the solve 16.3 s against 14.3 s.  Only where the user has not set it, and only before
    OpenBLAS loads (the command line and ``import qmodel`` come before NumPy's import)."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
