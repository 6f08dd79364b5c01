"""Entanglement and occupation measures on quadrature covariance matrices.

Convention (as in the paper): quadratures ordered ``(x_1, p_1, x_2, p_2, ...)`` mode by mode,
``x = (a + a^dag)/sqrt2``, ``p = i(a^dag - a)/sqrt2``, symmetrised covariance
``C_ij = <u_i u_j + u_j u_i>/2 - <u_i><u_j>``; the vacuum has ``C = I/2``.  Logarithms are
natural.  Functions broadcast over leading axes: a stack of CMs has shape ``(..., 2n, 2n)``.
"""
from __future__ import annotations

import numpy as np


def symplectic_form(n_modes: int) -> np.ndarray:
    """``Omega = (+)_{k=1}^n [[0, 1], [-1, 0]]`` for ``n_modes`` modes."""
    return np.kron(np.eye(n_modes), np.array([[0.0, 1.0], [-1.0, 0.0]]))


def symplectic_eigenvalues(cov) -> np.ndarray:
    """Symplectic eigenvalues ``nu_k`` (ascending, one per mode) of a positive definite matrix.

    They are the moduli of the eigenvalues of ``i Omega C``, which come in +- pairs.  With
    ``C = L L^T`` (Cholesky) that matrix is similar to the Hermitian ``i L^T Omega L``, whose
    eigenvalues are computed stably even when they are degenerate.  Works for any positive
    definite CM, physical or not (a partially transposed one included).
    """
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[-1] // 2
    L = np.linalg.cholesky(cov)
    H = 1j * np.swapaxes(L, -1, -2) @ symplectic_form(n) @ L
    return np.sort(np.abs(np.linalg.eigvalsh(H)), axis=-1)[..., ::2]


def partial_transpose(cov, mode: int) -> np.ndarray:
    """CM of the partial transpose with respect to ``mode`` (0-based): ``p_mode -> -p_mode``."""
    cov = np.array(cov, dtype=float)
    sign = np.ones(cov.shape[-1])
    sign[2 * mode + 1] = -1.0
    return cov * sign[:, None] * sign[None, :]


def min_pt_symplectic_eigenvalue(cov2) -> np.ndarray:
    """Smallest symplectic eigenvalue of the partially transposed two-mode CM (``nu~_-``).

    Closed form for two modes: with blocks ``[[A, C], [C^T, B]]``,
    ``Delta~ = det A + det B - 2 det C`` and
    ``nu~_-^2 = (Delta~ - sqrt(Delta~^2 - 4 det CM)) / 2``.  Where the two symplectic
    eigenvalues nearly coincide the square root loses half the digits, so those points (and
    any that are not finite) are recomputed with :func:`symplectic_eigenvalues`.
    """
    cov2 = np.asarray(cov2, dtype=float)
    A, B, C = cov2[..., :2, :2], cov2[..., 2:, 2:], cov2[..., :2, 2:]
    det2 = lambda M: M[..., 0, 0] * M[..., 1, 1] - M[..., 0, 1] * M[..., 1, 0]
    delta = det2(A) + det2(B) - 2.0 * det2(C)
    det_all = np.linalg.det(cov2)
    disc = delta ** 2 - 4.0 * det_all
    with np.errstate(invalid="ignore"):
        nu = np.sqrt(np.maximum(2.0 * det_all / (delta + np.sqrt(np.maximum(disc, 0.0))), 0.0))
        near = ~(disc > 1e-6 * delta ** 2) & np.all(np.isfinite(cov2), axis=(-1, -2))
    if np.any(near):
        nu = np.array(nu, dtype=float, copy=True)
        pt = partial_transpose(cov2[near], 1)
        ok = np.all(np.linalg.eigvalsh(pt) > 0, axis=-1)
        nu_near = np.full(ok.shape, np.nan)
        if np.any(ok):
            nu_near[ok] = symplectic_eigenvalues(pt[ok])[..., 0]
        nu[near] = nu_near
    return nu


def log_negativity(cov2) -> np.ndarray:
    """Logarithmic negativity of a two-mode Gaussian state, Eq. (9):
    ``E_N = max(0, -ln(2 nu~_-))`` (natural log, vacuum variance 1/2)."""
    nu = min_pt_symplectic_eigenvalue(cov2)
    with np.errstate(divide="ignore"):
        return np.maximum(0.0, -np.log(2.0 * nu))


