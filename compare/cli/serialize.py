"""Strict JSON for the command line: one object on stdout, no NaN, no NumPy types.

A non-finite number is never printed as a number: it becomes ``null`` and its path is listed
under ``"non_finite"`` with the reason, so that a reader cannot mistake it for a value.
"""
from __future__ import annotations

import json
import math

import numpy as np


def strict(obj, path: str = "", undefined: dict | None = None):
    """``obj`` made acceptable to a strict JSON parser: NumPy scalars and arrays become Python
    numbers and lists, complex numbers ``{"re", "im"}``, and every NaN or infinity becomes
    ``null``.  ``undefined`` (if given) collects the JSON paths that were non-finite."""
    if isinstance(obj, dict):
        return {str(k): strict(v, f"{path}.{k}" if path else str(k), undefined)
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v, f"{path}[{i}]", undefined) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return strict(obj.tolist(), path, undefined)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, complex):
        return {"re": strict(obj.real, path + ".re", undefined),
                "im": strict(obj.imag, path + ".im", undefined)}
    if isinstance(obj, float) and not math.isfinite(obj):
        if undefined is not None:
            undefined[path] = "nan" if math.isnan(obj) else "inf"
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def dumps(obj: dict, reason: str = "undefined at this point") -> str:
    """One strict JSON document; non-finite numbers are ``null`` and listed under
    ``"non_finite"`` (path: why) so that a null is never mistaken for a value."""
    undefined: dict = {}
    doc = strict(obj, undefined=undefined)
    if undefined and isinstance(doc, dict):
        doc.setdefault("non_finite", {k: f"not a finite number ({v}): {reason}"
                                      for k, v in undefined.items()})
    return json.dumps(doc, allow_nan=False)


def emit(obj: dict, as_json: bool, text: str) -> None:
    """Print ``obj`` as one JSON object (``--json``) or ``text``."""
    print(dumps(obj) if as_json else text)
