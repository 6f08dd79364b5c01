"""The paper preset's JSON, recorded before the paper became one model file among others.

``tests/data/paper_snapshots/COMMANDS.txt`` lists each command (``NAME: mwent ...``) and
``NAME.json`` is what it printed at commit 0ae5d56, when the paper still had its own
hand-written engine (``linearized.params.Params``, ``linearized.matrices``, the paper's
Hamiltonian in ``qmodel.model``).  That engine was checked against the paper's figures and an
independent Lyapunov code; the single engine must reproduce every number it printed to 1e-10
(relative for numbers above 1; the master equation's to 1e-9 since issue 20, ``ME_TOL``), every
string and every flag, times and GMRES iterations aside.  A key may be added;
a key that had to move is listed in ``MOVED`` with where it went (and docs/cli.md says so).

One command changed: ``meanfield --pair X,Y`` is refused now (a pair has no meaning for the mean
field, and an option that does not apply is never silently ignored), so the JSON it printed
with ``--pair a2,a1`` is checked against ``meanfield`` without it (the pair changed nothing).
"""
from __future__ import annotations

import json
import math
import os
import re

import pytest

from compare.cli import main

HERE = os.path.join(os.path.dirname(__file__), "data", "paper_snapshots")
#: numbers that are measurements of time or of the solver's work, not results (GMRES
#: iterations changed when issue 20 gave the solver its own GMRES and true-residual stop)
TIMES = {"seconds", "wall_s", "elapsed", "iterations"}
#: JSON paths (dotted, list indices as []) whose value legitimately changed, with the reason
IGNORED = {
    "model.hash": "the paper's model file gained the physical drive, so its content hash moved",
    "units.params": "was the string 'Hz, K'; now each parameter's unit (the model files' shape)",
    "phase_convention": "the same convention, worded for any model (meanfield)",
}
#: old key -> new key, for keys that moved when the two JSON shapes became one: the model-file
#: path (``--pair a2,a1``) labelled quadratures X_a1, ...; the paper's file names them as the
#: paper does (X1, Y1, X2, Y2, x, y, q, p), as its own path did
MOVED = {"X_a1": "X1", "Y_a1": "Y1", "X_a2": "X2", "Y_a2": "Y2", "X_m": "x", "Y_m": "y",
         "x_b": "q", "p_b": "p"}
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
#: commands too slow for the default suite (seconds on 2 cores at the time of recording)
SLOW = {"compare_a1_m"}
TOL = 1e-10
#: the master equation's numbers: since issue 20 the Krylov solve stops once the true relative
#: residual is below its target 1e-13 (it used to run on to about 1e-15), which moved them by
#: up to 6e-10; the linearized numbers keep TOL
ME_TOL = 1e-9


def _commands():
    with open(os.path.join(HERE, "COMMANDS.txt")) as f:
        for line in f:
            name, _, cmd = line.strip().partition(": ")
            if name:
                yield name, cmd.split()[1:]


def _diff(old, new, path="", tol=TOL):
    """Every difference between ``old`` (recorded) and ``new`` beyond the tolerance."""
    if path.rsplit(".", 1)[-1] in TIMES or path in IGNORED:
        return []
    if old is None and isinstance(new, dict):
        return []             # a section that was empty for a model file is filled in now
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{path}: was an object, now {type(new).__name__}"]
        out = []
        for key, value in old.items():
            target = MOVED.get(key, key)
            sub = f"{path}.{key}" if path else key
            if target not in new:
                if sub.rsplit(".", 1)[-1] not in TIMES and sub not in IGNORED:
                    out.append(f"{sub}: missing")
                continue
            out += _diff(value, new[target], sub, tol)
        return out
    if isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            return [f"{path}: list of {len(old)} became {new!r:.80}"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in _diff(a, b, f"{path}[]", tol)]
    if isinstance(old, str) and isinstance(new, str):
        # text with numbers in it (an evidence detail): the words equal, the numbers within
        # the tolerance, so a residual of 1.2e-15 that prints 1.3e-15 is no change
        a, b = _NUMBER.findall(old), _NUMBER.findall(new)
        same = (_NUMBER.sub("#", MOVED.get(old, old)) == _NUMBER.sub("#", new) and len(a) == len(b)
                and all(math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=tol)
                        for x, y in zip(a, b)))
        return [] if same else [f"{path}: {old!r} became {new!r}"]
    if isinstance(old, bool) or old is None or isinstance(old, str):
        return [] if old == new else [f"{path}: {old!r} became {new!r}"]
    if not isinstance(new, (int, float)) or isinstance(new, bool):
        return [f"{path}: {old!r} became {new!r}"]
    if math.isclose(old, new, rel_tol=tol, abs_tol=tol):
        return []
    return [f"{path}: {old!r} became {new!r} (difference {new - old:.3g})"]


@pytest.mark.parametrize("name,argv", [
    pytest.param(n, a, marks=[pytest.mark.slow] if n in SLOW else [], id=n)
    for n, a in _commands()])
def test_paper_preset_reproduced(name, argv, capsys):
    with open(os.path.join(HERE, f"{name}.json")) as f:
        old = json.load(f)
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    problems = _diff(old, json.loads(out), tol=ME_TOL if argv[0] in ("qmodel", "compare")
                     else TOL)
    assert not problems, "\n".join(problems[:30])


def test_diff_sees_a_change():
    """The comparison itself: a number moved by 1e-8, a flag or a missing key is found."""
    old = {"E_N": 0.098, "stable": True, "pair": ["a1", "a2"], "seconds": 3.0}
    assert _diff(old, {"E_N": 0.098 + 5e-11, "stable": True, "pair": ["a1", "a2"],
                       "seconds": 9.0}) == []
    assert _diff(old, {"E_N": 0.098 + 1e-8, "stable": True, "pair": ["a1", "a2"]})
    assert _diff(old, {"E_N": 0.098, "stable": False, "pair": ["a1", "a2"]})
    assert _diff(old, {"E_N": 0.098, "stable": True})
