"""``solve_master``: the master equation's steady state with its evidence, in the basis the
options name: the convergence loop (:mod:`qmodel.converge`) in the ``normal`` and ``fock``
bases, the self-consistent basis (:mod:`qmodel.selfconsistent`) for ``self``.  The one entry
point the API, the command line and the sweeps call."""
from __future__ import annotations

from linearized.description.system import System
from qmodel.converge import BASES, ConvergenceOptions, QResult, solve_converged
from qmodel.selfconsistent import solve_self_consistent


def solve_master(params: System, options: ConvergenceOptions | None = None,
                 progress=None, basis_cov=None, occupations=None,
                 deadline: float | None = None, start=None) -> QResult:
    """Steady state of the full master equation (``mech_bath`` forced to ``lindblad``), in
    the options' basis; the arguments are those of :func:`qmodel.converge.solve_converged`
    (the self-consistent basis takes ``progress`` and ``deadline`` only)."""
    opts = (options or ConvergenceOptions()).resolved()
    if opts.basis not in BASES:
        raise ValueError(f"unknown basis {opts.basis!r}; choose one of {', '.join(BASES)}")
    if opts.basis == "self":
        return solve_self_consistent(params, opts, progress, deadline=deadline)
    return solve_converged(params, opts, progress, basis_cov, occupations, deadline, start)
