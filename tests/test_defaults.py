"""One set of defaults: the Python API, the command line and the sweeps solve the same thing."""
from __future__ import annotations

import json

from compare import api
from compare.cli import main
from compare.defaults import TOLERANCE
from qmodel.defaults import MAX_DIM, TAIL_TOL, TOL
from qmodel.converge import ConvergenceOptions

#: a cold, weakly coupled point of the paper's model: a converged master equation in seconds
CHEAP = {"T": "0K", "G": "1MHz", "g_1": "1MHz", "g_2": "1MHz"}


def test_the_defaults_are_pinned():
    # the evidence rules of docs/master-equation.md are stated with these numbers
    assert (TOL, TAIL_TOL, TOLERANCE) == (1e-4, 1e-4, 1e-3)
    assert ConvergenceOptions().residual_tol == 1e-10
    # the largest dimension is the memory's (tests/test_memory.py), never below MAX_DIM
    assert ConvergenceOptions().max_dim is None and ConvergenceOptions().dim_limit() >= MAX_DIM


def test_one_truncation_rule():
    assert ConvergenceOptions().truncation == "probability"
    assert ConvergenceOptions(basis="fock").truncation == "box"
    assert ConvergenceOptions(cutoffs=(3, 3, 3, 3)).truncation == "box"
    assert ConvergenceOptions(eps=1e-8).truncation == "probability"


def test_api_master_equation_solves_what_mwent_qmodel_solves(capsys):
    me = api.master_equation(api.model("paper", **CHEAP)).to_dict()
    argv = ["qmodel", "--json"] + [x for k, v in CHEAP.items() for x in ("--set", f"{k}={v}")]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    for key in ("truncation", "eps", "dim", "cutoffs", "basis", "E_N", "duan", "converged"):
        assert cli[key] == me[key], key
    assert [h["dim"] for h in cli["history"]] == [h["dim"] for h in me["history"]]
