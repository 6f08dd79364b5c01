"""The master equation against analytic cases, a direct solver, the paper's Hamiltonian
written out in QuTiP (DESIGN.md, "The model, precisely") and the linearized theory."""
import json

import numpy as np
import pytest
import qutip

import reference_drifts as ref
from compare.cli import main
from linearized.measures import cavity_block, log_negativity, symplectic_form
from linearized.steady import solve_model
from qmodel import generic
from qmodel.basis import fock_basis, normal_basis
from qmodel.converge import ConvergenceOptions, NotConverged, mode_labels
from qmodel.master import solve_master
from qmodel.measures import log_negativity_12, measure
from qmodel.model import build_model
from qmodel.reduced import physical_cavity_state
from qmodel.solvers import SolverOptions, liouvillian_apply, steady_state

H_PLANCK, K_B = 6.62607015e-34, 1.380649e-23


def trace_distance(a, b):
    return 0.5 * np.abs(np.linalg.eigvalsh(a - b)).sum()


def bose(f, T):
    return 0.0 if T == 0 else 1 / np.expm1(H_PLANCK * f / (K_B * T))


EQ6_KEYS = ("Delta_1", "Delta_2", "Delta_m", "kappa_1", "kappa_2", "kappa_m", "g_1", "g_2",
            "G", "omega_b", "gamma_b")


@pytest.mark.parametrize("K", [0.0, 50.0])
def test_hamiltonian_reproduces_eq6_drift(paper, K):
    # dr/dt = Omega H_M r must be the Hamiltonian part of Eq. (6) (the oracle's off-diagonal
    # entries; its damping is diagonal).  Kerr K (m^dag m)^2 about <m> = -i|<m>| adds
    # 2 K |<m>|^2 y^2 to H beyond the effective detuning, so dx/dt gains 4 K |<m>|^2 y, with
    # |<m>| = G / (sqrt2 G_0).
    p = paper.replace(mech_bath="lindblad", K=K, G_0=2e4)
    v = {k: p.value(k) for k in EQ6_KEYS}
    A = ref.yu2020_drift(**v)
    A[4, 5] += 2 * np.pi * 4 * K * (v["G"] / (np.sqrt(2) * 2e4)) ** 2
    A = A / (2 * np.pi * v["omega_b"])
    np.testing.assert_allclose(symplectic_form(4) @ generic.hamiltonian_matrix(p),
                               A - np.diag(np.diag(A)), rtol=0, atol=1e-12 * np.abs(A).max())


def paper_master_equation(p, cut, K=0.0):
    """The displaced-frame Hamiltonian and Lindblad operators of DESIGN.md ("The model,
    precisely"), written in QuTiP, in units of omega_b (rates Hz / omega_b Hz): cavities and
    magnon thermal at omega_m, the phonon at omega_b with the Lindblad bath; Kerr
    ``K (m^dag m)^2`` about <m> = -i sign(G_0) G / (sqrt2 |G_0|): its cubic and quartic
    normal-ordered parts and its quadratic part beyond the effective detuning (the
    mean-field shift 2 K |<m>|^2 m^dag m and K m^dag m belong to Delta_m)."""
    v = lambda k: p.value(k)
    u = v("omega_b")
    a1, a2, m, b = (qutip.tensor(*[qutip.destroy(c) if i == k else qutip.qeye(c)
                                   for i, c in enumerate(cut)]) for k in range(4))
    q = (b + b.dag()) / np.sqrt(2)
    y = 1j * (m.dag() - m) / np.sqrt(2)
    H = (v("Delta_1") * a1.dag() * a1 + v("Delta_2") * a2.dag() * a2
         + v("Delta_m") * m.dag() * m + v("omega_b") * b.dag() * b
         + v("g_1") * (a1.dag() * m + a1 * m.dag()) + v("g_2") * (a2.dag() * m + a2 * m.dag())
         - v("G") * q * y + v("G_0") * m.dag() * m * q)
    if K:
        M = -1j * np.sign(v("G_0")) * v("G") / (np.sqrt(2) * abs(v("G_0")))
        H += K * (np.conj(M) ** 2 * m * m + M ** 2 * m.dag() * m.dag()
                  + 2 * abs(M) ** 2 * m.dag() * m
                  + 2 * (np.conj(M) * m.dag() * m * m + M * m.dag() * m.dag() * m)
                  + m.dag() * m.dag() * m * m)
    n_m, n_b = bose(v("omega_m"), v("T")), bose(v("omega_b"), v("T"))
    c_ops = []
    for a, rate, n in ((a1, 2 * v("kappa_1"), n_m), (a2, 2 * v("kappa_2"), n_m),
                       (m, 2 * v("kappa_m"), n_m), (b, v("gamma_b"), n_b)):
        c_ops += [np.sqrt(rate * (n + 1) / u) * a, np.sqrt(rate * n / u) * a.dag()]
    return H / u, c_ops


