"""A YIG sphere driven by a microwave field: the material constants and formulas behind a
model file's ``yig_drive`` (drive power and sphere diameter -> the drive's Rabi frequency; the
sphere's Kerr coefficient).

Conventions (Yu, Shen & Li, text after Eq. 1): ``N = rho V`` spins in a sphere of volume V
(``rho = 4.22e27 m^-3``); Rabi frequency ``Omega = (sqrt5/4) gamma_0 sqrt(N) B_0`` with
``gamma_0/2pi = 28 GHz/T``; drive amplitude ``B_0 = (1/R) sqrt(2 mu_0 P / (pi c))`` for a
sphere of radius R driven with power P.

The self-consistent mean field of that drive (every branch, with its stability) is solved
for any model by :mod:`linearized.description.drive`.  Rabi frequencies here are angular (rad/s).
"""
from __future__ import annotations

import numpy as np

#: spin density of YIG (m^-3), as in the paper
SPIN_DENSITY = 4.22e27
#: gyromagnetic ratio gamma_0 (rad s^-1 T^-1): gamma_0/2pi = 28 GHz/T
GAMMA_0 = 2 * np.pi * 28e9
#: vacuum permeability (N A^-2), CODATA 2018
MU_0 = 1.25663706212e-6
#: speed of light (m/s), exact
C_LIGHT = 299792458.0
#: reduced Planck constant (J s), exact
HBAR = 1.054571817e-34
#: magnon Kerr coefficient K/2pi (Hz) of ``K (m^dag m)^2`` for a YIG sphere of 1 mm diameter,
#: bias field along the [100] axis: the value the cavity-magnomechanics literature takes from
#: Wang et al., PRB 94, 224410 (2016) (the paper's ref. 39).  K is inversely proportional to
#: the sphere's volume; it is negative with the bias along [110].  An order of magnitude, see
#: :func:`kerr_coefficient`.
KERR_1MM = 1e-10


def spin_number(diameter: float) -> float:
    """Number of spins ``N = rho (4/3) pi R^3`` of a YIG sphere of the given diameter (m)."""
    return SPIN_DENSITY * 4.0 / 3.0 * np.pi * (diameter / 2.0) ** 3


def drive_field(P: float, diameter: float) -> float:
    """Drive amplitude ``B_0 = (1/R) sqrt(2 mu_0 P / (pi c))`` in tesla (P in W, diameter in m)."""
    return np.sqrt(2.0 * MU_0 * P / (np.pi * C_LIGHT)) / (diameter / 2.0)


def rabi_frequency(P: float, diameter: float) -> float:
    """``Omega = (sqrt5/4) gamma_0 sqrt(N) B_0`` in rad/s."""
    return np.sqrt(5.0) / 4.0 * GAMMA_0 * np.sqrt(spin_number(diameter)) * drive_field(P, diameter)


def power_for_rabi(Omega: float, diameter: float) -> float:
    """Inverse of :func:`rabi_frequency`: the power (W) giving ``Omega`` (rad/s)."""
    B0 = Omega / (np.sqrt(5.0) / 4.0 * GAMMA_0 * np.sqrt(spin_number(diameter)))
    return (B0 * diameter / 2.0) ** 2 * np.pi * C_LIGHT / (2.0 * MU_0)


def kerr_coefficient(diameter: float) -> float:
    """Literature magnon Kerr coefficient K/2pi (Hz) of a YIG sphere of the given diameter (m):
    ``K = KERR_1MM (1 mm / diameter)^3`` (K scales as 1/V), 6.4 nHz at 250 um.

    Bias along [100], K > 0.  The value depends on the crystal axis (sign and size) and on
    temperature through the anisotropy constant; :func:`kerr_from_anisotropy` derives it from
    the anisotropy energy and brackets it (4.5 nHz with the room-temperature K1, 18 nHz with
    the 4 K one, at 250 um), so read it as an order of magnitude.
    """
    return KERR_1MM * (1e-3 / diameter) ** 3


#: a Kerr shift below this fraction of kappa_m is called negligible
KERR_NEGLIGIBLE = 0.1


def kerr_check(K: float, n: float, kappa_m: float, Omega: float) -> dict:
    """How large a Kerr term K/2pi (Hz) is at magnon number ``n`` (drive ``Omega`` in rad/s).

    ``shift = K (2n + 1)`` (Hz) is the Kerr shift of the magnon frequency; the fluctuations see
    ``2 K n`` more (squeezing and extra detuning), so it is compared with the linewidth:
    negligible when ``|shift| < KERR_NEGLIGIBLE kappa_m``.  ``K n^(3/2) / Omega`` is the
    criterion of the cavity-magnomechanics literature (Kerr force against the drive), given for
    reference: it is small long before the shift is.
    """
    shift = K * (2 * n + 1)
    return {"K": K, "shift": shift, "shift_over_kappa_m": abs(shift) / kappa_m,
            # no drive (Omega = 0) leaves no mean field (n = 0) and so no Kerr force: 0
            "K_m3_over_Omega": (abs(2 * np.pi * K) * n ** 1.5 / Omega if Omega > 0 else
                                0.0 if n == 0 else None),
            "negligible": bool(abs(shift) < KERR_NEGLIGIBLE * kappa_m)}


def kerr_from_anisotropy(diameter: float, K1: float) -> float:
    """Kerr coefficient K/2pi (Hz) from the cubic magnetocrystalline anisotropy of a sphere.

    A sphere has no shape anisotropy, so the nonlinearity of its Kittel mode comes from
    ``E = K1 V (a_x^2 a_y^2 + a_y^2 a_z^2 + a_z^2 a_x^2)`` (direction cosines of M, bias along
    [100] = z).  Averaged over one circular precession with ``cos(theta) = 1 - n/S``, this is
    ``K1 V (2 n/S - (9/2) n^2/S^2 + O(n^3))``; the n^2 term is ``hbar K n^2``, so
    ``K = -(9/2) K1 V / (hbar S^2)`` with total spin ``S = (5/2) rho V`` (one net Fe3+, spin
    5/2, per formula unit; rho as in the paper).  ``K1`` in J/m^3 (YIG: about -610 at room
    temperature, about -2.5e3 at 4 K).
    """
    V = np.pi / 6.0 * diameter ** 3
    S = 2.5 * SPIN_DENSITY * V
    return -4.5 * K1 * V / (HBAR * S ** 2) / (2 * np.pi)
