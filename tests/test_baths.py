"""Baths as data (issue 21): squeezed inputs, shared (dissipative) channels and per-mode
temperatures, in the linearized engine and the master equation.

Independent references (``tests/reference_baths.py``, written from the issue's equations
without reading the implementation): the drift and diffusion written out by hand, the
analytic steady state of a lone cavity fed by squeezed light, the eigenvalues of the 2x2
non-Hermitian matrix of a shared channel, and ``qutip.steadystate`` of the same models built
directly from their collapse operators.  The first group checks the references themselves
(QuTiP against the analytic cavity and against the hand-written Lyapunov state); the rest
hold the engines to them.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import reference_baths as rb
from reference_drifts import TWO_PI, occupation
from linearized.description.parse import parse_model
from linearized.description.system import build_system
from linearized.steady import solve_model

RNG = np.random.default_rng(21)


def _system(text, values=None, pair=None):
    return build_system(parse_model(text), dict(values or {}), pair)


def _assert_matrix(M, ref, rel=1e-9):
    np.testing.assert_allclose(M, ref, rtol=0, atol=rel * np.abs(ref).max())


def _u(lo, hi):
    return float(RNG.uniform(lo, hi))


# --- the references: QuTiP builders against the analytic cavity and the Langevin matrices ---

def test_reference_self_check():
    rb._self_check()


@pytest.mark.parametrize("phi", [0.0, 1.1, -2.5, np.pi / 2])
def test_qutip_squeezed_bath_gives_the_analytic_lone_cavity(phi):
    """The Lindblad form of the squeezed bath (diagonalised Kossakowski matrix) against the
    analytic V = sigma_in of a lone cavity at Delta = 0: fixes the sign of M in the jumps."""
    N, r = 0.15, 0.5
    H, c_ops, modes = rb.lone_squeezed_qutip(40, 1.0, N, r, phi)
    V = rb.qutip_covariance(rb.qutip_steady(H, c_ops), modes)
    np.testing.assert_allclose(V, rb.lone_cavity_covariance(N, r, phi), atol=1e-7)
    if phi == 0.0:
        assert V[0, 0] == pytest.approx((N + 0.5) * np.exp(2 * r), rel=1e-7)


def test_qutip_squeezed_vacuum_bath_has_the_squeezed_vacuum_as_its_dark_state():
    import qutip
    r, phi = 0.5, 0.8
    H, c_ops, _ = rb.lone_squeezed_qutip(40, 1.0, 0.0, r, phi)
    assert len(c_ops) == 1                         # K has rank one at N = 0
    psi = qutip.squeeze(40, -r * np.exp(1j * phi)) * qutip.basis(40, 0)
    assert qutip.fidelity(rb.qutip_steady(H, c_ops), psi) == pytest.approx(1.0, abs=1e-7)


def _squeezed_bs(p, cutoffs):
    Na, Nb = occupation(p["omega_a"], p["T"]), occupation(p["omega_b"], p["T"])
    H, c_ops, modes = rb.squeezed_bs_qutip(cutoffs, p["Delta_a"], p["Delta_b"], p["kappa_a"],
                                           p["kappa_b"], p["g"], Na, Nb, p["r"], p["phi"])
    A = rb.squeezed_bs_drift(*(p[k] / 1e6 for k in ("Delta_a", "Delta_b", "kappa_a", "kappa_b", "g")))
    D = rb.squeezed_bs_diffusion(p["kappa_a"] / 1e6, p["kappa_b"] / 1e6, Na, Nb, p["r"], p["phi"])
    return H, c_ops, modes, rb.lyapunov(A, D)


def _shared_tms(p, cutoffs):
    Na, Nb = occupation(p["omega_a"], p["T"]), occupation(p["omega_b"], p["T"])
    H, c_ops, modes = rb.shared_tms_qutip(cutoffs, p["Delta_a"], p["Delta_b"], p["kappa_a"],
                                          p["kappa_b"], p["Gamma"], p["theta"], p["g"], Na, Nb)
    m = {k: p[k] / 1e6 for k in ("Delta_a", "Delta_b", "kappa_a", "kappa_b", "Gamma", "g")}
    A = rb.shared_tms_drift(m["Delta_a"], m["Delta_b"], m["kappa_a"], m["kappa_b"], m["Gamma"],
                            p["theta"], m["g"])
    D = rb.dissipative_pair_diffusion(m["kappa_a"], m["kappa_b"], m["Gamma"], p["theta"], Na, Nb, Na)
    return H, c_ops, modes, rb.lyapunov(A, D)


@pytest.mark.parametrize("build, point", [(_squeezed_bs, rb.SQUEEZED_BS_POINT),
                                          (_shared_tms, rb.SHARED_TMS_POINT)])
def test_qutip_builders_converge_to_the_hand_written_gaussian_state(build, point):
    """The QuTiP models (collapse operators) and the Langevin matrices are two derivations of
    one model: at 10 levels per mode the state's covariance is the Lyapunov one, and entangled."""
    H, c_ops, modes, V = build(point, (10, 10))
    rho = rb.qutip_steady(H, c_ops)
    np.testing.assert_allclose(rb.qutip_covariance(rho, modes), V, atol=1e-4)
    assert rb.qutip_exact_E_N(rho) == pytest.approx(rb.gaussian_E_N(V), abs=1e-4)
    assert rb.gaussian_E_N(V) > 0.05


