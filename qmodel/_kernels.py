"""Compiled kernels of the Krylov steady-state solver (see :mod:`qmodel.solvers`).

The jump part ``J rho = sum_k L_k rho L_k^dag`` and the sparse products of the Liouvillian
are the only steps of a GMRES iteration that are not dense BLAS.  SciPy's sparse times dense
product runs on one core and the conjugate transposes around it copy ``d x d`` matrices; at
d = 1000 that took 0.39 s per iteration, more than the four dense products of the
preconditioner.  These kernels run the products over rows in parallel, with no copies.

Kept apart so that importing :mod:`qmodel` does not compile anything; the kernels compile on
first use and are cached on disk.  Nothing here knows the physics.
"""
from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from qmodel.threads import env_thread_limit


@njit(parallel=True, cache=True, fastmath=True)
def _csr_dense(indptr, indices, data, B, out):
    """``out = A @ B`` for CSR ``A`` (rows x d) and C-ordered dense ``B`` (d x m)."""
    rows, m = out.shape
    for r in prange(rows):
        for j in range(m):
            out[r, j] = 0.0
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            v = data[p]
            for j in range(m):
                out[r, j] += v * B[c, j]


#: rows of the output computed together by :func:`_jump_fused` (each index and value of the
#: operators is then read once per block instead of once per row: 0.085 s instead of 0.145 s
#: at d = 1000 with eight operators)
_BLOCK = 8


