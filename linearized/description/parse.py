"""Reading model files: TOML text to a validated :class:`~linearized.description.spec.ModelSpec`.

:func:`parse_model` checks every table and field (units, expressions, mode and coupling kinds)
and that the file's defaults build a model; :func:`load_model` takes a shipped model's name
(the files in ``models/``) or a path.  Errors are
:class:`~linearized.description.units.ParameterError` with one sentence.
"""
from __future__ import annotations

import keyword
import os
import re
import sys

from linearized.description.expressions import (_CONSTS, _FUNCS, DIMENSIONLESS, Dimension,
                                                dimension_of, expression_names)
from linearized.description.spec import (_ALIASES, COUPLINGS, YIG_FIELDS, Coupling, Mode,
                                         ModelSpec, Parameter, YigDrive, check_pair)
from linearized.description.system import System
from linearized.description.units import MECH_BATHS, ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from dataclasses import dataclass, fields, replace

#: unit symbol -> dimension (a unit string ends with one of these, after an SI prefix)
_DIMENSION_OF_UNIT = (("Hz", "frequency"), ("K", "temperature"), ("W", "power"),
                      ("m", "length"))
_PREFIXES = ("T", "G", "M", "k", "", "m", "u", "µ", "n", "p")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_HZ, _K = Dimension.of_unit("Hz"), Dimension.of_unit("K")
_FREQUENCY, _RATE = (_HZ, "a frequency"), (_HZ, "a rate")
_TEMPERATURE, _NUMBER = (_K, "a temperature"), (DIMENSIONLESS, "a dimensionless number")
_ANGLE = (DIMENSIONLESS, "an angle in radians")

#: the dimension each expression field of a mode or a coupling wants, by its name in the file
#: (a mechanical mode's ``frequency`` and ``damping`` are Mode.detuning and Mode.decay).  A
#: field of Mode or Coupling is checked, and listed by ``mwent models check``, once its name
#: is here; a name that neither has is never looked up.
WANTED = {
    "detuning": _FREQUENCY,
    "frequency": _FREQUENCY,
    "bath_frequency": _FREQUENCY,
    "decay": _RATE,
    "damping": _RATE,
    "rate": _RATE,
    "G_0": _RATE,
    "G": _RATE,
    "drive": _RATE,
    "temperature": _TEMPERATURE,
    "squeezing": _NUMBER,
    "squeezing_phase": _ANGLE,
    "phase": _ANGLE,
}
#: Mode attributes that a mechanical mode's file names otherwise
_MECHANICAL_NAME = {"detuning": "frequency", "decay": "damping"}

MODELS_DIR = os.path.join(os.path.dirname(__file__), "models")


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


@dataclass(frozen=True)
class FieldDimension:
    """One expression field of a model file: where it is, its expression, the dimension found
    and the one wanted (texts such as ``"Hz"``, ``"Hz^2"``, ``"dimensionless"``).  An
    expression of numbers alone (``detuning = 0``) is a value in SI units of whatever the
    field wants (``number``)."""
    where: str
    expression: str
    found: str
    wanted: str
    wanted_words: str
    number: bool = False

    @property
    def ok(self) -> bool:
        return self.found == self.wanted

    def refusal(self) -> str:
        return (f"{self.where} is {self.found} ({self.expression}), but {self.wanted_words} "
                f"is wanted ({self.wanted})")

    def to_dict(self) -> dict:
        return {"where": self.where, "expression": self.expression, "found": self.found,
                "wanted": self.wanted, "number": self.number}


def _expression_fields(modes, couplings):
    """``(where, file field name, expression)`` of every field of ``WANTED`` that is given."""
    for m in modes:
        for f in fields(m):
            name = _MECHANICAL_NAME.get(f.name, f.name) if m.mechanical else f.name
            if name in WANTED and getattr(m, f.name) is not None:
                yield f"mode {m.name!r} ({name})", name, getattr(m, f.name)
    for i, c in enumerate(couplings):
        for f in fields(c):
            if f.name in WANTED and getattr(c, f.name) is not None:
                yield f"coupling {i} ({c.kind}) {f.name}", f.name, getattr(c, f.name)


