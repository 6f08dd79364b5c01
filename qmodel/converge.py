"""The convergence loop: grow the truncation until the measures stop changing, with evidence.

:class:`ConvergenceOptions` says what is asked (basis, truncation, tolerances, budget);
:func:`solve_converged` runs the loop in a ``normal`` or ``fock`` basis and returns a
:class:`QResult` (the ``self`` basis is :mod:`qmodel.selfconsistent`;
:func:`qmodel.master.solve_master` takes every basis).  The truncation is a strategy of
:mod:`qmodel.truncation` (a box grown by its tails, a probability set grown by lowering ``eps``,
or a fixed one): each step solves the master equation at the strategy's truncation, measures the
state and asks the strategy for the next one.  The loop stops when every top-level population is
below ``tail_tol`` and the last ``growth_steps`` growth steps (default two in a row) each
changed E_N (exact and Gaussian) and the Duan sum by less than ``tol``, or at once for a fixed
truncation.  One growth step with a small change is a heuristic (a slowly converging measure can
move little per level); two in a row make a premature stop less likely but still do not prove
the truncation error is below ``tol``: the growth evidence reports the changes, not an error
bound.

The result is ``converged`` only if every required line of evidence (``QResult.evidence``,
:class:`qmodel.evidence.Evidence` records with ``name``, ``passed``, ``value``, ``bound``)
passed:

* ``tails``: the largest top-level population, bound ``tail_tol``;
* ``truncation_growth``: the largest change over the last ``growth_steps`` growth steps, bound
  ``tol``; *missing* (``passed`` None, not required) for a fixed truncation, which therefore
  carries no convergence evidence of its own (:class:`qmodel.truncation.FixedTruncation`);
* ``residual``: the true ``||L rho||_F / (||rho||_F * scale)``, ``scale = ||H||_2 + sum_k
  ||L_k^dag L_k||_2`` (:func:`qmodel.solvers.liouvillian_scale`), bound ``residual_tol``, with
  the 1-norm condition number of the preconditioner's eigenvectors V (GMRES converges on the
  preconditioned system, whose solution moves when V is ill-conditioned: hence the true
  residual, not GMRES's);
* ``mapping`` (normal bases): the exact E_N recomputed at the physical cutoffs + 2 must agree
  within ``tol`` and the population the mapping lost (:mod:`qmodel.mapping`) must be below
  ``tail_tol``; the physical cutoffs grow (twice at most) until it passes
  (:func:`mapping_check`);
* ``gaussian_residual`` (normal basis from the linearized CM): the linearized Gaussian state's
  residual under the *quadratic* Liouvillian at this truncation (the truncation floor: nothing
  but truncation when the linearized CM is the quadratic model's steady state), relative to
  the scale, bound ``residual_tol`` times 1e4; the full Liouvillian's residual (G_0 residue,
  Kerr) and its excess over the floor are reported beside it: how much physics the
  linearization leaves out.

Each item says whether it owes anything to the linearized covariance matrix
(``independent_of_linearized``).  Reaching ``max_dim`` first, or ``time_limit`` seconds of wall
clock, raises :class:`NotConverged`, which carries the whole history, the best value and a
``reason``: never a silent answer.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from linearized.description.system import System
from linearized.measures import mode_occupations
from linearized.steady import solve_model
from qmodel.basis import Basis, normal_basis
from qmodel.defaults import MAX_DIM, TAIL_TOL, TOL
from qmodel.evidence import evidence, proved
from qmodel.mapping import PairTarget, normal_to_physical, pair_target, physical_cutoffs_for
from qmodel.memory import memory_max_dim
from qmodel.measures import StateMeasures, exact_log_negativity, measure, pair_table
from qmodel.model import build_model
from qmodel.reduced import pair_reduced_state
from qmodel.solvers import SolverOptions, SolverTimeout, liouvillian_apply, steady_state
from qmodel.truncation import truncation_for

BASES = ("normal", "fock", "self")


class NotConverged(RuntimeError):
    """The budget (cutoffs, time) ran out before the measures converged (``history`` has every
    step; ``reason``: ``first_truncation``, ``max_dim``, ``time_limit`` or
    ``self_consistency``)."""

    def __init__(self, message, history, best, reason=None):
        super().__init__(message)
        self.history = history
        self.best = best
        self.reason = reason


def mode_labels(system) -> dict:
    """``{"pair", "mode_names", "quadrature_names"}`` of a model, for the measures."""
    return {"pair": tuple(system.pair), "mode_names": system.mode_names,
            "quadrature_names": tuple(system.quadrature_names)}


class Unstable(RuntimeError):
    """The linearized drift matrix has an eigenvalue with positive real part."""


@dataclass(frozen=True)
class ConvergenceOptions:
    """``basis``: ``normal``, ``fock`` or ``self`` (normal modes of the master equation's own
    covariance matrix, iterated to self-consistency; see :func:`solve_self_consistent`);
    ``cutoffs``: a fixed truncation (no growth, hence no growth evidence) or None;
    ``tol``: change of E_N and Duan between truncations; ``tail_tol``: top-level population
    (and the population the physical mapping may lose); ``max_dim``: largest Hilbert-space
    dimension tried (None: the largest whose solve fits in the memory available when the
    truncation strategy is made, at least :data:`qmodel.defaults.MAX_DIM`;
    :func:`qmodel.memory.memory_max_dim`); ``residual_tol``: bound on the relative true residual
    ``||L rho||_F / (||rho||_F * scale)``; ``growth_steps``: successive growth steps that must
    each change the measures by less than ``tol``; ``time_limit``: wall-clock seconds for the
    whole run (None: unlimited), ending it, and a running GMRES, with :class:`NotConverged`;
    ``truncation``: ``box`` (every normal mode below its own cutoff, grown where its top level
    is populated) or ``probability`` (normal basis only: the occupation tuples whose
    thermal-product probability exceeds ``eps``, a set closed downwards; each growth step
    lowers ``eps`` tenfold from ``tail_tol * 1e-3``; a given ``eps`` is a fixed truncation).
    Its tails are the populations of the set's edge states, and the thermal-product population
    outside the set is reported in the history (``outside_population``).  Default
    (``None``): the probability set where it applies (the normal basis, no fixed
    ``cutoffs``), which reaches the same accuracy with several times fewer states; the box
    otherwise.  The Python API, the command line and the sweeps all take this one rule."""
    basis: str = "normal"
    cutoffs: tuple | None = None
    tol: float = TOL
    tail_tol: float = TAIL_TOL
    max_dim: int | None = None
    solver: SolverOptions = field(default_factory=SolverOptions)
    residual_tol: float = 1e-10
    growth_steps: int = 2
    time_limit: float | None = None
    truncation: str | None = None
    eps: float | None = None
    #: the first threshold of a growing probability set (default ``tail_tol * 1e-3``)
    first_eps: float | None = None
    #: ``max_dim`` was read from the memory (:meth:`resolved`), not given
    memory_limit: bool = False

    def __post_init__(self):
        if self.truncation is None:
            object.__setattr__(self, "truncation", "probability" if (
                self.basis == "normal" and self.cutoffs is None) else "box")

    def resolved(self) -> "ConvergenceOptions":
        """These options with ``max_dim`` fixed: where it is None, the largest dimension the
        memory available now allows (:func:`qmodel.memory.memory_max_dim`; ``memory_limit``
        then says so).  Read once per point (:func:`qmodel.master.solve_master`, the verdict,
        a sweep's point), so its main run and its independent line have one limit."""
        if self.max_dim is not None:
            return self
        return replace(self, max_dim=memory_max_dim(), memory_limit=True)

    def dim_limit(self) -> int:
        """The largest dimension of :meth:`resolved`."""
        return int(self.resolved().max_dim)

    @property
    def fixed_truncation(self) -> bool:
        """A truncation the caller fixed (``cutoffs``, or ``eps`` of a probability set): it
        is never grown, so it carries no growth evidence."""
        return self.cutoffs is not None or (self.truncation == "probability"
                                            and self.eps is not None)


#: the Gaussian state's quadratic-model residual may exceed ``residual_tol`` by this factor
#: (it is a truncation effect, not a solver tolerance)
GAUSSIAN_FLOOR_FACTOR = 1e4


@dataclass(frozen=True)
class QResult:
    """A master-equation steady state with its convergence evidence."""
    params: System
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
    evidence: tuple = ()
    relative_residual: float | None = None
    residual_scale: float | None = None
    cond_V: float | None = None
    gaussian_residual_floor: float | None = None
    pairs: list | None = None
    #: the physical box (tuple) or :class:`qmodel.mapping.PairTarget` of the exact E_N
    mapping_target: object = field(default=None, repr=False)

    @property
    def failed_evidence(self) -> list:
        """Required evidence items that did not pass (or are missing)."""
        return [e for e in self.evidence if e.get("required", True) and e["passed"] is not True]

    def reduced_state(self, first, second):
        """The reduced state of two physical modes (names, or indices) as a ``qutip.Qobj``
        with physical Fock dims: a partial trace in the plain basis; in a normal-mode basis
        the state mapped to the physical Fock box of the mapping check (the population it
        lost is ``lost_population``).  Not renormalised: its trace is 1 - lost population."""
        import qutip  # third-party and slow to import: only where a Qobj is made, as solvers
        names = list(self.measures.mode_names)
        i, j = (names.index(x) if isinstance(x, str) else int(x) for x in (first, second))
        if i == j:
            raise ValueError("a pair names two different modes")
        target = None
        if self.basis_obj.kind != "fock":
            target = self.mapping_target
            if target is None:
                target = tuple(self.mapping["physical_cutoffs"])
            elif isinstance(target, PairTarget) and {i, j} != set(target.pair):
                # physical on the result's pair only: another pair gets its own target
                target = pair_target(self.measures.covariance, (i, j), target.eps)
        cs = pair_reduced_state(self.rho, self.basis_obj, (i, j), target)
        dims = list(cs.cavity_cutoffs)
        return qutip.Qobj(cs.rho12, dims=[dims, dims])

    @property
    def lost_population(self) -> float | None:
        return None if self.mapping is None else self.mapping.get("lost_population")

    @property
    def proved(self) -> bool:
        """Converged *and* shown to be: ``converged`` says every required check passed; a
        fixed truncation passes them without growth evidence, so it is never proved
        (:func:`qmodel.evidence.proved`, the one place of that rule).  What the command line
        reports as ``converged``."""
        return proved(self.evidence)

    def why_not_converged(self) -> str:
        """One sentence naming the evidence that failed ("" if converged)."""
        return "; ".join(f"{e['name']}: {e.get('detail', '')}".rstrip(": ")
                         for e in self.failed_evidence)

    def to_dict(self) -> dict:
        m = self.measures.to_dict()
        g, f = self.gaussian_residual, self.gaussian_residual_floor
        return {"E_N": m["E_N"], "E_N_gaussian": m["E_N_gaussian"], "duan": m["duan"],
                "duan_min_lo": m["duan_min_lo"],
                "converged": self.converged, "basis": self.basis, "cutoffs": list(self.cutoffs),
                "truncation": "box" if self.basis_obj.states is None else "probability",
                "eps": self.basis_obj.eps,
                "dim": self.dim, "tail_population": m["tail_population"],
                "occupations": m["occupations"], "first_moments": m["first_moments"],
                "non_gaussianity": m["non_gaussianity"],
                "non_gaussianity_floor": m["non_gaussianity_floor"], "solver": self.solver,
                "seconds": self.seconds, "residual": self.residual,
                "relative_residual": self.relative_residual,
                "residual_scale": self.residual_scale, "cond_V": self.cond_V,
                "gaussian_residual": g, "gaussian_residual_floor": f,
                "gaussian_residual_excess": None if g is None or f is None else g - f,
                "lost_population": self.lost_population,
                "E_N_mapping": self.mapping, "evidence": [e.to_dict() for e in self.evidence],
                "not_converged_because": self.why_not_converged() or None,
                "history": self.history, "covariance": m["covariance"],
                "pair": [self.measures.mode_names[i] for i in self.measures.pair],
                "pairs": self.pairs}


@dataclass(frozen=True)
class Unfinished:
    """A truncation that passed the loop's own tests (tails and growth), before the evidence
    of :func:`_finish` (the mapping check at finer physical cutoffs, the Gaussian residual,
    the table of every pair): what a round of the self-consistent basis needs to decide
    whether it is the last (its measures) and to start the next (its state).  ``finish()``
    gives the :class:`QResult`; it is called for the round that is kept only (at a small
    point of Fig. 2(a) the finishing work of the rounds before took a sixth of a verdict)."""
    measures: StateMeasures
    history: list
    rho: np.ndarray = field(repr=False)
    basis_obj: Basis = field(repr=False)
    finish: Callable[[], QResult] = field(repr=False)


def _embed(rho, old: Basis, new: Basis):
    """Pad a state on the truncation ``old`` with zeros to the larger ``new`` of the same
    modes (a start vector): boxes by their cutoffs, state sets by their occupation tuples."""
    if old.states is not None or new.states is not None:
        pos = new.positions(old.occupation_tuples)
        out = np.zeros((new.dim, new.dim), complex)
        out[np.ix_(pos, pos)] = rho
        return out
    old, new = tuple(old.cutoffs), tuple(new.cutoffs)
    r = rho.reshape(old + old)
    out = np.zeros(new + new, complex)
    out[tuple(slice(0, o) for o in old) * 2] = r
    d = int(np.prod(new))
    return out.reshape(d, d)


def _rebase(rho, old: Basis, new: Basis) -> np.ndarray:
    """``rho`` (written in ``old``) written in ``new``, both truncated (boxes or state sets):
    ``W^dag rho W`` with ``W[m, n] = <m_old|n_new>`` from
    :func:`qmodel.mapping.normal_to_physical` (the old modes play the physical ones:
    ``r_old = S_old^-1 S_new r_new``).  A start vector only."""
    W = normal_to_physical(new, old)
    out = W.conj().T @ rho @ W
    out = (out + out.conj().T) / 2
    return out / np.trace(out).real


#: largest physical Fock box the exact-E_N mapping's check uses; beyond it the mapping target
#: is physical on the pair only (:class:`qmodel.mapping.PairTarget`).  The paper's optimum
#: needs 3,185 states (8,505 for the check at 2 more levels); the cascaded model's six modes
#: ~10^6 (a box check grown twice there took 24 GB)
MAX_PHYSICAL_BOX = 40_000
#: the mapping check stops growing its target where ``W`` (target states x d, complex) would
#: exceed this many bytes; the check then fails with that reason
MAPPING_BYTES = 3e9


def _finer(target):
    """The mapping target of the convergence check: 2 more levels per mode for a box, a
    tenfold lower threshold for a pair target."""
    return target.finer() if isinstance(target, PairTarget) else tuple(c + 2 for c in target)


def _cutoffs_of(target) -> list:
    return list(target.cutoffs) if isinstance(target, PairTarget) else list(target)


def _step(params, basis, solver, starts, physical, deadline=None, accept=None):
    """Solve at one truncation from the start vector (of ``starts``) with the smallest true
    residual: the previous state embedded, or the basis's Gaussian guess (which at a nearly
    Gaussian point is almost the answer and saves most GMRES iterations)."""
    model = build_model(params, basis)
    labels = mode_labels(params)
    if len(starts) > 1 and solver.method == "krylov":
        res = [np.linalg.norm(liouvillian_apply(model, x)) / abs(np.trace(x)) for x in starts]
        x0 = starts[int(np.argmin(res))]
    else:
        x0 = starts[0]
    state = steady_state(model, solver, x0=x0, deadline=deadline, accept=accept)
    return model, state, measure(state.rho, basis, physical, **labels)


def _change(m, prev):
    """Largest change of E_N, E_N_gaussian and Duan between two truncations (None-safe)."""
    out = 0.0
    for a, b in ((m.E_N, prev.E_N), (m.E_N_gaussian, prev.E_N_gaussian), (m.duan, prev.duan)):
        if (a is None) != (b is None):
            return float("inf")
        if a is not None:
            out = max(out, abs(a - b))
    return out


def _timeout(opts, history, detail):
    best = history[-1] if history else None
    limit = f"{opts.time_limit:g} s" if opts.time_limit is not None else "the deadline"
    return NotConverged(f"the time limit ({limit}) was hit before the master equation "
                        f"converged: {detail}", history, best, "time_limit")


def _linearized(params):
    """The linearized steady state the normal basis starts from; :class:`Unstable` where
    there is none."""
    lin = solve_model(params)
    if not lin.stable:
        raise Unstable(f"the linearized drift matrix has max Re lambda/2pi = "
                       f"{lin.max_real_eigenvalue:.6g} Hz > 0")
    return lin


def _strategy(opts, cov, phys_occ, n_modes: int):
    """``(nbar, strategy)``: the occupations of the basis's modes (normal modes of ``cov``,
    or the physical ones) and the truncation strategy of ``opts``."""
    modes = None
    if opts.basis == "normal":
        modes = normal_basis(cov, (2,) * n_modes)     # S and nu, once
        nbar = modes.nu - 0.5
    else:
        nbar = phys_occ
    return nbar, truncation_for(opts, cov, nbar, modes)


def first_truncation_size(params: System, options: ConvergenceOptions) -> int:
    """The number of states of the first truncation :func:`solve_converged` solves at
    ``params`` (from its linearized state; more than ``options.max_dim`` where that is too
    many).  Raises :class:`Unstable` where the linearized state has no steady state."""
    params = params.replace(mech_bath="lindblad")
    lin = _linearized(params)
    step = _strategy(options, lin.covariance, lin.occupations, params.n_modes)[1].start()
    return int(step.size if step.size is not None else step.limit + 1)


def solve_converged(params: System, options: ConvergenceOptions | None = None,
                    progress=None, basis_cov=None, occupations=None,
                    deadline: float | None = None, start=None,
                    finish: bool = True) -> QResult | Unfinished:
    """Steady state of the full master equation (``mech_bath`` forced to ``lindblad``) in a
    ``normal`` or ``fock`` basis, at truncations grown until converged (module docstring).

    ``progress`` is an optional callable receiving each history entry as it is made;
    ``basis_cov`` replaces the linearized CM as the source of the normal-mode basis, and then
    nothing comes from the linearized theory: the starting truncation follows from
    ``basis_cov``'s symplectic eigenvalues, the physical cutoffs of the E_N mapping from
    ``occupations`` (mean quanta of each mode; default: those of ``basis_cov``), and no
    linearized stability check is made (the truncated master equation always has a steady
    state).  ``deadline``: a ``time.perf_counter()`` value (overrides ``time_limit``).
    ``start``: ``(rho, basis)`` of an earlier solution in another basis, offered (written in
    the new basis) as a start vector for the first truncation; it changes the iterations only.
    ``finish=False`` returns an :class:`Unfinished` instead, whose ``finish()`` collects the
    last truncation's evidence.
    """
    opts = options or ConvergenceOptions()
    if opts.basis not in ("normal", "fock"):
        raise ValueError(f"the convergence loop takes the normal or fock basis (got "
                         f"{opts.basis!r}; the self-consistent basis is "
                         f"qmodel.selfconsistent)")
    t0 = time.perf_counter()
    if deadline is None and opts.time_limit is not None:
        deadline = t0 + float(opts.time_limit)
    params = params.replace(mech_bath="lindblad")
    if basis_cov is None:
        lin = _linearized(params)
        cov, phys_occ = lin.covariance, lin.occupations
    else:
        cov = np.asarray(basis_cov, float)
        phys_occ = mode_occupations(cov) if occupations is None else np.asarray(occupations)
    from_linearized = basis_cov is None and opts.basis == "normal"
    physical = None
    nbar, strategy = _strategy(opts, cov, phys_occ, params.n_modes)
    if opts.basis == "normal":
        physical = physical_target(cov, phys_occ, mode_labels(params)["pair"], opts.tail_tol)
    step = strategy.start()
    history, changes, prev, rho_prev, basis_prev = [], [], None, None, None
    from_memory = opts.max_dim is None or opts.memory_limit
    limit = f"max_dim = {strategy.max_dim}" + (
        f" (the default: the largest the memory available allowed, at least {MAX_DIM})"
        if from_memory else "")
    raise_it = ("a larger set does not fit in this machine's available memory" if from_memory
                else "raise --max-dim")
    while True:
        if step.basis is None and not history:
            raise NotConverged(
                f"{step.what} ({step.dim_text}) "
                f"already exceeds {limit}: the state "
                f"holds too many quanta (mean occupations "
                f"{', '.join(f'{n:.3g}' for n in nbar)}) for the master equation; "
                f"{raise_it}", history, None, "first_truncation")
        if step.basis is None:
            best = history[-1]
            raise NotConverged(
                f"the master equation did not converge within {limit} "
                f"(last: cutoffs {best['cutoffs']}, E_N = {best['E_N']}, "
                f"E_N_gaussian = {best['E_N_gaussian']:.6g}); {raise_it}"
                + ("" if opts.basis == "normal" else " or use --basis normal"), history, best,
                "max_dim")
        basis = step.basis
        if deadline is not None and time.perf_counter() > deadline:
            raise _timeout(opts, history, f"stopped before the solve at cutoffs "
                                          f"{','.join(map(str, basis.cutoffs))}")
        starts = [basis.gaussian_guess(None if opts.basis == "normal" else nbar)]
        if rho_prev is not None:
            starts.insert(0, _embed(rho_prev, basis_prev, basis))
        elif start is not None:
            starts.insert(0, _rebase(start[0], start[1], basis))
        try:
            model, state, m = _step(params, basis, opts.solver, starts, physical, deadline,
                                    accept=opts.residual_tol)
        except SolverTimeout as exc:
            raise _timeout(opts, history, str(exc)) from None
        change = None if prev is None else _change(m, prev)
        entry = {"cutoffs": list(basis.cutoffs), "dim": basis.dim, "E_N": m.E_N,
                 "E_N_mapped_trace": m.mapped_trace,
                 "E_N_gaussian": m.E_N_gaussian, "duan": m.duan,
                 "tail_population": [float(x) for x in m.tail_population],
                 "change": change, "iterations": state.iterations, "seconds": state.seconds,
                 "residual": state.residual, "relative_residual": state.relative_residual}
        entry.update(strategy.record(basis))
        history.append(entry)
        if progress:
            progress(entry)
        if change is not None:
            changes.append(change)
        tails_ok = bool(np.all(m.tail_population < opts.tail_tol))
        last = changes[-opts.growth_steps:] if opts.growth_steps > 0 else []
        growth_ok = len(last) >= opts.growth_steps and all(c < opts.tol for c in last)
        nxt = None if tails_ok and growth_ok else strategy.grow(step, m)
        if nxt is None:
            growth = strategy.growth_evidence(basis, changes, opts.tol, opts.growth_steps,
                                              not from_linearized)
            args = (params, opts, basis, model, state, m, history, growth, physical,
                    from_linearized, basis_cov is not None, t0, deadline)
            if not finish:
                return Unfinished(m, history, state.rho, basis, lambda: _finish(*args))
            return _finish(*args)
        prev, rho_prev, basis_prev, step = m, state.rho, basis, nxt


def physical_target(cov, occupations, pair, tail_tol):
    """The target of the exact E_N's mapping: the physical Fock box whose thermal tails (at
    the physical ``occupations``) are ``tail_tol / 100`` per mode, or, where that box checked
    at 2 more levels would exceed :data:`MAX_PHYSICAL_BOX`, a target physical on the pair
    only (a hot or many-mode model: a local unitary on the traced modes leaves the pair's
    state unchanged, and far fewer states are needed).  At the paper's optimum the box loses
    1.3e-6 and its E_N is 6e-6 from the converged mapping's (1e-4 per mode lost 1e-4,
    1.6e-4 off); the check at 2 more levels per mode guards it."""
    physical = physical_cutoffs_for(occupations, tail=tail_tol * 1e-2)
    if int(np.prod(_finer(physical))) > MAX_PHYSICAL_BOX:
        return pair_target(cov, pair, tail_tol * 1e-2)
    return physical


def _finish(params, opts, basis, model, state, m, history, growth, physical, from_linearized,
            own_basis, t0, deadline):
    """Collect the evidence of the last truncation (``growth``: the strategy's growth line)
    and build the :class:`QResult`."""
    indep = not from_linearized
    tails = float(np.max(m.tail_population))
    extra = {}
    if basis.states is not None:
        # the set's own error estimate, reported beside its edge populations
        extra = {"outside_population": history[-1].get("outside_population")}
    items = [evidence("tails", tails < opts.tail_tol, tails, opts.tail_tol,
                      independent=indep, detail=f"largest top-level population {tails:.2e}"
                      + (f"; Gaussian-predicted population outside the probability "
                         f"set {extra['outside_population']:.1e}" if extra else ""),
                      **extra), growth]
    items.append(evidence(
        "residual", state.relative_residual < opts.residual_tol, state.relative_residual,
        opts.residual_tol, independent=indep, absolute=state.residual, scale=state.scale,
        cond_V=state.cond_V,
        detail=f"||L rho||/(||rho|| scale) = {state.relative_residual:.1e} (scale "
               f"{state.scale:.3g}, cond(V) {state.cond_V if state.cond_V is None else f'{state.cond_V:.2e}'})"))
    g_res = g_floor = check = target = None
    labels = mode_labels(params)
    early = None
    if opts.basis == "normal" and physical is not None and not isinstance(physical, PairTarget):
        # the table of every pair at the measures' own target, before the mapping check maps
        # to a finer one (qmodel.reduced keeps the last mapping: this one is then reused)
        early = pair_table(state.rho, basis, m.covariance, labels["mode_names"], physical)
    if opts.basis == "normal":
        check, m, target = mapping_check(state.rho, basis, m, physical, opts, deadline,
                                          history)
        where = ("physical cutoffs" if "target" not in check else
                 "a target physical on the pair (normal modes of the rest), cutoffs")
        items.append(evidence(
            "mapping", check["passed"], check["E_N_change"], opts.tol, independent=indep,
            lost_population=check["lost_population"], lost_bound=opts.tail_tol,
            physical_cutoffs=check["physical_cutoffs"], target=check.get("target"),
            detail=f"exact E_N moved {check['E_N_change']:.1e} from {where} "
                   f"{check['physical_cutoffs']} to {check['next_physical_cutoffs']}; the "
                   f"mapping lost population {check['lost_population']:.1e}"
                   + (f"; stopped: {check['stopped']}" if "stopped" in check else "")))
        # the basis's Gaussian state: the linearized one (required: the two engines must
        # describe the same quadratic model), or that of a given CM (reported only: a
        # self-consistent CM of a non-Gaussian state is not the quadratic model's)
        guess = basis.gaussian_guess()
        norm = float(np.linalg.norm(guess)) * state.scale
        g_res = float(np.linalg.norm(liouvillian_apply(model, guess)))
        quad = build_model(params, basis, quadratic_only=True)
        g_floor = float(np.linalg.norm(liouvillian_apply(quad, guess)))
        bound = opts.residual_tol * GAUSSIAN_FLOOR_FACTOR
        items.append(evidence(
            "gaussian_residual", g_floor / norm < bound, g_floor / norm, bound,
            required=not own_basis, independent=own_basis,
            state="the linearized Gaussian state" if not own_basis else
            "the Gaussian state of the given covariance matrix",
            absolute_floor=g_floor, absolute_full=g_res,
            excess=g_res - g_floor, relative_excess=(g_res - g_floor) / norm,
            detail=f"{'the linearized' if not own_basis else 'the basis'} Gaussian "
                   f"state's residual under the quadratic "
                   f"Liouvillian (truncation floor) is {g_floor / norm:.1e} of the scale; "
                   f"under the full one {g_res / norm:.1e} (excess {g_res - g_floor:.1e} "
                   f"in units of omega_b: the physics the linearization leaves out)"))
    converged = all(e.passed is True for e in items if e.required)
    if early is not None and tuple(target) == tuple(physical):
        pairs = early
    elif isinstance(target, PairTarget):
        # physical on its own pair only: that pair's exact E_N is m's, the others have none
        pairs = pair_table(state.rho, basis, m.covariance, labels["mode_names"])
        for row in pairs:
            if {labels["mode_names"][k] for k in target.pair} == set(row["modes"]):
                row.update(E_N=m.E_N, lost_population=1.0 - m.mapped_trace)
    else:
        pairs = pair_table(state.rho, basis, m.covariance, labels["mode_names"], target)
    return QResult(params=params, basis=opts.basis, cutoffs=basis.cutoffs, dim=basis.dim,
                   measures=m, converged=converged, history=history, solver=state.method,
                   seconds=time.perf_counter() - t0, residual=state.residual,
                   gaussian_residual=g_res, mapping=check, rho=state.rho, basis_obj=basis,
                   evidence=tuple(items), relative_residual=state.relative_residual,
                   residual_scale=state.scale, cond_V=state.cond_V,
                   gaussian_residual_floor=g_floor, pairs=pairs, mapping_target=target)


def mapping_check(rho, basis, m, physical, opts, deadline, history, max_grow=2):
    """Exact E_N at the physical cutoffs and at 2 more per mode; grow them (at most
    ``max_grow`` times) until the two agree within ``tol`` and the lost population is below
    ``tail_tol``.  Returns the check's dict and the measures with the E_N finally used."""
    phys = physical if isinstance(physical, PairTarget) else tuple(physical)
    en, trace = m.E_N, m.mapped_trace
    done, memory = None, ""
    for attempt in range(max_grow + 1):
        if deadline is not None and time.perf_counter() > deadline:
            raise _timeout(opts, history, "stopped during the physical-mapping check")
        more = _finer(phys)
        size = len(more.states) if isinstance(more, PairTarget) else int(np.prod(more))
        if size * basis.dim * 16 > MAPPING_BYTES:
            memory = (f"the next mapping target ({size} states) would need more than "
                      f"{MAPPING_BYTES / 1e9:g} GB")
            if done is None:         # not even one comparison: the check fails, saying why
                done = (attempt, phys, en, trace, more, float("nan"), float("nan"), False)
            break                    # the last comparison stands (and failed)
        en2, tr2 = exact_log_negativity(rho, basis, more, m.pair)
        ok = abs(en2 - en) < opts.tol and 1.0 - trace < opts.tail_tol
        done = (attempt, phys, en, trace, more, en2, tr2, ok)
        if ok:
            break
        phys, en, trace = more, en2, tr2
    attempt, phys, en, trace, more, en2, tr2, ok = done
    if attempt:
        m = replace(m, E_N=en, mapped_trace=trace)
    check = {"physical_cutoffs": _cutoffs_of(phys), "E_N": en, "trace": trace,
             "lost_population": 1.0 - trace, "next_physical_cutoffs": _cutoffs_of(more),
             "next_E_N": en2, "next_trace": tr2, "next_lost_population": 1.0 - tr2,
             "E_N_change": abs(en2 - en), "passed": bool(ok), "grown": attempt}
    if memory:
        check["stopped"] = memory
    if isinstance(phys, PairTarget):
        check.update(target=phys.describe(), next_target=more.describe())
    return check, m, phys
