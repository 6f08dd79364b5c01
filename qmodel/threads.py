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
