"""Automatic truncation: grow the cutoffs until the measures stop changing.

Starting from cutoffs that hold the Gaussian estimate's thermal tails, each step solves the
master equation, measures the state and grows the cutoffs: every mode whose top-level
population exceeds ``tail_tol`` gains a level; if none does but the measures still move, the
mode with the largest top-level population gains one.  The run has converged when every
top-level population is below ``tail_tol`` and E_N (exact and Gaussian) and the Duan sum changed
by less than ``tol`` from the previous truncation.  Reaching ``max_dim`` first raises
:class:`NotConverged`, which carries the whole history and the best value: never a silent
answer.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from linearized.params import Params
from linearized.steady import solve as solve_linearized
from .basis import Basis, fock_basis, normal_basis
from .fockmap import physical_cutoffs_for
from .measures import StateMeasures, exact_log_negativity, measure
from .model import build_model
from .solvers import SolverOptions, liouvillian_apply, steady_state

BASES = ("normal", "fock", "self")


class NotConverged(RuntimeError):
    """The cutoff budget ran out before the measures converged (``history`` has every step)."""

    def __init__(self, message, history, best):
        super().__init__(message)
        self.history = history
        self.best = best


class Unstable(RuntimeError):
    """The linearized drift matrix has an eigenvalue with positive real part."""


@dataclass(frozen=True)
class ConvergenceOptions:
    """``basis``: ``normal``, ``fock`` or ``self`` (normal modes of the master equation's own
    covariance matrix, iterated to self-consistency; see :func:`solve_self_consistent`);
    ``cutoffs``: a fixed truncation (no growth) or None;
    ``tol``: change of E_N and Duan between truncations; ``tail_tol``: top-level population;
    ``max_dim``: largest Hilbert-space dimension tried."""
    basis: str = "normal"
    cutoffs: tuple | None = None
    tol: float = 1e-4
    tail_tol: float = 1e-4
    max_dim: int = 1500
    solver: SolverOptions = field(default_factory=SolverOptions)


@dataclass(frozen=True)
class QResult:
    """A master-equation steady state with its convergence evidence."""
    params: Params
    basis: str
    cutoffs: tuple
    dim: int
    measures: StateMeasures
    converged: bool
    history: list
    solver: str
    seconds: float
    residual: float
    gaussian_residual: float | None
    mapping: dict | None
    rho: np.ndarray = field(repr=False)
    basis_obj: Basis = field(repr=False)

    def to_dict(self) -> dict:
        m = self.measures.to_dict()
        return {"E_N": m["E_N"], "E_N_gaussian": m["E_N_gaussian"], "duan": m["duan"],
                "duan_min_lo": m["duan_min_lo"],
                "converged": self.converged, "basis": self.basis, "cutoffs": list(self.cutoffs),
                "dim": self.dim, "tail_population": m["tail_population"],
                "occupations": m["occupations"], "first_moments": m["first_moments"],
                "non_gaussianity": m["non_gaussianity"],
                "non_gaussianity_floor": m["non_gaussianity_floor"], "solver": self.solver,
                "seconds": self.seconds, "residual": self.residual,
                "gaussian_residual": self.gaussian_residual,
                "E_N_mapping": self.mapping, "history": self.history,
                "covariance": m["covariance"]}


def _initial_cutoffs(nbar, minimum=2, top=1e-2):
    out = []
    for n in np.maximum(np.asarray(nbar, float), 0.0):
        k = minimum
        while n > 0 and (n / (n + 1)) ** (k - 1) / (n + 1) > top:
            k += 1
        out.append(k)
    return tuple(out)


def _embed(rho, old, new):
    """Pad a state on cutoffs ``old`` with zeros to cutoffs ``new`` (a start vector)."""
    r = rho.reshape(old + old)
    out = np.zeros(new + new, complex)
    out[tuple(slice(0, o) for o in old) * 2] = r
    d = int(np.prod(new))
    return out.reshape(d, d)


def _basis(kind, cov, cutoffs):
    return normal_basis(cov, cutoffs) if kind == "normal" else fock_basis(cutoffs)


def _step(params, basis, solver, x0, physical):
    model = build_model(params, basis)
    state = steady_state(model, solver, x0=x0)
    return model, state, measure(state.rho, basis, physical)


def solve_master(params: Params, options: ConvergenceOptions | None = None,
                 progress=None, basis_cov=None) -> QResult:
    """Steady state of the full master equation (``mech_bath`` forced to ``lindblad``).

    ``progress`` is an optional callable receiving each history entry as it is made;
    ``basis_cov`` replaces the linearized CM as the source of the normal-mode basis.
    """
    opts = options or ConvergenceOptions()
    if opts.basis not in BASES:
        raise ValueError(f"unknown basis {opts.basis!r}; choose one of {', '.join(BASES)}")
    if opts.basis == "self":
        return solve_self_consistent(params, opts, progress)
    params = params.replace(mech_bath="lindblad")
    lin = solve_linearized(params)
    if not lin.stable:
        raise Unstable(f"the linearized drift matrix has max Re lambda/2pi = "
                       f"{lin.max_real_eigenvalue:.6g} Hz > 0")
    cov = lin.covariance if basis_cov is None else basis_cov
    t0 = time.perf_counter()
    physical = None
    if opts.basis == "normal":
        start = _basis("normal", cov, (2, 2, 2, 2))
        nbar = start.nu - 0.5
        physical = physical_cutoffs_for(lin.occupations, tail=opts.tail_tol * 1e-4)
    else:
        nbar = lin.occupations
    # Normal modes are close to thermal, so their Gaussian tails predict the truncation: start
    # where those tails are already below tail_tol.  Growing a hot mode (a weakly coupled
    # thermal phonon) one level per solve from a small start would cost dozens of ever larger
    # solves; if even this start exceeds the budget, the loop refuses at once.  Plain Fock
    # modes are squeezed and correlated, not thermal: they start small and grow.
    if opts.cutoffs:
        cut = tuple(opts.cutoffs)
    elif opts.basis == "normal":
        cut = _initial_cutoffs(nbar, minimum=2, top=opts.tail_tol)
    else:
        cut = _initial_cutoffs(nbar, minimum=3)
    history, prev, rho_prev, cut_prev = [], None, None, None
    while True:
        if int(np.prod(cut)) > opts.max_dim and not history:
            raise NotConverged(
                f"the first truncation {','.join(map(str, cut))} (d = {int(np.prod(cut))}) "
                f"already exceeds max_dim = {opts.max_dim}: the state holds "
                f"too many quanta (mean occupations {', '.join(f'{n:.3g}' for n in nbar)}) "
                f"for the master equation; raise --max-dim to try", history, None)
        basis = _basis(opts.basis, cov, cut)
        if basis.dim > opts.max_dim and history:
            best = history[-1]
            raise NotConverged(
                f"the master equation did not converge within max_dim = {opts.max_dim} "
                f"(last: cutoffs {best['cutoffs']}, E_N = {best['E_N']}, "
                f"E_N_gaussian = {best['E_N_gaussian']:.6g}); raise --max-dim"
                + ("" if opts.basis == "normal" else " or use --basis normal"), history, best)
        if rho_prev is not None:
            x0 = _embed(rho_prev, cut_prev, cut)
        else:
            x0 = basis.gaussian_guess(None if opts.basis == "normal" else nbar)
        model, state, m = _step(params, basis, opts.solver, x0, physical)
        entry = {"cutoffs": list(cut), "dim": basis.dim, "E_N": m.E_N,
                 "E_N_mapped_trace": m.mapped_trace,
                 "E_N_gaussian": m.E_N_gaussian, "duan": m.duan,
                 "tail_population": [float(x) for x in m.tail_population],
                 "iterations": state.iterations, "seconds": state.seconds,
                 "residual": state.residual}
        history.append(entry)
        if progress:
            progress(entry)
        fixed = opts.cutoffs is not None
        tails_ok = bool(np.all(m.tail_population < opts.tail_tol))
        changes_ok = prev is not None and all(
            (a is None and b is None) or abs(a - b) < opts.tol
            for a, b in ((m.E_N, prev.E_N), (m.E_N_gaussian, prev.E_N_gaussian),
                         (m.duan, prev.duan)))
        if fixed or (tails_ok and changes_ok):
            g_res, check = None, None
            if opts.basis == "normal":
                g_res = float(np.linalg.norm(liouvillian_apply(model, basis.gaussian_guess())))
                more = tuple(c + 2 for c in physical)
                en2, tr2 = exact_log_negativity(state.rho, basis, more)
                check = {"physical_cutoffs": list(physical), "E_N": m.E_N,
                         "trace": m.mapped_trace, "next_physical_cutoffs": list(more),
                         "next_E_N": en2, "next_trace": tr2}
            return QResult(params=params, basis=opts.basis, cutoffs=cut, dim=basis.dim,
                           measures=m, converged=(tails_ok and changes_ok) if not fixed else
                           bool(tails_ok), history=history, solver=state.method,
                           seconds=time.perf_counter() - t0, residual=state.residual,
                           gaussian_residual=g_res, mapping=check, rho=state.rho,
                           basis_obj=basis)
        grow = m.tail_population > opts.tail_tol
        if not grow.any():
            grow = m.tail_population == m.tail_population.max()
        prev, rho_prev, cut_prev = m, state.rho, cut
        cut = tuple(c + int(g) for c, g in zip(cut, grow))


def solve_self_consistent(params: Params, options: ConvergenceOptions, progress=None,
                          seed_cutoffs=(3, 3, 3, 3), max_rounds: int = 6) -> QResult:
    """A normal-mode basis that owes nothing to the linearized theory.

    Solve in the plain basis at ``seed_cutoffs``, take the covariance matrix of that state,
    build its normal-mode basis and converge the master equation there; repeat with the new
    state's covariance matrix until E_N and the Duan sum move by less than ``options.tol``
    between rounds.  The result's history lists every round's truncations.
    """
    sub = replace(options, basis="normal")
    seed = solve_master(params, replace(options, basis="fock", cutoffs=tuple(seed_cutoffs)))
    cov = seed.measures.covariance
    history = [{"round": 0, "basis": "fock", **seed.history[-1]}]
    prev = None
    for rnd in range(1, max_rounds + 1):
        res = solve_master(params, sub, progress, basis_cov=cov)
        history += [{"round": rnd, "basis": "normal(self)", **h} for h in res.history]
        m = res.measures
        if prev is not None and abs(m.E_N - prev.E_N) < options.tol and \
                abs(m.duan - prev.duan) < options.tol:
            return replace(res, basis="self", history=history,
                           seconds=sum(h["seconds"] for h in history))
        prev, cov = m, m.covariance
    raise NotConverged(f"the self-consistent basis did not settle in {max_rounds} rounds",
                       history, history[-1])