@njit(parallel=True, cache=True, fastmath=True)
def _jump_fused(lptr, lidx, ldata, rho, rptr, ridx, rdata, n, hptr, hidx, hdata, out):
    """``out = sum_k A_k rho L_k^dag + H rho`` for the stacked CSR ``[A_1; ...; A_n]`` (each
    r x m), ``rho`` (m x d), the stacked CSR ``[L_1; ...; L_n]`` (each d x d) and a CSR ``H``
    (r x m, no rows: none), ``_BLOCK`` output rows at a time: the rows ``A_k rho`` of the
    block go to a small buffer of the block's own (a whole ``[A_k rho]`` of n r d numbers,
    allocated per call, cost as much as the products at d = 731), then
    ``out[i, j] = sum_k sum_c conj(L_k[j, c]) (A_k rho)[i, c]``, a gather within those rows."""
    rows, d = out.shape
    B = _BLOCK
    has_h = hptr.shape[0] > 1
    for b in prange((rows + B - 1) // B):
        i0 = b * B
        m = min(rows, i0 + B) - i0
        Y = np.zeros((n, B, d), np.complex128)
        for k in range(n):
            for t in range(m):
                row = k * rows + i0 + t
                for p in range(lptr[row], lptr[row + 1]):
                    c = lidx[p]
                    v = ldata[p]
                    for jj in range(d):
                        Y[k, t, jj] += v * rho[c, jj]
        acc = np.empty(B, np.complex128)
        for j in range(d):
            for t in range(m):
                acc[t] = 0j
            for k in range(n):
                row = k * d + j
                for p in range(rptr[row], rptr[row + 1]):
                    c = ridx[p]
                    v = np.conj(rdata[p])
                    for t in range(m):
                        acc[t] += v * Y[k, t, c]
            for t in range(m):
                out[i0 + t, j] = acc[t]
        if has_h:
            for t in range(m):
                for p in range(hptr[i0 + t], hptr[i0 + t + 1]):
                    c = hidx[p]
                    v = hdata[p]
                    for jj in range(d):
                        out[i0 + t, jj] += v * rho[c, jj]


@njit(parallel=True, cache=True, fastmath=True)
def _raise_columns(Wt, cols, k_of, parent, inv_sqrt, low_idx, low_coef, A_bz, tlow, tsqrt):
    """The columns ``cols`` of :func:`qmodel.mapping.normal_to_physical`'s map, in order
    (stored as rows of ``Wt``, d x size): ``Wt[n, m] = (sum_j A_bz[k, j] sqrt(m_j)
    Wt[p, m - e_j] + sum_l c_l Wt[p_l, m]) / sqrt(n_k)``, with ``p`` the column ``n - e_k``,
    ``p_l`` the columns ``n - e_k - e_l`` (-1: none) and their coefficients ``c_l``, and the
    target's lower neighbours ``tlow[j, m]`` (the position of ``m - e_j``, -1: none) with
    ``tsqrt[j, m] = sqrt(m_j)``: one pass over the target per column, in parallel over it."""
    size = Wt.shape[1]
    nphys = tlow.shape[0]
    nl = low_idx.shape[1]
    for t in range(cols.shape[0]):
        n = cols[t]
        k = k_of[t]
        p = parent[t]
        s = inv_sqrt[t]
        for m in prange(size):
            acc = 0j
            for j in range(nphys):
                q = tlow[j, m]
                if q >= 0:
                    acc += A_bz[k, j] * tsqrt[j, m] * Wt[p, q]
            for l in range(nl):
                pl = low_idx[t, l]
                if pl >= 0:
                    acc += low_coef[t, l] * Wt[pl, m]
            Wt[n, m] = acc * s


def raise_columns(*args) -> None:
    """:func:`_raise_columns` on every allowed core."""
    _on_cores(_raise_columns, *args)


def _on_cores(kernel, *args) -> None:
    """``kernel(*args)`` with Numba's thread count lowered to :func:`_threads` for the call."""
    old = get_num_threads()
    set_num_threads(_threads())
    try:
        kernel(*args)
    finally:
        set_num_threads(old)


def _threads() -> int:
    """Numba threads for one call: Numba's own count, lowered to the smallest thread limit
    set in the environment (a sweep worker, a Dask worker, a user's ``OPENBLAS_NUM_THREADS``),
    so processes x threads stay within the cores."""
    return env_thread_limit(get_num_threads())


class JumpOperator:
    """``rho -> sum_k A_k rho L_k^dag (+ H rho)`` for a fixed set of operators ``ops`` (each
    d x d, sparse), with ``A_k = L_k`` or, given ``left``, the sparse ``r x m`` blocks ``A_k``
    of them that act on an ``m x d`` ``rho`` (the rows of one parity, :mod:`qmodel.solvers`),
    and an optional sparse ``extra`` ``H`` (r x m) added as ``H rho``: one pass over
    ``_BLOCK`` output rows at a time (:func:`_jump_fused`).  Measured at d = 731 with six
    operators on the rows of one parity: 9 ms, against 27 ms with a stacked product into a
    fresh n r d buffer followed by the gather."""

    def __init__(self, ops, d: int, left=None, extra=None):
        import scipy.sparse as sp
        self.d = d
        self.n = len(ops)
        self._stack = _csr_arrays(sp.vstack(ops)) if ops else None
        self._left = (self._stack if left is None or not ops
                      else _csr_arrays(sp.vstack(left)))
        self.rows = d if left is None or not ops else left[0].shape[0]
        self._extra = (_csr_arrays(extra) if extra is not None and extra.nnz else
                       (np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, complex)))

    def __call__(self, rho: np.ndarray) -> np.ndarray:
        d, r = self.d, self.rows
        if self._stack is None:                  # no collapse operators: no jumps
            return np.zeros((r, d), complex)
        rho = np.ascontiguousarray(rho, dtype=complex)
        out = np.empty((r, d), complex)
        _on_cores(_jump_fused, *self._left, rho, *self._stack, self.n, *self._extra, out)
        return out


def _csr_arrays(A):
    A = A.tocsr()
    return (A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data.astype(complex))


def sparse_dense(A, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for a CSR matrix ``A`` and a dense ``B``, on every allowed core."""
    B = np.ascontiguousarray(B, dtype=complex)
    out = np.empty((A.shape[0], B.shape[1]), complex)
    _on_cores(_csr_dense, *_csr_arrays(A), B, out)
    return out
