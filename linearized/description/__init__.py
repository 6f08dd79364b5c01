"""The model description: what a model is, before any theory is applied to it.

:mod:`~linearized.description.spec` (the parsed model: parameters, modes, couplings),
:mod:`~linearized.description.expressions` (the arithmetic a field may hold),
:mod:`~linearized.description.parse` (TOML files to a spec; the shipped files in ``models/``),
:mod:`~linearized.description.units` (values with units), :mod:`~linearized.description.thermal`
(bath occupations), :mod:`~linearized.description.system` (the model at parameter values: the
drift and diffusion matrices both engines start from), :mod:`~linearized.description.meanfield`
and :mod:`~linearized.description.drive` (the mean field and the drive that sets it), and
:mod:`~linearized.description.physical` (the YIG sphere behind a ``yig_drive``).
"""
