"""The reduced state of the physical cavities from a state written in a normal-mode basis.

In a ``normal`` basis the tensor factors are normal modes ``c_k``, with
``r_phys = S r_new``.  The exact E_N needs ``rho_12 = Tr_{m,b} rho`` in the *physical* Fock
basis, so we express each retained basis state ``|n>_c`` in a truncated physical Fock space:

* the normal-mode vacuum is a pure Gaussian state ``|0>_c = N exp((1/2) sum B_ij a_i^dag
  a_j^dag)|0>`` with ``B = -u^-1 v`` where ``c_k = sum_j u_kj a_j + v_kj a_j^dag``; its Fock
  amplitudes follow from ``a_i |0>_c = sum_j B_ij a_j^dag |0>_c``:
  ``psi(m + e_i) sqrt(m_i + 1) = sum_j B_ij sqrt(m_j) psi(m - e_j)``, and its normalisation
  is known in closed form, ``N^-2 = det(I - B^dag B)^-1/2``;
* the excited states ``|n>_c`` follow from the same kind of recursion in the joint Gaussian
  generating function (:func:`normal_to_physical`), which reads only amplitudes inside the box.

Every amplitude inside the physical box is therefore exact, nothing is renormalised, and the
trace of the mapped state is exactly the population of the state inside the box:
``lost_population = 1 - trace`` is the population the mapping lost (never negative beyond
rounding).  It is reported with the E_N it supports.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from qmodel.basis import _T1, Basis
from qmodel.solvers import state_eigh


def ladder_coefficients(S):
    """``(u, v)`` with ``c_k = sum_j u_kj a_j + v_kj a_j^dag`` for ``r_new = S^-1 r_phys``."""
    T = np.kron(np.eye(len(S) // 2), _T1)
    Mc = np.linalg.inv(T) @ np.linalg.inv(S) @ T
    return Mc[0::2, 0::2], Mc[0::2, 1::2]


def _creation_ops(cutoffs) -> list:
    """Truncated ``a_j^dag`` (sparse CSR) on the box ``cutoffs``: ``(a_j^dag psi)(m) =
    sqrt(m_j) psi(m - e_j)``, exact for every m inside the box."""
    cutoffs = tuple(int(c) for c in cutoffs)
    ops = []
    for k, n in enumerate(cutoffs):
        ad = sp.diags(np.sqrt(np.arange(1, n, dtype=float)), -1, format="csr")
        left = sp.identity(int(np.prod(cutoffs[:k])), format="csr")
        right = sp.identity(int(np.prod(cutoffs[k + 1:])), format="csr")
        ops.append(sp.kron(sp.kron(left, ad), right, format="csr").astype(complex))
    return ops


def gaussian_amplitudes(A, cutoffs) -> np.ndarray:
    """Exact coefficients ``G(k)`` of ``exp((1/2) x^T A x) = sum_k G(k) x^k / sqrt(k!)``
    (``G(0) = 1``) on the box ``cutoffs``, flattened in C order.

    From ``d/dx_i``: ``G(k + e_i) sqrt(k_i + 1) = sum_j A_ij sqrt(k_j) G(k - e_j)``.  Only
    lower indices appear, so every amplitude inside the box is exact, whatever the box (the
    recursion runs over the first mode with the rest of the box as a vector, which it builds
    the same way).
    """
    cutoffs = tuple(int(c) for c in cutoffs)
    A = np.asarray(A, complex)
    if not cutoffs:
        return np.ones(1, complex)
    rest = gaussian_amplitudes(A[1:, 1:], cutoffs[1:])
    out = np.zeros((cutoffs[0], rest.size), complex)
    out[0] = rest
    if cutoffs[0] > 1:
        op = sp.csr_matrix((rest.size, rest.size), dtype=complex)
        for j, ad in enumerate(_creation_ops(cutoffs[1:])):
            if A[0, j + 1] != 0:
                op = op + A[0, j + 1] * ad
        for k in range(cutoffs[0] - 1):
            nxt = op @ out[k]
            if k > 0:
                nxt = nxt + A[0, 0] * np.sqrt(k) * out[k - 1]
            out[k + 1] = nxt / np.sqrt(k + 1)
    return out.reshape(-1)


def vacuum_norm2(B) -> float:
    """``<0|0>`` of the unnormalised ``exp((1/2) a^dag.B.a^dag)|0>``: ``det(I - B^dag B)^-1/2``
    (closed form for the Gaussian state; needs ``||B|| < 1``)."""
    B = np.asarray(B, complex)
    det = np.linalg.det(np.eye(len(B)) - B.conj().T @ B).real
    if not det > 0:
        raise ValueError("the normal-mode vacuum is not normalisable (||B|| >= 1)")
    return float(det ** -0.5)


def gaussian_vacuum(B, cutoffs) -> np.ndarray:
    """Fock amplitudes (flattened) of the *normalised* state
    ``exp((1/2) a^dag.B.a^dag)|0> / sqrt(<0|0>)`` for a symmetric complex ``B``, inside the
    box ``cutoffs``.  The normalisation is the exact one (:func:`vacuum_norm2`), not the
    truncation's, so ``1 - ||psi||^2`` is the population the box loses."""
    return gaussian_amplitudes(B, cutoffs) / np.sqrt(vacuum_norm2(B))


