"""Filtered output fields of a pair of field modes of any model: what a detection experiment
measures.

The pair is the model's pair (:attr:`linearized.description.system.System.pair`, ``--pair``): two *field*
modes (cavities, magnons: modes with an amplitude decay kappa and hence an output field).  A
mechanical mode or a mode without decay has no output field to filter and is refused
(:func:`field_pair`).  "Cavity j" below is the pair's j-th mode.

Definitions (conventions of Eq. 2, quadratures and covariance matrices as for the cavities,
vacuum variance 1/2, frequencies given in Hz = X/2pi and used in rad/s inside):

* Output field of cavity j: ``a_j^out = sqrt(2 kappa_j) a_j - a_j^in``.
* Filtered output mode (Genes, Mari, Tombesi & Vitali, PRA 78, 032316 (2008)):
  ``a_j^f(t) = int_{-inf}^t g_j(t - s) a_j^out(s) ds`` with
  ``g_j(t) = sqrt(2 eps) exp(-(eps + i Omega_j) t)``; ``int |g_j|^2 = 1``, so ``a_j^f`` is a
  proper bosonic mode.  ``Omega_j`` is a frequency in the frame rotating at the drive:
  ``Omega_j = +omega_b`` selects fluctuations that evolve as ``exp(-i omega_b t)``, i.e. the
  resonance of a cavity with ``Delta_j = +omega_b``.  ``eps`` is the filter's *amplitude*
  bandwidth (half width at half maximum of ``|g_j(omega)|^2``), given as eps/2pi in Hz.
  Default centres: each mode's own drive-frame detuning (its resonance), which at the seed
  paper's point are the sidebands ``(+omega_b, -omega_b)``.
* Differentiating, ``d a_j^f/dt = -(eps + i Omega_j) a_j^f + sqrt(2 eps) a_j^out``: each filter
  is a fictitious cavity of amplitude decay eps and detuning Omega_j (same sign convention as
  ``Delta_j`` in Eq. 6: ``dX/dt = Omega Y``, ``dY/dt = -Omega X``) driven by
  ``2 sqrt(eps kappa_j) a_j - sqrt(2 eps) a_j^in``.  The input noise enters both the cavity
  and its filter, so the diffusion matrix of ``(u, X1f, Y1f, X2f, Y2f)`` (``u`` the model's
  2n quadratures) has the blocks ``2 eps sigma_j`` (filter j) and
  ``-2 sqrt(kappa_j eps) sigma_j`` (between cavity j and filter j), ``sigma_j`` the 2x2
  covariance of the input (:func:`input_covariance`: ``(N_j + 1/2) I`` when thermal, a
  squeezed input's otherwise).
  :func:`filtered_output` solves that Lyapunov equation exactly.
* Detection: efficiency ``eta_j`` (loss to vacuum) maps the mode's 2x2 block, and scales its
  cross-correlations, as ``V -> eta V + (1 - eta)/2 I`` (i.e. ``X -> sqrt(eta) X +
  sqrt(1 - eta) X_vac``); then added noise of ``n_add`` quanta adds ``n_add`` to each
  quadrature variance of that mode (``V -> V + n_add I`` on its block: vacuum 1/2 becomes the
  variance ``n_add + 1/2`` of a thermal state with n_add quanta).  Efficiency first, then
  added noise, both referred to the detected mode.

Spectra.  Fourier convention ``u(t) = int domega/2pi e^{-i omega t} u(omega)`` (so
``d/dt -> -i omega``), noise ``du/dt = A u + xi`` with symmetrised correlations
``<xi(omega) xi(omega')^T>_sym = 2 pi delta(omega + omega') D``.  Then
``u(omega) = -(i omega + A)^{-1} xi(omega)`` and the output quadratures
``u_out = sqrt(2 kappa) P u - P xi / sqrt(2 kappa)`` (P picks the pair's quadratures;
``P xi = sqrt(2 kappa) u_in``) have the symmetrised spectral matrix
``S(omega) = T(omega) D T(omega)^dag`` (Hermitian, 4x4), normalised so that the vacuum gives
``S = 1/2`` at every frequency; the equal-time covariance of any linear filter ``F(omega)`` of
the output is ``int domega/2pi F S F^dag``.  The homodyne spectrum of cavity j's output at
local-oscillator phase theta, ``X_theta = cos(theta) X_out + sin(theta) Y_out``, is
``v^T S v``.

Large-bandwidth limit (tested).  For ``eps`` much larger than every system rate, the filtered
pair is the instantaneous output averaged over ``1/eps``:
``V_f = (N + 1/2) I + (4/eps) K^{1/2} (V_cav - (N + 1/2) I) K^{1/2} + O(rate^2/eps^2)``,
``K = diag(kappa_1, kappa_1, kappa_2, kappa_2)``, V_cav the pair's intracavity 4x4 CM: the
equal-time correlation of the output beyond its white-noise part is ``2 kappa (V_cav - N - 1/2)``
and ``|g(omega)|^2 -> 2/eps`` over the system's band.  For equal kappa this is the
intracavity state through a beam splitter of transmissivity ``4 kappa / eps`` with the bath,
so E_N -> 0 as eps grows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linearized.description.system import System, squeezed_input
from linearized.description.units import ParameterError
from linearized.lyapunov import max_real_eigenvalue, steady_covariance
from linearized.measures import duan_sum, duan_sum_optimized, log_negativity
from linearized.steady import pair_block

TWO_PI = 2.0 * np.pi


def _pair(value, name: str) -> np.ndarray:
    v = np.broadcast_to(np.asarray(value, dtype=float), (2,)).copy()
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (got {value!r})")
    return v


def field_pair(system: System) -> tuple:
    """The indices of the system's pair, checked to be field modes with a decay: only those
    have an output field ``sqrt(2 kappa) a - a^in`` to filter (raises ParameterError)."""
    for k in system.pair:
        name = system.mode_names[k]
        if k in system.mechanical:
            raise ParameterError(f"mode {name!r} is mechanical and has no output field to "
                                 f"filter; choose a pair of field modes (modes with a decay "
                                 f"kappa) with --pair")
        if not np.all(np.asarray(system.decay[k], float) > 0):
            raise ParameterError(f"mode {name!r} has no decay, so no output field to filter; "
                                 f"choose a pair of field modes with a decay kappa with --pair")
    return tuple(system.pair)


def _quadratures(pair) -> np.ndarray:
    """Indices ``(x_i, p_i, x_j, p_j)`` of a pair of modes."""
    i, j = pair
    return np.array([2 * i, 2 * i + 1, 2 * j, 2 * j + 1])


def _kappas(system: System, pair) -> np.ndarray:
    """Amplitude decays (rad/s) of the pair's modes, one per quadrature (4,)."""
    return np.repeat([TWO_PI * float(system.decay[k]) for k in pair], 2)


