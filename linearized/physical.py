"""Physical parametrization: drive power, YIG sphere, bare detuning -> effective G, Delta_m.

Conventions (Yu, Shen & Li, text after Eq. 1): ``N = rho V`` spins in a sphere of volume V
(``rho = 4.22e27 m^-3``); Rabi frequency ``Omega = (sqrt5/4) gamma_0 sqrt(N) B_0`` with
``gamma_0/2pi = 28 GHz/T``; drive amplitude ``B_0 = (1/R) sqrt(2 mu_0 P / (pi c))`` for a
sphere of radius R driven with power P.

Self-consistent mean field: with ``n = |<m>|^2`` the effective detuning is
``Delta_m~ = Delta_m0 - (G_0^2/omega_b) n`` (Eq. 2 with ``<q> = -(G_0/omega_b) n``), and Eq. (3)
gives ``n |i Delta_m~ + A|^2 = Omega^2`` with ``A = kappa_m + sum_j g_j^2/(i Delta_j + kappa_j)``:
a cubic in n with one or three positive roots (branches).  All angular units inside; inputs and
outputs in Hz (ordinary frequency) as everywhere else.

Phase: Eq. (3) with a real drive gives ``<m>`` a phase; the paper takes G real, which is a
common phase rotation of a1, a2 and m (it changes no entanglement measure and no Duan sum
computed in the rotated frame).  ``G = sqrt2 G_0 |<m>|``.
"""
from __future__ import annotations

from dataclasses import dataclass

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
    from .meanfield import kerr_shift
    shift = kerr_shift(K, n)
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


def _A(params) -> complex:
    """``A = kappa_m + sum_j g_j^2 / (i Delta_j + kappa_j)`` (rad/s): Eq. (3)'s denominator
    ratio without its ``i Delta_m~`` term."""
    from .meanfield import eq3_denominator_ratio
    return complex(eq3_denominator_ratio(params) - 1j * params.angular("Delta_m"))


@dataclass(frozen=True)
class Branch:
    """One real solution of the self-consistent mean field.

    ``n = |<m>|^2``; ``m`` is ``<m>`` from Eq. (3) with a real drive; ``q`` the mean
    displacement; ``Delta_m`` (effective) and ``G`` in Hz; ``stable`` from the drift matrix
    (``max_real_eigenvalue`` in Hz)."""
    index: int
    n: float
    kerr_shift: float
    m: complex
    q: float
    Delta_m: float
    G: float
    stable: bool
    max_real_eigenvalue: float

    def to_dict(self) -> dict:
        return {"index": self.index, "abs_m": float(np.sqrt(self.n)),
                "phase_m": float(np.angle(self.m)), "q": self.q, "Delta_m": self.Delta_m,
                "G": self.G, "kerr_shift": self.kerr_shift, "stable": self.stable,
                "max_real_eigenvalue": self.max_real_eigenvalue}


def mean_field_branches(params, Omega: float, Delta_m0: float) -> list:
    """All real branches for drive ``Omega`` (rad/s) and bare detuning ``Delta_m0`` (Hz).

    ``params`` supplies the cavities, couplings, G_0 and omega_b (its G and Delta_m are
    ignored).  Branches are sorted by magnon number n; stability is judged on the drift matrix
    of Eq. (6) built with each branch's G and Delta_m.
    """
    from .lyapunov import max_real_eigenvalue
    from .matrices import drift_matrix
    from .meanfield import kerr_shift
    A = _A(params)
    K = float(params.angular("K"))
    # Delta_m~ = Delta_m0 + K - beta n with beta = G_0^2/omega_b - 2 K (Kerr shift K(2n + 1))
    beta = params.angular("G_0") ** 2 / params.angular("omega_b") - 2 * K
    d0 = 2 * np.pi * Delta_m0 + K + A.imag
    if beta == 0:
        roots = np.array([Omega ** 2 / (A.real ** 2 + d0 ** 2)])
    else:
        coeffs = [beta ** 2, -2 * beta * d0, A.real ** 2 + d0 ** 2, -Omega ** 2]
        r = np.roots(coeffs)
        roots = np.sort(r[(np.abs(r.imag) <= 1e-9 * np.abs(r)) & (r.real >= 0)].real)
        # polish each root with Newton steps on the cubic (not at a double root, where the
        # derivative vanishes: the bistability's turning point)
        for _ in range(3):
            slope = np.polyval(np.polyder(coeffs), roots)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.polyval(coeffs, roots) / slope
            roots = np.where(np.isfinite(step) & (slope != 0), roots - step, roots)
        roots = np.maximum(roots, 0.0)
    out = []
    for i, n in enumerate(roots):
        dm = 2 * np.pi * Delta_m0 + K - beta * n
        m = Omega / (1j * dm + A)
        G = np.sqrt(2.0) * params.angular("G_0") * np.sqrt(n)
        eff = params.replace(G=float(G / (2 * np.pi)), Delta_m=float(dm / (2 * np.pi)))
        lam = float(max_real_eigenvalue(drift_matrix(eff)))
        out.append(Branch(index=i, n=float(n), kerr_shift=float(kerr_shift(K, n) / (2 * np.pi)),
                          m=complex(m),
                          q=float(-(params.G_0 / params.omega_b) * n),
                          Delta_m=float(dm / (2 * np.pi)), G=float(G / (2 * np.pi)),
                          stable=lam < 0, max_real_eigenvalue=lam / (2 * np.pi)))
    return out


