"""Physical parametrization: spheres, drive power, self-consistent mean field, branches."""
import json

import numpy as np
import pytest

from compare.cli import main
from linearized.description import physical as ph
from linearized.description.parse import load_model
from linearized.description.meanfield import mean_field
from linearized.description.system import build_system
from linearized.description.units import ParameterError

#: the paper's physical drive: power, sphere and bare magnon detuning
DRIVE = {"P": "6.3mW", "diameter": "250um", "Delta_m0": "10MHz"}


def physical(changes=None, branch="lowest"):
    """The paper's model with its physical drive (every mean-field branch solved)."""
    return build_system(load_model("paper"), {**DRIVE, **(changes or {})}, branch=branch)


def _eq3_den(p, Delta_m):
    """Drive per magnon amplitude of the paper's Eq. (3), written out here (Hz): the
    classical equations with E = <m> (i Delta_m + kappa_m + sum_j g_j^2 / (i Delta_j + kappa_j))
    at the effective magnon detuning Delta_m."""
    v = {k: p.value(k) for k in ("Delta_1", "Delta_2", "kappa_1", "kappa_2", "kappa_m",
                                 "g_1", "g_2")}
    return (1j * Delta_m + v["kappa_m"] + v["g_1"] ** 2 / (1j * v["Delta_1"] + v["kappa_1"])
            + v["g_2"] ** 2 / (1j * v["Delta_2"] + v["kappa_2"]))


def eq3_magnon_number(Omega, p, Delta_m):
    """|<m>|^2 of the paper's Eq. (3) for the drive Omega (Hz)."""
    return abs(Omega / _eq3_den(p, Delta_m)) ** 2


def test_sphere_and_drive_by_hand():
    # 250 um sphere: V = (4/3) pi (125e-6)^3 = 8.1812e-12 m^3, N = 4.22e27 V = 3.4525e16
    assert ph.spin_number(250e-6) == pytest.approx(4.22e27 * 4 / 3 * np.pi * 125e-6 ** 3)
    assert ph.spin_number(250e-6) == pytest.approx(3.4525e16, rel=1e-4)
    # B_0 = (1/R) sqrt(2 mu_0 P / (pi c)) at 6.3 mW: sqrt(2*1.2566e-6*6.3e-3/(pi*2.998e8))/125e-6
    assert ph.drive_field(6.3e-3, 250e-6) == pytest.approx(3.2802e-5, rel=1e-4)
    # Omega/2pi = (sqrt5/4) 28 GHz/T sqrt(N) B_0 = 0.5590 * 28e9 * 1.8581e8 * 3.2802e-5
    assert ph.rabi_frequency(6.3e-3, 250e-6) / (2 * np.pi) == pytest.approx(9.540e13, rel=1e-3)
    Omega = ph.rabi_frequency(1e-3, 250e-6)
    assert ph.power_for_rabi(Omega, 250e-6) == pytest.approx(1e-3, rel=1e-12)


@pytest.mark.parametrize("G0,P_paper", [(0.3, 6.3e-3), (1.0, 0.57e-3)])
def test_papers_drive_power_within_its_rounding(paper, G0, P_paper):
    # "6.3 mW (0.57 mW) gives G/2pi = 4.5 MHz for G0/2pi = 0.3 Hz (1 Hz)": Eq. (4)'s value
    # rounds to the paper's figures; Eq. (3), exact, is 2% higher
    drive = mean_field(paper.replace(G_0=G0)).drives["m"]
    P4 = ph.power_for_rabi(2 * np.pi * drive["Omega_eq4"], 250e-6)
    P3 = ph.power_for_rabi(2 * np.pi * drive["Omega"], 250e-6)
    assert float(f"{P4 * 1e3:.2g}") == pytest.approx(P_paper * 1e3)    # two figures, as quoted
    assert 1.01 < P3 / P4 < 1.03


def test_three_branches_middle_unstable():
    p = physical()
    br = p.branches
    assert len(br) == 3
    assert br[0].stable and not br[1].stable
    assert [b.n for b in br] == sorted(b.n for b in br)
    # each root is self-consistent: Eq. (3) at its own shifted detuning gives back n
    Omega = ph.rabi_frequency(6.3e-3, 250e-6) / (2 * np.pi)
    for b in br:
        assert eq3_magnon_number(Omega, p, b.detuning) == pytest.approx(b.n, rel=1e-9)
        assert b.detuning == pytest.approx(10e6 - 0.3 ** 2 / 10e6 * b.n)
        assert b.G == pytest.approx(np.sqrt(2) * 0.3 * np.sqrt(b.n), rel=1e-12)


