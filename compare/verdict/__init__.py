"""Verdicts: the linearized theory against the master equation, with the evidence each rests on.

:mod:`~compare.verdict.comparison` (one parameter point), :mod:`~compare.verdict.output` (the
filtered output pair of a model), :mod:`~compare.verdict.validity` (the two-axis map of where
the linearization stops being true).
"""
