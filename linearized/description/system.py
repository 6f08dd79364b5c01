"""A model description evaluated at parameter values: the linearized theory of any model.

:class:`System` holds the numbers of one :class:`~linearized.description.spec.ModelSpec` at given
parameter values (floats, or NumPy arrays broadcast to one grid) and derives, the way the seed
paper derives Eq. (6) and Eq. (8) for its model:

* the quadratic Hamiltonian of the fluctuations ``H = (1/2) r^T H_M r`` with
  ``r = (x_1, p_1, ..., x_n, p_n)``, ``x = (a + a^dag)/sqrt2``, ``p = i(a^dag - a)/sqrt2``
  (:meth:`System.hamiltonian_matrix`);
* the baths as data (:meth:`System.loss_channels`): every Lindblad channel ``L = sum_k c_k a_k``
  with its input's correlations ``<L_in^dag L_in> = N`` and ``<L_in L_in> = M`` (a thermal
  bath: ``M = 0``; a squeezed input: ``N = (N_th + 1/2) cosh 2r - 1/2``,
  ``M = (N_th + 1/2) e^{i phi} sinh 2r``): ``sqrt(2 kappa) a`` for a field mode,
  ``sqrt(gamma) b`` for a mechanical mode with the ``lindblad`` bath, and
  ``sqrt(2 Gamma) (a_j + e^{i theta} a_k)`` for a ``dissipative`` coupling;
* the drift matrix ``A = Omega (H_M + Im K) - Gamma_B`` (:meth:`System.drift_matrix`) and the
  diffusion matrix ``D = Omega Re K Omega^T + D_B`` (:meth:`System.diffusion_matrix`), with
  ``K = sum over channels of (N+1) g* g^T + N g g^dag - M g* g^dag - M* g g^T`` (``g``: the
  channel's ``L`` over the quadratures, ``a_k = (x_k + i p_k)/sqrt2``): for a thermal field
  mode ``kappa`` on both quadratures of Gamma and ``kappa (2N+1)`` of D; ``Gamma_B``, ``D_B``:
  the ``brownian`` mechanical bath, which has no Lindblad form (``gamma`` on p, and
  ``gamma (2N+1)`` on p).

Quadratic parts of the couplings (``g`` etc. in rad/s inside the matrices):

* beam splitter ``g (a^dag b + a b^dag) = g (x_a x_b + p_a p_b)``;
* two-mode squeezing ``g (a^dag b^dag + a b) = g (x_a x_b - p_a p_b)``;
* squeezing ``(s/2)(a^dag^2 + a^2) = (s/2)(x^2 - p^2)``;
* ``G_0 n_k q_l`` about ``<k> = -i sigma |<k>|`` (``sigma = sign G_0``): ``-G q_l y_k``;
* Kerr ``K (a^dag a)^2`` about a mean of modulus ``s``: ``2 K s^2 y^2`` beyond the effective
  detuning (which holds the mean-field shift ``2 K s^2``), as in the seed paper;
* cross-Kerr ``K a^dag a b^dag b`` about means ``alpha = -i sigma_a s_a``, ``beta``:
  ``2 K sigma_a sigma_b s_a s_b y_a y_b`` beyond the effective detunings.

Frequencies are inputs in Hz (ordinary frequency); matrices are in rad/s.  No QuTiP here.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from linearized.description.drive import resolve_drive
from linearized.description.expressions import evaluate
from linearized.description.physical import rabi_frequency
from linearized.description.spec import ModelSpec
from linearized.description.thermal import occupation
from linearized.description.units import MECH_BATHS, ParameterError
from linearized.measures import symplectic_form

TWO_PI = 2.0 * np.pi


def index_pairs(n: int) -> list:
    """Every pair ``(i, j)``, ``i < j``, of ``n`` modes, in the order of the JSON's pair tables."""
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


