"""Every point of the paper's figures runs through every single-point command.

A coarse grid over the axes of Figs. 2(a), 2(b), 3, 4(a) and 4(b) (zero crossings and edges
included) is run through ``linearized``, ``qmodel`` (small fixed cutoffs), ``compare`` and
``meanfield --target-G``: each must exit 0, 3 or 4, print strict JSON, and never a traceback.
Where the batched grid solver (``mwent sweep``, ``mwent figure``) and the single-point command
both give a number, they must agree.
"""
import json

import numpy as np
import pytest

from compare.cli import main
from compare.plots.figures import _spec, fig2b_optimum
from linearized.description.parse import load_model
from linearized.steady import solve_model_grid as solve_grid
from linearized.sweep import Axis, grid_params
from linearized.description.system import build_system

QM = ["--basis", "fock", "--cutoffs", "3,3,2,3", "--tail-tol", "1"]


def _reject(token):
    raise ValueError(token)


def _points(name, n):
    base = build_system(load_model("paper"))
    spec = _spec(name, base, n)
    start = base.replace(**spec.fixed) if name != "3" else fig2b_optimum(base, 21)
    axes = [Axis(k, np.linspace(a, b, n)) for k, a, b, _ in spec.axes]
    grid = grid_params(start, axes)
    batched = solve_grid(grid)
    for index in np.ndindex(*grid.shape):
        yield grid.point(index), float(batched.E_N[index]), bool(batched.stable[index])


def _sets(p):
    keys = ("Delta_1", "Delta_2", "Delta_m", "kappa_1", "kappa_2", "kappa_m", "g_1", "g_2",
            "G", "G_0", "omega_b", "gamma_b", "omega_m", "T")
    out = []
    for k in keys:
        out += ["--set", f"{k}={p.value(k)!r}"]
    return out


def _run(capsys, argv):
    code = main(argv + ["--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code in (0, 3, 4), (argv, err)
    doc = json.loads(out, parse_constant=_reject) if out.strip() else None
    assert doc is not None or code != 0
    return code, doc


GRIDS = [("2a", 5), ("2b", 3), ("3", 5), ("4b", 3)]   # 4(a) has the axes of 2(a)


@pytest.mark.slow
@pytest.mark.parametrize("name,n", GRIDS)
def test_figure_points_run_through_every_command(capsys, name, n):
    seen = 0
    for p, en_batched, stable in _points(name, n):
        sets = _sets(p)
        code, doc = _run(capsys, ["linearized"] + sets)
        assert (code == 0) == stable
        if stable:
            assert doc["E_N"] == pytest.approx(en_batched, abs=1e-9)
            seen += 1
        code, doc = _run(capsys, ["qmodel"] + sets + QM)
        assert (code == 3) == (not stable)
        code, doc = _run(capsys, ["compare"] + sets + QM)
        # a fixed truncation carries no convergence evidence: never "agree"
        assert code in (3, 4) and (doc is None or doc.get("verdict") != "agree")
        if stable:
            code, doc = _run(capsys, ["meanfield", "--set", "diameter=250um", "--set",
                                      f"G_0={p.value('G_0')!r}", "--set",
                                      f"Delta_1={p.value('Delta_1')!r}", "--set",
                                      f"Delta_2={p.value('Delta_2')!r}", "--set",
                                      f"kappa_2={p.value('kappa_2')!r}", "--set",
                                      f"g_2={p.value('g_2')!r}", "--target-G",
                                      f"{p.value('G')!r}"])
            assert code == 0 and doc["P"] > 0
    assert seen > 0
