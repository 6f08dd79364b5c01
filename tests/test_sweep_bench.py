"""``mwent bench`` times the sweep command a user runs, against the SciPy per-point loop."""
import json

from compare.cli import main


def test_bench_times_the_sweep_command(capsys):
    code = main(["bench", "--only", "sweep", "--grid", "6", "--set", "T=30mK", "--json"])
    doc = json.loads(capsys.readouterr()[0])["sweep_command"]
    assert code == 0 and doc["grid"] == [6, 6] and doc["points"] == 36
    assert "--set T=30mK" in doc["command"] and "--axis Delta_1=-20MHz:20MHz:6" in doc["command"]
    for key in ("seconds", "seconds_2x2", "per_point_seconds", "scipy_loop_seconds",
                "scipy_solve_only_seconds"):
        assert doc[key] > 0
    # ratios are reported, never a timed pass/fail
    assert doc["per_point_ratio"] > 0 and doc["per_point_ratio_vs_solve_only"] > 0
    assert set(doc["end_to_end_seconds"]) == {"6x6", "2x2"}