def duan_sum(cov2) -> np.ndarray:
    """Duan sum of Eq. (10): ``<dX+^2> + <dY-^2>`` with ``X+ = X1 + X2``, ``Y- = Y1 - Y2``.

    Vacuum gives 2; a value below 2 proves entanglement.
    """
    c = np.asarray(cov2, dtype=float)
    return (c[..., 0, 0] + c[..., 2, 2] + 2 * c[..., 0, 2]
            + c[..., 1, 1] + c[..., 3, 3] - 2 * c[..., 1, 3])


def mode_occupations(cov) -> np.ndarray:
    """Mean excitation number ``<a^dag a> = (C_xx + C_pp - 1)/2`` of each mode (zero means)."""
    c = np.asarray(cov, dtype=float)
    d = np.diagonal(c, axis1=-2, axis2=-1)
    return (d[..., 0::2] + d[..., 1::2] - 1.0) / 2.0


def cavity_block(cov) -> np.ndarray:
    """The 4x4 two-cavity CM (rows/columns X1, Y1, X2, Y2) of the full 8x8 CM."""
    return np.asarray(cov)[..., :4, :4]


def rotate_cavities(cov2, theta_1: float, theta_2: float) -> np.ndarray:
    """Two-mode CM seen by local oscillators at phases ``theta_1``, ``theta_2``:
    ``X_j -> cos(t) X_j + sin(t) Y_j``, ``Y_j -> -sin(t) X_j + cos(t) Y_j``."""
    def rot(t):
        return np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    R = np.zeros((4, 4))
    R[:2, :2], R[2:, 2:] = rot(theta_1), rot(theta_2)
    return R @ np.asarray(cov2, dtype=float) @ R.T


def duan_sum_optimized(cov2):
    """The smallest Duan sum over the two local-oscillator phases, ``(value, theta_1,
    theta_2)``: the best witness of Eq. (10) that homodyne detection can measure.

    Closed form.  With blocks ``[[A, C], [C^T, B]]`` and the phases of :func:`rotate_cavities`
    (``R(t) = [[cos t, sin t], [-sin t, cos t]]``), the rotated Duan sum is
    ``tr A + tr B + 2 (M_00 - M_11)`` with ``M = R(theta_1) C R(theta_2)^T`` (the local traces
    do not rotate).  Split ``C`` into a scaled rotation ``alpha Rot(phi)`` and a scaled
    reflection ``beta Ref(psi)`` (``Ref(psi) = [[cos psi, sin psi], [sin psi, -cos psi]]``),
    ``beta = sqrt((C_00 - C_11)^2 + (C_01 + C_10)^2) / 2``.  Proper rotations keep the two parts
    apart: the first stays a scaled rotation (zero ``M_00 - M_11``), the second becomes
    ``beta Ref(psi - theta_1 - theta_2)``, whose ``M_00 - M_11 = 2 beta cos(psi - theta_1 -
    theta_2)``.  So the minimum is ``tr A + tr B - 4 beta``, reached at
    ``theta_1 + theta_2 = psi + pi``; in singular values ``s_1 >= s_2`` of C,
    ``2 beta = s_1 + s_2`` if ``det C < 0`` and ``s_1 - s_2`` if ``det C >= 0``.  Only
    ``theta_1 + theta_2`` matters, so the phases returned are equal,
    ``theta_1 = theta_2 = (psi + pi)/2`` (in ``[0, pi)``; 0 when ``beta = 0``).

    Broadcasts over leading axes; a single 4x4 CM gives Python floats.
    """
    c = np.asarray(cov2, dtype=float)
    r = c[..., 0, 2] - c[..., 1, 3]          # 2 x (C_00 - C_11)/2
    s = c[..., 0, 3] + c[..., 1, 2]          # 2 x (C_01 + C_10)/2
    two_beta = np.hypot(r, s)
    value = c[..., 0, 0] + c[..., 1, 1] + c[..., 2, 2] + c[..., 3, 3] - 2.0 * two_beta
    psi = np.where(two_beta > 0, np.arctan2(s, r), -np.pi)
    theta = np.mod((psi + np.pi) / 2.0, np.pi)
    if np.ndim(value) == 0:
        return float(value), float(theta), float(theta)
    return value, theta, theta.copy()
