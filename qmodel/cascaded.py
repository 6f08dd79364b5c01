"""The filtered output pair from the master equation: a model with two filters cascaded on a
pair of its field modes.

:class:`FilteredSystem` is a *transform* of any model (:class:`linearized.description.system.System`): its
modes are the model's n modes followed by two filters f1, f2, quadratures
``(u, X_f1, Y_f1, X_f2, Y_f2)`` like :func:`linearized.output.augmented_matrices`.  Filter j
is a fictitious cavity of amplitude decay eps and detuning Omega_j driven by the output of the
j-th mode of the model's pair (cascaded systems: Gardiner, PRL 70, 2269 (1993); Carmichael,
PRL 70, 2273 (1993)).  It answers the calls the master-equation engine makes of a System
(:mod:`qmodel.generic`: ``hamiltonian_matrix``, ``loss_channels``, ``terms``, ``means``,
``frequency``, ``decay``, ``mechanical``; and ``drift_matrix``, ``diffusion_matrix``,
``thermal_occupations``, ``pair``, ``mode_names``, ``quadrature_names``, ``n_modes``,
``replace``), so the same convergence loop solves it; its pair is (f1, f2).

Sign.  The linear module defines ``a^out = sqrt(2 kappa) a - a^in`` with
``da/dt = -kappa a + sqrt(2 kappa) a^in`` and ``df/dt = -(eps + i Omega) f + sqrt(2 eps) a^out``.
In Lindblad language (``da/dt = ... - sqrt(2 kappa) b_in`` for the collapse operator
``sqrt(2 kappa) a``) ``a^in = -b_in`` and ``a^out = b_in + sqrt(2 kappa) a``: the usual output
field.  The cascaded master equation whose filter obeys that equation *with this sign* has

    H_f = Omega_j f_j^dag f_j,
    H_c = (i/2) sqrt(2 kappa_j) sqrt(2 eps) (f_j^dag a_j - a_j^dag f_j),
    one collapse operator for the shared channel  C_j = sqrt(2 kappa_j) a_j - sqrt(2 eps) f_j,

(with a thermal input of occupation N_j: ``sqrt(N_j + 1) C_j`` and ``sqrt(N_j) C_j^dag``).
The textbook form ``C = sqrt(2 kappa) a + sqrt(2 eps) f`` with ``H_c`` of the opposite sign is
the same model with ``f -> -f`` (a local unitary: E_N and the Duan sum of the pair are the same,
the mode-filter correlations change sign).  Tracing out f_j leaves the model's own master
equation unchanged: the filter does not act back on the source.  ``tests/test_cascaded.py``
holds the operators built from here against the drift and diffusion of the linear module (the
Heisenberg equations of a quadratic H and linear collapse operators are exactly linear).

The filters have no bath of their own (they see their mode's input noise through the shared
channel); every other channel, the couplings and the nonlinear residue (``G_0 n_k q_l``, Kerr
terms: :func:`qmodel.generic.nonlinear_terms` on the model's ``terms``) are the model's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linearized.description.system import System, index_pairs
from linearized.description.units import ParameterError
from linearized.measures import duan_sum, duan_sum_optimized, log_negativity
from linearized.output import _pair, augmented_matrices, default_centers, field_pair
from qmodel.basis import Basis
from qmodel.measures import log_negativity_12, moments, tail_populations
from qmodel.reduced import filter_state

TWO_PI = 2.0 * np.pi


def _filter_names(names) -> tuple:
    """``("f1", "f2")``, primed until they differ from the model's own mode names."""
    out = []
    for base in ("f1", "f2"):
        while base in names:
            base += "'"
        out.append(base)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class FilteredSystem:
    """A model with two output filters on its pair (module docstring).  Build with
    :func:`filtered_system`.  ``bandwidth`` eps/2pi and ``centers`` Omega_j/2pi in Hz;
    ``source_pair`` the filtered modes' indices in the model.  ``sign`` (+1) multiplies the
    cascade coupling ``H_c`` and the filter's amplitude in the shared channel; -1 gives the
    textbook ``C = sqrt(2 kappa) a + sqrt(2 eps) f`` form, which the tests use to show that
    the sign is checked (the linear ``drift_matrix`` is always the +1 physics)."""
    system: System
    bandwidth: float
    centers: tuple
    source_pair: tuple
    sign: float = 1.0

    # -- what the engine reads of a model ------------------------------------------------------
    @property
    def n_modes(self) -> int:
        return self.system.n_modes + 2

    @property
    def filter_names(self) -> tuple:
        return _filter_names(self.system.mode_names)

    @property
    def mode_names(self) -> tuple:
        return self.system.mode_names + self.filter_names

    @property
    def quadrature_names(self) -> tuple:
        return tuple(self.system.quadrature_names) + tuple(
            f"{q}_{f}" for f in self.filter_names for q in ("X", "Y"))

    @property
    def pair(self) -> tuple:
        n = self.system.n_modes
        return (n, n + 1)

    @property
    def pair_names(self) -> tuple:
        return self.filter_names

    def all_pairs(self) -> list:
        return index_pairs(self.n_modes)

    @property
    def shape(self) -> tuple:
        return self.system.shape

    @property
    def mechanical(self) -> tuple:
        return self.system.mechanical

    @property
    def frequency(self) -> tuple:
        return tuple(self.system.frequency) + tuple(self.centers)

    @property
    def decay(self) -> tuple:
        return tuple(self.system.decay) + (self.bandwidth, self.bandwidth)

    @property
    def nbar(self) -> tuple:
        """The filters see their mode's input (they have no bath of their own)."""
        return tuple(self.system.nbar) + tuple(self.system.nbar[k] for k in self.source_pair)

    @property
    def terms(self) -> tuple:
        return self.system.terms

    @property
    def means(self) -> dict:
        return self.system.means

    @property
    def mech_bath(self):
        return self.system.mech_bath

    @property
    def spec(self):
        return self.system.spec

    @property
    def name(self) -> str:
        return self.system.name

    def thermal_occupations(self) -> np.ndarray:
        return np.array([float(x) for x in self.nbar])

    def drift_matrix(self) -> np.ndarray:
        """The linear theory's drift (rad/s): :func:`linearized.output.augmented_matrices`."""
        return augmented_matrices(self.system, self.bandwidth, self.centers)[0]

    def diffusion_matrix(self) -> np.ndarray:
        return augmented_matrices(self.system, self.bandwidth, self.centers)[1]

    def hamiltonian_matrix(self, unit: float = 1.0) -> np.ndarray:
        """Symmetric ``H_M`` of the model and the filters, ``H_f + H_c`` added (rad/s divided
        by ``unit``)."""
        n2 = 2 * self.system.n_modes
        H = np.zeros((n2 + 4, n2 + 4))
        H[:n2, :n2] = self.system.hamiltonian_matrix(unit)
        w = lambda hz: TWO_PI * float(hz) / unit
        for j, k in enumerate(self.source_pair):
            c, f = 2 * k, n2 + 2 * j
            H[f, f] = H[f + 1, f + 1] = w(self.centers[j])
            # H_c = (i/2) s (f^dag a - a^dag f) = (s/2) (Yf Xa - Xf Ya), s = 2 sqrt(kappa eps)
            s = self.sign * w(np.sqrt(float(self.system.decay[k]) * self.bandwidth))
            H[f + 1, c] = H[c, f + 1] = s
            H[f, c + 1] = H[c + 1, f] = -s
        return H

    def loss_channels(self) -> tuple:
        """The model's channels over the n + 2 modes, each filtered mode's own decay shared
        with its filter, ``C_j = sqrt(2 kappa_j) a_j - sqrt(2 eps) f_j`` (the output port the
        filter watches; a ``dissipative`` channel of the mode is another port)."""
        n = self.system.n_modes
        out = []
        for c, N, M in self.system.loss_channels():
            c2 = np.concatenate([c, np.zeros(2, complex)])
            for j, k in enumerate(self.source_pair):
                if _own(c, k):
                    c2[n + j] = -self.sign * np.sqrt(2 * self.bandwidth)
            out.append((c2, N, M))
        return tuple(out)

    def replace(self, **changes) -> "FilteredSystem":
        """The same filters on the model at other parameter values."""
        return FilteredSystem(self.system.replace(**changes), self.bandwidth, self.centers,
                              self.source_pair, self.sign)

    def to_dict(self) -> dict:
        return {**self.system.to_dict(), "bandwidth": self.bandwidth,
                "centers": list(self.centers)}


