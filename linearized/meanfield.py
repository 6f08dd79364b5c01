"""Mean field (classical steady state) of Eq. (2): Eqs. (3), (4) and (7).

Frequencies and rates here are angular (rad/s) unless stated; the drive ``Omega`` is the Rabi
frequency of Eq. (1) in rad/s.  The phase of ``<m>`` is fixed so that the effective coupling
``G = i sqrt(2) G_0 <m>`` is real and positive, as the paper assumes (a common phase rotation
of a1, a2 and m, which changes no entanglement measure).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

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

    Uses the effective detuning ``params.Delta_m`` (Delta_m tilde) as given.  Eq. (3) is
    defined everywhere (its denominator has real part ``kappa_m + sum_j g_j^2 kappa_j /
    (Delta_j^2 + kappa_j^2) > 0``).  Eq. (4) is not: see :func:`eq4_singularity`; there it
    gives NaN (``Delta_1 = Delta_2 = 0``: 0/0) or an infinite amplitude (its denominator
    vanishes), never an exception.
    """
    if not approximate:
        return Omega / eq3_denominator_ratio(params)
    num, den = _eq4_terms(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(1j * Omega * num, dtype=complex) / np.asarray(den, dtype=complex)


def _eq4_terms(params):
    """Numerator ``Delta_1 Delta_2`` (times ``i Omega``) and denominator of Eq. (4), rad/s."""
    d1, d2 = params.angular("Delta_1"), params.angular("Delta_2")
    g1, g2 = params.angular("g_1"), params.angular("g_2")
    dm = params.angular("Delta_m")
    return d1 * d2, -dm * d1 * d2 + g1 ** 2 * d2 + g2 ** 2 * d1


def eq4_singularity(params):
    """Why Eq. (4) cannot give the drive for a nonzero ``<m>`` at this (single) point, or
    ``None`` where it can.

    Eq. (4), ``<m> = i Omega Delta_1 Delta_2 / (-Delta_m Delta_1 Delta_2 + g_1^2 Delta_2 +
    g_2^2 Delta_1)``, assumes ``|Delta_j| >> kappa_j``: at ``Delta_1 = Delta_2 = 0`` it is 0/0
    (its limit depends on the direction of approach), and with one detuning zero it gives
    ``<m> = 0`` for every drive.  Where only its denominator vanishes the amplitude is infinite
    and the drive it implies is 0, which is a number, not a singularity.
    """
    num, den = _eq4_terms(params)
    if num == 0 and den == 0:
        return ("Eq. (4) is 0/0 at Delta_1 = Delta_2 = 0 (it assumes |Delta_j| >> kappa_j); "
                "use Eq. (3)")
    if num == 0:
        return ("Eq. (4) gives <m> = 0 for every drive when Delta_1 or Delta_2 is 0 (it "
                "assumes |Delta_j| >> kappa_j); use Eq. (3)")
    return None


def effective_coupling(Omega, params, approximate: bool = False):
    """``|G| = sqrt(2) G_0 |<m>|`` in rad/s; with ``approximate`` this is Eq. (7)."""
    return np.sqrt(2.0) * params.angular("G_0") * np.abs(magnon_amplitude(Omega, params,
                                                                          approximate))


#: reason given for every field when the single-magnon coupling vanishes
G0_ZERO = "G_0 = 0: the magnon amplitude G/(sqrt2 G_0) is undefined"


@dataclass(frozen=True)
class MeanField:
    """Mean values implied by the effective parameters (G, Delta_m tilde, G_0).

    ``m``, ``a1``, ``a2`` are dimensionless amplitudes in the phase convention with G real;
    ``q`` is the mean mechanical displacement; ``Omega`` is the drive Rabi frequency (rad/s)
    that gives this ``<m>`` by Eq. (3), ``Omega_eq4`` the one Eq. (4) would need;
    ``Delta_m0`` the bare magnon detuning (rad/s),
    ``Delta_m0 = Delta_m - G_0 <q> - K (2 |<m>|^2 + 1)`` (Kerr shift of ``K (m^dag m)^2``).

    A field that is undefined at this point is ``None`` (never NaN), and ``undefined`` holds
    ``(field, reason)`` pairs saying why: every field when ``G_0 = 0`` (the amplitude is then
    undefined), ``Omega_eq4`` where Eq. (4) is singular (:func:`eq4_singularity`).
    """
    m: Optional[complex]
    a1: Optional[complex]
    a2: Optional[complex]
    q: Optional[float]
    Omega: Optional[float]
    Omega_eq4: Optional[float]
    Delta_m0: Optional[float]
    undefined: Tuple[Tuple[str, str], ...] = ()

    def reason(self, field: str) -> Optional[str]:
        """Why ``field`` is None, or None when it is defined."""
        return dict(self.undefined).get(field)

    def to_dict(self) -> dict:
        """JSON-ready (strict JSON: undefined values are null, never NaN)."""
        def c(z):
            if z is None:
                return None
            return {"re": _num(np.real(z)), "im": _num(np.imag(z)), "abs": _num(abs(z))}

        def hz(w):
            return None if w is None else _num(w / (2 * np.pi))

        return {"m": c(self.m), "a1": c(self.a1), "a2": c(self.a2), "q": _num(self.q),
                "Omega_over_2pi_Hz": hz(self.Omega),
                "Omega_eq4_over_2pi_Hz": hz(self.Omega_eq4),
                "Delta_m0_over_2pi_Hz": hz(self.Delta_m0),
                "undefined": dict(self.undefined)}


def _num(x):
    """A float for JSON: None for None and for non-finite values."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


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
    ``<q> = -(G_0/omega_b) |<m>|^2`` and the drive that produces them (Eq. 3 inverted).

    Never raises for valid parameters: undefined fields are None, with the reason in
    ``MeanField.undefined``.
    """
    G0 = float(params.angular("G_0"))
    if G0 == 0.0:
        names = ("m", "a1", "a2", "q", "Omega", "Omega_eq4", "Delta_m0")
        return MeanField(None, None, None, None, None, None, None,
                         undefined=tuple((k, G0_ZERO) for k in names))
    m = -1j * float(params.angular("G")) / (np.sqrt(2.0) * G0)
    c1, c2 = _cavity_factors(params)
    a1 = complex(-1j * params.angular("g_1") * m / c1)
    a2 = complex(-1j * params.angular("g_2") * m / c2)
    q = -(G0 / float(params.angular("omega_b"))) * abs(m) ** 2
    omega = complex(m * eq3_denominator_ratio(params))
    undefined = []
    why = eq4_singularity(params)
    if why is None:
        # Omega_eq4 = |<m>| / |<m>_eq4(Omega = 1)| = |<m>| |den| / |Delta_1 Delta_2|
        num, den = _eq4_terms(params)
        omega_eq4 = float(abs(m) * abs(den) / abs(num))
    else:
        omega_eq4 = None
        undefined.append(("Omega_eq4", why))
    return MeanField(m=m, a1=a1, a2=a2, q=q, Omega=abs(omega), Omega_eq4=omega_eq4,
                     Delta_m0=float(params.angular("Delta_m")) - G0 * q
                     - kerr_shift(float(params.angular("K")), abs(m) ** 2),
                     undefined=tuple(undefined))
