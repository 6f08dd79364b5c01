"""Every reduced state and partial trace of a truncated state, in one place.

* In the plain Fock basis the tensor factors are the physical modes: a pair's reduced state
  is a partial trace (:func:`fock_pair_state`), and the filters of the cascaded model are its
  last two modes (:func:`filter_state`).
* In a normal-mode basis the tensor factors are normal modes, and tracing them would trace
  the wrong modes: the state is first mapped to the physical Fock basis
  (:mod:`qmodel.mapping`), once for every pair (:func:`mapped_factor`, ``rho_phys = X X^dag``),
  and each pair's reduced state is one product (:func:`pair_state`), with the population the
  mapping lost (:class:`CavityState`).

:func:`pair_reduced_state` chooses between the two by the basis.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg.blas

from qmodel.basis import Basis
from qmodel.mapping import PairTarget, normal_to_physical
from qmodel.solvers import state_eigh


def fock_pair_state(rho: np.ndarray, cutoffs, pair) -> np.ndarray:
    """Partial trace of a plain-Fock-basis state (box ``cutoffs``) onto the modes ``pair``."""
    n = len(cutoffs)
    i, j = pair
    r = rho.reshape(tuple(cutoffs) * 2)
    letters = "abcdefghijklmnop"
    left = list(letters[:n])
    right = list(letters[n:2 * n])
    for k in range(n):
        if k not in (i, j):
            right[k] = left[k]                           # traced
    out = f"{left[i]}{left[j]}{right[i]}{right[j]}"
    r12 = np.einsum("".join(left) + "".join(right) + "->" + out, r)
    d = cutoffs[i] * cutoffs[j]
    return r12.reshape(d, d)


def filter_state(rho: np.ndarray, basis: Basis) -> np.ndarray:
    """Reduced state of the two filters of the cascaded model (its last two modes) in the
    plain Fock basis (the model's modes traced out)."""
    if basis.kind != "fock":
        raise ValueError("the reduced filter state needs the plain Fock basis: in a normal-mode "
                         "basis the tensor factors are not the physical filters")
    n = basis.n_modes
    return fock_pair_state(rho, basis.cutoffs, (n - 2, n - 1))


#: a mapped trace above 1 by more than this is a bug, not rounding
TRACE_ROUNDING = 1e-11


@dataclass(frozen=True)
class CavityState:
    """``rho_12``, the reduced state of a pair of physical modes (the two cavities by default)
    in their physical Fock basis; ``trace`` = ``1 - lost_population``, the population of the
    whole state inside the physical box ``physical_cutoffs`` (exact normal-mode states, exactly
    normalised vacuum: never above 1 beyond rounding, which is clipped and noted in ``note``).
    ``cavity_cutoffs`` are the pair's two cutoffs."""
    rho12: np.ndarray
    cavity_cutoffs: tuple
    physical_cutoffs: tuple
    trace: float
    lost_population: float = 0.0
    note: str | None = None


@dataclass(frozen=True, eq=False)
class SetFactor:
    """``rho_target = X X^dag`` on the states of a :class:`PairTarget`."""
    X: np.ndarray
    target: PairTarget


def mapped_factor(rho: np.ndarray, basis: Basis, physical_cutoffs):
    """``X`` with ``rho_phys = X X^dag`` inside the physical box, shaped ``physical_cutoffs +
    (r,)`` (a :class:`SetFactor` for a :class:`PairTarget`): ``rho`` mapped once, from which
    every pair's reduced state is one product."""
    target = physical_cutoffs if isinstance(physical_cutoffs, PairTarget) else \
        tuple(int(x) for x in physical_cutoffs)
    last = _FACTOR_LAST[0]
    if last is not None and last[0] is rho and last[1] is basis and (
            last[2] is target or (isinstance(target, tuple) and last[2] == target)):
        return _FACTOR_LAST[1]
    X = _mapped_factor(rho, basis, physical_cutoffs)
    size = (X.X if isinstance(X, SetFactor) else X).nbytes
    _FACTOR_LAST[:] = [(rho, basis, target), X] if size <= FACTOR_KEEP_BYTES else [None, None]
    return X


#: the last :func:`mapped_factor`, by the identity of its state and basis and its target
#: (states are never modified in place): a converged truncation's E_N and its table of
#: every pair map the same state to the same target, which at d = 908 cost 1.5 s twice
_FACTOR_LAST: list = [None, None]
#: a larger mapping is not kept (it would stay in memory through the next solve)
FACTOR_KEEP_BYTES = 1e9


def _mapped_factor(rho, basis, physical_cutoffs):
    W = normal_to_physical(basis, physical_cutoffs)
    # rho = sum_i w_i |v_i><v_i|: map only the eigenvectors that carry weight (the dropped ones
    # hold at most d * 1e-15 in all, rounding)
    w, vecs = state_eigh(rho)
    keep = w > 1e-15 * max(w.max(), 1e-300)
    X = W @ (vecs[:, keep] * np.sqrt(w[keep]))
    if isinstance(physical_cutoffs, PairTarget):
        return SetFactor(X, physical_cutoffs)
    M = tuple(int(x) for x in physical_cutoffs)
    return X.reshape(M + (int(keep.sum()),))


def _checked(rho12, cavity_cutoffs, physical_cutoffs) -> CavityState:
    rho12 = (rho12 + rho12.conj().T) / 2
    trace = float(np.trace(rho12).real)
    note = None
    if trace > 1.0:
        if trace - 1.0 > TRACE_ROUNDING:
            raise RuntimeError(f"the mapped state has trace {trace!r} > 1: the mapping is wrong")
        note = f"trace {trace!r} clipped to 1 (rounding)"
        trace = 1.0
    return CavityState(rho12, tuple(cavity_cutoffs), tuple(physical_cutoffs), trace,
                       1.0 - trace, note)


def _set_pair_state(F: SetFactor, pair) -> CavityState:
    """Partial trace of ``X X^dag`` over the target's other modes, one group of states with
    the same other occupations at a time (a dense array over the box would not fit)."""
    t = F.target
    if set(pair) != set(t.pair):
        raise ValueError(f"this mapping keeps only modes {t.pair} physical; the reduced state "
                         f"of {tuple(pair)} needs its own target")
    if tuple(pair) != tuple(t.pair):           # the same pair, subsystems swapped
        cs = _set_pair_state(F, t.pair)
        a, b = cs.cavity_cutoffs
        r = cs.rho12.reshape(a, b, a, b).transpose(1, 0, 3, 2).reshape(a * b, a * b)
        return CavityState(r, (b, a), cs.physical_cutoffs, cs.trace, cs.lost_population,
                           cs.note)
    i, j = t.pair
    s = t.states
    Mi, Mj = int(s[:, i].max()) + 1, int(s[:, j].max()) + 1
    p = s[:, i] * Mj + s[:, j]
    rest = [k for k in range(s.shape[1]) if k not in (i, j)]
    if rest:
        _, group = np.unique(s[:, rest], axis=0, return_inverse=True)
        group = group.reshape(-1)
    else:
        group = np.zeros(len(s), int)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    rho12 = np.zeros((Mi * Mj, Mi * Mj), complex)
    for rows in np.split(order, bounds):
        Y = F.X[rows]
        rho12[np.ix_(p[rows], p[rows])] += gram(Y)
    return _checked(rho12, (Mi, Mj), t.cutoffs)


def gram(Y: np.ndarray) -> np.ndarray:
    """``Y Y^dag`` by a Hermitian rank-k update (BLAS ``zherk``): half the products of
    ``Y @ Y.conj().T`` and no conjugated copy of ``Y`` (at a three-mode model's physical box,
    Y is 784 x 23000 and the copy alone took 0.4 s per state)."""
    Y = np.asarray(Y, dtype=complex)
    if Y.shape[1] == 0:
        return np.zeros((Y.shape[0], Y.shape[0]), complex)
    # Y^T is Fortran-ordered with no copy; zherk's A^H A of it is conj(Y Y^dag), upper part
    C = scipy.linalg.blas.zherk(1.0, Y.T, trans=2)
    C = np.triu(C) + np.triu(C, 1).conj().T
    return C.conj()


def pair_state(X, pair=(0, 1)) -> CavityState:
    """The reduced state of physical modes ``pair`` from :func:`mapped_factor`'s ``X``."""
    if isinstance(X, SetFactor):
        return _set_pair_state(X, pair)
    i, j = pair
    M = X.shape[:-1]
    rest = [k for k in range(len(M)) if k not in (i, j)]
    Y = np.transpose(X, [i, j] + rest + [len(M)]).reshape(M[i] * M[j], -1)
    return _checked(gram(Y), (M[i], M[j]), M)


def physical_cavity_state(rho: np.ndarray, basis: Basis, physical_cutoffs,
                          pair=(0, 1)) -> CavityState:
    """Map ``rho`` (written in ``basis``) to the physical Fock space with
    ``physical_cutoffs`` (or a :class:`PairTarget`) and trace out every mode but ``pair``
    (default: the two cavities)."""
    return pair_state(mapped_factor(rho, basis, physical_cutoffs), pair)


def pair_reduced_state(rho: np.ndarray, basis: Basis, pair, target=None) -> CavityState | None:
    """The reduced state of the physical modes ``pair`` of ``rho`` (written in ``basis``): a
    partial trace in the plain Fock basis (trace 1); in a normal-mode basis the state mapped
    to ``target`` (physical cutoffs or a :class:`qmodel.mapping.PairTarget`) and traced,
    or None without a target (never the wrong partial trace)."""
    i, j = pair
    if basis.kind == "fock":
        cut = tuple(basis.cutoffs)
        return CavityState(fock_pair_state(rho, cut, (i, j)), (cut[i], cut[j]), cut, 1.0)
    if target is None:
        return None
    return physical_cavity_state(rho, basis, target, (i, j))