def drive_for_coupling(params, approximate: bool = False):
    """``(Omega, Delta_m0)`` giving the effective ``params.G`` at the effective
    ``params.Delta_m``: the drive of the mean field (Eq. 3 inverted, or Eq. 4 if
    ``approximate``) in rad/s and the bare detuning in Hz (see
    :func:`linearized.meanfield.mean_field`).  Raises :class:`ParameterError` (one sentence)
    where that drive is undefined: ``G_0 = 0``, or Eq. (4) singular (a zero cavity detuning)."""
    from .meanfield import mean_field
    from .params import ParameterError
    mf = mean_field(params)
    key = "Omega_eq4" if approximate else "Omega"
    omega = getattr(mf, key)
    if omega is None:
        raise ParameterError(f"no drive gives G here: {mf.reason(key)}")
    return float(omega), float(mf.Delta_m0 / (2 * np.pi))


class BranchError(ValueError):
    """The mean field has no unique stable branch and none was chosen (message for the user)."""


class NoStableBranch(RuntimeError):
    """No mean-field branch is stable: no steady state."""


def select_branch(branches, branch=None):
    """Pick a branch: ``None`` (the only stable one; refuse to guess among several),
    ``"lowest"``/``"highest"`` (by magnon number) or an index into ``branches``."""
    if branch is None:
        stable = [b for b in branches if b.stable]
        if not stable:
            lam = max(b.max_real_eigenvalue for b in branches)
            raise NoStableBranch(f"no mean-field branch is stable (largest Re lambda/2pi = "
                                 f"{lam:.6g} Hz)")
        if len(stable) > 1:
            raise BranchError(f"the mean field is bistable: {len(stable)} stable branches "
                              f"(indices {', '.join(str(b.index) for b in stable)}); choose one "
                              f"with --branch lowest, highest or an index")
        return stable[0]
    if branch == "lowest":
        return branches[0]
    if branch == "highest":
        return branches[-1]
    try:
        i = int(branch)
    except (TypeError, ValueError):
        raise BranchError(f"--branch must be lowest, highest or an index, not {branch!r}")
    if not 0 <= i < len(branches):
        raise BranchError(f"--branch {i} does not exist: the mean field has {len(branches)} "
                          f"branch(es)")
    return branches[i]


def check_physical(params):
    """Raise :class:`ParameterError` unless P, diameter, Delta_m0 and G_0 > 0 are all given."""
    from .params import ParameterError
    missing = [k for k in ("P", "diameter", "Delta_m0") if getattr(params, k) is None]
    if missing:
        raise ParameterError(f"the physical parametrization needs P, diameter and Delta_m0; "
                             f"missing {', '.join(missing)}")
    if float(params.G_0) <= 0:
        raise ParameterError("the physical parametrization needs G_0 > 0")


def resolve(params, branch=None):
    """Effective parameters: if ``params.P`` is set, replace G and Delta_m by the chosen
    mean-field branch for (P, diameter, Delta_m0, G_0); otherwise return ``params``."""
    if not params.is_physical:
        return params
    check_physical(params)
    Omega = rabi_frequency(float(params.P), float(params.diameter))
    b = select_branch(mean_field_branches(params, Omega, float(params.Delta_m0)), branch)
    return params.replace(G=b.G, Delta_m=b.Delta_m)
