"""Models as data: the description, both engines derived from it, and the checks that keep
them honest.

Independent references: ``tests/reference_drifts.py`` (drift and diffusion matrices written
out by hand from the papers, by someone who had not read the project's code), the analytic
two-mode squeezing steady state, a thermal mode, a mode relabelling symmetry, QuTiP's
steady state of a textbook Hamiltonian, and the bath and Kerr terms of DESIGN.md written out
here.  (The seed model's master equation is held against its Hamiltonian written in QuTiP in
tests/test_qmodel.py.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import reference_drifts as ref
from linearized.description.parse import load_model, parse_model, shipped_models
from linearized.steady import solve_model, solve_model_grid
from linearized.description.system import build_system
from linearized.description.units import ParameterError

HERE = os.path.dirname(__file__)
RNG = np.random.default_rng(7)


def _paper_point():
    """A random stable-or-not point of the paper's parameters (Hz)."""
    u = lambda lo, hi: float(RNG.uniform(lo, hi))
    return dict(Delta_1=u(-2e7, 2e7), Delta_2=u(-2e7, 2e7), Delta_m=u(-2e7, 2e7),
                kappa_1=u(1e5, 3e6), kappa_2=u(1e5, 3e6), kappa_m=u(1e5, 3e6),
                g_1=u(0, 5e6), g_2=u(0, 5e6), G=u(0, 6e6), omega_b=u(5e6, 2e7),
                gamma_b=u(10, 1e3))


@pytest.mark.parametrize("trial", range(5))
def test_paper_model_file_gives_eq6_and_its_diffusion_literally(trial):
    p = _paper_point()
    T = float(RNG.uniform(0, 0.3))
    s = build_system(load_model("paper"), dict(p, T=T))
    A_ref = ref.yu2020_drift(**p)
    D_ref = ref.yu2020_diffusion(p["kappa_1"], p["kappa_2"], p["kappa_m"], p["gamma_b"],
                                 10e9, p["omega_b"], T)
    np.testing.assert_allclose(s.drift_matrix(), A_ref, rtol=0, atol=1e-9 * np.abs(A_ref).max())
    np.testing.assert_allclose(s.diffusion_matrix(), D_ref, rtol=1e-12, atol=0)


@pytest.mark.parametrize("bath", ["brownian", "lindblad"])
def test_paper_model_file_gives_eq6_with_either_bath_and_a_kerr_term(bath):
    """Eq. (6) and D of the oracle, changed by hand where the project goes beyond the paper
    (DESIGN.md): the Lindblad bath damps q and p at gamma_b / 2 with D_qq = D_pp =
    (gamma_b / 2)(2 N_b + 1); Kerr K (m^dag m)^2 about <m> = -i|<m>| adds 2 K |<m>|^2 y^2 to H
    beyond the effective detuning, i.e. 4 K |<m>|^2 to dx/dt's y entry, |<m>| = G/(sqrt2 G_0)."""
    p = _paper_point()
    K, G0, T = 3e-7, 0.3, 0.02
    s = build_system(load_model("paper"), dict(p, mech_bath=bath, K=K))
    A = ref.yu2020_drift(**p)
    D = ref.yu2020_diffusion(p["kappa_1"], p["kappa_2"], p["kappa_m"], p["gamma_b"], 10e9,
                             p["omega_b"], T)
    A[4, 5] += 2 * np.pi * 4 * K * (p["G"] / (np.sqrt(2) * G0)) ** 2
    if bath == "lindblad":
        gb = 2 * np.pi * p["gamma_b"]
        A[6, 6] = A[7, 7] = -gb / 2
        D[6, 6] = D[7, 7] = D[7, 7] / 2
    np.testing.assert_allclose(s.drift_matrix(), A, rtol=0, atol=1e-9 * np.abs(A).max())
    np.testing.assert_allclose(s.diffusion_matrix(), D, rtol=1e-12, atol=0)


