"""The default largest truncation: read from the memory available when a run starts, never a
constant below what the machine holds (issue 20: "raise it per point from the machine's free
memory")."""
from __future__ import annotations

import math

import pytest

from compare.batch.engines import convergence_options
from qmodel import memory, threads
from qmodel.converge import ConvergenceOptions, NotConverged
from qmodel.defaults import MAX_DIM
from qmodel.master import solve_master
from qmodel.solvers import KRYLOV_BASIS_BYTES, SolverOptions

GIB = 2.0 ** 30


def _closed_form(memory_bytes: float) -> int:
    # above d ~ 700 the Krylov basis is at its cap (KRYLOV_BASIS_BYTES, plus its single-precision
    # copy: 1.5 times), and the rest is 24 dense complex d x d matrices (16 bytes a number):
    # 384 d^2 + 1.5 cap <= 0.8 m, solved for d
    return math.floor(math.sqrt((memory.MEMORY_SHARE * memory_bytes
                                 - 1.5 * KRYLOV_BASIS_BYTES) / (24 * 16)))


def test_the_basis_cap_applies_where_the_closed_form_assumes_it():
    assert SolverOptions().restart * 8 * MAX_DIM ** 2 > KRYLOV_BASIS_BYTES


@pytest.mark.parametrize("gib", [12, 24, 64, 1000])
def test_largest_dimension_is_the_closed_form(gib):
    m = gib * GIB
    assert memory.memory_max_dim(m) == max(MAX_DIM, _closed_form(m))


def test_the_largest_dimension_fits_and_the_next_does_not():
    m = 24 * GIB
    d = memory.memory_max_dim(m)
    assert memory.fits(d, m) and not memory.fits(d + 1, m)
    assert d > MAX_DIM                 # a 24 GiB machine holds more than the old constant


def test_never_below_the_old_default():
    assert memory.memory_max_dim(1 * GIB) == MAX_DIM
    assert memory.memory_max_dim(0) == MAX_DIM


def test_available_memory_is_read():
    have = memory.available_memory()
    assert 0 < have <= memory.physical_memory()


def test_a_sweep_worker_plans_with_its_share_of_the_machine(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    for var in threads.THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    assert threads.machine_share() == 1.0
    monkeypatch.setenv("OMP_NUM_THREADS", "1")       # as a sweep's worker on one of 2 cores
    assert threads.machine_share() == 0.5
    monkeypatch.setattr(memory, "available_memory", lambda: 48 * GIB)
    assert memory.memory_max_dim() == memory.memory_max_dim(24 * GIB)


def test_default_options_take_the_memory_rule(monkeypatch):
    assert ConvergenceOptions().max_dim is None
    assert convergence_options({}).max_dim is None
    assert ConvergenceOptions(max_dim=300).dim_limit() == 300
    monkeypatch.setattr(memory, "available_memory", lambda: 64 * GIB)
    monkeypatch.setattr(threads, "available_cores", lambda: 1)
    assert ConvergenceOptions().dim_limit() == _closed_form(64 * GIB) > MAX_DIM
    monkeypatch.setattr(memory, "available_memory", lambda: 1 * GIB)
    assert ConvergenceOptions().dim_limit() == MAX_DIM


def test_a_point_beyond_the_memory_says_so(monkeypatch, paper):
    # 1 K: the first probability set is far above what a 1 GiB machine allows (the floor, 2000
    # states); refused before any solve, with the reason
    monkeypatch.setattr(memory, "available_memory", lambda: 1 * GIB)
    with pytest.raises(NotConverged) as exc:
        solve_master(paper.replace(T=1.0))
    assert exc.value.reason == "first_truncation"
    text = str(exc.value)
    assert f"max_dim = {MAX_DIM} (the default: the largest the memory available allowed" in text
    assert "does not fit in this machine's available memory" in text
    with pytest.raises(NotConverged) as exc:
        solve_master(paper.replace(T=1.0), ConvergenceOptions(max_dim=500))
    assert "max_dim = 500:" in str(exc.value) and "raise --max-dim" in str(exc.value)