def input_covariance(system: System, k: int) -> np.ndarray:
    """The 2x2 symmetrised covariance of mode k's input quadratures (vacuum I/2):
    ``(N + 1/2) I`` for a thermal input; for a squeezed one (``N_s``, ``M``,
    :func:`linearized.description.system.squeezed_input`)
    ``[[N_s + 1/2 + Re M, Im M], [Im M, N_s + 1/2 - Re M]]``."""
    sq = system.squeeze[k] if system.squeeze else None
    if sq is None:
        return (float(system.nbar[k]) + 0.5) * np.eye(2)
    Ns, M = squeezed_input(system.nbar[k], *sq)
    h, M = float(Ns) + 0.5, complex(M)
    return np.array([[h + M.real, M.imag], [M.imag, h - M.real]])


def default_centers(system: System) -> tuple:
    """Each pair mode's drive-frame detuning (Hz): the filter sits on its resonance."""
    return tuple(float(system.frequency[k]) for k in field_pair(system))


def apply_detection(cov2, efficiency=1.0, added_noise=0.0) -> np.ndarray:
    """Two-mode CM after detection with efficiencies ``eta_j`` and added noise ``n_add_j``.

    ``V -> E V E + (I - E^2)/2`` with ``E = diag(sqrt eta_1 I, sqrt eta_2 I)`` (loss to vacuum,
    per mode: ``eta V + (1 - eta)/2 I`` on the diagonal blocks, ``sqrt(eta_1 eta_2)`` on the
    cross block), then ``+ n_add_j I`` on mode j's block (n_add quanta add n_add to each
    quadrature variance; vacuum variance 1/2).
    """
    eta = _pair(efficiency, "efficiency")
    n_add = _pair(added_noise, "added noise")
    if np.any(eta < 0) or np.any(eta > 1):
        raise ValueError(f"efficiency must lie in [0, 1] (got {efficiency!r})")
    if np.any(n_add < 0):
        raise ValueError(f"added noise must not be negative (got {added_noise!r})")
    e = np.repeat(np.sqrt(eta), 2)
    cov2 = np.asarray(cov2, dtype=float)
    return cov2 * e[:, None] * e[None, :] + np.diag((1 - e ** 2) / 2 + np.repeat(n_add, 2))


