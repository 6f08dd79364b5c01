"""Measures on a density matrix of a model (any number of modes), in any basis.

Moments are basis-free: the physical quadratures are ``r_phys = S r_new`` and expectation
values of normally ordered monomials of the new modes (``<c_k>``, ``<c_k^dag c_l>``,
``<c_k c_l>``) are exact in a truncated space, so the covariance matrix, the Duan sum, the
occupations and Eq. (9) on rho's covariance matrix come out right in every basis.

The exact logarithmic negativity ``E_N = ln || rho_12^{T_2} ||_1`` needs the reduced state of
the two *physical* modes of the pair.  In the ``fock`` basis it is a partial trace.  In the
``normal`` basis the tensor factors are normal modes, and tracing the other factors would trace
the wrong modes and give a wrong answer (silently 0 at the seed paper's optimum;
docs/master-equation.md); there the state is first mapped to the physical Fock basis
(:mod:`qmodel.mapping`, :mod:`qmodel.reduced`) and the population lost to that mapping is reported.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linearized.measures import (duan_sum, duan_sum_optimized, log_negativity, mode_occupations,
                                 symplectic_eigenvalues)
from linearized.steady import pair_block
from qmodel.reduced import (SetFactor, fock_pair_state, mapped_factor, pair_reduced_state,
                            pair_state)
from qmodel.solvers import state_eigh


def moments(rho: np.ndarray, basis):
    """``(mean, cov)`` of the physical quadratures ``(x_1, p_1, ..., x_n, p_n)`` of the
    model's modes (the rows of its ``quadrature_names``).

    ``cov`` is the symmetrised covariance (vacuum 1/2), ``mean`` the first moments.
    """
    nm = basis.n_modes
    n2 = 2 * nm
    e = basis.expectations(basis.ladder_entries, rho, n2)[0::2]       # <c_k>
    pairs = basis.expectations(basis.product_entries, rho, n2 * n2).reshape(n2, n2)
    n = pairs[1::2, 0::2]                   # <c_k^dag c_l>
    s = pairs[0::2, 0::2]                   # <c_k c_l>
    # symmetrised second moments of the ladder vector v = (c1, c1^dag, c2, c2^dag, ...)
    M = np.empty((2 * nm, 2 * nm), complex)
    for k in range(nm):
        for l in range(nm):
            M[2 * k, 2 * l] = s[k, l]                               # <c_k c_l>
            M[2 * k + 1, 2 * l + 1] = np.conj(s[k, l])              # <c_k^dag c_l^dag>
            M[2 * k + 1, 2 * l] = n[k, l] + 0.5 * (k == l)          # sym <c_k^dag c_l>
            M[2 * k, 2 * l + 1] = n[l, k] + 0.5 * (k == l)          # sym <c_k c_l^dag>
    v_mean = np.ravel([[e[k], np.conj(e[k])] for k in range(nm)])
    Tm = basis._to_ladder
    mean = (Tm @ v_mean).real
    second = (Tm @ M @ Tm.T).real
    cov = second - np.outer(mean, mean)
    return mean, (cov + cov.T) / 2


def log_negativity_12(rho12: np.ndarray, cavity_cutoffs) -> float:
    """``ln || rho_12^{T_2} ||_1`` of a two-mode density matrix (normalised first)."""
    n1, n2 = cavity_cutoffs
    r = rho12 / np.trace(rho12)
    pt = r.reshape(n1, n2, n1, n2).transpose(0, 3, 2, 1).reshape(n1 * n2, n1 * n2)
    norm = np.abs(np.linalg.eigvalsh((pt + pt.conj().T) / 2)).sum()
    return float(max(np.log(norm), 0.0))


def exact_log_negativity(rho: np.ndarray, basis, physical_cutoffs=None, pair=(0, 1)):
    """``(E_N, trace)``: ``ln || rho_12^{T_2} ||_1`` of the reduced state of the physical modes
    ``pair`` (default the two cavities) and the trace kept by the mapping to the physical basis
    (1 in the ``fock`` basis).

    In the ``normal`` basis ``physical_cutoffs`` (one per physical mode) must be given;
    without them the result is ``(None, None)``, never the wrong partial trace.
    """
    cs = pair_reduced_state(rho, basis, pair, physical_cutoffs)
    if cs is None:
        return None, None
    return log_negativity_12(cs.rho12, cs.cavity_cutoffs), cs.trace


def pair_table(rho: np.ndarray, basis, cov, names, physical_cutoffs=None, pairs=None) -> list:
    """Every pair's exact E_N (partial transpose of its physical reduced state, with the
    mapping's lost population in a normal basis), Eq. 9 on rho's moments and the Duan sum:
    ``[{"modes", "E_N", "E_N_gaussian", "duan", "lost_population"}, ...]``.  The physical
    mapping is done once for all pairs; a :class:`qmodel.mapping.PairTarget` is physical on
    its own pair only, so the other pairs get no exact E_N from it (None)."""
    n = basis.n_modes
    pairs = pairs or [(i, j) for i in range(n) for j in range(i + 1, n)]
    X = None
    if basis.kind == "normal" and physical_cutoffs is not None:
        X = mapped_factor(rho, basis, physical_cutoffs)
    out = []
    for i, j in pairs:
        blk = pair_block(cov, i, j)
        en, lost = None, None
        if basis.kind == "fock":
            r12 = fock_pair_state(rho, basis.cutoffs, (i, j))
            en, lost = log_negativity_12(r12, (basis.cutoffs[i], basis.cutoffs[j])), 0.0
        elif X is not None and (not isinstance(X, SetFactor) or {i, j} == set(X.target.pair)):
            cs = pair_state(X, (i, j))
            en, lost = log_negativity_12(cs.rho12, cs.cavity_cutoffs), cs.lost_population
        out.append({"modes": [names[i], names[j]], "E_N": en,
                    "E_N_gaussian": float(log_negativity(blk)), "duan": float(duan_sum(blk)),
                    "lost_population": lost})
    return out


def tail_populations(rho: np.ndarray, basis) -> np.ndarray:
    """Population of the highest retained Fock level of each tensor factor (of a state
    set: of the states whose next level of that mode is not retained)."""
    if basis.states is not None:
        p = np.real(np.diag(rho))
        return np.array([float(p[basis.boundary(k)].sum()) for k in range(basis.n_modes)])
    p = np.real(np.diag(rho)).reshape(basis.cutoffs)
    n = len(basis.cutoffs)
    out = []
    for k in range(n):
        idx = [slice(None)] * n
        idx[k] = -1
        out.append(float(p[tuple(idx)].sum()))
    return np.array(out)


def _entropy_gaussian(cov) -> float:
    nu = symplectic_eigenvalues(cov)
    g = lambda x: (x + 0.5) * np.log(x + 0.5) - (x - 0.5) * np.log(x - 0.5) if x > 0.5 + 1e-12 else 0.0
    return float(sum(g(x) for x in nu))


def non_gaussianity(rho: np.ndarray, cov, eigenvalues=None) -> float:
    """Relative entropy to the Gaussian state with the same moments,
    ``delta = S(tau_G) - S(rho)`` (nats; 0 for a Gaussian state); ``eigenvalues`` of rho if
    known."""
    w = state_eigh(rho)[0] if eigenvalues is None else np.asarray(eigenvalues)
    w = w[w > 1e-300]
    return float(_entropy_gaussian(cov) + np.sum(w * np.log(w)))


def truncation_floor(basis, occupations=None) -> float:
    """Non-Gaussianity that the truncation alone gives: that of the Gaussian guess of
    ``basis`` (product of thermal states, see ``gaussian_guess``) cut at the same levels.

    A truncated thermal tail looks non-Gaussian by about this much (a hot phonon at tail 1e-4:
    6e-4 nats), so only the excess over it says something about the physics.
    """
    rho = basis.gaussian_guess(None if basis.kind == "normal" else occupations)
    return non_gaussianity(rho, moments(rho, basis)[1], np.diag(rho).real)   # rho is diagonal


@dataclass(frozen=True)
class StateMeasures:
    """Everything measured on one density matrix (see the module doc for conventions)."""
    E_N: float | None
    E_N_gaussian: float
    duan: float
    occupations: np.ndarray
    first_moments: np.ndarray
    covariance: np.ndarray
    tail_population: np.ndarray
    non_gaussianity: float
    mapped_trace: float | None = None
    non_gaussianity_floor: float = 0.0
    pair: tuple = (0, 1)
    mode_names: tuple = ()
    quadrature_names: tuple = ()

    @property
    def non_gaussianity_excess(self) -> float:
        """Non-Gaussianity above the truncation floor (nats): the physical part."""
        return self.non_gaussianity - self.non_gaussianity_floor

    def to_dict(self) -> dict:
        modes = self.mode_names
        v, t1, t2 = duan_sum_optimized(pair_block(self.covariance, *self.pair))
        return {"E_N": self.E_N, "E_N_gaussian": float(self.E_N_gaussian),
                "duan": float(self.duan),
                "duan_min_lo": {"duan": v, "theta_1": t1, "theta_2": t2},
                "occupations": {k: float(v) for k, v in zip(modes, self.occupations)},
                "first_moments": dict(zip(self.quadrature_names,
                                          map(float, self.first_moments))),
                "tail_population": [float(x) for x in self.tail_population],
                "non_gaussianity": float(self.non_gaussianity),
                "non_gaussianity_floor": float(self.non_gaussianity_floor),
                "non_gaussianity_excess": float(self.non_gaussianity_excess),
                "E_N_mapped_trace": self.mapped_trace,
                "covariance": self.covariance.tolist()}


def measure(rho: np.ndarray, basis, physical_cutoffs=None, *, pair, mode_names,
            quadrature_names) -> StateMeasures:
    """All measures of :class:`StateMeasures` for ``rho`` written in ``basis``
    (``physical_cutoffs``: see :func:`exact_log_negativity`); E_N and Duan of the physical
    modes ``pair``, rows labelled by the model's ``mode_names`` and ``quadrature_names``."""
    mean, cov = moments(rho, basis)
    cav = pair_block(cov, *pair)
    occ = mode_occupations(cov) + 0.5 * (mean[0::2] ** 2 + mean[1::2] ** 2)
    en, trace = exact_log_negativity(rho, basis, physical_cutoffs, pair)
    return StateMeasures(E_N=en, mapped_trace=trace if basis.kind == "normal" else None,
                         E_N_gaussian=float(log_negativity(cav)), duan=float(duan_sum(cav)),
                         occupations=occ, first_moments=mean, covariance=cov,
                         tail_population=tail_populations(rho, basis),
                         non_gaussianity=non_gaussianity(rho, cov),
                         non_gaussianity_floor=truncation_floor(basis, occ), pair=tuple(pair),
                         mode_names=tuple(mode_names),
                         quadrature_names=tuple(quadrature_names))
