"""Figures: the paper's figures from the linearized theory (:mod:`~compare.plots.figures`), with
master-equation points on them (:mod:`~compare.plots.me_figure`), a model file's entanglement
map (:mod:`~compare.plots.model_figure`) and the detection figure
(:mod:`~compare.plots.output_figure`).  Every figure is drawn with :func:`subplots`."""
from __future__ import annotations

from matplotlib.figure import Figure


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, dpi=None, **kw):
    """A figure and its axes drawn off-screen: Matplotlib's object interface without pyplot,
    so that drawing never changes the caller's backend or pyplot state (a notebook keeps its
    own) and a figure needs no closing.  ``kw`` go to :meth:`Figure.subplots`."""
    fig = Figure(figsize=figsize, dpi=dpi)
    return fig, fig.subplots(nrows, ncols, **kw)
