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

import numpy as np
import scipy.sparse as sp

from .basis import _T1, Basis
from .solvers import state_eigh


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
    """``W[m, n] = <m|n>_c``: the normal-mode Fock states of ``basis`` inside the physical Fock
    box ``physical_cutoffs`` (one per physical mode: a1, a2, m, b for the paper's model), each
    amplitude exact.

    Generating function: ``sum_n beta^n/sqrt(n!) |n>_c = exp(beta.c^dag)|0>_c``; in the
    Bargmann picture (``a^dag -> z``, ``a -> d/dz``) with ``c^dag = u^* a^dag + v^* a`` this is
    ``N exp((1/2) z^T B z + z^T (u^dag + B v^dag) beta + (1/2) beta^T (v^* B v^dag + v^* u^dag)
    beta)``, ``N = <0|0>^-1/2``, a Gaussian in (beta, z) whose coefficients obey the recursion
    of :func:`gaussian_amplitudes`.  Column by column (``A`` its matrix):
    ``W[:, n + e_k] sqrt(n_k + 1) = sum_j A_{k, z_j} a_j^dag W[:, n]
    + sum_l A_{k, l} sqrt(n_l) W[:, n - e_l]``, which uses only creation operators and lower
    columns, so the columns are the exact projections of ``|n>_c`` on the box (building them
    with the truncated ``c_k^dag`` instead would read amplitudes above the box and make the
    mapped trace exceed 1).
    """
    M = tuple(int(x) for x in physical_cutoffs)
    u, v = ladder_coefficients(basis.S)
    B = -np.linalg.solve(u, v)
    B = (B + B.T) / 2
    ub, vb = u.conj(), v.conj()
    A_bz = ub + vb @ B                                   # A_{beta_k, z_j}
    A_bb = vb @ B @ vb.T + vb @ ub.T
    A_bb = (A_bb + A_bb.T) / 2
    ad = _creation_ops(M)
    raise_k = []
    n_phys = len(M)
    for k in range(n_phys):
        op = sp.csr_matrix((int(np.prod(M)),) * 2, dtype=complex)
        for j in range(n_phys):
            op = op + A_bz[k, j] * ad[j]
        raise_k.append(op.tocsr())
    cut = basis.cutoffs
    W = np.zeros((int(np.prod(M)), basis.dim), complex)
    if basis.states is None:
        levels = np.indices(cut).reshape(len(cut), -1).T
        flat = lambda n: int(np.ravel_multi_index(tuple(n), cut))
    else:                             # a state set, closed downwards: lower columns exist
        levels = basis.states
        flat = lambda n: basis.index[tuple(int(x) for x in n)]
    W[:, 0] = gaussian_vacuum(B, M)
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


def mapped_factor(rho: np.ndarray, basis: Basis, physical_cutoffs):
    """``X`` with ``rho_phys = X X^dag`` inside the physical box, shaped ``physical_cutoffs +
    (r,)``: ``rho`` mapped once, from which every pair's reduced state is one product."""
    M = tuple(int(x) for x in physical_cutoffs)
    W = normal_to_physical(basis, M)
    # rho = sum_i w_i |v_i><v_i|: map only the eigenvectors that carry weight (the dropped ones
    # hold at most d * 1e-15 in all, rounding)
    w, vecs = state_eigh(rho)
    keep = w > 1e-15 * max(w.max(), 1e-300)
    X = W @ (vecs[:, keep] * np.sqrt(w[keep]))
    return X.reshape(M + (int(keep.sum()),))


def pair_state(X: np.ndarray, pair=(0, 1)) -> CavityState:
    """The reduced state of physical modes ``pair`` from :func:`mapped_factor`'s ``X``."""
    i, j = pair
    M = X.shape[:-1]
    rest = [k for k in range(len(M)) if k not in (i, j)]
    Y = np.transpose(X, [i, j] + rest + [len(M)]).reshape(M[i] * M[j], -1)
    rho12 = Y @ Y.conj().T
    rho12 = (rho12 + rho12.conj().T) / 2
    trace = float(np.trace(rho12).real)
    note = None
    if trace > 1.0:
        if trace - 1.0 > TRACE_ROUNDING:
            raise RuntimeError(f"the mapped state has trace {trace!r} > 1: the mapping is wrong")
        note = f"trace {trace!r} clipped to 1 (rounding)"
        trace = 1.0
    return CavityState(rho12, (M[i], M[j]), tuple(M), trace, 1.0 - trace, note)


def physical_cavity_state(rho: np.ndarray, basis: Basis, physical_cutoffs,
                          pair=(0, 1)) -> CavityState:
    """Map ``rho`` (written in ``basis``) to the physical Fock space with
    ``physical_cutoffs`` and trace out every mode but ``pair`` (default: the two cavities)."""
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
