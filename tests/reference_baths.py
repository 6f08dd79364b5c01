"""Hand-written references for the baths of issue 21: squeezed inputs, shared (dissipative)
channels and per-mode temperatures.

Independent of the project: plain NumPy (QuTiP only inside the builders), written from the
equations of the issue without reading the implementation.  Conventions as in
``reference_drifts`` (and docs/conventions.md):

* X = (a + a^dag)/sqrt2, Y = (a - a^dag)/(i sqrt2), u = (X_1, Y_1, X_2, Y_2, ...), [X, Y] = i,
  V = <{du, du^T}>/2 (vacuum I/2), du/dt = A u + noise, dV/dt = A V + V A^T + D.
* Inputs in Hz (ordinary frequencies), A and D returned in rad/s (times 2 pi).
* kappa an amplitude decay: da/dt = -(kappa + i Delta) a + sqrt(2 kappa) a_in.
* Mechanics on the Lindblad bath: q and p decay at gamma/2, D_qq = D_pp = (gamma/2)(2N + 1).

Squeezed input (the issue's definition), N the thermal occupation of the mode's bath:
    <a_in^dag(t) a_in(t')> = Ns delta,  <a_in(t) a_in(t')> = M delta,
    Ns = (N + 1/2) cosh 2r - 1/2,       M = (N + 1/2) e^{i phi} sinh 2r.
Its symmetrised quadrature correlations (per unit delta), from X_in = (a_in + a_in^dag)/sqrt2,
Y_in = (a_in - a_in^dag)/(i sqrt2):
    <X_in^2> = Ns + 1/2 + Re M,  <Y_in^2> = Ns + 1/2 - Re M,  <{X_in, Y_in}>/2 = Im M,
i.e. sigma_in = (N + 1/2) R(phi/2) diag(e^{2r}, e^{-2r}) R(phi/2)^T: phi = 0 stretches X
(variance (N + 1/2) e^{2r}, as the issue says) and the long axis sits at the angle phi/2 from
X towards Y.  The cavity's diffusion block is 2 kappa sigma_in (thermal: kappa (2N + 1) I).

Frame: a -> a' = a e^{i chi} turns M into e^{2 i chi} M (phi -> phi + 2 chi) and the
quadratures by u' = R(chi) u, R(chi) = [[cos, -sin], [sin, cos]] (``quadrature_rotation``).

Lindblad form of the squeezed bath (derived here, checked in ``_self_check`` against the
Langevin diffusion above through the generic Lindblad -> (A, D) map): with (A_1, A_2) =
(a, a^dag) and L rho = sum_ij K_ij (A_i rho A_j^dag - {A_j^dag A_i, rho}/2),
    K = 2 kappa [[Ns + 1, -conj(M)], [-M, Ns]]
(d<a>/dt = -(K_11 - K_22)/2 <a> = -kappa <a>; d<a a>/dt gets -K_21 = 2 kappa M).  At N = 0,
K = 2 kappa v v^dag with v = (cosh r, -e^{i phi} sinh r): the single collapse operator
sqrt(2 kappa) (cosh r a - e^{i phi} sinh r a^dag), whose dark state is the squeezed vacuum
S(xi)|0>, S(xi) = exp((xi* a^2 - xi a^dag^2)/2), xi = -r e^{i phi} (<a a> = M).  Note the
minus sign: with this M, "cosh r a + e^{i phi} sinh r a^dag" belongs to phi + pi.

Shared channel (issue 21): collapse operators sqrt(2 Gamma (N + 1)) c and
sqrt(2 Gamma N) c^dag with c = a_j + e^{i theta} a_k.  Heisenberg-Langevin:
    da_j/dt += -Gamma c + sqrt(2 Gamma) c_in,
    da_k/dt += e^{-i theta} (-Gamma c + sqrt(2 Gamma) c_in),
with c_in thermal (N).  So the amplitudes obey d(a_j, a_k)/dt = -M2 (a_j, a_k) + noise with
the non-Hermitian M2 = [[kappa_j + i Delta_j + Gamma, Gamma e^{i theta}],
[Gamma e^{-i theta}, kappa_k + i Delta_k + Gamma]], and the noise vector sqrt(2 Gamma) w c_in,
w = (1, e^{-i theta}), gives D(X_m, X_n) = D(Y_m, Y_n) = Gamma (2N + 1) Re(w_m w_n*),
D(X_m, Y_n) = -Gamma (2N + 1) Im(w_m w_n*).
"""
import numpy as np

from reference_drifts import TWO_PI, li2018_drift, occupation

# --------------------------------------------------------------------------------------------
# model files (the syntax of issue 21)
# --------------------------------------------------------------------------------------------

