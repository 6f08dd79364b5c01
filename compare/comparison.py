"""Linearized theory vs master equation on one parameter set, with a verdict.

Both sides use the same mechanical bath, the master equation's ``lindblad`` form; the paper's
``brownian`` value is reported beside them for reference.  Verdicts:

* ``agree``: |dE_N| and |dDuan| are within ``tolerance`` (E_N from the partial transpose of the
  master equation's state against Eq. 9 of the Lyapunov CM);
* ``disagree``: either is outside it; ``reason`` says why (non-Gaussian state, the nonlinear
  G_0 residue moving the moments, ...);
* ``undecided``: the master equation did not converge within its budget (truncation), so the
  comparison proves nothing either way.

Unstable parameters (no steady state) raise :class:`qmodel.converge.Unstable`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from linearized.params import Params
from linearized.steady import LinearizedResult, solve
from qmodel.converge import ConvergenceOptions, NotConverged, QResult, Unstable, solve_master
from qmodel.solvers import SolverError

#: default agreement tolerance on E_N and on the Duan sum; ten times the master equation's
#: default convergence tolerance, so truncation alone cannot cause a "disagree"
TOLERANCE = 1e-3
#: relative entropy to the same-moment Gaussian state (nats), above the truncation floor, from
#: which a state is called non-Gaussian
NON_GAUSSIAN = 1e-3


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare`: both sides, differences, verdict and reason."""
    params: Params
    linearized: LinearizedResult
    linearized_brownian: LinearizedResult
    qmodel: QResult | None
    delta_E_N: float | None
    delta_duan: float | None
    tolerance: float
    verdict: str
    reason: str
    not_converged: dict | None = field(default=None)

    @property
    def agree(self) -> bool:
        return self.verdict == "agree"

    def to_dict(self) -> dict:
        lin = {"E_N": self.linearized.E_N, "duan": self.linearized.duan,
               "stable": self.linearized.stable, "mech_bath": "lindblad",
               "occupations": dict(zip(("a1", "a2", "m", "b"),
                                       map(float, self.linearized.occupations)))}
        brown = {"E_N": self.linearized_brownian.E_N, "duan": self.linearized_brownian.duan,
                 "mech_bath": "brownian"}
        q = self.qmodel.to_dict() if self.qmodel is not None else self.not_converged
        if q is not None:
            q = {k: v for k, v in q.items() if k != "covariance"}
        return {"linearized": lin, "linearized_brownian_reference": brown, "qmodel": q,
                "delta_E_N": self.delta_E_N, "delta_duan": self.delta_duan,
                "agree": self.agree, "verdict": self.verdict, "reason": self.reason,
                "tolerance": self.tolerance, "mech_bath": "lindblad (both sides)",
                "params": self.params.to_dict()}


def _reason(q: QResult, lin: LinearizedResult, tol: float) -> str:
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
        parts.append(f"the Gaussian state's Liouvillian residual is {q.gaussian_residual:.2e} "
                     f"(units of omega_b)")
    return "; ".join(parts)


def compare(params: Params, options: ConvergenceOptions | None = None,
            tolerance: float = TOLERANCE, progress=None) -> Comparison:
    """Run both methods on ``params`` (bath forced to ``lindblad`` on both sides)."""
    matched = params.replace(mech_bath="lindblad")
    lin = solve(matched)
    brown = solve(params.replace(mech_bath="brownian"))
    if not lin.stable:
        raise Unstable(f"the linearized drift matrix has max Re lambda/2pi = "
                       f"{lin.max_real_eigenvalue:.6g} Hz > 0")
    try:
        q = solve_master(matched, options, progress=progress)
    except (NotConverged, SolverError) as exc:
        info = {"converged": False, "error": str(exc),
                "history": getattr(exc, "history", None)}
        return Comparison(matched, lin, brown, None, None, None, tolerance, "undecided",
                          f"the master equation did not converge (truncation): {exc}", info)
    if not q.converged:
        return Comparison(matched, lin, brown, q, None, None, tolerance, "undecided",
                          "the master equation's truncation is too small (top-level "
                          f"population {q.measures.tail_population.max():.2e})")
    en = q.measures.E_N if q.measures.E_N is not None else q.measures.E_N_gaussian
    d_en, d_duan = en - lin.E_N, q.measures.duan - lin.duan
    if abs(d_en) <= tolerance and abs(d_duan) <= tolerance:
        verdict = "agree"
        reason = (f"|dE_N| = {abs(d_en):.1e} and |dDuan| = {abs(d_duan):.1e} are within "
                  f"{tolerance:g}")
    elif options is not None and options.cutoffs is not None:
        # a fixed truncation has no convergence evidence: a difference may be truncation
        verdict = "undecided"
        reason = (f"|dE_N| = {abs(d_en):.1e}, |dDuan| = {abs(d_duan):.1e} at the fixed "
                  f"truncation {','.join(map(str, q.cutoffs))}, which carries no convergence "
                  f"evidence; run without --cutoffs to decide")
    else:
        verdict = "disagree"
        reason = _reason(q, lin, tolerance)
    return Comparison(matched, lin, brown, q, float(d_en), float(d_duan), tolerance, verdict,
                      reason)


def plain_basis_curve(params: Params, max_dim: int = 900,
                      ladder=((3, 3, 3, 3), (4, 4, 3, 4), (5, 5, 4, 5), (6, 6, 4, 6),
                              (7, 7, 4, 7), (8, 8, 5, 8))) -> list:
    """E_N in the plain Fock basis at a ladder of fixed truncations up to ``max_dim``: the
    convergence check that owes nothing to the linearized code (history entries)."""
    from qmodel.converge import solve_master
    out = []
    for cut in ladder:
        if int(np.prod(cut)) > max_dim:
            break
        r = solve_master(params, ConvergenceOptions(basis="fock", cutoffs=cut))
        out += r.history
    return out