@dataclass(frozen=True, eq=False)
class System:
    """A model at parameter values (SI; arrays allowed).  Build with :meth:`build`.

    ``frequency`` (Hz): drive-frame detuning of each field mode, frequency of each mechanical
    mode; ``decay`` (Hz): amplitude kappa (field) or damping gamma (mechanical); ``nbar``:
    thermal occupation of each mode's bath; ``baths``: ``None`` (field) or the mechanical bath
    model; ``terms``: evaluated couplings ``(kind, mode indices, rate Hz, G_0 Hz)``;
    ``means``: ``{mode: (sigma, |<k>|)}`` of the driven modes.
    """
    spec: ModelSpec
    values: dict
    frequency: tuple
    decay: tuple
    nbar: tuple
    baths: tuple
    terms: tuple
    means: dict = field(default_factory=dict)
    pair: tuple = (0, 1)
    bath_override: str | None = None
    #: each mode's squeezed input ``(r, phi)``, or None
    squeeze: tuple = ()
    #: the dissipative couplings' channels ``(j, k, Gamma Hz, theta rad, N)``
    shared: tuple = ()
    #: a physical drive, resolved: ``(k, l, G_0, E, bare detuning of k)`` (Hz), else None
    drive: tuple | None = None
    #: every mean-field branch of the physical drive (:class:`linearized.description.drive.DriveBranch`)
    branches: tuple = ()
    branch: Any = None
    #: the branch asked for (None, "lowest", "highest" or an index): kept for :meth:`replace`,
    #: which solves the mean field again at other values
    branch_request: Any = None

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def build(cls, spec: ModelSpec, values: Mapping[str, Any], pair=None,
              bath_override: str | None = None, branch=None) -> "System":
        """Evaluate ``spec`` at ``values`` (every declared parameter, SI) and validate; a
        physical drive is resolved to the mean-field branch ``branch``
        (:func:`linearized.description.drive.resolve_drive`)."""
        values = dict(values)
        num = {k: (v if isinstance(v, str) or v is None else np.asarray(v, float))
               for k, v in values.items()}
        for k, v in num.items():
            if v is not None and not isinstance(v, str) and not np.all(np.isfinite(v)):
                raise ParameterError(f"{k} must be a finite number (got {values[k]!r})")
        T = num[spec.temperature]
        if np.any(T < 0):
            raise ParameterError(f"the temperature {spec.temperature} must not be negative")

        def temperature(expr, where):
            t = T if expr is None else np.asarray(evaluate(expr, num, where), float)
            if np.any(t < 0):
                raise ParameterError(f"{where}: the temperature must not be negative")
            return t
        names = spec.mode_names
        coupled = {m for c in spec.couplings for m in c.modes
                   if c.kind not in ("kerr", "squeezing")}
        freq, decay, nbar, baths, squeeze = [], [], [], [], []
        for m in spec.modes:
            f = np.asarray(evaluate(m.detuning, num, f"mode {m.name!r}"), float)
            d = np.asarray(evaluate(m.decay, num, f"mode {m.name!r}"), float)
            bf = np.asarray(evaluate(m.bath_frequency, num, f"mode {m.name!r}"), float)
            what = "damping gamma" if m.mechanical else "decay kappa"
            if np.any(d < 0):
                raise ParameterError(f"mode {m.name!r}: the {what} must not be negative")
            if np.all(d == 0) and m.name not in coupled:
                raise ParameterError(f"mode {m.name!r} has neither decay nor coupling: it "
                                     f"takes no part in the dynamics and has no steady state")
            if m.mechanical and np.any(f <= 0):
                raise ParameterError(f"mode {m.name!r}: the mechanical frequency must be "
                                     f"positive")
            if np.any(bf <= 0):
                raise ParameterError(f"mode {m.name!r}: the bath frequency must be positive")
            freq.append(f)
            decay.append(d)
            nbar.append(occupation(bf, temperature(m.temperature, f"mode {m.name!r}")))
            squeeze.append(None if m.squeezing is None else
                           _squeeze(m, evaluate(m.squeezing, num, f"mode {m.name!r}"),
                                    0.0 if m.squeezing_phase is None else
                                    evaluate(m.squeezing_phase, num, f"mode {m.name!r}")))
            if m.mechanical:
                b = bath_override or (m.bath if m.bath in MECH_BATHS else num[m.bath])
                baths.append(b)
            else:
                baths.append(None)
        for f, d, bf, m in zip(freq, decay, nbar, spec.modes):
            if not (np.all(np.isfinite(f)) and np.all(np.isfinite(d))):
                raise ParameterError(f"mode {m.name!r}: its frequency or decay is not a finite "
                                     f"number")
        terms, means, shared = [], {}, []
        for i, c in enumerate(spec.couplings):
            idx = tuple(names.index(x) for x in c.modes)
            if c.kind == "dissipative":
                rate = np.asarray(evaluate(c.rate, num, f"coupling {i}"), float)
                if np.any(rate < 0):
                    raise ParameterError(f"coupling {i} (dissipative): the rate Gamma must not "
                                         f"be negative")
                theta = np.asarray(evaluate(c.phase, num, f"coupling {i}"), float)
                if c.bath_frequency is None:
                    N = nbar[idx[0]]             # the first mode's bath
                else:
                    bf = np.asarray(evaluate(c.bath_frequency, num, f"coupling {i}"), float)
                    if np.any(bf <= 0):
                        raise ParameterError(f"coupling {i} (dissipative): the bath frequency "
                                             f"must be positive")
                    N = occupation(bf, temperature(c.temperature, f"coupling {i}"))
                shared.append((idx[0], idx[1], rate, theta, N))
                terms.append((c.kind, idx, rate, None, None))
                continue
            if c.kind == "radiation_pressure":
                G0 = (np.asarray(np.nan) if c.G_0 is None else
                      np.asarray(evaluate(c.G_0, num, f"coupling {i}"), float))
                if c.yig is not None and num.get(c.yig.power) is not None:
                    E, freq[idx[0]] = yig_drive(c.yig, num)
                    terms.append((c.kind, idx, np.asarray(0.0), G0, E))
                    continue
                if c.drive is not None:
                    E = np.asarray(evaluate(c.drive, num, f"coupling {i}"), float)
                    terms.append((c.kind, idx, np.asarray(0.0), G0, E))
                    continue
                G = np.asarray(evaluate(c.G, num, f"coupling {i}"), float)
                if np.any(G < 0):
                    raise ParameterError(f"coupling {i} (radiation_pressure): G is the "
                                         f"linearized rate sqrt2 |G_0| |<k>| and must not be "
                                         f"negative")
                if idx[0] in means:
                    raise ParameterError(f"mode {c.modes[0]!r} is driven by two "
                                         f"radiation_pressure couplings; give one")
                with np.errstate(divide="ignore", invalid="ignore"):
                    s = np.where(G0 != 0, G / (np.sqrt(2) * np.abs(G0)), np.nan)
                # without G_0 (allowed in the effective form) the sign is taken positive: the
                # linearized theory depends on G alone
                means[idx[0]] = (np.where(G0 < 0, -1.0, 1.0), s)
                terms.append((c.kind, idx, G, G0, None))
            else:
                rate = np.asarray(evaluate(c.rate, num, f"coupling {i}"), float)
                terms.append((c.kind, idx, rate, None, None))
        for i, (t, c) in enumerate(zip(terms, spec.couplings)):
            given = [x for x, f in zip(t[2:], (True, c.G_0 is not None, True)) if f]
            if not all(np.all(np.isfinite(x)) for x in given if x is not None):
                raise ParameterError(f"coupling {i} ({t[0]}): a rate is not a finite number")
        if sum(t[0] == "radiation_pressure" and t[4] is not None for t in terms) > 1:
            raise ParameterError("a model with more than one physical drive is not supported "
                                 "yet")
        sysm = cls(spec, values, tuple(freq), tuple(decay), tuple(nbar), tuple(baths),
                   tuple(terms), means, spec.pair_index(None if pair is None else pair),
                   bath_override, tuple(squeeze), tuple(shared))
        try:
            sysm.shape
        except ValueError:
            raise ParameterError("array-valued parameters do not broadcast to one grid shape")
        sysm = dataclasses.replace(sysm, branch_request=branch)
        if any(t[4] is not None for t in sysm.terms):
            eff, branches, chosen = resolve_drive(sysm, branch)
            sysm = dataclasses.replace(eff, branches=tuple(branches), branch=chosen,
                           values=_effective_values(spec, values, chosen))
        sysm._check_means()
        return sysm

    def _check_means(self):
        """Kerr and cross-Kerr need the means of their modes (module doc)."""
        for kind, idx, rate, *_ in self.terms:
            if kind not in ("kerr", "cross_kerr") or np.all(rate == 0):
                continue
            for k in idx:
                if k in self.means:
                    if np.any(~np.isfinite(self.means[k][1])):
                        raise ParameterError(f"a {kind} term on mode "
                                             f"{self.spec.mode_names[k]!r} needs its mean field, "
                                             f"G / (sqrt2 |G_0|): give G_0, and not 0")
                elif self._linked_to_drive(k):
                    raise ParameterError(f"a {kind} term on mode {self.spec.mode_names[k]!r}: "
                                         f"that mode is coupled to a driven mode, so its mean "
                                         f"field is not zero, and the effective description "
                                         f"does not give it")

    def _linked_to_drive(self, k) -> bool:
        seen, todo = {k}, [k]
        while todo:
            j = todo.pop()
            if j in self.means:
                return True
            for kind, idx, rate, *_ in self.terms:
                if kind in ("beam_splitter", "two_mode_squeezing", "radiation_pressure",
                            "dissipative") \
                        and j in idx and np.any(rate != 0):
                    for o in idx:
                        if o not in seen:
                            seen.add(o)
                            todo.append(o)
        return False

    def replace(self, **changes) -> "System":
        """The same model at other parameter values (raw inputs parsed).  ``mech_bath`` sets
        every mechanical mode's bath (and the parameter of that name, if the model has one)."""
        override = self.bath_override
        if "mech_bath" in changes:
            # every mechanical mode, whether its bath is a parameter or written in the file
            # (a comparison must use one bath model on both sides)
            override = str(changes["mech_bath"]).strip().lower()
            if override not in MECH_BATHS:
                raise ParameterError(f"mech_bath must be one of {', '.join(MECH_BATHS)}, "
                                     f"not {changes['mech_bath']!r}")
            if "mech_bath" not in self.spec.parameter:
                changes.pop("mech_bath")
        values = dict(self.values)
        for k in changes:
            values[k] = self.spec.values({k: changes[k]})[k]
        return System.build(self.spec, values, self.pair_names, override, self._branch_choice)

    @property
    def _branch_choice(self):
        return self.branch_request

    def with_pair(self, pair) -> "System":
        return System.build(self.spec, self.values, pair, self.bath_override,
                            self._branch_choice)

    # -- views --------------------------------------------------------------------------------
    def value(self, key: str) -> float:
        """Parameter ``key`` as a float (SI); a :class:`ParameterError` for an unknown one."""
        if self.values.get(key) is None:
            raise ParameterError(f"model {self.name} has no value for the parameter {key!r}")
        return float(self.values[key])

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def mode_names(self) -> tuple:
        return self.spec.mode_names

    @property
    def n_modes(self) -> int:
        return len(self.spec.modes)

    @property
    def pair_names(self) -> tuple:
        return tuple(self.mode_names[i] for i in self.pair)

    @property
    def quadrature_names(self) -> list:
        """Labels of the covariance matrix's rows: each mode's ``quadratures`` from the model
        file, else ``X_name, Y_name`` (field) or ``x_name, p_name`` (mechanical)."""
        out = []
        for m in self.spec.modes:
            out += list(m.quadratures) if m.quadratures else \
                [f"x_{m.name}", f"p_{m.name}"] if m.mechanical else [f"X_{m.name}", f"Y_{m.name}"]
        return out

    @property
    def mechanical(self) -> tuple:
        return tuple(i for i, m in enumerate(self.spec.modes) if m.mechanical)

    @property
    def mech_bath(self) -> str | None:
        """The mechanical bath model if all mechanical modes share one (else None)."""
        b = {x for x in self.baths if x is not None}
        return b.pop() if len(b) == 1 else None

    @property
    def shape(self) -> tuple:
        arrays = [np.shape(x) for x in self.frequency + self.decay + self.nbar]
        arrays += [np.shape(x) for t in self.terms for x in t[2:] if x is not None]
        arrays += [np.shape(x) for s in self.squeeze if s is not None for x in s]
        arrays += [np.shape(x) for s in self.shared for x in s[2:]]
        return np.broadcast_shapes(*arrays)

    def all_pairs(self) -> list:
        return index_pairs(self.n_modes)

    def pair_of(self, names) -> tuple:
        return self.spec.pair_index(names)

    def to_dict(self) -> dict:
        """The parameter values (SI; lists for arrays), those without a value left out."""
        out = {}
        for k, v in self.values.items():
            if v is not None:
                out[k] = v if isinstance(v, str) else np.asarray(v, float).tolist()
        return out

    def point(self, index) -> "System":
        """The single point at ``index`` of an array-valued system."""
        shape = self.shape
        vals = {k: (v if isinstance(v, str) or np.ndim(v) == 0
                    else float(np.broadcast_to(v, shape)[index]))
                for k, v in self.values.items()}
        return System.build(self.spec, vals, self.pair_names, self.bath_override,
                            self._branch_choice)

    # -- matrices -------------------------------------------------------------------------------
    def hamiltonian_matrix(self, unit: float = 1.0) -> np.ndarray:
        """Symmetric ``H_M`` (shape ``grid + (2n, 2n)``) of the quadratic Hamiltonian, in rad/s
        divided by ``unit`` (rad/s)."""
        n2 = 2 * self.n_modes
        H = np.zeros(self.shape + (n2, n2))
        w = lambda x: TWO_PI * np.asarray(x, float) / unit

        def add(i, j, v):
            H[..., i, j] += v
            if i != j:
                H[..., j, i] += v

        for k, f in enumerate(self.frequency):
            add(2 * k, 2 * k, w(f))
            add(2 * k + 1, 2 * k + 1, w(f))
        for kind, idx, rate, *_ in self.terms:
            r = w(rate)
            if kind == "beam_splitter":
                a, b = idx
                add(2 * a, 2 * b, r)
                add(2 * a + 1, 2 * b + 1, r)
            elif kind == "two_mode_squeezing":
                a, b = idx
                add(2 * a, 2 * b, r)
                add(2 * a + 1, 2 * b + 1, -r)
            elif kind == "squeezing":
                (a,) = idx
                add(2 * a, 2 * a, r)
                add(2 * a + 1, 2 * a + 1, -r)
            elif kind == "radiation_pressure":
                k, l = idx
                add(2 * l, 2 * k + 1, -r)                 # -G q_l y_k
            elif kind == "kerr":
                (a,) = idx
                if np.any(rate != 0) and a in self.means:
                    s = self.means[a][1]
                    add(2 * a + 1, 2 * a + 1, 4 * r * s ** 2)      # 2 K s^2 y^2
            elif kind == "cross_kerr":
                a, b = idx
                if np.any(rate != 0) and a in self.means and b in self.means:
                    (sa, ma), (sb, mb) = self.means[a], self.means[b]
                    add(2 * a + 1, 2 * b + 1, 2 * r * sa * sb * ma * mb)
        return H

    def brownian_matrices(self) -> tuple:
        """``(Gamma_B, D_B)`` (rad/s): the ``brownian`` mechanical bath, which has no Lindblad
        form (damping ``gamma`` and diffusion ``gamma (2N+1)`` on p only)."""
        n2 = 2 * self.n_modes
        G, D = np.zeros(self.shape + (n2, n2)), np.zeros(self.shape + (n2, n2))
        for k, (d, b, N) in enumerate(zip(self.decay, self.baths, self.nbar)):
            if b == "brownian":
                d = TWO_PI * np.asarray(d, float)
                G[..., 2 * k + 1, 2 * k + 1] = d
                D[..., 2 * k + 1, 2 * k + 1] = d * (2 * np.asarray(N, float) + 1)
        return G, D

    def drift_matrix(self) -> np.ndarray:
        """``A = Omega (H_M + Im K) - Gamma_B`` (rad/s), ``Omega = (+)[[0, 1], [-1, 0]]``
        (module doc)."""
        omega = symplectic_form(self.n_modes)
        K = channel_matrix(self._channels(True, brownian=False), self.n_modes)
        return omega @ (self.hamiltonian_matrix() + K.imag) - self.brownian_matrices()[0]

    def diffusion_matrix(self) -> np.ndarray:
        """``D = Omega Re K Omega^T + D_B`` (rad/s, module doc)."""
        omega = symplectic_form(self.n_modes)
        K = channel_matrix(self._channels(True, brownian=False), self.n_modes)
        # the Brownian part has the grid's shape, so the sum does too
        return omega @ K.real @ omega.T + self.brownian_matrices()[1]

    def thermal_occupations(self) -> np.ndarray:
        """Each mode's bath occupation N (thermal, at the bath's own temperature; without the
        squeezing of an input)."""
        return np.array([float(x) for x in self.nbar])

    def loss_channels(self) -> tuple:
        """The baths as data, as the master equation takes them: Lindblad channels
        ``(c, N, M)`` (floats; channels of zero rate left out), jump operator
        ``L = sum_k c_k a_k`` (``c`` complex, one entry per mode, in sqrt(Hz)) whose input has
        ``<L_in^dag L_in> = N`` and ``<L_in L_in> = M`` (module doc).  One per damped mode
        (``sqrt(2 kappa)`` on a field mode, ``sqrt(gamma)`` on a mechanical mode: the master
        equation always uses the Lindblad form of the mechanical bath, the Brownian one having
        none) and one per ``dissipative`` coupling.  A transform of the model (the output
        filters of :mod:`qmodel.cascaded`) answers the same call with channels shared between
        modes."""
        return self._channels(False, brownian=True)

    def _channels(self, arrays: bool, brownian: bool) -> tuple:
        """:meth:`loss_channels`; with ``arrays`` the grid's arrays and every channel, and
        without ``brownian`` the Brownian mechanical modes left to :meth:`brownian_matrices`
        (the linearized theory's drift and diffusion)."""
        n, out = self.n_modes, []

        def add(coeffs, N, M):
            if not arrays:
                coeffs = {k: complex(v) for k, v in coeffs.items()}
                if all(v == 0 for v in coeffs.values()):
                    return
                N, M = float(N), complex(M)
                c = np.zeros(n, complex)
            else:
                c = [0.0] * n
            for k, v in coeffs.items():
                c[k] = v
            out.append((c, N, M))

        for k, (d, N, b, sq) in enumerate(zip(self.decay, self.nbar, self.baths,
                                              self.squeeze or (None,) * n)):
            if b == "brownian" and not brownian:
                continue
            d = np.asarray(d, float)
            N, M = (N, np.asarray(0.0)) if sq is None else squeezed_input(N, *sq)
            add({k: np.sqrt(d * (1.0 if b is not None else 2.0))}, N, M)
        for j, k, rate, theta, N in self.shared:
            s = np.sqrt(2 * np.asarray(rate, float))
            add({j: s, k: s * np.exp(1j * np.asarray(theta, float))}, N, np.asarray(0.0))
        return tuple(out)


