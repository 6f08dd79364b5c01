"""Models as data: a TOML description of a linearizable bosonic network.

A model file declares named **parameters** (with units), **modes** and **couplings** built from
them.  Both engines are derived from one description (:class:`linearized.system.System` for
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
  field is solved (:mod:`linearized.drive`: every branch, with its stability) and G and the
  effective detuning follow from the chosen branch (``--branch``).

Kerr and cross-Kerr terms need the mean field of their modes: that of a driven mode, or zero
for a mode coupled to no driven mode; other cases are refused.

Errors are :class:`linearized.units.ParameterError` with one sentence.
"""
from __future__ import annotations

import ast
import hashlib
import keyword
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Mapping

from .units import MECH_BATHS, ParameterError
from .system import System
from .units import UnitError, parse_quantity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: coupling kinds -> number of modes they take
COUPLINGS = {"beam_splitter": 2, "two_mode_squeezing": 2, "squeezing": 1, "kerr": 1,
             "cross_kerr": 2, "radiation_pressure": 2}
_ALIASES = {"magnetostrictive": "radiation_pressure", "bs": "beam_splitter",
            "tms": "two_mode_squeezing", "single_mode_squeezing": "squeezing"}
#: unit symbol -> dimension (a unit string ends with one of these, after an SI prefix)
_DIMENSION_OF_UNIT = (("Hz", "frequency"), ("K", "temperature"), ("W", "power"),
                      ("m", "length"))
_PREFIXES = ("T", "G", "M", "k", "", "m", "u", "µ", "n", "p")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FUNCS = {"sqrt": math.sqrt}
_CONSTS = {"pi": math.pi}
#: longest expression accepted (characters): far beyond any rate a model needs, and short
#: enough that parsing and evaluating it stay well inside Python's recursion limit (a sum of
#: N terms nests N deep)
MAX_EXPRESSION = 1000

MODELS_DIR = os.path.join(os.path.dirname(__file__), "models")


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


#: fields of ``[couplings.yig_drive]``: parameter names (power W, diameter m, bare detuning
#: Hz; optional: the Kerr parameter that accepts the value ``yig``)
YIG_FIELDS = ("power", "diameter", "bare_detuning", "kerr")


@dataclass(frozen=True)
class YigDrive:
    """A microwave drive of power ``power`` on a YIG sphere of diameter ``diameter`` (names of
    parameters; constants and formulas in :mod:`linearized.physical`).  Used when the power
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
        model's ``yig_drive`` names (:func:`linearized.physical.kerr_coefficient`)."""
        from .physical import kerr_coefficient
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

    def evaluate(self, expr, values: Mapping[str, Any], where: str = "expression"):
        """Value of one of this model's expressions (:func:`evaluate`).  A method, so that
        :mod:`linearized.system`, which this module imports to check a file's defaults, does not
        import this module back."""
        return evaluate(expr, values, where)


# -- expressions --------------------------------------------------------------------------------

def expression_names(expr: str, where: str) -> set:
    """Names used by an expression (raises for anything but arithmetic of names/numbers)."""
    return _names(_parse_expr(expr, where))


def _names(tree) -> set:
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id not in _FUNCS and node.id not in _CONSTS}


def _parse_expr(expr, where):
    if isinstance(expr, bool):
        raise ParameterError(f"{where}: expected a number or an expression, got a boolean")
    if isinstance(expr, (int, float)):
        expr = repr(float(expr))
    if not isinstance(expr, str) or not expr.strip():
        raise ParameterError(f"{where}: expected a parameter name, number or expression, "
                             f"got {expr!r}")
    if len(expr) > MAX_EXPRESSION:
        raise _too_long(expr, where)
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError):
        raise ParameterError(f"{where}: cannot read {expr!r} as an expression") from None
    except (RecursionError, MemoryError):
        raise _too_long(expr, where) from None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
               ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd, ast.Call)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ParameterError(f"{where}: {expr!r} may only use parameter names, numbers, "
                                 f"+ - * / **, sqrt and pi")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                               and node.func.id in _FUNCS
                                               and len(node.args) == 1 and not node.keywords):
            raise ParameterError(f"{where}: {expr!r} calls something other than sqrt(x)")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ParameterError(f"{where}: {expr!r} holds a non-numeric constant")
    return tree