@pytest.mark.parametrize("trial", range(3))
def test_li2018_model_file_gives_li_drift_in_both_phase_conventions(trial):
    u = lambda lo, hi: float(RNG.uniform(lo, hi))
    p = dict(Delta_a=u(-2e7, 2e7), Delta_m=u(-2e7, 2e7), kappa_a=u(1e5, 3e6),
             kappa_m=u(1e5, 3e6), g_ma=u(0, 5e6), G_mb=u(0, 6e6), omega_b=u(5e6, 2e7),
             gamma_b=u(10, 1e3))
    T = u(0, 0.1)
    s = build_system(load_model("li2018"), dict(p, T=T))
    A1 = ref.li2018_drift(**p)
    np.testing.assert_allclose(s.drift_matrix(), A1, rtol=0, atol=1e-9 * np.abs(A1).max())
    # the form with a real mean field: a local phase rotation of cavity and magnon
    R = ref.magnon_rotation(3, (0, 1), -np.pi / 2)
    A2 = ref.li2018_drift_real_mean(**p)
    np.testing.assert_allclose(R @ s.drift_matrix() @ R.T, A2, atol=1e-9 * np.abs(A2).max())
    D = ref.li2018_diffusion(p["kappa_a"], p["kappa_m"], p["gamma_b"], 10e9, 10e9,
                             p["omega_b"], T)
    np.testing.assert_allclose(s.diffusion_matrix(), D, rtol=1e-12)


def test_vitali2007_model_file_gives_vitali_drift_up_to_the_mean_field_phase():
    """The file takes <a> = +i|<a>| (G_0 < 0 in -G_0 a^dag a q); Vitali's alpha is real.  The
    two differ by a local phase of the cavity, which must map one matrix onto the other."""
    p = dict(Delta=1.3e7, kappa=7e6, G=4e6, omega_m=1e7, gamma_m=100.0)
    s = build_system(load_model("vitali2007"),
                     dict(Delta=p["Delta"], kappa=p["kappa"], G=p["G"], omega_b=p["omega_m"],
                          gamma_b=p["gamma_m"]))
    A = ref.vitali2007_drift(**p)
    hits = [phi for phi in (0, np.pi / 2, -np.pi / 2, np.pi)
            if np.allclose(ref.magnon_rotation(2, 0, phi) @ s.drift_matrix()
                           @ ref.magnon_rotation(2, 0, phi).T, A, atol=1e-6)]
    assert len(hits) == 1
    D = ref.vitali2007_diffusion(p["kappa"], p["gamma_m"], p["omega_m"], 0.4)
    np.testing.assert_allclose(s.diffusion_matrix(), D, rtol=1e-12)


TMS = """
name = "tms"
pair = ["a", "b"]
[parameters]
kappa = "1MHz"
g = "0.5MHz"
w = "10GHz"
T = "0K"
[[modes]]
name = "a"
detuning = 0
decay = "kappa"
bath_frequency = "w"
[[modes]]
name = "b"
detuning = 0
decay = "kappa"
bath_frequency = "w"
[[couplings]]
kind = "two_mode_squeezing"
modes = ["a", "b"]
rate = "g"
"""


@pytest.mark.parametrize("g", [0.1, 0.5, 0.9])
def test_two_mode_squeezing_steady_state_is_analytic(g):
    """Below threshold, g (a^dag b^dag + a b) with both modes at kappa and T = 0 gives a
    symmetric squeezed thermal state: n = g^2 / (2 (kappa^2 - g^2)), E_N = ln(1 + g/kappa)."""
    r = solve_model(build_system(parse_model(TMS), {"g": g * 1e6}))
    assert r.stable
    assert r.E_N == pytest.approx(np.log(1 + g), rel=1e-10)
    np.testing.assert_allclose(r.occupations, g ** 2 / (2 * (1 - g ** 2)), rtol=1e-10)


def test_two_mode_squeezing_above_threshold_is_unstable():
    r = solve_model(build_system(parse_model(TMS), {"g": 1.2e6}))
    assert not r.stable and np.isnan(r.E_N) and r.max_real_eigenvalue == pytest.approx(0.2e6)


def test_beam_splitter_on_vacuum_and_a_thermal_mode():
    text = TMS.replace("two_mode_squeezing", "beam_splitter")
    r = solve_model(build_system(parse_model(text), {"g": 3e6}))
    np.testing.assert_allclose(r.covariance, np.eye(4) / 2, atol=1e-12)
    assert r.E_N == 0.0 and r.duan == pytest.approx(2.0)
    hot = solve_model(build_system(parse_model(text), {"g": 3e6, "w": 1e9, "T": 0.05}))
    N = 1 / np.expm1(6.62607015e-34 * 1e9 / (1.380649e-23 * 0.05))
    np.testing.assert_allclose(hot.covariance, (N + 0.5) * np.eye(4), rtol=1e-10, atol=1e-14)


