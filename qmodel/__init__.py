"""The full master equation of any model in QuTiP (displaced frame): bases and state sets,
the normal-to-physical mapping, reduced states, solvers, measures, the truncation strategies,
the convergence loop with its evidence, and the self-consistent basis
(docs/architecture.md has the map)."""
from qmodel.threads import calm_blas_threads

calm_blas_threads()