def _too_long(expr, where) -> ParameterError:
    if len(expr) > MAX_EXPRESSION:
        return ParameterError(f"{where}: the expression is {len(expr)} characters long, more "
                              f"than the {MAX_EXPRESSION} an expression may have (give a long "
                              f"sum a parameter of its own)")
    return ParameterError(f"{where}: {expr!r} is nested too deeply to evaluate")


def evaluate(expr, values: Mapping[str, Any], where: str = "expression"):
    """Value of ``expr`` with the parameter ``values`` (floats or NumPy arrays).

    Every value is real: a negative number to a non-integer power, the square root of a
    negative number, a division by zero and an overflow are refused (ParameterError, one
    sentence), rather than turned into a complex number whose imaginary part a caller would
    drop, or into an exception with no sentence.
    """
    import numpy as np
    tree = _parse_expr(expr, where)

    def refuse(why):
        return ParameterError(f"{where}: {expr!r} {why}")

    # each says "not a finite number", the words of System.build's check on the values
    zero = "divides by zero, so it is not a finite number"
    overflow = ("is not a finite number: it overflows (beyond the largest floating-point "
                "number, about 1.8e308)")

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id in _CONSTS:
                return _CONSTS[node.id]
            if node.id not in values:
                raise ParameterError(f"{where}: unknown parameter {node.id!r}")
            return values[node.id]
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Call):
            v = ev(node.args[0])
            if np.any(np.asarray(v) < 0):
                raise refuse("takes the square root of a negative number, which is not "
                             "real")
            return np.sqrt(v)
        a, b = ev(node.left), ev(node.right)
        op = node.op
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            if np.any(np.asarray(b) == 0):
                raise refuse(zero)
            return a / b
        if np.any((np.asarray(a) < 0) & (np.asarray(b) != np.round(b))):
            raise refuse("raises a negative number to a non-integer power, which is not "
                         "real")
        return a ** b
    with np.errstate(all="ignore"):
        try:
            value = ev(tree)
        except ZeroDivisionError:
            raise refuse(zero) from None
        except OverflowError:
            raise refuse(overflow) from None
        except RecursionError:
            raise _too_long(expr, where) from None
    used = [values[n] for n in _names(tree)]
    if not np.all(np.isfinite(value)) and all(np.all(np.isfinite(v)) for v in used):
        # finite inputs, no division by zero, nothing non-real: only an overflow is left
        # (1e300 * 1e300 is inf without an exception); a non-finite input is the caller's
        # to refuse
        raise refuse(overflow)
    return value


# -- parsing ------------------------------------------------------------------------------------

