import numpy as np
import pytest

from linearized.description.parse import load_model
from linearized.measures import symplectic_eigenvalues, symplectic_form
from linearized.steady import solve_model
from linearized.states import thermal_cm, two_mode_squeezed_cm
from linearized.description.system import build_system
from linearized.williamson import williamson


def _check(V):
    nu, S = williamson(V)
    n = len(nu)
    Om = symplectic_form(n)
    np.testing.assert_allclose(S @ Om @ S.T, Om, atol=1e-9)
    np.testing.assert_allclose(S @ np.diag(np.repeat(nu, 2)) @ S.T, V, atol=1e-9 * np.abs(V).max())
    assert np.all(np.diff(nu) <= 1e-12)
    return nu, S


def test_thermal_and_two_mode_squeezed():
    nu, _ = _check(thermal_cm(2.0, 2))
    assert nu == pytest.approx([2.5, 2.5])
    nu, _ = _check(two_mode_squeezed_cm(0.8))
    assert nu == pytest.approx([0.5, 0.5])


def test_paper_cm_matches_symplectic_spectrum():
    C = solve_model(build_system(load_model("paper"), {"mech_bath": "lindblad"})).covariance
    nu, _ = _check(C)
    assert np.sort(nu) == pytest.approx(symplectic_eigenvalues(C), rel=1e-9)