#: li2018 with its cavity fed by squeezed thermal light, Lindblad mechanical bath
LI2018_SQUEEZED = """
name = "li2018_squeezed"
title = "li2018 with a squeezed thermal input on the cavity"
pair = ["m", "b"]
temperature = "T"

[parameters]
Delta_a = { value = "-10MHz", doc = "cavity detuning from the drive" }
Delta_m = { value = "9MHz", doc = "effective magnon detuning" }
kappa_a = { value = "1MHz", doc = "amplitude decay of the cavity" }
kappa_m = { value = "1MHz", doc = "amplitude decay of the magnon" }
g_ma = { value = "3.2MHz", doc = "cavity - magnon coupling" }
G_mb = { value = "4.8MHz", doc = "effective magnomechanical coupling" }
g_mb = { value = "0.2Hz", doc = "single-magnon magnomechanical coupling" }
omega_a = { value = "10GHz", doc = "cavity frequency" }
omega_m = { value = "10GHz", doc = "magnon frequency" }
omega_b = { value = "10MHz", doc = "phonon frequency" }
gamma_b = { value = "100Hz", doc = "phonon damping" }
T = { value = "10mK", doc = "bath temperature" }
r = { value = "0.5", doc = "squeezing parameter of the cavity's input" }
phi = { value = "0.3", doc = "squeezing phase of the cavity's input (rad)" }
mech_bath = "lindblad"

[[modes]]
name = "a"
detuning = "Delta_a"
decay = "kappa_a"
bath_frequency = "omega_a"
squeezing = "r"
squeezing_phase = "phi"

[[modes]]
name = "m"
detuning = "Delta_m"
decay = "kappa_m"
bath_frequency = "omega_m"

[[modes]]
name = "b"
mechanical = true
frequency = "omega_b"
damping = "gamma_b"
bath = "mech_bath"

[[couplings]]
kind = "beam_splitter"
modes = ["a", "m"]
rate = "g_ma"

[[couplings]]
kind = "magnetostrictive"
modes = ["m", "b"]
G_0 = "g_mb"
G = "G_mb"
"""

#: two field modes with only a shared dissipative channel (and each one's own decay); the
#: baths at different frequencies so that "N of the first mode's bath" is a visible choice
DISSIPATIVE_PAIR = """
name = "dissipative_pair"
title = "two modes with a shared dissipative channel"
pair = ["a", "b"]
temperature = "T"

[parameters]
Delta_a = { value = "0.7MHz", doc = "detuning of a" }
Delta_b = { value = "-0.4MHz", doc = "detuning of b" }
kappa_a = { value = "1MHz", doc = "own decay of a" }
kappa_b = { value = "0.6MHz", doc = "own decay of b" }
Gamma = { value = "0.8MHz", doc = "rate of the shared channel" }
theta = { value = "0.9", doc = "phase of the shared channel (rad)" }
omega_a = { value = "5GHz", doc = "bath frequency of a" }
omega_b = { value = "2GHz", doc = "bath frequency of b" }
T = { value = "50mK", doc = "bath temperature" }

[[modes]]
name = "a"
detuning = "Delta_a"
decay = "kappa_a"
bath_frequency = "omega_a"

[[modes]]
name = "b"
detuning = "Delta_b"
decay = "kappa_b"
bath_frequency = "omega_b"

[[couplings]]
kind = "dissipative"
modes = ["a", "b"]
rate = "Gamma"
phase = "theta"
"""

#: a microwave mode w at 0.5 K, a mode c at 0 K (1 GHz: distinguishable from the model's
#: 20 mK) and a mechanical mode b at the model's temperature (Lindblad bath)
TRANSDUCER = """
name = "transducer"
title = "per-mode bath temperatures"
pair = ["w", "b"]
temperature = "T"

[parameters]
Delta_w = { value = "1MHz", doc = "detuning of w" }
Delta_c = { value = "10MHz", doc = "effective detuning of c" }
kappa_w = { value = "1MHz", doc = "decay of w" }
kappa_c = { value = "2MHz", doc = "decay of c" }
g = { value = "0.5MHz", doc = "w - c beam splitter" }
G = { value = "1MHz", doc = "effective radiation-pressure coupling of c and b" }
G_0 = { value = "1Hz", doc = "single-photon coupling" }
omega_w = { value = "5GHz", doc = "bath frequency of w" }
omega_c = { value = "1GHz", doc = "bath frequency of c" }
omega_b = { value = "10MHz", doc = "mechanical frequency" }
gamma_b = { value = "1kHz", doc = "mechanical damping" }
T = { value = "20mK", doc = "fridge temperature" }
T_w = { value = "0.5K", doc = "temperature of the microwave line" }
T_c = { value = "0K", doc = "temperature of c's bath" }
mech_bath = "lindblad"

[[modes]]
name = "w"
detuning = "Delta_w"
decay = "kappa_w"
bath_frequency = "omega_w"
temperature = "T_w"

[[modes]]
name = "c"
detuning = "Delta_c"
decay = "kappa_c"
bath_frequency = "omega_c"
temperature = "T_c"

[[modes]]
name = "b"
mechanical = true
frequency = "omega_b"
damping = "gamma_b"
bath = "mech_bath"

[[couplings]]
kind = "beam_splitter"
modes = ["w", "c"]
rate = "g"

[[couplings]]
kind = "radiation_pressure"
modes = ["c", "b"]
G_0 = "G_0"
G = "G"
"""