@pytest.mark.parametrize("K", [0.0, 50.0])
def test_master_equation_is_the_papers_hamiltonian_and_lindblad_operators(paper, K):
    # build_model (generic, from the model file) against the paper's operators written out in
    # QuTiP: the Hamiltonian up to a constant, and the whole Liouvillian (which fixes the
    # dissipators whatever the collapse operators' order or split).  G_0 large and T raised
    # so that the residue and every thermal operator carry weight.
    p = paper.replace(mech_bath="lindblad", G_0=2e4, K=K, T=0.5)
    cut = (3, 2, 4, 3)
    model = build_model(p, fock_basis(cut))
    H_ref, c_ref = paper_master_equation(p, cut, K)
    dims = [list(cut), list(cut)]
    H = qutip.Qobj(model.H, dims=dims)
    diff = (H - H_ref).full()
    shift = np.trace(diff) / diff.shape[0]
    assert np.abs(diff - shift * np.eye(diff.shape[0])).max() < 1e-12 * np.abs(H_ref.full()).max()
    L = qutip.liouvillian(H, [qutip.Qobj(c, dims=dims) for c in model.c_ops])
    L_ref = qutip.liouvillian(H_ref, c_ref)
    csr = lambda Q: Q.to("csr").data_as("csr_matrix")
    scale = np.abs(csr(L_ref)).max()
    assert np.abs(csr(L - L_ref)).max() < 1e-12 * scale


def test_damped_thermal_oscillators_are_thermal(paper):
    # uncoupled modes: the truncated steady state is exactly the truncated geometric law
    # (gamma_b raised: a free mode at Q_m = 1e5 is slow for the Krylov solver, not wrong)
    p = paper.replace(g_1=0.0, g_2=0.0, G=0.0, G_0=0.0, T=1e-3, omega_m=30e6,
                      gamma_b=2e5, mech_bath="lindblad")
    cut = (5, 4, 3, 6)
    basis = fock_basis(cut)
    rho = steady_state(build_model(p, basis)).rho
    n_m = bose(p.value("omega_m"), p.value("T"))
    n_b = bose(p.value("omega_b"), p.value("T"))
    expected = np.ones(1)
    for n, nbar in zip(cut, (n_m, n_m, n_m, n_b)):
        w = (nbar / (nbar + 1)) ** np.arange(n)
        expected = np.kron(expected, w / w.sum())
    np.testing.assert_allclose(rho, np.diag(expected), atol=1e-11)


def test_kappa_is_an_amplitude_decay_rate(paper):
    # Eq. (2): d<a1>/dt = -(kappa_1 + i Delta_1) <a1> for an isolated cavity
    p = paper.replace(g_1=0.0, g_2=0.0, G=0.0, G_0=0.0, T=0.0, mech_bath="lindblad")
    basis = fock_basis((12, 1, 1, 1))
    model = build_model(p, basis)
    alpha = 0.3
    n = np.arange(12)
    from math import factorial
    psi = np.exp(-alpha ** 2 / 2) * alpha ** n / np.sqrt([float(factorial(k)) for k in n])
    rho = np.outer(psi, psi).astype(complex)
    a = basis.mode_annihilation(0)
    rate = np.trace(a.toarray() @ liouvillian_apply(model, rho)) / np.trace(a.toarray() @ rho)
    assert rate == pytest.approx(-(p.value("kappa_1") + 1j * p.value("Delta_1"))
                                 / p.value("omega_b"), rel=1e-8)


