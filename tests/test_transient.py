"""Linear transient after switch-on (linearized.transient) on any model: checks that can
fail."""
import numpy as np
import pytest

from linearized.description.parse import load_model, parse_model
from linearized.measures import log_negativity
from linearized.steady import pair_block, solve_model as solve
from linearized.description.system import build_system
from linearized.transient import (
    FRACTION,
    _Propagator,
    covariance_at,
    default_times,
    thermal_covariance,
    transient,
)
from test_output import TWO_CAVITY

H_OVER_K = 6.62607015e-34 / 1.380649e-23


def test_initial_state_is_thermal(paper):
    V0 = covariance_at(paper, 0.0)[0]
    np.testing.assert_allclose(V0, thermal_covariance(paper), rtol=1e-10, atol=1e-12)
    nb = 1.0 / np.expm1(H_OVER_K * paper.values["omega_b"] / paper.values["T"])
    assert V0[6, 6] == pytest.approx(nb + 0.5, rel=1e-12)
    assert V0[0, 0] == pytest.approx(0.5, abs=1e-9)     # 10 GHz at 20 mK: ~ vacuum
    r = transient(paper, [1e-9])
    assert r.times[0] == 0.0 and r.E_N[0] == 0.0


def test_long_time_limit_is_the_lyapunov_solution(paper):
    r = transient(paper)
    ss = solve(paper)
    np.testing.assert_allclose(covariance_at(paper, r.times[-1])[0], ss.covariance,
                               rtol=1e-8, atol=1e-10)
    assert r.E_N[-1] == pytest.approx(ss.E_N, rel=1e-8)
    assert r.duan[-1] == pytest.approx(ss.duan, rel=1e-8)
    assert r.E_N_steady == pytest.approx(ss.E_N, rel=1e-10)
    # the default grid reaches five bare phonon lifetimes
    assert default_times(paper)[-1] >= 5 / (2 * np.pi * paper.values["gamma_b"])


def test_against_radau_integration(paper):
    from scipy.integrate import solve_ivp
    p = paper.replace(gamma_b=2e4)                      # Q = 500: a short, cheap integration
    A, D = p.drift_matrix(), p.diffusion_matrix()
    s = 2 * np.pi * 1e6                                 # time in microseconds
    def rhs(t, y):
        V = y.reshape(8, 8)
        return ((A @ V + V @ A.T + D) / s).reshape(-1)
    times = np.array([0.05e-6, 0.3e-6, 1e-6, 4e-6, 10e-6])
    sol = solve_ivp(rhs, (0, times[-1] * s), thermal_covariance(p).reshape(-1),
                    method="Radau", t_eval=times * s, rtol=1e-9, atol=1e-11)
    assert sol.success
    exact = covariance_at(p, times)
    for k in range(len(times)):
        np.testing.assert_allclose(sol.y[:, k].reshape(8, 8), exact[k], rtol=1e-6, atol=1e-7)


def test_expm_fallback_agrees(paper):
    A, D = paper.drift_matrix(), paper.diffusion_matrix()
    a = _Propagator(A, D, thermal_covariance(paper))
    b = _Propagator(A, D, thermal_covariance(paper))
    b.use_eig = False
    t = [0.0, 1e-7, 2e-6, 1e-4]
    np.testing.assert_allclose(a(t), b(t), rtol=1e-8, atol=1e-9)


def test_t90(paper):
    r = transient(paper)
    assert r.t_90_first is not None and r.t_90_settled is not None
    assert 0 < r.t_90_first <= r.t_90_settled
    target = FRACTION * r.E_N_steady
    en = lambda t: log_negativity(pair_block(covariance_at(paper, t), 0, 1))
    assert en(r.t_90_first)[0] == pytest.approx(target, abs=1e-9)
    assert en(r.t_90_settled)[0] == pytest.approx(target, abs=1e-9)
    # before t_90_first never above; after t_90_settled never below (fine sampling)
    early = np.linspace(0, r.t_90_first, 2000)[:-1]
    assert np.all(en(early) < target)
    late = np.linspace(r.t_90_settled, r.t_90_settled + 20e-6, 20000)[1:]
    assert np.all(en(late) >= target)
    assert np.any(en(np.linspace(r.t_90_first, r.t_90_settled, 2000)) < target) \
        or r.t_90_first == r.t_90_settled


def test_no_entanglement_gives_no_t90(paper):
    r = transient(paper.replace(G=0.0))
    assert r.E_N_steady == 0
    assert r.t_90_first is None and r.t_90_settled is None


def test_unstable_raises(paper):
    with pytest.raises(ValueError, match="unstable"):
        transient(paper.replace(G=30e6))