def augmented_matrices(system: System, bandwidth: float, centers):
    """Drift and diffusion matrices (rad/s) of ``(u, X1f, Y1f, X2f, Y2f)``, ``u`` the model's
    2n quadratures: the model plus the two filter modes on its pair (module docstring).

    ``bandwidth`` is eps/2pi and ``centers`` (Omega_1/2pi, Omega_2/2pi), all in Hz.
    """
    pair = field_pair(system)
    An, Dn = system.drift_matrix(), system.diffusion_matrix()
    n2 = An.shape[-1]
    eps = TWO_PI * float(bandwidth)
    Om = TWO_PI * _pair(centers, "centers")
    kap = _kappas(system, pair)[::2]
    A = np.zeros((n2 + 4, n2 + 4))
    D = np.zeros((n2 + 4, n2 + 4))
    A[:n2, :n2], D[:n2, :n2] = An, Dn
    for j, k in enumerate(pair):
        c, f = 2 * k, n2 + 2 * j            # mode k's X index, filter j's X index
        A[f, f], A[f, f + 1] = -eps, Om[j]
        A[f + 1, f], A[f + 1, f + 1] = -Om[j], -eps
        A[f, c] = A[f + 1, c + 1] = 2.0 * np.sqrt(eps * kap[j])
        # the input's noise (N + 1/2 for a thermal input) drives both the mode and its filter
        sigma = input_covariance(system, k)
        D[f:f + 2, f:f + 2] = 2.0 * eps * sigma
        D[c:c + 2, f:f + 2] = D[f:f + 2, c:c + 2] = -2.0 * np.sqrt(eps * kap[j]) * sigma
    return A, D


@dataclass(frozen=True)
class FilteredOutputResult:
    """Steady state of the two filtered output modes at one parameter point.

    ``covariance``: the 4x4 CM of ``(X1f, Y1f, X2f, Y2f)`` after detection (efficiency, added
    noise); ``covariance_ideal``: before detection; ``full_covariance``: the CM of the model
    and the filters (2n + 4 rows).  ``E_N`` (Eq. 9), ``duan`` (Eq. 10), ``duan_min_lo``
    (value, theta_1, theta_2: Eq. 10 minimised over the LO phases) are of the detected pair;
    ``intracavity_*`` the same measures of the pair's modes themselves, for scale.  Bandwidth
    and centres in Hz (eps/2pi, Omega_j/2pi).  Measures are NaN when the system is unstable.
    """
    params: System
    bandwidth: float
    centers: tuple
    efficiency: tuple
    added_noise: tuple
    stable: bool
    max_real_eigenvalue: float
    covariance: np.ndarray
    covariance_ideal: np.ndarray
    full_covariance: np.ndarray
    E_N: float
    duan: float
    duan_min_lo: tuple
    E_N_ideal: float
    intracavity_E_N: float
    intracavity_duan: float
    intracavity_duan_min_lo: tuple

    def to_dict(self) -> dict:
        """JSON-ready dictionary (NaN stays NaN; ``compare.cli.serialize.dumps`` makes it
        null)."""
        lo = lambda t: {"duan": t[0], "theta_1": t[1], "theta_2": t[2]}
        return {
            "filtered": {"E_N": self.E_N, "duan": self.duan,
                         "duan_min_lo": lo(self.duan_min_lo),
                         "E_N_before_detection": self.E_N_ideal,
                         "covariance": self.covariance.tolist(),
                         "covariance_order": ["X1f", "Y1f", "X2f", "Y2f"]},
            "intracavity": {"E_N": self.intracavity_E_N, "duan": self.intracavity_duan,
                            "duan_min_lo": lo(self.intracavity_duan_min_lo)},
            "filter": {"bandwidth": self.bandwidth, "centers": list(self.centers),
                       "efficiency": list(self.efficiency),
                       "added_noise": list(self.added_noise),
                       "definition": "a_j^f(t) = int_{-inf}^t sqrt(2 eps) "
                                     "exp(-(eps + i Omega_j)(t - s)) a_j^out(s) ds, "
                                     "a_j^out = sqrt(2 kappa_j) a_j - a_j^in"},
            "pair": list(self.params.pair_names),
            "stable": self.stable,
            "max_real_eigenvalue": self.max_real_eigenvalue,
            "params": self.params.to_dict(),
            "units": {"bandwidth": "Hz (eps/2pi, amplitude half-width)",
                      "centers": "Hz (Omega_j/2pi, frame rotating at the drive)",
                      "efficiency": "dimensionless, in [0, 1]",
                      "added_noise": "quanta (adds n_add to each quadrature variance)",
                      "covariance": "dimensionless, vacuum = 1/2", "E_N": "natural log",
                      "max_real_eigenvalue": "Hz (Re lambda / 2pi)"},
        }


