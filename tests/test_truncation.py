"""Truncation by probability (normal-mode Fock states whose thermal-product probability
exceeds eps) against the box, brute force and the measured figures of DESIGN.md."""
import itertools
import json
import subprocess
import sys

import numpy as np
import pytest

from linearized.description.parse import load_model
from linearized.steady import solve_model
from linearized.description.system import build_system
from qmodel.basis import Basis, log_probabilities, normal_basis, normal_set_basis, probability_set
from qmodel.mapping import normal_to_physical
from qmodel.measures import tail_populations

#: the seed paper's model at its Fig. 2(a) optimum
PAPER = build_system(load_model("paper"))


def test_probability_set_is_every_state_above_eps_and_closed_downwards():
    nbar = [0.7, 0.05, 0.2]
    eps = 1e-6
    got = {tuple(x) for x in probability_set(nbar, eps)}
    box = np.array(list(itertools.product(range(40), range(10), range(20))))
    want = {tuple(x) for x, lp in zip(box, log_probabilities(box, nbar)) if lp > np.log(eps)}
    assert got == want
    # a mode far below eps still keeps its first level (as a box keeps two), never more
    cold = {tuple(x) for x in probability_set([0.7, 1e-12, 0.2], eps)}
    assert (0, 1, 0) in cold and not any(m[1] > 1 for m in cold)
    assert {m for m in cold if m[1] == 0} == {tuple(x) for x, lp in zip(
        box, log_probabilities(box, [0.7, 1e-12, 0.2])) if lp > np.log(eps)}
    for m in got:
        for k in range(3):
            if m[k]:
                assert m[:k] + (m[k] - 1,) + m[k + 1:] in got


def test_a_set_that_is_a_box_gives_the_box_operators_tails_and_mapping():
    C = solve_model(PAPER.replace(mech_bath="lindblad")).covariance
    box = normal_basis(C, (3, 2, 2, 2))
    states = np.indices(box.cutoffs).reshape(4, -1).T
    s = Basis("normal", box.cutoffs, box.S, box.nu, states)
    assert max(abs(a - b).max() for a, b in zip(box.ladder, s.ladder)) == 0
    rho = box.gaussian_guess()
    np.testing.assert_allclose(s.gaussian_guess(), rho)
    np.testing.assert_allclose(tail_populations(rho, s), tail_populations(rho, box))
    phys = (4, 4, 3, 4)
    np.testing.assert_allclose(normal_to_physical(s, phys), normal_to_physical(box, phys),
                               atol=1e-13)


def test_a_cold_mode_does_not_put_the_vacuum_on_the_edge():
    # a normal mode whose occupation is below eps: with only the vacuum kept for it, the
    # vacuum would be an edge state and the tails would read 1 (a weakly driven model's
    # independent basis failed that way)
    states = probability_set([1e-5, 1e-13], 1e-9)
    assert {tuple(m) for m in states} == {(0, 0), (1, 0), (0, 1)}
    basis = Basis("normal", tuple(states.max(axis=0) + 1), np.eye(4),
                  np.array([0.5 + 1e-5, 0.5 + 1e-13]), states)
    rho = basis.gaussian_guess()
    assert max(tail_populations(rho, basis)) < 1e-4


def test_set_ladder_is_exact_below_the_edge():
    C = solve_model(PAPER.replace(mech_bath="lindblad")).covariance
    b = normal_set_basis(C, 1e-6)
    c, cd = b.ladder[0], b.ladder[1]
    comm = (c @ cd - cd @ c).toarray()
    inner = ~b.boundary(0)          # [c, c^dag] = 1 wherever c^dag stays inside the set
    np.testing.assert_allclose(np.diag(comm)[inner], 1.0, atol=1e-12)


