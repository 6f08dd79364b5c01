"""The command line: exit codes, JSON contract, files written."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from compare.cli import main

KEYS = {"E_N", "duan", "stable", "max_real_eigenvalue", "occupations", "covariance", "params"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_linearized_json(capsys):
    code, out, err = run(capsys, "linearized", "--preset", "paper", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert KEYS <= set(doc)
    assert doc["stable"] is True and doc["max_real_eigenvalue"] < 0
    assert len(doc["covariance"]) == 8 and set(doc["occupations"]) == {"a1", "a2", "m", "b"}
    assert doc["params"]["G"] == 4.5e6 and doc["params"]["mech_bath"] == "brownian"


def test_set_config_and_precedence(capsys, tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text('preset = "paper"\n[params]\nT = "100mK"\nkappa_2 = 2e6\n')
    code, out, _ = run(capsys, "linearized", "--config", str(cfg), "--set", "T=50mK", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["params"]["T"] == 0.05 and doc["params"]["kappa_2"] == 2e6


@pytest.mark.parametrize("argv", [
    ["linearized", "--set", "bogus=1"], ["linearized", "--set", "kappa_1=0"],
    ["linearized", "--set", "gamma_b=-5Hz"], ["linearized", "--set", "T=nan"],
    ["linearized", "--set", "Delta_1=ten"], ["linearized", "--set", "T=5MHz"],
    ["linearized", "--preset", "nosuch"], ["linearized", "--config", "/nonexistent.toml"],
    ["sweep", "--axis", "Delta_1=1:2"], ["sweep"], ["figure", "9z"], ["nocommand"]])
def test_bad_input_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == "" and err.startswith("mwent: error: ") and err.count("\n") == 1


def test_unstable_exit_3(capsys):
    code, out, err = run(capsys, "linearized", "--set", "G=20MHz", "--json")
    assert code == 3
    assert "unstable" in err and "lambda/2pi" in err
    doc = json.loads(out)
    assert doc["stable"] is False and doc["max_real_eigenvalue"] > 0 and doc["E_N"] is None


def test_sweep_writes_grid_and_marks_unstable(capsys, tmp_path):
    out_path = tmp_path / "map"
    code, out, _ = run(capsys, "sweep", "--engine", "linearized", "--axis", "G=1MHz:20MHz:7",
                       "--axis", "Delta_1=-20MHz:20MHz:5", "--out", str(out_path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["shape"] == [7, 5] and doc["unstable_points"] > 0
    with np.load(doc["file"]) as f:
        meta = json.loads(str(f["meta"]))
        assert [a["key"] for a in meta["axes"]] == ["G", "Delta_1"]
        assert meta["axes"][0]["unit"] == "Hz"
        en, stable = f["E_N"], f["stable"]
    assert np.all(np.isnan(en[~stable])) and np.all(np.isfinite(en[stable]))


def test_figure_writes_png_and_data(capsys, tmp_path):
    code, out, _ = run(capsys, "figure", "2a", "--out", str(tmp_path), "--points", "21", "--json")
    doc = json.loads(out)
    assert code == 0 and os.path.getsize(doc["png"]) > 10000 and os.path.exists(doc["data"])


def test_bench_reports_speedup(capsys):
    code, out, _ = run(capsys, "bench", "--only", "linearized", "--grid", "21", "--json")
    doc = json.loads(out)["linearized"]
    assert code == 0 and doc["points"] == 441 and doc["max_abs_diff_E_N"] < 1e-10
    # speed is reported as a ratio, never a timed pass/fail: check the report's shape and that
    # its ratios are the ratios of its own times
    for k in ("batched_seconds", "cold_seconds", "scipy_loop_seconds", "scipy_solve_only_seconds"):
        assert np.isfinite(doc[k]) and doc[k] > 0
    assert doc["speedup"] == pytest.approx(doc["scipy_loop_seconds"] / doc["batched_seconds"])
    assert doc["speedup_vs_solve_only"] == pytest.approx(
        doc["scipy_solve_only_seconds"] / doc["batched_seconds"])


def test_console_script_runs_without_traceback():
    r = subprocess.run([sys.executable, "-m", "compare", "linearized", "--set", "g_1=abc"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.slow
def test_bench_qmodel_reports_ratios(capsys):
    code, out, _ = run(capsys, "bench", "--only", "qmodel", "--cap", "3", "--json")
    doc = json.loads(out)["qmodel"]
    assert code == 0 and doc["paper_optimum"]["converged"] is True
    assert [r["dim"] for r in doc["vs_qutip_default"]] == [81, 256]


@pytest.mark.slow
def test_bench_truncation_times_both_truncations_of_one_point(capsys):
    # the paper's point: both truncations converge, to the same E_N (the box and the
    # probability set are two independent truncations of one master equation), and the
    # table lists each solve's dimension with the set's smaller one
    code, out, _ = run(capsys, "bench", "--only", "truncation", "--cap", "300", "--json")
    doc = json.loads(out)["truncation"]
    box, prob = doc["box"], doc["probability"]
    assert code == 0 and box["converged"] and prob["converged"]
    assert box["exit_code"] == 0 and prob["exit_code"] == 0
    assert abs(box["E_N"] - prob["E_N"]) < 1e-4 and abs(box["duan"] - prob["duan"]) < 1e-4
    assert prob["dim"] < box["dim"]
    assert [s["dim"] for s in prob["steps"]] == sorted(s["dim"] for s in prob["steps"])
    assert all(s["seconds"] > 0 for s in box["steps"] + prob["steps"])
    assert doc["speedup"] == pytest.approx(box["seconds"] / prob["seconds"])