def _check_point(system: System, what: str) -> None:
    if system.shape != ():
        raise ValueError(f"{what}() takes a single parameter point")


def filtered_output(system: System, bandwidth: float, centers=None, efficiency=1.0,
                    added_noise=0.0) -> FilteredOutputResult:
    """Covariance matrix and entanglement of the two filtered output modes of the system's
    pair (exact: the Lyapunov equation of the model and the two filters).

    ``bandwidth``: eps/2pi in Hz (> 0).  ``centers``: (Omega_1/2pi, Omega_2/2pi) in Hz,
    default :func:`default_centers` (the pair modes' detunings; at the seed paper's point the
    anti-Stokes and Stokes sidebands ``(+omega_b, -omega_b)``).  ``efficiency``,
    ``added_noise``: one value for both modes or a pair (see :func:`apply_detection`).  Does
    not raise for an unstable point: ``stable`` is False and the measures are NaN.  A pair
    that is not two field modes with a decay raises ParameterError.
    """
    _check_point(system, "filtered_output")
    pair = field_pair(system)
    bandwidth = float(bandwidth)
    if not (np.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"the filter bandwidth must be positive and finite (got {bandwidth!r})")
    if centers is None:
        centers = default_centers(system)
    centers = tuple(float(c) for c in _pair(centers, "centers"))
    eta = tuple(float(x) for x in _pair(efficiency, "efficiency"))
    n_add = tuple(float(x) for x in _pair(added_noise, "added noise"))
    apply_detection(np.eye(4) / 2, eta, n_add)          # validates eta and n_add
    A, D = augmented_matrices(system, bandwidth, centers)
    n2 = A.shape[0] - 4
    lam = float(max_real_eigenvalue(A[:n2, :n2]))
    nan_lo = (np.nan, np.nan, np.nan)
    if not lam < 0:
        nan4 = np.full((4, 4), np.nan)
        return FilteredOutputResult(
            system, bandwidth, centers, eta, n_add, False, lam / TWO_PI, nan4, nan4,
            np.full(A.shape, np.nan), np.nan, np.nan, nan_lo, np.nan, np.nan, np.nan, nan_lo)
    # the Lyapunov equation is homogeneous in (A, D): scale to O(1) numbers
    scale = np.abs(A).max()
    C = steady_covariance(A / scale, D / scale)
    ideal = C[n2:, n2:].copy()
    det = apply_detection(ideal, eta, n_add)
    cav = pair_block(C, *pair)
    return FilteredOutputResult(
        params=system, bandwidth=bandwidth, centers=centers, efficiency=eta, added_noise=n_add,
        stable=True, max_real_eigenvalue=lam / TWO_PI, covariance=det, covariance_ideal=ideal,
        full_covariance=C, E_N=float(log_negativity(det)), duan=float(duan_sum(det)),
        duan_min_lo=duan_sum_optimized(det), E_N_ideal=float(log_negativity(ideal)),
        intracavity_E_N=float(log_negativity(cav)), intracavity_duan=float(duan_sum(cav)),
        intracavity_duan_min_lo=duan_sum_optimized(cav))


# -- spectra ----------------------------------------------------------------------------------

