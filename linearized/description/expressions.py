"""Expressions of a model file: arithmetic of parameter names and numbers, always real.

Every field of a model file that takes a value takes an expression: a parameter name, a number
(SI), or arithmetic of them (``+ - * / **``, ``sqrt``, ``pi``), of at most ``MAX_EXPRESSION``
characters.  :func:`evaluate` gives its value (floats or NumPy arrays) and refuses, with one
sentence, anything that is not a finite real number.
"""
from __future__ import annotations

import ast
import math
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