def normal_to_physical(basis: Basis, physical_cutoffs) -> np.ndarray:
    """``W[m, n] = <m|n>_c``: the normal-mode Fock states of ``basis`` inside the target
    ``physical_cutoffs``, each amplitude exact.  The target is either the physical Fock box
    (one cutoff per physical mode: a1, a2, m, b for the paper's model; rows in C order) or a
    :class:`PairTarget` (rows: its ``states``).

    Generating function: ``sum_n beta^n/sqrt(n!) |n>_c = exp(beta.c^dag)|0>_c``; in the
    Bargmann picture (``a^dag -> z``, ``a -> d/dz``) with ``c^dag = u^* a^dag + v^* a`` this is
    ``N exp((1/2) z^T B z + z^T (u^dag + B v^dag) beta + (1/2) beta^T (v^* B v^dag + v^* u^dag)
    beta)``, ``N = <0|0>^-1/2``, a Gaussian in (beta, z) whose coefficients obey the recursion
    of :func:`gaussian_amplitudes`.  Column by column (``A`` its matrix):
    ``W[:, n + e_k] sqrt(n_k + 1) = sum_j A_{k, z_j} a_j^dag W[:, n]
    + sum_l A_{k, l} sqrt(n_l) W[:, n - e_l]``, which uses only creation operators and lower
    columns, so the columns are the exact projections of ``|n>_c`` on the target (building
    them with the truncated ``c_k^dag`` instead would read amplitudes above it and make the
    mapped trace exceed 1).  On a state set closed downwards ``a_j^dag`` is exact too:
    ``(a_j^dag psi)(m) = sqrt(m_j) psi(m - e_j)`` reads only ``m - e_j``, which is in the set.
    """
    if isinstance(physical_cutoffs, PairTarget):
        target = physical_cutoffs
        # the target modes play the physical ones: r_target = target.S^-1 S r_new
        S = np.linalg.solve(target.S, basis.S)
        ad, size = _set_creation_ops(target.states), len(target.states)
        vacuum = lambda B: set_gaussian_amplitudes(B, target.states) / np.sqrt(vacuum_norm2(B))
    else:
        M = tuple(int(x) for x in physical_cutoffs)
        S, ad, size = basis.S, _creation_ops(M), int(np.prod(M))
        vacuum = lambda B: gaussian_vacuum(B, M)
    u, v = ladder_coefficients(S)
    B = -np.linalg.solve(u, v)
    B = (B + B.T) / 2
    ub, vb = u.conj(), v.conj()
    A_bz = ub + vb @ B                                   # A_{beta_k, z_j}
    A_bb = vb @ B @ vb.T + vb @ ub.T
    A_bb = (A_bb + A_bb.T) / 2
    raise_k = []
    n_phys = len(ad)
    for k in range(n_phys):
        op = sp.csr_matrix((size, size), dtype=complex)
        for j in range(n_phys):
            op = op + A_bz[k, j] * ad[j]
        raise_k.append(op.tocsr())
    cut = basis.cutoffs
    W = np.zeros((size, basis.dim), complex)
    if basis.states is None:
        levels = np.indices(cut).reshape(len(cut), -1).T
        flat = lambda n: int(np.ravel_multi_index(tuple(n), cut))
    else:                             # a state set, closed downwards: lower columns exist
        levels = basis.states
        flat = lambda n: basis.index[tuple(int(x) for x in n)]
    W[:, 0] = vacuum(B)
    for col in np.argsort(levels.sum(axis=1), kind="stable")[1:]:
        n = levels[col]
        k = int(np.argmax(n > 0))
        prev = n.copy()
        prev[k] -= 1
        acc = raise_k[k] @ W[:, flat(prev)]
        for l in range(n_phys):
            if prev[l] > 0 and A_bb[k, l] != 0:
                low = prev.copy()
                low[l] -= 1
                acc = acc + A_bb[k, l] * np.sqrt(prev[l]) * W[:, flat(low)]
        W[:, col] = acc / np.sqrt(n[k])
    return W


