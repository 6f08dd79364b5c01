"""Measures on covariance matrices against analytic Gaussian states."""
import numpy as np
import pytest

from linearized.measures import (
    duan_sum,
    log_negativity,
    min_pt_symplectic_eigenvalue,
    mode_occupations,
    partial_transpose,
    symplectic_eigenvalues,
    symplectic_form,
)
from linearized.states import beam_splitter, single_mode_squeezer, thermal_cm, two_mode_squeezed_cm


@pytest.mark.parametrize("r", [0.0, 0.1, 0.5, 1.3])
def test_two_mode_squeezed_vacuum(r):
    V = two_mode_squeezed_cm(r)
    assert log_negativity(V) == pytest.approx(2 * r, abs=1e-12)
    assert duan_sum(V) == pytest.approx(2 * np.exp(-2 * r), rel=1e-12)
    assert symplectic_eigenvalues(V) == pytest.approx([0.5, 0.5])   # pure state


@pytest.mark.parametrize("N", [0.0, 0.3, 4.0])
def test_thermal_state(N):
    V = thermal_cm(N, 2)
    assert log_negativity(V) == 0.0
    assert duan_sum(V) == pytest.approx(2 * (2 * N + 1))
    assert mode_occupations(V) == pytest.approx([N, N])
    assert symplectic_eigenvalues(V) == pytest.approx([N + 0.5, N + 0.5])


def test_beam_splitter_on_vacuum_and_on_thermal():
    for theta in (0.3, np.pi / 4, 1.2):
        S = beam_splitter(theta)
        assert log_negativity(S @ thermal_cm(0.0, 2) @ S.T) == pytest.approx(0.0, abs=1e-12)
        assert log_negativity(S @ thermal_cm(2.0, 2) @ S.T) == 0.0


def test_beam_splitter_on_squeezed_input_entangles():
    # A 50:50 beam splitter on two vacua squeezed in opposite quadratures makes the
    # two-mode squeezed vacuum: E_N = 2r exactly.
    r = 0.7
    Sq = np.zeros((4, 4))
    Sq[:2, :2] = single_mode_squeezer(r)
    Sq[2:, 2:] = single_mode_squeezer(-r)
    S = beam_splitter(np.pi / 4) @ Sq
    V = S @ thermal_cm(0.0, 2) @ S.T
    assert log_negativity(V) == pytest.approx(2 * r, abs=1e-12)


def _random_cm(rng, n):
    # random physical CM: symplectic S (from a random Hamiltonian) times thermal diagonal
    from scipy.linalg import expm
    H = rng.normal(size=(2 * n, 2 * n))
    H = H + H.T
    S = expm(symplectic_form(n) @ H * 0.3)
    nu = 0.5 + rng.exponential(0.5, size=n)
    return S @ np.diag(np.repeat(nu, 2)) @ S.T


def test_closed_form_matches_general_symplectic_spectrum(rng):
    for _ in range(50):
        V = _random_cm(rng, 2)
        nu_general = symplectic_eigenvalues(partial_transpose(V, 1))[0]
        assert min_pt_symplectic_eigenvalue(V) == pytest.approx(nu_general, rel=1e-9)
        # transposing the other mode gives the same spectrum
        assert symplectic_eigenvalues(partial_transpose(V, 0))[0] == pytest.approx(nu_general)


def test_log_negativity_invariant_under_local_symplectics(rng):
    V = two_mode_squeezed_cm(0.4)
    S = np.zeros((4, 4))
    S[:2, :2] = single_mode_squeezer(0.8)
    c, s = np.cos(0.7), np.sin(0.7)
    S[2:, 2:] = np.array([[c, s], [-s, c]])
    assert log_negativity(S @ V @ S.T) == pytest.approx(0.8, abs=1e-12)


def test_batched_measures_broadcast():
    Vs = np.stack([two_mode_squeezed_cm(r) for r in (0.1, 0.2, 0.3)])
    assert log_negativity(Vs) == pytest.approx([0.2, 0.4, 0.6])


def test_duan_minimised_over_local_oscillator_phases():
    # a TMSV seen with cavity 2's local oscillator turned by pi/2 fails the fixed-frame Duan
    # witness, but the best phases recover 2 exp(-2r)
    from linearized.measures import duan_sum_optimized, rotate_cavities
    r = 0.5
    V = rotate_cavities(two_mode_squeezed_cm(r), 0.0, np.pi / 2)
    assert duan_sum(V) > 2
    best, t1, t2 = duan_sum_optimized(V)
    assert best == pytest.approx(2 * np.exp(-2 * r), rel=1e-8)
    assert duan_sum(rotate_cavities(V, t1, t2)) == pytest.approx(best)
    # never worse than the fixed frame
    assert duan_sum_optimized(two_mode_squeezed_cm(r))[0] == pytest.approx(2 * np.exp(-2 * r))