def test_passive_system_at_zero_temperature_is_vacuum(paper):
    # G = 0: only beam splitters between cavities and magnon; T = 0: the vacuum, E_N = 0
    p = paper.replace(G=0.0, G_0=0.0, T=0.0, mech_bath="lindblad")
    basis = fock_basis((3, 3, 3, 2))
    rho = steady_state(build_model(p, basis)).rho
    vac = np.zeros_like(rho)
    vac[0, 0] = 1
    assert trace_distance(rho, vac) < 1e-10
    assert measure(rho, basis, **mode_labels(p)).E_N == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("kind,cut", [("fock", (3, 3, 2, 3)), ("normal", (4, 3, 2, 2))])
def test_krylov_agrees_with_direct(paper, kind, cut):
    p = paper.replace(mech_bath="lindblad", G_0=2e4)      # G0 large enough to matter
    cov = solve_model(p).covariance
    basis = fock_basis(cut) if kind == "fock" else normal_basis(cov, cut)
    model = build_model(p, basis)
    a = steady_state(model, SolverOptions("direct"))
    b = steady_state(model, SolverOptions("krylov"))
    assert trace_distance(a.rho, b.rho) < 1e-8
    assert b.residual < 1e-10


def test_mapping_reproduces_gaussian_log_negativity(paper):
    # Independent of the solver: the (nearly untruncated) Gaussian state in the normal basis,
    # mapped to the physical Fock basis, must have exact E_N equal to Eq. (9).
    lin = solve_model(paper.replace(mech_bath="lindblad"))
    basis = normal_basis(lin.covariance, (14, 5, 4, 4))
    cs = physical_cavity_state(basis.gaussian_guess(), basis, (12, 12, 7, 18))
    assert abs(cs.trace - 1) < 1e-6
    assert log_negativity_12(cs.rho12, cs.cavity_cutoffs) == pytest.approx(
        float(log_negativity(cavity_block(lin.covariance))), abs=1e-5)


def test_normal_and_fock_bases_converge_to_the_same_state(paper):
    # a weakly coupled point where the plain basis converges at small cutoffs
    p = paper.replace(G=1.5e6, g_1=1.5e6, g_2=1.5e6, G_0=1e4, T=5e-3)
    f = solve_master(p, ConvergenceOptions(basis="fock", tol=1e-5, tail_tol=1e-5, max_dim=3000))
    n = solve_master(p, ConvergenceOptions(basis="normal", tol=1e-5, tail_tol=1e-5))
    assert f.converged and n.converged
    assert f.measures.E_N == pytest.approx(n.measures.E_N, abs=5e-5)
    assert f.measures.duan == pytest.approx(n.measures.duan, abs=5e-5)
    assert f.measures.E_N > 0.005


@pytest.mark.slow
def test_paper_optimum_agrees_with_linearized(paper):
    # At G_0 = 0.3 Hz the residue G_0 m^dag m q is negligible (|<m>| ~ 1e7), so the master
    # equation's steady state is the Gaussian of the Lyapunov equation: the two may differ
    # by no more than the convergence tolerance tol (the measured difference is ~1e-6)
    r = solve_master(paper)
    lin = solve_model(paper.replace(mech_bath="lindblad"))
    tol = ConvergenceOptions().tol
    assert r.converged
    assert r.measures.E_N == pytest.approx(lin.E_N, abs=tol)
    assert r.measures.E_N_gaussian == pytest.approx(lin.E_N, abs=tol)
    assert r.measures.duan == pytest.approx(lin.duan, abs=tol)
    assert abs(r.mapping["next_E_N"] - r.measures.E_N) < 1e-5
    assert np.abs(r.measures.first_moments).max() < 1e-6


