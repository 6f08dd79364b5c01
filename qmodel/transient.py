"""The master-equation switch-on transient of any model (the counterpart of
:mod:`linearized.transient`).

At ``t = 0`` every mode is in thermal equilibrium with its bath
(:meth:`linearized.description.system.System.thermal_occupations`; for the seed paper cavities and magnon
at omega_m, the phonon at omega_b): the same state as the linear ``V(0) = diag(N_k + 1/2)``.
The drive and with it the couplings are switched on at ``t = 0`` at their steady mean-field
values (the displaced frame of :mod:`qmodel.generic`, nonlinear residue kept, Lindblad
mechanical bath), and ``qutip.mesolve`` integrates the master equation in the plain Fock
basis.  Times are given in s and converted to the model's unit,
``tau = 2 pi u[Hz] t[s]`` with ``u`` :func:`qmodel.generic.frequency_unit`.

At each time: the exact ``E_N = ln ||rho_12^{T_2}||_1`` of the reduced state of the model's
pair, Eq. 9 on rho's own covariance matrix (``E_N_gaussian``), the Duan sum, and the
population of every mode's top Fock level.

A truncation that cannot hold even the initial thermal state is refused
(:class:`TruncationRefused`) with the number of levels it would need.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from linearized.description.system import System
from linearized.measures import duan_sum, log_negativity
from linearized.steady import pair_block
from linearized.transient import first_and_settled
from qmodel.basis import fock_basis, thermal_cutoffs, thermal_tail
from qmodel.generic import frequency_unit
from qmodel.measures import exact_log_negativity, moments, tail_populations
from qmodel.model import build_model

TWO_PI = 2.0 * np.pi


class TruncationRefused(ValueError):
    """The cutoffs cannot hold the initial thermal state (not converged, by construction).

    ``mode``: index of the first offending mode; ``levels``: levels per mode the thermal state
    needs; ``dim``: the dimension those levels give."""

    def __init__(self, message: str, mode: int, levels: tuple, dim: int):
        super().__init__(message)
        self.mode, self.levels, self.dim = mode, levels, dim


def _mode_label(system: System, k: int) -> str:
    kind = "mechanical mode" if k in system.mechanical else "mode"
    return f"{kind} {system.mode_names[k]}"


def check_initial_state(system: System, cutoffs, tail_tol: float) -> None:
    """Raise :class:`TruncationRefused` if the thermal state alone puts more than ``tail_tol``
    into the top level of some mode."""
    occ = [float(x) for x in system.thermal_occupations()]
    tails = [thermal_tail(n, c, "renormalised") for n, c in zip(occ, cutoffs)]
    bad = [k for k, t in enumerate(tails) if t > tail_tol]
    if not bad:
        return
    # the fewest levels whose truncated, renormalised thermal state has its top level <= tail_tol
    need = thermal_cutoffs(occ, tail_tol, "renormalised", minimum=2)
    levels = tuple(max(int(c), k) for k, c in zip(need, cutoffs))
    dim = int(np.prod(levels))
    k = bad[0]
    T = float(system.values[system.spec.temperature])
    parts = [f"the {_mode_label(system, j)}'s thermal state ({occ[j]:.4g} quanta at T = "
             f"{T:.4g} K) puts {tails[j]:.3g} in level {cutoffs[j] - 1} and needs "
             f"about {levels[j]} levels for a top-level population below {tail_tol:g}"
             for j in bad]
    raise TruncationRefused(
        "; ".join(parts) + f"; d would be {' x '.join(map(str, levels))} = {dim} "
        f"(cutoffs {','.join(map(str, levels))})", k, levels, dim)


@dataclass(frozen=True)
class MasterTransient:
    """Master-equation transient on ``times`` (s; ``times[0] = 0``, the thermal state).

    ``E_N`` exact, ``E_N_gaussian`` (Eq. 9 on rho's moments), ``duan`` arrays on ``times``,
    of the model's pair; ``tails`` shape ``(n, modes)``: top-level population of each mode at
    each time;
    ``max_tail`` their maximum over all times and modes; ``final_state`` the dense rho at the
    last time; ``seconds`` wall time of the solve."""
    params: System
    times: np.ndarray
    E_N: np.ndarray
    E_N_gaussian: np.ndarray
    duan: np.ndarray
    tails: np.ndarray
    max_tail: float
    cutoffs: tuple
    seconds: float
    final_state: np.ndarray

    @property
    def dim(self) -> int:
        return int(np.prod(self.cutoffs))

    def to_dict(self) -> dict:
        return {"times": self.times.tolist(), "E_N": self.E_N.tolist(),
                "E_N_gaussian": self.E_N_gaussian.tolist(), "duan": self.duan.tolist(),
                "tails": self.tails.tolist(), "max_tail": self.max_tail,
                "cutoffs": list(self.cutoffs), "dim": self.dim, "seconds": self.seconds,
                "basis": "fock", "mech_bath": "lindblad",
                "initial_state": "product of thermal states at the bath occupations "
                                 "(truncated, renormalised)",
                "units": {"times": "s", "E_N": "natural log", "seconds": "s (wall time)"}}


def _measure(rho: np.ndarray, basis, pair):
    rho = (rho + rho.conj().T) / 2
    en = exact_log_negativity(rho, basis, pair=pair)[0]
    cav = pair_block(moments(rho, basis)[1], *pair)
    return (float(en), float(log_negativity(cav)), float(duan_sum(cav)),
            tail_populations(rho, basis))


def master_transient(system: System, times, cutoffs, tail_tol: float = 1e-4,
                     atol: float = 1e-8, rtol: float = 1e-8,
                     nsteps: int = 10 ** 7, method: str = "vern7") -> MasterTransient:
    """Integrate the master equation from the thermal state (module docstring).

    ``times`` in s (``t = 0`` prepended if absent); ``cutoffs`` levels of each mode.
    Raises :class:`TruncationRefused` when the initial thermal state alone puts more than
    ``tail_tol`` into some mode's top level.  ``method``: the mesolve integrator (vern7
    measured 1.5x faster than the default adams here, same states to 1e-15)."""
    import qutip
    if system.shape != ():
        raise ValueError("master_transient() takes a single parameter point")
    cutoffs = tuple(int(c) for c in cutoffs)
    if len(cutoffs) != system.n_modes or min(cutoffs) < 2:
        raise ValueError(f"cutoffs must be {system.n_modes} integers >= 2, one per mode (got "
                         f"{cutoffs})")
    t = np.asarray(times, float)
    if t.ndim != 1 or np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("times must be finite and non-negative")
    t = np.unique(np.concatenate([[0.0], t]))
    check_initial_state(system, cutoffs, tail_tol)
    start = time.perf_counter()
    p = system.replace(mech_bath="lindblad")
    basis = fock_basis(cutoffs)
    model = build_model(p, basis)
    dims = basis.dims
    H = qutip.Qobj(model.H, dims=dims)
    c_ops = [qutip.Qobj(L, dims=dims) for L in model.c_ops]
    rho0 = qutip.Qobj(basis.gaussian_guess(system.thermal_occupations()), dims=dims)
    tau = TWO_PI * frequency_unit(p) * t
    pair = tuple(system.pair)
    rows = []

    def record(_t, state):
        rows.append(_measure(state.full(), basis, pair))
        return 0.0

    res = qutip.mesolve(H, rho0, tau, c_ops, e_ops=[record],
                        options={"atol": atol, "rtol": rtol, "nsteps": nsteps, "method": method,
                                 "store_states": False, "store_final_state": True,
                                 "progress_bar": False})
    if len(rows) != len(t):
        raise RuntimeError(f"mesolve returned {len(rows)} states for {len(t)} times")
    en, eng, duan, tails = (np.array(x) for x in zip(*rows))
    final = res.final_state.full()
    return MasterTransient(params=system, times=t, E_N=en, E_N_gaussian=eng, duan=duan,
                           tails=tails, max_tail=float(tails.max()), cutoffs=cutoffs,
                           seconds=time.perf_counter() - start,
                           final_state=(final + final.conj().T) / 2)


def growth_evidence(base: MasterTransient, max_dim: int, **kwargs) -> dict:
    """Run again with one more level in every mode (if ``d <= max_dim``) and report the
    largest change of E_N, E_N_gaussian and Duan over the time grid."""
    cut = tuple(c + 1 for c in base.cutoffs)
    dim = int(np.prod(cut))
    if dim > max_dim:
        return {"cutoffs": list(cut), "dim": dim, "done": False,
                "reason": f"d = {dim} exceeds max_dim = {max_dim}"}
    grown = master_transient(base.params, base.times, cut, **kwargs)
    ch = {k: float(np.abs(getattr(grown, k) - getattr(base, k)).max())
          for k in ("E_N", "E_N_gaussian", "duan")}
    return {"cutoffs": list(cut), "dim": dim, "done": True,
            "max_change": ch, "max_change_overall": max(ch.values()),
            "max_tail": grown.max_tail, "seconds": grown.seconds}


def t90(times, E_N, E_N_steady: float, fraction: float = 0.9):
    """``(first, settled)`` on a sampled curve, the same definitions as the linear t_90
    (first time E_N reaches ``fraction * E_N_steady``; the time after which it stays at or
    above it), crossings interpolated linearly between grid points.  ``(None, None)`` when
    ``E_N_steady <= 0``; ``settled`` is None when the last point is below."""
    if not E_N_steady > 0:
        return None, None
    t, e = np.asarray(times, float), np.asarray(E_N, float)
    target = fraction * E_N_steady

    def cross(i):   # between i and i+1, e[i] < target <= e[i+1] (or the reverse)
        return float(t[i] + (target - e[i]) / (e[i + 1] - e[i]) * (t[i + 1] - t[i]))

    return first_and_settled(e >= target, cross)