def squeezed_input(N, r, phi) -> tuple:
    """``(N_s, M)`` of a squeezed thermal input of ``N`` thermal quanta:
    ``N_s = (N + 1/2) cosh 2r - 1/2``, ``M = (N + 1/2) e^{i phi} sinh 2r``."""
    h = np.asarray(N, float) + 0.5
    r, phi = np.asarray(r, float), np.asarray(phi, float)
    return h * np.cosh(2 * r) - 0.5, h * np.exp(1j * phi) * np.sinh(2 * r)


def channel_matrix(channels, n: int) -> np.ndarray:
    """``K = sum (N+1) g* g^T + N g g^dag - M g* g^dag - M* g g^T`` (rad/s, complex Hermitian,
    of shape ``(2n, 2n)`` after the broadcast shape of the channels' own values: a grid over
    which no bath changes costs one matrix, not one per point) of Lindblad channels ``(c, N, M)`` (:meth:`System.loss_channels`;
    ``c`` in sqrt(Hz)), ``g`` the jump operator over the quadratures,
    ``a_k = (x_k + i p_k)/sqrt2``.  With ``H = r^T H_M r / 2`` the moments obey
    ``d<r>/dt = Omega (H_M + Im K) <r>`` and the diffusion is ``Omega Re K Omega^T``: e.g. a
    thermal ``sqrt(2 kappa) a`` gives ``Im K = kappa Omega`` (damping kappa) and
    ``Re K = kappa (2N+1) I``."""
    shape = np.broadcast_shapes(*(np.shape(x) for c, N, M in channels for x in (*c, N, M)))
    K = np.zeros(shape + (2 * n, 2 * n), complex)
    for c, N, M in channels:
        g = np.zeros(shape + (2 * n,), complex)
        for k in range(n):
            ck = TWO_PI ** 0.5 * np.asarray(c[k], complex) / np.sqrt(2)
            g[..., 2 * k], g[..., 2 * k + 1] = ck, 1j * ck
        N = np.asarray(N, float)[..., None, None]
        M = np.asarray(M, complex)[..., None, None]
        gs = np.conj(g)
        outer = lambda u, v: u[..., :, None] * v[..., None, :]
        K += (N + 1) * outer(gs, g) + N * outer(g, gs) - M * outer(gs, gs) \
            - np.conj(M) * outer(g, g)
    return K


