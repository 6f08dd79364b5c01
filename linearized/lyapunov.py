"""Steady-state covariance matrix from the Lyapunov equation ``A C + C A^T = -D`` (Eq. 8).

Two routes that must agree:

* :func:`steady_covariance`: one point, the Kronecker form ``(A (x) I + I (x) A) vec C =
  -vec D`` solved by LU (NumPy, 64 unknowns for n = 8), its residual checked, and SciPy's
  Bartels-Stewart solver (``scipy.linalg.solve_continuous_lyapunov``) where it is not at
  rounding level.
* :func:`steady_covariance_batch`: a whole grid at once.  The Lyapunov operator restricted to
  the ``n(n+1)/2`` independent entries of the symmetric C is a sparse matrix whose pattern is
  the same at every grid point (it follows from the pattern of A).  We factor it *symbolically
  once* (fill-reducing COLAMD ordering and pivot order taken from SuperLU on a representative
  point) and then run only the numeric elimination at each point, in a small compiled kernel
  (:mod:`linearized._kernel`, Numba): about 2,000 multiply-adds a point with no LAPACK call
  overhead.  The residual of Eq. (8) is checked at every point, one step of iterative
  refinement is taken where it is not at rounding level, and any point still off is re-solved
  with SciPy, so a fixed pivot order can cost speed, never accuracy.

Start-up: this module imports NumPy only.  SciPy (``scipy.linalg``, ``scipy.sparse``) and
Numba are imported inside the functions that need them (the fallback solver and the batched path),
so a single-point solve does not pay their import time.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

#: relative residual ``|A C + C A^T + D|_max / (|A|_max |C|_max + |D|_max)`` accepted
RESIDUAL_TOL = 1e-12


def steady_covariance(A, D) -> np.ndarray:
    """Solve ``A C + C A^T = -D`` for one point, returning the symmetrised C.

    The Kronecker form is solved with NumPy's LU; where that fails (a singular operator) or
    leaves a residual above :data:`RESIDUAL_TOL`, SciPy's Bartels-Stewart solver answers.
    """
    A = np.asarray(A, float)
    D = np.asarray(D, float)
    n = A.shape[-1]
    eye = np.eye(n)
    try:
        with np.errstate(all="ignore"):
            C = np.linalg.solve(np.kron(A, eye) + np.kron(eye, A), -D.reshape(-1)).reshape(n, n)
            C = (C + C.T) / 2
            ok = _relative_residual(A, C, D) <= RESIDUAL_TOL
    except np.linalg.LinAlgError:
        ok = False
    if not ok:
        # SciPy only here: the single-point path imports NumPy alone (tests/test_startup.py)
        import scipy.linalg
        C = scipy.linalg.solve_continuous_lyapunov(A, -D)
        C = (C + C.T) / 2
    return C


def _relative_residual(A, C, D) -> float:
    """``|A C + C A^T + D|_max / (|A|_max |C|_max + |D|_max)`` (NaN if C is not finite)."""
    R = A @ C + C @ A.T + D
    scale = np.abs(A).max() * np.abs(C).max() + np.abs(D).max()
    return float(np.abs(R).max() / scale) if scale > 0 else float(np.abs(R).max())


def max_real_eigenvalue(A) -> np.ndarray:
    """Largest real part of the eigenvalues of ``A`` (same units as A); > 0 means unstable."""
    return np.linalg.eigvals(A).real.max(axis=-1)


class _SymbolicLU:
    """Symbolic LU of the symmetric Lyapunov operator for one sparsity pattern of A."""

    def __init__(self, pattern: tuple, ref_A: np.ndarray):
        # SciPy and Numba only for a grid: the single-point path imports NumPy alone
        import scipy.sparse
        import scipy.sparse.linalg
        n = int(round(len(pattern) ** 0.5))
        pat = np.array(pattern, dtype=bool).reshape(n, n)
        self.n = n
        self.unknowns = [(i, j) for i in range(n) for j in range(i, n)]
        pos = {}
        for t, (i, j) in enumerate(self.unknowns):
            pos[(i, j)] = pos[(j, i)] = t
        m = len(self.unknowns)
        # M[r, c] = sum of A entries (i,k) -> terms (r, c, flat index of A)
        terms = []
        for r, (i, j) in enumerate(self.unknowns):
            for k in range(n):
                if pat[i, k]:
                    terms.append((r, pos[(k, j)], i * n + k))
                if pat[j, k]:
                    terms.append((r, pos[(i, k)], j * n + k))
        terms = np.array(terms)
        M_ref = np.zeros((m, m))
        np.add.at(M_ref, (terms[:, 0], terms[:, 1]), ref_A.reshape(-1)[terms[:, 2]])
        lu = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(M_ref), permc_spec="COLAMD")
        row_of = np.argsort(lu.perm_r)      # permuted row t is original equation row_of[t]
        col_of = np.argsort(lu.perm_c)      # permuted column t is original unknown col_of[t]
        new_row = np.empty(m, int); new_row[row_of] = np.arange(m)
        new_col = np.empty(m, int); new_col[col_of] = np.arange(m)
        structure = set(zip(new_row[terms[:, 0]], new_col[terms[:, 1]]))
        structure |= {(t, t) for t in range(m)}
        # symbolic elimination in natural order of the permuted matrix
        rows_below = [set() for _ in range(m)]
        cols_right = [set() for _ in range(m)]
        for r, c in structure:
            (rows_below if r > c else cols_right)[min(r, c)].add(max(r, c)) if r != c else None
        steps = []
        for k in range(m):
            R, Cc = sorted(rows_below[k]), sorted(cols_right[k])
            for r in R:
                for c in Cc:
                    if (r, c) not in structure:
                        structure.add((r, c))
                        (rows_below if r > c else cols_right)[min(r, c)].add(max(r, c))
            steps.append((k, R, Cc))
        slots = {rc: s for s, rc in enumerate(sorted(structure))}
        self.n_slots = len(slots)
        self.pivot = np.array([slots[(k, k)] for k in range(m)])
        self.steps = []
        for k, R, Cc in steps:
            lslots = np.array([slots[(r, k)] for r in R], dtype=int)
            uslots = np.array([slots[(k, c)] for c in Cc], dtype=int)
            target = np.array([[slots[(r, c)] for c in Cc] for r in R], dtype=int).reshape(len(R), len(Cc))
            self.steps.append((k, np.array(R, int), lslots, np.array(Cc, int), uslots, target))
        # initial values of the slots: E = T @ vec(A)
        t_rows = [slots[(new_row[r], new_col[c])] for r, c, _ in terms]
        self.T = scipy.sparse.csr_matrix((np.ones(len(terms)), (t_rows, terms[:, 2])),
                                         shape=(self.n_slots, n * n))
        self.row_of, self.col_of = row_of, col_of
        self.m = m
        iu = np.array(self.unknowns)
        self.iu, self.ju = iu[:, 0], iu[:, 1]


@lru_cache(maxsize=8)
def _symbolic(pattern: tuple, ref_bytes: bytes) -> _SymbolicLU:
    n = int(round(len(pattern) ** 0.5))
    return _SymbolicLU(pattern, np.frombuffer(ref_bytes).reshape(n, n))


def _flatten_steps(sym):
    """CSR-like integer arrays describing the elimination steps, for the compiled kernel."""
    r_ptr, r_idx, l_slot, c_ptr, c_idx, u_slot, t_ptr, t_slot = [0], [], [], [0], [], [], [0], []
    for k, R, lslots, Cc, uslots, target in sym.steps:
        r_idx += list(R); l_slot += list(lslots); r_ptr.append(len(r_idx))
        c_idx += list(Cc); u_slot += list(uslots); c_ptr.append(len(c_idx))
        t_slot += list(target.reshape(-1)); t_ptr.append(len(t_slot))
    term_slot = sym.T.tocoo()
    as_int = lambda v: np.asarray(v, dtype=np.int64)
    return (as_int(term_slot.row), as_int(term_slot.col), term_slot.data.astype(float),
            as_int(sym.pivot), as_int(r_ptr),
            as_int(r_idx), as_int(l_slot), as_int(c_ptr), as_int(c_idx), as_int(u_slot),
            as_int(t_ptr), as_int(t_slot), as_int(sym.row_of), as_int(sym.col_of),
            as_int(sym.iu), as_int(sym.ju))


def steady_covariance_batch(A, D):
    """Solve ``A C + C A^T = -D`` at every point of a stack ``A, D`` of shape ``(..., n, n)``.

    Returns ``(C, positive_definite, fallback)``: C of the same shape; whether each C is
    positive definite; and which points had to be re-solved with SciPy (for diagnostics).
    Points where no solution exists (``lambda_i + lambda_j = 0``) come back as NaN.

    Positive definiteness is the grid's stability test: by the inertia theorem, for D >= 0 with
    (A, D^(1/2)) controllable (true here: every mode has its own noise or is coupled to one that
    has), the Lyapunov solution is positive definite exactly when every eigenvalue of A has a
    negative real part.  The tests check it against the eigenvalues.
    """
    # Numba loads (and compiles, cached on disk) on the first grid, not with the package
    from linearized._kernel import lyapunov_points

    A = np.asarray(A, float)
    D = np.broadcast_to(np.asarray(D, float), A.shape)
    shape, n = A.shape[:-2], A.shape[-1]
    A2 = np.ascontiguousarray(A.reshape(-1, n, n))
    D2 = np.ascontiguousarray(D.reshape(-1, n, n))
    N = A2.shape[0]
    if N == 0:
        return np.empty(A.shape), np.zeros(shape, bool), np.zeros(shape, bool)
    pattern = tuple(np.any(A2 != 0, axis=0).reshape(-1).tolist())
    mid = A2[N // 2]
    ref = mid + np.where(np.array(pattern).reshape(n, n) & (mid == 0), 1.0, 0.0)
    sym = _symbolic(pattern, np.ascontiguousarray(ref).tobytes())
    C = np.empty_like(A2)
    bad = np.zeros(N, bool)
    pd = np.zeros(N, bool)
    lyapunov_points(A2, D2, *_flatten_steps(sym), sym.n_slots, RESIDUAL_TOL, C, bad, pd)
    for i in np.flatnonzero(bad):
        try:
            C[i] = steady_covariance(A2[i], D2[i])
            pd[i] = bool(np.all(np.linalg.eigvalsh(C[i]) > 0))
        except (np.linalg.LinAlgError, ValueError):
            C[i], pd[i] = np.nan, False
    return C.reshape(shape + (n, n)), pd.reshape(shape), bad.reshape(shape)
