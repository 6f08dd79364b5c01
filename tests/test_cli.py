"""The command line: exit codes, JSON contract, files written."""
import dataclasses
import json
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from compare.cli import main
from linearized.description.parse import load_model
from linearized.description.system import build_system

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
    ["linearized", "--set", "bogus=1"], ["linearized", "--set", "kappa_1=-1MHz"],
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


def test_figure_writes_png_and_data(capsys, tmp_path, paper):
    from matplotlib.image import imread

    from linearized.steady import solve_model
    # kappa_2 != kappa_1 makes the map asymmetric under Delta_1 <-> Delta_2, so that swapped
    # or transposed axes show
    code, out, _ = run(capsys, "figure", "2a", "--set", "kappa_2=2MHz", "--out", str(tmp_path),
                       "--points", "21", "--json")
    doc = json.loads(out)
    assert code == 0
    base, wb = paper.replace(kappa_2=2e6), paper.value("omega_b")
    with np.load(doc["data"]) as f:
        x, y, en, stable = f["axis_0"], f["axis_1"], f["E_N"], f["stable"]
    # Fig. 2(a)'s grid: Delta_1 (first index) and Delta_2 over [-2, 2] omega_b
    np.testing.assert_allclose(x, np.linspace(-2 * wb, 2 * wb, 21))
    np.testing.assert_allclose(y, x)
    assert np.nanmax(np.abs(en - en.T)) > 1e-3
    # the map against the single-point solver (a separate code path from the batched
    # kernel), on both sides of the diagonal
    for i, j in ((14, 6), (6, 14), (3, 17), (17, 3), (10, 10), (19, 2)):
        point = solve_model(base.replace(Delta_1=float(x[i]), Delta_2=float(y[j])))
        assert bool(stable[i, j]) == point.stable
        assert en[i, j] == pytest.approx(point.E_N, abs=1e-10)
    # the summary's grid optimum is the map's largest value, where the map has it
    grid = doc["summary"]["optimum"]["grid"]
    i, j = np.unravel_index(np.nanargmax(en), en.shape)
    assert grid["value"] == pytest.approx(en[i, j], abs=1e-12) and grid["value"] > 0.05
    assert grid["at"] == pytest.approx({"Delta_1": x[i] / wb, "Delta_2": y[j] / wb})
    # the PNG: the figure's size (5.2 x 4.2 in at 150 dpi) and a map drawn in it: many
    # colours each filling a block of pixels (the grid's cells), where a blank (NaN) or
    # uniform map leaves none or one (the colour bar's colours fill thin rows only)
    img = imread(doc["png"])[..., :3]
    assert img.shape == (630, 780, 3)
    coloured = img[img.max(-1) - img.min(-1) > 0.3]
    _, counts = np.unique(coloured, axis=0, return_counts=True)
    assert np.sum(counts > 200) >= 20


def test_bench_linearized_solves_one_grid_twice_and_reports_their_ratio(capsys):
    code, out, _ = run(capsys, "bench", "--only", "linearized", "--points", "21", "--json")
    doc = json.loads(out)["linearized"]
    assert code == 0 and doc["points"] == 441 and doc["axes"] == ["Delta_1", "Delta_2"]
    # the batched map and the per-point SciPy loop agree (None would mean nothing compared)
    assert doc["max_abs_diff_E_N"] is not None and doc["max_abs_diff_E_N"] < 1e-10
    # speed is reported as a ratio, never a timed pass/fail: each ratio is baseline over
    # candidate of the reported times (an inverted ratio fails)
    assert doc["speedup"] == pytest.approx(doc["scipy_loop_seconds"] / doc["batched_seconds"])
    assert doc["speedup_vs_solve_only"] == pytest.approx(
        doc["scipy_solve_only_seconds"] / doc["batched_seconds"])