def _squeeze(mode, r, phi) -> tuple:
    """A field mode's squeezed input ``(r, phi)``, checked: r >= 0 and finite, phi finite."""
    r, phi = np.asarray(r, float), np.asarray(phi, float)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(phi))):
        raise ParameterError(f"mode {mode.name!r}: its squeezing is not a finite number")
    if np.any(r < 0):
        raise ParameterError(f"mode {mode.name!r}: the squeezing r must not be negative (the "
                             f"phase squeezing_phase turns the squeezed quadrature)")
    return r, phi


def yig_drive(yig, num) -> tuple:
    """``(E, bare detuning)`` in Hz of the physical drive of a YIG sphere: E the Rabi frequency
    ``Omega/2pi`` of :func:`linearized.description.physical.rabi_frequency` for the power and diameter of
    the named parameters (one sentence for a missing or invalid one)."""
    missing = [n for n in (yig.diameter, yig.bare_detuning) if num.get(n) is None]
    if missing:
        raise ParameterError(f"the physical parametrization needs {yig.power}, {yig.diameter} "
                             f"and {yig.bare_detuning}; missing {', '.join(missing)}")
    P, d = num[yig.power], num[yig.diameter]
    if np.any(P < 0):
        raise ParameterError(f"the drive power {yig.power} must not be negative")
    if np.any(d <= 0):
        raise ParameterError(f"the sphere diameter {yig.diameter} must be positive")
    return np.asarray(rabi_frequency(P, d) / TWO_PI), np.asarray(num[yig.bare_detuning], float)


def _effective_values(spec: ModelSpec, values: dict, branch) -> dict:
    """``values`` with the effective G and detuning of a YIG drive's chosen branch written
    into the parameters its effective form names (what was solved, as the output reports)."""
    out = dict(values)
    for c in spec.couplings:
        if c.yig is not None and values.get(c.yig.power) is not None:
            mode = spec.modes[spec.mode_names.index(c.modes[0])]
            for expr, v in ((c.G, branch.G), (mode.detuning, branch.detuning)):
                if expr in out:
                    out[expr] = float(v)
    return out


def build_system(spec: ModelSpec, changes: Mapping[str, Any] | None = None,
                 pair=None, branch=None) -> System:
    """``spec`` at its defaults updated by ``changes`` (raw inputs: ``"10MHz"`` or SI);
    ``branch`` chooses the mean-field branch of a physical drive."""
    return System.build(spec, spec.values(changes), pair, branch=branch)
