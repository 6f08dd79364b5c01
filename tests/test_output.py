"""Filtered output modes (linearized.output) on any model: checks that can fail."""
import numpy as np
import pytest

from linearized.description.parse import load_model, parse_model
from linearized.steady import solve_model as solve
from linearized.output import (
    apply_detection,
    filter_transfer,
    filtered_output,
    homodyne_spectra,
    large_bandwidth_limit,
    output_spectral_matrix,
    output_transfer,
)
from linearized.description.units import ParameterError
from linearized.description.system import build_system
from two_cavity import TWO_CAVITY, reference_matrices

CENTERS = (10e6, -10e6)


@pytest.fixture
def two_cavity():
    return build_system(parse_model(TWO_CAVITY))


def test_the_two_cavity_file_is_the_hand_written_model(two_cavity):
    for s in (two_cavity, two_cavity.replace(T=0.0, G_c=0.3e6, Delta_a=9e6)):
        A, D = reference_matrices(s.values)
        np.testing.assert_allclose(s.drift_matrix(), A, rtol=1e-14, atol=1e-6)
        np.testing.assert_allclose(s.diffusion_matrix(), D, rtol=1e-14, atol=1e-6)


def _swap_cavities(p):
    """The paper's system with cavities 1 and 2 (and their parameters) exchanged."""
    v = p.values
    return p.replace(Delta_1=v["Delta_2"], Delta_2=v["Delta_1"], kappa_1=v["kappa_2"],
                     kappa_2=v["kappa_1"], g_1=v["g_2"], g_2=v["g_1"])


def test_decoupled_cavity_at_zero_temperature_gives_vacuum(paper):
    p = paper.replace(g_1=0.0, g_2=0.0, T=0.0)
    for bw in (1e4, 1e6, 1e8):
        r = filtered_output(p, bw, CENTERS)
        assert r.stable
        np.testing.assert_allclose(r.covariance, np.eye(4) / 2, atol=1e-9)
        assert r.E_N < 1e-12
    S = homodyne_spectra(p, np.linspace(-50e6, 50e6, 101), theta=(0.3, 1.2))
    np.testing.assert_allclose(S, 0.5, atol=1e-12)


def test_decoupled_cavity_thermal_gives_bath(paper):
    # the output of an empty cavity is its input: a thermal state of N quanta
    p = paper.replace(g_1=0.0, g_2=0.0, T=1.0)
    n = 1.0 / np.expm1(6.62607015e-34 * p.values["omega_m"] / (1.380649e-23 * 1.0))
    r = filtered_output(p, 2e5, CENTERS)
    np.testing.assert_allclose(r.covariance, (n + 0.5) * np.eye(4), rtol=1e-9, atol=1e-12)


def test_filtered_state_is_physical_and_entangled(paper):
    r = filtered_output(paper, 1e5, CENTERS)
    V = r.covariance
    Om = np.kron(np.eye(2), [[0, 1], [-1, 0]])
    # uncertainty principle V + i Omega/2 >= 0
    assert np.linalg.eigvalsh(V + 0.5j * Om).min() > -1e-10
    assert r.E_N > r.intracavity_E_N > 0
    assert r.intracavity_E_N == pytest.approx(solve(paper).E_N, rel=1e-10)


def test_large_bandwidth_tends_to_instantaneous_output(paper):
    # V_f = (N + 1/2) I + (4/eps) K^(1/2) (V_cav - (N + 1/2)) K^(1/2) + O(1/eps^2)
    errs = []
    for bw in (1e9, 1e10):
        r = filtered_output(paper, bw, CENTERS)
        L = large_bandwidth_limit(paper, bw)
        dev = np.abs(L - np.eye(4) / 2).max()          # the 1/eps term itself
        err = np.abs(r.covariance - L).max()
        assert err < 0.01 * dev
        errs.append(err)
    assert errs[1] < 0.02 * errs[0]                     # second order: x100 per decade
    assert filtered_output(paper, 1e10, CENTERS).E_N < 1e-3


