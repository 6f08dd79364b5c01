"""The mean field implied by a model's effective couplings, and the drive that produces it.

A ``radiation_pressure`` coupling in the effective form fixes its driven mode's amplitude,
``<k> = -i sigma |<k>|`` with ``|<k>| = G / (sqrt2 |G_0|)`` and ``sigma = sign G_0`` (the phase
convention of :mod:`linearized.description`: G real and positive).  The other field modes
follow from the classical equations of the effective model (seed paper, Eq. 2 with the
fluctuations dropped), in which only beam splitters carry the drive on:

    0 = -(kappa_j + i Delta_j) <a_j> - i sum_bs g_jm <a_m>      (j not driven),
    E_k = (kappa_k + i Delta_k) <k> + i sum_bs g_km <a_m>        (the drive i E_k (k^dag - k)),
    <q_l> = -sum_k G_0 |<k>|^2 omega_l / (omega_l^2 + Gamma_q Gamma_p),

with ``Delta_k`` the effective detuning; for the seed paper these are its Eq. (3) and
``<q> = -(G_0/omega_b)|<m>|^2``.  ``|E_k|`` is the Rabi frequency Omega of Eq. (1) that gives
this amplitude.  The same with every decay set to zero is the large-detuning approximation,
the seed paper's Eq. (4) (``Omega_eq4``); it is singular where a field mode that carries the
drive has zero detuning.  The bare detuning of the driven mode is
``Delta_k0 = Delta_k - G_0 <q_l> - K (2 |<k>|^2 + 1)`` (with a Kerr term ``K (k^dag k)^2``).

Frequencies are in Hz (ordinary frequency) on input and output.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: reason given for every field when the single-excitation coupling vanishes
G0_ZERO = "G_0 = 0: the amplitude G/(sqrt2 |G_0|) of the driven mode is undefined"
G0_MISSING = ("no G_0 in the model file: the amplitude G/(sqrt2 |G_0|) of the driven mode is "
              "undefined")
EQ4_SINGULAR = ("the large-detuning approximation (Eq. 4) is singular here: a field mode that "
                "carries the drive has zero detuning (it assumes |Delta| >> kappa); use the "
                "exact drive")


@dataclass(frozen=True)
class MeanField:
    """Mean values of every mode (``means``: complex amplitudes of the field modes, by name;
    ``q``: mean displacement of each mechanical mode, by name) and, for each driven mode, the
    drive that produces them (``drives``: name -> ``{"Omega", "Omega_eq4", "bare_detuning"}``,
    Hz, None where undefined).  ``undefined``: ``(field, reason)`` pairs."""
    means: dict
    q: dict
    drives: dict
    undefined: tuple = ()
    branch: dict | None = field(default=None)

    def to_dict(self) -> dict:
        """JSON-ready: each field mode's ``{re, im, abs}``, ``q`` (one mechanical mode) or
        ``q_NAME``, ``drives``; with one driven mode also its ``Omega_over_2pi_Hz``,
        ``Omega_eq4_over_2pi_Hz`` and ``Delta_<mode>0_over_2pi_Hz`` at the top level."""
        out = {name: _complex(z) for name, z in self.means.items()}
        if len(self.q) == 1:
            out["q"] = _num(next(iter(self.q.values())))
        else:
            out.update({f"q_{name}": _num(v) for name, v in self.q.items()})
        if len(self.drives) == 1:
            (k, d), = self.drives.items()
            out.update({"Omega_over_2pi_Hz": _num(d["Omega"]),
                        "Omega_eq4_over_2pi_Hz": _num(d["Omega_eq4"]),
                        f"Delta_{k}0_over_2pi_Hz": _num(d["bare_detuning"])})
        out["drives"] = {k: {f: _num(v) for f, v in d.items()} for k, d in self.drives.items()}
        out["undefined"] = dict(self.undefined)
        if self.branch is not None:
            out.update(self.branch)
        return out


def _complex(z):
    if z is None:
        return None
    return {"re": _num(np.real(z)), "im": _num(np.imag(z)), "abs": _num(abs(z))}


def _num(x):
    """A float for JSON: None for None and for non-finite values."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _field_solve(system, fixed: dict, with_decay: bool = True):
    """Means of the field modes with those in ``fixed`` (index -> amplitude) given; the
    others from the classical equations above.  None where they are singular."""
    field = [j for j, b in enumerate(system.baths) if b is None]
    free = [j for j in field if j not in fixed]
    pos = {j: i for i, j in enumerate(free)}
    M = np.zeros((len(free), len(free)), complex)
    rhs = np.zeros(len(free), complex)
    for j in free:
        kappa = float(system.decay[j]) if with_decay else 0.0
        M[pos[j], pos[j]] = -(kappa + 1j * float(system.frequency[j]))
    for kind, idx, rate, *_ in system.terms:
        if kind != "beam_splitter" or not all(i in field for i in idx):
            continue
        for a, b in (idx, idx[::-1]):
            if a in pos and b in pos:
                M[pos[a], pos[b]] += -1j * float(rate)
            elif a in pos and b in fixed:
                rhs[pos[a]] += 1j * float(rate) * fixed[b]
    if free:
        if np.linalg.cond(M) > 1e12:
            return None
        x = np.linalg.solve(M, rhs)
    else:
        x = []
    out = dict(fixed)
    out.update({j: x[pos[j]] for j in free})
    return out


