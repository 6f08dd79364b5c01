"""Linearized theory vs master equation on one parameter set, with a verdict and its evidence.

Both sides use the same mechanical bath, the master equation's ``lindblad`` form; the paper's
``brownian`` value is reported beside them for reference.

Evidence (``Comparison.evidence``; JSON key ``evidence``): a list of named items, each
``{"name", "passed" (true, false, or null = missing), "value", "bound", "required",
"independent_of_linearized", "detail", ...}``:

* ``tails``, ``truncation_growth``, ``residual``, ``mapping``, ``gaussian_residual``: the
  master-equation run's own evidence (:mod:`qmodel.converge` defines each and its bound);
* ``independent_basis``: the master equation solved again in a basis that owes nothing to the
  linearized covariance matrix (:func:`qmodel.selfconsistent.independent_check`: a plain Fock seed
  solve, then normal modes of the master equation's own covariance matrix, iterated, at the
  main run's cutoffs, with physical mapping cutoffs from its own moments).  It passes if its
  own tails, residual and mapping pass, its rounds settled, and its E_N, E_N_gaussian and Duan
  sum agree with the main run's within the convergence ``tol``.  When the main run's basis is
  itself independent (``fock``, ``self``) the item records that instead of solving again.

Verdict rules, in order:

1. ``undecided`` if any required item is missing or failed (a fixed truncation has no growth
   evidence, so it is always undecided; so is a run stopped by ``max_dim`` or the time limit).
2. ``undecided`` if no item independent of the linearized covariance matrix is present and
   passed, in particular if the independent basis disagrees with the main result beyond
   ``tol`` (then one of the two is not converged; the reason gives both values).
3. ``agree`` if |dE_N| and |dDuan| are within ``tolerance`` (E_N from the partial transpose of
   the master equation's state against Eq. 9 of the Lyapunov CM), else ``disagree``, with a
   reason naming the physics (non-Gaussian state, the G_0 residue moving the moments, ...).

So "agree" and "disagree" both rest on complete evidence; missing or failing evidence never
gives either.  ``TOLERANCE`` (1e-3) is ten times the default convergence ``tol``; with two
successive growth steps below ``tol`` truncation is an unlikely cause of a "disagree", but the
growth evidence is a heuristic, not an error bound, so a difference within a few ``tol`` of
``tolerance`` deserves a run at tighter ``tol``.

Unstable parameters (no steady state) raise :class:`qmodel.converge.Unstable`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

#: TOLERANCE: default agreement tolerance on E_N and on the Duan sum, ten times the master
#: equation's default convergence tolerance (see the module doc for what that does and does not
#: ensure); NON_GAUSSIAN: relative entropy to the same-moment Gaussian state (nats), above the
#: truncation floor, from which a state is called non-Gaussian.  Both defined once, there.
from compare.defaults import NON_GAUSSIAN, TOLERANCE
from linearized.description.system import System
from linearized.steady import ModelResult, pair_measures
from linearized.steady import solve_model as solve
from qmodel.converge import ConvergenceOptions, NotConverged, QResult, Unstable, mode_labels
from qmodel.evidence import evidence_item, for_verdict
from qmodel.master import solve_master
from qmodel.selfconsistent import independent_check
from qmodel.solvers import SolverError


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare`: both sides, differences, verdict and reason."""
    params: System
    linearized: ModelResult
    linearized_brownian: ModelResult
    qmodel: QResult | None
    delta_E_N: float | None
    delta_duan: float | None
    tolerance: float
    verdict: str
    reason: str
    not_converged: dict | None = field(default=None)
    evidence: tuple = ()
    independent: QResult | None = field(default=None, repr=False)

    @property
    def agree(self) -> bool:
        return self.verdict == "agree"

    def to_dict(self) -> dict:
        labels = mode_labels(self.params)
        names = labels["mode_names"]
        lin = {"E_N": self.linearized.E_N, "duan": self.linearized.duan,
               "stable": self.linearized.stable, "mech_bath": "lindblad",
               "occupations": dict(zip(names, map(float, self.linearized.occupations)))}
        brown = {"E_N": self.linearized_brownian.E_N, "duan": self.linearized_brownian.duan,
                 "mech_bath": "brownian"}
        q = self.qmodel.to_dict() if self.qmodel is not None else self.not_converged
        if q is not None:
            q = {k: v for k, v in q.items() if k != "covariance"}
        return {"linearized": lin, "linearized_brownian_reference": brown, "qmodel": q,
                "delta_E_N": self.delta_E_N, "delta_duan": self.delta_duan,
                "agree": self.agree, "verdict": self.verdict, "reason": self.reason,
                "tolerance": self.tolerance, "mech_bath": "lindblad (both sides)",
                "evidence": [dict(e) for e in self.evidence],
                "params": self.params.to_dict(),
                "pair": [names[i] for i in labels["pair"]], "pairs": self.pairs()}

    def pairs(self) -> list:
        """Every pair: the linearized E_N and Duan beside the master equation's exact and
        Gaussian E_N and Duan (the convergence evidence is that of ``pair``)."""
        names = mode_labels(self.params)["mode_names"]
        n = len(names)
        lin = pair_measures(self.linearized.covariance,
                            [(i, j) for i in range(n) for j in range(i + 1, n)], names)
        me = {tuple(p["modes"]): p for p in (self.qmodel.pairs or [])} if self.qmodel else {}
        out = []
        for p in lin:
            q = me.get(tuple(p["modes"]), {})
            out.append({"modes": p["modes"], "E_N": p["E_N"], "duan": p["duan"],
                        "linearized": {"E_N": p["E_N"], "duan": p["duan"]},
                        "qmodel": {k: q.get(k) for k in ("E_N", "E_N_gaussian", "duan",
                                                         "lost_population")} if q else None})
        return out


