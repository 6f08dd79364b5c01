"""A normal-mode basis that owes nothing to the linearized theory: the self-consistent solve
and the independent check built on it.

:func:`solve_self_consistent` starts from the plain Fock basis at a few levels, takes the
covariance matrix of that state, solves the master equation in its normal modes
(:func:`qmodel.converge.solve_converged`) and repeats with the new state's moments until the
measures settle.  :func:`independent_check` runs it at the main run's truncation and compares:
the ``independent_basis`` line of evidence a verdict needs.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from linearized.description.system import System
from qmodel.basis import fock_basis
from qmodel.converge import (ConvergenceOptions, NotConverged, QResult, _change, _timeout,
                             mode_labels, solve_converged)
from qmodel.evidence import evidence
from qmodel.measures import measure
from qmodel.model import build_model
from qmodel.solvers import SolverTimeout, steady_state
from qmodel.truncation import PROBABILITY_START, PROBABILITY_STEP

#: least occupation per mode of the self-consistent seed's start vector: an exactly pure start
#: (the vacuum of baths at T = 0) stopped GMRES after one iteration at a residual of 3e-4
SEED_FLOOR = 1e-2
#: the top-level population the first self-consistent round is held to (see there)
FIRST_ROUND_TAIL = 1e-2
#: the independent check settles its basis on a coarser set first where the main run's set
#: holds at least this many states.  Measured over Fig. 2(a)'s 441 points: it saved a full
#: round at d = 908 (212 s to 173 s on one core), but made the points below d = 300 5 to 13%
#: slower (their full rounds cost little more than a round's fixed work)
COARSE_ROUNDS_DIM = 400


def solve_self_consistent(params: System, options: ConvergenceOptions, progress=None,
                          seed_cutoffs=None, max_rounds: int = 6,
                          deadline: float | None = None, coarse_rounds: bool = False) -> QResult:
    """A normal-mode basis that owes nothing to the linearized theory.

    Solve in the plain basis at ``seed_cutoffs`` (start vector: the product of thermal states
    at the baths' occupations, :meth:`linearized.description.system.System.thermal_occupations`, at least
    :data:`SEED_FLOOR`; from the maximally mixed
    state GMRES took over 15 minutes at the cascaded model's d = 729, from this 12 s),
    take the covariance matrix and occupations of that state, build its normal-mode basis and
    solve the master equation there (the physical cutoffs of the E_N mapping from the same
    moments); repeat with the new state's moments until E_N, E_N_gaussian and the Duan sum
    move by less than ``options.tol`` between rounds.  ``options.cutoffs``, if given, fixes
    the truncation of every round.  ``coarse_rounds`` (with a fixed probability threshold
    ``options.eps``): the rounds between the first and the last run one threshold step
    coarser until two agree, then one at ``eps`` is compared with the last of them (see
    :data:`COARSE_ROUNDS_DIM`).  ``max_rounds`` counts the first round and those at
    ``eps``; the coarse rounds are at most ``max_rounds`` more.  The result's history lists
    every round's truncations and its evidence adds ``self_consistency`` (the last change
    between rounds).
    """
    t0 = time.perf_counter()
    if deadline is None and options.time_limit is not None:
        deadline = t0 + float(options.time_limit)
    params = params.replace(mech_bath="lindblad")
    sub = replace(options, basis="normal")
    seed_cutoffs = tuple(seed_cutoffs or (3,) * params.n_modes)
    seed_basis = fock_basis(seed_cutoffs)
    # the seed only supplies a covariance matrix for the first basis: the first round's looser
    # GMRES tolerance (at 1e-14 a two-cavity model's filtered seed, d = 243, stagnated for
    # 3000 iterations; at 1e-9 it took 20, to the same true residual 1e-13)
    seed_solver = replace(options.solver, tol=max(options.solver.tol, 1e-9))
    try:
        st = steady_state(build_model(params, seed_basis), seed_solver, deadline=deadline,
                          x0=seed_basis.gaussian_guess(np.maximum(params.thermal_occupations(),
                                                                  SEED_FLOOR)))
    except SolverTimeout as exc:
        raise _timeout(options, [], str(exc)) from None
    seed = measure(st.rho, seed_basis, **mode_labels(params))
    cov, occ = seed.covariance, seed.occupations
    history = [{"round": 0, "basis": "fock", "cutoffs": list(seed_cutoffs),
                "dim": seed_basis.dim, "E_N": seed.E_N, "E_N_gaussian": seed.E_N_gaussian,
                "duan": seed.duan, "tail_population": [float(x) for x in seed.tail_population],
                "iterations": st.iterations, "seconds": st.seconds, "residual": st.residual,
                "relative_residual": st.relative_residual}]
    if progress is not None:        # the seed too: at six modes it is a d = 729 solve
        progress(history[0])
    # the first round only supplies a covariance matrix for the next basis (it can never be
    # the last): a looser GMRES tolerance, tails of 1e-2 and no growth evidence are enough
    # there (its basis comes from a seed cut at a few levels, so holding it to the final
    # tails grew the cascaded model's first round to d ~ 1,700 in four minutes)
    first = replace(sub, solver=replace(sub.solver, tol=max(sub.solver.tol, 1e-9)),
                    growth_steps=0, tail_tol=max(sub.tail_tol, FIRST_ROUND_TAIL))
    coarse = None
    if sub.eps is not None:              # a fixed probability set: a coarser first one
        first = replace(first, eps=max(sub.eps, FIRST_ROUND_TAIL * PROBABILITY_START))
        if coarse_rounds:
            coarse = replace(sub, eps=sub.eps * PROBABILITY_STEP)
    prev, change, start, stage, rnd, fine_rounds = None, None, None, "first", 0, 0
    while True:
        rnd += 1
        opts = {"first": first, "coarse": coarse, "fine": sub}[stage]
        try:
            tagged = None if progress is None else \
                (lambda e, r=rnd: progress({**e, "round": r}))
            # a round is judged by its measures (each E_N at the round's own physical
            # target, before the mapping check: like with like); its own evidence is
            # collected only where it is the last (Unfinished.finish)
            res = solve_converged(params, opts, tagged, basis_cov=cov, occupations=occ,
                                  deadline=deadline, finish=False, start=start)
        except NotConverged as exc:
            exc.history = history + [{"round": rnd, "basis": "normal(self)", **h}
                                     for h in exc.history]
            raise
        history += [{"round": rnd, "basis": "normal(self)", **h} for h in res.history]
        m = res.measures
        change = None if prev is None else _change(m, prev)
        fine_rounds += stage != "coarse"
        if stage == "fine" and change is not None and change < options.tol:
            try:
                res = res.finish()
            except NotConverged as exc:       # the deadline, in the mapping check
                exc.history = history
                raise
            item = evidence("self_consistency", True, change, options.tol,
                            independent=True, rounds=rnd,
                            detail=f"E_N, E_N_gaussian, Duan moved {change:.1e} "
                                   f"between the last two rounds")
            items = res.evidence + (item,)
            return replace(res, basis="self", history=history, evidence=items,
                           converged=res.converged, seconds=time.perf_counter() - t0)
        # only the state goes on: the round's model and its dense splitting are freed
        # before the next solve (the memory limit counts one solve's matrices)
        start, res = (res.rho, res.basis_obj), None
        if fine_rounds >= max_rounds:
            break
        prev, cov, occ = m, m.covariance, m.occupations
        if stage == "first":
            stage = "coarse" if coarse is not None else "fine"
        elif stage == "coarse" and ((change is not None and change < options.tol)
                                    or rnd - fine_rounds >= max_rounds):
            # the basis has settled at the set one threshold step coarser (a tenth of the
            # cost at Fig. 2(a)'s hardest point): one round at the asked threshold, compared
            # with that last coarse round, can now settle the basis (the difference then
            # holds the truncation's step as well, so passing it says more, not less)
            stage = "fine"
    last = ("no two rounds compared" if change is None else
            f"last change {change:.1e} >= tol {options.tol:g}")
    raise NotConverged(f"the self-consistent basis did not settle in {rnd} rounds ({last})",
                       history, history[-1], "self_consistency")


def _against(r: QResult, main: QResult, growth: bool = False):
    """The differences of ``r``'s E_N, E_N_gaussian and Duan sum from ``main``'s, the
    largest, and the names of ``r``'s own required evidence that failed (its growth line
    only when ``growth``: at a fixed threshold it has none)."""
    a, b = r.measures, main.measures
    diffs = {"E_N": None if a.E_N is None or b.E_N is None else abs(a.E_N - b.E_N),
             "E_N_gaussian": abs(a.E_N_gaussian - b.E_N_gaussian),
             "duan": abs(a.duan - b.duan)}
    worst = max(v for v in diffs.values() if v is not None)
    own_failed = [e.name for e in r.evidence if e.required and e.passed is not True
                  and (growth or e.name != "truncation_growth")]
    return diffs, worst, own_failed


def independent_check(params: System, main: QResult, options: ConvergenceOptions,
                      deadline: float | None = None, seed_cutoffs=None,
                      max_rounds: int = 4, progress=None):
    """Evidence that owes nothing to the linearized covariance matrix.

    Solves the master equation again in a self-consistent normal-mode basis
    (:func:`solve_self_consistent`: plain Fock seed at ``seed_cutoffs``, then normal modes of
    the master equation's own covariance matrix, physical mapping cutoffs from its own
    occupations) at the main run's cutoffs, and compares it with ``main``.  Returns
    ``(item, result)`` (``progress`` receives each solve's truncations, with its ``round``),
    the item in its JSON form (:meth:`qmodel.evidence.Evidence.to_dict`,
    as a verdict's list of evidence takes it).  The item passes if that solve's own tails,
    residual and mapping pass, its rounds settled within ``tol`` and its E_N, E_N_gaussian
    and Duan sum agree with ``main``'s within ``tol``.  Where at the main run's probability
    threshold they do not, the next round's basis is solved once more with its set grown from
    that threshold until its own growth evidence passes (then required too), and that
    result is compared instead.  ``result`` is None if the solve did not finish.
    """
    t0 = time.perf_counter()
    if main.basis_obj.states is not None:   # the same probability threshold, its own set
        opts = replace(options, basis="normal", cutoffs=None, eps=main.basis_obj.eps)
    else:
        opts = replace(options, basis="normal", cutoffs=tuple(main.cutoffs))
    seed_cutoffs = tuple(seed_cutoffs or (3,) * params.n_modes)
    base = dict(required=True, independent=True, method="self-consistent normal modes",
                seed_cutoffs=list(seed_cutoffs), cutoffs=list(main.cutoffs))
    try:
        r = solve_self_consistent(params, opts, progress, seed_cutoffs=seed_cutoffs,
                                  max_rounds=max_rounds, deadline=deadline,
                                  coarse_rounds=main.dim >= COARSE_ROUNDS_DIM)
    except NotConverged as exc:
        return evidence("independent_basis", False, None, options.tol, reason=exc.reason,
                        detail=f"the self-consistent solve did not finish: {exc}",
                        seconds=time.perf_counter() - t0, **base).to_dict(), None
    diffs, worst, own_failed = _against(r, main)
    agree = worst <= options.tol
    grown = None
    if not (agree and not own_failed) and main.basis_obj.states is not None:
        # at the main run's threshold without growth the self-consistent basis can miss
        # what a grown set sees: a nearly pure normal mode that is slightly misaligned keeps
        # only its levels 0 and 1, and its coherences moved the Duan sum by 1.2e-4 at Fig.
        # 2(a)'s (-1.4, -1.4) omega_b with every tail below 1e-7.  Then grow the set of the
        # next round's basis from that threshold until its own growth evidence passes.
        try:
            grown = solve_converged(
                params, replace(options, basis="normal", cutoffs=None, eps=None,
                                first_eps=main.basis_obj.eps),
                None if progress is None else (lambda e: progress({**e, "round": "grown"})),
                basis_cov=r.measures.covariance, occupations=r.measures.occupations,
                deadline=deadline, start=(r.rho, r.basis_obj))
        except NotConverged as exc:
            base["grown"] = f"the grown set did not converge: {exc}"
        else:
            r = replace(grown, basis="self", history=r.history + [
                {"round": "grown", "basis": "normal(self)", **h} for h in grown.history],
                evidence=grown.evidence + tuple(e for e in r.evidence
                                                if e.name == "self_consistency"))
            diffs, worst, own_failed = _against(r, main, growth=True)
            agree = worst <= options.tol
            base["grown"] = (f"grown from eps = {main.basis_obj.eps:g} to "
                             f"{r.basis_obj.eps:g} (d = {r.dim})")
    a, b = r.measures, main.measures
    passed = agree and not own_failed
    if own_failed:
        detail = f"the self-consistent solve's own evidence failed: {', '.join(own_failed)}"
    elif not agree:
        detail = (f"the self-consistent basis gives E_N {a.E_N}, Duan {a.duan:.6f} where the "
                  f"main run gives E_N {b.E_N}, Duan {b.duan:.6f}: they differ by {worst:.1e} "
                  f"> tol {options.tol:g}")
    else:
        detail = (f"a basis built from the master equation's own moments reproduces E_N, "
                  f"E_N_gaussian and Duan within {worst:.1e}"
                  + (f" (its set {base['grown']}, with growth evidence of its own)"
                     if "grown" in base and grown is not None else ""))
    return evidence("independent_basis", passed, worst, options.tol,
                    consistent_with_main=bool(agree), differences=diffs,
                    E_N=a.E_N, E_N_gaussian=a.E_N_gaussian, duan=a.duan,
                    own_evidence=[e.to_dict() for e in r.evidence],
                    rounds=max(h["round"] for h in r.history
                               if isinstance(h.get("round"), int)),
                    seconds=time.perf_counter() - t0, detail=detail, **base).to_dict(), r
