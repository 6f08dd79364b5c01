"""A state written in a normal-mode basis, mapped to the physical Fock basis: the Gaussian
amplitude recursions and the map ``W[m, n] = <m|n>_c``.

In a ``normal`` basis the tensor factors are normal modes ``c_k``, with
``r_phys = S r_new``.  The exact E_N needs the reduced state of a pair in the *physical* Fock
basis, so each retained basis state ``|n>_c`` is expressed in a truncated physical Fock space
(the target: a box of physical cutoffs, :func:`physical_cutoffs_for`, or a
:class:`PairTarget`, physical on the pair only):

* the normal-mode vacuum is a pure Gaussian state ``|0>_c = N exp((1/2) sum B_ij a_i^dag
  a_j^dag)|0>`` with ``B = -u^-1 v`` where ``c_k = sum_j u_kj a_j + v_kj a_j^dag``; its Fock
  amplitudes follow from ``a_i |0>_c = sum_j B_ij a_j^dag |0>_c``:
  ``psi(m + e_i) sqrt(m_i + 1) = sum_j B_ij sqrt(m_j) psi(m - e_j)``
  (:func:`gaussian_amplitudes` on a box, :func:`set_gaussian_amplitudes` on a state set), and
  its normalisation is known in closed form, ``N^-2 = det(I - B^dag B)^-1/2``;
* the excited states ``|n>_c`` follow from the same kind of recursion in the joint Gaussian
  generating function (:func:`normal_to_physical`), which reads only amplitudes inside the
  target.

Every amplitude inside the target is therefore exact, nothing is renormalised, and the trace
of the mapped state is exactly the population of the state inside the target:
``lost_population = 1 - trace`` is the population the mapping lost (never negative beyond
rounding).  The creation operators are the target's own ladder operators
(:attr:`qmodel.basis.Basis.ladder`); the reduced states built from the map are in
:mod:`qmodel.reduced`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from linearized.measures import mode_occupations
from linearized.williamson import williamson
from qmodel.basis import _T1, Basis, fock_basis, probability_set, state_index, thermal_cutoffs


def ladder_coefficients(S):
    """``(u, v)`` with ``c_k = sum_j u_kj a_j + v_kj a_j^dag`` for ``r_new = S^-1 r_phys``."""
    T = np.kron(np.eye(len(S) // 2), _T1)
    Mc = np.linalg.inv(T) @ np.linalg.inv(S) @ T
    return Mc[0::2, 0::2], Mc[0::2, 1::2]


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
        # sum_j A_0j a_j^dag over the rest of the box, as one sparse construction
        weights = np.zeros(2 * (len(cutoffs) - 1), complex)
        weights[1::2] = A[0, 1:]
        op = fock_basis(cutoffs[1:]).ladder_form(weights)
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
    ``physical_cutoffs``, each amplitude exact.  The target is the physical Fock box (one
    cutoff per physical mode: a1, a2, m, b for the paper's model; rows in C order), a
    :class:`PairTarget` (rows: its ``states``), or another truncated :class:`Basis` of the
    same modes (rows: its box or its states; its modes play the physical ones, which writes a
    state of one normal-mode basis in another).

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
    if isinstance(physical_cutoffs, (PairTarget, Basis)):
        # the target modes play the physical ones: r_target = target.S^-1 S r_new
        target = physical_cutoffs
        on = target if isinstance(target, Basis) else target.basis
        S = np.linalg.solve(target.S, basis.S)
    else:
        on = fock_basis(physical_cutoffs)
        S = basis.S
    size, n_phys = on.dim, on.n_modes
    if on.states is not None:
        vacuum = lambda B: set_gaussian_amplitudes(B, on.states) / np.sqrt(vacuum_norm2(B))
    else:
        vacuum = lambda B: gaussian_vacuum(B, on.cutoffs)
    u, v = ladder_coefficients(S)
    B = -np.linalg.solve(u, v)
    B = (B + B.T) / 2
    ub, vb = u.conj(), v.conj()
    A_bz = ub + vb @ B                                   # A_{beta_k, z_j}
    A_bb = vb @ B @ vb.T + vb @ ub.T
    A_bb = (A_bb + A_bb.T) / 2
    # the target's lower neighbours: (a_j^dag psi)(m) = sqrt(m_j) psi(m - e_j)
    tlow = np.array([on.ladder_maps[2 * j][0] for j in range(n_phys)], np.int64)
    tsqrt = np.array([on.ladder_maps[2 * j][1] for j in range(n_phys)])
    # rows of Wt are the columns of W (a gather of whole columns is then contiguous)
    Wt = np.zeros((basis.dim, size), complex)
    # a box, or a state set closed downwards: the lower columns exist
    levels = basis.occupation_tuples
    Wt[basis.positions(np.zeros(basis.n_modes, int))[0]] = vacuum(B)
    total = levels.sum(axis=1)
    # lower levels first; each column raised in its first occupied mode k
    cols = np.flatnonzero(total > 0)
    cols = cols[np.argsort(total[cols], kind="stable")]
    k_of = np.argmax(levels[cols] > 0, axis=1)
    prev = levels[cols].copy()
    prev[np.arange(len(cols)), k_of] -= 1
    parent = basis.positions(prev)
    n_modes = basis.n_modes
    low_idx = np.full((len(cols), n_modes), -1, np.int64)
    low_coef = np.zeros((len(cols), n_modes), complex)
    for l in range(n_modes):
        has = np.flatnonzero((prev[:, l] > 0) & (A_bb[k_of, l] != 0))
        low = prev[has].copy()
        low[:, l] -= 1
        low_idx[has, l] = basis.positions(low)
        low_coef[has, l] = A_bb[k_of[has], l] * np.sqrt(prev[has, l])
    from qmodel._kernels import raise_columns  # Numba only where a kernel runs
    raise_columns(Wt, cols.astype(np.int64), k_of.astype(np.int64), parent.astype(np.int64),
                  1.0 / np.sqrt(levels[cols, k_of]), low_idx, low_coef,
                  np.ascontiguousarray(A_bz, complex), tlow, tsqrt)
    return Wt.T


def set_gaussian_amplitudes(A, states) -> np.ndarray:
    """:func:`gaussian_amplitudes` on a state set closed downwards (``(d, n)`` occupation
    tuples): ``G(k + e_i) sqrt(k_i + 1) = sum_j A_ij sqrt(k_j) G(k - e_j)`` reads only states
    two levels lower, which the set holds, so every amplitude is exact.  Level by level."""
    states = np.asarray(states, int)
    A = np.asarray(A, complex)
    find = state_index(states)
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

    @cached_property
    def basis(self) -> Basis:
        """The target's states as a state set (its ladder operators act on the target)."""
        return Basis("fock", self.cutoffs, np.eye(2 * len(self.occupations)),
                     states=self.states)

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




def physical_cutoffs_for(occupations, extra: int = 0, tail: float = 1e-9):
    """Physical Fock cutoffs of the mapping's box: :func:`qmodel.basis.thermal_cutoffs` with
    the population above each mode's levels (thermal, at the given mean occupations, at least
    1e-6) below ``tail`` and at least 4 levels, plus ``extra`` levels each."""
    return tuple(k + extra for k in thermal_cutoffs(occupations, tail, "outside", minimum=4,
                                                    floor=1e-6))