def test_relabelling_the_modes_changes_no_pair():
    """The paper's file with its modes declared in another order, the cavities' parameters
    swapped: every pair's E_N must follow its modes."""
    text = load_model("paper").source
    blocks = text.split("[[modes]]")
    head, modes = blocks[0], blocks[1:]
    last = modes[-1].split("[[couplings]]")
    modes[-1], tail = last[0], "[[couplings]]" + "[[couplings]]".join(last[1:])
    text2 = head + "".join("[[modes]]" + m for m in (modes[3], modes[2], modes[1], modes[0])) + tail
    a = solve_model(build_system(load_model("paper")))
    b = solve_model(build_system(parse_model(text2)))
    ea = {frozenset(p["modes"]): p["E_N"] for p in a.pairs}
    eb = {frozenset(p["modes"]): p["E_N"] for p in b.pairs}
    assert ea.keys() == eb.keys()
    for k in ea:
        assert eb[k] == pytest.approx(ea[k], abs=1e-12)


def test_grid_equals_points():
    s = build_system(load_model("li2018"))
    grid = s.replace()
    vals = dict(grid.values)
    vals["Delta_a"] = np.linspace(-2e7, 2e7, 7)
    from linearized.description.system import System
    g = solve_model_grid(System.build(s.spec, vals))
    for k, d in enumerate(vals["Delta_a"]):
        r = solve_model(s.replace(Delta_a=float(d)))
        if r.stable:
            np.testing.assert_allclose(g.pair_E_N[k], [p["E_N"] for p in r.pairs], atol=1e-10)
        else:
            assert not g.stable[k]


# -- bad descriptions: one sentence, exit 2 ----------------------------------------------------

BAD = {
    "unknown mode in a coupling": (TMS.replace('modes = ["a", "b"]', 'modes = ["a", "c"]'),
                                   "unknown mode 'c'"),
    "unknown parameter in a coupling": (TMS.replace('rate = "g"', 'rate = "g_x"'),
                                        "'g_x', which is not a declared parameter"),
    "negative rate": (TMS.replace('kappa = "1MHz"', 'kappa = "-1MHz"'), "must not be negative"),
    "cubic coupling with no drive": (
        TMS.replace('kind = "two_mode_squeezing"\nmodes = ["a", "b"]\nrate = "g"',
                    'kind = "radiation_pressure"\nmodes = ["a", "b"]\nG_0 = "g"')
        .replace('name = "b"\ndetuning = 0\ndecay = "kappa"\nbath_frequency = "w"',
                 'name = "b"\nmechanical = true\nfrequency = "w"\ndamping = "kappa"'),
        "has no drive"),
    "a mode with neither decay nor coupling": (
        TMS + '[[modes]]\nname = "c"\ndetuning = 0\ndecay = 0\nbath_frequency = "w"\n',
        "neither decay nor coupling"),
    "a pair that names a mode twice": (TMS.replace('pair = ["a", "b"]', 'pair = ["a", "a"]'),
                                       "twice"),
    "a temperature that is not in K": (TMS.replace('T = "0K"', 'T = "10MHz"'), "must be in K"),
    "a rate in K": (TMS.replace('decay = "kappa"', 'decay = "T"', 1),
                    "but a rate is wanted (Hz"),
    "an infinite rate": (TMS.replace('rate = "g"', 'rate = "g / 0"'), "not a finite number"),
}