#: a cavity a fed by squeezed thermal light, beam-split with a second cavity b (builder (i));
#: small occupations so that a Fock box of ~8 levels holds the state
SQUEEZED_BS = """
name = "squeezed_bs"
title = "a squeezed-input cavity beam-split with a second cavity"
pair = ["a", "b"]
temperature = "T"

[parameters]
Delta_a = { value = "0.5MHz", doc = "detuning of a" }
Delta_b = { value = "-0.3MHz", doc = "detuning of b" }
kappa_a = { value = "1MHz", doc = "decay of a" }
kappa_b = { value = "0.7MHz", doc = "decay of b" }
g = { value = "0.6MHz", doc = "beam splitter" }
omega_a = { value = "5GHz", doc = "bath frequency of a" }
omega_b = { value = "6GHz", doc = "bath frequency of b" }
T = { value = "60mK", doc = "bath temperature (N_a = 0.019, N_b = 0.0083)" }
r = { value = "0.3", doc = "squeezing of a's input" }
phi = { value = "0.6", doc = "squeezing phase of a's input (rad)" }

[[modes]]
name = "a"
detuning = "Delta_a"
decay = "kappa_a"
bath_frequency = "omega_a"
squeezing = "r"
squeezing_phase = "phi"

[[modes]]
name = "b"
detuning = "Delta_b"
decay = "kappa_b"
bath_frequency = "omega_b"

[[couplings]]
kind = "beam_splitter"
modes = ["a", "b"]
rate = "g"
"""

#: SQUEEZED_BS's defaults in SI (Hz, K, rad): the tests pass them explicitly
SQUEEZED_BS_POINT = dict(Delta_a=0.5e6, Delta_b=-0.3e6, kappa_a=1e6, kappa_b=0.7e6, g=0.6e6,
                         omega_a=5e9, omega_b=6e9, T=0.06, r=0.3, phi=0.6)

#: two cavities with a shared channel and a two-mode squeezing term (builder (ii))
SHARED_TMS = """
name = "shared_tms"
title = "two cavities with a shared dissipative channel and two-mode squeezing"
pair = ["a", "b"]
temperature = "T"

[parameters]
Delta_a = { value = "0.3MHz", doc = "detuning of a" }
Delta_b = { value = "0.2MHz", doc = "detuning of b" }
kappa_a = { value = "1MHz", doc = "decay of a" }
kappa_b = { value = "0.8MHz", doc = "decay of b" }
Gamma = { value = "0.4MHz", doc = "shared channel" }
theta = { value = "0.7", doc = "phase of the shared channel (rad)" }
g = { value = "0.5MHz", doc = "two-mode squeezing" }
omega_a = { value = "5GHz", doc = "bath frequency of a" }
omega_b = { value = "7GHz", doc = "bath frequency of b" }
T = { value = "60mK", doc = "bath temperature" }

[[modes]]
name = "a"
detuning = "Delta_a"
decay = "kappa_a"
bath_frequency = "omega_a"

[[modes]]
name = "b"
detuning = "Delta_b"
decay = "kappa_b"
bath_frequency = "omega_b"

[[couplings]]
kind = "dissipative"
modes = ["a", "b"]
rate = "Gamma"
phase = "theta"

[[couplings]]
kind = "two_mode_squeezing"
modes = ["a", "b"]
rate = "g"
"""

#: SHARED_TMS's defaults in SI (Hz, K, rad)
SHARED_TMS_POINT = dict(Delta_a=0.3e6, Delta_b=0.2e6, kappa_a=1e6, kappa_b=0.8e6, Gamma=0.4e6,
                        theta=0.7, g=0.5e6, omega_a=5e9, omega_b=7e9, T=0.06)

#: a lone cavity at Delta = 0 with a squeezed input, beside an uncoupled vacuum mode (a pair
#: needs two modes); b's bath at 300 THz holds nothing
LONE_SQUEEZED = """
name = "lone_squeezed"
title = "a lone cavity with a squeezed input"
pair = ["a", "b"]
temperature = "T"

[parameters]
kappa = { value = "1MHz", doc = "decay" }
omega_a = { value = "5GHz", doc = "bath frequency of a" }
omega_o = { value = "300THz", doc = "bath frequency of b" }
T = { value = "0.1K", doc = "bath temperature" }
r = { value = "0.7", doc = "squeezing" }
phi = { value = "0", doc = "squeezing phase (rad)" }

[[modes]]
name = "a"
detuning = 0
decay = "kappa"
bath_frequency = "omega_a"
squeezing = "r"
squeezing_phase = "phi"

[[modes]]
name = "b"
detuning = 0
decay = "kappa"
bath_frequency = "omega_o"
"""


