"""The filtered output pair from the master equation: a cascaded model of six modes.

Modes (in this order, like :func:`linearized.output.augmented_matrices`): a1, a2, m, b and the
two filters f1, f2, quadratures ``(X1, Y1, X2, Y2, x, y, q, p, X1f, Y1f, X2f, Y2f)``.  Each
filter is a fictitious cavity of amplitude decay eps and detuning Omega_j driven by cavity j's
output (cascaded systems: Gardiner, PRL 70, 2269 (1993); Carmichael, PRL 70, 2273 (1993)).

Sign.  The linear module defines ``a^out = sqrt(2 kappa) a - a^in`` with
``da/dt = -kappa a + sqrt(2 kappa) a^in`` and ``df/dt = -(eps + i Omega) f + sqrt(2 eps) a^out``.
In Lindblad language (``da/dt = ... - sqrt(2 kappa) b_in`` for the collapse operator
``sqrt(2 kappa) a``) ``a^in = -b_in`` and ``a^out = b_in + sqrt(2 kappa) a``: the usual output
field.  The cascaded master equation whose filter obeys that equation *with this sign* has

    H_f = Omega_j f_j^dag f_j,
    H_c = (i/2) sqrt(2 kappa_j) sqrt(2 eps) (f_j^dag a_j - a_j^dag f_j),
    one collapse operator for the shared channel  C_j = sqrt(2 kappa_j) a_j - sqrt(2 eps) f_j,

(with a thermal input of occupation N_j: ``sqrt(N_j + 1) C_j`` and ``sqrt(N_j) C_j^dag``).
The textbook form ``C = sqrt(2 kappa) a + sqrt(2 eps) f`` with ``H_c`` of the opposite sign is
the same model with ``f -> -f`` (a local unitary: E_N and the Duan sum of the pair are the same,
the cavity-filter correlations change sign).  Tracing out f_j leaves cavity j's own master
equation unchanged: the filter does not act back on the source.  ``tests/test_cascaded.py``
holds the operators built here against the 12 x 12 drift and diffusion of the linear module
(the Heisenberg equations of a quadratic H and linear collapse operators are exactly linear).

The filters have no bath of their own (they see the cavities' input noise through the shared
channel); the magnon and the phonon (``lindblad`` bath) are as in :mod:`qmodel.model`, and the
nonlinear residue ``G_0 m^dag m q`` (and the Kerr terms) are kept as in
:func:`qmodel.model.build_model`.  Units of omega_b.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linearized.measures import duan_sum, duan_sum_optimized, log_negativity
from linearized.output import _pair
from linearized.params import Params
from linearized.thermal import occupations
from .basis import Basis
from .model import Model, hamiltonian_matrix, nonlinear_terms

N_MODES = 6
MODES = ("a1", "a2", "m", "b", "f1", "f2")
FILTER_SLICE = slice(8, 12)


def _ladder_coeffs(mode: int, dagger: bool = False) -> np.ndarray:
    """Coefficients over the 12 quadratures of ``a`` (or ``a^dag``) of ``mode``."""
    v = np.zeros(2 * N_MODES, complex)
    v[2 * mode], v[2 * mode + 1] = 1 / np.sqrt(2), (-1j if dagger else 1j) / np.sqrt(2)
    return v


def cascaded_forms(params: Params, bandwidth: float, centers, sign: float = 1.0):
    """``(H_M, ls)``: the quadratic Hamiltonian ``(1/2) r^T H_M r`` (12 x 12, real symmetric)
    and the collapse operators ``L_k = ls[k] . r`` (complex coefficient vectors over the 12
    quadratures), in units of omega_b.  ``bandwidth`` eps/2pi and ``centers`` Omega_j/2pi in
    Hz.  ``sign`` (+1) multiplies the cascade coupling ``H_c`` and the filter's amplitude in
    the shared channel; -1 gives the textbook ``C = sqrt(2 kappa) a + sqrt(2 eps) f`` form
    (used by the tests to show that the sign is checked)."""
    wb = float(params.omega_b)
    eps = float(bandwidth) / wb
    Om = _pair(centers, "centers") / wb
    kap = (float(params.kappa_1) / wb, float(params.kappa_2) / wb)
    H = np.zeros((12, 12))
    H[:8, :8] = hamiltonian_matrix(params)
    for j in range(2):
        c, f = 2 * j, 8 + 2 * j
        H[f, f] = H[f + 1, f + 1] = Om[j]
        # H_c = (i/2) s (f^dag a - a^dag f) = (s/2) (Yf Xa - Xf Ya), s = 2 sqrt(kappa eps)
        s = np.sqrt(kap[j] * eps) * sign
        H[f + 1, c] = H[c, f + 1] = s
        H[f, c + 1] = H[c + 1, f] = -s
    n1, n2, nm, nb = (float(x) for x in occupations(params))
    ls = []
    for j, n in enumerate((n1, n2)):
        C = np.sqrt(2 * kap[j]) * _ladder_coeffs(j) - sign * np.sqrt(2 * eps) * _ladder_coeffs(4 + j)
        ls.append(np.sqrt(n + 1) * C)
        if n > 0:
            ls.append(np.sqrt(n) * np.conj(C))
    for mode, rate, n in ((2, 2 * float(params.kappa_m) / wb, nm),
                          (3, float(params.gamma_b) / wb, nb)):
        ls.append(np.sqrt(rate * (n + 1)) * _ladder_coeffs(mode))
        if n > 0:
            ls.append(np.sqrt(rate * n) * _ladder_coeffs(mode, dagger=True))
    return H, ls


def linear_matrices(H, ls):
    """Drift and diffusion (units of omega_b) implied by a quadratic Hamiltonian and linear
    collapse operators: ``A = Omega (H_M + Im sum_k l_k^* l_k^T)``,
    ``D = Omega Re(sum_k l_k^* l_k^T) Omega^T`` (symmetrised noise, vacuum 1/2)."""
    from linearized.measures import symplectic_form
    n = H.shape[0] // 2
    Om = symplectic_form(n)
    R = sum(np.outer(np.conj(l), l) for l in ls)
    return Om @ (H + R.imag), Om @ R.real @ Om.T


@dataclass(frozen=True, eq=False)
class CascadedModel(Model):
    """A :class:`qmodel.model.Model` of the six modes, with the filter's settings (Hz)."""
    bandwidth: float = float("nan")
    centers: tuple = ()