def test_physical_point_reproduces_effective_one(paper):
    # drive for G = 4.5 MHz at Delta_m = 9 MHz, then back: same G, Delta_m (round trip)
    drive = mean_field(paper).drives["m"]
    P = ph.power_for_rabi(2 * np.pi * drive["Omega"], 250e-6)
    p = build_system(load_model("paper"), {"P": P, "diameter": "250um",
                                           "Delta_m0": drive["bare_detuning"]})
    assert p.value("G") == pytest.approx(4.5e6, rel=1e-9)
    assert p.value("Delta_m") == pytest.approx(9e6, rel=1e-9)
    assert p.branch.G == pytest.approx(4.5e6, rel=1e-9)


def test_mixing_effective_and_physical_is_an_error(capsys):
    assert main(["linearized", "--set", "P=6mW", "--set", "G=4MHz", "--set", "diameter=250um",
                 "--set", "Delta_m0=10MHz"]) == 2
    assert "not both" in capsys.readouterr()[1]
    assert main(["linearized", "--set", "P=6mW"]) == 2
    assert "missing" in capsys.readouterr()[1]
    with pytest.raises(ParameterError, match="missing"):
        build_system(load_model("paper"), {"P": "6mW"})


def test_meanfield_cli(capsys):
    code = main(["meanfield", "--preset", "paper", "--set", "P=6.3mW", "--set", "diameter=250um",
                 "--set", "G_0=0.3Hz", "--set", "Delta_m0=10MHz", "--json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0 and len(doc["branches"]) == 3
    assert {"abs_m", "phase_m", "q", "Delta_m", "G", "stable"} <= set(doc["branches"][0])
    code = main(["meanfield", "--preset", "paper", "--set", "diameter=250um", "--set",
                 "G_0=0.3Hz", "--target-G", "4.5MHz", "--json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0 and doc["eq4"]["P"] == pytest.approx(6.3e-3, rel=0.01)
    assert doc["Delta_m0"] == pytest.approx(9e6 + 4.5e6 ** 2 / 2 / 1e7)


BISTABLE = ["--set", "kappa_1=3MHz", "--set", "kappa_2=3MHz", "--set", "kappa_m=3MHz",
            "--set", "g_1=1MHz", "--set", "g_2=1MHz", "--set", "Delta_1=30MHz",
            "--set", "Delta_2=-30MHz", "--set", "P=4.075mW", "--set", "diameter=250um",
            "--set", "Delta_m0=6MHz"]


def test_bistable_point_refuses_to_guess(capsys):
    code = main(["meanfield", *BISTABLE, "--json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0 and [b["stable"] for b in doc["branches"]] == [True, False, True]
    assert main(["linearized", *BISTABLE]) == 2
    assert "bistable" in capsys.readouterr()[1]
    assert main(["linearized", *BISTABLE, "--branch", "lowest", "--json"]) == 0
    low = json.loads(capsys.readouterr()[0])
    assert main(["linearized", *BISTABLE, "--branch", "2", "--json"]) == 0
    high = json.loads(capsys.readouterr()[0])
    assert low["params"]["G"] == pytest.approx(doc["branches"][0]["G"])
    assert high["params"]["G"] == pytest.approx(doc["branches"][2]["G"])
    assert main(["linearized", *BISTABLE, "--branch", "1"]) == 3      # the unstable one


def drive_frame(p):
    """``e^{-i theta}`` that takes the effective frame (``<m> = -i|<m>|``) to the undisplaced
    frame's, whose drive ``E = e^{i theta} |E|`` is real: E from the paper's Eq. (3) here."""
    E = mean_field(p).means["m"] * _eq3_den(p, p.value("Delta_m"))
    return np.conj(E) / abs(E)


def rotated_duan(cov, rot):
    """Duan sum of the pair (a1, a2) after turning both cavities by ``a -> a rot``
    (x' = cos x + sin y, y' = -sin x + cos y for rot = e^{-i phi}), Eq. (10) written here."""
    from linearized.steady import pair_block
    c, s_ = rot.real, -rot.imag
    R1 = np.array([[c, s_], [-s_, c]])
    R = np.kron(np.eye(2), R1)
    C = R @ pair_block(cov, 0, 1) @ R.T
    u = np.array([1.0, 0.0, 1.0, 0.0])                # X+ = x_1 + x_2
    v = np.array([0.0, 1.0, 0.0, -1.0])               # Y- = y_1 - y_2
    return float(u @ C @ u + v @ C @ v)


@pytest.mark.slow
def test_undisplaced_model_agrees_with_displaced(paper):
    # a small-amplitude point (|<m>| = 0.49): the driven, undisplaced master equation in the
    # plain basis must reproduce the displaced-frame model: a direct check of displacement.
    # The undisplaced frame has a real drive: means and Duan turned into it (E_N is invariant)
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    from qmodel.undisplaced import solve_undisplaced
    p = paper.replace(G_0=1e6, G=0.7e6, g_1=1.5e6, g_2=1.5e6, T=1e-3, mech_bath="lindblad")
    d = solve_master(p, ConvergenceOptions(tol=1e-5, tail_tol=1e-5))
    u = solve_undisplaced(p, (4, 4, 6, 6))
    rot = drive_frame(p)
    assert u["tail_population"].max() < 1e-5
    assert u["E_N"] == pytest.approx(d.measures.E_N, abs=2e-5) and u["E_N"] > 1e-3
    assert u["duan"] == pytest.approx(rotated_duan(d.measures.covariance, rot), abs=1e-4)
    fm = d.measures.first_moments
    m_mf = mean_field(p).means["m"]
    m_displaced = (m_mf + complex(fm[4], fm[5]) / np.sqrt(2)) * rot
    assert abs(u["means"]["m"] - m_displaced) < 1e-4
    assert abs(u["means"]["m"] - m_mf * rot) > 1e-3     # quantum corrections are resolved


@pytest.mark.slow
def test_kerr_term_displaced_vs_undisplaced(paper):
    # the displaced expansion of K (m^dag m)^2 (quadratic, cubic, quartic pieces) against the
    # driven model that has K (m^dag m)^2 itself
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    from qmodel.undisplaced import solve_undisplaced
    p = paper.replace(G_0=1e6, G=0.7e6, g_1=1.5e6, g_2=1.5e6, T=1e-3, mech_bath="lindblad",
                      K=3e5)
    d = solve_master(p, ConvergenceOptions(tol=1e-6, tail_tol=1e-6))
    u = solve_undisplaced(p, (4, 4, 6, 6))
    assert u["E_N"] == pytest.approx(d.measures.E_N, abs=5e-5)
    assert u["duan"] == pytest.approx(rotated_duan(d.measures.covariance, drive_frame(p)),
                                      abs=1e-4)
    # the Kerr term matters here: E_N moves by far more than that tolerance
    no_kerr = solve_master(p.replace(K=0.0), ConvergenceOptions(tol=1e-6, tail_tol=1e-6))
    assert abs(no_kerr.measures.E_N - d.measures.E_N) > 1e-3


def test_kerr_enters_the_mean_field(capsys):
    # with K the branch detuning is Delta_m0 + K(2n + 1) - (G_0^2/omega_b) n, and each root is
    # self-consistent under Eq. (3)
    p = physical({"K": 4e-9})
    Omega = ph.rabi_frequency(6.3e-3, 250e-6) / (2 * np.pi)
    for b in p.branches:
        assert b.detuning == pytest.approx(10e6 + 4e-9 * (2 * b.n + 1) - 0.3 ** 2 / 1e7 * b.n)
        assert eq3_magnon_number(Omega, p, b.detuning) == pytest.approx(b.n, rel=1e-9)
    sets = [x for k, v in {**DRIVE, "K": "4e-9"}.items() for x in ("--set", f"{k}={v}")]
    assert main(["meanfield", *sets, "--json"]) == 0
    doc = json.loads(capsys.readouterr()[0])
    for row in doc["branches"]:
        assert row["kerr_shift"] == pytest.approx(4e-9 * (2 * row["n"] + 1))


def test_undisplaced_frame_cli(capsys, paper):
    small = ["--set", "G_0=1MHz", "--set", "G=0.7MHz", "--set", "g_1=1.5MHz", "--set",
             "g_2=1.5MHz", "--set", "T=1mK", "--frame", "undisplaced"]
    assert main(["qmodel", *small]) == 2                       # needs --cutoffs
    capsys.readouterr()
    code = main(["qmodel", *small, "--cutoffs", "3,3,5,5", "--tail-tol", "1e-3", "--json"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0 and doc["frame"] == "undisplaced"
    # |<m>| = G / (sqrt2 G_0) = 0.495 (the frame's phase is the drive's, so compare moduli)
    m = doc["means"]["m"]
    assert abs(abs(complex(m["re"], m["im"])) - 0.7 / np.sqrt(2)) < 0.01
    assert 0 < doc["E_N"] < 0.01


def test_yig_kerr_scales_as_inverse_volume():
    # K/2pi = 1e-10 Hz at 1 mm, times (1 mm / d)^3: 6.4 nHz at 250 um
    assert ph.kerr_coefficient(1e-3) == pytest.approx(1e-10)
    assert ph.kerr_coefficient(250e-6) == pytest.approx(6.4e-9)
    assert ph.kerr_coefficient(125e-6) / ph.kerr_coefficient(250e-6) == pytest.approx(8.0)


def test_anisotropy_expansion_coefficient():
    # the n^2 coefficient -(9/2) of the precession-averaged cubic anisotropy energy, checked by
    # averaging E/(K1 V) = ax^2 ay^2 + ay^2 az^2 + az^2 ax^2 over phi numerically and fitting
    # in u = n/S (cos theta = 1 - u); hbar K n^2 is the n^2 term, K1 V c2 n^2 / S^2
    phi = np.linspace(0, 2 * np.pi, 4001)[:-1]
    u = np.linspace(1e-4, 2e-3, 20)
    theta = np.arccos(1 - u)[:, None]
    ax, ay, az = np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)
    E = (ax ** 2 * ay ** 2 + ay ** 2 * az ** 2 + az ** 2 * ax ** 2).mean(axis=1)
    c3, c2, c1, c0 = np.polyfit(u, E, 3)
    assert c1 == pytest.approx(2.0, rel=1e-6) and c2 == pytest.approx(-4.5, rel=1e-4)
    # and the formula: S = (5/2) rho V spins, so Ms = gamma hbar S / V is YIG's low-temperature
    # magnetization (about 196 kA/m, mu_0 Ms = 0.246 T)
    V = np.pi / 6 * 250e-6 ** 3
    Ms = 2 * 9.2740100783e-24 * 2.5 * ph.SPIN_DENSITY
    assert Ms == pytest.approx(1.96e5, rel=0.01)
    K1 = -610.0
    S = 2.5 * ph.SPIN_DENSITY * V
    assert ph.kerr_from_anisotropy(250e-6, K1) == pytest.approx(
        c2 * K1 * V / (ph.HBAR * S ** 2) / (2 * np.pi), rel=1e-4)


def test_literature_kerr_lies_between_anisotropy_estimates():
    # independent check of the literature value: YIG's K1 is about -610 J/m^3 at room
    # temperature and about -2.5e3 J/m^3 at 4 K; the quoted K sits between the two estimates
    for d in (250e-6, 1e-3):
        lo, hi = ph.kerr_from_anisotropy(d, -610.0), ph.kerr_from_anisotropy(d, -2.5e3)
        assert lo < ph.kerr_coefficient(d) < hi


def test_kerr_yig_option(capsys):
    p = build_system(load_model("paper"), {"K": "yig", "diameter": "250um"})
    assert p.value("K") == pytest.approx(6.4e-9)
    with pytest.raises(ParameterError, match="diameter"):
        build_system(load_model("paper"), {"K": "yig"})
    # meanfield reports the Kerr estimate at the paper's drive: at G_0 = 0.3 Hz the shift
    # 6.4e-9 * (2 * 1.125e14 + 1) Hz = 1.44 MHz exceeds kappa_m (1 MHz); at 1 Hz it is 0.13 MHz
    for G0, shift, negligible in ((0.3, 1.44e6, False), (1.0, 0.1296e6, False), (10.0, 1.296e3, True)):
        code = main(["meanfield", "--set", "diameter=250um", "--set", f"G_0={G0}Hz",
                     "--target-G", "4.5MHz", "--json"])
        doc = json.loads(capsys.readouterr()[0])
        assert code == 0
        assert doc["kerr_yig"]["shift"] == pytest.approx(shift, rel=1e-3)
        assert doc["kerr_yig"]["negligible"] is negligible
    # a diameter axis cannot keep one K = yig
    assert main(["sweep", "--set", "K=yig", "--set", "diameter=250um", "--set", "P=1mW",
                 "--set", "Delta_m0=10MHz", "--axis", "diameter=100um:300um:3"]) == 2
    assert "diameter" in capsys.readouterr()[1]