@pytest.mark.slow
def test_paper_point_with_the_probability_truncation():
    """docs/performance.md, measured with plain NumPy probes at the paper's optimum (G_0 = 0,
    Lindblad bath): eps 1e-9 keeps ~190 states and lands within 5e-6 of the linear E_N 0.0981396, where
    a box needs 480 states.  Here with the G_0 residue kept, grown to convergence."""
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    r = solve_master(PAPER, ConvergenceOptions(truncation="probability"))
    box = solve_master(PAPER, ConvergenceOptions(truncation="box"))
    assert r.converged and r.dim < box.dim / 2
    assert r.basis_obj.eps <= 1e-8 and 150 < r.dim < 260
    lin = solve_model(PAPER.replace(mech_bath="lindblad"))
    assert abs(r.measures.E_N_gaussian - lin.E_N) < 1e-5
    assert abs(r.measures.duan - lin.duan) < 1e-5
    assert abs(r.measures.E_N - box.measures.E_N) < 1e-4
    assert all(h["outside_population"] < 1e-4 for h in r.history[-1:])


def _mwent(*args):
    return subprocess.run([sys.executable, "-m", "compare", *args], capture_output=True,
                          text=True)


@pytest.mark.parametrize("argv,words", [
    (["--truncation", "probability", "--basis", "fock"], "normal-mode basis"),
    (["--truncation", "probability", "--eps", "2"], "between 0 and 1"),
    (["--basis", "fock", "--eps", "1e-8"], "goes with --truncation probability"),
    (["--truncation", "probability", "--cutoffs", "3,3,3,3"], "fix --eps"),
])
def test_bad_truncation_options(argv, words):
    r = _mwent("qmodel", *argv)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr


def test_fixed_eps_is_a_fixed_truncation_and_compare_stays_undecided():
    r = _mwent("qmodel", "--model", "li2018", "--truncation", "probability", "--eps", "1e-6",
               "--json")
    d = json.loads(r.stdout)
    assert d["truncation"] == "probability" and d["eps"] == 1e-6
    assert d["converged"] is False and d["fixed_truncation"] is True
    r = _mwent("compare", "--model", "li2018", "--truncation", "probability", "--eps", "1e-6")
    assert r.returncode == 4 and "undecided" in r.stderr


def test_li2018_agrees_with_the_probability_truncation():
    r = _mwent("compare", "--model", "li2018", "--truncation", "probability", "--json")
    d = json.loads(r.stdout)
    assert r.returncode == 0 and d["verdict"] == "agree", d["reason"]
    assert d["qmodel"]["truncation"] == "probability"


def test_a_growth_step_always_grows_the_set():
    # a weakly driven optomechanical cavity (tests/test_models.py's STRONG at g0 = 0.03 MHz)
    # leaves its normal modes nearly empty, so successive thresholds gave the same set
    # (d = 3 at eps 1e-8 and 1e-9): a repeated set must not be solved again and counted as a
    # growth step with no change
    from linearized.description.parse import parse_model
    from linearized.description.system import build_system
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    from test_models import STRONG
    s = build_system(parse_model(STRONG)).replace(E=1.5e6, g0=3e4)
    r = solve_master(s, ConvergenceOptions(truncation="probability"))
    dims = [h["dim"] for h in r.history]
    assert r.converged and len(dims) >= 3
    assert all(b > a for a, b in zip(dims, dims[1:]))


def test_a_state_rebased_between_normal_mode_sets_keeps_its_covariance():
    # the independent line's rounds start from the previous round's state written in the new
    # basis (qmodel.converge._rebase): the linearized Gaussian state written in the normal
    # modes of a different covariance matrix must still have the linearized covariance
    # (moments are basis-free; a wrong W would move them), and rebasing into the same modes
    # is the plain embedding
    from qmodel.converge import _embed, _rebase
    from qmodel.measures import moments
    p = PAPER.replace(mech_bath="lindblad")
    C = solve_model(p).covariance
    C2 = solve_model(p.replace(T=0.05)).covariance
    old = normal_set_basis(C, 1e-9)
    new = normal_set_basis(C2, 1e-11)
    rho = old.gaussian_guess()
    np.testing.assert_allclose(moments(rho, old)[1], C, atol=1e-6)
    moved = _rebase(rho, old, new)
    assert abs(np.trace(moved) - 1) < 1e-12
    np.testing.assert_allclose(moments(moved, new)[1], C, atol=2e-6)
    bigger = normal_set_basis(C, 1e-10)
    np.testing.assert_allclose(_rebase(rho, old, bigger), _embed(rho, old, bigger), atol=1e-12)


