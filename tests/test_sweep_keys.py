"""Every parameter key, swept on a 2-point axis, gives what the single-point command gives.

A sweep builds its points differently from the single-point commands (batched for the
linearized engine, resolved per point for physical parameters), so a key dropped on the way
(as K once was) shows up here as a mismatch.
"""
import json

import pytest

from compare.cli import main
from linearized.description.parse import load_model
from linearized.sweep import parse_axis

PARAMETERS = load_model("paper").parameter

#: effective base: the paper preset; a Kerr term where it needs one to matter
PHYSICAL = ["P=6.44mW", "diameter=250um", "Delta_m0=10.0125MHz"]
#: (name, base --set values, axis): every parameter of the paper's model file (mech_bath as
#: a --set: it is a choice, not a number to sweep)
CASES = [
    ("Delta_1", [], "Delta_1=9MHz:10MHz:2"),
    ("Delta_2", [], "Delta_2=-10MHz:-9MHz:2"),
    ("Delta_m", [], "Delta_m=8MHz:9MHz:2"),
    ("kappa_1", [], "kappa_1=1MHz:1.3MHz:2"),
    ("kappa_2", [], "kappa_2=1MHz:1.3MHz:2"),
    ("kappa_m", [], "kappa_m=1MHz:1.3MHz:2"),
    ("g_1", [], "g_1=3.4MHz:3.8MHz:2"),
    ("g_2", [], "g_2=3.4MHz:3.8MHz:2"),
    ("G", [], "G=4MHz:4.5MHz:2"),
    ("G_0", ["K=4e-9Hz"], "G_0=0.3Hz:0.4Hz:2"),       # G_0 matters through K |<m>|^2
    ("omega_b", [], "omega_b=9.5MHz:10MHz:2"),
    ("gamma_b", [], "gamma_b=100Hz:2kHz:2"),
    ("omega_m", [], "omega_m=2GHz:3GHz:2"),          # low enough to warm the cavities
    ("T", [], "T=20mK:40mK:2"),
    ("K", [], "K=2e-9Hz:4e-9Hz:2"),
    ("mech_bath", ["mech_bath=lindblad"], "gamma_b=100Hz:2kHz:2"),
    ("P", PHYSICAL, "P=6mW:6.44mW:2"),
    ("diameter", PHYSICAL, "diameter=240um:250um:2"),
    ("Delta_m0", PHYSICAL, "Delta_m0=10MHz:10.0125MHz:2"),
    ("K_physical", PHYSICAL, "K=1e-8Hz:2e-8Hz:2"),   # the reviewer's case
    ("T_physical", PHYSICAL, "T=20mK:40mK:2"),
]
QM = ["--basis", "fock", "--cutoffs", "3,3,2,3", "--tail-tol", "1"]


def test_cases_cover_every_key():
    swept = {c[2].split("=")[0] for c in CASES}
    assert set(PARAMETERS) - {"mech_bath"} <= swept
    assert {"P", "diameter", "Delta_m0"} <= swept
    assert any("mech_bath=lindblad" in c[1] for c in CASES)


def _single(capsys, command, sets, extra=()):
    main([command, *[a for s in sets for a in ("--set", s)], *extra, "--json"])
    return json.loads(capsys.readouterr()[0])


def _sweep(capsys, engine, sets, axis, extra=()):
    # the axis sets its key (a --set of it is refused); the linearized engine takes no workers
    key = axis.split("=")[0]
    sets = [s for s in sets if not s.startswith(key + "=")]
    workers = [] if engine == "linearized" else ["--workers", "1"]
    code = main(["sweep", "--engine", engine, *[a for s in sets for a in ("--set", s)],
                 "--axis", axis, *extra, *workers, "--json", "--list-points"])
    doc = json.loads(capsys.readouterr()[0])
    assert code == 0, doc
    return doc["points"]


def _point_sets(sets, axis, value):
    key = axis.split("=")[0]
    return [s for s in sets if not s.startswith(key + "=")] + [f"{key}={value!r}"]


@pytest.mark.parametrize("name,sets,axis", CASES, ids=[c[0] for c in CASES])
def test_linearized_sweep_point_equals_single_point(capsys, name, sets, axis):
    points = _sweep(capsys, "linearized", sets, axis)
    values = parse_axis(axis, PARAMETERS).values
    singles = [_single(capsys, "linearized", _point_sets(sets, axis, float(v)))
               for v in values]
    for p, s in zip(points, singles):
        assert p["status"] == "ok" and s["stable"] is True
        assert p["result"]["E_N"] == pytest.approx(s["E_N"], rel=1e-10, abs=1e-12)
        assert p["result"]["duan"] == pytest.approx(s["duan"], rel=1e-10, abs=1e-12)
    # the two values of the axis must give different answers, or the case proves nothing
    assert abs(singles[0]["duan"] - singles[1]["duan"]) > 1e-8


@pytest.mark.parametrize("name,sets,axis", CASES, ids=[c[0] for c in CASES])
def test_qmodel_and_compare_sweep_point_equals_single_point(capsys, name, sets, axis):
    values = parse_axis(axis, PARAMETERS).values
    points = _sweep(capsys, "qmodel", sets, axis, QM)
    for p, v in zip(points, values):
        s = _single(capsys, "qmodel", _point_sets(sets, axis, float(v)), QM)
        assert p["status"] == "ok"
        assert p["result"]["E_N"] == pytest.approx(s["E_N"], rel=1e-8, abs=1e-12)
        assert p["result"]["duan"] == pytest.approx(s["duan"], rel=1e-8, abs=1e-12)
    # compare: one point suffices to show both sides see the swept value
    points = _sweep(capsys, "compare", sets, axis, QM)
    s = _single(capsys, "compare", _point_sets(sets, axis, float(values[-1])), QM)
    r = points[-1]["result"]
    assert r["E_N"] == pytest.approx(s["qmodel"]["E_N"], rel=1e-8, abs=1e-12)
    assert r["E_N_linearized"] == pytest.approx(s["linearized"]["E_N"], rel=1e-10, abs=1e-12)
    assert r["duan_linearized"] == pytest.approx(s["linearized"]["duan"], rel=1e-10, abs=1e-12)
