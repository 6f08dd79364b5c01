"""The filtered output pair of any model's pair of field modes: linear theory
(:func:`linearized.output.filtered_output`) against the cascaded master equation
(:class:`qmodel.cascaded.FilteredSystem`), with a verdict.

The master equation of the model's modes and the two filters (a1, a2, m, b, f1, f2 for the
seed paper) is solved by the same loop as every other model
(:func:`qmodel.master.solve_master`): the normal-mode basis of the linear covariance matrix
of model and filters, truncated by probability (default) or by a box, grown until tails,
growth steps, the true residual and the exact-E_N mapping all pass.  The exact E_N of the
filters is the partial transpose of their reduced state in their physical Fock basis; the
other modes are mapped to the normal modes of their own reduced state
(:class:`qmodel.mapping.PairTarget`: a local unitary on the traced modes, so the filters'
state is unchanged, where a physical box over six modes would need ~10^6 states).

"agree" (and "disagree") need every line of that evidence passing AND
``independent_basis``: the same master equation solved again in a self-consistent basis that
owes nothing to the linearized covariance matrix (a plain Fock seed at 3 levels per mode, then
normal modes of the master equation's own moments, iterated;
:func:`qmodel.selfconsistent.independent_check`), reproducing E_N, E_N_gaussian and the Duan sum
within ``tol``.  Missing or failing evidence gives "undecided" with the reason.  Both sides
use the Lindblad mechanical bath.
"""
from __future__ import annotations

from linearized.description.system import System
from linearized.output import filtered_output
from qmodel.cascaded import filtered_system
from qmodel.converge import ConvergenceOptions, NotConverged, Unstable
from qmodel.evidence import evidence_item, for_verdict
from qmodel.master import solve_master
from qmodel.selfconsistent import independent_check


def compare_output(system: System, bandwidth: float, centers=None, options=None,
                   tolerance: float = 1e-3, progress=None, independent: bool = True) -> dict:
    """Both sides, their differences, the evidence and the verdict, as a JSON-ready dict, for
    the filters on ``system``'s pair (two field modes with a decay, else ParameterError).

    ``options``: :class:`qmodel.converge.ConvergenceOptions` (default: probability
    truncation, two growth steps).  Raises :class:`qmodel.converge.Unstable` for an unstable
    point.  ``independent=False`` skips the self-consistent solve (then never "agree")."""
    system = system.replace(mech_bath="lindblad")
    filtered = filtered_system(system, bandwidth, centers)
    opts = options or ConvergenceOptions(truncation="probability")
    lin = filtered_output(system, filtered.bandwidth, filtered.centers)
    if not lin.stable:
        raise Unstable(f"the linearized drift matrix has max Re lambda/2pi = "
                       f"{lin.max_real_eigenvalue:.6g} Hz > 0")
    base = {"tolerance": tolerance, "linearized": {"E_N": lin.E_N, "duan": lin.duan,
                                                   "covariance": lin.covariance.tolist()},
            "filter": {"bandwidth": filtered.bandwidth, "centers": list(filtered.centers)},
            "pair": list(system.pair_names), "mech_bath": "lindblad",
            "params": system.to_dict()}
    try:
        q = solve_master(filtered, opts, progress)
    except NotConverged as exc:
        return {"verdict": "undecided", "reason": str(exc), **base, "qmodel": None,
                "delta_E_N": None, "delta_duan": None, "evidence": [],
                "history": exc.history, "not_converged_because": exc.reason}
    exact = q.measures.E_N
    d_en = (exact if exact is not None else q.measures.E_N_gaussian) - lin.E_N
    d_duan = q.measures.duan - lin.duan
    evidence = for_verdict(q.evidence)
    if exact is None:
        evidence.append(evidence_item("exact_E_N", None, None, None, detail="the filters' "
                                      "exact E_N was not computed"))
    own_ok = all(e["passed"] is True for e in evidence if e["required"])
    if not independent:
        evidence.append(evidence_item("independent_basis", None, None, opts.tol,
                                      independent=True, detail="not run (independent=False)"))
    elif own_ok:
        item, _ = independent_check(
            filtered, q, opts, progress=None if progress is None else
            (lambda e: progress({**e, "stage": "independent basis"})))
        evidence.append(item)
    else:
        evidence.append(evidence_item("independent_basis", None, None, opts.tol,
                                      independent=True, detail="not run: the main solve's own "
                                                               "evidence failed or is missing"))
    failed = [e for e in evidence if e["required"] and e["passed"] is not True]
    diff = max(abs(d_en), abs(d_duan))
    if failed:
        verdict = "undecided"
        reason = "; ".join(f"{e['name']}: {e.get('detail', '')}" for e in failed)
    elif diff <= tolerance:
        verdict = "agree"
        reason = (f"the exact E_N and the Duan sum of the filtered pair agree within "
                  f"{diff:.1e} <= {tolerance:g}, all evidence passing, including a basis "
                  f"independent of the linearized theory")
    else:
        verdict = "disagree"
        reason = (f"the converged master equation differs from the linear theory by "
                  f"{d_en:+.2e} in E_N and {d_duan:+.2e} in the Duan sum (> {tolerance:g})")
    return {"verdict": verdict, "reason": reason, **base, "qmodel": q.to_dict(),
            "delta_E_N": d_en, "delta_duan": d_duan, "evidence": evidence}
