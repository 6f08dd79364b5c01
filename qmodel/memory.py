"""What a steady-state solve needs in memory, and the largest truncation this machine can hold.

No heavy imports at module level: the command line checks ``--max-dim`` and ``--cutoffs``
against the memory before SciPy loads.

The default largest truncation (``max_dim=None`` in :class:`qmodel.converge.ConvergenceOptions`,
no ``--max-dim`` on the command line) is :func:`memory_max_dim`, read when each point's run
starts: the largest ``d`` whose solve (:func:`solve_bytes`) fits in :data:`MEMORY_SHARE` of
this process's share of the memory available then (``MemAvailable``; each of a local sweep's
``n`` workers gets ``1/n``, :func:`qmodel.threads.machine_share`), and never below
:data:`qmodel.defaults.MAX_DIM` (the floor of earlier versions, which the command line checks
against the physical memory only where ``--max-dim`` is given).  It is read once per point
(:meth:`qmodel.converge.ConvergenceOptions.resolved`).  A hot point then grows
its set as far as the machine allows instead of stopping at a constant; what it cannot reach
there stays undecided with that reason.
"""
from __future__ import annotations

import os

from qmodel.defaults import MAX_DIM
from qmodel.threads import machine_share

#: where Linux tells the memory available
MEMINFO = "/proc/meminfo"
#: the share of the available memory one solve may plan to use (the rest: the interpreter, the
#: measures, the mapping check, another point's growth while this one runs)
MEMORY_SHARE = 0.8


def physical_memory() -> int:
    """Bytes of physical memory of this machine (a large default where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 40


def available_memory() -> int:
    """Bytes of memory available to a new allocation now (Linux ``MemAvailable``: free memory
    plus what the kernel can reclaim); the physical memory where it cannot be read."""
    try:
        with open(MEMINFO) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return physical_memory()


def solve_bytes(dim: int) -> float:
    """Memory the Krylov steady-state solver needs at Hilbert-space dimension ``dim``: about
    two dozen dense complex d x d matrices (the dense K, its eigenvectors and their inverse,
    the parity splitting's blocks and denominators, the symmetric splitting's where it falls
    back, workspace) plus a Krylov basis of ``restart`` real d x d matrices, at most
    :data:`qmodel.solvers.KRYLOV_BASIS_BYTES`, and its single-precision copy (half as much)."""
    from qmodel.solvers import KRYLOV_BASIS_BYTES, SolverOptions   # SciPy: when a run starts
    d2 = 16.0 * dim * dim
    return 24 * d2 + 1.5 * min(SolverOptions().restart * d2 / 2, KRYLOV_BASIS_BYTES)


def fits(dim: int, memory: float) -> bool:
    """Whether a solve at ``dim`` fits in :data:`MEMORY_SHARE` of ``memory`` bytes."""
    return solve_bytes(dim) <= MEMORY_SHARE * memory


def memory_max_dim(memory: float | None = None) -> int:
    """The largest dimension whose solve fits in :data:`MEMORY_SHARE` of ``memory`` bytes,
    and at least :data:`qmodel.defaults.MAX_DIM`.  Default ``memory``: this process's share
    of the memory available now, :func:`available_memory` times
    :func:`qmodel.threads.machine_share` (one of two sweep workers plans with half: the other
    worker's point may grow while this one runs)."""
    memory = available_memory() * machine_share() if memory is None else memory
    if not fits(MAX_DIM + 1, memory):
        return MAX_DIM
    lo, hi = MAX_DIM + 1, 2 * MAX_DIM
    while fits(hi, memory):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:            # fits(lo), not fits(hi); solve_bytes grows with dim
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid, memory) else (lo, mid)
    return lo
