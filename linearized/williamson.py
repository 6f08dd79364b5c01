"""Williamson normal form of a covariance matrix.

For a real symmetric positive definite ``V`` (``2n x 2n``, quadratures ordered
``(x_1, p_1, ..., x_n, p_n)``) there is a symplectic ``S`` (``S Omega S^T = Omega``) with
``V = S diag(nu_1, nu_1, ..., nu_n, nu_n) S^T``; the ``nu_k`` are the symplectic eigenvalues.
For a CM with vacuum variance 1/2, new quadratures ``r_new = S^{-1} r`` describe independent
thermal modes with occupations ``nu_k - 1/2``.
"""
from __future__ import annotations

import numpy as np

from linearized.measures import symplectic_form


def williamson(V):
    """Return ``(nu, S)`` with ``V = S diag(nu_k repeated twice) S^T``, ``S`` symplectic.

    Method: ``Psi = V^{-1/2} Omega V^{-1/2}`` is antisymmetric; its real Schur form
    ``K^T Psi K`` is block diagonal with blocks ``[[0, d_k], [-d_k, 0]]`` (columns of K swapped
    where needed so that ``d_k > 0``).  Then ``nu_k = 1/d_k`` and
    ``S = V^{1/2} K diag(nu)^{-1/2}``.  Modes are returned in descending order of ``nu``.
    """
    V = np.asarray(V, dtype=float)
    n = V.shape[0] // 2
    if np.any(np.linalg.eigvalsh(V) <= 0):
        raise ValueError("the covariance matrix is not positive definite")
    w, U = np.linalg.eigh(V)
    root = (U * np.sqrt(w)) @ U.T
    inv_root = (U / np.sqrt(w)) @ U.T
    psi = inv_root @ symplectic_form(n) @ inv_root
    import scipy.linalg  # here, not at import: the single-point path does not need it
    T, K = scipy.linalg.schur((psi - psi.T) / 2, output="real")
    d = np.empty(n)
    for k in range(n):
        if T[2 * k, 2 * k + 1] < 0:
            K[:, [2 * k, 2 * k + 1]] = K[:, [2 * k + 1, 2 * k]]
            d[k] = -T[2 * k, 2 * k + 1]
        else:
            d[k] = T[2 * k, 2 * k + 1]
    nu = 1.0 / d
    order = np.argsort(-nu)
    cols = np.ravel([[2 * k, 2 * k + 1] for k in order])
    K, nu = K[:, cols], nu[order]
    S = root @ K @ np.diag(np.repeat(nu, 2) ** -0.5)
    return nu, S