def _dimension(text: str, name: str) -> tuple:
    """``(dimension, unit)`` from a value string's unit suffix."""
    m = re.match(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*([A-Za-zµ]*)\s*$", text)
    if not m:
        raise ParameterError(f"parameter {name}: cannot read {text!r} as a number with a unit "
                             f"(e.g. \"10MHz\", \"20mK\")")
    unit = m.group(1)
    if not unit:
        return "dimensionless", ""
    for base, dim in _DIMENSION_OF_UNIT:
        if unit.endswith(base) and unit[: -len(base)] in _PREFIXES:
            return dim, base
    raise ParameterError(f"parameter {name}: unit {unit!r} is not one of Hz, K, W, m (with an "
                         f"optional prefix)")


def _parameter(name: str, decl) -> Parameter:
    if not _NAME.match(name):
        raise ParameterError(f"parameter name {name!r} is not an identifier")
    if name in _CONSTS or name in _FUNCS or keyword.iskeyword(name):
        # an expression reads the name as the constant, the function or Python syntax, never
        # as this parameter (a parameter pi was silently the constant 3.14159...)
        what = (f"would be read as the constant {name} in every expression" if name in _CONSTS
                else f"would be read as the function {name}(x) in every expression"
                if name in _FUNCS else "is a reserved word that no expression can use")
        raise ParameterError(f"parameter name {name!r} {what}; choose another name")
    doc = ""
    unit = None
    if isinstance(decl, dict):
        unknown = set(decl) - {"value", "unit", "doc"}
        if unknown or ("value" not in decl and "unit" not in decl):
            raise ParameterError(f"parameter {name}: a table needs 'value' (and may have "
                                 f"'unit', 'doc'), or 'unit' alone for a parameter without "
                                 f"a default, got {sorted(decl)}")
        if "value" not in decl:         # no default: given only when asked for (e.g. P)
            unit = decl["unit"]
            dims = dict(_DIMENSION_OF_UNIT)
            if unit not in dims and unit != "":
                raise ParameterError(f"parameter {name}: unit must be Hz, K, W, m or \"\", "
                                     f"not {unit!r}")
            return Parameter(name, None, dims.get(unit, "dimensionless"), unit,
                             str(decl.get("doc", "")))
        doc, unit, decl = str(decl.get("doc", "")), decl.get("unit"), decl["value"]
    if isinstance(decl, str) and decl.strip().lower() in MECH_BATHS:
        return Parameter(name, decl.strip().lower(), "choice", "", doc)
    if isinstance(decl, bool) or not isinstance(decl, (str, int, float)):
        raise ParameterError(f"parameter {name}: expected a value like \"10MHz\", got {decl!r}")
    if unit is not None:
        dims = dict((u, d) for u, d in _DIMENSION_OF_UNIT)
        if unit not in dims and unit != "":
            raise ParameterError(f"parameter {name}: unit must be Hz, K, W, m or \"\", "
                                 f"not {unit!r}")
        dim = dims.get(unit, "dimensionless")
        text = decl if isinstance(decl, str) else None
        if text is not None and _dimension(text, name)[1] not in ("", unit):
            raise ParameterError(f"parameter {name}: value {text!r} does not carry unit {unit}")
    elif isinstance(decl, str):
        dim, unit = _dimension(decl, name)
    else:
        dim, unit = "dimensionless", ""
    p = Parameter(name, None, dim, unit, doc)
    value = p.parse(decl)
    return Parameter(name, value, dim, unit, doc)


def _require(table, key, where):
    if key not in table:
        raise ParameterError(f"{where} needs '{key}'")
    return table[key]


def _mode(table, index) -> Mode:
    if not isinstance(table, dict):
        raise ParameterError(f"modes[{index}] must be a table")
    name = _require(table, "name", f"modes[{index}]")
    where = f"mode {name!r}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(f"modes[{index}]: name {name!r} is not an identifier")
    mech = bool(table.get("mechanical", False))
    allowed = {"name", "mechanical", "bath_frequency", "doc", "quadratures"}
    allowed |= {"frequency", "damping", "bath"} if mech else {"detuning", "decay"}
    unknown = set(table) - allowed
    if unknown:
        raise ParameterError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} (a "
                             f"{'mechanical' if mech else 'field'} mode takes "
                             f"{', '.join(sorted(allowed - {'name'}))})")
    if mech:
        det = _require(table, "frequency", where)
        decay = _require(table, "damping", where)
        bath = str(table.get("bath", "brownian"))
        bf = table.get("bath_frequency", det)
    else:
        det = _require(table, "detuning", where)
        decay = _require(table, "decay", where)
        bath = None
        bf = _require(table, "bath_frequency", where)
    quad = table.get("quadratures")
    if quad is not None and (not isinstance(quad, list) or len(quad) != 2 or
                             not all(isinstance(q, str) and q for q in quad)):
        raise ParameterError(f"{where}: quadratures names its two quadratures, e.g. "
                             f"[\"X1\", \"Y1\"]")
    return Mode(name, mech, _expr_text(det), _expr_text(decay), _expr_text(bf), bath,
                None if quad is None else tuple(quad))


def _expr_text(x):
    return repr(float(x)) if isinstance(x, (int, float)) and not isinstance(x, bool) else x


