"""The parity (red-black) splitting of the Krylov solver against the symmetric one and the
direct sparse LU: the same steady state, by a different fixed-point iteration."""
import numpy as np
import pytest
import scipy.sparse as sp

from linearized.steady import solve_model
from qmodel.basis import fock_basis, normal_basis, normal_set_basis
from qmodel.model import Model, build_model
from qmodel.solvers import (ParitySplitting, SolverOptions, SymmetricSplitting, _block,
                            _splitting, number_parity, steady_state)


def _distance(a, b):
    return 0.5 * np.abs(np.linalg.eigvalsh(a - b)).sum()


@pytest.mark.parametrize("kind", ["fock", "normal", "set"])
def test_parity_splitting_gives_the_direct_solvers_state(paper, kind):
    # G_0 large, so that the cubic residue (the part of H that flips the parity, moved into
    # F) matters; a thermal bath, so that P' is invertible
    p = paper.replace(mech_bath="lindblad", G_0=2e4)
    cov = solve_model(p).covariance
    basis = {"fock": lambda: fock_basis((3, 3, 2, 3)),
             "normal": lambda: normal_basis(cov, (4, 3, 2, 2)),
             "set": lambda: normal_set_basis(cov, 1e-4)}[kind]()
    model = build_model(p, basis)
    assert isinstance(_splitting(model), ParitySplitting)
    assert abs(model.H - model.H.conj().T).max() < 1e-12
    par = number_parity(basis)
    H = model.H.tocoo()
    assert np.any(par[H.row] != par[H.col])         # the cubic residue is there
    direct = steady_state(model, SolverOptions("direct"))
    red = steady_state(model, SolverOptions())
    sym = steady_state(model, SolverOptions(parity=False))
    assert _distance(red.rho, direct.rho) < 1e-9
    assert _distance(red.rho, sym.rho) < 1e-9
    assert red.relative_residual < 1e-12
    # the pairs +-mu of T fold into one: fewer iterations than the symmetric splitting
    assert red.iterations < sym.iterations


def test_number_parity_of_a_box_and_of_a_set(paper):
    b = fock_basis((2, 3))
    # C order: (0,0) (0,1) (0,2) (1,0) (1,1) (1,2)
    assert number_parity(b).tolist() == [0, 1, 0, 1, 0, 1]
    cov = solve_model(paper.replace(mech_bath="lindblad")).covariance
    s = normal_set_basis(cov, 1e-3)
    assert number_parity(s).tolist() == [int(n) % 2 for n in np.asarray(s.states).sum(axis=1)]
    # every collapse operator of a built model flips it
    model = build_model(paper.replace(mech_bath="lindblad"), s)
    for L in model.c_ops:
        L = L.tocoo()
        assert np.all(number_parity(s)[L.row] != number_parity(s)[L.col])


def test_the_symmetric_splitting_is_used_where_the_parity_one_does_not_apply(paper):
    # a dephasing jump (a^dag a) keeps the parity: no red-black ordering
    p = paper.replace(mech_bath="lindblad")
    basis = fock_basis((3, 3, 2, 2))
    m = build_model(p, basis)
    n0 = basis.quadratic(np.diag([1.0, 1.0, 0, 0, 0, 0, 0, 0])) * 0.1
    deph = Model(m.params, m.basis, m.H, m.c_ops + (n0.tocsr(),))
    assert isinstance(_splitting(deph), SymmetricSplitting)
    a = steady_state(deph, SolverOptions("direct"))
    b = steady_state(deph, SolverOptions())
    assert _distance(a.rho, b.rho) < 1e-9
    # at T = 0 with no coupling the vacuum is not decayed by K: P' singular, symmetric used
    cold = build_model(p.replace(G=0.0, G_0=0.0, T=0.0), basis)
    assert isinstance(_splitting(cold), SymmetricSplitting)
    rho = steady_state(cold).rho
    assert abs(rho[0, 0] - 1) < 1e-10


def test_jump_operator_on_the_rows_of_one_parity():
    from qmodel._kernels import JumpOperator
    rng = np.random.default_rng(5)
    d = 23
    rows, cols = np.arange(0, d, 2), np.arange(1, d, 2)
    ops = [sp.random(d, d, density=0.2, random_state=k, format="csr") * (1 - 0.3j * k)
           for k in range(3)]
    x = rng.normal(size=(len(cols), d)) + 1j * rng.normal(size=(len(cols), d))
    left = [L[rows][:, cols].tocsr() for L in ops]
    want = sum(A.toarray() @ x @ L.toarray().conj().T for A, L in zip(left, ops))
    np.testing.assert_allclose(JumpOperator(ops, d, left)(x), want, atol=1e-12)
    # with the extra product H x (the parity-flipping Hamiltonian), added
    h = sp.random(len(rows), len(cols), density=0.3, random_state=9, format="csr") * 1j
    np.testing.assert_allclose(JumpOperator(ops, d, left, extra=h)(x),
                               want + h.toarray() @ x, atol=1e-12)


