"""Truncated bases for the master equation and operators expressed in them.

A basis is a tensor product of Fock spaces of n bosonic modes ``c_1..c_n`` with cutoffs
``(n_1, ..., n_n)`` (levels ``0 .. n_k - 1``), ordered like the physical modes (for the
paper's model n = 4: a1, a2, m, b; the cascaded model of :mod:`qmodel.cascaded` adds the
filters f1, f2) and like QuTiP's ``tensor``.  The physical quadratures are
``r_phys = S r_new`` with ``S`` symplectic:

* ``fock``: ``S = I``, the new modes *are* the physical modes;
* ``normal``: ``S`` from the Williamson form ``C = S diag(nu) S^T`` of a covariance matrix
  (by default the linearized steady state), so the Gaussian part of the state is a product of
  thermal states with occupations ``nu_k - 1/2``.

Every operator of the model is a polynomial in the physical quadratures, hence in
``c_k, c_k^dag``.  Linear forms are exact in any truncation; quadratic forms are built normally
ordered (``c^dag c`` rather than ``c c^dag``), so the top Fock level is not given a spurious
energy.  Truncated operators still define a valid Lindbladian, and every truncation artifact
vanishes as the cutoffs grow.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from linearized.williamson import williamson

#: ``r = T_LADDER @ (c, c^dag)`` for one mode: x = (c + c^dag)/sqrt2, p = i(c^dag - c)/sqrt2
_T1 = np.array([[1, 1], [-1j, 1j]]) / np.sqrt(2)


@dataclass(frozen=True, eq=False)
class Basis:
    """Fock basis of ``n = len(cutoffs)`` modes with ``r_phys = S r_new`` (``S`` is
    ``2n x 2n``): the tensor-product box ``cutoffs`` or, with ``states`` (a ``(d, n)`` integer
    array of occupation tuples, closed downwards: with ``m`` every ``m - e_k >= 0`` is kept),
    exactly those states (:func:`probability_set`); ``cutoffs`` is then the box around them.
    ``eps`` records the probability threshold that chose the states."""
    kind: str
    cutoffs: tuple
    S: np.ndarray
    nu: np.ndarray | None = None
    states: np.ndarray | None = None
    eps: float | None = None

    @property
    def dim(self) -> int:
        return int(np.prod(self.cutoffs)) if self.states is None else len(self.states)

    @property
    def n_modes(self) -> int:
        return len(self.cutoffs)

    @property
    def occupation_tuples(self) -> np.ndarray:
        """The retained states' occupation tuples, ``(d, n)``, in the basis's order (C order
        in a box)."""
        if self.states is not None:
            return np.asarray(self.states, int)
        if not self.n_modes:        # no modes: the one empty tuple (a mapping recursion's end)
            return np.zeros((1, 0), int)
        return np.indices(self.cutoffs).reshape(self.n_modes, -1).T

    @property
    def dims(self) -> list:
        if self.states is not None:
            return [[self.dim], [self.dim]]
        return [list(self.cutoffs), list(self.cutoffs)]

    @cached_property
    def _find(self):
        return state_index(self.states) if self.states is not None else None

    def positions(self, rows) -> np.ndarray:
        """Positions of occupation tuples ``rows`` (``(k, n)``, or one tuple) among the
        retained states, -1 where a row is not retained: the basis's one index (C order in a
        box, :func:`state_index` in a state set)."""
        rows = np.asarray(rows, int).reshape(-1, self.n_modes)
        if self._find is not None:
            return self._find(rows)
        inside = np.all((rows >= 0) & (rows < np.asarray(self.cutoffs, int)), axis=1)
        out = np.full(len(rows), -1, int)
        if inside.any():
            out[inside] = np.ravel_multi_index(tuple(rows[inside].T), self.cutoffs)
        return out

    def boundary(self, k: int) -> np.ndarray:
        """Mask of the retained states whose next level of mode ``k`` is not retained: the
        top level of a box, the edge of a state set."""
        return self.ladder_maps[2 * k + 1][0] < 0        # c_k^dag leaves the basis

    @cached_property
    def ladder_maps(self) -> list:
        """``[(target, value), ...]`` of ``c_1, c_1^dag, c_2, c_2^dag, ...``: a ladder operator
        takes each retained state ``|j>`` to one state, ``op |j> = value[j] |target[j]>``
        (``target[j] = -1``: to zero, below the vacuum or past the edge).  The one definition
        of the truncated ladder operators: :attr:`ladder` and the products of
        :attr:`product_entries` are read from it."""
        m = self.occupation_tuples
        out = []
        for k in range(self.n_modes):
            low, up = m.copy(), m.copy()
            low[:, k] -= 1
            up[:, k] += 1
            down = np.where(m[:, k] > 0, self.positions(low), -1)
            out += [(down, np.sqrt(m[:, k].astype(float))),
                    (self.positions(up), np.sqrt(m[:, k] + 1.0))]
        return out

    @cached_property
    def ladder(self) -> list:
        """``[c_1, c_1^dag, c_2, c_2^dag, ...]`` as sparse CSR matrices of size dim: the one
        set of ladder operators (the mapping's creation operators are these too).  On a state
        set ``c_k |m> = sqrt(m_k) |m - e_k>`` is exact (the set is closed downwards);
        ``c_k^dag`` is its adjoint, cut at the set's edge as at a box's top level."""
        return [sp.csr_matrix((vals, (rows, cols)), shape=(self.dim, self.dim), dtype=complex)
                for rows, cols, vals in map(_map_entries, self.ladder_maps)]

    @property
    def creation(self) -> list:
        """``[c_1^dag, ..., c_n^dag]`` of :attr:`ladder`."""
        return self.ladder[1::2]

    @cached_property
    def _to_ladder(self) -> np.ndarray:
        """2n x 2n matrix M with ``r_phys = M @ (c_1, c_1^dag, ..., c_n, c_n^dag)``."""
        T = np.kron(np.eye(self.n_modes), _T1)
        return self.S @ T

    @cached_property
    def ladder_entries(self):
        """``(rows, cols, values, owner)``: the nonzero entries of every ladder operator,
        concatenated (``owner``: its index in :attr:`ladder`), so that a linear form is one
        sparse construction rather than a sum of 2n sparse matrices."""
        return _concatenate([_map_entries(op) for op in self.ladder_maps])

    @cached_property
    def product_entries(self):
        """The entries of every product ``ladder[a] @ ladder[b]`` (``owner``: ``2n a + b``),
        concatenated, composed from :attr:`ladder_maps` once per basis: a quadratic form
        (the Hamiltonian, each number operator) is then one sparse construction.  Summing up
        to (2n)^2 sparse products per form had made scipy's per-matrix overhead most of a
        small point's time."""
        maps = self.ladder_maps
        parts = []
        for ta, va in maps:
            for tb, vb in maps:
                mid = np.where(tb >= 0, tb, 0)
                target = np.where(tb >= 0, ta[mid], -1)
                parts.append(_map_entries((target, va[mid] * vb)))
        return _concatenate(parts)

    def _combine(self, entries, weights) -> sp.csr_matrix:
        rows, cols, vals, owner = entries
        w = np.asarray(weights, dtype=complex).ravel()
        keep = w[owner] != 0
        return sp.csr_matrix((vals[keep] * w[owner[keep]], (rows[keep], cols[keep])),
                             shape=(self.dim, self.dim), dtype=complex)

    def expectations(self, entries, rho, count) -> np.ndarray:
        """``tr(op rho)`` of each of the ``count`` operators of ``entries``
        (:attr:`ladder_entries`, :attr:`product_entries`), in one pass over their entries."""
        rows, cols, vals, owner = entries
        t = vals * rho[cols, rows]
        return (np.bincount(owner, t.real, count) + 1j * np.bincount(owner, t.imag, count))

    def ladder_form(self, weights) -> sp.csr_matrix:
        """Operator ``sum_i weights_i ladder_i`` (over ``c_1, c_1^dag, c_2, ...``)."""
        return self._combine(self.ladder_entries, weights)

    def linear(self, coeffs) -> sp.csr_matrix:
        """Operator ``sum_i coeffs_i r_phys_i`` (coeffs over the 2n physical quadratures)."""
        return self.ladder_form(np.asarray(coeffs, dtype=complex) @ self._to_ladder)

    def quadratic(self, M) -> sp.csr_matrix:
        """``(1/2) r_phys^T M r_phys`` (M real symmetric 2n x 2n), built normally ordered.

        Reordering ``c c^dag = c^dag c + 1`` leaves a c-number, which is kept, so the result is
        the operator itself and not just up to a constant.
        """
        Q = self._to_ladder.T @ np.asarray(M, dtype=complex) @ self._to_ladder
        Q = (Q + Q.T) / 2
        n2 = 2 * self.n_modes
        W = np.zeros((n2, n2), complex)
        const = 0.0
        for i in range(n2):
            for j in range(n2):
                q = Q[i, j]
                if abs(q) < 1e-300:
                    continue
                # ladder index 2k is c_k, 2k+1 is c_k^dag; put creation operators first
                if i % 2 == 0 and j % 2 == 1:
                    a, b = j, i
                    if j == i + 1:          # c_k c_k^dag = c_k^dag c_k + 1
                        const += q / 2
                else:
                    a, b = i, j
                W[a, b] += q / 2
        out = self._combine(self.product_entries, W)
        out = out + const * sp.identity(self.dim, dtype=complex, format="csr")
        return ((out + out.T.conj()) / 2).tocsr()

    def mode_annihilation(self, mode: int) -> sp.csr_matrix:
        """Physical ``a = (x + i p)/sqrt2`` of mode 0..n-1 (a1, a2, m, b[, f1, f2])."""
        coeffs = np.zeros(2 * self.n_modes, complex)
        coeffs[2 * mode], coeffs[2 * mode + 1] = 1 / np.sqrt(2), 1j / np.sqrt(2)
        return self.linear(coeffs)

    def gaussian_guess(self, occupations=None) -> np.ndarray:
        """Diagonal product of thermal states (renormalised after truncation), dense.

        In the ``normal`` basis the occupations default to ``nu_k - 1/2``: the linearized
        steady state itself.  In the ``fock`` basis ``occupations`` must be given.
        """
        if occupations is None:
            occupations = np.asarray(self.nu) - 0.5
        if self.states is not None:
            diag = np.exp(log_probabilities(self.states, occupations))
            return np.diag((diag / diag.sum()).astype(complex))
        diag = np.ones(1)
        for n, nbar in zip(self.cutoffs, occupations):
            nbar = max(float(nbar), 0.0)
            levels = np.arange(n)
            p = (nbar / (nbar + 1)) ** levels if nbar > 0 else (levels == 0).astype(float)
            diag = np.kron(diag, p / p.sum())
        return np.diag(diag.astype(complex))


def _map_entries(op):
    """``(rows, cols, values)`` of a ladder map ``(target, value)``
    (:attr:`Basis.ladder_maps`)."""
    target, value = op
    cols = np.flatnonzero(target >= 0)
    return target[cols], cols, value[cols].astype(complex)


def _concatenate(parts):
    """``(rows, cols, values, owner)``: the entries of several operators, concatenated."""
    if not parts:                                   # no modes
        return (np.zeros(0, int), np.zeros(0, int), np.zeros(0, complex), np.zeros(0, int))
    owner = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    return tuple(np.concatenate(x) for x in zip(*parts)) + (owner,)


def log_probabilities(states, occupations) -> np.ndarray:
    """``sum_k ln p_k(m_k)`` of each occupation tuple for a product of thermal states,
    ``p(m) = nbar^m / (nbar + 1)^(m + 1)`` (``nbar = 0``: the vacuum)."""
    states = np.asarray(states)
    out = np.zeros(len(states))
    for k, nbar in enumerate(occupations):
        nbar = max(float(nbar), 0.0)
        m = states[:, k]
        if nbar > 0:
            out += m * np.log(nbar / (nbar + 1)) - np.log(nbar + 1)
        else:
            out += np.where(m == 0, 0.0, -np.inf)
    return out


def state_index(states):
    """``find(rows)``: positions of occupation tuples ``rows`` in ``states`` (a ``(d, n)``
    integer array), -1 where absent, by a sorted mixed-radix code (vectorised; a dict of
    tuples cost a Python call per state)."""
    states = np.asarray(states, int)
    radix = states.max(axis=0, initial=0) + 2
    if float(np.prod(radix.astype(float))) >= 2.0 ** 62:    # the code would overflow int64
        table = {tuple(int(x) for x in n): i for i, n in enumerate(states)}
        return lambda rows: np.array([table.get(tuple(int(x) for x in n), -1) for n in
                                      np.asarray(rows, int).reshape(-1, states.shape[1])], int)
    code = lambda s: np.ravel_multi_index(tuple(np.clip(s, 0, radix - 1).T), tuple(radix))
    codes = code(states)
    order = np.argsort(codes)
    sorted_codes = codes[order]

    def find(rows):
        rows = np.asarray(rows, int).reshape(-1, states.shape[1])
        if not len(rows):
            return np.zeros(0, int)
        c = code(rows)
        pos = np.minimum(np.searchsorted(sorted_codes, c), len(codes) - 1)
        return np.where((sorted_codes[pos] == c) & np.all(rows >= 0, axis=1), order[pos], -1)
    return find


#: what a thermal tail measures (:func:`thermal_tail`)
TAIL_KINDS = ("top", "outside", "renormalised")


def thermal_tail(nbar: float, levels: int, kind: str = "top") -> float:
    """What a thermal state of ``nbar`` quanta puts at the edge of ``levels`` levels,
    ``x = nbar / (nbar + 1)``: ``top``, the population of level ``levels - 1`` of the
    untruncated state, ``x^(K-1) / (nbar + 1)``; ``outside``, the population above the
    levels, ``x^K``; ``renormalised``, the top level of the state truncated to the levels and
    renormalised, ``(1 - x) x^(K-1) / (1 - x^K)``."""
    n = max(float(nbar), 0.0)
    if kind == "top":
        return (n / (n + 1)) ** (levels - 1) / (n + 1)
    if kind == "outside":
        return (n / (n + 1)) ** levels
    if kind == "renormalised":
        if n == 0.0:
            return 1.0 if levels == 1 else 0.0
        x = n / (n + 1.0)
        return float((1 - x) * x ** (levels - 1) / (1 - x ** levels))
    raise ValueError(f"unknown tail {kind!r}; choose one of {', '.join(TAIL_KINDS)}")


def thermal_cutoffs(occupations, bound: float, kind: str = "top", minimum: int = 2,
                    floor: float = 0.0) -> tuple:
    """The one thermal-tail cutoff rule: per mode, the fewest levels (at least ``minimum``)
    whose :func:`thermal_tail` of ``kind`` at the mode's occupation (at least ``floor``) is
    at most ``bound``.  The truncation's start (``top``), the physical mapping's box
    (``outside``) and the transient's refusal (``renormalised``) all take it."""
    out = []
    for n in np.maximum(np.asarray(occupations, float).reshape(-1), floor):
        k = minimum
        while n > 0 and thermal_tail(n, k, kind) > bound:
            k += 1
        out.append(k)
    return tuple(out)


def probability_set(occupations, eps: float, max_states: int = 10 ** 6) -> np.ndarray:
    """Every occupation tuple whose thermal-product probability exceeds ``eps``, and always
    the vacuum and every one-quantum state (as a box keeps at least two levels per mode: a
    mode whose first level were left out would have the vacuum itself on the set's edge, so
    its tail would read 1, and the mode could never be excited), as a ``(d, n)`` array
    ordered by total excitation (lexicographically within a level).  The set is closed
    downwards (lowering any occupation raises the probability, ``nbar / (nbar + 1) < 1``),
    so it is grown level by level from the vacuum, raising one mode at a time: every member
    of level L + 1 is a raised member of level L."""
    occupations = np.asarray(occupations, float)
    n = len(occupations)
    cut = np.log(eps)
    level = np.zeros((1, n), dtype=int)
    out = [level]
    total = 1
    while len(level):
        up = (level[:, None, :] + np.eye(n, dtype=int)[None]).reshape(-1, n)
        up = np.unique(up, axis=0)
        level = up if total == 1 else up[log_probabilities(up, occupations) > cut]
        total += len(level)
        if total > max_states:
            raise ValueError(f"the probability set at eps = {eps:g} holds more than "
                             f"{max_states} states")
        if len(level):
            out.append(level)
    return np.concatenate(out).astype(int)


def set_basis(modes: Basis, states, eps: float | None = None) -> Basis:
    """The modes of ``modes`` (its ``S`` and ``nu``) truncated to the state set ``states``
    (closed downwards), chosen at probability threshold ``eps``."""
    states = np.asarray(states, dtype=int)
    return Basis(modes.kind, tuple(int(x) for x in states.max(axis=0) + 1), modes.S,
                 modes.nu, states, None if eps is None else float(eps))


def normal_set_basis(cov, eps: float, max_states: int = 10 ** 6) -> Basis:
    """Williamson normal-mode basis of ``cov`` truncated to :func:`probability_set` of the
    normal modes' thermal occupations ``nu_k - 1/2`` at ``eps``."""
    modes = normal_basis(cov, (2,) * (np.shape(cov)[0] // 2))
    return set_basis(modes, probability_set(modes.nu - 0.5, eps, max_states), eps)


def fock_basis(cutoffs) -> Basis:
    """The plain Fock basis of the physical modes (a1, a2, m, b, or any n modes)."""
    cutoffs = tuple(int(c) for c in cutoffs)
    return Basis("fock", cutoffs, np.eye(2 * len(cutoffs)))


def normal_basis(cov, cutoffs) -> Basis:
    """Williamson normal-mode basis of the 2n x 2n covariance matrix ``cov``
    (``len(cutoffs)`` must be n)."""
    cutoffs = tuple(int(c) for c in cutoffs)
    cov = np.asarray(cov, dtype=float)
    if cov.shape != (2 * len(cutoffs), 2 * len(cutoffs)):
        raise ValueError(f"a {cov.shape[0]}x{cov.shape[1]} covariance matrix needs "
                         f"{cov.shape[0] // 2} cutoffs (got {len(cutoffs)})")
    nu, S = williamson(cov)
    return Basis("normal", cutoffs, S, nu)
