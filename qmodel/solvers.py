"""Steady states of the master equation ``L rho = 0``.

Methods (``SolverOptions.method``):

* ``krylov`` (default): matrix-free GMRES preconditioned by the exact inverse of the no-jump
  part.  Write ``L rho = K rho + rho K^dag + J rho`` with ``K = -iH - (1/2) sum L_k^dag L_k``
  and ``J rho = sum L_k rho L_k^dag``.  ``P rho = K rho + rho K^dag`` is inverted exactly with
  one eigendecomposition ``K = V diag(lambda) V^-1``:
  ``P^-1 C = V X V^dag``, ``X_ij = (V^-1 C V^-dag)_ij / (lambda_i + conj(lambda_j))``.
  The steady state is the fixed point of ``T = -P^-1 J``; we solve
  ``(I - T) rho + u tr(rho) = u`` with GMRES (u = the starting state, trace 1), whose only
  solution is the normalised steady state.  Each iteration costs a few dense matrix products
  (BLAS), no Liouvillian is formed, and a good start (the Gaussian state) cuts the iterations.
  Its weak point: a mode that is both uncoupled and very weakly damped (a free mechanical mode
  at Q_m = 1e5) makes T's spectrum crowd towards 1 and costs hundreds of iterations.
  That is :class:`SymmetricSplitting`; where every jump flips the parity of the total
  occupation (every model the project builds), :class:`ParitySplitting` orders the rows by
  that parity and iterates ``T_1 T_2`` on half of them: half the iterations, each with three
  quarters of the dense work.
* ``direct``: sparse LU of the full Liouvillian with the trace condition (QuTiP's
  ``steadystate(method="direct")``); the reference at small cutoffs.
* ``qutip-<method>``: QuTiP's ``steadystate`` with that method and default options (the
  baseline the benchmark compares against), e.g. ``qutip-direct``, ``qutip-eigen``,
  ``qutip-power``, ``qutip-iterative-gmres``.

Every returned state is checked: Hermitian, trace 1, positive semidefinite to 1e-10, and
carries its *true* residual ``||L rho||_F`` (GMRES only controls the residual of the
preconditioned system, whose solution can sit far from ``L rho = 0`` when the eigenvectors
``V`` of K are ill-conditioned), the residual relative to the Liouvillian's scale
(:func:`liouvillian_scale`) and, for ``krylov``, the 1-norm condition number of ``V``.

Limits: ``SolverOptions.maxiter`` counts GMRES iterations (inner steps, summed over restarts
and passes); a ``deadline`` (a ``time.perf_counter()`` value) ends a running GMRES from
its callback with :class:`SolverTimeout`.
"""
from __future__ import annotations

import time
import weakref
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from qmodel.gpu import inverse_chain
from qmodel.threads import take_thread_share

METHODS = ("krylov", "direct", "qutip-direct", "qutip-eigen", "qutip-power",
           "qutip-iterative-gmres", "qutip-iterative-lgmres")


class SolverError(RuntimeError):
    """A steady-state solve that did not converge or returned an unphysical state."""


class SolverTimeout(SolverError):
    """The wall-clock deadline passed during a solve."""


class _Stop(Exception):
    pass