def test_zero_efficiency_gives_vacuum(paper):
    r = filtered_output(paper, 1e5, CENTERS, efficiency=0.0)
    np.testing.assert_allclose(r.covariance, np.eye(4) / 2, atol=1e-15)
    assert r.E_N == 0.0 and r.duan == pytest.approx(2.0)
    r = filtered_output(paper, 1e5, CENTERS, efficiency=0.0, added_noise=0.25)
    np.testing.assert_allclose(r.covariance, 0.75 * np.eye(4), atol=1e-15)


def test_efficiency_and_added_noise_reduce_entanglement(paper):
    full = filtered_output(paper, 1e5, CENTERS)
    lossy = filtered_output(paper, 1e5, CENTERS, efficiency=(0.8, 0.6))
    noisy = filtered_output(paper, 1e5, CENTERS, efficiency=0.8, added_noise=0.05)
    assert full.E_N > lossy.E_N > 0
    assert filtered_output(paper, 1e5, CENTERS, efficiency=0.8).E_N > noisy.E_N
    # the loss map itself: diagonal blocks eta V + (1 - eta)/2, cross block sqrt(eta1 eta2)
    V = full.covariance_ideal
    W = apply_detection(V, (0.8, 0.6))
    np.testing.assert_allclose(W[:2, :2], 0.8 * V[:2, :2] + 0.1 * np.eye(2))
    np.testing.assert_allclose(W[2:, 2:], 0.6 * V[2:, 2:] + 0.2 * np.eye(2))
    np.testing.assert_allclose(W[:2, 2:], np.sqrt(0.48) * V[:2, 2:])
    np.testing.assert_allclose(apply_detection(V, 1.0, 0.1) - V, 0.1 * np.eye(4))
    with pytest.raises(ValueError):
        apply_detection(V, 1.2)
    with pytest.raises(ValueError):
        filtered_output(paper, -1e5, CENTERS)


def test_swap_symmetry(paper):
    p = paper.replace(kappa_1=0.8e6, g_1=3.5e6, Delta_1=9.5e6)
    a = filtered_output(p, 3e5, (9.5e6, -10e6), efficiency=(0.9, 0.7))
    b = filtered_output(_swap_cavities(p), 3e5, (-10e6, 9.5e6), efficiency=(0.7, 0.9))
    assert a.E_N > 0
    assert b.E_N == pytest.approx(a.E_N, rel=1e-9)
    P = np.zeros((4, 4)); P[0, 2] = P[1, 3] = P[2, 0] = P[3, 1] = 1
    np.testing.assert_allclose(P @ a.covariance @ P.T, b.covariance, rtol=1e-8, atol=1e-12)


def _models():
    """Every model the output is checked on: the seed paper, li2018 with its field pair and
    the two-cavity file above, each with filter centres near its modes' resonances."""
    return {"paper": (build_system(load_model("paper")), CENTERS),
            "li2018": (build_system(load_model("li2018"), pair=("a", "m")), (-10e6, 9e6)),
            "two_cavity": (build_system(parse_model(TWO_CAVITY)), (10e6, -10e6)),
            "two_cavity_squeezed": (build_system(parse_model(SQUEEZED_TWO_CAVITY)),
                                    (10e6, -10e6))}


#: the two-cavity file with cavity a fed by squeezed light (issue 21): its output carries the
#: squeezed input (a_out = sqrt(2 kappa) a - a_in), which the spectral route takes from the
#: diffusion matrix and the Lyapunov route from the filters' own input noise
SQUEEZED_TWO_CAVITY = TWO_CAVITY.replace('decay = "kappa_a"\n',
                                         'decay = "kappa_a"\nsqueezing = "0.4"\n'
                                         'squeezing_phase = "0.9"\n', 1)


