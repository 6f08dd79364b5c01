"""Expressions of a model file: arithmetic of parameter names and numbers, always real.

Every field of a model file that takes a value takes an expression: a parameter name, a number
(SI), or arithmetic of them (``+ - * / **``, ``sqrt``, ``pi``), of at most ``MAX_EXPRESSION``
characters.  :func:`evaluate` gives its value (floats or NumPy arrays) and refuses, with one
sentence, anything that is not a finite real number.  :func:`dimension_of` gives its physical
dimension (:class:`Dimension`, exponents of Hz, K, W and m) from the units its parameters are
declared in, and refuses a sum of unlike dimensions.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from linearized.description.units import ParameterError

_FUNCS = {"sqrt": math.sqrt}
_CONSTS = {"pi": math.pi}
#: longest expression accepted (characters): far beyond any rate a model needs, and short
#: enough that parsing and evaluating it stay well inside Python's recursion limit (a sum of
#: N terms nests N deep)
MAX_EXPRESSION = 1000


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


# -- dimensions --------------------------------------------------------------------------------

#: the base units a parameter may be declared in (units.py reads their SI prefixes)
BASE_UNITS = ("Hz", "K", "W", "m")


@dataclass(frozen=True)
class Dimension:
    """A physical dimension: one exponent per base unit (:data:`BASE_UNITS`), all zero for a
    dimensionless value.  Exponents are fractions because ``sqrt`` halves them on the way
    (``sqrt(omega_a * omega_b)``); a field wants whole exponents, so ``sqrt(omega)`` (Hz^0.5)
    only fails when it is compared with what the field wants."""
    exponents: tuple = (Fraction(0),) * len(BASE_UNITS)

    @classmethod
    def of_unit(cls, unit: str) -> "Dimension":
        """The dimension of a parameter declared in ``unit`` (a base unit or ``""``)."""
        if unit == "":
            return DIMENSIONLESS
        return cls(tuple(Fraction(int(u == unit)) for u in BASE_UNITS))

    def __mul__(self, other: "Dimension") -> "Dimension":
        return Dimension(tuple(a + b for a, b in zip(self.exponents, other.exponents)))

    def __truediv__(self, other: "Dimension") -> "Dimension":
        return Dimension(tuple(a - b for a, b in zip(self.exponents, other.exponents)))

    def __pow__(self, power: Fraction) -> "Dimension":
        return Dimension(tuple(a * power for a in self.exponents))

    @property
    def dimensionless(self) -> bool:
        return not any(self.exponents)

    def __str__(self) -> str:
        if self.dimensionless:
            return "dimensionless"
        return "*".join(unit + _exponent_text(e)
                        for unit, e in zip(BASE_UNITS, self.exponents) if e)


DIMENSIONLESS = Dimension()


def _exponent_text(e: Fraction) -> str:
    if e == 1:
        return ""
    if e.denominator == 1:
        return f"^{e.numerator}"
    if e.denominator == 2:          # what sqrt leaves: Hz^0.5, Hz^-1.5
        return f"^{float(e):g}"
    return f"^({e.numerator}/{e.denominator})"


def _said(d: Dimension) -> str:
    return "a dimensionless value" if d.dimensionless else str(d)


def dimension_of(expr, param_units: Mapping[str, str], where: str = "expression") -> Dimension:
    """Physical dimension of ``expr`` whose parameters are declared in ``param_units``
    (name -> ``"Hz"``, ``"K"``, ``"W"``, ``"m"`` or ``""``).

    Numbers and ``pi`` are dimensionless; products add exponents, quotients subtract them,
    ``sqrt`` halves them, and ``x ** n`` multiplies them by n, which must then be a number (an
    expression of numbers, ``x**2``, ``x**-1``, ``x**(1/2)``) unless x is dimensionless.
    ``+`` and ``-`` need the same dimension on both sides.  Refusals are one sentence
    (ParameterError), beginning with ``where``.
    """
    tree = _parse_expr(expr, where)
    text = expr if isinstance(expr, str) else repr(float(expr))

    def refuse(why):
        return ParameterError(f"{where}: {text!r} {why}")

    def dim(node) -> Dimension:
        if isinstance(node, ast.Expression):
            return dim(node.body)
        if isinstance(node, ast.Constant):
            return DIMENSIONLESS
        if isinstance(node, ast.Name):
            if node.id in _CONSTS:
                return DIMENSIONLESS
            if node.id not in param_units:
                raise ParameterError(f"{where}: unknown parameter {node.id!r}")
            unit = param_units[node.id]
            if unit not in BASE_UNITS and unit != "":
                raise refuse(f"uses {node.id!r}, declared in {unit!r}, which is not one of "
                             f"{', '.join(BASE_UNITS)} or none")
            return Dimension.of_unit(unit)
        if isinstance(node, ast.UnaryOp):
            return dim(node.operand)
        if isinstance(node, ast.Call):           # sqrt, the only function
            return dim(node.args[0]) ** Fraction(1, 2)
        a, b = dim(node.left), dim(node.right)
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            if a != b:
                raise refuse(f"adds {_said(b)} to {_said(a)}" if isinstance(op, ast.Add)
                             else f"subtracts {_said(b)} from {_said(a)}")
            return a
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            return a / b
        if not b.dimensionless:
            raise refuse(f"raises {_said(a)} to a power that is {b}; an exponent is a "
                         f"dimensionless number")
        if a.dimensionless:
            return a
        return a ** power(node.right, a)

    def power(node, base) -> Fraction:
        # a dimensioned base needs a known exponent: its dimension depends on the value
        if _names(node):
            raise refuse(f"raises {base} to a power that uses parameters, so its dimension "
                         f"is not fixed; give the exponent as a number (e.g. x**2)")
        n = float(evaluate(ast.unparse(node), {}, where))
        # the nearest simple fraction: 1/3 written as a decimal is the cube root
        return Fraction(n).limit_denominator(1000)

    try:
        return dim(tree)
    except RecursionError:
        raise _too_long(text, where) from None
