"""Defaults of the comparison, defined once (see also :mod:`qmodel.defaults`)."""
from qmodel.defaults import MAX_DIM, TAIL_TOL, TOL  # noqa: F401  (re-exported)

#: agreement tolerance on E_N and on the Duan sum between the two methods
TOLERANCE = 1e-3
#: relative entropy to the same-moment Gaussian state (nats), above the truncation floor, from
#: which a state is called non-Gaussian
NON_GAUSSIAN = 1e-3
