"""The paper's figures with master-equation points (``mwent figure NAME --engine compare``),
and the compiled kernels of the Krylov solver they rest on."""
import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from linearized.description.parse import load_model
from linearized.steady import solve_model
from linearized.description.system import build_system

#: the seed paper's model at its Fig. 2(a) optimum
PAPER = build_system(load_model("paper"))


def _mwent(*args):
    return subprocess.run([sys.executable, "-m", "compare", *args], capture_output=True,
                          text=True, timeout=900)


def test_jump_operator_equals_the_explicit_sum():
    from qmodel._kernels import JumpOperator, sparse_dense
    rng = np.random.default_rng(3)
    d = 37                     # not a multiple of the kernel's row block
    ops = [sp.random(d, d, density=0.15, random_state=k, format="csr")
           * (1 + 0.5j * k) for k in range(3)]
    rho = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))    # not Hermitian
    want = sum(L.toarray() @ rho @ L.toarray().conj().T for L in ops)
    np.testing.assert_allclose(JumpOperator(ops, d)(rho), want, atol=1e-12)
    assert not JumpOperator([], d)(rho).any()         # no collapse operators, no jumps
    np.testing.assert_allclose(sparse_dense(ops[1], rho), ops[1].toarray() @ rho, atol=1e-13)


def test_hermitian_pack_round_trip_and_linearity():
    from qmodel.solvers import hermitian_pack, hermitian_unpack
    rng = np.random.default_rng(4)
    a = rng.normal(size=(6, 6)) + 1j * rng.normal(size=(6, 6))
    h = a + a.conj().T
    assert hermitian_pack(h).dtype == float
    np.testing.assert_allclose(hermitian_unpack(hermitian_pack(h)), h, atol=0)
    assert np.trace(hermitian_pack(h)) == pytest.approx(np.trace(h).real)


def test_liouvillian_apply_equals_qutip_liouvillian(paper):
    import qutip
    from qmodel.basis import fock_basis
    from qmodel.model import build_model
    from qmodel.solvers import liouvillian_apply
    basis = fock_basis((3, 2, 3, 2))
    model = build_model(paper.replace(mech_bath="lindblad"), basis)
    dims = basis.dims
    L = qutip.liouvillian(qutip.Qobj(model.H, dims=dims),
                          [qutip.Qobj(c, dims=dims) for c in model.c_ops]).full()
    rng = np.random.default_rng(5)
    d = model.dim
    rho = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    want = (L @ rho.reshape(-1, order="F")).reshape(d, d, order="F")
    np.testing.assert_allclose(liouvillian_apply(model, rho), want, atol=1e-10)


def test_figure_3_compare_marks_each_point_and_resumes(tmp_path):
    # two master-equation points: 20 mK (cheap, decided) and 200 mK, whose first
    # probability set (d ~ 630) exceeds --max-dim 400: undecided with the reason, not a value
    out = tmp_path / "figs"
    args = ("figure", "3", "--engine", "compare", "--me-points", "2", "--points", "41",
            "--max-dim", "400", "--out", str(out), "--json")
    r = _mwent(*args)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    s = d["summary"]
    assert (out / "fig3_compare.png").stat().st_size > 10_000
    assert (out / "fig3_compare.npz").exists() and (out / "fig3_compare.sqlite").exists()
    assert s["computed"] == 2 and s["mech_bath"].startswith("lindblad")
    pts = {round(p["values"]["T"] * 1e3): p for p in s["points"]}
    cold, hot = pts[20], pts[200]
    assert cold["verdict"] == "agree"
    # the point's linear value is the Lyapunov solution at the curve's parameters
    params = PAPER.replace(**{k: v for k, v in s["point_parameters"].items() if k != "T"},
                           T=0.02)
    assert cold["E_N_linearized"] == pytest.approx(solve_model(params).E_N, abs=1e-12)
    assert abs(cold["E_N"] - cold["E_N_linearized"]) < 1e-3
    assert hot["verdict"] == "undecided" and "max_dim" in hot["reason"]
    assert hot["E_N"] is None
    again = json.loads(_mwent(*args).stdout)["summary"]
    assert again["computed"] == 0 and again["reused"] == 2
    assert again["verdicts"] == s["verdicts"]


def test_figure_compare_bad_input():
    for argv, words in ((["figure", "3", "--me-points", "5"], "--engine compare"),
                        (["figure", "output", "--engine", "compare"], "Figs. 2a"),
                        (["figure", "3", "--engine", "compare", "--me-points", "1"], "--me-points"),
                        (["figure", "2a", "--engine", "compare", "--executor", "dask"],
                         "--scheduler")):
        r = _mwent(*argv)
        assert r.returncode == 2, (argv, r.stderr)
        assert words in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@pytest.mark.slow
def test_figure_2a_compare_small_grid(tmp_path):
    # 3 x 3 master-equation points over Delta_1, Delta_2 in [-2, 2] omega_b at the paper's
    # 20 mK: the centre (0, 0), entangled, and the edges.  Every point is stable with
    # occupations below 0.12 (small truncations, d <= ~200), where the linearization holds:
    # each must be decided "agree", with master-equation values within the tolerance of the
    # Lyapunov solution there (computed here, not taken from the report)
    out = tmp_path / "f"
    r = _mwent("figure", "2a", "--engine", "compare", "--me-points", "3", "--points", "21",
               "--max-dim", "600", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)["summary"]
    assert s["verdicts"] == {"agree": 9}, [(p["values"], p["reason"]) for p in s["points"]]
    wb = PAPER.value("omega_b")
    assert {round(v / wb, 6) for p in s["points"] for v in p["values"].values()} == {-2, 0, 2}
    tol = s["tolerance"]
    assert tol == 1e-3
    for p in s["points"]:
        lin = solve_model(PAPER.replace(mech_bath="lindblad", **p["values"]))
        assert p["E_N_linearized"] == pytest.approx(lin.E_N, abs=1e-12)
        assert abs(p["E_N"] - lin.E_N) <= tol and abs(p["duan"] - lin.duan) <= tol
    centre = next(p for p in s["points"] if all(v == 0 for v in p["values"].values()))
    assert centre["E_N"] > 0.04                   # the check is on an entangled state
    assert (out / "fig2a_compare.png").exists()


@pytest.mark.slow
def test_figure_compare_on_a_dask_local_cluster_matches_local_processes(tmp_path):
    pytest.importorskip("dask.distributed")
    common = ("figure", "3", "--engine", "compare", "--me-points", "2", "--points", "21",
              "--max-dim", "400", "--json")
    a = _mwent(*common, "--out", str(tmp_path / "local"))
    b = _mwent(*common, "--out", str(tmp_path / "dask"), "--executor", "dask",
               "--scheduler", "local", "--workers", "2")
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    pa, pb = (json.loads(r.stdout)["summary"]["points"] for r in (a, b))
    assert [p["verdict"] for p in pa] == [p["verdict"] for p in pb]
    for x, y in zip(pa, pb):
        assert (x["E_N"] is None) == (y["E_N"] is None)
        if x["E_N"] is not None:
            assert x["E_N"] == pytest.approx(y["E_N"], abs=1e-9)