def build_cascaded_model(params: Params, basis: Basis, bandwidth: float, centers=None,
                         quadratic_only: bool = False, sign: float = 1.0) -> CascadedModel:
    """H and the collapse operators of the cavities, magnon, phonon and the two filters in
    ``basis`` (six modes).  ``centers`` default ``(+omega_b, -omega_b)`` as in
    :func:`linearized.output.filtered_output`.  ``quadratic_only``: drop the G_0 residue and
    the Kerr terms.  The mechanical bath is always ``lindblad``."""
    if basis.n_modes != N_MODES:
        raise ValueError(f"the cascaded model has {N_MODES} modes (got a basis of {basis.n_modes})")
    params = params.replace(mech_bath="lindblad")
    if centers is None:
        centers = (float(params.omega_b), -float(params.omega_b))
    centers = tuple(float(c) for c in _pair(centers, "centers"))
    Hm, ls = cascaded_forms(params, bandwidth, centers, sign)
    H = basis.quadratic(Hm)
    if not quadratic_only:
        H = H + nonlinear_terms(params, basis)
    c_ops = tuple(basis.linear(l).tocsr() for l in ls)
    return CascadedModel(params, basis, H.tocsr(), c_ops, float(bandwidth), centers)


def filter_state(rho: np.ndarray, basis: Basis) -> np.ndarray:
    """Reduced state of (f1, f2) in the plain Fock basis (modes a1, a2, m, b traced out)."""
    if basis.kind != "fock":
        raise ValueError("the reduced filter state needs the plain Fock basis: in a normal-mode "
                         "basis the tensor factors are not the physical filters")
    n = basis.cutoffs
    rest, n5, n6 = int(np.prod(n[:4])), n[4], n[5]
    r = rho.reshape(rest, n5 * n6, rest, n5 * n6)
    return np.einsum("kakb->ab", r)


