"""Default convergence settings of the master equation, defined once.

Kept free of heavy imports so that the command line can show them in ``--help`` without
loading the solver.
"""
#: change of E_N and the Duan sum between successive truncations below which they count as
#: converged
TOL = 1e-4
#: population of each tensor factor's top Fock level below which the truncation holds the state
TAIL_TOL = 1e-4
#: largest Hilbert-space dimension tried before giving up (exit 4), for every command (four
#: modes and the cascaded six alike: the probability set keeps the paper's points below it)
MAX_DIM = 2000