# --- squeezed inputs: analytic ------------------------------------------------------------

@pytest.mark.parametrize("r, phi, T", [(0.7, 0.0, 0.1), (0.4, 1.3, 0.0), (1.0, -2.2, 0.3),
                                       (0.0, 0.5, 0.2)])
def test_lone_cavity_fed_by_squeezed_light_has_the_inputs_variances(r, phi, T):
    """Delta = 0: A = -kappa I, D = 2 kappa sigma_in, so V = sigma_in, whatever kappa:
    (N + 1/2) e^{2r} on X at phi = 0, the long axis at phi/2 in general."""
    res = solve_model(_system(rb.LONE_SQUEEZED, dict(r=r, phi=phi, T=T, kappa=_u(1e5, 3e6))))
    N = occupation(5e9, T)
    np.testing.assert_allclose(res.covariance[:2, :2], rb.lone_cavity_covariance(N, r, phi),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.covariance[2:, 2:], np.eye(2) / 2, atol=1e-12)
    np.testing.assert_allclose(res.covariance[:2, 2:], 0, atol=1e-12)
    if phi == 0.0:
        assert res.covariance[0, 0] == pytest.approx((N + 0.5) * np.exp(2 * r), rel=1e-9)
        assert res.covariance[1, 1] == pytest.approx((N + 0.5) * np.exp(-2 * r), rel=1e-9)


