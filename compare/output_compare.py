"""The filtered output pair: linear theory (:func:`linearized.output.filtered_output`) against
the cascaded master equation (:func:`qmodel.cascaded.solve_cascaded`), with a verdict.

"agree" needs every line of the master equation's evidence present and passing (tails below
``tail_tol``, a growth step that moved E_N_gaussian and the Duan sum by less than ``tol``, the
true residual, the Gaussian state's truncation floor) and both differences within
``tolerance``; missing or failing evidence gives "undecided" with the reason.  Both sides use
the Lindblad mechanical bath.  The master equation's E_N is Eq. 9 on the pair's own moments
(the normal-mode basis has no physical filter factors to take a partial transpose of).
"""
from __future__ import annotations

from linearized.output import filtered_output
from linearized.params import Params


def compare_output(params: Params, bandwidth: float, centers=None, cutoffs=None,
                   tolerance: float = 1e-3, tol: float = 1e-3, tail_tol: float = 1e-3,
                   max_dim: int = 1000, progress=None) -> dict:
    """Both sides, their differences, the evidence and the verdict, as a JSON-ready dict."""
    from qmodel.cascaded import solve_cascaded
    params = params.replace(mech_bath="lindblad")
    lin = filtered_output(params, bandwidth, centers)
    q = solve_cascaded(params, bandwidth, lin.centers, cutoffs=cutoffs, tol=tol,
                       tail_tol=tail_tol, max_dim=max_dim, progress=progress)
    d_en = q.measures.E_N_gaussian - lin.E_N
    d_duan = q.measures.duan - lin.duan
    if not q.converged:
        verdict, reason = "undecided", q.reason
    elif max(abs(d_en), abs(d_duan)) <= tolerance:
        verdict = "agree"
        reason = (f"E_N and the Duan sum of the filtered pair agree within "
                  f"{max(abs(d_en), abs(d_duan)):.1e} <= {tolerance:g}, all evidence passing")
    else:
        verdict = "disagree"
        reason = (f"the converged master equation differs from the linear theory by "
                  f"{d_en:+.2e} in E_N and {d_duan:+.2e} in the Duan sum (> {tolerance:g})")
    return {"verdict": verdict, "reason": reason, "tolerance": tolerance,
            "linearized": {"E_N": lin.E_N, "duan": lin.duan,
                           "covariance": lin.covariance_ideal.tolist()},
            "qmodel": q.to_dict(), "delta_E_N": d_en, "delta_duan": d_duan,
            "evidence": [dict(e) for e in q.evidence],
            "filter": {"bandwidth": q.bandwidth, "centers": list(q.centers)},
            "mech_bath": "lindblad", "params": params.to_dict()}
