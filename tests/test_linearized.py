"""The linearized model against analytic cases, symmetries, second methods and the paper."""
import numpy as np
import pytest
import scipy.linalg

from linearized.lyapunov import max_real_eigenvalue, steady_covariance, steady_covariance_batch
from linearized.description.meanfield import mean_field
from linearized.steady import solve_model as solve, solve_model_grid as solve_grid
from linearized.sweep import Sweep, parse_axis, run_linearized

#: the paper's parameters that belong to one cavity: swapping a1 and a2 swaps these
_CAVITY_PAIRS = (("Delta_1", "Delta_2"), ("kappa_1", "kappa_2"), ("g_1", "g_2"))


def swap_cavities(p):
    """The paper's model with cavities 1 and 2 exchanged (relabelling the modes)."""
    return p.replace(**{a: p.values[b] for x, y in _CAVITY_PAIRS for a, b in ((x, y), (y, x))})


def axis(p, text):
    return parse_axis(text, p.spec.parameter)


@pytest.mark.parametrize("bath", ["brownian", "lindblad"])
def test_uncoupled_modes_are_thermal(paper, bath):
    p = paper.replace(g_1=0.0, g_2=0.0, G=0.0, T=2.0, gamma_b=3e4, mech_bath=bath)
    r = solve(p)
    n_m = 1 / np.expm1(6.62607015e-34 * p.value("omega_m") / (1.380649e-23 * 2.0))
    n_b = 1 / np.expm1(6.62607015e-34 * p.value("omega_b") / (1.380649e-23 * 2.0))
    expected = np.diag([n_m + 0.5] * 6 + [n_b + 0.5] * 2)
    np.testing.assert_allclose(r.covariance, expected, rtol=1e-10, atol=1e-12)
    assert r.E_N == 0.0
    assert r.occupations == pytest.approx([n_m, n_m, n_m, n_b], rel=1e-10)


def test_lyapunov_against_scipy_bartels_stewart(paper):
    # second method: the single-point solver uses a dense Kronecker solve; SciPy's
    # solve_continuous_lyapunov (Bartels-Stewart, Schur based) owes nothing to it
    for bath in ("brownian", "lindblad"):
        p = paper.replace(mech_bath=bath, T=0.1)
        A, D = p.drift_matrix(), p.diffusion_matrix()
        C = scipy.linalg.solve_continuous_lyapunov(A, -D)
        np.testing.assert_allclose(steady_covariance(A, D), C, rtol=1e-8, atol=1e-12)


def test_lyapunov_against_long_time_integration(paper):
    # C(t) = int_0^t e^{As} D e^{A^T s} ds -> steady state as t -> infinity.  One short step by
    # Van Loan's block exponential, then doubling: C(2t) = Phi(t) C(t) Phi(t)^T + C(t).
    p = paper.replace(gamma_b=2e5, mech_bath="lindblad")
    A, D = p.drift_matrix(), p.diffusion_matrix()
    h = 0.05 / np.abs(np.linalg.eigvals(A)).max()
    F = scipy.linalg.expm(np.block([[-A, D], [np.zeros((8, 8)), A.T]]) * h)
    Phi, C = F[8:, 8:].T, F[8:, 8:].T @ F[:8, 8:]
    t = h
    while t < 60.0 / np.abs(max_real_eigenvalue(A)):
        C = Phi @ C @ Phi.T + C
        Phi = Phi @ Phi
        t *= 2
    np.testing.assert_allclose(steady_covariance(A, D), C, rtol=1e-8, atol=1e-10)


def test_swap_cavities_symmetry(paper, rng):
    for _ in range(20):
        p = paper.replace(Delta_1=rng.uniform(-2e7, 2e7), Delta_2=rng.uniform(-2e7, 2e7),
                          kappa_1=rng.uniform(2e5, 3e6), kappa_2=rng.uniform(2e5, 3e6),
                          g_1=rng.uniform(1e6, 5e6), g_2=rng.uniform(1e6, 5e6),
                          T=rng.uniform(0, 0.2))
        a, b = solve(p), solve(swap_cavities(p))
        assert a.stable == b.stable
        if a.stable:
            assert a.E_N == pytest.approx(b.E_N, abs=1e-12)
            assert a.duan == pytest.approx(b.duan, rel=1e-12)


