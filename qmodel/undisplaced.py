"""The driven model without displacement or linearization (``mwent qmodel --frame
undisplaced``): a check of the displacement step itself, in the plain Fock basis, for small
drives whose mean amplitudes fit in a few levels.  Units of
:func:`qmodel.generic.frequency_unit`.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from linearized.description.meanfield import mean_field
from linearized.description.system import System
from linearized.description.units import ParameterError
from linearized.measures import duan_sum, log_negativity
from linearized.steady import pair_block
from qmodel.basis import fock_basis
from qmodel.generic import _sym, collapse_operators, frequency_unit
from qmodel.measures import exact_log_negativity, moments, tail_populations
from qmodel.model import Model
from qmodel.solvers import steady_state


def build_undisplaced(system: System, cutoffs):
    """The driven model without displacement or linearization, in the plain Fock basis
    (units of :func:`frequency_unit`): bare detunings, every coupling as written, the full
    ``G_0 n_k q_l``, ``K (a^dag a)^2``, ``K n_a n_b`` and the drive ``i E (k^dag - k)``.
    The drive is the model's physical one, or for the effective form (G given) the drive
    that produces that mean field (:func:`linearized.description.meanfield.mean_field`, real E)."""
    squeezed = [system.mode_names[j] for j, sq in enumerate(system.squeeze or ())
                if sq is not None]
    if squeezed:
        # phi is defined in the frame of the fluctuations (docs/conventions.md, "Baths and
        # inputs"), turned by the mean-field phase; this frame is the drive's
        raise ParameterError(f"the undisplaced frame does not take a squeezed input yet (mode "
                             f"{squeezed[0]!r}): its phase is defined in the displaced frame's "
                             f"mean-field phase; use the displaced frame (the default)")
    k, l, G0, E, bare = system.drive if system.drive is not None else _effective_drive(system)
    u = frequency_unit(system)
    basis = fock_basis(cutoffs)
    ops = [basis.mode_annihilation(j) for j in range(system.n_modes)]
    dag = lambda o: o.T.conj().tocsr()
    num = [dag(o) @ o for o in ops]
    H = sp.csr_matrix((basis.dim, basis.dim), dtype=complex)
    for j, f in enumerate(system.frequency):
        H = H + (float(bare if j == k else f) / u) * num[j]
    for kind, idx, rate, g0, _ in system.terms:
        r = float(rate) / u
        if kind == "beam_splitter":
            a, b = idx
            H = H + r * (dag(ops[a]) @ ops[b] + ops[a] @ dag(ops[b]))
        elif kind == "two_mode_squeezing":
            a, b = idx
            H = H + r * (dag(ops[a]) @ dag(ops[b]) + ops[a] @ ops[b])
        elif kind == "squeezing":
            (a,) = idx
            H = H + (r / 2) * (dag(ops[a]) @ dag(ops[a]) + ops[a] @ ops[a])
        elif kind == "kerr":
            (a,) = idx
            H = H + r * (num[a] @ num[a])
        elif kind == "cross_kerr":
            a, b = idx
            H = H + r * (num[a] @ num[b])
        elif kind == "radiation_pressure":
            a, b = idx
            q = (ops[b] + dag(ops[b])) / np.sqrt(2)
            H = H + (float(g0) / u) * _sym(num[a], q)
    H = H + 1j * (E / u) * (dag(ops[k]) - ops[k])
    H = ((H + dag(H)) / 2).tocsr()
    return Model(system.replace(mech_bath="lindblad"), basis, H,
                 collapse_operators(system, basis))


def _effective_drive(system) -> tuple:
    """``(k, l, G_0, E, bare detuning)`` (Hz) of the one drive that gives the effective G."""
    driven = [t for t in system.terms if t[0] == "radiation_pressure"]
    if len(driven) != 1:
        raise ParameterError(f"the undisplaced frame needs one driven mode; this model has "
                             f"{len(driven)}")
    (k, l), G0 = driven[0][1], float(driven[0][3])
    if G0 == 0:
        raise ParameterError("the undisplaced frame needs G_0 != 0 (the drive follows from "
                             "G / G_0)")
    d = mean_field(system).drives[system.mode_names[k]]
    if d["Omega"] is None:
        raise ParameterError("the undisplaced frame needs the drive that gives G, which is "
                             "undefined here")
    return k, l, G0, d["Omega"], d["bare_detuning"]


def solve_undisplaced(system: System, cutoffs, options=None) -> dict:
    """Steady state of :func:`build_undisplaced`: exact E_N of the system's pair (partial
    transpose; invariant under the local displacements), E_N of the fluctuations'
    covariance matrix, Duan sum, every mode's mean amplitude, the top-level populations."""
    model = build_undisplaced(system, cutoffs)
    state = steady_state(model, options)
    mean, cov = moments(state.rho, model.basis)
    en, _ = exact_log_negativity(state.rho, model.basis, pair=system.pair)
    blk = pair_block(cov, *system.pair)
    return {"E_N": en, "E_N_gaussian": float(log_negativity(blk)), "duan": float(duan_sum(blk)),
            "means": {name: complex(mean[2 * j], mean[2 * j + 1]) / np.sqrt(2)
                      for j, name in enumerate(system.mode_names)},
            "tail_population": tail_populations(state.rho, model.basis),
            "cutoffs": tuple(cutoffs), "residual": state.residual, "seconds": state.seconds,
            "rho": state.rho, "model": model}