@dataclass(frozen=True)
class SolverOptions:
    """``method`` (see module doc); ``tol``: GMRES relative tolerance (of the preconditioned
    system) of the first pass; ``residual_target``: the true relative residual
    ``||L rho||_F / (||rho||_F scale)`` a Krylov solve aims at: while it is above, GMRES
    goes on from its solution with a tenfold tighter tolerance (twice at most, two restart
    cycles each, keeping the state with the smaller true residual; the
    evidence's bound is 1e-10, but the state's error is the residual over the Liouvillian's
    gap, which a free phonon at Q_m = 1e5 makes 1e-5: a looser 1e-11 cut the iterations at
    d = 1000 from 88 to 51 but left a vacuum 4e-9 off in trace distance);
    ``maxiter``: the most GMRES iterations in all (inner steps summed over restarts and
    passes); ``restart``: Krylov space size before a restart (lowered where the basis would
    exceed ~4 GB, e.g. to 606 at d = 908).  A restart loses what the basis knew: 60 took 298
    iterations where 200 took 195 on a three-mode model whose normal mode holds 1.8 quanta,
    and at Fig. 2(a)'s (-0.6, -0.6) omega_b (a normal mode with 2.7 quanta, d = 328) 200 took
    452 and 1000 took 308 (23 s and 18 s); the paper's point needs 28 either way (these counts
    are of the symmetric splitting); ``parity``: use :class:`ParitySplitting` where it applies
    (False: always :class:`SymmetricSplitting`, the reference the tests compare it with)."""
    method: str = "krylov"
    tol: float = 1e-14
    maxiter: int = 3000
    restart: int = 1000
    residual_target: float = 1e-13
    parity: bool = True


@dataclass(frozen=True)
class SteadyState:
    """A solved state: dense ``rho`` and how it was obtained.  ``residual`` is the true
    ``||L rho||_F`` in units of omega_b; ``relative_residual`` is
    ``||L rho||_F / (||rho||_F * scale)`` with ``scale`` from :func:`liouvillian_scale`;
    ``cond_V``: 1-norm condition number of K's eigenvectors (``krylov`` only)."""
    rho: np.ndarray
    method: str
    iterations: int
    residual: float
    seconds: float
    scale: float = float("nan")
    relative_residual: float = float("nan")
    cond_V: float | None = None


def liouvillian_apply(model, rho: np.ndarray) -> np.ndarray:
    """``L rho`` for a dense ``rho`` (matrix-free): ``K rho + rho K^dag + J rho`` with the
    sparse no-jump generator ``K = -iH - (1/2) sum_k L_k^dag L_k`` and the jump part
    ``J rho = sum_k L_k rho L_k^dag``, all as sparse-times-dense products on every allowed
    core (:mod:`qmodel._kernels`)."""
    from qmodel._kernels import sparse_dense  # Numba only where a kernel runs (qmodel._kernels)
    K, jump, _ = _operators(model)
    rho = np.asarray(rho, dtype=complex)
    return sparse_dense(K, rho) + sparse_dense(K, rho.conj().T).conj().T + jump(rho)


_OPERATORS = weakref.WeakKeyDictionary()


def _operators(model):
    """The sparse no-jump generator, the jump map and :func:`liouvillian_scale` of ``model``,
    built once per model (the products ``L_k^dag L_k`` serve K and the scale)."""
    ops = _OPERATORS.get(model)
    if ops is None:
        from qmodel._kernels import \
            JumpOperator  # Numba only where a kernel runs (qmodel._kernels)
        K = -1j * model.H
        norms = []
        for L in model.c_ops:
            LL = L.conj().T @ L
            K = K - 0.5 * LL
            norms.append(_norm1(LL))
        ops = (K.tocsr(), JumpOperator(model.c_ops, model.dim), _norm1(model.H) + sum(norms))
        _OPERATORS[model] = ops
    return ops


def hermitian_pack(rho: np.ndarray) -> np.ndarray:
    """A Hermitian ``d x d`` matrix as one real ``d x d`` matrix: the real part on and above
    the diagonal, the imaginary part below it (the real vector space GMRES works in: the
    steady-state operator maps Hermitian matrices to Hermitian ones, and real Krylov vectors
    halve the memory and the orthogonalisation work)."""
    return np.triu(rho.real) + np.tril(rho.imag, -1)


