"""The covariance matrix of any model after the drive is switched on (linear theory).

Before ``t = 0`` the system sits in thermal equilibrium with its baths:
``V(0) = diag(N_k + 1/2)`` on the model's quadratures, with ``N_k`` each mode's bath
occupation at T (:meth:`linearized.description.system.System.thermal_occupations`; for the seed paper
cavities and magnon at omega_m, the phonon at omega_b).  At ``t = 0`` the drive (and with it
the couplings, taken at their steady mean-field values: the mean field is assumed to switch on
instantly) starts, and
``dV/dt = A V + V A^T + D``.  The exact solution is

    ``V(t) = V_ss + e^{A t} (V(0) - V_ss) e^{A^T t}``,

``V_ss`` the Lyapunov solution of Eq. 8.  It is evaluated with one eigendecomposition of A
(``e^{At} = S e^{Lambda t} S^{-1}``), falling back to ``scipy.linalg.expm`` where the
eigenvectors are ill-conditioned; no ODE is integrated, so a phonon's Q = 1e5 costs nothing.
E_N(t) and the Duan sum are those of the model's pair (any two modes).

``t_90`` (two readings, both reported): ``t_90_first``, the first time E_N reaches 90% of its
steady value; ``t_90_settled``, the time after which E_N stays at or above 90% of it.  Both are bracketed on
a dense linear grid that resolves the fastest oscillation of V (:func:`dense_times`, not the
log grid of the output) and refined by root finding on the exact E_N(t).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linearized.description.system import System
from linearized.lyapunov import max_real_eigenvalue, steady_covariance
from linearized.measures import duan_sum, log_negativity
from linearized.steady import pair_block

TWO_PI = 2.0 * np.pi
#: fraction of the steady E_N that defines t_90
FRACTION = 0.9


def thermal_covariance(system: System) -> np.ndarray:
    """``diag(N_k + 1/2)``: the state before the drive (every mode in equilibrium with its
    bath at the temperature T)."""
    n = np.repeat(system.thermal_occupations(), 2)
    return np.diag(n + 0.5)


class _Propagator:
    """``t -> V(t)`` for the exact solution, from one eigendecomposition of A."""

    def __init__(self, A, D, V0):
        self.A = np.asarray(A, float)
        scale = np.abs(self.A).max()
        self.Vss = steady_covariance(self.A / scale, np.asarray(D, float) / scale)
        self.X0 = np.asarray(V0, float) - self.Vss
        lam, S = np.linalg.eig(self.A)
        self.use_eig = np.linalg.cond(S) < 1e8
        if self.use_eig:
            self.lam, self.S = lam, S
            Si = np.linalg.inv(S)
            self.Y0 = Si @ self.X0 @ Si.T

    def __call__(self, times) -> np.ndarray:
        t = np.atleast_1d(np.asarray(times, float))
        if self.use_eig:
            growth = np.exp((self.lam[:, None] + self.lam[None, :])[None] * t[:, None, None])
            dV = (self.S @ (growth * self.Y0) @ self.S.T).real
        else:
            from scipy.linalg import expm  # SciPy: not with every command's --help
            dV = np.array([(lambda E: E @ self.X0 @ E.T)(expm(self.A * s)) for s in t])
        V = self.Vss + dV
        return (V + np.swapaxes(V, -1, -2)) / 2


def _unstable() -> ValueError:
    return ValueError("unstable: the drift matrix has an eigenvalue with positive real part, "
                      "so no steady state exists")


def covariance_at(system: System, times) -> np.ndarray:
    """``V(t)`` (shape ``(n, 2N, 2N)``) at the given times in seconds (exact solution)."""
    A, D = system.drift_matrix(), system.diffusion_matrix()
    if not max_real_eigenvalue(A) < 0:
        raise _unstable()
    return _Propagator(A, D, thermal_covariance(system))(times)


def slowest_bare_decay(system: System) -> float:
    """The smallest nonzero decay or damping of the model's modes (rad/s): for the seed paper
    the phonon's gamma_b."""
    rates = [TWO_PI * float(d) for d in system.decay if float(d) > 0]
    return min(rates, default=np.inf)


def default_times(system: System, n: int = 400) -> np.ndarray:
    """Log-spaced grid (s) from ``1e-3 / max|lambda|`` (well before the fastest dynamics) to
    ``max(40 / min|Re lambda|, 5 / gamma_min)`` (the slowest decay of V, ``e^{-80}``, and five
    bare lifetimes of the slowest mode, e.g. 1/gamma_b ~ 1.6 ms for a phonon at Q = 1e5),
    lambda the eigenvalues of A, gamma_min :func:`slowest_bare_decay`."""
    lam = np.linalg.eigvals(system.drift_matrix())
    t0 = 1e-3 / np.abs(lam).max()
    t1 = max(40.0 / np.abs(lam.real).min(), 5.0 / slowest_bare_decay(system))
    return np.geomspace(t0, t1, n)


