"""Hamiltonian and collapse operators of the four-mode model in the displaced frame.

All operators are fluctuations around the mean field (DESIGN.md, "Displaced frame"):

    H = D1 a1^dag a1 + D2 a2^dag a2 + Dm m^dag m + omega_b b^dag b
        + sum_j g_j (a_j^dag m + a_j m^dag) - G q y + G_0 m^dag m q

with ``y = i(m^dag - m)/sqrt2``, ``q = (b + b^dag)/sqrt2``.  The quadratic part is written as
``(1/2) r^T H_M r`` with ``r = (X1, Y1, X2, Y2, x, y, q, p)``; its Heisenberg equations are
``dr/dt = Omega H_M r``, the Hamiltonian part of the drift matrix of Eq. (6).

Dissipation (Lindblad form): ``sqrt(2 kappa (N+1)) a`` and ``sqrt(2 kappa N) a^dag`` for a1,
a2, m (kappa an amplitude decay rate, Eq. 2); ``sqrt(gamma (N_b+1)) b`` and
``sqrt(gamma N_b) b^dag`` for the phonon, i.e. the ``lindblad`` mechanical bath.  The paper's
``brownian`` bath has no Lindblad form: the master equation always uses ``lindblad``.

A magnon Kerr term ``K (m^dag m)^2`` about ``<m> = -i sqrt(n)`` adds ``2 K n y^2`` (quadratic,
in ``H_M``), ``2 K sqrt(n) i (m^dag m m - m^dag m^dag m)`` and ``K m^dag m^dag m m``.

Frequencies are in units of omega_b (the time unit is 1/omega_b); steady states do not depend
on the unit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from linearized.meanfield import magnon_number
from linearized.params import Params
from linearized.thermal import occupations
from .basis import Basis


def hamiltonian_matrix(params: Params) -> np.ndarray:
    """Symmetric ``H_M`` with ``H_quadratic = (1/2) r^T H_M r`` (units of omega_b)."""
    u = lambda key: float(getattr(params, key)) / float(params.omega_b)
    H = np.diag([u("Delta_1")] * 2 + [u("Delta_2")] * 2 + [u("Delta_m")] * 2 + [1.0, 1.0])
    for (i, j), v in {(0, 4): u("g_1"), (1, 5): u("g_1"), (2, 4): u("g_2"), (3, 5): u("g_2"),
                      (6, 5): -u("G")}.items():
        H[i, j] = H[j, i] = v
    if u("K") != 0:
        H[5, 5] += 4 * u("K") * float(magnon_number(params))      # 2 K |<m>|^2 y^2
    return H


@dataclass(frozen=True, eq=False)
class Model:
    """The master equation in one basis: Hamiltonian, collapse operators (sparse, units of
    omega_b) and the basis they are written in."""
    params: Params
    basis: Basis
    H: sp.csr_matrix
    c_ops: tuple

    @property
    def dim(self) -> int:
        return self.basis.dim


def build_model(params, basis: Basis, quadratic_only: bool = False) -> Model:
    """Assemble H and the collapse operators of ``params`` in ``basis``: the paper's model
    for :class:`Params`, any model for a :class:`linearized.system.System` or a transform
    answering the same calls (the output filters of :class:`qmodel.cascaded.FilteredSystem`)
    (:mod:`qmodel.generic`).

    ``quadratic_only``: drop the nonlinear residue ``G_0 m^dag m q`` and the cubic and quartic
    Kerr terms, keeping the quadratic model whose steady state the linearized theory computes
    (used for the truncation floor of the Gaussian state's residual)."""
    if not isinstance(params, Params):
        from . import generic
        H = basis.quadratic(generic.hamiltonian_matrix(params))
        if not quadratic_only:
            H = H + generic.nonlinear_terms(params, basis)
        return Model(params, basis, H.tocsr(), generic.collapse_operators(params, basis))
    H = basis.quadratic(hamiltonian_matrix(params))
    if not quadratic_only:
        H = H + nonlinear_terms(params, basis)
    return Model(params, basis, H.tocsr(), collapse_operators(params, basis))


def linearize(params):
    """The linearized steady state of ``params`` (the paper's :class:`Params` or any
    :class:`System`, or the cascaded filter model): an object with ``stable``,
    ``max_real_eigenvalue`` (Hz), ``covariance``, ``occupations``, ``E_N`` and ``duan`` (of the
    model's pair)."""
    if not isinstance(params, Params):
        from linearized.model_steady import solve_model
        return solve_model(params)
    from linearized.steady import solve
    return solve(params)


def mode_labels(params) -> dict:
    """``{"pair", "mode_names", "quadrature_names"}`` of a model, for the measures."""
    if not isinstance(params, Params):
        return {"pair": tuple(params.pair), "mode_names": params.mode_names,
                "quadrature_names": tuple(params.quadrature_names)}
    from linearized.matrices import MODES, QUADRATURES
    return {"pair": (0, 1), "mode_names": MODES, "quadrature_names": QUADRATURES}


def bath_occupations(params) -> np.ndarray:
    """Mean thermal quanta of each mode's bath (the cascaded filters see their cavity's
    input): the state with no coupling, which owes nothing to the linearized theory."""
    if not isinstance(params, Params):
        return np.asarray(params.thermal_occupations(), float)
    return np.asarray(occupations(params), float)


def n_modes(params) -> int:
    return 4 if isinstance(params, Params) else params.n_modes


def nonlinear_terms(params: Params, basis: Basis) -> sp.csr_matrix:
    """What the linearization drops, in ``basis`` (units of omega_b): the residue
    ``G_0 m^dag m q`` (symmetrised) and, with a Kerr term, its cubic and quartic parts.  The
    magnon and the phonon are modes 2 and 3 of the basis, which may hold more modes after them
    (the cascaded model's filters)."""
    wb = float(params.omega_b)
    n2 = 2 * len(basis.cutoffs)
    out = sp.csr_matrix((basis.dim, basis.dim), dtype=complex)
    G0 = float(params.G_0) / wb
    if G0 != 0.0:
        M = np.zeros((n2, n2))
        M[4, 4] = M[5, 5] = 1.0
        n_m = basis.quadratic(M) - 0.5 * sp.identity(basis.dim, dtype=complex, format="csr")
        qc = np.zeros(n2)
        qc[6] = 1.0
        q = basis.linear(qc)
        out = out + (G0 / 2) * (n_m @ q + q @ n_m)
    K = float(params.K) / wb
    if K != 0.0:
        # the rest of K (m^dag m)^2 about <m> = -i sqrt(n): cubic and quartic terms
        m = basis.mode_annihilation(2)
        md = m.T.conj().tocsr()
        s = np.sqrt(float(magnon_number(params)))
        cubic = 2 * K * s * 1j * (md @ m @ m - md @ md @ m)
        out = out + (cubic + cubic.T.conj()) / 2 + K * (md @ md @ m @ m)
    return out.tocsr()


def collapse_operators(params: Params, basis: Basis) -> tuple:
    """Thermal Lindblad operators of all four modes in ``basis`` (rates in units of omega_b):
    ``sqrt(2 kappa (N+1)) a``, ``sqrt(2 kappa N) a^dag`` for a1, a2, m and
    ``sqrt(gamma (N_b+1)) b``, ``sqrt(gamma N_b) b^dag`` for the phonon."""
    wb = float(params.omega_b)
    n1, n2, nm, nb = (float(x) for x in occupations(params))
    c_ops = []
    for mode, rate, n in ((0, 2 * params.kappa_1, n1), (1, 2 * params.kappa_2, n2),
                          (2, 2 * params.kappa_m, nm), (3, params.gamma_b, nb)):
        a = basis.mode_annihilation(mode)
        k = float(rate) / wb
        c_ops.append(np.sqrt(k * (n + 1)) * a)
        if n > 0:
            c_ops.append(np.sqrt(k * n) * a.T.conj())
    return tuple(c.tocsr() for c in c_ops)
