"""The mean field of a model with a physical drive: every branch, with its stability.

A ``radiation_pressure`` coupling ``G_0 n_k q_l`` given with ``drive = E`` (the drive term
``i E (k^dag - k)``, E real, Hz) and mode k's bare detuning ``Delta_k0``.  The classical
equations (means ``alpha_j`` of the field modes, ``<q_l>`` of the mechanical one) are

    d alpha_j/dt = -(kappa_j + i Delta_j) alpha_j - i sum_bs g_jm alpha_m + E delta_jk,
    Delta_k = Delta_k0 + G_0 <q_l> + 2 K n + K,      n = |alpha_k|^2,
    <q_l> = -G_0 n omega_l / (omega_l^2 + Gamma_q Gamma_p)

(``Gamma_q, Gamma_p`` the mechanical damping of q and p: ``(0, gamma)`` for the Brownian bath,
``(gamma/2, gamma/2)`` for the Lindblad one; K a Kerr coefficient on mode k).  For a given n
the field equations are linear, so the steady states are the roots of the scalar
``f(n) = |alpha_k(n)|^2 - n``: found by a dense scan of n (sign changes, refined by bisection
with ``scipy.optimize.brentq``), all of them, ordered by n.  Each root is a branch; its
fluctuations are those of the effective model (``G = sqrt2 |G_0| sqrt(n)``, effective detuning
``Delta_k``), and it is stable exactly when that model's drift matrix is.

One physical drive per model, and no squeezing couplings beside it (their phase is fixed
relative to the drive's, which the effective description's phase convention would change).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from linearized.description.units import ParameterError

TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class DriveBranch:
    """One mean-field branch: ``n`` = |<k>|^2, ``G`` and ``detuning`` (effective, Hz),
    ``means`` (complex amplitudes of every mode in the drive's phase; mechanical modes
    ``<b> = (<q> + i <p>)/sqrt2``), ``stable`` and ``max_real_eigenvalue`` (Hz) of its
    fluctuations."""
    index: int
    n: float
    G: float
    detuning: float
    means: tuple
    stable: bool
    max_real_eigenvalue: float

    def to_dict(self) -> dict:
        return {"index": self.index, "n": self.n, "G": self.G, "detuning": self.detuning,
                "means": [{"re": z.real, "im": z.imag} for z in self.means],
                "stable": self.stable, "max_real_eigenvalue": self.max_real_eigenvalue}


def _field_means_at(system, k, E, det_k) -> tuple:
    """``(field modes, means)``: the field modes' indices and their means (complex), one row
    per detuning of mode k in ``det_k`` (Hz, an array), for the drive ``E`` on k: one batched
    solve (the branch search evaluates thousands of detunings per point)."""
    det_k = np.atleast_1d(np.asarray(det_k, float))
    field = [j for j, b in enumerate(system.baths) if b is None]
    pos = {j: i for i, j in enumerate(field)}
    M = np.zeros((len(det_k), len(field), len(field)), complex)
    for j in field:
        d = det_k if j == k else float(system.frequency[j])
        M[:, pos[j], pos[j]] = -(float(system.decay[j]) + 1j * d)
    for kind, idx, rate, *_ in system.terms:
        if kind == "beam_splitter" and all(i in pos for i in idx):
            a, b = idx
            M[:, pos[a], pos[b]] += -1j * float(rate)
            M[:, pos[b], pos[a]] += -1j * float(rate)
    rhs = np.zeros((len(det_k), len(field), 1), complex)
    rhs[:, pos[k], 0] = -E
    return field, np.linalg.solve(M, rhs)[:, :, 0]


def _field_means(system, k, E, det_k):
    """Field-mode means (complex) for drive ``E`` with mode k's detuning ``det_k`` (Hz)."""
    field, alpha = _field_means_at(system, k, E, det_k)
    return {j: alpha[0, i] for i, j in enumerate(field)}


def _q_response(system, l) -> float:
    """``<q_l> / (-G_0 n)``: the static mechanical response."""
    w = float(system.frequency[l])
    g = float(system.decay[l])
    gq, gp = (0.0, g) if system.baths[l] == "brownian" else (g / 2, g / 2)
    return w / (w * w + gq * gp)


def drive_branches(system, k: int, l: int, G0: float, E: float, kerr: float = 0.0,
                   points: int = 4000) -> list:
    """Every mean-field branch of ``system`` (whose mode k has its *bare* detuning) for the
    drive ``E`` on k and the coupling ``G_0 n_k q_l`` (all Hz).  Stability is computed by
    :func:`branch_stability` afterwards (it needs the effective model)."""
    mech = set(system.mechanical)
    for kind, idx, rate, G0_, E_ in system.terms:
        if kind in ("squeezing", "two_mode_squeezing") and np.any(rate != 0):
            raise ParameterError("a physical drive together with squeezing couplings is not "
                                 "supported: give the effective G and detuning instead")
        if kind == "beam_splitter" and mech & set(idx) and np.any(rate != 0):
            raise ParameterError("a physical drive with a beam splitter to a mechanical mode "
                                 "is not supported (its mean field is not solved): give the "
                                 "effective G and detuning instead")
        if kind == "cross_kerr" and np.any(rate != 0):
            raise ParameterError("a physical drive together with a cross-Kerr term is not "
                                 "supported (its mean-field shift is not solved): give the "
                                 "effective G and detuning instead")
        if kind == "kerr" and idx != (k,) and np.any(rate != 0):
            raise ParameterError("a physical drive with a Kerr term on another mode than the "
                                 "driven one is not supported: give the effective G instead")
        if kind == "radiation_pressure" and E_ is None:
            raise ParameterError("a physical drive and an effective G in the same model are "
                                 "not supported: give every radiation_pressure coupling in "
                                 "one form")
    det0 = float(system.frequency[k])
    chi = _q_response(system, l)

    def detuning(n):
        return det0 - G0 * G0 * chi * n + 2 * kerr * n + kerr

    def f(n):
        # n: a number or an array of them
        field, alpha = _field_means_at(system, k, E, detuning(n))
        return np.abs(alpha[:, field.index(k)]) ** 2 - n

    if E == 0:
        return [(0.0, detuning(0.0))]
    # |alpha_k| <= |E| / (smallest decay) bounds n for a passive network
    kmin = min(float(d) for d, b in zip(system.decay, system.baths) if b is None and d > 0)
    n_max = 4.0 * (abs(E) / kmin) ** 2
    grid = np.unique(np.concatenate([[0.0], np.geomspace(n_max * 1e-12, n_max, points)]))
    vals = f(grid)
    # imported here: a single-point solve without a physical drive does not load SciPy's
    # optimizers (tests/test_startup.py measures that path)
    from scipy.optimize import brentq
    roots = []
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:]):
        if fa == 0:
            roots.append(a)
        elif fa * fb < 0:
            roots.append(brentq(lambda n: float(f(n)[0]), a, b, xtol=1e-14 * max(b, 1e-300),
                                rtol=1e-14, maxiter=200))
    return [(float(n), float(detuning(n))) for n in roots]