@pytest.mark.parametrize("bath", ["brownian", "lindblad"])
def test_batched_equals_per_point_scipy(paper, rng, bath):
    shape = (23, 17)
    p = paper.replace(Delta_1=rng.uniform(-2e7, 2e7, shape), Delta_2=rng.uniform(-2e7, 2e7, shape),
                      kappa_2=rng.uniform(1e5, 4e6, shape), G=rng.uniform(0, 8e6, shape),
                      T=rng.uniform(0, 0.3, shape), mech_bath=bath)
    grid = solve_grid(p)
    A = p.drift_matrix()
    for idx in np.ndindex(shape):
        stable = max_real_eigenvalue(A[idx]) < 0
        assert grid.stable[idx] == stable
        if stable:
            r = solve(p.point(idx))
            assert grid.E_N[idx] == pytest.approx(r.E_N, abs=1e-10)
            assert grid.duan[idx] == pytest.approx(r.duan, abs=1e-10)
            np.testing.assert_allclose(grid.covariance[idx], r.covariance, rtol=1e-10,
                                       atol=1e-10 * np.abs(r.covariance).max())
        else:
            assert np.isnan(grid.E_N[idx]) and np.isnan(grid.duan[idx])
    assert np.any(~grid.stable), "the random grid should include unstable points"


def test_batched_fallback_on_degenerate_points(paper):
    # exact zeros in a few points change nothing: a singular pivot falls back to SciPy
    d = np.linspace(-2e7, 2e7, 41)              # contains Delta = 0 exactly
    p = paper.replace(Delta_1=d[:, None], Delta_2=d[None, :], G=np.where(d[None, :] > 0, 0.0, 4.5e6))
    C, pd, fb = steady_covariance_batch(p.drift_matrix(), p.diffusion_matrix())
    for idx in [(20, 20), (0, 40), (20, 5)]:
        q = p.point(idx)
        np.testing.assert_allclose(C[idx], steady_covariance(q.drift_matrix(), q.diffusion_matrix()),
                                   rtol=1e-9, atol=1e-12)


def _en_scipy(p):
    """E_N from SciPy's Lyapunov solver and Eq. (9) written out here (second method)."""
    A, D = p.drift_matrix(), p.diffusion_matrix()
    C = scipy.linalg.solve_continuous_lyapunov(A, -D)[:4, :4]
    det2 = lambda M: M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
    delta = det2(C[:2, :2]) + det2(C[2:, 2:]) - 2 * det2(C[:2, 2:])
    nu = np.sqrt((delta - np.sqrt(delta ** 2 - 4 * np.linalg.det(C))) / 2)
    return max(0.0, -np.log(2 * nu))


def test_fig2a_maximum_near_sidebands(paper):
    import scipy.optimize
    s = run_linearized(paper, [axis(paper, "Delta_1=-20MHz:20MHz:81"),
                               axis(paper, "Delta_2=-20MHz:20MHz:81")])
    en = s.data["E_N"]
    i, j = np.unravel_index(np.nanargmax(en), en.shape)
    d1, d2 = s.axes[0].values[i] / 1e7, s.axes[1].values[j] / 1e7
    # the paper: the maximum lies at Delta_1 = -Delta_2 ~ +-omega_b (two symmetric lobes)
    # (the model's own maximum is at about (0.81, -0.77) omega_b: docs/reproducing-the-paper.md)
    assert abs(abs(d1) - 1) < 0.3 and abs(abs(d2) - 1) < 0.3 and d1 * d2 < 0
    np.testing.assert_allclose(en, en.T, atol=1e-10)       # swap symmetry of the map
    # a continuous optimiser on the SciPy solution lands within one grid step (0.05 omega_b)
    f = lambda x: -_en_scipy(paper.replace(Delta_1=x[0] * 1e7, Delta_2=x[1] * 1e7))
    r = scipy.optimize.minimize(f, x0=[d1, d2], method="Nelder-Mead",
                                options={"xatol": 1e-4, "fatol": 1e-10})
    assert abs(r.x[0] - d1) <= 0.05 and abs(r.x[1] - d2) <= 0.05
    assert -r.fun == pytest.approx(en[i, j], abs=2e-3) and -r.fun >= en[i, j] - 1e-12


def test_fig4a_duan_optimum_is_the_papers(paper):
    # The paper (Fig. 4(b) caption) names Delta_1 = 0.9 omega_b, Delta_2 = -1.1 omega_b as the
    # optimal detunings for the Duan sum: a published number, not our output.
    s = run_linearized(paper, [axis(paper, "Delta_1=0.5MHz:15MHz:30"),
                               axis(paper, "Delta_2=-15MHz:-0.5MHz:30")])
    duan = s.data["duan"]
    i, j = np.unravel_index(np.nanargmin(duan), duan.shape)
    assert s.axes[0].values[i] == pytest.approx(9e6)
    assert s.axes[1].values[j] == pytest.approx(-11e6)
    assert duan[i, j] < 2


