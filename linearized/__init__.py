"""The linearized Gaussian theory of any model description: model files and their parameters
(:mod:`linearized.description`), the model at values (:class:`linearized.description.system.System`: drift
and diffusion matrices, mean field and drive), the Lyapunov steady state
(:mod:`linearized.steady`), measures, output filters, transients and sweeps.  The seed
paper's system (Yu, Shen & Li, PRL 124, 213604 (2020)) is the model file ``paper``.

No QuTiP import anywhere in this package: a linearized sweep must not pay for it.
"""
from linearized.description.parse import load_model, parse_model
from linearized.description.spec import ModelSpec
from linearized.description.system import System, build_system
from linearized.description.thermal import occupation
from linearized.description.units import ParameterError
from linearized.measures import duan_sum, log_negativity, mode_occupations, symplectic_eigenvalues
from linearized.steady import ModelResult, solve_model, solve_model_grid

__all__ = ["ModelSpec", "load_model", "parse_model", "duan_sum", "log_negativity",
           "mode_occupations", "symplectic_eigenvalues", "ModelResult", "solve_model",
           "solve_model_grid", "System", "build_system", "occupation", "ParameterError"]
