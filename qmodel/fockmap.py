"""The reduced state of the physical cavities from a state written in a normal-mode basis.

In a ``normal`` basis the tensor factors are normal modes ``c_k``, with
``r_phys = S r_new``.  The exact E_N needs ``rho_12 = Tr_{m,b} rho`` in the *physical* Fock
basis, so we express each retained basis state ``|n>_c`` in a truncated physical Fock space:

* the normal-mode vacuum is a pure Gaussian state ``|0>_c = N exp((1/2) sum B_ij a_i^dag
  a_j^dag)|0>`` with ``B = -u^-1 v`` where ``c_k = sum_j u_kj a_j + v_kj a_j^dag``; its Fock
  amplitudes follow from ``a_i |0>_c = sum_j B_ij a_j^dag |0>_c``:
  ``psi(m + e_i) sqrt(m_i + 1) = sum_j B_ij sqrt(m_j) psi(m - e_j)``;
* ``|n + e_k>_c = c_k^dag |n>_c / sqrt(n_k + 1)`` builds the rest (sparse products).

Truncating the physical space loses a little of each vector (most for the highest retained
levels, which carry the least population); the trace of the mapped state measures the loss and
is reported with the E_N it supports.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .basis import _T1, Basis, fock_basis


def ladder_coefficients(S):
    """``(u, v)`` with ``c_k = sum_j u_kj a_j + v_kj a_j^dag`` for ``r_new = S^-1 r_phys``."""
    T = np.kron(np.eye(4), _T1)
    Mc = np.linalg.inv(T) @ np.linalg.inv(S) @ T
    return Mc[0::2, 0::2], Mc[0::2, 1::2]


def gaussian_vacuum(B, cutoffs) -> np.ndarray:
    """Fock amplitudes (flattened, normalised on the truncation) of
    ``exp((1/2) a^dag.B.a^dag)|0>`` for a symmetric complex ``B``."""
    cutoffs = tuple(cutoffs)
    psi = np.zeros(cutoffs, complex)
    psi[(0,) * len(cutoffs)] = 1.0
    levels = np.indices(cutoffs).reshape(len(cutoffs), -1).T
    order = np.argsort(levels.sum(axis=1), kind="stable")
    for idx in order[1:]:
        m = levels[idx]
        i = int(np.argmax(m > 0))               # psi(m) from m - e_i
        prev = m.copy()
        prev[i] -= 1
        acc = 0.0j
        for j in range(len(cutoffs)):
            if prev[j] > 0:
                q = prev.copy()
                q[j] -= 1
                acc += B[i, j] * np.sqrt(prev[j]) * psi[tuple(q)]
        psi[tuple(m)] = acc / np.sqrt(m[i])
    psi = psi.reshape(-1)
    return psi / np.linalg.norm(psi)


@dataclass(frozen=True)
class CavityState:
    """``rho_12`` in the physical cavity Fock basis; ``trace`` is ``1 -`` the population the
    physical truncation lost (the mapping's own convergence evidence)."""
    rho12: np.ndarray
    cavity_cutoffs: tuple
    physical_cutoffs: tuple
    trace: float


def physical_cavity_state(rho: np.ndarray, basis: Basis, physical_cutoffs) -> CavityState:
    """Map ``rho`` (written in ``basis``) to the physical Fock space with
    ``physical_cutoffs`` and trace out the magnon and the phonon."""
    M = tuple(int(x) for x in physical_cutoffs)
    u, v = ladder_coefficients(basis.S)
    B = -np.linalg.solve(u, v)
    B = (B + B.T) / 2
    phys = fock_basis(M)
    a = [phys.ladder[2 * j] for j in range(4)]
    ad = [phys.ladder[2 * j + 1] for j in range(4)]
    cdag = [sum(np.conj(u[k, j]) * ad[j] + np.conj(v[k, j]) * a[j] for j in range(4)).tocsr()
            for k in range(4)]
    cut = basis.cutoffs
    W = np.zeros((phys.dim, basis.dim), complex)
    levels = np.indices(cut).reshape(4, -1).T
    W[:, 0] = gaussian_vacuum(B, M)
    flat = lambda n: int(np.ravel_multi_index(tuple(n), cut))
    for col in np.argsort(levels.sum(axis=1), kind="stable")[1:]:
        n = levels[col]
        k = int(np.argmax(n > 0))
        prev = n.copy()
        prev[k] -= 1
        W[:, col] = cdag[k] @ W[:, flat(prev)] / np.sqrt(n[k])
    n12, n34 = M[0] * M[1], M[2] * M[3]
    Y = (W @ rho).reshape(n12, n34, basis.dim)
    Wr = W.reshape(n12, n34, basis.dim)
    rho12 = np.einsum("ikn,jkn->ij", Y, Wr.conj())
    rho12 = (rho12 + rho12.conj().T) / 2
    return CavityState(rho12, M[:2], M, float(np.trace(rho12).real))


def log_negativity_12(rho12: np.ndarray, cavity_cutoffs) -> float:
    """``ln || rho_12^{T_2} ||_1`` of a two-cavity density matrix (normalised first)."""
    n1, n2 = cavity_cutoffs
    r = rho12 / np.trace(rho12)
    pt = r.reshape(n1, n2, n1, n2).transpose(0, 3, 2, 1).reshape(n1 * n2, n1 * n2)
    norm = np.abs(np.linalg.eigvalsh((pt + pt.conj().T) / 2)).sum()
    return float(max(np.log(norm), 0.0))


def physical_cutoffs_for(occupations, extra: int = 0, tail: float = 1e-9):
    """Physical Fock cutoffs holding a thermal tail below ``tail`` for the given mean
    occupations (a1, a2, m, b), plus ``extra`` levels each; at least 4 levels."""
    out = []
    for n in np.maximum(np.asarray(occupations, float), 1e-6):
        k = 4
        while (n / (n + 1)) ** k > tail:
            k += 1
        out.append(k + extra)
    return tuple(out)
