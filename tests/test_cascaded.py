"""The cascaded master equation of the filtered output pair against the linear theory, on the
seed paper's model and on a two-cavity model file."""
import numpy as np
import pytest

from linearized.description.parse import load_model, parse_model
from linearized.measures import symplectic_form
from linearized.output import augmented_matrices
from linearized.description.system import build_system
from qmodel.basis import fock_basis, normal_basis
from qmodel.cascaded import filtered_system
from qmodel.generic import frequency_unit, nonlinear_terms
from qmodel.measures import moments, tail_populations
from qmodel.model import build_model
from qmodel.solvers import liouvillian_apply
from two_cavity import TWO_CAVITY, reference_matrices

BW, CENTERS = 0.7e6, (10e6, -9e6)


@pytest.fixture
def two_cavity():
    return build_system(parse_model(TWO_CAVITY))


def _hot(paper):
    # thermal inputs on every channel, so that every diffusion entry is tested
    return paper.replace(mech_bath="lindblad", G_0=0.0, T=0.2, omega_m=2e9, kappa_2=0.6e6)


def _hot_two_cavity(two_cavity):
    # G_0 = 0: quadratic; thermal photons (2 GHz at 0.2 K) and phonons; unequal kappas
    return two_cavity.replace(G_0=0.0, T=0.2, omega_c=2e9, kappa_c=0.6e6)


def linear_matrices(H, ls):
    """Drift and diffusion (in the unit of H) implied by a quadratic Hamiltonian
    ``(1/2) r^T H r`` and linear collapse operators ``L_k = ls[k] . r``:
    ``A = Omega (H + Im sum_k l_k^* l_k^T)``, ``D = Omega Re(sum_k l_k^* l_k^T) Omega^T``
    (symmetrised noise, vacuum 1/2)."""
    n = H.shape[0] // 2
    Om = symplectic_form(n)
    R = sum(np.outer(np.conj(l), l) for l in ls)
    return Om @ (H + R.imag), Om @ R.real @ Om.T


def _forms(filtered):
    """``(H_M, ls)`` of the filtered model from its own calls (no basis): the quadratic
    Hamiltonian and the collapse operators' coefficients over the quadratures, in units of
    :func:`qmodel.generic.frequency_unit`."""
    u = frequency_unit(filtered)
    H = filtered.hamiltonian_matrix(2 * np.pi * u)
    ls = []
    for c, N, M in filtered.loss_channels():
        assert M == 0                       # thermal inputs only in these tests
        l = np.zeros(2 * len(c), complex)
        l[0::2], l[1::2] = c / np.sqrt(2 * u), 1j * c / np.sqrt(2 * u)
        ls.append(np.sqrt(N + 1) * l)
        if N > 0:
            ls.append(np.sqrt(N) * np.conj(l))
    return H, ls


