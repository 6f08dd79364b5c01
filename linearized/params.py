"""Model parameters: one frozen dataclass shared by the linearized and master-equation sides.

Conventions (DESIGN.md):

* Every frequency-like field is an ordinary frequency in Hz, i.e. the "X/2pi" value the paper
  quotes (``kappa_1 = 1e6`` means kappa_1/2pi = 1 MHz).  Physics functions convert to angular
  units (rad/s) internally, see :func:`Params.angular`.
* ``kappa_*`` are amplitude decay rates (Eq. 2: ``da/dt = -kappa a + sqrt(2 kappa) a_in``).
* ``gamma_b`` is the mechanical damping rate, used by the bath model named in ``mech_bath``
  (``brownian``: the paper's; ``lindblad``: the master equation's).
* ``Delta_m`` is the effective magnon detuning, the paper's Delta_m tilde.
* ``G`` is the effective magnomechanical coupling (taken real), ``G_0`` the single-magnon one.
* ``K`` is the magnon Kerr coefficient of ``K (m^dag m)^2`` (Hz, either sign; default 0).  With
  K the fluctuations see an extra ``2 K |<m>|^2 y^2`` (|<m>|^2 = G^2 / (2 G_0^2)), so K != 0
  needs G_0 > 0.  The command line's ``K=yig`` is the literature value for the sphere's
  diameter (:func:`linearized.physical.kerr_coefficient`).
* ``omega_m`` only sets the thermal occupation of cavities and magnon; ``omega_b`` is also the
  mechanical frequency of the dynamics.

Fields may hold NumPy arrays (all broadcastable to one shape) for batched evaluation over a
parameter grid; ``mech_bath`` is always a single string.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .units import UnitError, parse_quantity

MECH_BATHS = ("brownian", "lindblad")

#: dimension of every numeric key (used for parsing unit suffixes)
DIMENSIONS = {
    "Delta_1": "frequency", "Delta_2": "frequency", "Delta_m": "frequency",
    "kappa_1": "frequency", "kappa_2": "frequency", "kappa_m": "frequency",
    "g_1": "frequency", "g_2": "frequency", "G": "frequency", "G_0": "frequency",
    "omega_b": "frequency", "gamma_b": "frequency", "omega_m": "frequency",
    "T": "temperature", "K": "frequency",
}
#: keys that must be strictly positive
POSITIVE = ("kappa_1", "kappa_2", "kappa_m", "omega_b", "gamma_b", "omega_m")
#: keys that must be non-negative
NON_NEGATIVE = ("T", "G_0")
#: the physical (drive-power) parametrization: drive power, sphere diameter, bare detuning
PHYSICAL_DIMENSIONS = {"P": "power", "diameter": "length", "Delta_m0": "frequency"}
PHYSICAL_KEYS = tuple(PHYSICAL_DIMENSIONS)

UNITS = {k: ("K" if d == "temperature" else "Hz") for k, d in DIMENSIONS.items()}
UNITS.update({"P": "W", "diameter": "m", "Delta_m0": "Hz", "mech_bath": ""})


class ParameterError(ValueError):
    """Invalid parameter input; the message is one sentence meant for the user."""


@dataclass(frozen=True)
class Params:
    """Parameters of the two-cavity magnomechanical system (Yu, Shen & Li 2020).

    All frequencies in Hz (ordinary frequency, the paper's X/2pi), temperature in K.
    """
    Delta_1: Any
    Delta_2: Any
    Delta_m: Any
    kappa_1: Any
    kappa_2: Any
    kappa_m: Any
    g_1: Any
    g_2: Any
    G: Any
    G_0: Any
    omega_b: Any
    gamma_b: Any
    omega_m: Any
    T: Any
    mech_bath: str = "brownian"
    K: Any = 0.0
    P: Any = None
    diameter: Any = None
    Delta_m0: Any = None

    def __post_init__(self):
        if self.mech_bath not in MECH_BATHS:
            raise ParameterError(f"mech_bath must be one of {', '.join(MECH_BATHS)}, "
                                 f"not {self.mech_bath!r}")
        for key in DIMENSIONS:
            value = np.asarray(getattr(self, key), dtype=float)
            if not np.all(np.isfinite(value)):
                raise ParameterError(f"{key} must be a finite number (got {getattr(self, key)!r})")
            if key in POSITIVE and np.any(value <= 0):
                raise ParameterError(f"{key} is a rate or frequency and must be positive "
                                     f"(got {_show(value)} Hz)")
            if key in NON_NEGATIVE and np.any(value < 0):
                raise ParameterError(f"{key} must not be negative (got {_show(value)} {UNITS[key]})")
        if np.any(np.asarray(self.K, float) != 0) and np.any(np.asarray(self.G_0, float) <= 0):
            raise ParameterError("a Kerr term K needs G_0 > 0 (the magnon amplitude is "
                                 "G / (sqrt2 G_0))")
        for key in PHYSICAL_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            value = np.asarray(value, dtype=float)
            if not np.all(np.isfinite(value)):
                raise ParameterError(f"{key} must be a finite number (got {getattr(self, key)!r})")
            if key == "P" and np.any(value < 0):
                raise ParameterError(f"the drive power P must not be negative (got {_show(value)} W)")
            if key == "diameter" and np.any(value <= 0):
                raise ParameterError(f"the sphere diameter must be positive (got {_show(value)} m)")
        try:
            np.broadcast_shapes(*(np.shape(getattr(self, k)) for k in DIMENSIONS))
        except ValueError:
            raise ParameterError("array-valued parameters do not broadcast to one grid shape")

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: "Params | None" = None) -> "Params":
        """Build parameters from ``{key: value}``; values are SI numbers or unit strings.

        Keys absent from ``values`` are taken from ``base`` (default: the ``paper`` preset).
        Unknown keys, unparsable values and invalid values raise :class:`ParameterError`.
        """
        base = PRESETS["paper"] if base is None else base
        changes = {}
        for key, raw in values.items():
            changes[key] = parse_value(key, raw)
        return dataclasses.replace(base, **changes)

    def replace(self, **changes) -> "Params":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def swap_cavities(self) -> "Params":
        """The same system with cavities 1 and 2 (and their parameters) exchanged."""
        return self.replace(Delta_1=self.Delta_2, Delta_2=self.Delta_1, kappa_1=self.kappa_2,
                            kappa_2=self.kappa_1, g_1=self.g_2, g_2=self.g_1)

    # -- views ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """Broadcast shape of array-valued fields (``()`` for a single point)."""
        return np.broadcast_shapes(*(np.shape(getattr(self, k)) for k in DIMENSIONS))

    def angular(self, key: str):
        """Field ``key`` in angular units (rad/s): ``2 pi`` times the stored Hz value."""
        return 2.0 * np.pi * np.asarray(getattr(self, key), dtype=float)

    def to_dict(self) -> dict:
        """Plain ``{key: value}`` with SI floats (lists for arrays) and the bath name."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            out[f.name] = v if isinstance(v, str) else np.asarray(v, dtype=float).tolist()
        return out

    @property
    def is_physical(self) -> bool:
        """True when the drive power P is given (G and Delta_m then follow from it)."""
        return self.P is not None

    def point(self, index) -> "Params":
        """The single parameter point at ``index`` of an array-valued parameter set."""
        shape = self.shape
        return self.replace(**{k: float(np.broadcast_to(getattr(self, k), shape)[index])
                               for k in DIMENSIONS})


def parse_value(key: str, raw: Any):
    """Parse one ``key=value`` input; raises :class:`ParameterError` with one sentence."""
    if key == "mech_bath":
        raw = str(raw).strip().lower()
        if raw not in MECH_BATHS:
            raise ParameterError(f"mech_bath must be one of {', '.join(MECH_BATHS)}, not {raw!r}")
        return raw
    if key in PHYSICAL_KEYS:
        try:
            return parse_quantity(raw, PHYSICAL_DIMENSIONS[key], key)
        except UnitError as exc:
            raise ParameterError(str(exc)) from None
    if key not in DIMENSIONS:
        raise ParameterError(f"unknown parameter {key!r}; known keys are "
                             f"{', '.join(list(DIMENSIONS) + ['mech_bath'] + list(PHYSICAL_KEYS))}")
    try:
        return parse_quantity(raw, DIMENSIONS[key], key)
    except UnitError as exc:
        raise ParameterError(str(exc)) from None


def _show(value):
    return value.item() if value.ndim == 0 else f"array with min {value.min():g}"


PAPER = Params(
    Delta_1=10e6, Delta_2=-10e6, Delta_m=9e6,
    kappa_1=1e6, kappa_2=1e6, kappa_m=1e6,
    g_1=3.8e6, g_2=3.8e6, G=4.5e6, G_0=0.3,
    omega_b=10e6, gamma_b=100.0, omega_m=10e9, T=20e-3,
    mech_bath="brownian",
)

#: named parameter sets; ``paper`` is the Fig. 2(a) optimum of the paper
PRESETS = {
    "paper": PAPER,
}