def test_cli_transient(capsys, paper):
    import json
    from compare.cli import main
    code = main(["transient", "--preset", "paper", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    r = transient(paper)
    assert doc["times"][0] == 0.0 and len(doc["times"]) == len(doc["E_N"]) == len(doc["duan"])
    assert doc["steady"]["E_N"] == pytest.approx(r.E_N_steady)
    assert doc["t_90"]["first"] == pytest.approx(r.t_90_first)
    assert doc["t_90"]["settled"] == pytest.approx(r.t_90_settled)
    assert doc["units"]["times"] == "s"
    code = main(["transient", "--t-max", "2us", "--t-min", "1ns", "--points", "5", "--json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0 and len(doc["times"]) == 6 and doc["times"][-1] == pytest.approx(2e-6)


@pytest.mark.parametrize("argv,code", [
    (["--t-max", "soon"], 2), (["--points", "1"], 2), (["--t-min", "1ms", "--t-max", "1us"], 2),
    (["--set", "G=30MHz"], 3)])
def test_cli_transient_errors(capsys, argv, code):
    import json
    from compare.cli import main
    assert main(["transient", *argv, "--json"]) == code
    out, err = capsys.readouterr()
    assert json.loads(out)["exit_code"] == code
    assert len([l for l in err.splitlines() if l.startswith("mwent: error:")]) == 1


# -- other models -----------------------------------------------------------------------------

def _models():
    return {"li2018": build_system(load_model("li2018")),                 # pair m, b
            "li2018_am": build_system(load_model("li2018"), pair=("a", "m")),
            "two_cavity": build_system(parse_model(TWO_CAVITY))}


@pytest.mark.parametrize("name", ["li2018", "li2018_am", "two_cavity"])
def test_other_models_start_thermal_and_end_at_the_lyapunov_state(name):
    s = _models()[name]
    r = transient(s)
    # t = 0: each mode at its bath's occupation, written out from the Bose-Einstein formula
    T = s.values["T"]
    occ = [1 / np.expm1(H_OVER_K * s.values[f] / T) for f in
           {"li2018": ("omega_a", "omega_m", "omega_b"),
            "two_cavity": ("omega_c", "omega_c", "omega_m")}[name.split("_am")[0]]]
    V0 = covariance_at(s, 0.0)[0]
    np.testing.assert_allclose(V0, np.diag(np.repeat(occ, 2) + 0.5), rtol=1e-10, atol=1e-12)
    i, j = s.pair
    blk0 = pair_block(V0, i, j)
    assert r.E_N[0] == pytest.approx(log_negativity(blk0), abs=1e-12) and r.E_N[0] < 1e-12
    # late: the Lyapunov steady state of the same model
    ss = solve(s)
    np.testing.assert_allclose(covariance_at(s, r.times[-1])[0], ss.covariance, rtol=1e-8,
                               atol=1e-10)
    assert r.E_N_steady == pytest.approx(ss.E_N, rel=1e-10) and ss.E_N > 0.01
    assert r.E_N[-1] == pytest.approx(ss.E_N, rel=1e-8)
    assert r.duan[-1] == pytest.approx(ss.duan, rel=1e-8)
    assert r.to_dict()["pair"] == list(s.pair_names)


def test_two_cavity_transient_against_radau_integration():
    from scipy.integrate import solve_ivp
    s = build_system(parse_model(TWO_CAVITY), {"gamma_m": "20kHz"})
    A, D = s.drift_matrix(), s.diffusion_matrix()
    n = A.shape[0]
    u = 2 * np.pi * 1e6                                 # time in microseconds

    def rhs(t, y):
        V = y.reshape(n, n)
        return ((A @ V + V @ A.T + D) / u).reshape(-1)
    times = np.array([0.05e-6, 0.3e-6, 1e-6, 4e-6, 10e-6])
    sol = solve_ivp(rhs, (0, times[-1] * u), thermal_covariance(s).reshape(-1),
                    method="Radau", t_eval=times * u, rtol=1e-9, atol=1e-11)
    assert sol.success
    exact = covariance_at(s, times)
    for k in range(len(times)):
        np.testing.assert_allclose(sol.y[:, k].reshape(n, n), exact[k], rtol=1e-6, atol=1e-7)


def test_swapping_the_pair_leaves_the_transient():
    s = build_system(parse_model(TWO_CAVITY))
    a, b = transient(s), transient(s.with_pair(("c", "a")))
    np.testing.assert_allclose(a.E_N, b.E_N, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.duan, b.duan, rtol=1e-10)
    assert a.t_90_first == pytest.approx(b.t_90_first, rel=1e-9)


def test_cli_transient_on_a_model_file(capsys, tmp_path):
    import json
    from compare.cli import main
    path = tmp_path / "two_cavity.toml"
    path.write_text(TWO_CAVITY)
    code = main(["transient", "--model", str(path), "--pair", "a,b", "--points", "20", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    s = build_system(parse_model(TWO_CAVITY), pair=("a", "b"))
    r = transient(s, default_times(s, 20))
    assert doc["pair"] == ["a", "b"] and len(doc["times"]) == 21
    np.testing.assert_allclose(doc["E_N"], r.E_N, rtol=1e-10, atol=1e-14)
    assert doc["steady"]["E_N"] == pytest.approx(solve(s).E_N, rel=1e-10)
    code = main(["transient", "--model", "li2018", "--master-equation", "--cutoffs", "3,3,3,3"])
    assert code == 2 and "three integers" in capsys.readouterr().err