def hermitian_unpack(M: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hermitian_pack`."""
    low = np.tril(M, -1)
    return (np.triu(M) + np.triu(M, 1).T) + 1j * (low - low.T)


def _norm1(A) -> float:
    """Largest absolute column sum: for a Hermitian matrix an upper bound of the spectral norm
    (``||A||_2 <= sqrt(||A||_1 ||A||_inf) = ||A||_1``), and cheap for a sparse one."""
    return float(abs(A).sum(axis=0).max())


def liouvillian_scale(model) -> float:
    """``||H||_1 + sum_k ||L_k^dag L_k||_1`` (units of omega_b), the 1-norms standing in for
    the spectral norms they bound from above: the size of the Liouvillian's terms (``||L||``,
    Frobenius to Frobenius, is at most twice the spectral-norm sum).  The residual of a steady
    state is judged against ``||rho||_F`` times this scale."""
    return _operators(model)[2]


#: the true residual is checked once GMRES's own estimate is below this multiple of the
#: residual target (the two differ by a factor of order one; checking earlier costs a
#: Liouvillian application per check for nothing)
TRUE_CHECK = 10.0

_SPLITTINGS = weakref.WeakKeyDictionary()


def _splitting(model, parity: bool = True):
    """The splitting :func:`_krylov` iterates for ``model``, built once per model (its
    eigendecompositions cost as much as several GMRES iterations, and a solve's further
    passes reuse them): :class:`ParitySplitting` where the jumps allow it and ``parity`` is
    True, else :class:`SymmetricSplitting`."""
    cache = _SPLITTINGS.setdefault(model, {})
    key = "parity" if parity else "symmetric"
    if key not in cache:
        # the dense K only where it is used: the eigendecomposition and the parity blocks
        K = _operators(model)[0].toarray() if parity or "eig" not in cache else None
        if "eig" not in cache:
            cache["eig"] = _eig(K)
        split = ParitySplitting.build(model, K, cache["eig"]) if parity else None
        if split is None:
            if "symmetric" not in cache:
                cache["symmetric"] = SymmetricSplitting(model, cache["eig"])
            split = cache["symmetric"]
        cache[key] = split
    return cache[key]


def _eig(K: np.ndarray):
    """``(lambda, V, V^-1, cond_1(V))`` of a dense matrix."""
    lam, V = np.linalg.eig(K)
    Vi = np.linalg.inv(V)
    return lam, V, Vi, float(np.linalg.norm(V, 1) * np.linalg.norm(Vi, 1))


class SymmetricSplitting:
    """``L = P + J`` with ``P rho = K rho + rho K^dag`` inverted through one eigendecomposition
    of K (module doc), in the real space of Hermitian matrices (:func:`hermitian_pack`).
    GMRES solves ``(I - T) rho + u tr(rho) = u`` with ``T = -P^-1 J``.  A state that K does
    not decay (the vacuum at T = 0) makes P singular; then ``L = (P - s) + (J + s)``: the same
    fixed point, and ``P - s`` is invertible."""

    def __init__(self, model, eig):
        self.jump = _operators(model)[1]
        lam, V, Vi, self.cond_V = eig
        decay = np.abs(lam.real)
        self.shift = (0.1 * float(np.median(decay)) if decay.min() < 1e-10 * decay.max()
                      else 0.0)
        denom = lam[:, None] + lam.conj()[None, :] - self.shift
        self.inverse = inverse_chain(V, Vi, denom, Vi.conj().T, V.conj().T)
        self.d = model.dim

    def T(self, rho):
        J = self.jump(rho)
        if self.shift:
            J += self.shift * rho
        return self.inverse(J)

    def system(self, x0):
        """``(matvec, b, state)`` of the real linear system for the start ``x0``: its
        solution ``x`` gives the steady state ``state(x)``."""
        d = self.d
        uvec = hermitian_pack(x0 / np.trace(x0)).reshape(-1)

        def matvec(x):
            rho = hermitian_unpack(x.reshape(d, d))
            return hermitian_pack(rho - self.T(rho)).reshape(-1) + uvec * np.trace(rho).real

        return matvec, uvec, lambda x: hermitian_unpack(x.reshape(d, d))


def _block(A, rows: np.ndarray, cols: np.ndarray) -> sp.csr_matrix:
    """``A[rows][:, cols]`` of a sparse matrix (``rows``, ``cols``: sorted, distinct), read
    from its CSR arrays into one new matrix: scipy's two fancy indexings (each a new matrix
    with its checks) were a sixth of building the splitting at small d, where a verdict
    builds it 14 times."""
    A = A.tocsr()
    if not A.has_canonical_format:           # sorted, no duplicates; the caller's untouched
        A = A.copy()
        A.sum_duplicates()
    at_col = np.full(A.shape[1], -1)
    at_col[cols] = np.arange(len(cols))
    counts = A.indptr[rows + 1] - A.indptr[rows]
    # the positions of the kept rows' entries, row by row
    first = np.repeat(A.indptr[rows] - np.cumsum(counts) + counts, counts)
    at = first + np.arange(int(counts.sum()))
    c = at_col[A.indices[at]]
    keep = c >= 0
    row = np.repeat(np.arange(len(rows)), counts)[keep]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=len(rows)))))
    return sp.csr_matrix((A.data[at][keep], c[keep], indptr), shape=(len(rows), len(cols)))


def number_parity(basis) -> np.ndarray:
    """Parity (0 or 1) of the total occupation of each basis state (C order for a box)."""
    return (basis.occupation_tuples.sum(axis=1) % 2).astype(np.int8)


class ParitySplitting:
    """Red-black ordering by the parity of the total occupation ``N`` of a basis state.

    Every collapse operator is linear in the ladder operators, so it changes ``N`` by one:
    ``J`` maps the rows of even ``N`` (``E``) to the odd ones (``O``) and back.  The quadratic
    Hamiltonian keeps ``N``'s parity; only the nonlinear residue (cubic, ``H_odd``) changes it.
    Split ``K = K_even - i H_odd`` and

        ``L rho = [K_even rho + rho K^dag] + [J rho - i H_odd rho] = P' rho + F rho``:

    ``P'`` keeps a row's parity (``K_even`` is block diagonal in it; the right product acts on
    columns), ``F`` flips it.  With ``T = -P'^-1 F`` the fixed point ``rho = T rho`` splits
    into ``x_E = T_1 x_O``, ``x_O = T_2 x_E`` on the row blocks, hence ``x_E = T_1 T_2 x_E``:
    GMRES solves ``(I - T_1 T_2) x + u (tr_E x + tr_O T_2 x) = u`` for the ``E`` rows alone.
    ``T``'s eigenvalues come in pairs ``+-mu`` (it anticommutes with the parity), which
    ``T_1 T_2`` folds into one ``mu^2``: half the iterations (88 against 160 on a three-mode
    model at d = 363, 92 against 172 at d = 731), each with ``P'^-1`` on half the rows
    (``P'^-1 C = V_R ((V_R^-1 C V^-dag) / (lambda_R,i + conj lambda_j)) V^dag`` with the
    eigendecompositions of ``K_even`` on the rows' parity and of the full K): three quarters
    of the dense work of one symmetric iteration.

    Not applicable (:meth:`build` returns None) where a collapse operator does not flip the
    parity, or where ``P'`` is singular (a state no part of K decays, such as the vacuum at
    T = 0: the symmetric splitting's shift would mix the parities)."""

    def __init__(self, model, parity, H_odd, K_even, eig):
        self.d = d = model.dim
        self.E, self.O = np.flatnonzero(parity == 0), np.flatnonzero(parity == 1)
        lam, V, Vi, cond = eig
        Vh, Vih = V.conj().T, Vi.conj().T
        self.blocks = {}
        conds = [cond]
        decay = []
        from qmodel._kernels import JumpOperator  # Numba only where a kernel runs
        for name, rows, other in (("E", self.E, self.O), ("O", self.O, self.E)):
            lr, Vr, Vri, c = _eig(K_even[np.ix_(rows, rows)])
            conds.append(c)
            den = lr[:, None] + lam.conj()[None, :]
            decay.append(np.abs(den.real))
            # F restricted to the rows `other` -> `rows`: the jumps and -i H_odd
            left = [_block(L, rows, other) for L in model.c_ops]
            self.blocks[name] = (inverse_chain(Vr, Vri, den, Vih, Vh), JumpOperator(
                model.c_ops, d, left, extra=-1j * _block(H_odd, rows, other)))
        self.cond_V = max(conds)
        decay = np.concatenate([x.ravel() for x in decay])
        self.singular = bool(decay.min() < 1e-10 * decay.max())

    @classmethod
    def build(cls, model, K, eig):
        """The splitting of ``model`` (``K``: its dense no-jump generator, ``eig``: :func:`_eig`
        of it), or None where it does not apply (class doc)."""
        basis = getattr(model, "basis", None)
        if basis is None or not model.c_ops:
            return None
        parity = number_parity(basis)
        if parity.min() == parity.max():       # one parity only (d = 1): nothing to order
            return None
        for L in model.c_ops:
            L = L.tocoo()
            if np.any(parity[L.row] == parity[L.col]):
                return None
        H = model.H.tocoo()
        keep = parity[H.row] == parity[H.col]
        d = model.dim
        H_odd = sp.csr_matrix((H.data[~keep], (H.row[~keep], H.col[~keep])), shape=(d, d))
        K_even = K + 1j * H_odd.toarray()
        split = cls(model, parity, H_odd, K_even, eig)
        return None if split.singular else split

    def _T(self, x, name):
        """``-P'^-1 F`` from the rows of the other parity to the rows ``name``."""
        inverse, F = self.blocks[name]
        return inverse(F(x))

    def system(self, x0):
        """As :meth:`SymmetricSplitting.system`, the unknown being the ``E`` rows (complex,
        seen as real numbers)."""
        d, E, O = self.d, self.E, self.O
        u = np.ascontiguousarray(x0[E] / np.trace(x0))

        def rows(v):
            return v.view(complex).reshape(len(E), d)

        def matvec(v):
            x = rows(v)
            y = self._T(x, "O")
            trace = np.trace(x[:, E]) + np.trace(y[:, O])
            return (x - self._T(y, "E") + u * trace).reshape(-1).view(float)

        def state(v):
            x = rows(v)
            rho = np.empty((d, d), complex)
            rho[E], rho[O] = x, self._T(x, "O")
            return rho

        return matvec, u.reshape(-1).view(float), state


def _krylov(model, x0, opts, scale, deadline=None, tol=None, count=None, budget=None):
    """GMRES on the fixed point of the model's splitting (:func:`_splitting`) from the state
    ``x0`` (``scale``: the caller's :func:`liouvillian_scale`), for at most ``budget``
    iterations more (and ``opts.maxiter`` in all, counted in ``count``).  Returns ``(rho,
    iterations, cond_V, reached)``: ``reached`` is False when the cap stopped GMRES before
    its tolerance (``rho`` is then its last iterate)."""
    d = model.dim
    split = _splitting(model, opts.parity)
    matvec, b, state = split.system(np.asarray(x0, complex))
    count = [0] if count is None else count

    def step():
        # once per inner iteration: iterations are counted, not restart cycles
        count[0] += 1
        if deadline is not None and time.perf_counter() > deadline:
            raise _Stop("time")

    # the Krylov basis holds `restart` real vectors of about d^2 numbers: keep it under ~4 GB
    # (its single-precision copy, gmres, adds half as much)
    restart = int(max(10, min(opts.restart, KRYLOV_BASIS_BYTES / (8.0 * b.size))))
    cap = int(opts.maxiter) if budget is None else min(int(opts.maxiter), count[0] + budget)

    def good(x):
        # the criterion the caller judges: the true relative residual (about a fifth of the
        # preconditioned one near the end; stopping on it saved a third of the iterations
        # at the 160 mK point's first set)
        return _residual(model, state(x), scale)[2] <= opts.residual_target

    try:
        x, reached = gmres(matvec, b, b.copy(), opts.tol if tol is None else tol,
                           restart, lambda: cap - count[0], step, good,
                           check_below=TRUE_CHECK * opts.residual_target)
    except _Stop:
        raise SolverTimeout(f"the time limit was hit during GMRES at dimension {d} "
                            f"(after {count[0]} iterations)") from None
    return state(x), count[0], split.cond_V, reached


#: the double-precision Krylov basis is kept under this many bytes (the restart is lowered);
#: its single-precision copy (:func:`_orthogonalize`) adds half as much
KRYLOV_BASIS_BYTES = 4e9
#: numbers of a Krylov vector per block of the fused Gram-Schmidt pass (a block of the basis,
#: up to ~1000 vectors of this many doubles, stays in cache between its two uses)
GS_BLOCK = 1024
#: a vector that loses more than this fraction of its norm to the basis gets a third pass
CANCELLATION = 1e-3


def _orthogonalize(Q, Q32, w, j):
    """``w`` made orthogonal to ``Q[:j+1]`` (in place) by classical Gram-Schmidt applied
    twice; returns the coefficients.  Gram-Schmidt is memory-bound (four sweeps over a basis
    of up to ~1 GB at Fig. 2(a)'s hardest point, a third of a solve), so: the first pass's
    coefficients come from the single-precision copy ``Q32`` (half the bytes; their error,
    ~1e-7 of ``||w||``, is a component along ``Q``, which the second pass removes in double
    precision), and the first pass's update and the second pass's coefficients share one
    sweep, block by block, while a block is in cache.  The update and the second pass are in
    double precision, so ``A q_j = Q h + w`` holds to rounding, as in plain CGS2.  Where
    ``w`` lay almost inside the basis (what is left is below ``CANCELLATION`` of it), the
    single-precision pass left too much for one double pass (orthogonality 1e-12 where a
    1e-10 part of ``w`` lay outside): a third pass, in double precision."""
    B = Q[:j + 1]
    before = float(np.linalg.norm(w))
    h = (Q32[:j + 1] @ w.astype(np.float32)).astype(float)
    h2 = np.zeros(j + 1)
    for s in range(0, w.size, GS_BLOCK):
        Bb = B[:, s:s + GS_BLOCK]
        wb = w[s:s + GS_BLOCK]
        wb -= h @ Bb
        h2 += Bb @ wb
    w -= h2 @ B
    h += h2
    if np.linalg.norm(w) < CANCELLATION * before:
        h3 = B @ w
        w -= h3 @ B
        h += h3
    return h


def gmres(matvec, b, x, rtol: float, restart: int, left, step, good=None,
          check_below: float = 0.0, every: int = 4):
    """Restarted GMRES for ``A x = b`` (real), from ``x``, until ``||b - A x|| <= rtol
    ||b||`` (checked on the true residual after each cycle), with at most ``left()`` more
    inner iterations; ``step()`` is called after each (it counts them and may raise).
    Returns ``(x, reached)``.

    Classical Gram-Schmidt applied twice (:func:`_orthogonalize`: products with the whole
    basis, as accurate as modified Gram-Schmidt; SciPy's ``gmres`` orthogonalises
    one vector at a time in Python, which at d = 244 cost as much as the preconditioner; the
    second pass only where the first lost 30% of the norm, the DGKS test, was needed in 91
    of 92 iterations at d = 731),
    and a restart length set by the caller (a long one matters: 298 iterations with 60,
    195 with 400 on a three-mode model whose normal mode holds 1.8 quanta).

    ``good(x)``, if given, is asked every ``every`` iterations once the residual estimate is
    below ``check_below ||b||``: a True answer ends the solve as reached (the caller's own
    criterion, such as the residual of the unpreconditioned equation)."""
    bnorm = float(np.linalg.norm(b))
    target = rtol * bnorm
    n = b.size
    Q = np.empty((restart + 1, n))
    Q32 = np.empty((restart + 1, n), np.float32)
    last = np.inf
    while True:
        r = b - matvec(x)
        beta = float(np.linalg.norm(r))
        if beta <= target:
            return x, True
        if left() <= 0 or beta > 0.9 * last:
            # the cap, or a whole cycle that gained less than 10%: stagnation at the limit
            # of rounding (more cycles only spent the cap; the true residual is judged)
            return x, False
        last = beta
        Q[0] = r / beta
        Q32[0] = Q[0]
        H = np.zeros((restart + 1, restart))
        g = np.zeros(restart + 1)
        g[0] = beta
        cs, sn = np.zeros(restart), np.zeros(restart)
        k = 0
        for j in range(min(restart, left())):
            w = matvec(Q[j])
            step()
            h = _orthogonalize(Q, Q32, w, j)
            hn = float(np.linalg.norm(w))
            col = np.append(h, hn)
            for i in range(j):                 # the previous rotations
                col[i], col[i + 1] = (cs[i] * col[i] + sn[i] * col[i + 1],
                                      -sn[i] * col[i] + cs[i] * col[i + 1])
            rr = float(np.hypot(col[j], col[j + 1]))
            cs[j], sn[j] = (col[j] / rr, col[j + 1] / rr) if rr > 0 else (1.0, 0.0)
            col[j], col[j + 1] = rr, 0.0
            g[j + 1], g[j] = -sn[j] * g[j], cs[j] * g[j]
            H[:j + 2, j] = col
            k = j + 1
            if hn <= 1e-14 * max(rr, 1e-300) or abs(g[j + 1]) <= target:
                break                          # solved in this space (or breakdown)
            Q[j + 1] = w / hn
            Q32[j + 1] = Q[j + 1]
            if good is not None and k % every == 0 and abs(g[k]) <= check_below * bnorm:
                trial = x + scipy.linalg.solve_triangular(H[:k, :k], g[:k]) @ Q[:k]
                if good(trial):
                    return trial, True
        if k == 0:
            return x, False
        y = scipy.linalg.solve_triangular(H[:k, :k], g[:k])
        x = x + y @ Q[:k]




def _qutip(model, method):
    import qutip
    dims = model.basis.dims
    H = qutip.Qobj(model.H, dims=dims)
    c_ops = [qutip.Qobj(L, dims=dims) for L in model.c_ops]
    rho = qutip.steadystate(H, c_ops, method=method)
    return rho.full(), 0


def steady_state(model, options: SolverOptions | None = None, x0=None,
                 deadline: float | None = None, accept: float | None = None) -> SteadyState:
    """Solve ``L rho = 0`` for ``model`` and check the state (Hermitian, trace 1, PSD).

    ``deadline``: a ``time.perf_counter()`` value after which a Krylov solve stops with
    :class:`SolverTimeout` (a direct solve cannot be interrupted; it is checked after).
    A Krylov solve that stops (cap or stagnation) above ``residual_target`` raises
    :class:`SolverError`, unless its true relative residual is below ``accept``: the
    convergence loop passes its evidence bound, so that such a state is judged by the
    ``residual`` line of evidence like any other (at Fig. 2(a)'s (-0.6, -0.6) omega_b GMRES
    stagnated at 3e-12, 30 times under that bound, and the point had no verdict)."""
    opts = options or SolverOptions()
    take_thread_share()          # a sweep worker may have been given idle cores meanwhile
    if opts.method not in METHODS:
        raise ValueError(f"unknown solver {opts.method!r}; choose one of {', '.join(METHODS)}")
    t = time.perf_counter()
    if deadline is not None and t > deadline:
        raise SolverTimeout(f"the time limit was hit before a solve at dimension {model.dim}")
    cond_V = None
    scale = liouvillian_scale(model)
    if opts.method == "krylov" and model.dim == 1:
        # one state: it is the steady state (no splitting has anything to invert)
        rho, its = np.ones((1, 1), complex), 0
        rho, res, rel = _residual(model, rho, scale)
        seconds = time.perf_counter() - t
    elif opts.method == "krylov":
        start = x0 if x0 is not None else np.eye(model.dim, dtype=complex) / model.dim
        start, tol, count = np.asarray(start, complex), opts.tol, [0]
        rho, its, cond_V, reached = _krylov(model, start, opts, scale, deadline, tol, count)
        rho, res, rel = _residual(model, rho, scale)
        if rel > opts.residual_target and not reached and not (accept and rel <= accept):
            raise SolverError(f"GMRES did not reach tolerance {tol:g} in {count[0]} "
                              f"iterations (cap {opts.maxiter}) at dimension {model.dim} "
                              f"(true relative residual {rel:.1e})")
        # the true residual is what the evidence judges: GMRES's own (preconditioned)
        # tolerance can be met, or stagnate, with the true residual above its target; then
        # at most two further passes, each with a tighter tolerance (not below 1e-15, what
        # double precision can reach) and a budget of two restart cycles, keeping the best
        for _ in range(2):
            if rel <= opts.residual_target or count[0] >= opts.maxiter:
                break
            tol = max(tol * 1e-1, 1e-15)
            more, _, _, _ = _krylov(model, rho, opts, scale, deadline, tol, count,
                                    budget=2 * opts.restart)
            more, res_more, rel_more = _residual(model, more, scale)
            if rel_more >= rel:
                break
            rho, res, rel = more, res_more, rel_more
        its = count[0]
        seconds = time.perf_counter() - t
        # already normalised and Hermitian, with its residual: checked, not recomputed
        rho = check_state(rho)
    else:
        rho, its = _qutip(model, "direct" if opts.method == "direct" else opts.method[6:])
        seconds = time.perf_counter() - t
        rho, res, rel = _residual(model, check_state(rho), scale)
    return SteadyState(rho, opts.method, its, res, seconds, scale, rel, cond_V)


def _residual(model, rho, scale):
    """``rho`` normalised and made Hermitian (as :func:`check_state` does), its true
    residual ``||L rho||_F`` and that relative to ``||rho||_F scale``."""
    rho = (rho + rho.conj().T) / (2 * np.trace(rho).real)
    res = float(np.linalg.norm(liouvillian_apply(model, rho)))
    return rho, res, res / (float(np.linalg.norm(rho)) * scale)


_EIGH_LAST: list = [None, None]


def state_eigh(rho: np.ndarray):
    """``np.linalg.eigh(rho)`` for a Hermitian state, remembered for the last ``rho`` object
    (the check, the non-Gaussianity and the physical mapping of one state share it; states
    are never modified in place)."""
    if _EIGH_LAST[0] is not rho:
        _EIGH_LAST[1] = np.linalg.eigh(rho)
        _EIGH_LAST[0] = rho
    return _EIGH_LAST[1]


def check_state(rho: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Normalise and verify a density matrix; raise :class:`SolverError` if it is unphysical."""
    tr = np.trace(rho)
    if not np.isfinite(tr) or abs(tr) == 0:
        raise SolverError("the solver returned a state with no finite trace")
    rho = rho / tr
    herm = np.abs(rho - rho.conj().T).max()
    if herm > tol:
        raise SolverError(f"the solver returned a non-Hermitian state (|rho - rho^dag| = {herm:.2e})")
    rho = (rho + rho.conj().T) / 2
    lmin = state_eigh(rho)[0].min()
    if lmin < -tol:
        raise SolverError(f"the solver returned a state that is not positive semidefinite "
                          f"(smallest eigenvalue {lmin:.2e})")
    return rho
