"""Hand-written drift (A) and diffusion (D) matrices of three published linearized models.

Independent reference for tests: plain NumPy, nothing imported from the project.  Every matrix is
written out entry by entry, derived from the model Hamiltonian and checked against the paper.

Conventions (all functions):
* X = (a + a^dag)/sqrt2, Y = i(a^dag - a)/sqrt2 for every mode, so [X, Y] = i, vacuum variance 1/2.
  For u with [u_i, u_j] = i Omega_ij and H = u^T H_sym u / 2:  du/dt = Omega H_sym u - Gamma u + noise.
* du/dt = A u + noise; the steady covariance V solves A V + V A^T + D = 0.
* Inputs are ordinary frequencies in Hz ("X/2pi"), temperatures in K; A and D are returned in rad/s.
* Cavity/magnon kappa is an AMPLITUDE decay rate: dX/dt = -kappa X + sqrt(2 kappa) X_in, so D has
  kappa (2N+1) on both quadratures.
* Mechanics, Brownian form: damping on p only (dp/dt = ... - gamma p), D_qq = 0, D_pp = gamma (2N+1).
* N = 1/(exp(h f/(k_B T)) - 1) with f the mode's ordinary frequency (N = 0 at T = 0).
"""
import numpy as np

TWO_PI = 2.0 * np.pi
_H = 6.62607015e-34
_KB = 1.380649e-23


def occupation(f, T):
    """Bose occupation at ordinary frequency f (Hz) and temperature T (K)."""
    if T <= 0:
        return 0.0
    x = _H * f / (_KB * T)
    return 0.0 if x > 700 else 1.0 / np.expm1(x)


def _diag_noise(rates):
    """rates: list of (kind, rate_Hz, N); kind 'c' = cavity/magnon, 'b' = Brownian mechanics."""
    d = []
    for kind, r, n in rates:
        d += [r * (2 * n + 1)] * 2 if kind == "c" else [0.0, r * (2 * n + 1)]
    return TWO_PI * np.diag(d)


# ---------------------------------------------------------------------------------------------
# 1. Yu, Shen & Li, PRL 124, 213604 (2020), Eq. (6) and the D below Eq. (8).
# ---------------------------------------------------------------------------------------------
def yu2020_drift(Delta_1, Delta_2, Delta_m, kappa_1, kappa_2, kappa_m, g_1, g_2, G, omega_b, gamma_b):
    """Eq. (6) of Yu et al. 2020, u = (X1, Y1, X2, Y2, x, y, q, p); rad/s out, Hz in.

    Delta_m is the effective detuning (paper's Delta_m tilde).  G = i sqrt2 G0 <m> real, i.e.
    <m> = -i|<m>| (Eq. 4 gives <m> purely imaginary); fluctuation Hamiltonian -G q y, hence
    dx/dt ~ -G q and dp/dt ~ +G y, exactly as printed.  Brownian damping on p only.
    """
    D1, D2, Dm, k1, k2, km = Delta_1, Delta_2, Delta_m, kappa_1, kappa_2, kappa_m
    g1, g2, wb, gb = g_1, g_2, omega_b, gamma_b
    A = [[-k1,  D1,   0,   0,   0,  g1,   0,   0],
         [-D1, -k1,   0,   0, -g1,   0,   0,   0],
         [  0,   0, -k2,  D2,   0,  g2,   0,   0],
         [  0,   0, -D2, -k2, -g2,   0,   0,   0],
         [  0,  g1,   0,  g2, -km,  Dm,  -G,   0],
         [-g1,   0, -g2,   0, -Dm, -km,   0,   0],
         [  0,   0,   0,   0,   0,   0,   0,  wb],
         [  0,   0,   0,   0,   0,   G, -wb, -gb]]
    return TWO_PI * np.array(A, dtype=float)


def yu2020_diffusion(kappa_1, kappa_2, kappa_m, gamma_b, omega_m, omega_b, T):
    """D = diag[k1(2N+1), k1(2N+1), k2(2N+1), k2(2N+1), km(2N+1), km(2N+1), 0, gb(2Nb+1)] (rad/s).

    As in the project: cavities and magnon thermal at omega_m (the paper's N_j(omega_j) differs
    negligibly since omega_j ~ omega_m), phonon at omega_b.  Same u order as yu2020_drift.
    """
    n, nb = occupation(omega_m, T), occupation(omega_b, T)
    return _diag_noise([("c", kappa_1, n), ("c", kappa_2, n), ("c", kappa_m, n), ("b", gamma_b, nb)])