# --------------------------------------------------------------------------------------------
# squeezed input
# --------------------------------------------------------------------------------------------
def squeezed_input_moments(N, r, phi):
    """(Ns, M) of the issue: <a_in^dag a_in> and <a_in a_in> per unit delta."""
    return (N + 0.5) * np.cosh(2 * r) - 0.5, (N + 0.5) * np.exp(1j * phi) * np.sinh(2 * r)


def squeezed_input_covariance(N, r, phi):
    """sigma_in: the input's symmetrised (X_in, Y_in) correlations per unit delta."""
    Ns, M = squeezed_input_moments(N, r, phi)
    return np.array([[Ns + 0.5 + M.real, M.imag],
                     [M.imag, Ns + 0.5 - M.real]])


def quadrature_rotation(chi):
    """R with u' = R u for a' = a e^{i chi}: X' = cos X - sin Y, Y' = sin X + cos Y."""
    c, s = np.cos(chi), np.sin(chi)
    return np.array([[c, -s], [s, c]])


def lone_cavity_covariance(N, r, phi):
    """(c) The steady intracavity covariance of a lone cavity at Delta = 0 fed by the squeezed
    input: A = -kappa I, D = 2 kappa sigma_in, so A V + V A^T + D = 0 gives V = sigma_in:
        V = (N + 1/2) [[cosh 2r + cos(phi) sinh 2r, sin(phi) sinh 2r],
                       [sin(phi) sinh 2r,           cosh 2r - cos(phi) sinh 2r]]
          = (N + 1/2) R(phi/2) diag(e^{2r}, e^{-2r}) R(phi/2)^T    (any kappa)."""
    c, s = np.cosh(2 * r), np.sinh(2 * r)
    return (N + 0.5) * np.array([[c + np.cos(phi) * s, np.sin(phi) * s],
                                 [np.sin(phi) * s, c - np.cos(phi) * s]])


# --------------------------------------------------------------------------------------------
# (a) li2018 with a squeezed input on its cavity, Lindblad mechanical bath
# --------------------------------------------------------------------------------------------
def li2018_squeezed_drift(Delta_a, Delta_m, kappa_a, kappa_m, g_ma, G_mb, omega_b, gamma_b):
    """Li 2018 drift (reference_drifts.li2018_drift, <m> = -i|<m>|, -G_mb q y) on the Lindblad
    bath: q and p both damped at gamma_b/2.  A squeezed input changes only the noise, not the
    drift.  u = (X, Y, x, y, q, p); rad/s."""
    A = li2018_drift(Delta_a, Delta_m, kappa_a, kappa_m, g_ma, G_mb, omega_b, gamma_b)
    A[4, 4] = A[5, 5] = -TWO_PI * gamma_b / 2
    return A


def li2018_squeezed_diffusion(kappa_a, kappa_m, gamma_b, omega_a, omega_m, omega_b, T, r, phi):
    """D (rad/s), u = (X, Y, x, y, q, p): the cavity block 2 kappa_a sigma_in(N_a, r, phi)
    (full 2x2: its off-diagonal is 2 kappa_a (N_a + 1/2) sin(phi) sinh 2r), the magnon
    kappa_m (2N_m + 1) I, the phonon (gamma_b/2)(2N_b + 1) I (Lindblad).  phi is taken in the
    frame the drift is written in (the mean-field frame, <m> = -i|<m>|)."""
    Na, Nm, Nb = occupation(omega_a, T), occupation(omega_m, T), occupation(omega_b, T)
    D = np.zeros((6, 6))
    D[0:2, 0:2] = 2 * kappa_a * squeezed_input_covariance(Na, r, phi)
    D[2, 2] = D[3, 3] = kappa_m * (2 * Nm + 1)
    D[4, 4] = D[5, 5] = gamma_b / 2 * (2 * Nb + 1)
    return TWO_PI * D


# --------------------------------------------------------------------------------------------
# (b) two modes with a shared dissipative channel
# --------------------------------------------------------------------------------------------
def dissipative_pair_nonhermitian(Delta_1, Delta_2, kappa_1, kappa_2, Gamma, theta, g_bs=0.0):
    """M2 with d(a_1, a_2)/dt = -M2 (a_1, a_2) (Hz; times 2 pi for rad/s); g_bs an optional
    beam splitter g (a_1^dag a_2 + h.c.), which adds i g off the diagonal."""
    e = np.exp(1j * theta)
    return np.array([[kappa_1 + 1j * Delta_1 + Gamma, Gamma * e + 1j * g_bs],
                     [Gamma / e + 1j * g_bs, kappa_2 + 1j * Delta_2 + Gamma]])


