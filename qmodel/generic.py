"""The master equation of any model description (:class:`linearized.description.system.System`), in the
displaced frame, derived from the same description as the linearized theory.

Every operator is a fluctuation about the mean field.  The Hamiltonian is the quadratic part
``(1/2) r^T H_M r`` (:meth:`System.hamiltonian_matrix`, whose Heisenberg equations are the
Hamiltonian part of the drift matrix) plus what the linearization drops:

* ``G_0 n_k q_l`` (radiation pressure / magnetostriction): the residue ``G_0 n_k q_l``
  itself (symmetrised in a truncated basis);
* Kerr ``K (a^dag a)^2`` about ``<a> = -i sigma s``: ``2 K sigma s i (a^dag a a - a^dag a^dag
  a)`` (cubic, symmetrised) and ``K a^dag a^dag a a`` (the ``K a^dag a`` part of
  ``(a^dag a)^2`` and the mean-field shift ``2 K s^2`` belong to the effective detuning);
* cross-Kerr ``K a^dag a b^dag b``: ``-sqrt2 K (sigma_a s_a y_a n_b + sigma_b s_b y_b n_a)``
  (cubic, symmetrised) and ``K n_a n_b``.

Dissipation (Lindblad form, :meth:`System.loss_channels`, the baths as data): for each channel
``L`` with input correlations ``N``, ``M`` the dissipator
``sum_jk gamma_jk (F_j rho F_k^dag - {F_k^dag F_j, rho}/2)`` over ``F = (L, L^dag)`` with
``gamma = [[N+1, -M*], [-M, N]]``, diagonalised into collapse operators
``sqrt(lambda_i) (U_0i L + U_1i L^dag)``.  A thermal channel (M = 0) gives the usual
``sqrt(N+1) L`` and ``sqrt(N) L^dag``: ``sqrt(2 kappa (N+1)) a`` and ``sqrt(2 kappa N) a^dag``
for a field mode (kappa an amplitude decay rate); ``sqrt(gamma (N+1)) b``,
``sqrt(gamma N) b^dag`` for a mechanical mode, i.e. always the ``lindblad`` mechanical bath
(the Brownian one has no Lindblad form).

These functions read the model only through System's attributes and methods (``terms``,
``means``, ``mechanical``, ``frequency``, ``decay``, ``hamiltonian_matrix``,
``loss_channels``), so a transform of a model that answers them (the output filters of
:class:`qmodel.cascaded.FilteredSystem`) is solved by the same code.

Frequencies are in units of :func:`frequency_unit` (the first mechanical mode's frequency, as
the seed model's omega_b; otherwise the largest rate of the model).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from linearized.description.system import System
from linearized.description.units import ParameterError


def frequency_unit(system: System) -> float:
    """The frequency unit (Hz) of the master equation's operators."""
    if system.mechanical:
        return float(system.frequency[system.mechanical[0]])
    rates = [abs(float(x)) for x in system.frequency + system.decay]
    rates += [abs(float(t[2])) for t in system.terms]
    return max(rates) if max(rates) > 0 else 1.0


def hamiltonian_matrix(system: System) -> np.ndarray:
    """``H_M`` in units of :func:`frequency_unit`."""
    return system.hamiltonian_matrix(unit=2 * np.pi * frequency_unit(system))


def _number(basis, k):
    n2 = 2 * basis.n_modes
    M = np.zeros((n2, n2))
    M[2 * k, 2 * k] = M[2 * k + 1, 2 * k + 1] = 1.0
    return basis.quadratic(M) - 0.5 * sp.identity(basis.dim, dtype=complex, format="csr")


def _quadrature(basis, index):
    c = np.zeros(2 * basis.n_modes)
    c[index] = 1.0
    return basis.linear(c)


def _sym(a, b):
    return (a @ b + b @ a) / 2


def nonlinear_terms(system: System, basis) -> sp.csr_matrix:
    """What the linearization drops, in ``basis`` (units of :func:`frequency_unit`)."""
    u = frequency_unit(system)
    out = sp.csr_matrix((basis.dim, basis.dim), dtype=complex)
    for kind, idx, rate, G0, _ in system.terms:
        if kind == "radiation_pressure":
            if not np.isfinite(float(G0)):
                raise ParameterError(
                    f"the master equation needs G_0 of the {kind} coupling of "
                    f"{system.mode_names[idx[0]]!r} and {system.mode_names[idx[1]]!r}: it keeps "
                    f"the residue G_0 n q that the linearization drops; give G_0 in the model "
                    f"file (the linearized theory needs G only)")
            g0 = float(G0) / u
            if g0 != 0.0:
                k, l = idx
                out = out + g0 * _sym(_number(basis, k), _quadrature(basis, 2 * l))
        elif kind == "kerr":
            K = float(rate) / u
            if K == 0.0:
                continue
            (a,) = idx
            op = basis.mode_annihilation(a)
            opd = op.T.conj().tocsr()
            out = out + K * (opd @ opd @ op @ op)
            if a in system.means:
                sigma, s = (float(x) for x in system.means[a])
                cubic = 2 * K * sigma * s * 1j * (opd @ op @ op - opd @ opd @ op)
                out = out + (cubic + cubic.T.conj()) / 2
        elif kind == "cross_kerr":
            K = float(rate) / u
            if K == 0.0:
                continue
            a, b = idx
            na, nb = _number(basis, a), _number(basis, b)
            out = out + K * _sym(na, nb)
            for x, nx in ((a, nb), (b, na)):
                if x in system.means:
                    sigma, s = (float(v) for v in system.means[x])
                    out = out - np.sqrt(2) * K * sigma * s * _sym(_quadrature(basis, 2 * x + 1), nx)
    return out.tocsr()


def collapse_operators(system: System, basis) -> tuple:
    """Thermal Lindblad operators of the model's loss channels
    (:meth:`linearized.description.system.System.loss_channels`: one per damped mode, or channels shared
    between modes in a transform such as the cascaded output filters), rates in units of
    :func:`frequency_unit`."""
    c_ops = []
    for l in jump_coefficients(system, 2 * basis.n_modes):
        c_ops.append(basis.linear(l))
    return tuple(c.tocsr() for c in c_ops)


def jump_coefficients(system, size: int) -> list:
    """The collapse operators of the model's channels (module doc) as coefficient vectors over
    ``size`` quadratures (``a_k = (x_k + i p_k)/sqrt2``), in units of
    :func:`frequency_unit`."""
    u = frequency_unit(system)
    out = []
    for c, N, M in system.loss_channels():
        l = np.zeros(size, complex)
        l[0:2 * len(c):2] = c / np.sqrt(2 * u)
        l[1:2 * len(c):2] = 1j * c / np.sqrt(2 * u)
        if M == 0:
            out.append(np.sqrt(N + 1) * l)
            if N > 0:
                out.append(np.sqrt(N) * np.conj(l))
            continue
        # a squeezed input: the Kossakowski matrix of (L, L^dag), diagonalised
        lam, U = np.linalg.eigh(np.array([[N + 1, -np.conj(M)], [-M, N]]))
        for i in range(2):
            if lam[i] > 1e-14 * (N + 1):
                out.append(np.sqrt(lam[i]) * (U[0, i] * l + U[1, i] * np.conj(l)))
    return out