# -- a target that is physical only on the pair ------------------------------------------------

def _lookup(states: np.ndarray):
    """``find(rows)``: positions of occupation tuples in ``states`` (-1 where absent)."""
    states = np.asarray(states, int)
    radix = states.max(axis=0) + 2
    code = lambda s: np.ravel_multi_index(tuple(np.minimum(s, radix - 1).T), tuple(radix))
    codes = code(states)
    order = np.argsort(codes)
    sorted_codes = codes[order]

    def find(rows):
        rows = np.asarray(rows, int).reshape(-1, states.shape[1])
        if not len(rows):
            return np.zeros(0, int)
        c = code(rows)
        pos = np.minimum(np.searchsorted(sorted_codes, c), len(codes) - 1)
        return np.where(sorted_codes[pos] == c, order[pos], -1)
    return find


def _set_creation_ops(states) -> list:
    """Truncated ``a_j^dag`` (sparse CSR) on a state set closed downwards: exact for every
    member (it reads only ``m - e_j``), cut where ``m + e_j`` leaves the set."""
    states = np.asarray(states, int)
    find, d = _lookup(states), len(states)
    ops = []
    for j in range(states.shape[1]):
        up = states.copy()
        up[:, j] += 1
        dst = find(up)
        src = np.flatnonzero(dst >= 0)
        ops.append(sp.csr_matrix((np.sqrt(up[src, j].astype(float)), (dst[src], src)),
                                 shape=(d, d), dtype=complex))
    return ops


def set_gaussian_amplitudes(A, states) -> np.ndarray:
    """:func:`gaussian_amplitudes` on a state set closed downwards (``(d, n)`` occupation
    tuples): ``G(k + e_i) sqrt(k_i + 1) = sum_j A_ij sqrt(k_j) G(k - e_j)`` reads only states
    two levels lower, which the set holds, so every amplitude is exact.  Level by level."""
    states = np.asarray(states, int)
    A = np.asarray(A, complex)
    find = _lookup(states)
    G = np.zeros(len(states), complex)
    G[find(np.zeros((1, states.shape[1]), int))] = 1.0
    total = states.sum(axis=1)
    first = np.argmax(states > 0, axis=1)
    for L in range(1, int(total.max(initial=0)) + 1):
        rows = np.flatnonzero(total == L)
        i = first[rows]
        k = states[rows].copy()
        k[np.arange(len(rows)), i] -= 1
        acc = np.zeros(len(rows), complex)
        for j in range(states.shape[1]):
            has = np.flatnonzero(k[:, j] > 0)
            low = k[has].copy()
            low[:, j] -= 1
            acc[has] += A[i[has], j] * np.sqrt(k[has, j]) * G[find(low)]
        G[rows] = acc / np.sqrt(states[rows, i])
    return G


