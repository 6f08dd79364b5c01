"""The default largest truncation: read from the memory available when a run starts, never a
constant below what the machine holds (issue 20: "raise it per point from the machine's free
memory")."""
from __future__ import annotations

import math

import pytest

from compare.batch import executors
from compare.batch.engines import convergence_options
from qmodel import memory, threads
from qmodel import converge
from qmodel.converge import ConvergenceOptions, NotConverged
from qmodel.defaults import MAX_DIM
from qmodel.master import solve_master
from qmodel.solvers import KRYLOV_BASIS_BYTES, SolverOptions

GIB = 2.0 ** 30


def _closed_form(memory_bytes: float) -> int:
    # above d ~ 700 the Krylov basis is at its cap (KRYLOV_BASIS_BYTES, plus its single-precision
    # copy: 1.5 times), and the rest is 24 dense complex d x d matrices (16 bytes a number):
    # 384 d^2 + 1.5 cap <= 0.8 m (the documented share), solved for d
    return math.floor(math.sqrt((0.8 * memory_bytes - 1.5 * KRYLOV_BASIS_BYTES) / (24 * 16)))


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


def test_available_memory_is_read(monkeypatch, tmp_path):
    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal:       24000000 kB\nMemFree:         1000000 kB\n"
                    "MemAvailable:   12345678 kB\nBuffers:          100 kB\n")
    monkeypatch.setattr(memory, "MEMINFO", str(fake))
    assert memory.available_memory() == 12345678 * 1024
    monkeypatch.setattr(memory, "MEMINFO", str(tmp_path / "missing"))
    assert memory.available_memory() == memory.physical_memory()


def test_the_machine_share(monkeypatch):
    monkeypatch.delenv(threads.MACHINE_SHARE_VAR, raising=False)
    assert threads.machine_share() == 1.0
    for text, share in (("0.5", 0.5), ("0.25", 0.25), ("nonsense", 1.0), ("0", 1.0),
                        ("3", 1.0)):
        monkeypatch.setenv(threads.MACHINE_SHARE_VAR, text)
        assert threads.machine_share() == share, text
    monkeypatch.setenv(threads.MACHINE_SHARE_VAR, "0.5")
    monkeypatch.setattr(memory, "available_memory", lambda: 48 * GIB)
    assert memory.memory_max_dim() == memory.memory_max_dim(24 * GIB) == _closed_form(24 * GIB)


def test_each_local_sweep_worker_plans_with_its_share():
    # two worker processes as a sweep starts them: each plans with half the memory
    pool = executors._local_executor(2)
    try:
        shares = {pool.submit(threads.machine_share).result(timeout=120) for _ in range(4)}
    finally:
        pool.shutdown()
    assert shares == {0.5}


def test_default_options_take_the_memory_rule(monkeypatch):
    monkeypatch.delenv(threads.MACHINE_SHARE_VAR, raising=False)
    assert ConvergenceOptions().max_dim is None
    assert convergence_options({}).max_dim is None
    assert ConvergenceOptions(max_dim=300).resolved() == ConvergenceOptions(max_dim=300)
    monkeypatch.setattr(memory, "available_memory", lambda: 64 * GIB)
    got = ConvergenceOptions().resolved()
    assert got.max_dim == _closed_form(64 * GIB) > MAX_DIM and got.memory_limit
    monkeypatch.setattr(memory, "available_memory", lambda: 1 * GIB)
    assert ConvergenceOptions().dim_limit() == MAX_DIM


def test_the_loop_grows_to_the_memory_limit_and_says_so(monkeypatch, paper):
    # 1 K: the first probability set (d = 43,364) is above what even 64 GiB allow; refused
    # before any solve, at the memory's limit (above the old constant 2000), with the reason
    monkeypatch.delenv(threads.MACHINE_SHARE_VAR, raising=False)
    hot = paper.replace(T=1.0)
    for gib, limit in ((64, _closed_form(64 * GIB)), (1, MAX_DIM)):
        monkeypatch.setattr(memory, "available_memory", lambda: gib * GIB)
        with pytest.raises(NotConverged) as exc:
            solve_master(hot)
        assert exc.value.reason == "first_truncation"
        text = str(exc.value)
        assert (f"max_dim = {limit} (the default: the largest the memory available allowed"
                in text), text
        assert "does not fit in this machine's available memory" in text
    with pytest.raises(NotConverged) as exc:
        solve_master(hot, ConvergenceOptions(max_dim=500))
    assert "max_dim = 500:" in str(exc.value) and "raise --max-dim" in str(exc.value)


def test_the_limit_is_read_once_per_point(monkeypatch):
    # the verdict's main run and its independent line share one limit, read when it starts
    from compare.api import model
    from compare.verdict.comparison import compare
    calls = []

    def counted():
        calls.append(1)
        return MAX_DIM
    monkeypatch.setattr(converge, "memory_max_dim", counted)
    c = compare(model("paper", T="0K", G="1MHz", g_1="1MHz", g_2="1MHz"))
    assert c.verdict == "agree" and len(calls) == 1
