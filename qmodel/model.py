"""The master equation of a model in one basis: Hamiltonian and collapse operators.

Every model (a :class:`linearized.description.system.System`, or a transform answering the same calls,
such as the output filters of :class:`qmodel.cascaded.FilteredSystem`) is assembled by the
same code, :mod:`qmodel.generic`: the quadratic Hamiltonian of the fluctuations, the nonlinear
residue the linearization drops (``G_0 n_k q_l``, Kerr and cross-Kerr remainders) and the
thermal Lindblad operators of its loss channels, all in the displaced frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import scipy.sparse as sp

from qmodel import generic
from qmodel.basis import Basis


@dataclass(frozen=True, eq=False)
class Model:
    """The master equation in one basis: Hamiltonian, collapse operators (sparse, units of
    :func:`qmodel.generic.frequency_unit`) and the basis they are written in."""
    params: object
    basis: Basis
    H: sp.csr_matrix
    c_ops: tuple

    @property
    def dim(self) -> int:
        return self.basis.dim


def build_model(system, basis: Basis, quadratic_only: bool = False) -> Model:
    """Assemble H and the collapse operators of ``system`` in ``basis``.

    ``quadratic_only``: drop the nonlinear residue (``G_0 n_k q_l`` and the cubic and quartic
    Kerr terms), keeping the quadratic model whose steady state the linearized theory computes
    (used for the truncation floor of the Gaussian state's residual)."""
    H = basis.quadratic(generic.hamiltonian_matrix(system))
    if not quadratic_only:
        H = H + generic.nonlinear_terms(system, basis)
    return Model(system, basis, H.tocsr(), generic.collapse_operators(system, basis))
