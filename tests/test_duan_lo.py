"""Closed-form LO-optimised Duan sum against brute force (grid + Nelder-Mead written here),
an analytic two-mode squeezed vacuum and the paper preset's cavity block."""
import numpy as np
import pytest
import scipy.linalg
import scipy.optimize

from linearized.measures import duan_sum_optimized, rotate_cavities

OMEGA2 = np.kron(np.eye(2), np.array([[0.0, 1.0], [-1.0, 0.0]]))


def _rot(t):
    """The LO rotation of the module's docstring, X -> cos X + sin Y, Y -> -sin X + cos Y,
    for an array of angles: shape t.shape + (2, 2)."""
    c, s = np.cos(t), np.sin(t)
    return np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], -2)


def _duan_fixed(V):
    """Eq. (10) from scratch: Var(X1 + X2) + Var(Y1 - Y2) with vacuum variance 1/2."""
    u = np.array([1.0, 0.0, 1.0, 0.0])
    v = np.array([0.0, 1.0, 0.0, -1.0])
    return np.einsum("i,...ij,j->...", u, V, u) + np.einsum("i,...ij,j->...", v, V, v)


def _duan_grid(V, n=181):
    """Duan sum on an n x n grid of both phases (the whole 4x4 CM rotated, nothing assumed)."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    R1 = _rot(t)[:, None]            # (n, 1, 2, 2)
    R2 = _rot(t)[None, :]            # (1, n, 2, 2)
    A, B, C = V[:2, :2], V[2:, 2:], V[:2, 2:]
    Ar = R1 @ A @ np.swapaxes(R1, -1, -2)
    Br = R2 @ B @ np.swapaxes(R2, -1, -2)
    Cr = R1 @ C @ np.swapaxes(R2, -1, -2)
    full = np.zeros((n, n, 4, 4))
    full[..., :2, :2], full[..., 2:, 2:] = Ar, Br
    full[..., :2, 2:], full[..., 2:, :2] = Cr, np.swapaxes(Cr, -1, -2)
    d = _duan_fixed(full)
    i, j = np.unravel_index(np.argmin(d), d.shape)
    return d[i, j], t[i], t[j]


def _brute_min(V):
    """Grid, then Nelder-Mead from the best grid point (both angles free)."""
    g, a, b = _duan_grid(V)

    def f(x):
        R = np.zeros((4, 4))
        R[:2, :2], R[2:, 2:] = _rot(x[0]), _rot(x[1])
        return _duan_fixed(R @ V @ R.T)

    res = scipy.optimize.minimize(f, x0=[a, b], method="Nelder-Mead",
                                  options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 4000})
    return min(g, res.fun)


def _random_cm(rng, passive=False):
    """A random physical two-mode CM: S diag(nu_1, nu_1, nu_2, nu_2) S^T, nu >= 1/2, S
    symplectic: ``expm(Omega H)`` with H symmetric, or (``passive``) a beam splitter after
    local rotations and single-mode squeezers (these give det C > 0 more often)."""
    if passive:
        r1, r2 = rng.normal(scale=0.8, size=2)
        sq = np.diag([np.exp(-r1), np.exp(r1), np.exp(-r2), np.exp(r2)])
        loc = np.zeros((4, 4))
        loc[:2, :2], loc[2:, 2:] = _rot(rng.uniform(0, 2 * np.pi)), _rot(rng.uniform(0, 2 * np.pi))
        th = rng.uniform(0, np.pi)
        bs = np.kron(np.array([[np.cos(th), np.sin(th)], [-np.sin(th), np.cos(th)]]), np.eye(2))
        S = bs @ loc @ sq
    else:
        H = rng.normal(size=(4, 4)) * rng.uniform(0.1, 1.0)
        S = scipy.linalg.expm(OMEGA2 @ (H + H.T) / 2)
    assert np.allclose(S @ OMEGA2 @ S.T, OMEGA2)
    nu = 0.5 + rng.exponential(0.7, size=2)
    V = S @ np.diag(np.repeat(nu, 2)) @ S.T
    V = (V + V.T) / 2
    # physical: V + i Omega / 2 >= 0
    assert np.linalg.eigvalsh(V + 0.5j * OMEGA2).min() > -1e-9
    return V


def _tmsv(r):
    c, s = np.cosh(2 * r) / 2, np.sinh(2 * r) / 2
    return np.array([[c, 0, s, 0], [0, c, 0, -s], [s, 0, c, 0], [0, -s, 0, c]])


def test_random_cms_against_brute_force_both_signs_of_det_C():
    rng = np.random.default_rng(2024)
    signs = {+1: 0, -1: 0}
    flip = np.diag([1.0, 1.0, 1.0, -1.0])      # Y2 -> -Y2 flips the sign of det C
    for k in range(40):
        V = _random_cm(rng, passive=k % 2 == 1)
        Vt = flip @ V @ flip
        # det C > 0 only happens for separable states (Simon); the partial transpose of a
        # separable state is again a valid CM, so use it to get both signs
        if k % 3 == 0 and np.linalg.eigvalsh(Vt + 0.5j * OMEGA2).min() > 1e-9:
            V = Vt
        detC = np.linalg.det(V[:2, 2:])
        signs[1 if detC >= 0 else -1] += 1
        value, t1, t2 = duan_sum_optimized(V)
        assert isinstance(value, float) and isinstance(t1, float) and isinstance(t2, float)
        assert 0.0 <= t1 < 2 * np.pi and 0.0 <= t2 < 2 * np.pi
        brute = _brute_min(V)
        assert value <= brute + 1e-10 * max(1.0, abs(brute))
        assert value == pytest.approx(brute, rel=1e-8, abs=1e-9)
        # the angles returned reproduce the value
        assert _duan_fixed(rotate_cavities(V, t1, t2)) == pytest.approx(value, rel=1e-12,
                                                                           abs=1e-12)
    assert signs[1] >= 5 and signs[-1] >= 5, signs


@pytest.mark.parametrize("r", [0.0, 0.2, 0.7, 1.5])
@pytest.mark.parametrize("phases", [(0.0, 0.0), (0.0, np.pi / 2), (1.1, -0.4), (3.0, 2.5)])
def test_two_mode_squeezed_vacuum_analytic_minimum(r, phases):
    V = rotate_cavities(_tmsv(r), *phases)
    value, t1, t2 = duan_sum_optimized(V)
    assert value == pytest.approx(2 * np.exp(-2 * r), rel=1e-12, abs=1e-14)
    assert _duan_fixed(rotate_cavities(V, t1, t2)) == pytest.approx(value, rel=1e-12, abs=1e-14)


def test_paper_preset_cavity_block(paper):
    import reference_drifts as ref
    from linearized.steady import solve_model
    res = solve_model(paper)
    V = res.covariance[:4, :4]
    # the same block from the hand-written Eq. (6) and D and SciPy's Lyapunov solver
    v = lambda *keys: [paper.value(k) for k in keys]
    A = ref.yu2020_drift(*v("Delta_1", "Delta_2", "Delta_m", "kappa_1", "kappa_2", "kappa_m",
                            "g_1", "g_2", "G", "omega_b", "gamma_b"))
    D = ref.yu2020_diffusion(*v("kappa_1", "kappa_2", "kappa_m", "gamma_b", "omega_m",
                                "omega_b", "T"))
    np.testing.assert_allclose(V, scipy.linalg.solve_continuous_lyapunov(A, -D)[:4, :4],
                               rtol=1e-8, atol=1e-10)
    value, t1, t2 = duan_sum_optimized(V)
    assert _duan_fixed(V) == pytest.approx(2.063619, abs=1e-6)
    assert value == pytest.approx(1.814294, abs=1e-6)
    assert value == pytest.approx(_brute_min(V), rel=1e-9)
    assert _duan_fixed(rotate_cavities(V, t1, t2)) == pytest.approx(value, rel=1e-12)
    d = res.to_dict()["duan_min_lo"]
    assert d["duan"] == pytest.approx(value, rel=1e-15)
    assert (d["theta_1"], d["theta_2"]) == (t1, t2)


def test_broadcasts_over_a_stack():
    rng = np.random.default_rng(7)
    Vs = np.stack([_random_cm(rng) for _ in range(6)]).reshape(2, 3, 4, 4)
    value, t1, t2 = duan_sum_optimized(Vs)
    assert value.shape == t1.shape == t2.shape == (2, 3)
    for idx in np.ndindex(2, 3):
        v, a, b = duan_sum_optimized(Vs[idx])
        assert value[idx] == pytest.approx(v, rel=1e-14)
        assert _duan_fixed(rotate_cavities(Vs[idx], t1[idx], t2[idx])) == pytest.approx(v)


def test_uncorrelated_state_returns_local_traces():
    V = np.diag([0.6, 0.7, 0.8, 0.9])
    value, t1, t2 = duan_sum_optimized(V)
    assert value == pytest.approx(3.0)
    assert np.isfinite(t1) and np.isfinite(t2)
