"""Models as data: the description of a linearizable bosonic network, as read from a TOML file.

A model file declares named **parameters** (with units), **modes** and **couplings** built from
them.  Both engines are derived from one description (:class:`linearized.description.system.System` for
the linearized drift and diffusion matrices, :mod:`qmodel.generic` for the displaced-frame
Hamiltonian and collapse operators of the master equation).

File format (every rate and frequency an ordinary frequency in Hz, the papers' "X/2pi")::

    name = "li2018"
    title = "one line"
    reference = "Li, Zhu & Agarwal, PRL 121, 203601 (2018)"
    pair = ["a", "b"]              # default pair for E_N and Duan (optional: first two modes)
    temperature = "T"              # the parameter holding the bath temperature (default "T")

    [parameters]                   # NAME = "VALUE UNIT" or {value = ..., unit = ..., doc = ...}
    Delta_a = "-10MHz"             # the unit fixes the dimension: Hz, K, W, m or none
    mech_bath = "brownian"         # a choice: brownian or lindblad

    [[modes]]                      # a field mode (cavity, magnon): drive-frame detuning,
    name = "a"                     # amplitude decay kappa (da/dt = -kappa a + sqrt(2 kappa) a_in),
    detuning = "Delta_a"           # and the frequency at which its bath's occupation is taken
    decay = "kappa_a"
    bath_frequency = "omega_a"

    [[modes]]                      # a mechanical mode: frequency, damping gamma, bath model
    name = "b"
    mechanical = true
    frequency = "omega_b"
    damping = "gamma_b"
    bath = "mech_bath"             # brownian, lindblad, or a parameter naming one

    [[couplings]]
    kind = "beam_splitter"         # see COUPLINGS below
    modes = ["a", "m"]
    rate = "g_ma"

Every field that takes a value takes an *expression*: a parameter name, a number (SI), or
arithmetic of them (``+ - * / **``, ``sqrt``, ``pi``), e.g. ``"0.9 * omega_b"``, of at most
``MAX_EXPRESSION`` characters, and real: a non-real value (``(-1)**0.5``), a division by zero
or an overflow is refused.  No parameter may be named ``pi``, ``sqrt`` or a Python keyword.

Couplings (``H`` is the coupling's Hamiltonian in the drive frame, operators of the modes):

* ``beam_splitter`` ``rate``: ``g (a^dag b + a b^dag)``;
* ``two_mode_squeezing`` ``rate``: ``g (a^dag b^dag + a b)``;
* ``squeezing`` (one mode) ``rate``: ``(s/2) (a^dag^2 + a^2)``;
* ``kerr`` (one mode) ``rate``: ``K (a^dag a)^2``;
* ``cross_kerr`` ``rate``: ``K a^dag a b^dag b``;
* ``radiation_pressure`` (alias ``magnetostrictive``), ``modes = [k, l]``: ``G_0 n_k q_l``
  (``q = (b + b^dag)/sqrt2``) with a classical drive on mode k, given in the effective form:
  ``G_0`` (the single-excitation rate, signed) and ``G`` (the linearized rate
  ``sqrt2 |G_0| |<k>|``, >= 0), mode k's ``detuning`` then being the *effective* one (mean
  field shift included), as the papers do.  The mean field is taken as
  ``<k> = -i sign(G_0) |<k>|``, so the linear part is always ``-G q_l y_k`` (the sign of the
  seed paper's Eq. (6)).  Or in the physical form: ``drive`` (``E`` of the drive term
  ``i E (k^dag - k)``, Hz, real), mode k's ``detuning`` then being the *bare* one; the mean
  field is solved (:mod:`linearized.description.drive`: every branch, with its stability) and G and the
  effective detuning follow from the chosen branch (``--branch``).

Kerr and cross-Kerr terms need the mean field of their modes: that of a driven mode, or zero
for a mode coupled to no driven mode; other cases are refused.

Errors are :class:`linearized.description.units.ParameterError` with one sentence.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping

from linearized.description.expressions import expression_names
from linearized.description.physical import kerr_coefficient
from linearized.description.units import MECH_BATHS, ParameterError, UnitError, parse_quantity

#: coupling kinds -> number of modes they take
COUPLINGS = {"beam_splitter": 2, "two_mode_squeezing": 2, "squeezing": 1, "kerr": 1,
             "cross_kerr": 2, "radiation_pressure": 2, "dissipative": 2}
_ALIASES = {"magnetostrictive": "radiation_pressure", "bs": "beam_splitter",
            "tms": "two_mode_squeezing", "single_mode_squeezing": "squeezing"}


@dataclass(frozen=True)
class Parameter:
    """A declared parameter: ``default`` in SI units (a string for a choice), its
    ``dimension`` (``frequency``, ``temperature``, ``power``, ``length``, ``dimensionless``
    or ``choice``) and ``unit`` (``Hz``, ``K``, ``W``, ``m`` or ``""``)."""
    name: str
    default: Any
    dimension: str
    unit: str
    doc: str = ""

    def parse(self, raw) -> Any:
        """An input value (SI number or string with a unit) for this parameter."""
        if self.dimension == "choice":
            value = str(raw).strip().lower()
            if value not in MECH_BATHS:
                raise ParameterError(f"{self.name} must be one of {', '.join(MECH_BATHS)}, "
                                     f"not {raw!r}")
            return value
        try:
            return parse_quantity(raw, self.dimension, self.name)
        except UnitError as exc:
            raise ParameterError(str(exc)) from None


@dataclass(frozen=True)
class Mode:
    """One bosonic mode.  Field modes: ``detuning`` (drive frame), ``decay`` (amplitude kappa);
    mechanical modes: ``frequency``, ``damping`` (gamma) and ``bath``.  ``bath_frequency``:
    where the bath's thermal occupation is taken (mechanics: its frequency by default)."""
    name: str
    mechanical: bool
    detuning: str
    decay: str
    bath_frequency: str
    bath: str | None = None
    #: names of its two quadratures (default ``X_name, Y_name``; mechanical ``x_name, p_name``)
    quadratures: tuple | None = None
    #: its bath's temperature (K), if not the model's ``temperature``
    temperature: str | None = None
    #: a field mode's squeezed input: ``r >= 0`` and its phase ``phi`` (rad), or None
    squeezing: str | None = None
    squeezing_phase: str | None = None