@dataclass(frozen=True)
class TransientResult:
    """E_N(t) and Duan(t) of the model's pair after switch-on.

    ``times`` in s (the first entry is ``t = 0``, the thermal state); ``E_N``, ``duan`` arrays
    on it; ``E_N_steady``, ``duan_steady`` of the Lyapunov solution; ``t_90_first`` and
    ``t_90_settled`` in s (module docstring), None when the steady E_N is 0;
    ``slowest_rate`` = min |Re lambda| / 2pi (Hz) and ``fastest_rate`` = max |lambda| / 2pi.
    """
    params: System
    times: np.ndarray
    E_N: np.ndarray
    duan: np.ndarray
    E_N_steady: float
    duan_steady: float
    t_90_first: float | None
    t_90_settled: float | None
    slowest_rate: float
    fastest_rate: float
    covariance_steady: np.ndarray

    def to_dict(self) -> dict:
        return {
            "times": self.times.tolist(), "E_N": self.E_N.tolist(), "duan": self.duan.tolist(),
            "steady": {"E_N": self.E_N_steady, "duan": self.duan_steady},
            "t_90": {"first": self.t_90_first, "settled": self.t_90_settled,
                     "fraction": FRACTION,
                     "definition": "first: E_N first reaches 0.9 E_N_steady; settled: E_N "
                                   "stays >= 0.9 E_N_steady afterwards (bracketed on a dense "
                                   "linear grid resolving the oscillations, refined by root "
                                   "finding)"},
            "slowest_rate": self.slowest_rate, "fastest_rate": self.fastest_rate,
            "initial_state": "thermal, V(0) = diag(N_k + 1/2)",
            "pair": list(self.params.pair_names),
            "params": self.params.to_dict(),
            "units": {"times": "s", "t_90": "s", "E_N": "natural log",
                      "slowest_rate": "Hz (min |Re lambda| / 2pi)",
                      "fastest_rate": "Hz (max |lambda| / 2pi)"},
        }


def _crossing(f, a: float, b: float) -> float:
    """Root of ``f`` in ``[a, b]`` (f(a) < 0 <= f(b)), in log t."""
    from scipy.optimize import brentq  # SciPy: not with every command's --help
    if a <= 0:
        a = b * 1e-6 if f(b * 1e-6) < 0 else 0.0
        if a == 0.0:
            return b
    x = brentq(lambda s: f(np.exp(s)), np.log(a), np.log(b), xtol=1e-12, rtol=1e-12)
    return float(np.exp(x))


def dense_times(lam) -> np.ndarray:
    """Linear grid (s) from 0 to ``40 / min|Re lambda|`` with ten points per period of the
    fastest oscillation of V (frequency ``2 max|Im lambda|``), at most 200,000 points: the
    grid on which t_90 is bracketed (a log grid would step over the oscillations)."""
    t_end = 40.0 / np.abs(lam.real).min()
    rate = max(2.0 * np.abs(lam.imag).max(), np.abs(lam.real).max()) / TWO_PI
    n = int(min(max(t_end * rate * 10, 1000), 200_000))
    return np.linspace(0.0, t_end, n + 1)


def _t90(prop, en_ss, lam, pair):
    """``(t_90_first, t_90_settled)`` in s: bracketed on :func:`dense_times` and refined by
    root finding on the exact E_N(t) of the modes ``pair``."""
    target = FRACTION * en_ss
    g = lambda s: float(log_negativity(pair_block(prop(s)[0], *pair))) - target
    t = dense_times(lam)
    en = np.concatenate([log_negativity(pair_block(prop(chunk), *pair))
                         for chunk in np.array_split(t, max(1, len(t) // 5000))])
    return first_and_settled(en >= target, lambda i: _crossing(g, t[i], t[i + 1]))


def first_and_settled(above, cross):
    """``(first, settled)`` from samples ``above[i]`` (E_N at or above the target at the i-th
    time): ``first`` where E_N first reaches the target (0 if it starts there), ``settled``
    from where it stays there (None if the last sample is below); ``cross(i)`` locates the
    crossing between samples i and i+1.  ``(None, None)`` if the target is never reached."""
    if not above.any():
        return None, None
    i = int(np.argmax(above))
    first = cross(i - 1) if i > 0 else 0.0
    below = np.flatnonzero(~above)
    if below.size == 0:
        return first, 0.0
    j = int(below[-1])
    if j == len(above) - 1:
        return first, None
    return first, cross(j)


def transient(system: System, times=None) -> TransientResult:
    """E_N(t), Duan(t) of the system's pair after switch-on, steady values and t_90 (see module
    docstring).

    ``times`` in seconds (default :func:`default_times`); ``t = 0`` is prepended if absent.
    Raises ValueError at an unstable point (no steady state to relax to).
    """
    if system.shape != ():
        raise ValueError("transient() takes a single parameter point")
    A, D = system.drift_matrix(), system.diffusion_matrix()
    lam = np.linalg.eigvals(A)
    if not lam.real.max() < 0:
        raise _unstable()
    t = default_times(system) if times is None else np.asarray(times, float)
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("times must be finite and non-negative")
    t = np.unique(np.concatenate([[0.0], t]))
    prop = _Propagator(A, D, thermal_covariance(system))
    pair = tuple(system.pair)
    V = prop(t)
    cav = pair_block(V, *pair)
    en, duan = log_negativity(cav), duan_sum(cav)
    css = pair_block(prop.Vss, *pair)
    en_ss, duan_ss = float(log_negativity(css)), float(duan_sum(css))
    first = settled = None
    if en_ss > 0:
        first, settled = _t90(prop, en_ss, lam, pair)
    return TransientResult(
        params=system, times=t, E_N=en, duan=duan, E_N_steady=en_ss, duan_steady=duan_ss,
        t_90_first=first, t_90_settled=settled, slowest_rate=float(np.abs(lam.real).min()) / TWO_PI,
        fastest_rate=float(np.abs(lam).max()) / TWO_PI, covariance_steady=prop.Vss)
