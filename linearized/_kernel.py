"""Compiled kernel of the batched Lyapunov solver (see :mod:`linearized.lyapunov`).

Kept apart so that importing :mod:`linearized` does not import Numba; the kernel compiles on
first use and is cached on disk.  Every argument describing the elimination comes from
``lyapunov._SymbolicLU``; nothing here knows the physics.

Points are processed in blocks of ``LANES`` with the point index innermost, so every step of
the elimination is a short contiguous loop the compiler turns into SIMD instructions; the
integer pattern is read once per block instead of once per point.
"""
import numpy as np
from numba import njit

LANES = 32


@njit(cache=True, error_model="numpy")
def _solve(E, y, nb, pivot, r_ptr, r_idx, l_slot, c_ptr, c_idx, u_slot):
    """In-place forward and back substitution on y[t, lane] (rows already permuted)."""
    m = pivot.shape[0]
    for k in range(m):
        for q in range(r_ptr[k], r_ptr[k + 1]):
            r, ls = r_idx[q], l_slot[q]
            for b in range(nb):
                y[r, b] -= E[ls, b] * y[k, b]
    for k in range(m - 1, -1, -1):
        for q in range(c_ptr[k], c_ptr[k + 1]):
            c, us = c_idx[q], u_slot[q]
            for b in range(nb):
                y[k, b] -= E[us, b] * y[c, b]
        pk = pivot[k]
        for b in range(nb):
            y[k, b] /= E[pk, b]


@njit(cache=True, error_model="numpy")
def _residual(Ab, Cb, Db, R, nb):
    """R = A C + C A^T + D lane-wise; returns per-lane max|R| and the scale |A||C| + |D|."""
    n = Ab.shape[0]
    rmax = np.zeros(nb)
    amax = np.zeros(nb)
    cmax = np.zeros(nb)
    dmax = np.zeros(nb)
    for i in range(n):
        for j in range(n):
            for b in range(nb):
                amax[b] = max(amax[b], abs(Ab[i, j, b]))
                cmax[b] = max(cmax[b], abs(Cb[i, j, b]))
                dmax[b] = max(dmax[b], abs(Db[i, j, b]))
    for i in range(n):
        for j in range(i, n):
            for b in range(nb):
                R[i, j, b] = Db[i, j, b]
            for k in range(n):
                for b in range(nb):
                    R[i, j, b] += Ab[i, k, b] * Cb[k, j, b] + Cb[i, k, b] * Ab[j, k, b]
            for b in range(nb):
                r = abs(R[i, j, b])
                # max() would silently drop a NaN: make any non-finite residual infinite
                rmax[b] = max(rmax[b], r) if r < np.inf else np.inf
    return rmax, amax * cmax + dmax


@njit(cache=True, error_model="numpy")
def _cholesky_ok(Cb, Lc, nb, ok):
    """ok[lane] = whether Cb[:, :, lane] is positive definite (and finite)."""
    n = Cb.shape[0]
    for b in range(nb):
        ok[b] = True
    for j in range(n):
        for b in range(nb):
            d = Cb[j, j, b]
            for k in range(j):
                d -= Lc[j, k, b] * Lc[j, k, b]
            if not d > 0.0:
                ok[b] = False
                d = 1.0
            Lc[j, j, b] = np.sqrt(d)
        for i in range(j + 1, n):
            for b in range(nb):
                v = Cb[i, j, b]
                for k in range(j):
                    v -= Lc[i, k, b] * Lc[j, k, b]
                Lc[i, j, b] = v / Lc[j, j, b]


@njit(cache=True, error_model="numpy")
def lyapunov_points(A, D, term_slot, term_a, term_coef, pivot, r_ptr, r_idx, l_slot, c_ptr,
                    c_idx, u_slot, t_ptr, t_slot, row_of, col_of, iu, ju, n_slots, tol, C, bad,
                    pd):
    """Solve ``A[p] C + C A[p]^T = -D[p]`` for every p.

    Writes C[p]; bad[p] flags a residual above ``tol`` (relative); pd[p] says whether C[p] is
    positive definite (Cholesky).
    """
    N, n = A.shape[0], A.shape[1]
    m = pivot.shape[0]
    L = LANES
    E = np.empty((n_slots, L))
    y = np.empty((m, L))
    Ab = np.empty((n, n, L))
    Db = np.empty((n, n, L))
    Cb = np.empty((n, n, L))
    R = np.empty((n, n, L))
    Lc = np.empty((n, n, L))
    for s in range(0, N, L):
        nb = min(L, N - s)
        for i in range(n):
            for j in range(n):
                for b in range(nb):
                    Ab[i, j, b] = A[s + b, i, j]
                    Db[i, j, b] = D[s + b, i, j]
        E[:, :] = 0.0
        for t in range(term_slot.shape[0]):
            ts, ta, tc = term_slot[t], term_a[t], term_coef[t]
            i, j = ta // n, ta % n
            for b in range(nb):
                E[ts, b] += tc * Ab[i, j, b]
        for k in range(m):
            pk = pivot[k]
            nc = c_ptr[k + 1] - c_ptr[k]
            for qi in range(r_ptr[k + 1] - r_ptr[k]):
                ls = l_slot[r_ptr[k] + qi]
                for b in range(nb):
                    E[ls, b] /= E[pk, b]
                base = t_ptr[k] + qi * nc
                for qc in range(nc):
                    ts, us = t_slot[base + qc], u_slot[c_ptr[k] + qc]
                    for b in range(nb):
                        E[ts, b] -= E[ls, b] * E[us, b]
        for t in range(m):
            rt = row_of[t]
            for b in range(nb):
                y[t, b] = -Db[iu[rt], ju[rt], b]
        _solve(E, y, nb, pivot, r_ptr, r_idx, l_slot, c_ptr, c_idx, u_slot)
        for t in range(m):
            u = col_of[t]
            for b in range(nb):
                Cb[iu[u], ju[u], b] = y[t, b]
                Cb[ju[u], iu[u], b] = y[t, b]
        rmax, scale = _residual(Ab, Cb, Db, R, nb)
        refine = False
        for b in range(nb):
            if not rmax[b] <= tol * scale[b]:
                refine = True
        if refine:   # one step of iterative refinement for the whole block
            for t in range(m):
                rt = row_of[t]
                for b in range(nb):
                    y[t, b] = -R[iu[rt], ju[rt], b]
            _solve(E, y, nb, pivot, r_ptr, r_idx, l_slot, c_ptr, c_idx, u_slot)
            for t in range(m):
                u = col_of[t]
                for b in range(nb):
                    Cb[iu[u], ju[u], b] += y[t, b]
                    if iu[u] != ju[u]:
                        Cb[ju[u], iu[u], b] += y[t, b]
            rmax, scale = _residual(Ab, Cb, Db, R, nb)
        _cholesky_ok(Cb, Lc, nb, pd[s:s + nb])
        for b in range(nb):
            bad[s + b] = not rmax[b] <= tol * scale[b]
            for i in range(n):
                for j in range(n):
                    C[s + b, i, j] = Cb[i, j, b]