@dataclass(frozen=True, eq=False)
class PairTarget:
    """Where the state of one pair is mapped: the pair's two *physical* modes and, for the
    other modes, the Williamson normal modes of their own reduced covariance matrix.  Those
    are a Gaussian unitary on the traced modes alone, so the pair's reduced state is exactly
    the one in the physical basis, while the traced modes need only a few levels (a hot
    phonon or the cavities of the cascaded model's filter pair: a physical box over all six
    modes would hold ~10^6 states).  ``r_phys = S r_target``; the target keeps the occupation
    tuples whose thermal-product probability, with the target modes' own mean quanta
    ``occupations``, exceeds ``eps`` (closed downwards); ``1 - trace`` of the mapped state is
    exactly the population it lost."""
    pair: tuple
    S: np.ndarray
    occupations: np.ndarray
    eps: float

    @cached_property
    def states(self) -> np.ndarray:
        """The pair's box (each mode's thermal tail below ``eps``) times the other modes'
        probability set at ``eps``.  The pair is strongly correlated (an entangled pair's
        occupations go together), so a product-probability set over the pair would cut its
        diagonal; the traced normal modes are nearly independent of each other."""
        from qmodel.basis import probability_set
        n = len(self.occupations)
        i, j = self.pair
        rest = [k for k in range(n) if k not in (i, j)]
        box = physical_cutoffs_for(self.occupations[[i, j]], tail=self.eps)
        pair = np.indices(box).reshape(2, -1).T
        others = (probability_set(self.occupations[rest], self.eps) if rest
                  else np.zeros((1, 0), int))
        out = np.zeros((len(others) * len(pair), n), int)
        out[:, [i, j]] = np.tile(pair, (len(others), 1))
        out[:, rest] = np.repeat(others, len(pair), axis=0)
        return out[np.argsort(out.sum(axis=1), kind="stable")]

    @property
    def cutoffs(self) -> tuple:
        """The box around the target's states (reported like physical cutoffs)."""
        return tuple(int(x) for x in self.states.max(axis=0) + 1)

    def finer(self, factor: float = 10.0) -> "PairTarget":
        return PairTarget(self.pair, self.S, self.occupations, self.eps / factor)

    def describe(self) -> dict:
        return {"kind": "pair_target", "pair": list(self.pair), "eps": self.eps,
                "states": len(self.states), "cutoffs": list(self.cutoffs)}


def pair_target(cov, pair, eps: float) -> PairTarget:
    """The :class:`PairTarget` of ``pair`` for a state of covariance matrix ``cov``
    (vacuum 1/2): the pair's modes physical, with their mean quanta from ``cov``; the others
    replaced by the normal modes of their reduced covariance matrix, ``nu_k - 1/2`` quanta."""
    from linearized.measures import mode_occupations
    from linearized.williamson import williamson
    cov = np.asarray(cov, float)
    n = cov.shape[0] // 2
    pair = tuple(int(x) for x in pair)
    rest = [k for k in range(n) if k not in pair]
    S = np.eye(2 * n)
    occ = np.array(mode_occupations(cov), float)
    if rest:
        q = [2 * k + s for k in rest for s in (0, 1)]
        nu, Sc = williamson(cov[np.ix_(q, q)])
        S[np.ix_(q, q)] = Sc
        occ[rest] = np.asarray(nu) - 0.5
    return PairTarget(pair, S, np.maximum(occ, 0.0), float(eps))


#: a mapped trace above 1 by more than this is a bug, not rounding
TRACE_ROUNDING = 1e-11


@dataclass(frozen=True)
class CavityState:
    """``rho_12``, the reduced state of a pair of physical modes (the two cavities by default)
    in their physical Fock basis; ``trace`` = ``1 - lost_population``, the population of the
    whole state inside the physical box ``physical_cutoffs`` (exact normal-mode states, exactly
    normalised vacuum: never above 1 beyond rounding, which is clipped and noted in ``note``).
    ``cavity_cutoffs`` are the pair's two cutoffs."""
    rho12: np.ndarray
    cavity_cutoffs: tuple
    physical_cutoffs: tuple
    trace: float
    lost_population: float = 0.0
    note: str | None = None


@dataclass(frozen=True, eq=False)
class SetFactor:
    """``rho_target = X X^dag`` on the states of a :class:`PairTarget`."""
    X: np.ndarray
    target: PairTarget


def mapped_factor(rho: np.ndarray, basis: Basis, physical_cutoffs):
    """``X`` with ``rho_phys = X X^dag`` inside the physical box, shaped ``physical_cutoffs +
    (r,)`` (a :class:`SetFactor` for a :class:`PairTarget`): ``rho`` mapped once, from which
    every pair's reduced state is one product."""
    W = normal_to_physical(basis, physical_cutoffs)
    # rho = sum_i w_i |v_i><v_i|: map only the eigenvectors that carry weight (the dropped ones
    # hold at most d * 1e-15 in all, rounding)
    w, vecs = state_eigh(rho)
    keep = w > 1e-15 * max(w.max(), 1e-300)
    X = W @ (vecs[:, keep] * np.sqrt(w[keep]))
    if isinstance(physical_cutoffs, PairTarget):
        return SetFactor(X, physical_cutoffs)
    M = tuple(int(x) for x in physical_cutoffs)
    return X.reshape(M + (int(keep.sum()),))