def _mwent(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "compare", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_descriptions_are_refused_with_one_sentence(case, tmp_path):
    text, words = BAD[case]
    with pytest.raises(ParameterError, match=words.replace("(", r"\(")):
        parse_model(text)
    f = tmp_path / "bad.toml"
    f.write_text(text)
    r = _mwent("linearized", "--model", str(f))
    assert r.returncode == 2, r.stderr
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert words.split("'")[0] in r.stderr and "Traceback" not in r.stderr


# -- the command line --------------------------------------------------------------------------

def test_models_list_show_and_a_file_from_show(tmp_path):
    r = _mwent("models", "--json")
    names = [m["name"] for m in json.loads(r.stdout)["models"]]
    assert set(names) == set(shipped_models()) >= {"paper", "li2018", "vitali2007"}
    shown = _mwent("models", "show", "li2018").stdout
    f = tmp_path / "my.toml"
    f.write_text(shown)
    a = json.loads(_mwent("linearized", "--model", "li2018", "--set", "Delta_a=-7.4MHz",
                          "--json").stdout)
    b = json.loads(_mwent("linearized", "--model", str(f), "--set", "Delta_a=-7.4MHz",
                          "--json").stdout)
    assert a["pairs"] == b["pairs"] and len(a["pairs"]) == 3
    assert a["model"]["hash"] == b["model"]["hash"] and a["pair"] == ["m", "b"]


def test_linearized_json_has_model_pair_and_pairs_and_paper_numbers_unchanged():
    d = json.loads(_mwent("linearized", "--json").stdout)
    assert d["model"]["name"] == "paper" and d["pair"] == ["a1", "a2"]
    assert len(d["pairs"]) == 6 and d["pairs"][0]["E_N"] == d["E_N"]
    e = json.loads(_mwent("linearized", "--model", "paper", "--pair", "a2,b", "--json").stdout)
    ab = next(p for p in d["pairs"] if p["modes"] == ["a2", "b"])
    assert e["E_N"] == pytest.approx(ab["E_N"], abs=1e-12) and e["pair"] == ["a2", "b"]


def test_unstable_model_point_exits_3():
    r = _mwent("linearized", "--model", "li2018", "--set", "G_mb=30MHz", "--json")
    assert r.returncode == 3 and "unstable" in r.stderr
    assert json.loads(r.stdout)["stable"] is False


def test_output_refuses_a_mechanical_mode_in_one_sentence():
    # li2018's default pair (m, b) holds the phonon, which has no output field
    r = _mwent("output", "--model", "li2018", "--json")
    assert r.returncode == 2 and "mechanical" in r.stderr and "'b'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_transient_takes_other_models():
    """One engine (issue #19): transient is no longer the paper's alone.  The thermal product
    state at t = 0 holds no entanglement, and the long-time limit is the Lyapunov steady state
    of the same pair (two field modes: the transient starts from their baths)."""
    r = _mwent("transient", "--model", "li2018", "--pair", "a,m", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["times"][0] == 0.0 and d["E_N"][0] == pytest.approx(0.0, abs=1e-12)
    lin = solve_model(build_system(load_model("li2018"), pair=("a", "m")))
    assert d["steady"]["E_N"] == pytest.approx(lin.E_N, abs=1e-10) and lin.E_N > 0.1
    assert d["E_N"][-1] == pytest.approx(lin.E_N, abs=1e-3)


# -- the master equation on other models -------------------------------------------------------

def test_master_equation_of_two_mode_squeezing_reaches_the_analytic_value():
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    s = build_system(parse_model(TMS), {"g": 0.3e6})
    r = solve_master(s, ConvergenceOptions(basis="fock"))
    assert r.converged
    assert r.measures.E_N == pytest.approx(np.log(1.3), abs=1e-4)
    # the quadratic model's steady state is Gaussian: plain and normal bases agree
    rn = solve_master(s)
    assert rn.converged and rn.measures.E_N == pytest.approx(np.log(1.3), abs=1e-4)


@pytest.mark.parametrize("pair", [("m", "b"), ("a", "m"), ("a", "b")])
def test_li2018_master_equation_agrees_on_every_pair(pair):
    from compare.verdict.comparison import compare
    c = compare(build_system(load_model("li2018"), pair=pair))
    assert c.verdict == "agree", c.reason
    assert any(e["name"] == "independent_basis" and e["passed"] for e in c.evidence)
    row = next(p for p in c.pairs() if set(p["modes"]) == set(pair))
    assert row["qmodel"]["E_N"] == pytest.approx(row["E_N"], abs=1e-3)
    assert c.linearized.E_N > 0.1


def test_hot_mirror_is_refused_at_once():
    r = _mwent("qmodel", "--model", "vitali2007", "--set", "G=0.02MHz", "--json")
    assert r.returncode == 4
    assert "too many quanta" in r.stderr
    assert json.loads(r.stdout)["converged"] is False


# -- a physical drive: every mean-field branch -------------------------------------------------

OPTO = """
name = "optomech"
title = "a driven cavity and a mirror"
pair = ["a", "b"]
[parameters]
Delta0 = "5MHz"
kappa = "1MHz"
g0 = "0.1MHz"
E = "100MHz"
omega_c = "300THz"
omega_b = "10MHz"
gamma_b = "0.2MHz"
T = "0K"
mech_bath = "brownian"
[[modes]]
name = "a"
detuning = "Delta0"
decay = "kappa"
bath_frequency = "omega_c"
[[modes]]
name = "b"
mechanical = true
frequency = "omega_b"
damping = "gamma_b"
bath = "mech_bath"
[[couplings]]
kind = "radiation_pressure"
modes = ["a", "b"]
G_0 = "-sqrt(2) * g0"
drive = "E"
"""


def test_drive_branches_are_the_roots_of_the_bistability_cubic():
    """One cavity on a mirror: n ((Delta_0 - G_0^2 n / omega_b)^2 + kappa^2) = E^2 with
    G_0 = sqrt2 g0 (Brownian bath, <q> = -G_0 n / omega_b): three real roots here."""
    spec = parse_model(OPTO)
    from linearized.description.system import System
    s = System.build(spec, spec.defaults())            # the only stable branch
    assert s.branch.index == 0
    c = 2 * 0.1e6 ** 2 / 10e6
    D0, k, E = 5e6, 1e6, 100e6
    roots = np.sort(np.roots([c * c, -2 * D0 * c, D0 ** 2 + k ** 2, -E ** 2]).real)
    got = [b.n for b in s.branches]
    np.testing.assert_allclose(got, roots, rtol=1e-9)
    # the middle root is unstable (as always); the upper one has an effective detuning
    # Delta_0 - c n < 0, blue of the cavity, where the mirror is anti-damped
    assert [b.stable for b in s.branches] == [True, False, False]
    assert s.branches[2].detuning < 0
    lo = s.branches[0]
    assert lo.detuning == pytest.approx(D0 - c * lo.n, rel=1e-12)
    assert lo.G == pytest.approx(np.sqrt(2) * np.sqrt(2) * 0.1e6 * np.sqrt(lo.n), rel=1e-12)
    # the effective model of the chosen branch is what both engines solve
    assert s.frequency[0] == pytest.approx(lo.detuning) and s.terms[0][2] == pytest.approx(lo.G)
    hi = System.build(spec, spec.defaults(), branch="highest")
    assert hi.branch.index == 2 and hi.terms[0][2] > s.terms[0][2]
    assert not solve_model(hi).stable


def test_drive_branches_on_the_command_line(tmp_path):
    f = tmp_path / "opto.toml"
    f.write_text(OPTO)
    d = json.loads(_mwent("linearized", "--model", str(f), "--json").stdout)
    assert d["mean_field"]["branch"] == 0 and len(d["mean_field"]["branches"]) == 3
    r = _mwent("linearized", "--model", str(f), "--branch", "highest")
    assert r.returncode == 3 and "unstable" in r.stderr and "Traceback" not in r.stderr
    r = _mwent("linearized", "--model", str(f), "--branch", "7")
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = _mwent("linearized", "--model", "li2018", "--branch", "lowest")
    assert r.returncode == 2 and "effective form" in r.stderr


STRONG = OPTO.replace('Delta0 = "5MHz"', 'Delta0 = "3MHz"').replace(
    'kappa = "1MHz"', 'kappa = "3MHz"').replace('g0 = "0.1MHz"', 'g0 = "3MHz"').replace(
    'E = "100MHz"', 'E = "1.5MHz"').replace('mech_bath = "brownian"', 'mech_bath = "lindblad"')


def test_undisplaced_frame_equals_qutip_steadystate_at_single_photon_strong_coupling():
    """g0 = kappa, a weak drive, a fraction of a photon: the tool's undisplaced model (built
    from the description) against QuTiP's steadystate of the textbook Hamiltonian
    H = Delta_0 a^dag a + omega_b b^dag b - g0 a^dag a (b + b^dag) + i E (a^dag - a)."""
    import qutip
    from qmodel.undisplaced import solve_undisplaced
    s = build_system(parse_model(STRONG))
    u = solve_undisplaced(s, (8, 10))
    w = 10e6
    D0, k, g0, E, gb = 3e6 / w, 3e6 / w, 3e6 / w, 1.5e6 / w, 0.2e6 / w
    a = qutip.tensor(qutip.destroy(8), qutip.qeye(10))
    b = qutip.tensor(qutip.qeye(8), qutip.destroy(10))
    H = D0 * a.dag() * a + b.dag() * b - g0 * a.dag() * a * (b + b.dag()) \
        + 1j * E * (a.dag() - a)
    rho = qutip.steadystate(H, [np.sqrt(2 * k) * a, np.sqrt(gb) * b])
    assert qutip.tracedist(rho, qutip.Qobj(u["rho"], dims=[[8, 10], [8, 10]])) < 1e-8
    assert max(u["tail_population"]) < 1e-6
    # no linearization survives: the mean moves off the mean field, E_N off Eq. 9
    mf = s.branch.means[0]
    assert abs(u["means"]["a"] - mf) > 0.05
    assert abs(u["E_N"] - u["E_N_gaussian"]) > 0.01


def test_validity_map_marks_the_strong_coupling_point_non_gaussian(tmp_path):
    f = tmp_path / "strong.toml"
    f.write_text(STRONG)
    out = tmp_path / "v"
    r = _mwent("validity", "--model", str(f), "--axis", "E=1.5MHz:1.5MHz:1",
               "--axis", "g0=0.03MHz:3MHz:2", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    pts = {round(p["values"]["g0"]): p for p in d["points"]}
    strong, weak = pts[3000000], pts[30000]
    ng = strong["result"]["non_gaussianity"] - strong["result"]["non_gaussianity_floor"]
    assert ng > 1e-3 and d["non_gaussian_points"] == 1
    assert weak["result"]["verdict"] == "agree"
    assert strong["result"]["verdict"] in ("disagree", "undecided")
    assert os.path.exists(f"{out}.png")


# -- the Python API and sweeps -----------------------------------------------------------------

def test_python_api_readme_example_and_a_qutip_partial_transpose():
    import qutip
    from compare import api
    li = api.model("li2018", Delta_a="-7.4MHz")
    lin = api.linearized(li)
    me = api.master_equation(li)
    rho = me.reduced_state("m", "b")
    assert rho.dims == [[rho.shape[0] // rho.dims[0][1], rho.dims[0][1]]] * 2
    # QuTiP's own partial transpose (log base 2) gives the tool's exact E_N
    en = np.log(2) * qutip.negativity(rho / rho.tr(), 1, logarithmic=True)
    assert en == pytest.approx(me.measures.E_N, abs=1e-7)
    assert me.measures.E_N == pytest.approx(lin.E_N, abs=1e-3)
    d = api.compare(li.with_pair(("a", "m"))).to_dict()
    assert d["verdict"] == "agree" and d["pair"] == ["a", "m"] and len(d["pairs"]) == 3
    json.dumps(lin.to_dict(), allow_nan=False)


def test_model_sweep_resumes_and_reloads(tmp_path):
    from linearized.sweep import Sweep
    out = str(tmp_path / "a")
    args = ["sweep", "--model", "li2018", "--engine", "linearized",
            "--axis", "Delta_a=-20MHz:20MHz:21", "--out", out, "--json"]
    first = json.loads(_mwent(*args).stdout)
    again = json.loads(_mwent(*args).stdout)
    assert first["computed"] == 21 and again["reused"] == 21 and again["computed"] == 0
    s = Sweep.load(out)
    assert s.base.name == "li2018" and s.data["pair_E_N"].shape == (21, 3)
    k = 7
    point = solve_model(build_system(load_model("li2018"),
                                     {"Delta_a": float(s.axes[0].values[k])}))
    np.testing.assert_allclose(s.data["pair_E_N"][k], [p["E_N"] for p in point.pairs],
                               atol=1e-10)
    assert s.data["E_N"][k] == pytest.approx(point.E_N, abs=1e-10)


def _readme():
    with open(os.path.join(HERE, "..", "README.md")) as f:
        return f.read()


def test_readme_python_example_runs():
    text = _readme()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert "api.compare" in block and len(block.strip().splitlines()) <= 12
    exec(compile(block, "README.md", "exec"), {})


def test_readme_model_file_is_the_shipped_li2018():
    with open(os.path.join(HERE, "..", "docs", "model-files.md")) as f:
        text = f.read()
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    assert parse_model(block).hash == load_model("li2018").hash


def test_figure_map_gives_every_pair_and_agrees_with_single_points(tmp_path):
    r = _mwent("figure", "map", "--model", "li2018", "--axis", "Delta_a=-20MHz:20MHz:11",
               "--out", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert os.path.exists(d["png"]) and len(d["summary"]["maxima"]) == 3
    data = np.load(d["data"])
    k = 3
    point = solve_model(build_system(load_model("li2018"),
                                     {"Delta_a": float(data["axis_0"][k])}))
    np.testing.assert_allclose(data["pair_E_N"][k], [p["E_N"] for p in point.pairs],
                               atol=1e-10)


def test_bench_on_a_model_reports_ratios_and_agreement():
    r = _mwent("bench", "--model", "li2018", "--only", "linearized", "--points", "5", "--json")
    d = json.loads(r.stdout)["linearized"]
    assert d["axes"] == ["Delta_a", "Delta_m"] and d["points"] == 25
    assert d["max_abs_diff_E_N"] is not None and d["max_abs_diff_E_N"] < 1e-9
    # a ratio, never a timed pass/fail: baseline (SciPy loop) over candidate (batched)
    assert d["speedup"] == pytest.approx(d["scipy_loop_seconds"] / d["batched_seconds"])



def test_compare_report_on_a_model(tmp_path):
    r = _mwent("compare", "--model", "li2018", "--report", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["verdict"] == "agree" and d["model"]["name"] == "li2018"
    for name in ("cavities.png", "convergence.png", "report.html", "report.md"):
        assert (tmp_path / name).stat().st_size > 1000
    assert "g_ma" in (tmp_path / "report.md").read_text()


def test_mech_bath_switch_reaches_modes_whose_bath_is_written_in_the_file():
    """compare puts both engines on the Lindblad bath: that must reach a mechanical mode whose
    bath the file writes literally, not only through a parameter."""
    text = OPTO.replace('bath = "mech_bath"', 'bath = "brownian"')
    s = build_system(parse_model(text))
    assert s.baths[1] == "brownian"
    lin = s.replace(mech_bath="lindblad")
    assert lin.baths[1] == "lindblad" and lin.replace(E=1e8).baths[1] == "lindblad"
    g = 2 * np.pi * 0.2e6
    np.testing.assert_allclose(-np.diag(lin.drift_matrix())[2:], [g / 2, g / 2])
    np.testing.assert_allclose(-np.diag(s.drift_matrix())[2:], [0.0, g])      # brownian: p only


BS_MECH = OPTO.replace('[[couplings]]', """[[modes]]
name = "c"
mechanical = true
frequency = "omega_b"
damping = "gamma_b"
bath = "mech_bath"

[[couplings]]
kind = "beam_splitter"
modes = ["b", "c"]
rate = "kappa"

[[couplings]]""", 1)

MIXED = OPTO.replace('[[couplings]]', """[[modes]]
name = "d"
detuning = "Delta0"
decay = "kappa"
bath_frequency = "omega_c"

[[couplings]]
kind = "radiation_pressure"
modes = ["d", "b"]
G_0 = "g0"
G = "kappa"

[[couplings]]""", 1)


@pytest.mark.parametrize("text,words", [
    (BS_MECH, "beam splitter to a mechanical mode"),
    (MIXED, "physical drive and an effective G"),
    (OPTO.replace('G_0 = "-sqrt(2) * g0"', 'G_0 = "-sqrt(2) * g0"') + """
[[couplings]]
kind = "cross_kerr"
modes = ["a", "b"]
rate = "g0"
""", "cross-Kerr"),
])
def test_physical_drives_whose_mean_field_is_not_solved_are_refused(text, words):
    """The mean-field solver covers a drive on a beam-splitter network of field modes with
    one mechanical response and a Kerr term on the driven mode; anything else would give a
    plausible wrong mean field shared by both engines (so their comparison could not see it)."""
    with pytest.raises(ParameterError, match=words):
        parse_model(text)
