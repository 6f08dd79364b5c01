"""Defaults of the comparison and of the output filters, defined once (the master equation's
convergence defaults are in :mod:`qmodel.defaults`).  Kept free of heavy imports: the command
line shows them in ``--help``."""

#: the prefix of a progress line on stderr (never an error: see docs/cli.md)
PROGRESS = "mwent: progress:"

#: agreement tolerance on E_N and on the Duan sum between the two methods
TOLERANCE = 1e-3
#: relative entropy to the same-moment Gaussian state (nats), above the truncation floor, from
#: which a state is called non-Gaussian
NON_GAUSSIAN = 1e-3

#: filter bandwidth eps/2pi (Hz) of the output fields in the linear theory (``mwent output``,
#: ``mwent figure output``): a narrow filter, as a detection experiment uses
OUTPUT_BANDWIDTH = 100e3
#: filter bandwidth eps/2pi (Hz) of ``mwent compare --output``, the cascaded master equation.
#: Wider than OUTPUT_BANDWIDTH on purpose: a narrower filter needs more states (the paper's
#: point: d = 514 at 1 MHz, 872 at 0.3 MHz, docs/performance.md); give --bandwidth to compare
#: at the linear theory's value
ME_OUTPUT_BANDWIDTH = 1e6