# ---------------------------------------------------------------------------------------------
# 2. Li, Zhu & Agarwal, PRL 121, 203601 (2018): cavity a, magnon m, phonon b.
#    H = Da a^dag a + Dm m^dag m + wb b^dag b + g_ma (a^dag m + a m^dag) + g_mb m^dag m q.
#    m -> <m> + dm gives g_mb (<m>* dm + <m> dm^dag) dq = sqrt2 g_mb (Re<m> x + Im<m> y) q.
# ---------------------------------------------------------------------------------------------
def li2018_drift(Delta_a, Delta_m, kappa_a, kappa_m, g_ma, G_mb, omega_b, gamma_b):
    """Li 2018 drift, u = (X, Y, x, y, q, p) = (cavity, magnon, phonon); rad/s out, Hz in.

    Phase convention 1: <m> = -i|<m>|, G_mb = i sqrt2 g_mb <m> = sqrt2 g_mb |<m>| > 0 (same as
    Yu 2020).  Fluctuation term -G_mb q y: dx/dt ~ -G_mb q, dp/dt ~ +G_mb y.  Delta_m effective.
    """
    Da, Dm, ka, km, g, G, wb, gb = Delta_a, Delta_m, kappa_a, kappa_m, g_ma, G_mb, omega_b, gamma_b
    A = [[-ka,  Da,   0,   g,   0,   0],
         [-Da, -ka,  -g,   0,   0,   0],
         [  0,   g, -km,  Dm,  -G,   0],
         [ -g,   0, -Dm, -km,   0,   0],
         [  0,   0,   0,   0,   0,  wb],
         [  0,   0,   0,   G, -wb, -gb]]
    return TWO_PI * np.array(A, dtype=float)


def li2018_drift_real_mean(Delta_a, Delta_m, kappa_a, kappa_m, g_ma, G_mb, omega_b, gamma_b):
    """Li 2018 drift, convention 2: <m> real positive, G_mb = sqrt2 g_mb <m> > 0.

    Fluctuation term +G_mb x q: dy/dt ~ -G_mb q, dp/dt ~ -G_mb x (coupling through x).
    Equals R A1 R^T with R = magnon_rotation(3, (0, 1), -pi/2), see magnon_rotation.
    """
    Da, Dm, ka, km, g, G, wb, gb = Delta_a, Delta_m, kappa_a, kappa_m, g_ma, G_mb, omega_b, gamma_b
    A = [[-ka,  Da,   0,   g,   0,   0],
         [-Da, -ka,  -g,   0,   0,   0],
         [  0,   g, -km,  Dm,   0,   0],
         [ -g,   0, -Dm, -km,  -G,   0],
         [  0,   0,   0,   0,   0,  wb],
         [  0,   0,  -G,   0, -wb, -gb]]
    return TWO_PI * np.array(A, dtype=float)


def li2018_diffusion(kappa_a, kappa_m, gamma_b, omega_a, omega_m, omega_b, T):
    """D = diag[ka(2Na+1) x2, km(2Nm+1) x2, 0, gb(2Nb+1)] (rad/s), order (X, Y, x, y, q, p)."""
    return _diag_noise([("c", kappa_a, occupation(omega_a, T)), ("c", kappa_m, occupation(omega_m, T)),
                        ("b", gamma_b, occupation(omega_b, T))])


def magnon_rotation(n_modes, magnon_index, phi):
    """Orthogonal 2n x 2n R of the phase rotation m -> m e^{-i phi} on the listed mode(s).

    m e^{-i phi} = (x' + i y')/sqrt2 gives x' = cos(phi) x + sin(phi) y, y' = -sin(phi) x + cos(phi) y;
    u' = R u, so A' = R A R^T and D' = R D R^T.  magnon_index: an int or a sequence of mode indices.
    A rotation of the magnon ALONE turns g(a^dag m + h.c.) into g(a^dag m e^{-i phi} + h.c.), so it
    does not map one Li convention to the other; the cavity must turn with it (its mean field
    <a> = -i g <m>/(i Delta_a + kappa_a) turns with <m>).  <m>: -i|m| -> |m| is m -> i m, i.e.
    phi = -pi/2 (x' = -y, y' = x):  R A1 R^T == A2 with R = magnon_rotation(3, (0, 1), -pi/2).
    phi = +pi/2 gives A2 with G_mb -> -G_mb (<m> = -|m|).
    """
    idx = [magnon_index] if np.isscalar(magnon_index) else list(magnon_index)
    R = np.eye(2 * n_modes)
    c, s = np.cos(phi), np.sin(phi)
    for k in idx:
        R[2 * k:2 * k + 2, 2 * k:2 * k + 2] = [[c, s], [-s, c]]
    return R