def test_squeezing_phase_defaults_to_zero():
    text = rb.LONE_SQUEEZED.replace('squeezing_phase = "phi"\n', "")
    assert 'squeezing_phase' not in text
    a = _system(text, dict(r=0.6)).diffusion_matrix()
    b = _system(rb.LONE_SQUEEZED, dict(r=0.6, phi=0.0)).diffusion_matrix()
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("phi", [0.8, -1.9, np.pi])
def test_rotating_a_lone_cavitys_frame_by_phi_over_2_turns_phi_0_into_phi(phi):
    """a -> a e^{i chi} moves phi to phi + 2 chi and turns the quadratures by R(chi): the
    covariance at phi is R(phi/2) V(0) R(phi/2)^T."""
    V0 = solve_model(_system(rb.LONE_SQUEEZED, dict(r=0.5, phi=0.0))).covariance[:2, :2]
    V = solve_model(_system(rb.LONE_SQUEEZED, dict(r=0.5, phi=phi))).covariance[:2, :2]
    R = rb.quadrature_rotation(phi / 2)
    np.testing.assert_allclose(V, R @ V0 @ R.T, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("chi", [0.3, -1.1, np.pi / 2])
def test_rotating_both_frames_of_a_beam_splitter_moves_phi_by_twice_the_angle(chi):
    """Turning a and b together (a -> a e^{i chi}, b -> b e^{i chi}) leaves the detunings and
    g (a^dag b + a b^dag) as they are and moves a's squeezing phase to phi + 2 chi: the model
    at phi + 2 chi is the one at phi seen in the turned frame, V' = R2 V R2^T, same E_N."""
    p = rb.SQUEEZED_BS_POINT
    r0 = solve_model(_system(rb.SQUEEZED_BS, p))
    r1 = solve_model(_system(rb.SQUEEZED_BS, dict(p, phi=p["phi"] + 2 * chi)))
    R2 = np.kron(np.eye(2), rb.quadrature_rotation(chi))
    np.testing.assert_allclose(r1.covariance, R2 @ r0.covariance @ R2.T, rtol=1e-9, atol=1e-12)
    assert r1.E_N == pytest.approx(r0.E_N, rel=1e-9) and r0.E_N > 0.05
    assert not np.allclose(r1.covariance, r0.covariance, atol=1e-3)     # phi does matter


# --- drift and diffusion against the hand-written references -------------------------------

@pytest.mark.parametrize("trial", range(4))
def test_squeezed_li2018_drift_and_diffusion_are_the_hand_written_ones(trial):
    p = dict(Delta_a=_u(-2e7, 2e7), Delta_m=_u(-2e7, 2e7), kappa_a=_u(1e5, 3e6),
             kappa_m=_u(1e5, 3e6), g_ma=_u(0, 5e6), G_mb=_u(0, 6e6), omega_b=_u(5e6, 2e7),
             gamma_b=_u(10, 1e3))
    T, r, phi = _u(0, 0.4), (0.0 if trial == 0 else _u(0, 1.2)), _u(-np.pi, np.pi)
    s = _system(rb.LI2018_SQUEEZED, dict(p, T=T, r=r, phi=phi))
    _assert_matrix(s.drift_matrix(), rb.li2018_squeezed_drift(**p))
    D = rb.li2018_squeezed_diffusion(p["kappa_a"], p["kappa_m"], p["gamma_b"], 10e9, 10e9,
                                     p["omega_b"], T, r, phi)
    _assert_matrix(s.diffusion_matrix(), D)


def _dissipative_values():
    return dict(Delta_a=_u(-2e6, 2e6), Delta_b=_u(-2e6, 2e6), kappa_a=_u(1e5, 2e6),
                kappa_b=_u(1e5, 2e6), Gamma=_u(1e5, 2e6), theta=_u(-np.pi, np.pi),
                omega_a=_u(1e9, 8e9), omega_b=_u(1e9, 8e9), T=_u(0.01, 0.3))


@pytest.mark.parametrize("trial", range(4))
def test_dissipative_pair_drift_and_diffusion_are_the_hand_written_ones(trial):
    """N of the channel: the first mode's bath (a's, at omega_a, not b's omega_b)."""
    v = _dissipative_values()
    s = _system(rb.DISSIPATIVE_PAIR, v)
    Na, Nb = occupation(v["omega_a"], v["T"]), occupation(v["omega_b"], v["T"])
    args = (v["kappa_a"], v["kappa_b"], v["Gamma"], v["theta"])
    _assert_matrix(s.drift_matrix(), rb.dissipative_pair_drift(v["Delta_a"], v["Delta_b"], *args))
    _assert_matrix(s.diffusion_matrix(), rb.dissipative_pair_diffusion(*args, Na, Nb, Na))


def test_a_dissipative_channel_written_the_other_way_round_takes_its_first_modes_bath():
    """modes = [b, a]: the channel is b + e^{i theta} a, thermal at b's bath.  The hand-written
    matrices of the pair in the order (b, a), reordered to the file's mode order (a, b)."""
    v = _dissipative_values()
    text = rb.DISSIPATIVE_PAIR.replace('modes = ["a", "b"]\nrate = "Gamma"',
                                       'modes = ["b", "a"]\nrate = "Gamma"')
    assert text != rb.DISSIPATIVE_PAIR
    s = _system(text, v)
    Na, Nb = occupation(v["omega_a"], v["T"]), occupation(v["omega_b"], v["T"])
    P = np.kron(np.array([[0, 1], [1, 0]]), np.eye(2))      # (b, a) -> (a, b)
    A = rb.dissipative_pair_drift(v["Delta_b"], v["Delta_a"], v["kappa_b"], v["kappa_a"],
                                  v["Gamma"], v["theta"])
    D = rb.dissipative_pair_diffusion(v["kappa_b"], v["kappa_a"], v["Gamma"], v["theta"], Nb, Na, Nb)
    _assert_matrix(s.drift_matrix(), P @ A @ P.T)
    _assert_matrix(s.diffusion_matrix(), P @ D @ P.T)


def test_a_dissipative_channel_with_its_own_bath():
    v = _dissipative_values()
    text = rb.DISSIPATIVE_PAIR.replace(
        'phase = "theta"', 'phase = "theta"\nbath_frequency = "omega_ch"\ntemperature = "T_ch"'
    ).replace('T = { value = "50mK"', 'omega_ch = { value = "3GHz", doc = "channel bath" }\n'
              'T_ch = { value = "0.2K", doc = "channel temperature" }\nT = { value = "50mK"')
    s = _system(text, dict(v, omega_ch=4e9, T_ch=0.25))
    Na, Nb = occupation(v["omega_a"], v["T"]), occupation(v["omega_b"], v["T"])
    D = rb.dissipative_pair_diffusion(v["kappa_a"], v["kappa_b"], v["Gamma"], v["theta"], Na, Nb,
                                      occupation(4e9, 0.25))
    _assert_matrix(s.diffusion_matrix(), D)


# --- shared channels: analytic --------------------------------------------------------------

@pytest.mark.parametrize("theta", [0.0, 1.2, np.pi])
def test_a_shared_channel_at_zero_temperature_leaves_the_vacuum(theta):
    """Two uncoupled, undriven modes at T = 0: the channel's jump a + e^{i theta} b and the
    own decays all annihilate |0, 0>, so the steady state is the vacuum (V = I/2) in the
    linearized theory and in the master equation."""
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    s = _system(rb.DISSIPATIVE_PAIR, dict(T=0.0, theta=theta))
    np.testing.assert_allclose(solve_model(s).covariance, np.eye(4) / 2, atol=1e-12)
    q = solve_master(s, ConvergenceOptions(basis="fock", cutoffs=(3, 3)))
    assert abs(q.rho[0, 0] - 1) < 1e-8
    np.testing.assert_allclose(q.measures.covariance, np.eye(4) / 2, atol=1e-8)


@pytest.mark.parametrize("trial", range(4))
def test_shared_channel_drift_has_the_eigenvalues_of_its_nonhermitian_matrix(trial):
    """d(a, b)/dt = -M2 (a, b): the real 4x4 drift has the eigenvalues of -M2 and their
    complex conjugates (2 pi times, rad/s)."""
    v = _dissipative_values()
    lam = np.linalg.eigvals(_system(rb.DISSIPATIVE_PAIR, v).drift_matrix())
    m = -TWO_PI * np.linalg.eigvals(rb.dissipative_pair_nonhermitian(
        v["Delta_a"], v["Delta_b"], v["kappa_a"], v["kappa_b"], v["Gamma"], v["theta"]))
    expect = np.sort_complex(np.concatenate([m, np.conj(m)]))
    np.testing.assert_allclose(np.sort_complex(lam), expect, rtol=0, atol=1e-9 * np.abs(m).max())


# --- per-mode temperatures ---------------------------------------------------------------------

def _transducer_diffusion(v, T_w, T_c, T_b):
    Nw, Nc, Nb = occupation(5e9, T_w), occupation(1e9, T_c), occupation(10e6, T_b)
    d = [v["kappa_w"] * (2 * Nw + 1)] * 2 + [v["kappa_c"] * (2 * Nc + 1)] * 2 \
        + [v["gamma_b"] / 2 * (2 * Nb + 1)] * 2
    return TWO_PI * np.diag(d)


def test_each_bath_is_at_its_own_temperature():
    """A microwave mode w at 0.5 K, a mode c at 0 K (at 1 GHz, the model's 20 mK would give
    N = 0.1) and a mechanical mode b at the model's 20 mK: each diffusion entry has N at its
    own bath's temperature."""
    v = dict(kappa_w=1e6, kappa_c=2e6, gamma_b=1e3)
    s = _system(rb.TRANSDUCER)
    _assert_matrix(s.diffusion_matrix(), _transducer_diffusion(v, 0.5, 0.0, 0.02), rel=1e-12)
    assert occupation(5e9, 0.5) > 1.5 and occupation(1e9, 0.02) > 0.09
    # the model's temperature moves only the mode without its own
    s = _system(rb.TRANSDUCER, dict(T=0.1))
    _assert_matrix(s.diffusion_matrix(), _transducer_diffusion(v, 0.5, 0.0, 0.1), rel=1e-12)
    s = _system(rb.TRANSDUCER, dict(T_w=0.0, T_c=0.05))
    _assert_matrix(s.diffusion_matrix(), _transducer_diffusion(v, 0.0, 0.05, 0.02), rel=1e-12)


def test_a_mechanical_mode_may_have_its_own_temperature():
    text = rb.TRANSDUCER.replace('bath = "mech_bath"', 'bath = "mech_bath"\ntemperature = "T_b"') \
        .replace('T = { value = "20mK"', 'T_b = { value = "4K", doc = "mechanics" }\nT = { value = "20mK"')
    v = dict(kappa_w=1e6, kappa_c=2e6, gamma_b=1e3)
    _assert_matrix(_system(text).diffusion_matrix(), _transducer_diffusion(v, 0.5, 0.0, 4.0),
                   rel=1e-12)


def test_one_file_with_every_bath_of_the_issue():
    """The issue's "done when": a cavity c fed by squeezed light (its bath at 0 K), a microwave
    mode w at 0.5 K beside a 20 mK mechanical mode, and a dissipative w-c channel (thermal at
    w's bath).  The diffusion is the sum of the hand-written pieces; the channel adds exactly
    its own drift (that of a pair with no detuning and no own decay)."""
    text = rb.TRANSDUCER.replace('temperature = "T_c"', 'temperature = "T_c"\nsqueezing = "r"\n'
                                 'squeezing_phase = "phi"').replace(
        'T = { value = "20mK"', 'r = { value = "0.4", doc = "squeezing of c" }\n'
        'phi = { value = "-0.7", doc = "squeezing phase of c" }\n'
        'Gamma = { value = "0.3MHz", doc = "shared channel" }\n'
        'theta = { value = "2.1", doc = "its phase" }\nT = { value = "20mK"')
    plain = _system(text)
    text += '\n[[couplings]]\nkind = "dissipative"\nmodes = ["w", "c"]\nrate = "Gamma"\nphase = "theta"\n'
    s = _system(text)
    Nw, Nb = occupation(5e9, 0.5), occupation(10e6, 0.02)
    D = np.zeros((6, 6))
    D[:4, :4] = rb.dissipative_pair_diffusion(1.0, 0.0, 0.3, 2.1, Nw, 0.0, Nw) / TWO_PI
    D[2:4, 2:4] += 2 * 2.0 * rb.squeezed_input_covariance(0.0, 0.4, -0.7)
    D[4, 4] = D[5, 5] = 1e-3 / 2 * (2 * Nb + 1)
    _assert_matrix(s.diffusion_matrix(), TWO_PI * 1e6 * D)
    channel = np.zeros((6, 6))
    channel[:4, :4] = rb.dissipative_pair_drift(0, 0, 0, 0, 0.3e6, 2.1)
    _assert_matrix(s.drift_matrix() - plain.drift_matrix(), channel)


# --- the master equation against qutip.steadystate of the same model ---------------------------

@pytest.mark.parametrize("text, point, build", [
    (rb.SQUEEZED_BS, rb.SQUEEZED_BS_POINT, _squeezed_bs),
    (rb.SHARED_TMS, rb.SHARED_TMS_POINT, _shared_tms)])
def test_master_equation_equals_qutip_steadystate_at_fixed_cutoffs(text, point, build):
    """The plain Fock basis at cutoffs (10, 10), where the truncated state's covariance is the
    Gaussian one to 1e-4: the tool's collapse operators and QuTiP's built here from the
    issue's definitions give the same state, E_N to 1e-6, covariance to 1e-6."""
    import qutip
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    cutoffs = (10, 10)
    q = solve_master(_system(text, point), ConvergenceOptions(basis="fock", cutoffs=cutoffs))
    assert tuple(q.cutoffs) == cutoffs and q.rho.shape == (100, 100)
    H, c_ops, modes, V = build(point, cutoffs)
    rho = rb.qutip_steady(H, c_ops)
    assert q.measures.E_N == pytest.approx(rb.qutip_exact_E_N(rho), abs=1e-6)
    np.testing.assert_allclose(q.measures.covariance, rb.qutip_covariance(rho, modes), atol=1e-6)
    assert qutip.tracedist(rho, qutip.Qobj(q.rho, dims=rho.dims)) < 1e-6
    # and both near the hand-written Gaussian state (the cutoffs hold it)
    np.testing.assert_allclose(q.measures.covariance, V, atol=1e-4)
    assert q.measures.E_N == pytest.approx(rb.gaussian_E_N(V), abs=1e-4)


# --- both engines: compare ---------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("text, name", [(rb.SQUEEZED_BS, "squeezed_bs"),
                                        (rb.SHARED_TMS, "shared_tms")])
def test_compare_agrees_at_a_squeezed_input_and_a_shared_channel_point(text, name, tmp_path, capsys):
    from compare.cli import main
    f = tmp_path / f"{name}.toml"
    f.write_text(text)
    code = main(["compare", "--model", str(f), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["verdict"] == "agree", out.get("reason")
    ev = {e["name"]: e for e in out["evidence"]}
    assert ev["independent_basis"]["passed"] is True
    assert out["linearized"]["E_N"] > 0.05


def test_the_new_fields_pass_models_check(tmp_path, capsys):
    from compare.cli import main
    for name, text in (("li2018_squeezed", rb.LI2018_SQUEEZED), ("dissipative", rb.DISSIPATIVE_PAIR),
                       ("transducer", rb.TRANSDUCER), ("shared_tms", rb.SHARED_TMS)):
        f = tmp_path / f"{name}.toml"
        f.write_text(text)
        assert main(["models", "check", str(f)]) == 0, capsys.readouterr().err


def test_a_negative_squeezing_is_refused_in_one_sentence(tmp_path, capsys):
    from compare.cli import main
    f = tmp_path / "lone.toml"
    f.write_text(rb.LONE_SQUEEZED)
    assert main(["linearized", "--model", str(f), "--set", "r=-0.1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
