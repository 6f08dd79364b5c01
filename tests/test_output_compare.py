"""The filtered output pair's verdict needs a line of evidence independent of the linearized
covariance matrix: the cascaded master equation in the plain Fock basis."""
from types import SimpleNamespace

import pytest

from compare.output_compare import plain_basis_ladder, plain_basis_line
from linearized.output import filtered_output

# weak coupling, cold phonon: the plain basis holds the state at 3 levels per mode
WEAK = dict(g_1=1.5e6, g_2=1.5e6, G=1.5e6, T=0.0, gamma_b=1e5, mech_bath="lindblad")


def _q(en, duan):
    return SimpleNamespace(measures=SimpleNamespace(E_N_gaussian=en, duan=duan))


@pytest.mark.slow
def test_plain_basis_line_confirms_the_right_answer_and_rejects_a_wrong_one(paper):
    p = paper.replace(**WEAK)
    lin = filtered_output(p, 1e6)
    rows = plain_basis_ladder(p, 1e6, lin.centers, 729)
    good = plain_basis_line(p, 1e6, lin.centers, _q(lin.E_N, lin.duan), 1e-3, 1e-4, 729, rows)
    assert good["passed"] is True and good["independent_of_linearized"] is True
    assert good["value"] < 1e-3 and good["ladder"][-1]["dim"] == 729
    # a normal-basis result 0.01 off in E_N is caught by the plain-basis solve
    bad = plain_basis_line(p, 1e6, lin.centers, _q(lin.E_N + 1e-2, lin.duan), 1e-3, 1e-4, 729,
                           rows)
    assert bad["passed"] is False


def test_plain_basis_line_cannot_decide_where_the_basis_is_too_small(paper):
    p = paper.replace(**WEAK)
    lin = filtered_output(p, 1e6)
    small = plain_basis_line(p, 1e6, lin.centers, _q(lin.E_N, lin.duan), 1e-3, 1e-4, 64)
    assert small["passed"] is False and "does not hold the state" in small["detail"]
    none = plain_basis_line(p, 1e6, lin.centers, _q(lin.E_N, lin.duan), 1e-3, 1e-4, 10)
    assert none["passed"] is None
