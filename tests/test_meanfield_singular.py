"""Mean field and JSON output where Eq. (4) is singular, at G_0 = 0 and at unstable points."""
import json

import numpy as np
import pytest
import scipy.linalg

from linearized.description.parse import load_model
from linearized.description.meanfield import EQ4_SINGULAR, G0_ZERO, mean_field
from linearized.steady import solve_model as solve, solve_model_grid as solve_grid
from linearized.description.system import build_system
from linearized.description.units import ParameterError

PAPER = build_system(load_model("paper"))
OLD_KEYS = {"E_N", "duan", "duan_min_lo", "stable", "max_real_eigenvalue", "occupations",
            "thermal_occupations", "covariance", "covariance_order", "mean_field", "params",
            "units"}
OLD_MF_KEYS = {"m", "a1", "a2", "q", "Omega_over_2pi_Hz", "Omega_eq4_over_2pi_Hz",
               "Delta_m0_over_2pi_Hz"}


def _v(p, *keys):
    return [p.value(k) for k in keys]


def _den(p, Delta_m):
    """|<m>|-to-drive factor of the paper's Eq. (3), written out here (Hz)."""
    D1, D2, k1, k2, km, g1, g2 = _v(p, "Delta_1", "Delta_2", "kappa_1", "kappa_2", "kappa_m",
                                    "g_1", "g_2")
    return 1j * Delta_m + km + g1 ** 2 / (1j * D1 + k1) + g2 ** 2 / (1j * D2 + k2)


def _strict(d):
    return json.loads(json.dumps(d, allow_nan=False))