def _checked(rho12, cavity_cutoffs, physical_cutoffs) -> CavityState:
    rho12 = (rho12 + rho12.conj().T) / 2
    trace = float(np.trace(rho12).real)
    note = None
    if trace > 1.0:
        if trace - 1.0 > TRACE_ROUNDING:
            raise RuntimeError(f"the mapped state has trace {trace!r} > 1: the mapping is wrong")
        note = f"trace {trace!r} clipped to 1 (rounding)"
        trace = 1.0
    return CavityState(rho12, tuple(cavity_cutoffs), tuple(physical_cutoffs), trace,
                       1.0 - trace, note)


def _set_pair_state(F: SetFactor, pair) -> CavityState:
    """Partial trace of ``X X^dag`` over the target's other modes, one group of states with
    the same other occupations at a time (a dense array over the box would not fit)."""
    t = F.target
    if set(pair) != set(t.pair):
        raise ValueError(f"this mapping keeps only modes {t.pair} physical; the reduced state "
                         f"of {tuple(pair)} needs its own target")
    if tuple(pair) != tuple(t.pair):           # the same pair, subsystems swapped
        cs = _set_pair_state(F, t.pair)
        a, b = cs.cavity_cutoffs
        r = cs.rho12.reshape(a, b, a, b).transpose(1, 0, 3, 2).reshape(a * b, a * b)
        return CavityState(r, (b, a), cs.physical_cutoffs, cs.trace, cs.lost_population,
                           cs.note)
    i, j = t.pair
    s = t.states
    Mi, Mj = int(s[:, i].max()) + 1, int(s[:, j].max()) + 1
    p = s[:, i] * Mj + s[:, j]
    rest = [k for k in range(s.shape[1]) if k not in (i, j)]
    if rest:
        _, group = np.unique(s[:, rest], axis=0, return_inverse=True)
        group = group.reshape(-1)
    else:
        group = np.zeros(len(s), int)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    rho12 = np.zeros((Mi * Mj, Mi * Mj), complex)
    for rows in np.split(order, bounds):
        Y = F.X[rows]
        rho12[np.ix_(p[rows], p[rows])] += Y @ Y.conj().T
    return _checked(rho12, (Mi, Mj), t.cutoffs)


def pair_state(X, pair=(0, 1)) -> CavityState:
    """The reduced state of physical modes ``pair`` from :func:`mapped_factor`'s ``X``."""
    if isinstance(X, SetFactor):
        return _set_pair_state(X, pair)
    i, j = pair
    M = X.shape[:-1]
    rest = [k for k in range(len(M)) if k not in (i, j)]
    Y = np.transpose(X, [i, j] + rest + [len(M)]).reshape(M[i] * M[j], -1)
    return _checked(Y @ Y.conj().T, (M[i], M[j]), M)


def physical_cavity_state(rho: np.ndarray, basis: Basis, physical_cutoffs,
                          pair=(0, 1)) -> CavityState:
    """Map ``rho`` (written in ``basis``) to the physical Fock space with
    ``physical_cutoffs`` (or a :class:`PairTarget`) and trace out every mode but ``pair``
    (default: the two cavities)."""
    return pair_state(mapped_factor(rho, basis, physical_cutoffs), pair)


def log_negativity_12(rho12: np.ndarray, cavity_cutoffs) -> float:
    """``ln || rho_12^{T_2} ||_1`` of a two-mode density matrix (normalised first)."""
    n1, n2 = cavity_cutoffs
    r = rho12 / np.trace(rho12)
    pt = r.reshape(n1, n2, n1, n2).transpose(0, 3, 2, 1).reshape(n1 * n2, n1 * n2)
    norm = np.abs(np.linalg.eigvalsh((pt + pt.conj().T) / 2)).sum()
    return float(max(np.log(norm), 0.0))


def physical_cutoffs_for(occupations, extra: int = 0, tail: float = 1e-9):
    """Physical Fock cutoffs holding a thermal tail below ``tail`` for the given mean
    occupations (one per physical mode), plus ``extra`` levels each; at least 4 levels."""
    out = []
    for n in np.maximum(np.asarray(occupations, float), 1e-6):
        k = 4
        while (n / (n + 1)) ** k > tail:
            k += 1
        out.append(k + extra)
    return tuple(out)