@dataclass(frozen=True)
class FilterMeasures:
    """Measures of the filtered pair on one density matrix of the cascaded model.

    ``E_N``: exact ``ln ||rho_f^{T_2}||_1`` (plain Fock basis only, else None);
    ``E_N_gaussian``: Eq. 9 on the pair's covariance matrix (basis-free); ``duan``: Eq. 10 on
    it; ``covariance``: the 12 x 12 covariance matrix of all six modes; ``tail_population``:
    top-level population of each tensor factor."""
    E_N: float | None
    E_N_gaussian: float
    duan: float
    duan_min_lo: tuple
    covariance: np.ndarray
    first_moments: np.ndarray
    tail_population: np.ndarray

    @property
    def filter_covariance(self) -> np.ndarray:
        return self.covariance[FILTER_SLICE, FILTER_SLICE]


def filter_measures(rho: np.ndarray, basis: Basis) -> FilterMeasures:
    """:class:`FilterMeasures` of ``rho`` written in ``basis``."""
    from .fockmap import log_negativity_12
    from .measures import moments, tail_populations
    mean, cov = moments(rho, basis)
    fc = cov[FILTER_SLICE, FILTER_SLICE]
    en = None
    if basis.kind == "fock":
        en = float(log_negativity_12(filter_state(rho, basis), basis.cutoffs[4:]))
    return FilterMeasures(E_N=en, E_N_gaussian=float(log_negativity(fc)),
                          duan=float(duan_sum(fc)), duan_min_lo=duan_sum_optimized(fc),
                          covariance=cov, first_moments=mean,
                          tail_population=tail_populations(rho, basis))


# -- the cascaded model as a model of the convergence loop ------------------------------------

QUADRATURES = ("X1", "Y1", "X2", "Y2", "x", "y", "q", "p", "X1f", "Y1f", "X2f", "Y2f")


@dataclass(frozen=True)
class CascadedSystem:
    """The paper's model with the two filters, as a model :func:`qmodel.converge.solve_master`
    solves like any other (normal-mode basis of the linear 12 x 12 covariance matrix,
    probability truncation, exact E_N of the pair (f1, f2) mapped to their physical Fock
    basis, the self-consistent independent basis).  ``bandwidth`` eps/2pi and ``centers``
    Omega_j/2pi in Hz; the mechanical bath is always ``lindblad``."""
    params: Params
    bandwidth: float
    centers: tuple
    pair: tuple = (4, 5)
    mode_names: tuple = MODES
    quadrature_names: tuple = QUADRATURES
    n_modes: int = N_MODES

    def replace(self, **changes) -> "CascadedSystem":
        return CascadedSystem(self.params.replace(**changes), self.bandwidth, self.centers)

    def to_dict(self) -> dict:
        return {**self.params.to_dict(), "bandwidth": self.bandwidth,
                "centers": list(self.centers)}


def cascaded_system(params: Params, bandwidth: float, centers=None) -> CascadedSystem:
    """``centers`` default ``(+omega_b, -omega_b)`` as in
    :func:`linearized.output.filtered_output`."""
    if centers is None:
        centers = (float(params.omega_b), -float(params.omega_b))
    centers = tuple(float(c) for c in _pair(centers, "centers"))
    return CascadedSystem(params.replace(mech_bath="lindblad"), float(bandwidth), centers)


@dataclass(frozen=True)
class CascadedLinear:
    """The linear theory of the six modes, in the form :func:`qmodel.model.linearize`
    returns: ``covariance`` 12 x 12, ``occupations`` of the six modes, ``E_N`` and ``duan``
    of the filter pair (ideal detection), ``max_real_eigenvalue`` in Hz."""
    stable: bool
    max_real_eigenvalue: float
    covariance: np.ndarray
    occupations: np.ndarray
    E_N: float
    duan: float


def linearize_cascaded(system: CascadedSystem) -> CascadedLinear:
    from linearized.measures import mode_occupations
    from linearized.output import filtered_output
    lin = filtered_output(system.params, system.bandwidth, system.centers)
    occ = mode_occupations(lin.full_covariance) if lin.stable else np.full(N_MODES, np.nan)
    return CascadedLinear(bool(lin.stable), float(lin.max_real_eigenvalue),
                          lin.full_covariance, occ, float(lin.E_N), float(lin.duan))
