"""A model file written for the tests: two cavities on one mechanical mode, one on each
sideband, and its drift and diffusion matrices written out by hand (the independent reference
that the file means what the tests say).

Sign convention (linearized.description, vitali2007): the drive-frame detuning is positive on
the red side, so ``Delta_a = +omega_m`` puts cavity a on the red sideband (its coupling to the
mirror acts as a beam splitter, cooling) and ``Delta_c = -omega_m`` cavity c on the blue one
(two-mode squeezing, heating); the red coupling is the stronger, so the point is stable.
"""
import numpy as np

#: two cavities on one mechanical mode (radiation pressure, effective form): a on the red
#: sideband (Delta = +omega_m, the beam-splitter side: positive detuning is red, as in
#: vitali2007), c on the blue one (Delta = -omega_m, two-mode squeezing), Lindblad bath
TWO_CAVITY = """
name = "two_cavity"
title = "two cavities on one mechanical mode, one on each sideband"
pair = ["a", "c"]
temperature = "T"

[parameters]
Delta_a = "10MHz"
Delta_c = "-10MHz"
kappa_a = "1MHz"
kappa_c = "0.8MHz"
G_a = "2MHz"
G_c = "1.2MHz"
G_0 = "100Hz"
omega_c = "5GHz"
omega_m = "10MHz"
gamma_m = "1kHz"
T = "10mK"

[[modes]]
name = "a"
detuning = "Delta_a"
decay = "kappa_a"
bath_frequency = "omega_c"

[[modes]]
name = "c"
detuning = "Delta_c"
decay = "kappa_c"
bath_frequency = "omega_c"

[[modes]]
name = "b"
mechanical = true
frequency = "omega_m"
damping = "gamma_m"
bath = "lindblad"

[[couplings]]
kind = "radiation_pressure"
modes = ["a", "b"]
G_0 = "G_0"
G = "G_a"

[[couplings]]
kind = "radiation_pressure"
modes = ["c", "b"]
G_0 = "G_0"
G = "G_c"
"""


def reference_matrices(values: dict):
    """Drift and diffusion (rad/s) of ``(X_a, Y_a, X_c, Y_c, q, p)`` at ``values`` (SI), from
    ``H = Delta_a n_a + Delta_c n_c + omega_m (q^2 + p^2)/2 - G_a q Y_a - G_c q Y_c``:
    ``dX_k/dt = Delta_k Y_k - G_k q``, ``dY_k/dt = -Delta_k X_k``, ``dq/dt = omega_m p``,
    ``dp/dt = -omega_m q + G_a Y_a + G_c Y_c``; damping kappa on the cavity quadratures and
    gamma/2 on both mechanical ones (Lindblad), noise kappa (2N + 1) and (gamma/2)(2N + 1)."""
    w = lambda k: 2 * np.pi * float(values[k])
    occ = lambda f: 0.0 if values["T"] == 0 else 1 / np.expm1(
        6.62607015e-34 * float(values[f]) / (1.380649e-23 * float(values["T"])))
    A = np.zeros((6, 6))
    for c, (d, g, k) in enumerate((("Delta_a", "G_a", "kappa_a"), ("Delta_c", "G_c", "kappa_c"))):
        x, y = 2 * c, 2 * c + 1
        A[x, y], A[y, x] = w(d), -w(d)
        A[x, 4] = -w(g)
        A[5, y] = w(g)
        A[x, x] = A[y, y] = -w(k)
    A[4, 5], A[5, 4] = w("omega_m"), -w("omega_m")
    A[4, 4] = A[5, 5] = -w("gamma_m") / 2
    nc, nb = occ("omega_c"), occ("omega_m")
    D = np.diag([w("kappa_a") * (2 * nc + 1)] * 2 + [w("kappa_c") * (2 * nc + 1)] * 2
                + [w("gamma_m") / 2 * (2 * nb + 1)] * 2)
    return A, D