def _no_nan_anywhere(obj):
    if isinstance(obj, dict):
        return all(_no_nan_anywhere(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return all(_no_nan_anywhere(v) for v in obj)
    if isinstance(obj, float):
        return np.isfinite(obj)
    return True


@pytest.mark.parametrize("changes", [dict(Delta_1=0.0, Delta_2=0.0),
                                     dict(Delta_1=0.0, Delta_2=-10e6),
                                     dict(Delta_1=10e6, Delta_2=0.0)])
def test_zero_cavity_detuning_no_exception_and_eq3_fields_defined(changes):
    p = PAPER.replace(**changes)
    mf = mean_field(p)
    drive = mf.drives["m"]
    assert drive["Omega_eq4"] is None
    assert dict(mf.undefined) == {"Omega_eq4": EQ4_SINGULAR}
    assert "Eq. 4" in EQ4_SINGULAR
    # everything Eq. (3) gives is defined and checks against a direct evaluation here
    G0, G = _v(p, "G_0", "G")
    m = mf.means["m"]
    assert abs(m) == pytest.approx(G / (np.sqrt(2) * G0), rel=1e-12)
    assert drive["Omega"] == pytest.approx(abs(m * _den(p, p.value("Delta_m"))), rel=1e-12)
    for z in (mf.means["m"], mf.means["a1"], mf.means["a2"], mf.q["b"], drive["Omega"],
              drive["bare_detuning"]):
        assert z is not None and np.isfinite(z)
    d = _strict(mf.to_dict())
    assert set(d) >= OLD_MF_KEYS
    assert d["Omega_eq4_over_2pi_Hz"] is None and "Omega_eq4" in d["undefined"]


def test_eq4_resonance_gives_zero_drive_not_an_error():
    # -Delta_m D1 D2 + g1^2 D2 + g2^2 D1 = 0 with D1, D2 != 0: infinite <m> per unit drive
    g = 3.8e6
    d1, d2 = 10e6, -5e6
    dm = (g ** 2 * d2 + g ** 2 * d1) / (d1 * d2)
    mf = mean_field(PAPER.replace(Delta_1=d1, Delta_2=d2, Delta_m=dm))
    assert mf.drives["m"]["Omega_eq4"] == pytest.approx(0.0, abs=1e-6 * mf.drives["m"]["Omega"])
    assert mf.undefined == ()


def test_eq4_defined_point_matches_formula_written_here():
    p = PAPER
    mf = mean_field(p)
    D1, D2, Dm, g1, g2 = _v(p, "Delta_1", "Delta_2", "Delta_m", "g_1", "g_2")
    m_per_drive = 1j * D1 * D2 / (-Dm * D1 * D2 + g1 ** 2 * D2 + g2 ** 2 * D1)
    assert mf.drives["m"]["Omega_eq4"] == pytest.approx(abs(mf.means["m"]) / abs(m_per_drive),
                                                        rel=1e-12)


def test_g0_zero_every_field_none_with_reason():
    mf = mean_field(PAPER.replace(G_0=0.0))
    assert all(v is None for v in mf.means.values()) and set(mf.means) == {"a1", "a2", "m"}
    assert mf.q == {"b": None}
    assert all(v is None for v in mf.drives["m"].values())
    assert dict(mf.undefined) == {k: G0_ZERO for k in ("a1", "a2", "m")}
    assert G0_ZERO.startswith("G_0 = 0")
    d = _strict(mf.to_dict())
    assert all(d[k] is None for k in OLD_MF_KEYS)


@pytest.mark.parametrize("changes,stable", [
    (dict(G_0=0.0), True),
    (dict(Delta_1=0.0, Delta_2=0.0), True),
    (dict(Delta_1=0.0, Delta_2=-10e6), True),
    (dict(G=20e6, G_0=0.0), False),
    (dict(G=20e6), False),
])
def test_linearized_result_is_strict_json(changes, stable):
    res = solve(PAPER.replace(**changes))
    assert res.stable is stable
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)      # raises on NaN / inf
    back = json.loads(text)
    assert set(back) >= OLD_KEYS
    assert _no_nan_anywhere(back)
    if not stable:
        assert back["E_N"] is None and back["duan"] is None and back["duan_min_lo"] is None
        assert all(v is None for v in back["occupations"].values())
        assert all(x is None for row in back["covariance"] for x in row)
        assert "unstable" in back["undefined"]["E_N"]
        assert back["max_real_eigenvalue"] > 0
    else:
        assert back["E_N"] is not None and back["duan_min_lo"] is not None


def _scipy_E_N(p):
    """E_N from the drift/diffusion matrices with SciPy's Lyapunov solver and the two-mode
    formula nu~_-^2 = (Delta~ - sqrt(Delta~^2 - 4 det V)) / 2 written out here."""
    A, D = p.drift_matrix(), p.diffusion_matrix()
    assert np.linalg.eigvals(A).real.max() < 0
    V = scipy.linalg.solve_continuous_lyapunov(A, -D)
    V = (V + V.T) / 2
    c = V[:4, :4]
    a, b, cc = c[:2, :2], c[2:, 2:], c[:2, 2:]
    dt = np.linalg.det(a) + np.linalg.det(b) - 2 * np.linalg.det(cc)
    nu = np.sqrt((dt - np.sqrt(dt ** 2 - 4 * np.linalg.det(c))) / 2)
    return max(0.0, -np.log(2 * nu))


def test_fig2a_origin_single_point_batched_and_scipy_agree():
    p = PAPER.replace(Delta_1=0.0, Delta_2=0.0)
    single = solve(p).E_N
    ref = _scipy_E_N(p)
    assert ref == pytest.approx(0.0516, abs=5e-5)          # README's value at the origin
    assert single == pytest.approx(ref, rel=1e-9)
    # the batched solver at the same point, inside a small grid around it
    grid = PAPER.replace(Delta_1=np.array([-1e6, 0.0, 1e6])[:, None],
                         Delta_2=np.array([-1e6, 0.0, 1e6])[None, :])
    g = solve_grid(grid)
    assert g.E_N[1, 1] == pytest.approx(ref, rel=1e-9)
    for idx in [(0, 0), (0, 2), (2, 1)]:
        q = grid.point(idx)
        assert g.E_N[idx] == pytest.approx(_scipy_E_N(q), rel=1e-9, abs=1e-12)


def test_drift_with_kerr_is_finite_for_g0_positive():
    p = PAPER.replace(K=1e-3)
    A = p.drift_matrix()
    assert np.all(np.isfinite(A))
    G, G0, Dm, K = _v(p, "G", "G_0", "Delta_m", "K")
    n = G ** 2 / (2 * G0 ** 2)
    # K (m^dag m)^2 about <m> = -i sqrt(n) adds 2 K n y^2 beyond the effective detuning
    assert A[4, 5] == pytest.approx(2 * np.pi * (Dm + 4 * K * n), rel=1e-12)
    # on a grid whose G_0 > 0 everywhere, and with K = 0 and G_0 = 0 somewhere
    grid = PAPER.replace(K=np.array([0.0, 1e-3]), G_0=np.array([0.3, 1.0]))
    assert np.all(np.isfinite(grid.drift_matrix()))
    assert np.all(np.isfinite(PAPER.replace(G_0=np.array([0.0, 0.3])).drift_matrix()))
    with pytest.raises(ParameterError):
        PAPER.replace(K=1e-3, G_0=0.0)


@pytest.mark.parametrize("changes", [dict(Delta_1=0.0, Delta_2=0.0), dict(P=0.0),
                                     dict(P=0.0, K=0.3 ** 2 / (2 * 10e6)),
                                     dict(K=0.3 ** 2 / (2 * 10e6))])
def test_physical_drive_at_singular_points(changes):
    from linearized.description import physical as ph
    raw = dict(diameter=250e-6, Delta_m0=9e6, P=6.3e-3)
    raw.update(changes)
    p = build_system(load_model("paper"), raw, branch="lowest")
    Omega = ph.rabi_frequency(raw["P"], raw["diameter"]) / (2 * np.pi)      # Hz
    G0, wb, K = _v(p, "G_0", "omega_b", "K")
    assert p.branches and p.branch is p.branches[0]
    for br in p.branches:
        assert np.isfinite(br.G) and np.isfinite(br.detuning)
        n = (br.G / (np.sqrt(2) * G0)) ** 2
        assert n == pytest.approx(br.n, rel=1e-12)
        # the branch solves Eq. (3) self-consistently: n |i Dm~ + A|^2 = Omega^2, checked here
        assert n * abs(_den(p, br.detuning)) ** 2 == pytest.approx(Omega ** 2, rel=1e-8,
                                                                   abs=1e-30)
        # and its detuning holds the mean-field shifts: G_0 <q> with <q> = -G_0 n / omega_b
        # (Brownian bath) and K (2n + 1) of K (m^dag m)^2 = K (m^dag^2 m^2 + m^dag m)
        assert br.detuning == pytest.approx(raw["Delta_m0"] - G0 ** 2 * n / wb + K * (2 * n + 1),
                                            rel=1e-12, abs=1e-6)
    assert solve(p).to_dict()["stable"] in (True, False)


def test_infinite_values_become_null():
    import dataclasses
    res = solve(PAPER)
    cov = res.covariance.copy()
    cov[7, 7] = np.inf
    bad = dataclasses.replace(res, E_N=np.inf, duan=-np.inf, covariance=cov,
                              occupations=np.array([np.inf, 0.0, np.nan, 1.0]))
    d = _strict(bad.to_dict())
    assert d["E_N"] is None and d["duan"] is None and d["covariance"][7][7] is None
    assert d["occupations"] == {"a1": None, "a2": 0.0, "m": None, "b": 1.0}
