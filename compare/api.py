"""The engines without the command line, for notebooks and scripts.

    from compare import api
    li = api.model("li2018", Delta_a="-7.4MHz")          # a shipped model, or a FILE.toml
    lin = api.linearized(li)                             # Lyapunov: every pair's E_N and Duan
    me = api.master_equation(li)                         # converged, with its evidence
    rho_mb = me.reduced_state("m", "b")                  # qutip.Qobj, physical dims
    c = api.compare(li.with_pair(("a", "m")))            # verdict, reason, evidence
    c.to_dict()

Every result has ``to_dict()`` (the same keys as the command line's ``--json``).  Values are
SI numbers or strings with units, as on the command line.
"""
from __future__ import annotations

from linearized.description.parse import load_model
from linearized.description.system import System, build_system
from linearized.steady import ModelResult, solve_model


def model(name_or_path: str = "paper", pair=None, **values) -> System:
    """A model (shipped name or TOML file) at its defaults changed by ``values``
    (``Delta_a="-7.4MHz"`` or SI floats); ``pair``: two mode names (default: the model's)."""
    return build_system(load_model(name_or_path), values, pair)


def linearized(system: System) -> ModelResult:
    """The linearized steady state (:func:`linearized.steady.solve_model`)."""
    return solve_model(system)


def master_equation(system: System, **options):
    """The master equation's steady state, grown until converged (:func:`qmodel.master.
    solve_master`; ``options`` are :class:`qmodel.converge.ConvergenceOptions` fields, e.g.
    ``basis="fock"``, ``tol=1e-5``, ``max_dim=800``).  Raises ``NotConverged`` or
    ``Unstable`` rather than returning an unconverged answer.  With fixed ``cutoffs`` the
    result's checks may pass (``converged``) but it was never grown: ``proved`` is then
    False, as ``mwent qmodel`` reports it."""
    # QuTiP and SciPy load on the first master-equation call, not with the API
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    return solve_master(system, ConvergenceOptions(**options))


def compare(system: System, tolerance: float | None = None, **options):
    """Both engines and the verdict (:func:`compare.verdict.comparison.compare`)."""
    # QuTiP and SciPy load on the first master-equation call, not with the API
    from compare.verdict.comparison import TOLERANCE
    from compare.verdict.comparison import compare as run
    from qmodel.converge import ConvergenceOptions
    return run(system, ConvergenceOptions(**options),
               TOLERANCE if tolerance is None else tolerance)