def output_transfer(system: System, frequencies) -> np.ndarray:
    """``T(omega)`` (shape ``(n, 4, 2N)``, complex, 2N the model's quadratures) mapping the
    noise ``xi(omega)`` of ``du/dt = A u + xi`` to the pair's output quadratures
    ``(X1out, Y1out, X2out, Y2out)``:
    ``T = sqrt(2 kappa) P (-(i omega + A)^{-1}) - P / sqrt(2 kappa)``.  ``frequencies`` are
    omega/2pi in Hz.  The input of a pair mode is read off its noise ``P xi / sqrt(2 kappa)``,
    which holds only when its decay is its one channel: a mode in a ``dissipative`` coupling
    is refused (the filtered output, :func:`filtered_output`, has no such restriction)."""
    pair = field_pair(system)
    shared = {system.mode_names[k] for ch in system.shared for k in ch[:2] if k in pair}
    if shared:
        raise ParameterError(f"the output spectra take each pair mode's input from its noise, "
                             f"which mode {sorted(shared)[0]!r} shares with a dissipative "
                             f"coupling; choose a pair without one")
    A = system.drift_matrix()
    q = _quadratures(pair)
    w = TWO_PI * np.atleast_1d(np.asarray(frequencies, dtype=float))
    sk = np.sqrt(2.0 * _kappas(system, pair))
    G = -np.linalg.inv(1j * w[:, None, None] * np.eye(A.shape[0]) + A)
    T = sk[None, :, None] * G[:, q, :]
    T[:, np.arange(4), q] -= 1.0 / sk
    return T


def output_spectral_matrix(system: System, frequencies) -> np.ndarray:
    """Symmetrised spectral matrix ``S(omega) = T D T^dag`` (shape ``(n, 4, 4)``, Hermitian)
    of the pair's output quadratures ``(X1out, Y1out, X2out, Y2out)``; vacuum gives ``I/2``.
    ``frequencies``: omega/2pi in Hz (the Fourier convention of the module docstring)."""
    T = output_transfer(system, frequencies)
    D = system.diffusion_matrix()
    return T @ D @ np.conj(np.swapaxes(T, -1, -2))


def homodyne_spectra(system: System, frequencies, theta=(0.0, 0.0)) -> np.ndarray:
    """Homodyne noise spectra ``S_j(omega)`` (shape ``(2, n)``, real) of
    ``cos(theta_j) X_j^out + sin(theta_j) Y_j^out`` for the pair's modes j = 1, 2; vacuum
    (shot noise) = 1/2.  ``frequencies``: omega/2pi in Hz; ``theta``: one LO phase for both or
    a pair (rad)."""
    th = _pair(theta, "theta")
    S = output_spectral_matrix(system, frequencies)
    out = []
    for j in range(2):
        v = np.zeros(4)
        v[2 * j], v[2 * j + 1] = np.cos(th[j]), np.sin(th[j])
        out.append(np.einsum("i,nij,j->n", v, S, v).real)
    return np.array(out)


def filter_transfer(bandwidth: float, center: float, frequencies) -> np.ndarray:
    """Quadrature transfer matrix ``F(omega) = sqrt(2 eps) (-i omega I - A_f)^{-1}``
    (shape ``(n, 2, 2)``) of one filter, ``A_f = [[-eps, Omega], [-Omega, -eps]]``; all in Hz
    (eps/2pi, Omega/2pi, omega/2pi).  In mode language ``a^f(omega) = sqrt(2 eps) /
    (eps + i (Omega - omega)) a^out(omega)``."""
    eps, Om = TWO_PI * float(bandwidth), TWO_PI * float(center)
    w = TWO_PI * np.atleast_1d(np.asarray(frequencies, dtype=float))
    Af = np.array([[-eps, Om], [-Om, -eps]])
    return np.sqrt(2 * eps) * np.linalg.inv(-1j * w[:, None, None] * np.eye(2) - Af)


def large_bandwidth_limit(system: System, bandwidth: float) -> np.ndarray:
    """Leading-order filtered CM for ``eps`` much larger than every system rate:
    ``(N + 1/2) I + (4/eps) K^{1/2} (V_cav - (N + 1/2) I) K^{1/2}`` (module docstring)."""
    pair = field_pair(system)
    A, D = system.drift_matrix(), system.diffusion_matrix()
    cav = pair_block(steady_covariance(A / np.abs(A).max(), D / np.abs(A).max()), *pair)
    if system.squeeze and any(system.squeeze[k] is not None for k in pair):
        raise ValueError("the large-bandwidth limit is derived for thermal inputs; solve the "
                         "filters exactly (filtered_output) for a squeezed one")
    bath = np.zeros((4, 4))
    for j, k in enumerate(pair):
        bath[2 * j:2 * j + 2, 2 * j:2 * j + 2] = input_covariance(system, k)
    sk = np.sqrt(_kappas(system, pair))
    return bath + (4.0 / (TWO_PI * bandwidth)) * sk[:, None] * (cav - bath) * sk[None, :]