# ---------------------------------------------------------------------------------------------
# 3. Vitali et al., PRL 98, 030405 (2007): cavity a, mirror (q, p).  H ~ -G0 a^dag a q.
# ---------------------------------------------------------------------------------------------
def vitali2007_drift(Delta, kappa, G, omega_m, gamma_m):
    """Vitali 2007 linearized drift, u = (X, Y, q, p) (cavity first); rad/s out, Hz in.

    H = Delta a^dag a + wm (q^2 + p^2)/2 - G0 a^dag a q; a -> alpha + da with alpha REAL POSITIVE
    (drive phase chosen so; Vitali's alpha_s real) gives -G0 alpha (da + da^dag) q = -G X q,
    G = sqrt2 G0 alpha > 0.  Hence dY/dt ~ +G q, dp/dt ~ +G X, as in the paper's matrix (printed
    there in the order (q, p, X, Y)).  Delta is the effective detuning (>0: laser red of cavity).
    """
    D, k, wm, gm = Delta, kappa, omega_m, gamma_m
    A = [[-k,  D,   0,   0],
         [-D, -k,   G,   0],
         [ 0,  0,   0,  wm],
         [ G,  0, -wm, -gm]]
    return TWO_PI * np.array(A, dtype=float)


def vitali2007_diffusion(kappa, gamma_m, omega_m, T, omega_c=2.82e14):
    """D = diag[k(2Nc+1), k(2Nc+1), 0, gm(2n+1)] (rad/s); Nc at the optical omega_c is 0."""
    return _diag_noise([("c", kappa, occupation(omega_c, T)), ("b", gamma_m, occupation(omega_m, T))])


def vitali2007_parameters():
    """Vitali 2007 parameters (from memory of the Fig. 1/2 captions; not checked against the text).

    Bare values I recall: omega_m/2pi = 10 MHz, Q = 1e5, m = 5 ng, L = 1 mm, F = 1.07e4,
    lambda = 810 nm, P = 50 mW, T = 0.4 K.  kappa = pi c/(2 F L) and
    G = (2 omega_c/L) alpha_s sqrt(hbar/(2 m omega_m)), alpha_s = sqrt(2 P kappa/(hbar omega_L))/
    sqrt(kappa^2 + Delta^2) are the paper's formulas; G below is DERIVED from them at Delta =
    2 omega_m, not a value quoted by the paper: kappa/2pi = 7.0 MHz, G/2pi = 9.65 MHz; this
    model then gives E_N = 0.126 at 0.4 K.  With these recalled numbers the model is unstable at
    Delta = omega_m (G = 1.67 omega_m); check them against the paper before quoting any of them.
    omega_c here is the 810 nm carrier; the cavity's thermal occupation is 0 either way.
    """
    hbar, c = _H / TWO_PI, 299792458.0
    f_m, Q, mass, L, F, lam, P = 10e6, 1e5, 5e-12, 1e-3, 1.07e4, 810e-9, 50e-3
    w_m, w_c = TWO_PI * f_m, TWO_PI * c / lam
    kap = np.pi * c / (2 * F * L)                    # rad/s, amplitude decay
    Delta = 2.0 * w_m
    alpha = np.sqrt(2 * P * kap / (hbar * w_c)) / np.hypot(kap, Delta)
    G = (2 * w_c / L) * alpha * np.sqrt(hbar / (2 * mass * w_m))
    return {"omega_m": f_m, "Q_m": Q, "gamma_m": f_m / Q, "T": 0.4, "kappa": float(kap / TWO_PI),
            "Delta": float(Delta / TWO_PI), "G": float(G / TWO_PI), "omega_c": c / lam}


