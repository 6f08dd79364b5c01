"""The paper's linearized Gaussian theory (Yu, Shen & Li, PRL 124, 213604 (2020)).

No QuTiP import anywhere in this package: a linearized sweep must not pay for it.
"""
from .matrices import MODES, QUADRATURES, diffusion_matrix, drift_matrix
from .meanfield import MeanField, mean_field
from .measures import (duan_sum, log_negativity, mode_occupations, partial_transpose,
                       symplectic_eigenvalues)
from .params import PRESETS, ParameterError, Params
from .steady import GridResult, LinearizedResult, solve, solve_grid
from .thermal import occupation

__all__ = ["MODES", "QUADRATURES", "diffusion_matrix", "drift_matrix", "MeanField",
           "mean_field", "duan_sum", "log_negativity", "mode_occupations", "partial_transpose",
           "symplectic_eigenvalues", "PRESETS", "ParameterError", "Params", "GridResult",
           "LinearizedResult", "solve", "solve_grid", "occupation"]