def _exact_forms(basis, M, coeffs, pad=3):
    """``(1/2) r^T M r`` and ``coeffs . r`` with ``r_phys = S r_new``, written out from
    QuTiP's ladder operators on a box ``pad`` levels larger than ``basis`` (so no product
    meets its top), then restricted to ``basis``'s states.  A normally ordered product of
    ladder operators stays inside a set closed downwards between kept states, so the basis's
    normal-ordered form (plus its c-number) must equal these matrices exactly."""
    import qutip
    n = basis.n_modes
    big = [int(c) + pad for c in basis.cutoffs]
    ops = []
    for k in range(n):
        a = qutip.tensor([qutip.destroy(c) if j == k else qutip.qeye(c)
                          for j, c in enumerate(big)]).to("csr").data_as("csr_matrix")
        ops += [(a + a.conj().T) / np.sqrt(2), 1j * (a.conj().T - a) / np.sqrt(2)]
    r_phys = [sum(basis.S[i, j] * ops[j] for j in range(2 * n)) for i in range(2 * n)]
    quad = 0.5 * sum(r_phys[i] @ sum(M[i, j] * r_phys[j] for j in range(2 * n))
                     for i in range(2 * n))
    lin = sum(coeffs[i] * r_phys[i] for i in range(2 * n))
    idx = np.ravel_multi_index(tuple(basis.occupation_tuples.T), big)
    return quad.toarray()[np.ix_(idx, idx)], lin.toarray()[np.ix_(idx, idx)]


@pytest.mark.parametrize("kind", ["box", "set"])
def test_quadratic_and_linear_forms_match_the_operators_written_out(kind):
    # the forms are assembled in one pass from the entries of every ladder product; here
    # they are checked against the matrices written out directly, in a normal-mode basis
    rng = np.random.default_rng(7)
    C = solve_model(PAPER.replace(mech_bath="lindblad")).covariance
    basis = normal_basis(C, (4, 3, 3, 3))
    if kind == "set":
        states = probability_set([1.0, 0.6, 0.6, 0.6], 3e-3)
        basis = Basis("normal", tuple(states.max(axis=0) + 1), basis.S, None, states)
    M = rng.normal(size=(8, 8))
    M = M + M.T
    coeffs = rng.normal(size=8) + 1j * rng.normal(size=8)
    quad, lin = _exact_forms(basis, M, coeffs)
    np.testing.assert_allclose(basis.quadratic(M).toarray(), quad, atol=1e-10)
    np.testing.assert_allclose(basis.linear(coeffs).toarray(), lin, atol=1e-12)
    # the moments read from the same entries: <r_i r_j> of a random state, both ways (the
    # state kept off the edge, where the truncated c c^dag of the reference is exact)
    from qmodel.measures import moments
    inner = np.ones(basis.dim, bool)
    for k in range(4):
        up = basis.occupation_tuples.copy()
        up[:, k] += 1
        inner &= basis.positions(up) >= 0
    assert inner.sum() >= 5
    X = rng.normal(size=(basis.dim, basis.dim)) + 1j * rng.normal(size=(basis.dim, basis.dim))
    X[~inner] = 0
    rho = X @ X.conj().T
    rho /= np.trace(rho)
    mean, cov = moments(rho, basis)
    r = [basis.linear(np.eye(8)[i]).toarray() for i in range(8)]
    m_ref = np.array([np.trace(ri @ rho).real for ri in r])
    c_ref = np.array([[np.trace((ri @ rj + rj @ ri) @ rho).real / 2 for rj in r] for ri in r])
    np.testing.assert_allclose(mean, m_ref, atol=1e-12)
    np.testing.assert_allclose(cov, c_ref - np.outer(m_ref, m_ref), atol=1e-10)