def _drive(system, k, alpha, with_decay: bool = True) -> complex:
    kappa = float(system.decay[k]) if with_decay else 0.0
    E = (kappa + 1j * float(system.frequency[k])) * alpha[k]
    for kind, idx, rate, *_ in system.terms:
        if kind == "beam_splitter" and k in idx:
            other = idx[1] if idx[0] == k else idx[0]
            if other in alpha:
                E += 1j * float(rate) * alpha[other]
    return E


def q_response(system, l) -> float:
    """``<q_l> / (-G_0 n)``: the static mechanical response ``omega / (omega^2 + Gamma_q
    Gamma_p)`` (``(0, gamma)`` for the Brownian bath, ``(gamma/2, gamma/2)`` for Lindblad)."""
    w = float(system.frequency[l])
    g = float(system.decay[l])
    gq, gp = (0.0, g) if system.baths[l] == "brownian" else (g / 2, g / 2)
    return w / (w * w + gq * gp)


def mean_field(system) -> MeanField | None:
    """The mean field of a model at one point (None for a model with no driven mode).

    Never raises for valid parameters: undefined values are None, with the reason in
    ``MeanField.undefined``.  Two-mode squeezing among the field modes (which would mix in the
    conjugate amplitudes) leaves the other modes' means undefined."""
    driven = {t[1][0]: t for t in system.terms if t[0] == "radiation_pressure"}
    if not driven:
        return None
    names = system.mode_names
    field = [j for j, b in enumerate(system.baths) if b is None]
    missing = any(np.any(np.isnan(np.asarray(t[3], float))) for t in driven.values())
    if missing or any(np.any(np.asarray(t[3], float) == 0) for t in driven.values()):
        undefined = tuple((names[j], G0_MISSING if missing else G0_ZERO) for j in field)
        return MeanField({names[j]: None for j in field},
                         {names[l]: None for l in system.mechanical},
                         {names[k]: {"Omega": None, "Omega_eq4": None, "bare_detuning": None}
                          for k in driven}, undefined)
    fixed = {k: complex(-1j * float(system.means[k][0]) * float(system.means[k][1]))
             for k in driven}
    undefined = []
    squeezed = any(t[0] == "two_mode_squeezing" and np.any(t[2] != 0) for t in system.terms)
    exact = None if squeezed else _field_solve(system, fixed)
    approx = None if squeezed else _field_solve(system, fixed, with_decay=False)
    if exact is None:
        undefined.append(("means", "the means of the undriven field modes are not solved "
                                   "with two-mode squeezing among them"))
    q = {}
    for l in system.mechanical:
        q[names[l]] = sum(-float(t[3]) * abs(fixed[k]) ** 2 * q_response(system, l)
                          for k, t in driven.items() if t[1][1] == l)
    drives = {}
    for k, t in driven.items():
        n = abs(fixed[k]) ** 2
        kerr = sum(float(r) for kd, idx, r, *_ in system.terms if kd == "kerr" and idx == (k,))
        l = t[1][1]
        d = {"Omega": None if exact is None else abs(_drive(system, k, exact)),
             "Omega_eq4": None,
             "bare_detuning": float(system.frequency[k]) - float(t[3]) * q[names[l]]
             - kerr * (2 * n + 1)}
        if approx is not None:
            d["Omega_eq4"] = abs(_drive(system, k, approx, with_decay=False))
        elif exact is not None:
            undefined.append(("Omega_eq4", EQ4_SINGULAR))
        drives[names[k]] = d
    means = {names[j]: (None if exact is None else exact[j]) for j in field}
    return MeanField(means, q, drives, tuple(undefined))