@pytest.mark.parametrize("model", ["paper", "li2018"])
def test_bench_linearized_agreement_is_measured_against_an_independent_baseline(
        monkeypatch, model):
    """The agreement the bench reports compares the batched map with the SciPy loop's own
    values on the bench's grid, for the model's pair: a batched solver that is off by 1e-3
    shows as 1e-3, and it is handed the model at the grid the report names."""
    import compare.bench
    import linearized.steady
    from compare.bench import bench_linearized
    true_solve, seen = linearized.steady.solve_model_grid, []

    def off_by_1e3(grid):
        seen.append(grid)
        res = true_solve(grid)
        return dataclasses.replace(res, E_N=res.E_N + 1e-3)

    monkeypatch.setattr(linearized.steady, "solve_model_grid", off_by_1e3)
    # also where the bench may have bound the name at import
    monkeypatch.setattr(compare.bench, "solve_model_grid", off_by_1e3, raising=False)
    base = build_system(load_model(model))
    doc = bench_linearized(base, 4)
    assert doc["max_abs_diff_E_N"] == pytest.approx(1e-3, abs=1e-10)
    mesh = np.meshgrid(np.linspace(-20e6, 20e6, 4), np.linspace(-20e6, 20e6, 4),
                       indexing="ij")
    assert seen
    for grid in seen:
        assert grid.pair == base.pair
        for key, want in zip(doc["axes"], mesh):
            np.testing.assert_allclose(grid.values[key], want)
        for key in set(base.values) - set(doc["axes"]):
            assert np.all(grid.values[key] == base.values[key])


def test_console_script_runs_without_traceback():
    r = subprocess.run([sys.executable, "-m", "compare", "linearized", "--set", "g_1=abc"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.slow
def test_bench_qmodel_reports_ratios(capsys):
    code, out, _ = run(capsys, "bench", "--only", "qmodel", "--cap", "3", "--json")
    doc = json.loads(out)["qmodel"]
    assert code == 0 and doc["model_point"]["converged"] is True
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
    # the ratio is baseline (box) over candidate (probability) of the reported times
    assert doc["speedup"] == pytest.approx(box["seconds"] / prob["seconds"])


def test_a_master_equation_command_shows_its_progress_on_stderr_also_with_json(capsys,
                                                                              tmp_path):
    # a long single-point command shows signs of life: every truncation of the main run and
    # of each round of the independent basis, on stderr; stdout stays one JSON object
    from compare.cli.options import PROGRESS
    from reference_baths import SQUEEZED_BS
    path = tmp_path / "m.toml"
    path.write_text(SQUEEZED_BS)
    code, out, err = run(capsys, "compare", "--model", str(path), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "agree"
    lines = err.splitlines()
    assert lines and all(line.startswith(PROGRESS) or line.startswith("mwent: note:")
                         for line in lines), err
    main_run = [line for line in lines if line.startswith(f"{PROGRESS} master equation: d = ")]
    rounds = [line for line in lines if "independent basis, round" in line]
    assert main_run and rounds and "GMRES iterations" in main_run[0]
    # one line per truncation the JSON's history lists for the main run
    assert len(main_run) == len(doc["qmodel"]["history"])


def test_a_sweep_written_to_a_log_shows_one_line_per_point(capsys, tmp_path):
    # stderr not a terminal (a log, a batch job): no progress bar but one line per finished
    # master-equation point, with its parameters in their units, its verdict and its d;
    # stdout stays one JSON object
    from compare.cli.options import PROGRESS
    code, out, err = run(capsys, "sweep", "--engine", "compare", "--axis", "T=0mK:1mK:2",
                         "--set", "G=1MHz", "--set", "g_1=1MHz", "--set", "g_2=1MHz",
                         "--tol", "1e-2", "--tail-tol", "1e-2", "--out",
                         str(tmp_path / "s"), "--workers", "1", "--json")
    assert code == 0
    doc = json.loads(out)
    lines = [ln for ln in err.splitlines() if ln.startswith(f"{PROGRESS} point ")]
    assert len(lines) == 2 and not [ln for ln in err.splitlines()
                                    if not ln.startswith(("mwent: progress:", "mwent: note:"))]
    assert doc["verdicts"] == {"agree": 2}
    # each point's verdict and d as the store holds them
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        stored = {json.loads(p)["T"]: json.loads(r) for p, r in
                  db.execute("SELECT params, result FROM points")}
    want = {"0 K": stored[0.0], "1 mK": stored[0.001]}
    seen = set()
    for i, line in enumerate(lines, 1):
        assert line.startswith(f"{PROGRESS} point {i} of 2 (T = "), line
        at = line.split("(", 1)[1].split(")", 1)[0]
        r = want[at[len("T = "):]]
        seen.add(at)
        assert f"): {r['verdict']}, d = {r['dim']}, " in line and line.endswith(" s"), line
    assert seen == {"T = 0 K", "T = 1 mK"}