def test_a_one_state_truncation_is_solved(paper):
    # one parity only: no red-black ordering (the symmetric splitting solves it)
    model = build_model(paper.replace(mech_bath="lindblad"), fock_basis((1, 1, 1, 1)))
    assert isinstance(_splitting(model), SymmetricSplitting)
    assert abs(steady_state(model).rho[0, 0] - 1) < 1e-12


@pytest.mark.parametrize("outside", [1.0, 1e-4, 1e-9])
def test_gram_schmidt_with_single_precision_coefficients_is_as_orthogonal_as_cgs2(outside):
    # the first pass's coefficients in single precision, the rest in double: the vector left
    # must be orthogonal to the basis to rounding, and the coefficients those of plain CGS2,
    # also where all but a small part of the vector lies inside the basis (cancellation)
    from qmodel.solvers import GS_BLOCK, _orthogonalize
    rng = np.random.default_rng(3)
    n, k = 3 * GS_BLOCK + 17, 40
    Q = np.linalg.qr(rng.normal(size=(n, k)))[0].T.copy()
    inside = rng.normal(size=k) @ Q
    part = rng.normal(size=n)
    part -= (Q @ part) @ Q
    w = inside + outside * part / np.linalg.norm(part)
    ref = w.copy()
    h_ref = Q @ ref
    ref -= h_ref @ Q
    h2 = Q @ ref
    ref -= h2 @ Q
    h = _orthogonalize(Q, Q.astype(np.float32), w, k - 1)
    assert np.linalg.norm(Q @ w) < 1e-14 * np.linalg.norm(w)
    np.testing.assert_allclose(h, h_ref + h2, atol=1e-13)
    np.testing.assert_allclose(w, ref, atol=1e-13 * outside + 1e-15)


def test_block_is_the_submatrix_of_rows_and_columns(rng):
    # the splitting's F blocks are cut from the collapse operators by _block: against
    # scipy's own fancy indexing (a duplicate entry summed, an empty block)
    A = sp.random(30, 25, density=0.3, random_state=4, format="coo").astype(complex)
    A = sp.coo_matrix((np.r_[A.data, 1j], (np.r_[A.row, A.row[0]], np.r_[A.col, A.col[0]])),
                      shape=A.shape)
    rows = np.sort(rng.choice(30, 12, replace=False))
    cols = np.sort(rng.choice(25, 9, replace=False))
    want = A.tocsr()[rows][:, cols].toarray()
    assert np.array_equal(_block(A, rows, cols).toarray(), want)
    assert _block(A, rows, np.array([], int)).shape == (12, 0)


def _has_gpu():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def test_an_unknown_device_is_refused_in_one_sentence(monkeypatch):
    from linearized.description.units import ParameterError
    from qmodel.gpu import DEVICE_VAR, inverse_chain
    monkeypatch.setenv(DEVICE_VAR, "tpu")
    with pytest.raises(ParameterError, match="is not a device; choose cpu or gpu"):
        inverse_chain(*[np.eye(2)] * 5)
    if not _has_gpu():
        monkeypatch.setenv(DEVICE_VAR, "gpu")
        with pytest.raises(ParameterError, match="needs CuPy and a CUDA device"):
            inverse_chain(*[np.eye(2)] * 5)


@pytest.mark.skipif(not _has_gpu(), reason="needs CuPy and a CUDA device (MWENT_DEVICE=gpu)")
@pytest.mark.parametrize("parity", [True, False])
def test_the_gpu_products_give_the_cpu_state(paper, monkeypatch, parity):
    # the same splitting with its dense products on the GPU: the same state and iterations
    from qmodel.gpu import DEVICE_VAR
    p = paper.replace(mech_bath="lindblad", G_0=2e4)
    basis = normal_set_basis(solve_model(p).covariance, 1e-5)
    states = {}
    for dev in ("cpu", "gpu"):
        monkeypatch.setenv(DEVICE_VAR, dev)
        model = build_model(p, basis)        # a new model: its splitting is built again
        states[dev] = steady_state(model, SolverOptions(parity=parity))
    cpu, gpu = states["cpu"], states["gpu"]
    assert _distance(cpu.rho, gpu.rho) < 1e-11
    assert gpu.relative_residual < 1e-12
    assert abs(gpu.iterations - cpu.iterations) <= 2