def test_entanglement_falls_with_temperature_and_dies(paper):
    T = np.linspace(0.0, 0.4, 81)                        # 5 mK steps
    g = solve_grid(paper.replace(T=T))
    assert np.all(g.stable)
    assert np.all(np.diff(g.E_N[g.E_N > 0]) < 0)
    assert g.E_N[0] > 0.05 and g.E_N[-1] == 0.0
    t_death = T[np.argmax(g.E_N == 0)]
    # bisection on T with SciPy's solver and Eq. (9) written in the test: the batched map's
    # first zero is within one grid step above the true vanishing temperature
    lo, hi = 0.0, 0.4
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _en_scipy(paper.replace(T=mid)) > 0 else (lo, mid)
    assert hi <= t_death < hi + 0.005
    # the paper's order of magnitude (it quotes ~140 mK at a nearby point)
    assert 0.1 < hi < 0.25


def test_bath_models_differ_slightly_but_not_zero(paper):
    b = solve(paper.replace(mech_bath="brownian"))
    l = solve(paper.replace(mech_bath="lindblad"))
    assert 0 < abs(b.E_N - l.E_N) < 1e-3
    assert 0 < abs(b.duan - l.duan) < 1e-3


def test_unstable_point_is_reported_not_zero(paper):
    r = solve(paper.replace(G=20e6))
    assert not r.stable and r.max_real_eigenvalue > 0 and np.isnan(r.E_N)


def _eq3_magnon(Omega, v):
    """The paper's Eq. (3), transcribed: <m> for the drive Omega (Hz), effective detunings."""
    c1, c2 = v["kappa_1"] + 1j * v["Delta_1"], v["kappa_2"] + 1j * v["Delta_2"]
    cm = v["kappa_m"] + 1j * v["Delta_m"]
    return Omega * c1 * c2 / (v["g_1"] ** 2 * c2 + c1 * (v["g_2"] ** 2 + cm * c2))


def _eq4_magnon(Omega, v):
    """The paper's Eq. (4), transcribed: <m> for |Delta| >> kappa."""
    D1, D2, Dm = v["Delta_1"], v["Delta_2"], v["Delta_m"]
    return 1j * Omega * D1 * D2 / (v["g_1"] ** 2 * D2 + v["g_2"] ** 2 * D1 - Dm * D1 * D2)


def test_mean_field_consistency(paper):
    mf = mean_field(paper)
    v = {k: paper.value(k) for k in ("Delta_1", "Delta_2", "Delta_m", "kappa_1", "kappa_2",
                                     "kappa_m", "g_1", "g_2", "G", "G_0", "omega_b")}
    m = mf.means["m"]
    assert np.sqrt(2) * v["G_0"] * abs(m) == pytest.approx(v["G"])
    # G = i sqrt2 G0 <m> is real and positive in this phase convention
    assert (1j * np.sqrt(2) * v["G_0"] * m).real == pytest.approx(v["G"])
    assert abs((1j * m).imag) < 1e-12 * abs(m)
    # Eq. 3 with the implied drive gives back |<m>|; Eq. 4 with its drive gives G
    drive = mf.drives["m"]
    assert abs(_eq3_magnon(drive["Omega"], v)) == pytest.approx(abs(m), rel=1e-12)
    assert np.sqrt(2) * v["G_0"] * abs(_eq4_magnon(drive["Omega_eq4"], v)) == pytest.approx(
        v["G"], rel=1e-12)
    # the cavities follow the magnon: 0 = -(kappa_j + i Delta_j) <a_j> - i g_j <m>
    for j in ("1", "2"):
        a = mf.means["a" + j]
        assert -(v["kappa_" + j] + 1j * v["Delta_" + j]) * a - 1j * v["g_" + j] * m == \
            pytest.approx(0, abs=1e-12 * abs(m) * v["g_" + j])
    assert mf.q["b"] == pytest.approx(-(v["G_0"] / v["omega_b"]) * abs(m) ** 2)


def test_sweep_roundtrip(tmp_path, paper):
    s = run_linearized(paper, [axis(paper, "T=0:200mK:5"), axis(paper, "kappa_2=0.5MHz:2MHz:3")])
    path = s.save(tmp_path / "grid")
    r = Sweep.load(path)
    assert r.shape == (5, 3) and r.axes[0].key == "T" and r.axes[0].unit == "K"
    np.testing.assert_array_equal(r.data["E_N"], s.data["E_N"])
    assert r.base.name == paper.name and r.base.to_dict() == paper.to_dict()
