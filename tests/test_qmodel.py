"""The master equation against analytic cases, a direct solver and the linearized theory."""
import json

import numpy as np
import pytest

from compare.cli import main
from linearized import solve
from linearized.matrices import drift_matrix
from linearized.measures import cavity_block, log_negativity, symplectic_form
from qmodel.basis import fock_basis, normal_basis
from qmodel.converge import ConvergenceOptions, NotConverged, solve_master
from qmodel.fockmap import log_negativity_12, physical_cavity_state
from qmodel.measures import measure
from qmodel.model import build_model, hamiltonian_matrix
from qmodel.solvers import SolverOptions, liouvillian_apply, steady_state

H_PLANCK, K_B = 6.62607015e-34, 1.380649e-23


def trace_distance(a, b):
    return 0.5 * np.abs(np.linalg.eigvalsh(a - b)).sum()


@pytest.mark.parametrize("K", [0.0, 2e4])
def test_hamiltonian_reproduces_eq6_drift(paper, K):
    # dr/dt = Omega H_M r must be the Hamiltonian part of Eq. (6); damping is diagonal
    p = paper.replace(mech_bath="lindblad", K=K, G_0=1e3)
    A = drift_matrix(p) / (2 * np.pi * p.omega_b)
    damping = np.diag(np.diag(A))
    np.testing.assert_allclose(symplectic_form(4) @ hamiltonian_matrix(p), A - damping,
                               atol=1e-14)


def test_damped_thermal_oscillators_are_thermal(paper):
    # uncoupled modes: the truncated steady state is exactly the truncated geometric law
    # (gamma_b raised: a free mode at Q_m = 1e5 is slow for the Krylov solver, not wrong)
    p = paper.replace(g_1=0.0, g_2=0.0, G=0.0, G_0=0.0, T=1e-3, omega_m=30e6,
                      gamma_b=2e5, mech_bath="lindblad")
    cut = (5, 4, 3, 6)
    basis = fock_basis(cut)
    rho = steady_state(build_model(p, basis)).rho
    n_m = 1 / np.expm1(H_PLANCK * p.omega_m / (K_B * p.T))
    n_b = 1 / np.expm1(H_PLANCK * p.omega_b / (K_B * p.T))
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
    assert rate == pytest.approx(-(p.kappa_1 + 1j * p.Delta_1) / p.omega_b, rel=1e-8)


def test_passive_system_at_zero_temperature_is_vacuum(paper):
    # G = 0: only beam splitters between cavities and magnon; T = 0: the vacuum, E_N = 0
    p = paper.replace(G=0.0, G_0=0.0, T=0.0, mech_bath="lindblad")
    basis = fock_basis((3, 3, 3, 2))
    rho = steady_state(build_model(p, basis)).rho
    vac = np.zeros_like(rho)
    vac[0, 0] = 1
    assert trace_distance(rho, vac) < 1e-10
    assert measure(rho, basis).E_N == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("kind,cut", [("fock", (3, 3, 2, 3)), ("normal", (4, 3, 2, 2))])
def test_krylov_agrees_with_direct(paper, kind, cut):
    p = paper.replace(mech_bath="lindblad", G_0=2e4)      # G0 large enough to matter
    cov = solve(p).covariance
    basis = fock_basis(cut) if kind == "fock" else normal_basis(cov, cut)
    model = build_model(p, basis)
    a = steady_state(model, SolverOptions("direct"))
    b = steady_state(model, SolverOptions("krylov"))
    assert trace_distance(a.rho, b.rho) < 1e-8
    assert b.residual < 1e-10


def test_mapping_reproduces_gaussian_log_negativity(paper):
    # Independent of the solver: the (nearly untruncated) Gaussian state in the normal basis,
    # mapped to the physical Fock basis, must have exact E_N equal to Eq. (9).
    lin = solve(paper.replace(mech_bath="lindblad"))
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
    lin = solve(paper.replace(mech_bath="lindblad"))
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
    lin = solve(paper.replace(mech_bath="lindblad"))
    assert r.basis == "self" and r.converged
    assert r.measures.E_N == pytest.approx(lin.E_N, abs=1e-4)
    assert r.measures.duan == pytest.approx(lin.duan, abs=1e-4)


def test_hot_mode_is_refused_at_once(paper):
    # weak coupling leaves the phonon near its thermal occupation (about 28 quanta at
    # G = 50 kHz): the Gaussian tails alone need d > 1000, so a budget of 1000 is refused
    # before any solve, with the occupations in the message
    with pytest.raises(NotConverged, match="too many quanta") as exc:
        solve_master(paper.replace(G=5e4), ConvergenceOptions(max_dim=1000))
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