def _reason(q: QResult, lin: ModelResult, tol: float) -> str:
    m = q.measures
    parts = []
    if m.non_gaussianity_excess > NON_GAUSSIAN or (m.E_N is not None and
                                            abs(m.E_N - m.E_N_gaussian) > tol / 2):
        parts.append(f"the master equation's state is non-Gaussian (relative entropy to the "
                     f"Gaussian state with its moments {m.non_gaussianity:.2e}, of which "
                     f"truncation explains {m.non_gaussianity_floor:.2e}; exact E_N "
                     f"{m.E_N:.6f} vs Eq. 9 on its moments {m.E_N_gaussian:.6f})")
    shift = float(np.abs(m.first_moments).max())
    if shift > 1e-3:
        parts.append(f"the nonlinear residue G_0 m^dag m q shifts the mean field by up to "
                     f"{shift:.2e} (quadrature units), which the linearization drops")
    dcov = float(np.abs(m.covariance - lin.covariance).max())
    if not parts:
        parts.append(f"the covariance matrices differ by up to {dcov:.2e} although the state "
                     f"is close to Gaussian (physics beyond the quadratic model: G_0 residue)")
    if q.gaussian_residual is not None:
        floor = q.gaussian_residual_floor
        parts.append(f"the Gaussian state's Liouvillian residual is {q.gaussian_residual:.2e} "
                     f"(units of omega_b)" + ("" if floor is None else
                     f", of which truncation explains {floor:.2e} (excess "
                     f"{q.gaussian_residual - floor:.2e})"))
    return "; ".join(parts)


def _missing(items) -> list:
    return [e for e in items if e.get("required", True) and e["passed"] is not True]


def _describe(items) -> str:
    return "; ".join(f"{e['name']} {'missing' if e['passed'] is None else 'failed'}"
                     f" ({e.get('detail', '')})" for e in items)


