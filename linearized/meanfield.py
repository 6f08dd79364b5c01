"""Mean field (classical steady state) of Eq. (2): Eqs. (3), (4) and (7).

Frequencies and rates here are angular (rad/s) unless stated; the drive ``Omega`` is the Rabi
frequency of Eq. (1) in rad/s.  The phase of ``<m>`` is fixed so that the effective coupling
``G = i sqrt(2) G_0 <m>`` is real and positive, as the paper assumes (a common phase rotation
of a1, a2 and m, which changes no entanglement measure).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _cavity_factors(params):
    d1, d2 = params.angular("Delta_1"), params.angular("Delta_2")
    k1, k2 = params.angular("kappa_1"), params.angular("kappa_2")
    return 1j * d1 + k1, 1j * d2 + k2


def eq3_denominator_ratio(params):
    """``den / ((i D1 + k1)(i D2 + k2))`` of Eq. (3) in rad/s: ``<m> = Omega / ratio``."""
    c1, c2 = _cavity_factors(params)
    g1, g2 = params.angular("g_1"), params.angular("g_2")
    dm, km = params.angular("Delta_m"), params.angular("kappa_m")
    return (1j * dm + km) + g1 ** 2 / c1 + g2 ** 2 / c2


def magnon_amplitude(Omega, params, approximate: bool = False):
    """``<m>`` for drive ``Omega`` (rad/s): Eq. (3), or Eq. (4) if ``approximate``.

    Uses the effective detuning ``params.Delta_m`` (Delta_m tilde) as given.
    """
    if not approximate:
        return Omega / eq3_denominator_ratio(params)
    d1, d2 = params.angular("Delta_1"), params.angular("Delta_2")
    g1, g2 = params.angular("g_1"), params.angular("g_2")
    dm = params.angular("Delta_m")
    return 1j * Omega * d1 * d2 / (-dm * d1 * d2 + g1 ** 2 * d2 + g2 ** 2 * d1)


def effective_coupling(Omega, params, approximate: bool = False):
    """``|G| = sqrt(2) G_0 |<m>|`` in rad/s; with ``approximate`` this is Eq. (7)."""
    return np.sqrt(2.0) * params.angular("G_0") * np.abs(magnon_amplitude(Omega, params,
                                                                          approximate))


@dataclass(frozen=True)
class MeanField:
    """Mean values implied by the effective parameters (G, Delta_m tilde, G_0).

    ``m``, ``a1``, ``a2`` are dimensionless amplitudes in the phase convention with G real;
    ``q`` is the mean mechanical displacement; ``Omega`` is the drive Rabi frequency (rad/s)
    that gives this ``<m>`` by Eq. (3), ``Omega_eq4`` the one Eq. (4) would need;
    ``Delta_m0`` the bare magnon detuning (rad/s),
    ``Delta_m0 = Delta_m - G_0 <q> - K (2 |<m>|^2 + 1)`` (Kerr shift of ``K (m^dag m)^2``).
    All are NaN when ``G_0 = 0`` (the amplitude is then undefined).
    """
    m: complex
    a1: complex
    a2: complex
    q: float
    Omega: float
    Omega_eq4: float
    Delta_m0: float

    def to_dict(self) -> dict:
        c = lambda z: {"re": float(np.real(z)), "im": float(np.imag(z)), "abs": float(abs(z))}
        return {"m": c(self.m), "a1": c(self.a1), "a2": c(self.a2), "q": float(self.q),
                "Omega_over_2pi_Hz": self.Omega / (2 * np.pi),
                "Omega_eq4_over_2pi_Hz": self.Omega_eq4 / (2 * np.pi),
                "Delta_m0_over_2pi_Hz": self.Delta_m0 / (2 * np.pi)}


def kerr_shift(K, n):
    """Mean-field frequency shift ``K (2 n + 1)`` of the magnon by ``K (m^dag m)^2`` at magnon
    number ``n`` (same units as K)."""
    return K * (2 * n + 1)


def magnon_number(params):
    """Mean-field magnon number ``|<m>|^2 = G^2 / (2 G_0^2)`` (broadcasts over arrays)."""
    G, G0 = np.asarray(params.G, float), np.asarray(params.G_0, float)
    return G ** 2 / (2 * G0 ** 2)


def mean_field(params) -> MeanField:
    """Mean values ``<m>``, ``<a_j> = -i g_j <m> / (i Delta_j + kappa_j)``,
    ``<q> = -(G_0/omega_b) |<m>|^2`` and the drive that produces them (Eq. 3 inverted)."""
    G0 = float(params.angular("G_0"))
    if G0 == 0.0:
        nan = float("nan")
        return MeanField(nan, nan, nan, nan, nan, nan, nan)
    m = -1j * float(params.angular("G")) / (np.sqrt(2.0) * G0)
    c1, c2 = _cavity_factors(params)
    a1 = complex(-1j * params.angular("g_1") * m / c1)
    a2 = complex(-1j * params.angular("g_2") * m / c2)
    q = -(G0 / float(params.angular("omega_b"))) * abs(m) ** 2
    omega = complex(m * eq3_denominator_ratio(params))
    omega_eq4 = abs(m) / abs(magnon_amplitude(1.0, params, approximate=True))
    return MeanField(m=m, a1=a1, a2=a2, q=q, Omega=abs(omega), Omega_eq4=float(omega_eq4),
                     Delta_m0=float(params.angular("Delta_m")) - G0 * q
                     - kerr_shift(float(params.angular("K")), abs(m) ** 2))
