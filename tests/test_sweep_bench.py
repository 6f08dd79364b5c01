"""``mwent bench`` times the sweep command a user runs, against the SciPy per-point loop.

Speed is reported, never a timed pass/fail: what is checked is that the timed command is the
one a user runs and solves the problem asked (run here as reported, its map checked against
the single-point solver), and that the reported ratios are baseline over candidate of the
reported times."""
import json
import shlex

import numpy as np
import pytest

from compare.cli import main
from linearized.steady import solve_model


def test_bench_times_the_sweep_command(capsys, tmp_path, paper):
    code = main(["bench", "--only", "sweep", "--points", "6", "--set", "T=30mK", "--json"])
    doc = json.loads(capsys.readouterr()[0])["sweep_command"]
    assert code == 0 and doc["grid"] == [6, 6] and doc["points"] == 36
    assert "--set T=30mK" in doc["command"] and "--axis Delta_1=-20MHz:20MHz:6" in doc["command"]
    assert set(doc["end_to_end_seconds"]) == {"6x6", "2x2"}
    # the per-point cost is the difference of the two sizes over the difference of their
    # points (start-up cancels), and each ratio is the SciPy loop's per-point cost over it
    n = doc["points"]
    per_point = doc["per_point_seconds"]
    assert per_point == pytest.approx(max(doc["seconds"] - doc["seconds_2x2"], 1e-9) / (n - 4))
    assert doc["scipy_per_point_seconds"] == pytest.approx(doc["scipy_loop_seconds"] / n)
    assert doc["per_point_ratio"] == pytest.approx(doc["scipy_per_point_seconds"] / per_point)
    assert doc["per_point_ratio_vs_solve_only"] == pytest.approx(
        doc["scipy_solve_only_seconds"] / n / per_point)

    # the reported command, run as given, solves the grid asked with the --set applied
    argv = shlex.split(doc["command"].replace("PATH", str(tmp_path / "map")))
    assert argv[0] == "mwent"
    assert main(argv[1:]) == 0
    with np.load(json.loads(capsys.readouterr()[0])["file"]) as f:
        x, y, en = f["axis_0"], f["axis_1"], f["E_N"]
    np.testing.assert_allclose(x, np.linspace(-20e6, 20e6, 6))
    np.testing.assert_allclose(y, x)
    base = paper.replace(T=0.03)
    for i, j in ((3, 2), (2, 3), (4, 1), (0, 5)):
        point = solve_model(base.replace(Delta_1=float(x[i]), Delta_2=float(y[j])))
        assert en[i, j] == pytest.approx(point.E_N, abs=1e-10)
    # at 20 mK (the preset's T) the map differs: the --set reached the command
    assert abs(solve_model(paper.replace(Delta_1=float(x[3]), Delta_2=float(y[2]))).E_N
               - en[3, 2]) > 1e-4