def test_large_G0_makes_the_state_non_gaussian(paper):
    cut = (6, 4, 4, 4)
    small = solve_master(paper.replace(G_0=1.0), ConvergenceOptions(cutoffs=cut))
    large = solve_master(paper.replace(G_0=1.5e6), ConvergenceOptions(cutoffs=cut))
    assert large.measures.non_gaussianity > 10 * small.measures.non_gaussianity
    assert large.gaussian_residual > 1e3 * small.gaussian_residual
    gap = lambda r: abs(r.measures.E_N - r.measures.E_N_gaussian)
    assert gap(large) > 10 * gap(small)


def test_budget_exceeded_raises_with_history(paper):
    with pytest.raises(NotConverged) as exc:
        solve_master(paper, ConvergenceOptions(basis="fock", max_dim=300))
    assert exc.value.history and "max_dim" in str(exc.value)


@pytest.mark.parametrize("argv", [["--max-dim", "300", "--basis", "fock"],
                                  ["--basis", "fock", "--cutoffs", "2,2,2,2"]])
def test_cli_exit_4(capsys, argv):
    code = main(["qmodel", "--json", *argv])
    out, err = capsys.readouterr()
    assert code == 4 and "mwent: error:" in err
    assert json.loads(out)["converged"] is False


def test_cli_qmodel_json(capsys):
    code = main(["qmodel", "--set", "G=1.5MHz", "--set", "g_1=1.5MHz", "--set", "g_2=1.5MHz",
                 "--set", "mech_bath=lindblad", "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert code == 0 and doc["converged"] is True
    for key in ("E_N", "E_N_gaussian", "duan", "cutoffs", "basis", "tail_population",
                "occupations", "solver", "seconds", "history", "linearized"):
        assert key in doc
    assert abs(doc["E_N"] - doc["linearized"]["lindblad"]["E_N"]) < 1e-3


@pytest.mark.slow
def test_self_consistent_basis_agrees(paper):
    # a basis built from the master equation's own moments, not from the linearized CM
    r = solve_master(paper, ConvergenceOptions(basis="self"))
    lin = solve_model(paper.replace(mech_bath="lindblad"))
    assert r.basis == "self" and r.converged
    assert r.measures.E_N == pytest.approx(lin.E_N, abs=1e-4)
    assert r.measures.duan == pytest.approx(lin.duan, abs=1e-4)


def test_hot_mode_is_refused_at_once(paper):
    # weak coupling leaves the phonon near its thermal occupation (about 28 quanta at
    # G = 50 kHz): the Gaussian tails alone need d > 1000, so a budget of 1000 is refused
    # before any solve, with the occupations in the message (the box's rule: a probability
    # set grows from a small first set instead)
    with pytest.raises(NotConverged, match="too many quanta") as exc:
        solve_master(paper.replace(G=5e4), ConvergenceOptions(max_dim=1000, truncation="box"))
    assert exc.value.history == []
    assert "28" in str(exc.value)


def test_truncation_floor_explains_a_gaussian_states_non_gaussianity(paper):
    # At G_0 = 1 Hz the state is Gaussian: what non-Gaussianity the truncated state shows is
    # the truncation's, so it equals the floor (the truncated Gaussian guess's own value) and
    # both fall as the cutoffs grow.  At G_0 = 1.5 MHz the excess is real and far above it.
    small = [solve_master(paper.replace(G_0=1.0), ConvergenceOptions(cutoffs=c)).measures
             for c in ((5, 3, 3, 3), (8, 4, 4, 4))]
    for m in small:
        assert m.non_gaussianity > 0
        assert abs(m.non_gaussianity_excess) < 0.1 * m.non_gaussianity
    assert small[1].non_gaussianity < small[0].non_gaussianity / 3
    large = solve_master(paper.replace(G_0=1.5e6), ConvergenceOptions(cutoffs=(6, 4, 4, 4)))
    assert large.measures.non_gaussianity_excess > 10 * large.measures.non_gaussianity_floor