def _coupling(table, index) -> Coupling:
    if not isinstance(table, dict):
        raise ParameterError(f"couplings[{index}] must be a table")
    kind = str(_require(table, "kind", f"couplings[{index}]")).strip().lower()
    kind = _ALIASES.get(kind, kind)
    where = f"coupling {index} ({kind})"
    if kind not in COUPLINGS:
        raise ParameterError(f"couplings[{index}]: unknown kind {kind!r}; known kinds are "
                             f"{', '.join(COUPLINGS)}")
    modes = table.get("modes", table.get("mode"))
    modes = (modes,) if isinstance(modes, str) else tuple(modes or ())
    if len(modes) != COUPLINGS[kind]:
        raise ParameterError(f"{where} takes {COUPLINGS[kind]} mode(s), got {list(modes)}")
    if kind == "radiation_pressure":
        unknown = set(table) - {"kind", "modes", "G_0", "G", "drive", "yig_drive", "doc"}
        if unknown:
            raise ParameterError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if "G_0" not in table:
            raise ParameterError(f"{where} needs 'G_0' (the single-excitation rate)")
        if ("G" in table) == ("drive" in table):
            raise ParameterError(f"{where} has {'no' if 'G' not in table else 'two'} drive"
                                 f"{'' if 'G' not in table else 's'}: give either 'G', the "
                                 f"linearized rate sqrt2 |G_0| |<{modes[0]}>| of the driven "
                                 f"mode, or 'drive', the amplitude E of i E "
                                 f"({modes[0]}^dag - {modes[0]})")
        if "drive" in table:
            if "yig_drive" in table:
                raise ParameterError(f"{where}: yig_drive is the physical form of a coupling "
                                     f"given with its effective G; with 'drive' give one "
                                     f"physical form only")
            return Coupling(kind, modes, None, _expr_text(table["G_0"]), None,
                            _expr_text(table["drive"]))
        return Coupling(kind, modes, None, _expr_text(table["G_0"]), _expr_text(table["G"]),
                        yig=_yig(table.get("yig_drive"), where))
    unknown = set(table) - {"kind", "modes", "mode", "rate", "doc"}
    if unknown:
        raise ParameterError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return Coupling(kind, modes, _expr_text(_require(table, "rate", where)))


def _yig(table, where):
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ParameterError(f"{where}: yig_drive must be a table")
    unknown = set(table) - set(YIG_FIELDS)
    missing = set(YIG_FIELDS[:3]) - set(table)
    if unknown or missing:
        raise ParameterError(f"{where}: yig_drive names the parameters power, diameter and "
                             f"bare_detuning (and optionally kerr), got {sorted(table)}")
    return YigDrive(*(str(table[f]) if f in table else None for f in YIG_FIELDS))


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