# ---------------------------------------------------------------------------------------------
def _omega(n):
    return np.kron(np.eye(n), np.array([[0.0, 1.0], [-1.0, 0.0]]))


def _assert_hamiltonian(A, gamma_diag):
    """A + Gamma must equal Omega H_sym with H_sym symmetric (catches sign errors)."""
    Hs = _omega(A.shape[0] // 2).T @ (A + np.diag(gamma_diag))
    assert np.allclose(Hs, Hs.T, atol=1e-9 * np.abs(Hs).max()), "drift is not Omega H_sym - Gamma"
    return Hs


def _self_check():
    r = np.random.default_rng(1)
    Da, Dm, ka, km, g, G, wb, gb = r.uniform(0.1, 2.0, 8)
    A1 = li2018_drift(Da, Dm, ka, km, g, G, wb, gb)
    A2 = li2018_drift_real_mean(Da, Dm, ka, km, g, G, wb, gb)
    gam = TWO_PI * np.array([ka, ka, km, km, 0, gb])
    for A in (A1, A2):
        Hs = _assert_hamiltonian(A, gam)
    R = magnon_rotation(3, (0, 1), -np.pi / 2)
    assert np.allclose(R @ R.T, np.eye(6))
    assert np.allclose(R @ A1 @ R.T, A2)
    assert np.allclose(magnon_rotation(3, (0, 1), np.pi / 2) @ A1 @ magnon_rotation(3, (0, 1), np.pi / 2).T,
                       li2018_drift_real_mean(Da, Dm, ka, km, g, -G, wb, gb))
    Rm = magnon_rotation(3, 1, -np.pi / 2)
    assert not np.allclose(Rm @ A1 @ Rm.T, A2)       # magnon alone is not enough
    # independent derivation of the magnetostrictive block from the mean field <m> = M e^{i th}
    g0M = G / np.sqrt(2)
    for mean, A in ((-1j * g0M, A1), (g0M, A2)):
        Hs = _omega(3).T @ (A / TWO_PI + np.diag(gam / TWO_PI))
        assert np.isclose(Hs[2, 4], np.sqrt(2) * mean.real) and np.isclose(Hs[3, 4], np.sqrt(2) * mean.imag)
    # Yu 2020 (cavities, magnon, phonon)
    p = r.uniform(0.1, 2.0, 11)
    Ay = yu2020_drift(*p)
    Hs = _assert_hamiltonian(Ay, TWO_PI * np.array([p[3], p[3], p[4], p[4], p[5], p[5], 0, p[10]]))
    assert np.isclose(Hs[5, 6] / TWO_PI, -p[8]) and Hs[4, 6] == 0    # H ~ -G q y
    # Vitali 2007: H ~ -G X q
    Av = vitali2007_drift(1.3, 0.7, 0.4, 1.0, 1e-5)
    Hs = _assert_hamiltonian(Av, TWO_PI * np.array([0.7, 0.7, 0, 1e-5]))
    assert np.isclose(Hs[0, 2] / TWO_PI, -0.4) and Hs[1, 2] == 0
    # diffusion: diagonal, units, thermal numbers
    Dl = li2018_diffusion(1e6, 1e6, 100.0, 10e9, 10e9, 10e6, 0.01)
    assert np.allclose(np.diag(Dl)[:4], TWO_PI * 1e6) and Dl[4, 4] == 0
    nb = 1 / np.expm1(_H * 10e6 / (_KB * 0.01))
    assert np.isclose(Dl[5, 5], TWO_PI * 100.0 * (2 * nb + 1))
    assert np.allclose(R @ Dl @ R.T, Dl)
    Dv = vitali2007_diffusion(7e6, 100.0, 10e6, 0.4)
    assert np.allclose(np.diag(Dv)[:2], TWO_PI * 7e6) and Dv[2, 2] == 0
    Dy = yu2020_diffusion(1e6, 1e6, 1e6, 100.0, 10e9, 10e6, 0.02)
    assert Dy.shape == (8, 8) and Dy[6, 6] == 0
    # Vitali representative point is stable
    v = vitali2007_parameters()
    Av = vitali2007_drift(v["Delta"], v["kappa"], v["G"], v["omega_m"], v["gamma_m"])
    assert np.linalg.eigvals(Av).real.max() < 0
    print("reference_drifts: self-check passed")


if __name__ == "__main__":
    _self_check()