@pytest.mark.parametrize("name", ["paper", "li2018", "two_cavity", "two_cavity_squeezed"])
def test_filtered_covariance_equals_spectral_integral(name):
    """Independent check of the augmented drift/diffusion: the filtered CM as
    int df F(f) S_out(f) F(f)^dag, with S_out from the model's own drift and diffusion
    (transfer functions, no Lyapunov equation) and quad."""
    from scipy.integrate import quad
    system, centers = _models()[name]
    bw = 1e6
    r = filtered_output(system, bw, centers)

    def integrand(f, i, j):
        S = output_spectral_matrix(system, f)[0]
        F = np.zeros((4, 4), complex)
        F[:2, :2] = filter_transfer(bw, centers[0], f)[0]
        F[2:, 2:] = filter_transfer(bw, centers[1], f)[0]
        return (F @ S @ F.conj().T)[i, j].real

    # f = c tan(phi) maps the real line onto (-pi/2, pi/2); the 1/f^2 tails become finite
    c = 10e6
    g = lambda phi, i, j: integrand(c * np.tan(phi), i, j) * c / np.cos(phi) ** 2
    points = np.arctan(np.array([-30e6, -15e6, -10e6, -5e6, 0.0, 5e6, 10e6, 15e6, 30e6]) / c)
    for i, j in ((0, 0), (1, 1), (0, 2), (0, 3), (1, 2), (2, 2), (0, 1)):
        total = quad(g, -np.pi / 2, np.pi / 2, args=(i, j), points=points, epsabs=1e-11,
                     epsrel=1e-11, limit=400)[0]
        assert total == pytest.approx(r.covariance[i, j], abs=1e-7), (i, j)
    assert r.E_N > 0.01            # an entangled pair: the check is not of the vacuum


@pytest.mark.parametrize("name", ["li2018", "two_cavity"])
def test_large_bandwidth_gives_the_output_fields_own_statistics(name):
    # a filter much wider than every rate returns the output field itself, averaged over
    # 1/eps: the module docstring's limit, to first order in 1/eps (error x100 per decade)
    system, centers = _models()[name]
    errs = []
    for bw in (1e9, 1e10):
        r = filtered_output(system, bw, centers)
        L = large_bandwidth_limit(system, bw)
        bath = large_bandwidth_limit(system, np.inf)       # (N + 1/2) I: the white noise
        dev = np.abs(L - bath).max()                       # the 1/eps term itself
        err = np.abs(r.covariance - L).max()
        assert err < 0.01 * dev
        errs.append(err)
    assert errs[1] < 0.02 * errs[0]
    assert filtered_output(system, 1e10, centers).E_N < 1e-3 < filtered_output(
        system, 1e6, centers).E_N


@pytest.mark.parametrize("name", ["paper", "li2018", "two_cavity"])
def test_swapping_the_pair_gives_the_same_entanglement(name):
    system, centers = _models()[name]
    a = filtered_output(system, 3e5, centers, efficiency=(0.9, 0.7), added_noise=(0.01, 0.0))
    x, y = system.pair_names
    b = filtered_output(system.with_pair((y, x)), 3e5, centers[::-1], efficiency=(0.7, 0.9),
                        added_noise=(0.0, 0.01))
    assert a.E_N > 0 and b.E_N == pytest.approx(a.E_N, rel=1e-9)
    assert b.duan_min_lo[0] == pytest.approx(a.duan_min_lo[0], rel=1e-6)
    P = np.zeros((4, 4)); P[0, 2] = P[1, 3] = P[2, 0] = P[3, 1] = 1
    np.testing.assert_allclose(P @ a.covariance @ P.T, b.covariance, rtol=1e-8, atol=1e-12)
    assert b.intracavity_E_N == pytest.approx(a.intracavity_E_N, rel=1e-9)


def test_default_centres_are_the_modes_resonances():
    li = build_system(load_model("li2018"), pair=("a", "m"))
    assert filtered_output(li, 1e5).centers == (-10e6, 9e6)
    two = build_system(parse_model(TWO_CAVITY), {"Delta_a": "9MHz"})
    assert filtered_output(two, 1e5).centers == (9e6, -10e6)