def dissipative_pair_drift(Delta_1, Delta_2, kappa_1, kappa_2, Gamma, theta):
    """A (rad/s), u = (X1, Y1, X2, Y2), written entry by entry from
    da_1/dt = -(kappa_1 + i Delta_1 + Gamma) a_1 - Gamma e^{i theta} a_2,
    da_2/dt = -Gamma e^{-i theta} a_1 - (kappa_2 + i Delta_2 + Gamma) a_2.
    (da/dt = (alpha + i beta) b gives dX/dt = alpha X_b - beta Y_b, dY/dt = beta X_b + alpha Y_b.)"""
    k1, k2, D1, D2 = kappa_1 + Gamma, kappa_2 + Gamma, Delta_1, Delta_2
    c, s = Gamma * np.cos(theta), Gamma * np.sin(theta)
    A = [[-k1,  D1,  -c,   s],
         [-D1, -k1,  -s,  -c],
         [ -c,  -s, -k2,  D2],
         [  s,  -c, -D2, -k2]]
    return TWO_PI * np.array(A, dtype=float)


def dissipative_pair_diffusion(kappa_1, kappa_2, Gamma, theta, N_1, N_2, N_c):
    """D (rad/s), u = (X1, Y1, X2, Y2): own baths kappa_j (2 N_j + 1) on the diagonal, and the
    shared channel Gamma (2 N_c + 1) [[1, 0, cos, -sin], [0, 1, sin, cos], [cos, sin, 1, 0],
    [-sin, cos, 0, 1]] (N_c: the first mode's bath, unless the coupling names its own)."""
    n = Gamma * (2 * N_c + 1)
    c, s = n * np.cos(theta), n * np.sin(theta)
    d1, d2 = kappa_1 * (2 * N_1 + 1) + n, kappa_2 * (2 * N_2 + 1) + n
    D = [[d1, 0,  c, -s],
         [0, d1,  s,  c],
         [c,  s, d2,  0],
         [-s, c,  0, d2]]
    return TWO_PI * np.array(D, dtype=float)


# --------------------------------------------------------------------------------------------
# the two builders' models as drift and diffusion (Langevin, entry by entry)
# --------------------------------------------------------------------------------------------
def squeezed_bs_drift(Delta_a, Delta_b, kappa_a, kappa_b, g):
    """u = (X_a, Y_a, X_b, Y_b) of SQUEEZED_BS: da/dt = -(kappa_a + i Delta_a) a - i g b (and
    a <-> b); -i g b gives dX_a/dt = +g Y_b, dY_a/dt = -g X_b.  rad/s."""
    A = [[-kappa_a, Delta_a, 0, g],
         [-Delta_a, -kappa_a, -g, 0],
         [0, g, -kappa_b, Delta_b],
         [-g, 0, -Delta_b, -kappa_b]]
    return TWO_PI * np.array(A, dtype=float)


def squeezed_bs_diffusion(kappa_a, kappa_b, N_a, N_b, r, phi):
    """a's block 2 kappa_a sigma_in(N_a, r, phi), b's kappa_b (2 N_b + 1) I.  rad/s."""
    D = np.zeros((4, 4))
    D[:2, :2] = 2 * kappa_a * squeezed_input_covariance(N_a, r, phi)
    D[2, 2] = D[3, 3] = kappa_b * (2 * N_b + 1)
    return TWO_PI * D


def shared_tms_drift(Delta_a, Delta_b, kappa_a, kappa_b, Gamma, theta, g):
    """SHARED_TMS: the shared-channel drift plus g (a^dag b^dag + a b): da/dt gets -i g b^dag,
    i.e. dX_a/dt = -g Y_b, dY_a/dt = -g X_b (and a <-> b).  rad/s."""
    A = dissipative_pair_drift(Delta_a, Delta_b, kappa_a, kappa_b, Gamma, theta)
    T = [[0, 0, 0, -g], [0, 0, -g, 0], [0, -g, 0, 0], [-g, 0, 0, 0]]
    return A + TWO_PI * np.array(T, dtype=float)


# --------------------------------------------------------------------------------------------
# Gaussian helpers (plain NumPy)
# --------------------------------------------------------------------------------------------
def omega(n):
    return np.kron(np.eye(n), np.array([[0.0, 1.0], [-1.0, 0.0]]))


def lyapunov(A, D):
    """V with A V + V A^T + D = 0 (Kronecker form: small matrices only)."""
    n = A.shape[0]
    K = np.kron(np.eye(n), A) + np.kron(A, np.eye(n))
    V = np.linalg.solve(K, -D.reshape(-1, order="F")).reshape((n, n), order="F")
    return (V + V.T) / 2


