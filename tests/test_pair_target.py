"""The exact-E_N mapping to a target that is physical on the pair only (qmodel.mapping.PairTarget)
and the filtered output pair's master-equation verdict that rests on it."""
import json

import numpy as np
import pytest

from linearized.measures import log_negativity
from linearized.output import filtered_output
from linearized.steady import solve_model
from qmodel.basis import Basis, fock_basis, normal_set_basis, probability_set
from qmodel.mapping import gaussian_amplitudes, pair_target, set_gaussian_amplitudes
from qmodel.measures import log_negativity_12
from qmodel.reduced import physical_cavity_state


def _random_symmetric(n, seed, scale=0.4):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return scale * (A + A.T) / 2


def test_set_recursions_equal_the_box_recursions_on_a_box():
    # the level-by-level set recursion and the box's mode-by-mode recursion are written
    # differently; on a full box (a set closed downwards) they must give the same numbers
    cut = (3, 4, 2, 3)
    box = np.indices(cut).reshape(len(cut), -1).T
    order = np.argsort(box.sum(axis=1), kind="stable")
    A = _random_symmetric(len(cut), 1)
    got = set_gaussian_amplitudes(A, box[order])
    want = gaussian_amplitudes(A, cut)[order]
    assert np.abs(got - want).max() < 1e-13
    # the ladder operators of a state set and of a box, written differently, agree too
    as_set = Basis("fock", cut, np.eye(2 * len(cut)), states=box)
    for a_set, a_box in zip(as_set.ladder, fock_basis(cut).ladder):
        assert abs(a_set - a_box).max() < 1e-15


def test_set_amplitudes_are_exact_inside_a_smaller_set():
    # a state set inside the box keeps exactly the box's amplitudes on its members
    cut = (9, 9, 9)
    A = _random_symmetric(3, 2)
    full = gaussian_amplitudes(A, cut)
    states = probability_set([0.8, 0.3, 0.1], 1e-3)
    assert len(states) < np.prod(cut) and states.max(axis=0).max() < 9
    got = set_gaussian_amplitudes(A, states)
    want = full[np.ravel_multi_index(tuple(states.T), cut)]
    assert np.abs(got - want).max() < 1e-13


def _mapped(rho, basis, target, pair):
    cs = physical_cavity_state(rho, basis, target, pair)
    return log_negativity_12(cs.rho12, cs.cavity_cutoffs), cs


def test_pair_target_gives_the_physical_box_state_at_the_paper_point(paper):
    # a local unitary on the traced modes leaves the cavities' reduced state unchanged: the
    # pair target and the physical box map the same Gaussian state to the same rho_12 (up to
    # what each loses), and both give Eq. 9's value of the linearized covariance matrix
    lin = solve_model(paper.replace(mech_bath="lindblad"))
    basis = normal_set_basis(lin.covariance, 1e-9)
    rho = basis.gaussian_guess()
    en_box, box = _mapped(rho, basis, (9, 9, 6, 16), (0, 1))
    target = pair_target(lin.covariance, (0, 1), 1e-8)
    en_set, tgt = _mapped(rho, basis, target, (0, 1))
    assert box.lost_population < 1e-6 and tgt.lost_population < 1e-6
    assert len(target.states) < np.prod(box.physical_cutoffs) / 2
    n1, n2 = tgt.cavity_cutoffs
    a = box.rho12.reshape(9, 9, 9, 9)[:n1, :n2, :n1, :n2].reshape(n1 * n2, -1)
    assert np.abs(a - tgt.rho12).max() < 1e-6
    ref = log_negativity(lin.covariance[:4, :4])
    # the truncated product of thermal states is not exactly Gaussian: E_N sits within the
    # state's own truncation (eps 1e-9) of Eq. 9
    assert abs(en_box - ref) < 2e-5 and abs(en_set - en_box) < 2e-6


def test_pair_target_maps_the_six_mode_filter_pair(paper):
    # six modes: a physical box would hold ~10^6 states; the pair target a few 10^4, and
    # the filters' exact E_N of the linear Gaussian state is Eq. 9 of their covariance matrix
    lin = filtered_output(paper.replace(mech_bath="lindblad"), 1e6)
    C = lin.full_covariance
    basis = normal_set_basis(C, 1e-8)
    rho = basis.gaussian_guess()
    errs = []
    for eps in (1e-5, 1e-6):
        target = pair_target(C, (4, 5), eps)
        en, cs = _mapped(rho, basis, target, (4, 5))
        assert 0 < cs.lost_population < 1e-3
        errs.append(abs(en - lin.E_N))
    assert errs[1] < errs[0] and errs[1] < 1e-5
    with pytest.raises(ValueError, match="physical"):
        physical_cavity_state(rho, basis, target, (0, 1))


@pytest.mark.slow
def test_compare_output_is_decided_at_the_paper_point(capsys):
    # the issue's own check: the cascaded master equation agrees with the linear filtered
    # value at the paper's point, with a basis independent of the linearized theory
    from compare.cli import main
    code = main(["compare", "--preset", "paper", "--output", "--bandwidth", "1MHz", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["verdict"] == "agree"
    ev = {e["name"]: e for e in out["evidence"]}
    assert ev["independent_basis"]["passed"] and ev["independent_basis"][
        "independent_of_linearized"]
    assert ev["mapping"]["passed"] and ev["mapping"]["target"]["pair"] == [4, 5]
    assert ev["mapping"]["lost_population"] < 1e-4
    q = out["qmodel"]
    assert q["pair"] == ["f1", "f2"] and abs(q["E_N"] - 0.310211) < 1e-4
    assert abs(out["delta_E_N"]) < 1e-4 and abs(out["delta_duan"]) < 1e-4


def test_gram_is_y_y_dagger():
    from qmodel.reduced import gram
    rng = np.random.default_rng(11)
    for shape in [(6, 9), (1, 4), (9, 2), (3, 0)]:
        Y = rng.normal(size=shape) + 1j * rng.normal(size=shape)
        np.testing.assert_allclose(gram(Y), Y @ Y.conj().T, atol=1e-12)
    # a transposed (non-contiguous) view as pair_state makes it
    X = rng.normal(size=(3, 4, 5)) + 1j * rng.normal(size=(3, 4, 5))
    Y = np.transpose(X, [1, 0, 2]).reshape(4, 15)
    np.testing.assert_allclose(gram(Y), Y @ Y.conj().T, atol=1e-12)


def test_the_last_mapping_is_reused_only_for_the_same_state_basis_and_target(paper):
    from qmodel.reduced import mapped_factor
    cov = solve_model(paper.replace(mech_bath="lindblad")).covariance
    basis = normal_set_basis(cov, 1e-3)
    rho = basis.gaussian_guess()
    a = mapped_factor(rho, basis, (6, 6, 4, 10))
    assert mapped_factor(rho, basis, [6, 6, 4, 10]) is a          # the same target
    other = rho.copy()
    b = mapped_factor(other, basis, (6, 6, 4, 10))                  # an equal, new state
    assert b is not a and np.allclose(b, a)
    c = mapped_factor(other, basis, (6, 6, 4, 11))                  # another target
    assert c.shape != b.shape
