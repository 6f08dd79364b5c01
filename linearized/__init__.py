"""The linearized Gaussian theory of any model description: model files and their parameters
(:mod:`linearized.description`), the model at values (:class:`linearized.system.System`: drift
and diffusion matrices, mean field and drive), the Lyapunov steady state
(:mod:`linearized.model_steady`), measures, output filters, transients and sweeps.  The seed
paper's system (Yu, Shen & Li, PRL 124, 213604 (2020)) is the model file ``paper``.

No QuTiP import anywhere in this package: a linearized sweep must not pay for it.
"""
from .description import ModelSpec, load_model, parse_model
from .measures import duan_sum, log_negativity, mode_occupations, symplectic_eigenvalues
from .model_steady import ModelResult, solve_model, solve_model_grid
from .system import System, build_system
from .thermal import occupation
from .units import ParameterError

__all__ = ["ModelSpec", "load_model", "parse_model", "duan_sum", "log_negativity",
           "mode_occupations", "symplectic_eigenvalues", "ModelResult", "solve_model",
           "solve_model_grid", "System", "build_system", "occupation", "ParameterError"]