def parse_model(text: str, path: str | None = None) -> ModelSpec:
    """Parse and validate a model description (TOML text)."""
    where = path or "the model description"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{where} is not valid TOML ({exc})") from None
    unknown = set(doc) - {"name", "title", "reference", "pair", "temperature", "parameters",
                          "modes", "couplings", "doc"}
    if unknown:
        raise ParameterError(f"{where}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    name = str(doc.get("name") or (os.path.splitext(os.path.basename(path))[0] if path
                                   else "model"))
    params = tuple(_parameter(k, v) for k, v in dict(doc.get("parameters", {})).items())
    pnames = {p.name for p in params}
    modes = tuple(_mode(t, i) for i, t in enumerate(doc.get("modes", [])))
    if not modes:
        raise ParameterError(f"{where} declares no modes")
    names = [m.name for m in modes]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ParameterError(f"{where}: mode {sorted(dup)[0]!r} is declared twice")
    couplings = tuple(_coupling(t, i) for i, t in enumerate(doc.get("couplings", [])))
    temperature = str(doc.get("temperature", "T"))
    if temperature not in pnames:
        raise ParameterError(f"{where}: the temperature parameter {temperature!r} is not "
                             f"declared under [parameters]")
    choice = {p.name for p in params if p.dimension == "choice"}
    optional = {p.name for p in params if p.default is None}

    def check_expr(expr, what):
        for n in expression_names(expr, what):
            if n not in pnames:
                raise ParameterError(f"{what} uses {n!r}, which is not a declared parameter")
            if n in choice:
                raise ParameterError(f"{what} uses the choice parameter {n!r} as a number")
            if n in optional:
                raise ParameterError(f"{what} uses {n!r}, which has no default value")

    units = {p.name: p.unit for p in params}
    if units[temperature] != "K":
        raise ParameterError(f"{where}: the temperature parameter {temperature!r} must be in K "
                             f"(it is declared in {units[temperature] or 'no unit'})")

    def check_rate(expr, what):
        """A frequency-valued field may use Hz and dimensionless parameters only."""
        check_expr(expr, what)
        for n in expression_names(expr, what):
            if units[n] not in ("Hz", ""):
                raise ParameterError(f"{what} is a frequency but uses {n!r}, declared in "
                                     f"{units[n]}")

    for m in modes:
        for f in ("detuning", "decay", "bath_frequency"):
            label = ("frequency" if m.mechanical and f == "detuning" else
                     "damping" if m.mechanical and f == "decay" else f)
            check_rate(getattr(m, f), f"mode {m.name!r} ({label})")
        if m.mechanical and m.bath not in MECH_BATHS and m.bath not in choice:
            raise ParameterError(f"mode {m.name!r}: bath must be brownian, lindblad or a "
                                 f"parameter holding one, not {m.bath!r}")
    for i, c in enumerate(couplings):
        for mn in c.modes:
            if mn not in names:
                raise ParameterError(f"coupling {i} ({c.kind}) names unknown mode {mn!r}; "
                                     f"modes are {', '.join(names)}")
        if len(set(c.modes)) != len(c.modes):
            raise ParameterError(f"coupling {i} ({c.kind}) names mode {c.modes[0]!r} twice")
        for f in ("rate", "G_0", "G", "drive"):
            if getattr(c, f) is not None:
                check_rate(getattr(c, f), f"coupling {i} ({c.kind}) {f}")
        if c.yig is not None:
            for f, unit in zip(YIG_FIELDS, ("W", "m", "Hz", "Hz")):
                n = getattr(c.yig, f)
                if n is not None and (n not in pnames or units[n] != unit):
                    raise ParameterError(f"coupling {i} ({c.kind}) yig_drive: {f} must name "
                                         f"a parameter declared in {unit}, not {n!r}")
        if c.kind == "radiation_pressure":
            k, l = (modes[names.index(x)] for x in c.modes)
            if k.mechanical or not l.mechanical:
                raise ParameterError(f"coupling {i} (radiation_pressure) couples the number of "
                                     f"a field mode to the position of a mechanical one: "
                                     f"modes = [field, mechanical], got {list(c.modes)}")
    pair = tuple(doc.get("pair", names[:2]))
    if len(names) < 2:
        raise ParameterError(f"{where} needs at least two modes (entanglement is between a pair)")
    check_pair(pair, names)
    spec = ModelSpec(name, str(doc.get("title", "")), str(doc.get("reference", "")), params,
                     modes, couplings, pair, temperature, text, path)
    # values-level checks need the defaults: rates positive, nothing uncoupled and undamped.
    # A physical drive is resolved to an explicitly chosen branch, which need not be stable:
    # whether the defaults have a (unique) stable steady state is the solving command's
    # question, and a --set may change the answer
    System.build(spec, spec.defaults(), branch="lowest")
    return spec


def shipped_models() -> dict:
    """``{name: path}`` of the model files inside the package."""
    out = {}
    for f in sorted(os.listdir(MODELS_DIR)):
        if f.endswith(".toml"):
            out[f[:-5]] = os.path.join(MODELS_DIR, f)
    return out


def load_model(name_or_path: str) -> ModelSpec:
    """A shipped model by name, or a model file by path."""
    shipped = shipped_models()
    if name_or_path in shipped:
        path = shipped[name_or_path]
    elif name_or_path.endswith(".toml") or os.sep in name_or_path:
        path = name_or_path
    else:
        raise ParameterError(f"unknown model {name_or_path!r}; shipped models are "
                             f"{', '.join(shipped)} (or give a FILE.toml)")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ParameterError(f"model file {path} does not exist") from None
    except OSError as exc:
        raise ParameterError(f"model file {path} cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParameterError(f"model file {path} is not UTF-8 text") from None
    return parse_model(text, path if name_or_path not in shipped else None) \
        if name_or_path not in shipped else _named(parse_model(text, path), name_or_path)


def _named(spec: ModelSpec, name: str) -> ModelSpec:
    from dataclasses import replace
    return replace(spec, path=None) if spec.name == name else replace(spec, name=name, path=None)
