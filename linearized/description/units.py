"""Parsing of physical quantities given as SI numbers or with unit suffixes.

Every parameter of the model has one physical dimension (frequency, temperature, power,
length, or none).  Values may be plain numbers, read as SI (Hz, K, W, m), or strings with a
unit suffix such as ``10MHz``, ``20mK``, ``6.3mW``, ``250um``.  Frequencies are ordinary
frequencies, i.e. the "X/2pi" values the paper quotes.
"""
from __future__ import annotations

import math
import re

_PREFIX = {"T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "": 1.0, "m": 1e-3, "u": 1e-6, "µ": 1e-6,
           "n": 1e-9, "p": 1e-12}
_BASE = {"frequency": "Hz", "temperature": "K", "power": "W", "length": "m"}

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµ]*)\s*$")


class UnitError(ValueError):
    """A value that cannot be read as a quantity of the required dimension."""


class ParameterError(ValueError):
    """Invalid parameter input; the message is one sentence meant for the user."""


#: the two models of a mechanical bath (docs/conventions.md): the seed paper's Brownian
#: damping of p alone, and the Lindblad form a master equation has
MECH_BATHS = ("brownian", "lindblad")


def format_quantity(value: float, unit: str) -> str:
    """``value`` (SI, in ``unit``) with an SI prefix from G to m: ``format_quantity(0.19,
    "K")`` is ``"190 mK"``, ``format_quantity(-6e6, "Hz")`` is ``"-6 MHz"``; a value below
    1e-3 in its plain unit (``"1e-17 W"``, not ``"1e-14 mW"``)."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m")):
        if abs(value) >= scale:
            return f"{value / scale:g} {prefix}{unit}".strip()
    return f"{value:g} {unit}".strip()


def parse_quantity(text: str | float | int, dimension: str, key: str = "value") -> float:
    """Return the SI value of ``text`` for a quantity of the given ``dimension``.

    ``dimension`` is one of ``frequency`` (Hz), ``temperature`` (K), ``power`` (W),
    ``length`` (m) or ``dimensionless``.  A bare number is taken as SI.  Raises
    :class:`UnitError` with a one-sentence message for anything else, including NaN and inf.
    """
    if isinstance(text, bool):
        raise UnitError(f"{key}: expected a number, got a boolean")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        match = _QUANTITY.match(str(text))
        if not match:
            raise UnitError(f"{key}: cannot read {text!r} as a number with an optional unit "
                            f"(e.g. 10MHz, 20mK)")
        value = float(match.group(1))
        unit = match.group(2)
        if unit:
            value *= _unit_factor(unit, dimension, key, text)
    if not math.isfinite(value):
        raise UnitError(f"{key}: value {text!r} is not a finite number")
    return value


def _unit_factor(unit: str, dimension: str, key: str, text) -> float:
    if dimension == "dimensionless":
        raise UnitError(f"{key}: {text!r} has a unit, but {key} is dimensionless")
    base = _BASE[dimension]
    if unit.endswith(base):
        prefix = unit[: -len(base)]
        if prefix in _PREFIX:
            return _PREFIX[prefix]
    raise UnitError(f"{key}: unit {unit!r} in {text!r} is not a {dimension} unit "
                    f"(expected {base} with an optional prefix n, u, m, k, M or G)")
