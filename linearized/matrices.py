"""Drift matrix A (Eq. 6) and diffusion matrix D (Eq. 8) of the quadrature fluctuations.

Quadrature order ``u = (X1, Y1, X2, Y2, x, y, q, p)``, ``X = (a + a^dag)/sqrt2``,
``Y = i(a^dag - a)/sqrt2``; vacuum variance 1/2.  Entries are in angular units (rad/s).
Both functions broadcast over array-valued parameters and return arrays of shape
``params.shape + (8, 8)``.

Mechanical bath (``params.mech_bath``):

* ``brownian`` (Eq. 6/8 of the paper): ``dp/dt = ... - gamma p``, ``D_qq = 0``,
  ``D_pp = gamma (2 N_b + 1)``;
* ``lindblad`` (collapse operators ``sqrt(gamma (N_b+1)) b``, ``sqrt(gamma N_b) b^dag``):
  q and p both decay at gamma/2 and ``D_qq = D_pp = (gamma/2)(2 N_b + 1)``.
"""
from __future__ import annotations

import numpy as np

from .meanfield import magnon_number
from .thermal import occupations

#: labels of the eight quadratures, in the order of the paper's vector u
QUADRATURES = ("X1", "Y1", "X2", "Y2", "x", "y", "q", "p")
#: labels of the four modes (pairs of quadratures)
MODES = ("a1", "a2", "m", "b")


def drift_matrix(params):
    """Drift matrix ``A`` of Eq. (6) (rad/s), with the mechanical row of ``params.mech_bath``.

    The magnetostrictive coupling enters as ``dx/dt = ... - G q`` and ``dp/dt = ... + G y``.
    A Kerr term adds ``4 K |<m>|^2`` to ``dx/dt``'s y coefficient (``Delta_m`` is the effective
    detuning of the mean field, Kerr shift included).
    """
    w = {k: params.angular(k) for k in ("Delta_1", "Delta_2", "Delta_m", "kappa_1", "kappa_2",
                                        "kappa_m", "g_1", "g_2", "G", "omega_b", "gamma_b")}
    shape = params.shape
    A = np.zeros(shape + (8, 8))
    k1, k2, km = w["kappa_1"], w["kappa_2"], w["kappa_m"]
    d1, d2, dm = w["Delta_1"], w["Delta_2"], w["Delta_m"]
    g1, g2, G, wb, gam = w["g_1"], w["g_2"], w["G"], w["omega_b"], w["gamma_b"]
    entries = {
        (0, 0): -k1, (0, 1): d1, (0, 5): g1,
        (1, 0): -d1, (1, 1): -k1, (1, 4): -g1,
        (2, 2): -k2, (2, 3): d2, (2, 5): g2,
        (3, 2): -d2, (3, 3): -k2, (3, 4): -g2,
        (4, 1): g1, (4, 3): g2, (4, 4): -km, (4, 5): dm, (4, 6): -G,
        (5, 0): -g1, (5, 2): -g2, (5, 4): -dm, (5, 5): -km,
        (6, 7): wb,
        (7, 5): G, (7, 6): -wb,
    }
    K = params.angular("K")
    if np.any(K != 0):
        # Kerr K (m^dag m)^2 about <m> = -i|<m>|: the fluctuations get 2 K |<m>|^2 y^2
        with np.errstate(divide="ignore", invalid="ignore"):
            n = np.where(K != 0, magnon_number(params), 0.0)
        entries[(4, 5)] = dm + 4 * K * n
    if params.mech_bath == "brownian":
        entries[(7, 7)] = -gam
    else:
        entries[(6, 6)] = -gam / 2
        entries[(7, 7)] = -gam / 2
    for (i, j), value in entries.items():
        A[..., i, j] = value
    return A


def diffusion_matrix(params):
    """Diffusion matrix ``D`` of Eq. (8) (rad/s), diagonal, for ``params.mech_bath``."""
    n1, n2, nm, nb = occupations(params)
    k1, k2, km = (params.angular(k) for k in ("kappa_1", "kappa_2", "kappa_m"))
    gam = params.angular("gamma_b")
    if params.mech_bath == "brownian":
        dq, dp = np.zeros_like(gam), gam * (2 * nb + 1)
    else:
        dq = dp = 0.5 * gam * (2 * nb + 1)
    diag = [k1 * (2 * n1 + 1), k1 * (2 * n1 + 1), k2 * (2 * n2 + 1), k2 * (2 * n2 + 1),
            km * (2 * nm + 1), km * (2 * nm + 1), dq, dp]
    shape = params.shape
    D = np.zeros(shape + (8, 8))
    for i, value in enumerate(diag):
        D[..., i, i] = np.broadcast_to(value, shape)
    return D