def _own(c, k) -> bool:
    """Whether channel ``c`` is mode k's own decay (k its only mode)."""
    return c[k] != 0 and np.count_nonzero(c) == 1


def filtered_system(system: System, bandwidth: float, centers=None,
                    sign: float = 1.0) -> FilteredSystem:
    """Two filters on the system's pair (two field modes with a decay, else ParameterError).
    ``bandwidth`` eps/2pi (Hz, > 0); ``centers`` Omega_j/2pi (Hz), default
    :func:`linearized.output.default_centers` as in :func:`linearized.output.filtered_output`."""
    pair = field_pair(system)
    bandwidth = float(bandwidth)
    if not (np.isfinite(bandwidth) and bandwidth > 0):
        raise ParameterError(f"the filter bandwidth must be positive and finite (got "
                             f"{bandwidth!r} Hz)")
    if centers is None:
        centers = default_centers(system)
    centers = tuple(float(c) for c in _pair(centers, "centers"))
    own = [sum(_own(c, k) for c, *_ in system.loss_channels()) for k in pair]
    if own != [1, 1]:
        raise ParameterError("an output filter needs each filtered mode to have exactly one "
                             "decay channel of its own (its output port)")
    return FilteredSystem(system, bandwidth, centers, pair, float(sign))


# -- measures of the filter pair ---------------------------------------------------------------

@dataclass(frozen=True)
class FilterMeasures:
    """Measures of the filtered pair on one density matrix of the cascaded model.

    ``E_N``: exact ``ln ||rho_f^{T_2}||_1`` (plain Fock basis only, else None);
    ``E_N_gaussian``: Eq. 9 on the pair's covariance matrix (basis-free); ``duan``: Eq. 10 on
    it; ``covariance``: the covariance matrix of all modes (filters last); ``tail_population``:
    top-level population of each tensor factor."""
    E_N: float | None
    E_N_gaussian: float
    duan: float
    duan_min_lo: tuple
    covariance: np.ndarray
    first_moments: np.ndarray
    tail_population: np.ndarray

    @property
    def filter_covariance(self) -> np.ndarray:
        return self.covariance[-4:, -4:]


def filter_measures(rho: np.ndarray, basis: Basis) -> FilterMeasures:
    """:class:`FilterMeasures` of ``rho`` written in ``basis`` (filters its last two modes)."""
    mean, cov = moments(rho, basis)
    fc = cov[-4:, -4:]
    en = None
    if basis.kind == "fock":
        en = float(log_negativity_12(filter_state(rho, basis), basis.cutoffs[-2:]))
    return FilterMeasures(E_N=en, E_N_gaussian=float(log_negativity(fc)),
                          duan=float(duan_sum(fc)), duan_min_lo=duan_sum_optimized(fc),
                          covariance=cov, first_moments=mean,
                          tail_population=tail_populations(rho, basis))