def gaussian_E_N(V4):
    """E_N = max(0, -ln(2 nu_min)) of a two-mode covariance (vacuum I/2), nu_min the smallest
    symplectic eigenvalue of the partial transpose (p_2 -> -p_2)."""
    P = np.diag([1.0, 1.0, 1.0, -1.0])
    nu = np.abs(np.linalg.eigvals(1j * omega(2) @ P @ V4 @ P)).min()
    return max(0.0, -np.log(2 * nu))


def lindblad_drift_diffusion(H_sym, ells):
    """The generic map (for the self-check): H = u^T H_sym u / 2, L_k = ells[k] . u (complex
    row vectors) give A = Omega (H_sym + Im C), D = Omega Re(C) Omega^T, C = sum_k ell_k* ell_k^T
    (Heisenberg equations of the Lindblad adjoint; units of the inputs)."""
    C = sum(np.outer(np.conj(l), l) for l in ells)
    Om = omega(H_sym.shape[0] // 2)
    return Om @ (H_sym + C.imag), Om @ C.real @ Om.T


def squeezed_bath_kossakowski(kappa, N, r, phi):
    """K of the squeezed bath on (a, a^dag) (see the module doc), units of kappa."""
    Ns, M = squeezed_input_moments(N, r, phi)
    return 2 * kappa * np.array([[Ns + 1, -np.conj(M)], [-M, Ns]])


def kossakowski_jumps(K):
    """Coefficient vectors c_k (L_k = c_k[0] a + c_k[1] a^dag) with sum_k c_k c_k^dag = K."""
    w, U = np.linalg.eigh(K)
    return [np.sqrt(max(lam, 0.0)) * U[:, k] for k, lam in enumerate(w) if lam > 1e-14 * abs(w).max()]


def _ell(n_modes, mode, c_a, c_adag):
    """Row vector ell with ell . u = c_a a + c_adag a^dag of mode `mode`:
    a = (X + i Y)/sqrt2, a^dag = (X - i Y)/sqrt2."""
    l = np.zeros(2 * n_modes, complex)
    l[2 * mode] = (c_a + c_adag) / np.sqrt(2)
    l[2 * mode + 1] = 1j * (c_a - c_adag) / np.sqrt(2)
    return l


# --------------------------------------------------------------------------------------------
# (d) QuTiP builders (rates in MHz: the steady state does not depend on the unit)
# --------------------------------------------------------------------------------------------
def _ops(cutoffs):
    import qutip
    eye = [qutip.qeye(n) for n in cutoffs]
    out = []
    for j, n in enumerate(cutoffs):
        f = list(eye)
        f[j] = qutip.destroy(n)
        out.append(qutip.tensor(f) if len(cutoffs) > 1 else f[0])
    return out


def squeezed_bath_collapse(a, kappa, N, r, phi):
    """Collapse operators of a squeezed thermal bath on mode a (diagonalised Kossakowski K)."""
    return [c[0] * a + c[1] * a.dag() for c in kossakowski_jumps(squeezed_bath_kossakowski(kappa, N, r, phi))]


def thermal_collapse(a, kappa, N):
    out = [np.sqrt(2 * kappa * (N + 1)) * a]
    return out + ([np.sqrt(2 * kappa * N) * a.dag()] if N > 0 else [])


def lone_squeezed_qutip(cutoff, kappa, N, r, phi):
    """A lone cavity at Delta = 0 fed by the squeezed bath: (H, c_ops, [a])."""
    (a,) = _ops((cutoff,))
    return 0 * a.dag() * a, squeezed_bath_collapse(a, kappa, N, r, phi), [a]


def squeezed_bs_qutip(cutoffs, Delta_a, Delta_b, kappa_a, kappa_b, g, N_a, N_b, r, phi):
    """(i) H = Delta_a a^dag a + Delta_b b^dag b + g (a^dag b + a b^dag); a's bath squeezed
    (N_a, r, phi), b's thermal (N_b).  Rates in Hz; returns (H, c_ops, [a, b]) in MHz."""
    a, b = _ops(cutoffs)
    u = 1e-6
    H = u * (Delta_a * a.dag() * a + Delta_b * b.dag() * b + g * (a.dag() * b + a * b.dag()))
    c_ops = squeezed_bath_collapse(a, u * kappa_a, N_a, r, phi) + thermal_collapse(b, u * kappa_b, N_b)
    return H, c_ops, [a, b]


def shared_tms_qutip(cutoffs, Delta_a, Delta_b, kappa_a, kappa_b, Gamma, theta, g, N_a, N_b, N_c=None):
    """(ii) H = Delta_a a^dag a + Delta_b b^dag b + g (a^dag b^dag + a b); own thermal baths and
    the shared channel sqrt(2 Gamma (N_c + 1)) (a + e^{i theta} b), sqrt(2 Gamma N_c) (its
    adjoint), N_c = N_a (the first mode's bath) by default."""
    a, b = _ops(cutoffs)
    u = 1e-6
    N_c = N_a if N_c is None else N_c
    H = u * (Delta_a * a.dag() * a + Delta_b * b.dag() * b + g * (a.dag() * b.dag() + a * b))
    c = a + np.exp(1j * theta) * b
    c_ops = thermal_collapse(a, u * kappa_a, N_a) + thermal_collapse(b, u * kappa_b, N_b)
    c_ops += [np.sqrt(2 * u * Gamma * (N_c + 1)) * c]
    if N_c > 0:
        c_ops.append(np.sqrt(2 * u * Gamma * N_c) * c.dag())
    return H, c_ops, [a, b]


def qutip_covariance(rho, modes):
    """V (vacuum I/2) of rho for the annihilation operators `modes`, u = (X1, Y1, X2, ...),
    from normal-ordered moments (<a a^dag> taken as <a^dag a> + 1, not as the product of two
    truncated matrices, which is short by the top level's population)."""
    import qutip
    n = len(modes)
    # u = T b with b = (a_1, a_1^dag, a_2, a_2^dag, ...)
    T = np.zeros((2 * n, 2 * n), complex)
    for j in range(n):
        T[2 * j, 2 * j:2 * j + 2] = [1 / np.sqrt(2), 1 / np.sqrt(2)]
        T[2 * j + 1, 2 * j:2 * j + 2] = [-1j / np.sqrt(2), 1j / np.sqrt(2)]
    b = []
    for a in modes:
        b += [a, a.dag()]
    S = np.empty((2 * n, 2 * n), complex)
    for k in range(2 * n):
        for l in range(2 * n):
            if k % 2 == 0 and l == k + 1:          # a a^dag = a^dag a + 1
                S[k, l] = qutip.expect(b[l] * b[k], rho) + 1
            else:
                S[k, l] = qutip.expect(b[k] * b[l], rho)
    m = (T @ np.array([qutip.expect(x, rho) for x in b])).real
    V = (T @ S @ T.T).real - np.outer(m, m)
    return (V + V.T) / 2


def qutip_exact_E_N(rho):
    """ln || rho^(T_2) ||_1 of a two-mode state."""
    import qutip
    ev = qutip.partial_transpose(rho, [0, 1]).eigenenergies()
    return float(np.log(np.abs(ev).sum()))


def qutip_steady(H, c_ops):
    import qutip
    return qutip.steadystate(H, c_ops)


# --------------------------------------------------------------------------------------------
def _self_check():
    rng = np.random.default_rng(3)
    # the squeezed bath's Lindblad form gives the Langevin drift and diffusion of the module doc
    for _ in range(5):
        kappa, N, r, phi = rng.uniform(0.2, 2), rng.uniform(0, 1), rng.uniform(0, 1.2), rng.uniform(-4, 4)
        K = squeezed_bath_kossakowski(kappa, N, r, phi)
        assert np.linalg.eigvalsh(K).min() > -1e-12
        jumps = kossakowski_jumps(K)
        assert np.allclose(sum(np.outer(c, np.conj(c)) for c in jumps), K)
        A, D = lindblad_drift_diffusion(np.zeros((2, 2)), [_ell(1, 0, *c) for c in jumps])
        assert np.allclose(A, -kappa * np.eye(2))
        assert np.allclose(D, 2 * kappa * squeezed_input_covariance(N, r, phi))
        assert np.allclose(lyapunov(A, D), lone_cavity_covariance(N, r, phi))
    # N = 0: one jump, proportional to cosh r a - e^{i phi} sinh r a^dag
    (c,) = kossakowski_jumps(squeezed_bath_kossakowski(1.0, 0.0, 0.5, 0.8))
    ref = np.sqrt(2) * np.array([np.cosh(0.5), -np.exp(0.8j) * np.sinh(0.5)])
    assert np.isclose(abs(np.vdot(c, ref)), np.linalg.norm(c) * np.linalg.norm(ref))
    # phi = 0 stretches X: (N + 1/2) e^{2r}; a rotation by chi moves phi by 2 chi
    assert np.isclose(squeezed_input_covariance(0.3, 0.4, 0.0)[0, 0], 0.8 * np.exp(0.8))
    R = quadrature_rotation(0.37)
    assert np.allclose(R @ lone_cavity_covariance(0.2, 0.6, 0.1) @ R.T, lone_cavity_covariance(0.2, 0.6, 0.84))
    # the shared channel: hand-written A, D against the generic map of its collapse operators
    for _ in range(5):
        D1, D2, k1, k2, G, th = rng.uniform(-2, 2, 2).tolist() + rng.uniform(0.1, 2, 3).tolist() + [rng.uniform(-4, 4)]
        N1, N2, Nc = rng.uniform(0, 1, 3)
        Hs = np.diag([D1, D1, D2, D2])
        ells = [np.sqrt(2 * k1 * (N1 + 1)) * _ell(2, 0, 1, 0), np.sqrt(2 * k1 * N1) * _ell(2, 0, 0, 1),
                np.sqrt(2 * k2 * (N2 + 1)) * _ell(2, 1, 1, 0), np.sqrt(2 * k2 * N2) * _ell(2, 1, 0, 1),
                np.sqrt(2 * G * (Nc + 1)) * (_ell(2, 0, 1, 0) + np.exp(1j * th) * _ell(2, 1, 1, 0)),
                np.sqrt(2 * G * Nc) * (_ell(2, 0, 0, 1) + np.exp(-1j * th) * _ell(2, 1, 0, 1))]
        A, D = lindblad_drift_diffusion(Hs, ells)
        assert np.allclose(TWO_PI * A, dissipative_pair_drift(D1, D2, k1, k2, G, th))
        assert np.allclose(TWO_PI * D, dissipative_pair_diffusion(k1, k2, G, th, N1, N2, Nc))
        lam = np.sort_complex(np.linalg.eigvals(dissipative_pair_drift(D1, D2, k1, k2, G, th)))
        m = -TWO_PI * np.linalg.eigvals(dissipative_pair_nonhermitian(D1, D2, k1, k2, G, th))
        assert np.allclose(lam, np.sort_complex(np.concatenate([m, np.conj(m)])))
    # li2018: squeezing only adds the cavity block; r = 0 is the thermal diagonal
    Dl = li2018_squeezed_diffusion(1e6, 1e6, 100.0, 10e9, 10e9, 10e6, 0.3, 0.0, 0.4)
    Na = occupation(10e9, 0.3)
    assert np.allclose(Dl[:2, :2], TWO_PI * 1e6 * (2 * Na + 1) * np.eye(2))
    # the builders' drifts against the generic map of their Hamiltonians
    Da, Db, ka, kb, g, G, th = 0.5, -0.3, 1.0, 0.7, 0.6, 0.4, 0.7
    Om = omega(2)
    Hbs = np.array([[Da, 0, g, 0], [0, Da, 0, g], [g, 0, Db, 0], [0, g, 0, Db]])
    ells = [_ell(2, 0, *c) for c in kossakowski_jumps(squeezed_bath_kossakowski(ka, 0.1, 0.4, 0.6))]
    ells += [np.sqrt(2 * kb * 1.05) * _ell(2, 1, 1, 0), np.sqrt(2 * kb * 0.05) * _ell(2, 1, 0, 1)]
    A, D = lindblad_drift_diffusion(Hbs, ells)
    assert np.allclose(TWO_PI * A, squeezed_bs_drift(Da, Db, ka, kb, g))
    assert np.allclose(TWO_PI * D, squeezed_bs_diffusion(ka, kb, 0.1, 0.05, 0.4, 0.6))
    # g (a^dag b^dag + a b) = (g/2)(2 X_a X_b - 2 Y_a Y_b) / ... : H_sym entries g on (X_a, X_b),
    # -g on (Y_a, Y_b)
    Htms = np.diag([Da, Da, Db, Db]) + g * np.array([[0, 0, 1, 0], [0, 0, 0, -1], [1, 0, 0, 0], [0, -1, 0, 0]])
    ells = [np.sqrt(2 * ka) * _ell(2, 0, 1, 0), np.sqrt(2 * kb) * _ell(2, 1, 1, 0),
            np.sqrt(2 * G) * (_ell(2, 0, 1, 0) + np.exp(1j * th) * _ell(2, 1, 1, 0))]
    A, _ = lindblad_drift_diffusion(Htms, ells)
    assert np.allclose(TWO_PI * A, shared_tms_drift(Da, Db, ka, kb, G, th, g))
    # rotating both modes' frames by chi (H invariant) moves a's phi by 2 chi
    chi = 0.45
    R2 = np.kron(np.eye(2), quadrature_rotation(chi))
    A = squeezed_bs_drift(Da, Db, ka, kb, g)
    V0 = lyapunov(A, squeezed_bs_diffusion(ka, kb, 0.02, 0.01, 0.6, 0.6))
    V1 = lyapunov(A, squeezed_bs_diffusion(ka, kb, 0.02, 0.01, 0.6, 0.6 + 2 * chi))
    assert np.allclose(R2 @ V0 @ R2.T, V1)
    assert np.isclose(gaussian_E_N(V0), gaussian_E_N(V1)) and gaussian_E_N(V0) > 0.02
    print("reference_baths: self-check passed")


if __name__ == "__main__":
    _self_check()