def test_two_cavity_filters_see_more_than_the_cavities(two_cavity):
    # the red cavity swaps the phonon out, the blue one creates phonon-photon pairs: the
    # two outputs are squeezed at opposite sidebands, most for a narrow filter there
    narrow = filtered_output(two_cavity, 1e4)
    assert narrow.E_N > 5 * narrow.intracavity_E_N > 0
    assert narrow.E_N > filtered_output(two_cavity, 1e6).E_N
    wrong = filtered_output(two_cavity, 1e4, (-10e6, 10e6))      # each off its resonance
    assert wrong.E_N < 1e-3 * narrow.E_N


@pytest.mark.parametrize("pair,words", [(("a", "b"), "mechanical"), (("b", "c"), "mechanical")])
def test_a_mechanical_mode_is_refused(two_cavity, pair, words):
    with pytest.raises(ParameterError, match=words):
        filtered_output(two_cavity.with_pair(pair), 1e5)


def test_an_undamped_mode_is_refused(two_cavity):
    with pytest.raises(ParameterError, match="no decay"):
        filtered_output(two_cavity.replace(kappa_c=0.0), 1e5)


def test_spectrum_integrates_to_the_intracavity_covariance(paper):
    # the spectral matrix of the cavity quadratures themselves, G D G^dag, integrates to the
    # Lyapunov CM: checks the transfer-function convention of output_spectral_matrix
    f = np.linspace(-400e6, 400e6, 160001)
    T = output_transfer(paper, f)
    k = 2 * np.pi * np.repeat([paper.values["kappa_1"], paper.values["kappa_2"]], 2)
    G = (T + np.eye(4, 8)[None] / np.sqrt(2 * k)[None, :, None]) / np.sqrt(2 * k)[None, :, None]
    S = G @ paper.diffusion_matrix() @ np.conj(np.swapaxes(G, -1, -2))
    V = np.trapezoid(S.real, f, axis=0)
    np.testing.assert_allclose(V, solve(paper).covariance[:4, :4], atol=2e-3)


def test_unstable_point_gives_nan(paper):
    p = paper.replace(G=30e6)
    assert solve(p).stable is False
    r = filtered_output(p, 1e5, CENTERS)
    assert not r.stable and np.isnan(r.E_N) and r.max_real_eigenvalue > 0


def test_filter_sign_matches_definition():
    # g(t) = sqrt(2 eps) exp(-(eps + i Omega) t) has g(omega) = sqrt(2 eps)/(eps + i(Omega - omega))
    # for u(t) = int e^{-i omega t} u(omega): the quadrature vector (1, -i) is the mode a alone
    f = np.array([-3e6, 0.0, 2e6, 9e6])
    F = filter_transfer(1e6, 2e6, f)
    eps, Om, w = 2 * np.pi * 1e6, 2 * np.pi * 2e6, 2 * np.pi * f
    h = np.sqrt(2 * eps) / (eps + 1j * (Om - w))
    np.testing.assert_allclose(F @ np.array([1, -1j]), h[:, None] * np.array([1, -1j]),
                               rtol=1e-12)


def test_centres_on_the_cavity_resonances(paper):
    # cavity 1 sits at Delta_1 = +omega_b: its output is there, so centres (+, -) see the pair
    right = filtered_output(paper, 1e5, (10e6, -10e6))
    wrong = filtered_output(paper, 1e5, (-10e6, 10e6))
    assert right.E_N > 100 * wrong.E_N
    n_right = np.trace(right.covariance[:2, :2]) / 2 - 0.5
    n_wrong = np.trace(wrong.covariance[:2, :2]) / 2 - 0.5
    assert n_right > 10 * n_wrong


# -- command line ------------------------------------------------------------------------------

def _cli(capsys, *argv):
    import json
    from compare.cli import main
    code = main(list(argv))
    out, err = capsys.readouterr()
    doc = json.loads(out, parse_constant=lambda t: (_ for _ in ()).throw(ValueError(t))) \
        if out.strip() else None
    return code, doc, err