def _field_dimensions(modes, couplings, units: dict) -> tuple:
    out = []
    for where, name, expr in _expression_fields(modes, couplings):
        dim, words = WANTED[name]
        number = not expression_names(expr, where)
        found = dim if number else dimension_of(expr, units, where)
        out.append(FieldDimension(where, str(expr), str(found), str(dim), words, number))
    return tuple(out)


def field_dimensions(spec: ModelSpec) -> tuple:
    """:class:`FieldDimension` of every expression field of a parsed model, in file order."""
    return _field_dimensions(spec.modes, spec.couplings,
                             {p.name: p.unit for p in spec.parameters})


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
    allowed = {"name", "mechanical", "bath_frequency", "doc", "quadratures", "temperature"}
    allowed |= ({"frequency", "damping", "bath"} if mech else
                {"detuning", "decay", "squeezing", "squeezing_phase"})
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
    if "squeezing_phase" in table and "squeezing" not in table:
        raise ParameterError(f"{where}: squeezing_phase is the phase of a squeezed input; give "
                             f"its squeezing r too")
    opt = {f: (_expr_text(table[f]) if f in table else None)
           for f in ("temperature", "squeezing", "squeezing_phase")}
    return Mode(name, mech, _expr_text(det), _expr_text(decay), _expr_text(bf), bath,
                None if quad is None else tuple(quad), **opt)


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
        if "G_0" not in table and "G" not in table:
            raise ParameterError(f"{where} needs 'G_0' (the single-excitation rate) to solve "
                                 f"the mean field of its drive")
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
        yig = _yig(table.get("yig_drive"), where)
        if yig is not None and "G_0" not in table:
            raise ParameterError(f"{where} needs 'G_0' (the single-excitation rate) to solve "
                                 f"the mean field of the YIG drive")
        # G_0 may be left out in the effective form: the linearized theory needs only G (the
        # master equation then refuses, since it keeps the residue G_0 n_k q_l)
        g0 = _expr_text(table["G_0"]) if "G_0" in table else None
        return Coupling(kind, modes, None, g0, _expr_text(table["G"]), yig=yig)
    if kind == "dissipative":
        fields = {"kind", "modes", "rate", "phase", "bath_frequency", "temperature", "doc"}
        unknown = set(table) - fields
        if unknown:
            raise ParameterError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if ("bath_frequency" in table) != ("temperature" in table):
            raise ParameterError(f"{where}: a bath of its own needs both bath_frequency and "
                                 f"temperature (without them it shares the bath of mode "
                                 f"{modes[0]!r})")
        opt = {f: (_expr_text(table[f]) if f in table else None)
               for f in ("bath_frequency", "temperature")}
        return Coupling(kind, modes, _expr_text(_require(table, "rate", where)),
                        phase=_expr_text(table.get("phase", 0.0)), **opt)
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

    # every expression's dimension is what its field wants (after the names are checked, so
    # that an undeclared name is refused as such)
    for what, _, expr in _expression_fields(modes, couplings):
        check_expr(expr, what)
    for m in modes:
        if m.mechanical and m.bath not in MECH_BATHS and m.bath not in choice:
            raise ParameterError(f"mode {m.name!r}: bath must be brownian, lindblad or a "
                                 f"parameter holding one, not {m.bath!r}")
    for fd in _field_dimensions(modes, couplings, units):
        if not fd.ok:
            raise ParameterError(fd.refusal())
    for i, c in enumerate(couplings):
        for mn in c.modes:
            if mn not in names:
                raise ParameterError(f"coupling {i} ({c.kind}) names unknown mode {mn!r}; "
                                     f"modes are {', '.join(names)}")
        if len(set(c.modes)) != len(c.modes):
            raise ParameterError(f"coupling {i} ({c.kind}) names mode {c.modes[0]!r} twice")
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
    return replace(spec, path=None) if spec.name == name else replace(spec, name=name, path=None)