def resolve_drive(system, branch=None):
    """``(effective system, branches, chosen)``: the model with each physical drive replaced
    by the chosen branch's G and effective detuning (``branch``: None, the only stable one;
    ``lowest``, ``highest`` or an index), every branch listed with its stability."""
    drives = [(i, t) for i, t in enumerate(system.terms)
              if t[0] == "radiation_pressure" and t[4] is not None]
    if not drives:
        return system, [], None
    if len(drives) > 1:
        raise ParameterError("a model with more than one physical drive is not supported yet")
    if system.shape != ():
        raise ParameterError("a physical drive is solved point by point; give scalar "
                             "parameters")
    ti, (kind, (k, l), _, G0, E) = drives[0]
    G0, E = float(G0), float(E)
    if G0 == 0:
        raise ParameterError("a physical drive needs G_0 != 0 (the effective coupling is "
                             "sqrt2 |G_0| |<k>|)")
    kerr = sum(float(r) for kd, idx, r, *_ in system.terms if kd == "kerr" and idx == (k,))
    out = []
    for i, (n, det) in enumerate(drive_branches(system, k, l, G0, E, kerr)):
        eff = _effective(system, ti, k, n, det)
        A = eff.drift_matrix()
        lam = float(np.linalg.eigvals(A).real.max()) / TWO_PI
        alpha = _field_means(system, k, E, det)
        means = []
        for j in range(system.n_modes):
            if j in alpha:
                means.append(complex(alpha[j]))
            elif j == l:
                q = -G0 * n * _q_response(system, l)
                gq = float(system.decay[l]) / 2 if system.baths[l] == "lindblad" else 0.0
                p = gq * q / float(system.frequency[l])
                means.append(complex(q, p) / np.sqrt(2))
            else:
                means.append(0j)
        out.append(DriveBranch(i, n, float(np.sqrt(2) * abs(G0) * np.sqrt(n)), det,
                               tuple(means), lam < 0, lam))
    if not out:
        raise ParameterError("the mean-field equations have no solution (no branch found)")
    chosen = select_branch(out, branch)
    return _effective(system, ti, k, chosen.n, chosen.detuning), out, chosen


def _effective(system, ti, k, n, det):
    """``system`` with drive term ``ti`` replaced by its effective G at |<k>|^2 = n and mode
    k's detuning by ``det``."""
    kind, idx, _, G0, E = system.terms[ti]
    G = np.sqrt(2) * abs(float(G0)) * np.sqrt(n)
    terms = list(system.terms)
    terms[ti] = (kind, idx, np.asarray(G), G0, None)
    freq = list(system.frequency)
    freq[k] = np.asarray(det)
    means = dict(system.means)
    means[k] = (np.where(float(G0) < 0, -1.0, 1.0), np.asarray(np.sqrt(n)))
    return replace(system, terms=tuple(terms), frequency=tuple(freq), means=means,
                   drive=(k, idx[1], float(G0), float(E), float(system.frequency[k])))


class BranchError(ValueError):
    """The mean field has no unique stable branch and none was chosen (message for the user)."""


class NoStableBranch(RuntimeError):
    """No mean-field branch is stable: no steady state."""


def select_branch(branches, branch=None):
    """Pick a branch: ``None`` (the only stable one; refuse to guess among several),
    ``"lowest"``/``"highest"`` (by magnon number) or an index into ``branches``."""
    if branch is None:
        stable = [b for b in branches if b.stable]
        if not stable:
            lam = max(b.max_real_eigenvalue for b in branches)
            raise NoStableBranch(f"no mean-field branch is stable (largest Re lambda/2pi = "
                                 f"{lam:.6g} Hz)")
        if len(stable) > 1:
            raise BranchError(f"the mean field is bistable: {len(stable)} stable branches "
                              f"(indices {', '.join(str(b.index) for b in stable)}); choose one "
                              f"with --branch lowest, highest or an index")
        return stable[0]
    if branch == "lowest":
        return branches[0]
    if branch == "highest":
        return branches[-1]
    try:
        i = int(branch)
    except (TypeError, ValueError):
        raise BranchError(f"--branch must be lowest, highest or an index, not {branch!r}")
    if not 0 <= i < len(branches):
        raise BranchError(f"--branch {i} does not exist: the mean field has {len(branches)} "
                          f"branch(es)")
    return branches[i]
