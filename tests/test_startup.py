"""Start-up of the single-point path: what it imports, and the NumPy Lyapunov solve it uses
checked against SciPy's Bartels-Stewart solver (called here, not by the code under test)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg

import linearized.lyapunov as lyap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SINGLE_POINT = """
import json, sys
import linearized.steady, linearized.description.physical
from linearized.description.parse import load_model
from linearized.description.system import build_system
d = linearized.steady.solve_model(build_system(load_model('paper'))).to_dict()
json.dumps(d, allow_nan=False)
print(json.dumps(sorted(m for m in sys.modules
                        if m.split('.')[0] in ('scipy', 'numba', 'qutip', 'llvmlite'))))
"""

BATCHED = """
import json, sys
import numpy as np
import linearized
before = 'numba' in sys.modules
paper = linearized.build_system(linearized.load_model('paper'))
g = linearized.solve_model_grid(paper.replace(Delta_1=np.array([9e6, 10e6])))
print(json.dumps([before, 'numba' in sys.modules, g.E_N.tolist()]))
"""


def _run(code):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_single_point_path_imports_neither_scipy_nor_numba():
    loaded = _run(SINGLE_POINT)
    assert loaded == [], loaded


def test_batched_path_still_loads_numba_lazily_and_works():
    before, after, en = _run(BATCHED)
    assert before is False and after is True
    assert np.all(np.isfinite(en)) and en[1] == pytest.approx(0.0981, abs=1e-4)


def _scipy(A, D):
    C = scipy.linalg.solve_continuous_lyapunov(A, -D)
    return (C + C.T) / 2


def _random_stable(rng, n=8):
    M = rng.normal(size=(n, n))
    shift = np.linalg.eigvals(M).real.max() + rng.uniform(0.01, 1.0)
    B = rng.normal(size=(n, n))
    return M - shift * np.eye(n), B @ B.T


def test_numpy_lyapunov_against_scipy_random(rng):
    for _ in range(50):
        A, D = _random_stable(rng)
        C = lyap.steady_covariance(A, D)
        np.testing.assert_allclose(C, _scipy(A, D), rtol=1e-8, atol=1e-10 * np.abs(C).max())
        np.testing.assert_allclose(A @ C + C @ A.T, -D, atol=1e-10 * np.abs(D).max())


@pytest.mark.parametrize("changes", [{}, dict(mech_bath="lindblad"), dict(T=0.5),
                                     dict(Delta_1=0.0, Delta_2=0.0), dict(K=1e-3),
                                     dict(G=1e6, gamma_b=1e4)])
def test_numpy_lyapunov_against_scipy_on_the_model(paper, changes):
    p = paper.replace(**changes)
    A, D = p.drift_matrix(), p.diffusion_matrix()
    assert np.linalg.eigvals(A).real.max() < 0
    ref = _scipy(A, D)
    np.testing.assert_allclose(lyap.steady_covariance(A, D), ref, rtol=1e-9,
                               atol=1e-12 * np.abs(ref).max())


def test_fallback_to_scipy_when_residual_or_lu_fails(monkeypatch, rng):
    A, D = _random_stable(rng)
    ref = _scipy(A, D)
    monkeypatch.setattr(lyap, "RESIDUAL_TOL", -1.0)       # every NumPy answer rejected
    np.testing.assert_allclose(lyap.steady_covariance(A, D), ref, rtol=1e-12)
    monkeypatch.undo()

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("singular")
    monkeypatch.setattr(lyap.np.linalg, "solve", broken)
    np.testing.assert_allclose(lyap.steady_covariance(A, D), ref, rtol=1e-12)
