"""A second full model: the master equation in the undisplaced rotating frame.

No linearization and no displacement: the drive appears as it is in Eq. (1),

    H = D1 a1^dag a1 + D2 a2^dag a2 + Dm0 m^dag m + omega_b b^dag b + G_0 m^dag m q
        + sum_j g_j (a_j^dag m + a_j m^dag) + i (E m^dag - E^* m) + K (m^dag m)^2,

with the bare detuning ``Dm0`` and the complex drive ``E`` chosen so that the classical mean
field is the one the displaced model expands around (``E = <m> (i Dm~ + A)``, Eq. 3, in the
phase convention where G is real).  Solved in the plain Fock basis, it is practical only where
the mean amplitudes are a few quanta; there it checks the displacement step directly: E_N
(invariant under local displacements), the Duan sum of the fluctuations and ``<m>`` must agree
with the displaced-frame model.
"""
from __future__ import annotations

import numpy as np

from linearized.meanfield import eq3_denominator_ratio, mean_field
from linearized.params import Params
from .basis import fock_basis
from .measures import exact_log_negativity, moments
from .model import Model, collapse_operators
from .solvers import steady_state
from linearized.measures import cavity_block, duan_sum, log_negativity


def build_undisplaced(params: Params, cutoffs) -> Model:
    """The driven model in the plain Fock basis (units of omega_b)."""
    basis = fock_basis(cutoffs)
    wb = float(params.omega_b)
    mf = mean_field(params)
    drive = complex(mf.m * eq3_denominator_ratio(params)) / (2 * np.pi * wb)   # E / omega_b
    a1, a2, m, b = (basis.mode_annihilation(k) for k in range(4))
    dag = lambda o: o.conj().T.tocsr()
    u = lambda key: float(getattr(params, key)) / wb
    q = (b + dag(b)) / np.sqrt(2)
    nm = dag(m) @ m
    H = (u("Delta_1") * dag(a1) @ a1 + u("Delta_2") * dag(a2) @ a2
         + (mf.Delta_m0 / (2 * np.pi * wb)) * nm + dag(b) @ b
         + u("G_0") * 0.5 * (nm @ q + q @ nm)
         + u("g_1") * (dag(a1) @ m + a1 @ dag(m)) + u("g_2") * (dag(a2) @ m + a2 @ dag(m))
         + 1j * (drive * dag(m) - np.conj(drive) * m)
         + u("K") * nm @ nm)
    H = ((H + dag(H)) / 2).tocsr()
    return Model(params.replace(mech_bath="lindblad"), basis, H,
                 collapse_operators(params, basis))


def solve_undisplaced(params: Params, cutoffs, options=None) -> dict:
    """Steady state of the driven model: exact E_N, Duan sum and E_N from the fluctuations'
    covariance matrix, mean amplitudes ``<m>``, ``<a_j>``, and the top-level populations."""
    from .measures import tail_populations
    model = build_undisplaced(params, cutoffs)
    state = steady_state(model, options)
    mean, cov = moments(state.rho, model.basis)
    en, _ = exact_log_negativity(state.rho, model.basis)
    amp = lambda k: complex(mean[2 * k], mean[2 * k + 1]) / np.sqrt(2)
    return {"E_N": en, "E_N_gaussian": float(log_negativity(cavity_block(cov))),
            "duan": float(duan_sum(cavity_block(cov))), "m": amp(2), "a1": amp(0), "a2": amp(1),
            "q": float(mean[6]), "tail_population": tail_populations(state.rho, model.basis),
            "cutoffs": tuple(cutoffs), "residual": state.residual, "seconds": state.seconds}
