"""The full master equation of any model in QuTiP (displaced frame): bases and state sets,
solvers, measures, the convergence loop and its evidence."""