def compare(params: System, options: ConvergenceOptions | None = None,
            tolerance: float = TOLERANCE, progress=None, independent: bool = True) -> Comparison:
    """Run both methods on ``params`` (bath forced to ``lindblad`` on both sides) and decide
    by the rules of the module doc.  ``independent=False`` skips the independent-basis solve
    (the verdict is then at best "undecided" for a normal-basis run)."""
    opts = (options or ConvergenceOptions()).resolved()   # one limit for both lines
    matched = params.replace(mech_bath="lindblad")
    lin = solve(matched)
    brown = solve(params.replace(mech_bath="brownian"))
    if not lin.stable:
        raise Unstable(f"the linearized drift matrix has max Re lambda/2pi = "
                       f"{lin.max_real_eigenvalue:.6g} Hz > 0")
    deadline = None if opts.time_limit is None else time.perf_counter() + float(opts.time_limit)
    try:
        q = solve_master(matched, opts, progress=progress, deadline=deadline)
    except (NotConverged, SolverError) as exc:
        why = getattr(exc, "reason", None) or "solver"
        info = {"converged": False, "error": str(exc), "reason": why,
                "history": getattr(exc, "history", None)}
        item = evidence_item("master_equation", False, None, None,
                             detail=f"no converged steady state ({why}): {exc}")
        cause = "the time limit was hit" if why == "time_limit" else "truncation"
        return Comparison(matched, lin, brown, None, None, None, tolerance, "undecided",
                          f"the master equation did not converge ({cause}): {exc}", info,
                          evidence=(item,))
    items = for_verdict(q.evidence)
    indep_result = None
    if opts.basis in ("fock", "self"):
        own = _missing(items)
        items.append(evidence_item(
            "independent_basis", not own, 0.0, opts.tol, independent=True,
            method=f"the main run itself ({opts.basis} basis)",
            detail=f"the main run's {opts.basis} basis owes nothing to the linearized "
                   f"covariance matrix" + ("" if not own else "; but its evidence is incomplete")))
    elif _missing(items):
        items.append(evidence_item(
            "independent_basis", None, None, opts.tol, independent=True,
            detail="not run: the main run's evidence is incomplete"))
    elif not independent:
        items.append(evidence_item("independent_basis", None, None, opts.tol, independent=True,
                                   detail="not run (independent=False)"))
    else:
        item, indep_result = independent_check(
            matched, q, opts, deadline=deadline,
            progress=None if progress is None else
            (lambda e: progress({**e, "stage": "independent basis"})))
        items.append(item)
    en = q.measures.E_N if q.measures.E_N is not None else q.measures.E_N_gaussian
    d_en, d_duan = float(en - lin.E_N), float(q.measures.duan - lin.duan)
    diffs = f"|dE_N| = {abs(d_en):.1e}, |dDuan| = {abs(d_duan):.1e}"
    missing = _missing(items)
    indep_ok = any(e.get("independent_of_linearized") and e["passed"] is True for e in items)
    ind = next(e for e in items if e["name"] == "independent_basis")
    if missing:
        verdict = "undecided"
        fixed = ("at the fixed truncation " + ",".join(map(str, q.cutoffs)) + ", which carries "
                 "no convergence evidence (run without --cutoffs to decide); "
                 if opts.fixed_truncation else "")
        reason = f"{diffs} {fixed}but the evidence is incomplete: {_describe(missing)}"
        if ind.get("consistent_with_main") is False:
            reason += ("; the master equation in a basis independent of the linearized theory "
                       "does not reproduce the main result, so one of them is not converged")
    elif not indep_ok:
        verdict = "undecided"
        reason = (f"{diffs}, but no line of evidence independent of the linearized covariance "
                  f"matrix passed")
    elif abs(d_en) <= tolerance and abs(d_duan) <= tolerance:
        verdict = "agree"
        reason = (f"|dE_N| = {abs(d_en):.1e} and |dDuan| = {abs(d_duan):.1e} are within "
                  f"{tolerance:g}; all {len(items)} lines of evidence passed, including "
                  f"{ind['name']} ({ind['detail']})")
    else:
        verdict = "disagree"
        reason = _reason(q, lin, tolerance)
    return Comparison(matched, lin, brown, q, d_en, d_duan, tolerance, verdict, reason,
                      evidence=tuple(items), independent=indep_result)


def plain_basis_curve(params: System, max_dim: int = 900, ladder=None) -> list:
    """E_N in the plain Fock basis at a ladder of fixed truncations up to ``max_dim`` (by
    default the same number of levels in every mode, from 3 up): the convergence check that
    owes nothing to the linearized code (history entries)."""
    ladder = ladder or tuple((k,) * params.n_modes for k in range(3, 12))
    out = []
    for cut in ladder:
        if int(np.prod(cut)) > max_dim:
            break
        r = solve_master(params, ConvergenceOptions(basis="fock", cutoffs=cut))
        out += r.history
    return out