@dataclass(frozen=True)
class Coupling:
    """One coupling term (see the module doc): ``kind``, ``modes`` and the expressions
    ``rate`` (or ``G_0`` and ``G`` for ``radiation_pressure``)."""
    kind: str
    modes: tuple
    rate: str | None = None
    G_0: str | None = None
    G: str | None = None
    drive: str | None = None
    #: the physical form of a YIG sphere's drive (``[couplings.yig_drive]``), or None
    yig: "YigDrive | None" = None
    #: a ``dissipative`` coupling's phase theta (rad) and, optionally, its own bath
    phase: str | None = None
    bath_frequency: str | None = None
    temperature: str | None = None


#: fields of ``[couplings.yig_drive]``: parameter names (power W, diameter m, bare detuning
#: Hz; optional: the Kerr parameter that accepts the value ``yig``)
YIG_FIELDS = ("power", "diameter", "bare_detuning", "kerr")


@dataclass(frozen=True)
class YigDrive:
    """A microwave drive of power ``power`` on a YIG sphere of diameter ``diameter`` (names of
    parameters; constants and formulas in :mod:`linearized.description.physical`).  Used when the power
    parameter has a value: the coupling then takes the physical form, ``drive`` being the Rabi
    frequency of the sphere and the driven mode's detuning ``bare_detuning``; without it the
    effective form (``G`` and the mode's effective detuning) holds.  ``kerr`` names the Kerr
    parameter for which the value ``yig`` means the literature coefficient of the sphere."""
    power: str
    diameter: str
    bare_detuning: str
    kerr: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A parsed, validated model description (see the module doc for the file format)."""
    name: str
    title: str
    reference: str
    parameters: tuple
    modes: tuple
    couplings: tuple
    pair: tuple
    temperature: str
    source: str = field(default="", repr=False)
    path: str | None = None

    @property
    def mode_names(self) -> tuple:
        return tuple(m.name for m in self.modes)

    @property
    def parameter(self) -> dict:
        return {p.name: p for p in self.parameters}

    @property
    def hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the file's text: which description was used."""
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.parameters}

    def values(self, changes: Mapping[str, Any] | None = None) -> dict:
        """Parameter values (SI): the defaults updated by ``changes`` (raw inputs, parsed)."""
        out = self.defaults()
        known = self.parameter
        yig = []
        for key, raw in (changes or {}).items():
            if key not in known:
                raise ParameterError(f"unknown parameter {key!r} for model {self.name}; its "
                                     f"parameters are {', '.join(known)}")
            if isinstance(raw, str) and raw.strip().lower() == "yig":
                yig.append(key)
                continue
            numeric = not isinstance(raw, (str, bool)) and known[key].dimension != "choice"
            out[key] = raw if numeric else known[key].parse(raw)
        for key in yig:
            out[key] = self._yig_kerr(key, out)
        return out

    def _yig_kerr(self, key: str, values: dict) -> float:
        """``KEY = yig``: the literature Kerr coefficient of the YIG sphere whose diameter the
        model's ``yig_drive`` names (:func:`linearized.description.physical.kerr_coefficient`)."""
        drives = [c.yig for c in self.couplings if c.yig is not None and c.yig.kerr == key]
        if not drives:
            raise ParameterError(f"{key} = yig takes the Kerr coefficient of a YIG sphere; "
                                 f"model {self.name} names no sphere whose Kerr parameter is "
                                 f"{key}")
        d = values.get(drives[0].diameter)
        if d is None:
            raise ParameterError(f"{key} = yig scales the literature Kerr coefficient to the "
                                 f"sphere; give its diameter too (e.g. --set "
                                 f"{drives[0].diameter}=250um)")
        if not d > 0:
            raise ParameterError(f"the sphere diameter {drives[0].diameter} must be positive")
        return kerr_coefficient(float(d))

    def drive_parameters(self, given=(), axes=()) -> tuple:
        """The parameters of a physical drive in use: every one of a ``drive = E`` coupling,
        and those of a YIG drive whose power has a value (a default, ``given``, or swept in
        ``axes``).  Empty when every driven mode is in the effective form."""
        out = []
        for c in self.couplings:
            if c.drive is not None:
                out += sorted(expression_names(c.drive, "drive"))
            if c.yig is not None and (c.yig.power in given or c.yig.power in axes or
                                      self.parameter[c.yig.power].default is not None):
                out += [c.yig.power, c.yig.diameter, c.yig.bare_detuning]
        return tuple(out)

    def pair_index(self, pair=None) -> tuple:
        """Indices of a pair of mode names (default: the model's pair)."""
        names = self.mode_names
        pair = tuple(self.pair if pair is None else pair)
        return tuple(names.index(p) for p in check_pair(pair, names))

    def to_dict(self) -> dict:
        return {"name": self.name, "hash": self.hash, "title": self.title,
                "reference": self.reference, "path": self.path}


def check_pair(pair, names) -> tuple:
    """A pair of distinct known mode names (raises ParameterError otherwise)."""
    pair = tuple(pair)
    if len(pair) != 2:
        raise ParameterError(f"a pair names two modes, got {list(pair)}")
    for p in pair:
        if p not in names:
            raise ParameterError(f"unknown mode {p!r} in the pair; modes are {', '.join(names)}")
    if pair[0] == pair[1]:
        raise ParameterError(f"the pair names mode {pair[0]!r} twice")
    return pair