def test_cli_output_json(capsys, paper):
    code, doc, err = _cli(capsys, "output", "--preset", "paper", "--bandwidth", "0.1MHz",
                          "--centers", "10MHz,-10MHz", "--json")
    assert code == 0, err
    r = filtered_output(paper, 1e5, CENTERS)
    assert doc["filtered"]["E_N"] == pytest.approx(r.E_N, rel=1e-12)
    assert doc["filtered"]["duan_min_lo"]["duan"] == pytest.approx(r.duan_min_lo[0])
    assert doc["intracavity"]["E_N"] == pytest.approx(solve(paper).E_N, rel=1e-10)
    assert doc["filter"]["bandwidth"] == 1e5 and doc["filter"]["centers"] == [1e7, -1e7]
    assert "Hz" in doc["units"]["bandwidth"] and "quanta" in doc["units"]["added_noise"]
    code, doc2, err = _cli(capsys, "output", "--efficiency", "0.8", "--added-noise", "0.01,0",
                           "--json")
    assert code == 0, err
    assert doc2["filter"]["efficiency"] == [0.8, 0.8]
    assert doc2["filter"]["added_noise"] == [0.01, 0.0]
    assert doc2["filtered"]["E_N"] < doc["filtered"]["E_N"]


@pytest.mark.parametrize("argv,needle", [
    (["--bandwidth=-1MHz"], "positive"),
    (["--bandwidth", "0"], "positive"),
    (["--bandwidth", "fast"], "cannot read"),
    (["--bandwidth", "1mK"], "frequency"),
    (["--efficiency", "1.5"], "[0, 1]"),
    (["--efficiency=-0.1"], "[0, 1]"),
    (["--efficiency", "0.5,0.5,0.5"], "comma"),
    (["--efficiency", "nan"], "finite"),
    (["--added-noise=-1"], "negative"),
    (["--centers", "10MHz,"], "comma"),
])
def test_cli_output_bad_input(capsys, argv, needle):
    code, doc, err = _cli(capsys, "output", *argv, "--json")
    assert code == 2 and doc["exit_code"] == 2
    lines = [l for l in err.splitlines() if l.startswith("mwent: error:")]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in err


def test_cli_output_unstable(capsys):
    code, doc, err = _cli(capsys, "output", "--set", "G=30MHz", "--json")
    assert code == 3 and doc["stable"] is False and doc["filtered"]["E_N"] is None
    assert "unstable" in err


def test_cli_output_on_a_model_file(capsys, tmp_path, two_cavity):
    path = tmp_path / "two_cavity.toml"
    path.write_text(TWO_CAVITY)
    code, doc, err = _cli(capsys, "output", "--model", str(path), "--bandwidth", "10kHz",
                          "--efficiency", "0.9", "--json")
    assert code == 0, err
    r = filtered_output(two_cavity, 1e4, efficiency=0.9)
    assert doc["pair"] == ["a", "c"] and doc["filter"]["centers"] == [1e7, -1e7]
    assert doc["filtered"]["E_N"] == pytest.approx(r.E_N, rel=1e-12) and r.E_N > 1
    assert doc["params"]["G_c"] == 1.2e6
    code, doc, err = _cli(capsys, "output", "--model", str(path), "--pair", "c,b", "--json")
    assert code == 2 and doc["exit_code"] == 2
    lines = [l for l in err.splitlines() if l.startswith("mwent: error:")]
    assert len(lines) == 1 and "mechanical" in lines[0] and "'b'" in lines[0]


def test_cli_output_li2018(capsys):
    code, doc, err = _cli(capsys, "output", "--model", "li2018", "--pair", "m,a",
                          "--bandwidth", "1MHz", "--json")
    assert code == 0, err
    li = build_system(load_model("li2018"), pair=("m", "a"))
    assert doc["pair"] == ["m", "a"] and doc["filter"]["centers"] == [9e6, -10e6]
    r = filtered_output(li, 1e6)
    assert doc["filtered"]["E_N"] == pytest.approx(r.E_N, rel=1e-12) and r.E_N > 0.01
    assert doc["intracavity"]["E_N"] == pytest.approx(solve(li).E_N, rel=1e-10)
    code, doc, err = _cli(capsys, "output", "--model", "li2018", "--json")   # pair m, b
    assert code == 2 and "mechanical" in err
