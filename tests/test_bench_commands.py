"""``mwent bench --only commands``: four commands end to end, each beside its baselines.

Speed is reported, never a timed pass/fail: what is checked is that each timed run is the
command a user runs (a new process, with its verdict), that a baseline is the same command
with one option changed, and that the ratios are baseline over default of the reported
times, or a bound when the baseline hit the cap."""
import subprocess
import sys

import pytest

from compare.bench import COMMAND_CASES, THREE_MODE_MODEL, bench_commands
from linearized.description.parse import tomllib


def test_the_three_mode_case_is_a_three_mode_model_on_both_sidebands():
    doc = tomllib.loads(THREE_MODE_MODEL)
    assert [m["name"] for m in doc["modes"]] == ["a", "c", "b"]
    p = doc["parameters"]
    assert p["Delta_a"]["value"] == "10MHz" and p["Delta_c"]["value"] == "-10MHz"
    assert {tuple(c["modes"]) for c in doc["couplings"]} == {("a", "b"), ("c", "b")}
    assert [name for name, _ in COMMAND_CASES][2] == "a three-mode model's compare"


@pytest.mark.slow
def test_the_papers_compare_beside_the_box(tmp_path):
    case = [COMMAND_CASES[0]]
    (row,) = bench_commands(cap=300, cases=case, baselines={"box": ["--truncation", "box"]})
    ours, box = row["default"], row["box"]
    assert row["command"] == "mwent compare --preset paper"
    assert ours["verdict"] == box["verdict"] == "agree" and ours["exit_code"] == 0
    # the probability set reaches the same verdict with fewer states than the box
    # (docs/performance.md: d = 192 against 480)
    assert ours["dim"] < box["dim"]
    assert row["ratio_box"] == pytest.approx(box["seconds"] / ours["seconds"])


def test_a_baseline_past_the_cap_is_a_bound_and_a_capped_default_no_ratio():
    (row,) = bench_commands(cap=1.5, cases=[COMMAND_CASES[0]],
                            baselines={"box": ["--truncation", "box"]})
    assert row["default"]["seconds"] is None and row["default"]["capped_at"] == 1.5
    assert row["ratio_box"] is None


def test_the_commands_part_refuses_options_it_would_ignore():
    for extra, word in ((["--preset", "paper"], "--preset"), (["--set", "T=1mK"], "--set"),
                        (["--points", "5"], "--points")):
        r = subprocess.run([sys.executable, "-m", "compare", "bench", "--only", "commands",
                            *extra], capture_output=True, text=True)
        assert r.returncode == 2 and word in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_a_baseline_that_ends_otherwise_gets_no_ratio():
    # a baseline that is undecided at once (its first truncation above --max-dim) beside a
    # default that agrees is not the same work done faster: no ratio (it gave 0.02 for
    # compare --output with --truncation box)
    (row,) = bench_commands(cap=300, cases=[COMMAND_CASES[0]],
                            baselines={"tiny": ["--max-dim", "10"]})
    assert row["default"]["verdict"] == "agree" and row["tiny"]["exit_code"] == 4
    assert row["ratio_tiny"] is None