def _operators_to_forms(model):
    """Recover ``H_M`` and the collapse operators' coefficient vectors from the *built sparse
    operators* by commutators on the vacuum (exact at cutoff 3 for a quadratic H)."""
    basis = model.basis
    n = 2 * basis.n_modes
    r = [basis.linear(np.eye(n)[j]) for j in range(n)]
    comm = lambda a, b: a @ b - b @ a
    W = np.empty((n, n), complex)
    for k in range(n):
        rk = comm(r[k], model.H)
        for j in range(n):
            W[j, k] = comm(r[j], rk)[0, 0]
    Om = symplectic_form(n // 2)
    H = -Om.T @ W @ Om
    assert np.abs(H.imag).max() < 1e-12
    ls = []
    for L in model.c_ops:
        v = np.array([comm(r[j], L)[0, 0] for j in range(n)])
        ls.append(1j * Om @ v)          # [r_j, L] = i (Omega l)_j
    return H.real, ls


def test_basis_generalises_to_six_modes(paper):
    b = fock_basis((2, 3, 2, 2, 3, 2))
    assert b.dim == 144 and b.S.shape == (12, 12) and b._to_ladder.shape == (12, 12)
    vac = np.zeros((b.dim, b.dim), complex)
    vac[0, 0] = 1
    mean, cov = moments(vac, b)
    np.testing.assert_allclose(cov, np.eye(12) / 2, atol=1e-14)
    np.testing.assert_allclose(mean, 0, atol=1e-14)
    assert tail_populations(vac, b).shape == (6,)
    # a thermal product state in a normal-mode basis of a 12x12 CM gives that CM back
    from linearized.output import filtered_output
    C = filtered_output(paper.replace(mech_bath="lindblad"), BW, CENTERS).full_covariance
    nb = normal_basis(C, (14, 4, 4, 3, 3, 2))
    assert nb.nu[0] - 0.5 < 0.9 and np.all(nb.nu[1:] - 0.5 < 0.03)    # cutoffs hold them
    rho = nb.gaussian_guess()
    np.testing.assert_allclose(moments(rho, nb)[1], C, atol=2e-3)
    with pytest.raises(ValueError):
        normal_basis(C, (3, 3, 3, 3))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_operators_reproduce_the_augmented_drift_and_diffusion(paper, sign):
    # G_0 = 0: the master equation is quadratic and its moment equations are exactly linear;
    # drift and diffusion from the built operators must be augmented_matrices' 12x12 A and D.
    # sign = -1 (the textbook C = sqrt(2 kappa) a + sqrt(2 eps) f with the matching H_c) is
    # the same physics with f -> -f and must NOT match: the test sees the cascade sign.
    p = _hot(paper)
    filtered = filtered_system(p, BW, CENTERS, sign=sign)
    model = build_model(filtered, fock_basis((3,) * 6))
    A_ref, D_ref = augmented_matrices(p, BW, CENTERS)
    wb = p.values["omega_b"]
    A_ref, D_ref = A_ref / (2 * np.pi * wb), D_ref / (2 * np.pi * wb)
    H, ls = _operators_to_forms(model)
    assert len(ls) == 8                       # thermal: C_j, C_j^dag, magnon and phonon pairs
    for forms in ((H, ls), _forms(filtered)):
        A, D = linear_matrices(*forms)
        match = np.allclose(A, A_ref, atol=1e-12) and np.allclose(D, D_ref, atol=1e-12)
        if sign > 0:
            np.testing.assert_allclose(A, A_ref, atol=1e-12)
            np.testing.assert_allclose(D, D_ref, atol=1e-12)
        else:
            assert not match
            # ... but only the cavity-filter blocks differ, by f -> -f
            P = np.diag([1.0] * 8 + [-1.0] * 4)
            np.testing.assert_allclose(P @ A @ P, A_ref, atol=1e-12)
            np.testing.assert_allclose(P @ D @ P, D_ref, atol=1e-12)


def test_two_cavity_operators_reproduce_the_augmented_and_hand_written_matrices(two_cavity):
    # the same check on a model file: two cavities on one mirror, filters on both outputs;
    # and the model's own block against the matrices written out by hand (tests/two_cavity.py)
    p = _hot_two_cavity(two_cavity)
    filtered = filtered_system(p, BW, (9e6, -11e6))
    model = build_model(filtered, fock_basis((3,) * 5))
    u = 2 * np.pi * frequency_unit(filtered)
    assert frequency_unit(filtered) == p.values["omega_m"]
    A_ref, D_ref = (M / u for M in augmented_matrices(p, BW, (9e6, -11e6)))
    A_hand, D_hand = (M / u for M in reference_matrices(p.values))
    H, ls = _operators_to_forms(model)
    assert len(ls) == 6                       # C_a, C_c and the mirror, each with its dagger
    for forms in ((H, ls), _forms(filtered)):
        A, D = linear_matrices(*forms)
        np.testing.assert_allclose(A, A_ref, atol=1e-12)
        np.testing.assert_allclose(D, D_ref, atol=1e-12)
        np.testing.assert_allclose(A[:6, :6], A_hand, atol=1e-12)
        np.testing.assert_allclose(D[:6, :6], D_hand, atol=1e-12)
    # the filters on (c, a) instead: the same physics with the filters' order exchanged
    swapped = build_model(filtered_system(p.with_pair(("c", "a")), BW, (-11e6, 9e6)),
                          fock_basis((3,) * 5))
    P = np.eye(10)[[0, 1, 2, 3, 4, 5, 8, 9, 6, 7]]
    A2, D2 = linear_matrices(*_operators_to_forms(swapped))
    np.testing.assert_allclose(P @ A2 @ P.T, A_ref, atol=1e-12)
    np.testing.assert_allclose(P @ D2 @ P.T, D_ref, atol=1e-12)


def test_a_filter_on_a_mechanical_mode_is_refused(two_cavity):
    from linearized.description.units import ParameterError
    with pytest.raises(ParameterError, match="mechanical"):
        filtered_system(two_cavity.with_pair(("a", "b")), BW)


@pytest.mark.parametrize("which", ["paper", "two_cavity"])
def test_the_filters_carry_the_models_own_nonlinear_residue(paper, two_cavity, which):
    # what the linearization drops is the model's (G_0 n_k q_l, Kerr terms) on its own modes,
    # the identity on the filters: H - H_quadratic = residue (x) 1_filters, in the plain basis
    p = {"paper": paper.replace(mech_bath="lindblad", K=2e-7, G_0=2e4),
         "two_cavity": two_cavity.replace(G_0=3e4)}[which]
    cut_s = {"paper": (2, 2, 3, 3), "two_cavity": (2, 3, 3)}[which]
    cut_f = (2, 3)
    model = build_model(filtered_system(p, BW), fock_basis(cut_s + cut_f))
    quad = build_model(filtered_system(p, BW), fock_basis(cut_s + cut_f), quadratic_only=True)
    residue = nonlinear_terms(p, fock_basis(cut_s))
    assert abs(residue).max() > 1e-4
    expected = np.kron(residue.toarray(), np.eye(int(np.prod(cut_f))))
    np.testing.assert_allclose((model.H - quad.H).toarray(), expected, atol=1e-14)


@pytest.mark.parametrize("which", ["paper", "two_cavity"])
def test_tracing_out_the_filters_leaves_the_old_master_equation(paper, two_cavity, rng, which):
    # Tr_f L_casc(rho_s x rho_f) = L_old(rho_s) for any rho_s, rho_f: no back-action
    p, cut_s = {"paper": (paper.replace(mech_bath="lindblad", T=0.05, omega_m=1e9, G_0=2e5),
                          (2, 3, 2, 2)),
                "two_cavity": (two_cavity.replace(T=0.05, omega_c=1e9, G_0=2e5), (3, 2, 3))
                }[which]
    cut_f = (2, 3)
    old = build_model(p, fock_basis(cut_s))
    casc = build_model(filtered_system(p, BW, CENTERS), fock_basis(cut_s + cut_f))

    def rand_state(d):
        X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        r = X @ X.conj().T
        return r / np.trace(r)

    ds, df = old.dim, int(np.prod(cut_f))
    rs, rf = rand_state(ds), rand_state(df)
    out = liouvillian_apply(casc, np.kron(rs, rf))
    red = np.einsum("iaja->ij", out.reshape(ds, df, ds, df))
    np.testing.assert_allclose(red, liouvillian_apply(old, rs), atol=1e-10)


# -- steady states ------------------------------------------------------------------------

def _weak(paper):
    # couplings weak enough, T = 0, phonon damped at Q = 100: every physical mode (filters
    # included) holds < 0.03 quanta, so the plain Fock basis converges at tiny cutoffs
    return paper.replace(mech_bath="lindblad", g_1=1.5e6, g_2=1.5e6, G=1.5e6, T=0.0,
                         gamma_b=1e5)


def _solve_fock(p, cut, method="krylov"):
    from linearized.measures import mode_occupations
    from linearized.output import filtered_output
    from qmodel.cascaded import filter_measures
    from qmodel.solvers import SolverOptions, steady_state
    lin = filtered_output(p, 1e6, (10e6, -10e6))
    b = fock_basis(cut)
    model = build_model(filtered_system(p, 1e6, (10e6, -10e6)), b)
    st = steady_state(model, SolverOptions(method=method),
                      x0=b.gaussian_guess(mode_occupations(lin.full_covariance)))
    return lin, st, filter_measures(st.rho, b)


def test_krylov_agrees_with_direct_on_the_cascaded_model(paper):
    p = _weak(paper).replace(T=0.05, omega_m=2e9, gamma_b=3e5)     # thermal inputs too
    _, a, _ = _solve_fock(p, (2,) * 6)
    _, b, _ = _solve_fock(p, (2,) * 6, method="direct")
    assert 0.5 * np.abs(np.linalg.eigvalsh(a.rho - b.rho)).sum() < 1e-8
    assert a.relative_residual < 1e-12


def test_plain_fock_filter_pair_approaches_the_linear_theory(paper):
    # nothing here leans on the linearized CM except the start vector: the exact E_N of the
    # reduced (f1, f2) state and the Duan sum move toward filtered_output as a cutoff grows,
    # and sit within the tails' size of it
    p = _weak(paper)
    errs = []
    for cut in ((2, 2, 2, 2, 2, 2), (2, 2, 2, 3, 2, 2)):
        lin, st, m = _solve_fock(p, cut)
        tail = m.tail_population.max()
        assert abs(m.E_N - lin.E_N) < tail and abs(m.duan - lin.duan) < tail
        assert abs(m.E_N - m.E_N_gaussian) < 1e-3        # close to Gaussian
        errs.append(abs(m.E_N - lin.E_N))
    assert errs[1] < errs[0]
    assert lin.E_N > 0.04 and m.E_N > 0.04


@pytest.mark.slow
def test_plain_fock_filter_pair_at_three_levels(paper):
    # d = 729, about a minute: E_N within 2.5e-4 (tails 4.6e-4), Duan within 5.2e-4
    lin, st, m = _solve_fock(_weak(paper), (3,) * 6)
    tail = m.tail_population.max()
    assert tail < 5e-4
    assert abs(m.E_N - lin.E_N) < tail and abs(m.duan - lin.duan) < 2 * tail
    assert st.relative_residual < 1e-12


WEAK_ARGS = ["--set", "g_1=1.5MHz", "--set", "g_2=1.5MHz", "--set", "G=1.5MHz", "--set", "T=0",
             "--set", "gamma_b=100kHz", "--bandwidth", "1MHz", "--centers", "10MHz,-10MHz"]


def test_normal_basis_growth_agrees_with_filtered_output(paper):
    # the generic growth loop on the six modes: the exact E_N of the filters' reduced state
    # (mapped to their physical Fock basis, the other modes to their own normal modes) and
    # the Duan sum land on filtered_output; both truncations, every line of evidence passing
    from linearized.output import filtered_output
    from qmodel.converge import ConvergenceOptions
    from qmodel.master import solve_master
    p = _weak(paper)
    lin = filtered_output(p, 1e6, (10e6, -10e6))
    system = filtered_system(p, 1e6, (10e6, -10e6))
    for truncation in ("box", "probability"):
        r = solve_master(system, ConvergenceOptions(tol=1e-4, tail_tol=1e-3,
                                                    truncation=truncation))
        assert r.converged, r.why_not_converged()
        assert len(r.history) >= 3 and r.measures.pair == (4, 5)
        assert abs(r.measures.E_N - lin.E_N) < 1e-4
        assert abs(r.measures.E_N_gaussian - lin.E_N) < 1e-6
        assert abs(r.measures.duan - lin.duan) < 1e-6
        names = {e["name"]: e["passed"] for e in r.evidence}
        assert names == {"tails": True, "truncation_growth": True, "residual": True,
                         "mapping": True, "gaussian_residual": True}
        rows = {tuple(row["modes"]): row for row in r.pairs}
        assert rows[("f1", "f2")]["E_N"] == r.measures.E_N
        assert rows[("a1", "a2")]["E_N"] is None        # the target is physical on f1, f2
    # the same pair with its subsystems swapped, and another pair (its own target)
    import qutip
    ff, swapped = r.reduced_state("f1", "f2"), r.reduced_state("f2", "f1")
    assert (swapped - qutip.Qobj(ff.full(), dims=ff.dims).permute([1, 0])).norm() < 1e-12
    cav = r.reduced_state("a1", "a2")
    assert 1 - 1e-3 < cav.tr().real <= 1 + 1e-12
    pt = qutip.partial_transpose(cav / cav.tr(), [0, 1])
    en = np.log(np.abs(np.linalg.eigvalsh(pt.full())).sum())
    assert abs(en - lin.intracavity_E_N) < 1e-3


def test_cli_compare_output_fixed_truncation_is_undecided(capsys):
    # a fixed truncation has no growth evidence: never "agree", exit 4
    import json
    from compare.cli import main
    code = main(["compare", "--output", "--json", "--cutoffs", "2,2,2,2,2,2", *WEAK_ARGS])
    out, err = capsys.readouterr()
    assert code == 4 and "undecided" in err
    res = json.loads(out)
    assert res["verdict"] == "undecided"
    ev = {e["name"]: e["passed"] for e in res["evidence"]}
    assert ev["truncation_growth"] is None and ev["tails"] is False
    assert res["linearized"]["E_N"] > 0.04 and res["qmodel"]["dim"] == 64


def test_cli_compare_output_fixed_set_with_passing_tails_is_undecided(capsys):
    # a fixed probability set whose tails pass still has no growth evidence: never "agree",
    # and the independent basis is not even run
    import json
    from compare.cli import main
    code = main(["compare", "--output", "--json", "--eps", "1e-7", "--tail-tol", "1e-2",
                 *WEAK_ARGS])
    out, err = capsys.readouterr()
    assert code == 4 and "undecided" in err
    res = json.loads(out)
    ev = {e["name"]: e for e in res["evidence"]}
    assert ev["tails"]["passed"] is True and ev["residual"]["passed"] is True
    assert ev["truncation_growth"]["passed"] is None and ev["truncation_growth"]["required"]
    assert ev["independent_basis"]["passed"] is None
    assert res["verdict"] == "undecided" and abs(res["delta_E_N"]) < 1e-3


def test_cli_compare_output_rejects_four_cutoffs(capsys):
    from compare.cli import main
    code = main(["compare", "--output", "--cutoffs", "2,2,2,2", *WEAK_ARGS])
    assert code == 2 and "six" in capsys.readouterr().err


def test_two_cavity_filter_pair_from_the_master_equation_agrees(two_cavity):
    # the whole --output engine on a model file: the cascaded master equation of a, c, b and
    # the filters, grown by the same loop, lands on the linear filtered pair; every line of the
    # main solve's evidence passes (the independent basis is left to the slow CLI test)
    from compare.verdict.output import compare_output
    from linearized.output import filtered_output
    from qmodel.converge import ConvergenceOptions
    p = two_cavity.replace(T=0.0, G_a=0.8e6, G_c=0.4e6, gamma_m=1e5)
    lin = filtered_output(p, 1e6)
    out = compare_output(p, 1e6, options=ConvergenceOptions(truncation="probability", tol=1e-4,
                                                            tail_tol=1e-3), independent=False)
    assert out["pair"] == ["a", "c"] and out["qmodel"]["pair"] == ["f1", "f2"]
    assert out["linearized"]["E_N"] == lin.E_N > 0.1 and out["filter"]["centers"] == [1e7, -1e7]
    q = out["qmodel"]
    assert abs(q["E_N"] - lin.E_N) < 2e-4
    assert abs(q["E_N_gaussian"] - lin.E_N) < 1e-5 and abs(q["duan"] - lin.duan) < 1e-5
    ev = {e["name"]: e["passed"] for e in out["evidence"]}
    assert ev.pop("independent_basis") is None and all(ev.values()) and len(ev) == 5
    assert out["verdict"] == "undecided"          # never "agree" without the independent basis


def test_compare_output_is_decided_on_li2018(capsys):
    # the outputs of li2018's cavity and magnon (its phonon holds ~20 thermal quanta at 10 mK):
    # the cascaded master equation agrees with the linear filtered pair, with every line of
    # evidence including the basis independent of the linearized theory
    import json
    from compare.cli import main
    from linearized.output import filtered_output
    code = main(["compare", "--output", "--model", "li2018", "--pair", "a,m", "--bandwidth",
                 "1MHz", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["verdict"] == "agree"
    li = build_system(load_model("li2018"), {"mech_bath": "lindblad"}, pair=("a", "m"))
    lin = filtered_output(li, 1e6)
    assert out["linearized"]["E_N"] == pytest.approx(lin.E_N, rel=1e-12) and lin.E_N > 0.2
    assert out["filter"]["centers"] == [-10e6, 9e6]
    assert abs(out["qmodel"]["E_N"] - lin.E_N) < 2e-4
    assert abs(out["qmodel"]["duan"] - lin.duan) < 1e-5
    ev = {e["name"]: e for e in out["evidence"]}
    assert ev["independent_basis"]["passed"] and ev["mapping"]["passed"]


def test_operators_reproduce_the_augmented_matrices_with_squeezed_and_shared_baths(two_cavity):
    # issue 21: cavity a fed by squeezed light and a dissipative a-c channel.  The master
    # equation's collapse operators (each channel's Kossakowski matrix diagonalised, the
    # filters on the modes' own decay ports only) must give the linear theory's augmented
    # drift and diffusion, whose filters see the squeezed input's covariance
    text = TWO_CAVITY.replace('decay = "kappa_a"\n', 'decay = "kappa_a"\nsqueezing = "0.35"\n'
                              'squeezing_phase = "1.1"\n', 1)
    text += ('\n[[couplings]]\nkind = "dissipative"\nmodes = ["a", "c"]\nrate = "2e5"\n'
             'phase = "0.7"\n')
    p = _hot_two_cavity(build_system(parse_model(text)))
    filtered = filtered_system(p, BW, (9e6, -11e6))
    model = build_model(filtered, fock_basis((3,) * 5))
    u = 2 * np.pi * frequency_unit(filtered)
    A_ref, D_ref = (M / u for M in augmented_matrices(p, BW, (9e6, -11e6)))
    H, ls = _operators_to_forms(model)
    for forms in ((H, ls),):                 # read off the built operators
        A, D = linear_matrices(*forms)
        np.testing.assert_allclose(A, A_ref, atol=1e-12)
        np.testing.assert_allclose(D, D_ref, atol=1e-12)
    # the squeezing is seen: without it the filters' diffusion differs
    plain = _hot_two_cavity(build_system(parse_model(text.replace('squeezing = "0.35"\n', "")
                                                     .replace('squeezing_phase = "1.1"\n', ""))))
    D_plain = augmented_matrices(plain, BW, (9e6, -11e6))[1] / u
    assert np.abs(D_plain[6:8, 6:8] - D_ref[6:8, 6:8]).max() > 1e-3 * np.abs(D_ref).max()
