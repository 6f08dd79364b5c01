"""Bad input ends in one sentence and the documented exit code (2 bad input, 3 unstable),
never a traceback, never exit 1, never an option silently ignored or a silent wrong number
(issue 19, item 4).  Each case runs the command line in process unless it needs a real
standard output (/dev/full)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from test_models import OPTO

from compare.cli import main
from compare.cli.options import PROGRESS
from linearized.description.expressions import evaluate

HERE = os.path.dirname(__file__)
LI2018 = os.path.join(HERE, os.pardir, "linearized", "description", "models", "li2018.toml")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sentence(err: str) -> str:
    """The one error line on stderr (and no traceback); progress lines aside."""
    assert "Traceback" not in err and "Exception ignored" not in err, err
    err = "\n".join(line for line in err.splitlines() if not line.startswith(PROGRESS))
    lines = [line for line in err.splitlines() if line.startswith("mwent: error:")]
    assert len(lines) == 1 and len(err.strip().splitlines()) == 1, err
    return lines[0]


def refused(capsys, argv, *words, code=2):
    got, out, err = run(capsys, *argv)
    line = sentence(err)
    assert got == code, (argv, got, err)
    for w in words:
        assert w in line, (argv, line)
    return line


# -- an option that does not apply is refused, never ignored -----------------------------------

NOT_APPLICABLE = [
    # the issue's three, each once with the option's default value (given is given)
    (["compare", "--bandwidth", "1MHz"], "--bandwidth", "--output"),
    (["compare", "--centers", "10MHz,-10MHz"], "--centers", "--output"),
    (["sweep", "--axis", "T=0:1mK:2", "--scheduler", "local"], "--scheduler", "--executor dask"),
    (["validity", "--axis", "T=0:1mK:2", "--axis", "G=1MHz:2MHz:2", "--out", "v",
      "--scheduler", "local"], "--scheduler", "--executor dask"),
    # sweep: options of the master equation, executors and verdicts where none run
    (["sweep", "--axis", "T=0:1mK:2", "--workers", "2"], "--workers", "--engine"),
    (["sweep", "--axis", "T=0:1mK:2", "--basis", "fock"], "--basis", "--engine"),
    (["sweep", "--axis", "T=0:1mK:2", "--max-dim", "100"], "--max-dim", "--engine"),
    (["sweep", "--axis", "T=0:1mK:2", "--engine", "qmodel", "--tolerance", "0.01"],
     "--tolerance", "--engine compare"),
    (["sweep", "--axis", "T=0:1mK:2", "--overwrite"], "--overwrite", "--out"),
    (["sweep", "--axis", "T=0:1mK:2", "--list-points"], "--list-points", "--json"),
    # figure: master-equation options (default values too), the bandwidth of figure output
    (["figure", "3", "--tolerance", "0.01"], "--tolerance", "--engine compare"),
    (["figure", "3", "--me-points", "5"], "--me-points", "--engine compare"),
    (["figure", "2a", "--bandwidth", "0.1MHz"], "--bandwidth", "figure output"),
    (["figure", "map", "--model", "li2018", "--axis", "Delta_a=-1MHz:1MHz:3",
      "--bandwidth", "1MHz"], "--bandwidth", "figure output"),
    # qmodel's undisplaced frame solves once in the plain basis
    (["qmodel", "--frame", "undisplaced", "--basis", "self", "--cutoffs", "3,3,3,3"],
     "--basis", "--frame undisplaced"),
    (["qmodel", "--frame", "undisplaced", "--tol", "1e-3", "--cutoffs", "3,3,3,3"], "--tol"),
    # transient: the master-equation options need --master-equation
    (["transient", "--tol", "1e-3"], "--tol", "--master-equation"),
    (["transient", "--me-points", "60"], "--me-points", "--master-equation"),
    (["transient", "--cutoffs", "3,3,3,3"], "--cutoffs", "--master-equation"),
    # bench: each option belongs to some parts
    (["bench", "--max-dim", "6000"], "--max-dim", "--only truncation"),
    (["bench", "--only", "qmodel", "--points", "5"], "--points", "--only linearized"),
    (["bench", "--only", "linearized", "--cap", "5"], "--cap", "--only qmodel"),
    (["bench", "--only", "sweep", "--scaling", "3"], "--scaling", "--only qmodel"),
    # meanfield lists every branch, of no pair
    (["meanfield", "--set", "P=6.3mW", "--set", "diameter=250um", "--set", "Delta_m0=10MHz",
      "--branch", "lowest"], "--branch"),
    (["meanfield", "--pair", "a1,m"], "--pair"),
    # models reads files; it solves nothing
    (["models", "--set", "T=1K"], "--set"),
    (["models", "show", "li2018", "--model", "paper"], "--model"),
    (["models", "list", "li2018"], "takes no name"),
]


@pytest.mark.parametrize("argv,old,new", [
    (["figure", "3", "--engine", "compare", "--grid", "5"], "--grid", "--me-points"),
    (["bench", "--only", "linearized", "--grid=5"], "--grid", "--points"),
])
def test_an_option_renamed_by_issue_19_names_its_new_spelling(capsys, argv, old, new):
    # one option name per concept: --grid meant points per axis in bench and master-equation
    # points in figure; the old spelling is refused with the new one, never taken as the other
    refused(capsys, argv, f"{old} is now {new}")


@pytest.mark.parametrize("argv,words", [(c[0], c[1:]) for c in NOT_APPLICABLE],
                         ids=[" ".join(c[0])[:60] for c in NOT_APPLICABLE])
def test_an_option_that_does_not_apply_is_refused(capsys, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)           # validity --out v: nothing may be written anyway
    refused(capsys, argv, *words)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("argv,words", [
    # the --set would be dropped without a word: the axis sets the key at every point
    (["sweep", "--axis", "kappa_1=1MHz:2MHz:3", "--set", "kappa_1=5MHz"], ("--set kappa_1",
                                                                          "--axis kappa_1")),
    (["sweep", "--set", "diameter=250um", "--set", "Delta_m0=10MHz", "--set", "P=1mW",
      "--axis", "P=1mW:2mW:2"], ("--set P", "--axis P")),
    (["validity", "--axis", "T=0:1mK:2", "--axis", "G=1MHz:2MHz:2", "--out", "v", "--set",
      "G=3MHz"], ("--set G", "--axis G")),
    (["figure", "map", "--model", "li2018", "--axis", "Delta_a=-1MHz:1MHz:3", "--set",
      "Delta_a=2MHz"], ("--set Delta_a", "--axis Delta_a")),
    # a figure sets its own axes and fixed values (Fig. 2b fixes Delta_1 = omega_b)
    (["figure", "2b", "--set", "Delta_1=5MHz"], ("--set Delta_1", "figure 2b")),
    (["figure", "3", "--set", "g_2=3MHz"], ("--set g_2", "--as-given")),
    (["bench", "--only", "sweep", "--set", "Delta_1=5MHz"], ("--set Delta_1",)),
])
def test_a_set_that_would_be_replaced_is_refused(capsys, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    refused(capsys, argv, *words)


def test_where_the_options_apply_they_are_accepted(capsys, tmp_path):
    # the same options in the requests they belong to (fast ones): not refused
    assert run(capsys, "sweep", "--axis", "kappa_1=1MHz:2MHz:2", "--set", "kappa_2=5MHz",
               "--json", "--list-points")[0] == 0
    code, out, err = run(capsys, "figure", "3", "--as-given", "--set", "g_2=3MHz", "--points",
                         "5", "--out", str(tmp_path), "--json")
    assert code == 0, err
    # and --as-given does draw at the --set value: E_N at the last T is the linearized value
    from linearized import build_system, load_model, solve_model
    doc = json.loads(out)
    curve = np.load(doc["data"])
    at = build_system(load_model("paper"), {"g_2": 3e6, "T": float(curve["axis_0"][-1])})
    assert float(curve["E_N"][-1]) == pytest.approx(solve_model(at).E_N, abs=1e-12)


def test_workers_with_a_running_dask_cluster_is_refused(capsys):
    pytest.importorskip("distributed")
    refused(capsys, ["sweep", "--axis", "T=20mK:30mK:2", "--engine", "qmodel", "--executor",
                     "dask", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"],
            "--workers", "--scheduler local")


def test_unreachable_scheduler_is_bad_input(capsys):
    pytest.importorskip("distributed")
    import dask
    # Dask's connect timeout, shortened for the test (mwent itself waits at most 10 s)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        refused(capsys, ["sweep", "--axis", "T=20mK:30mK:2", "--engine", "qmodel", "--basis",
                         "fock", "--cutoffs", "3,3,2,3", "--tail-tol", "1", "--executor",
                         "dask", "--scheduler", "tcp://127.0.0.1:1"],
                "cannot reach the Dask scheduler", "tcp://127.0.0.1:1")


# -- model files: no silent wrong number, no traceback -----------------------------------------

def _li2018(tmp_path, old, new, name="m.toml"):
    text = open(LI2018).read()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return str(path)


BAD_FILES = {
    # (-1)**0.5 is 1j: its real part, 0, decoupled the cavity (E_N(a,m) 0.162 -> 0)
    "imaginary rate": ('rate = "g_ma"', 'rate = "(-1)**0.5 * g_ma"', "not real"),
    "square root of a negative": ('rate = "g_ma"', 'rate = "sqrt(-4) * g_ma"', "not real"),
    "parameter pi": ('T = { value', 'pi = "3MHz"\nT = { value', "constant pi"),
    "parameter sqrt": ('T = { value', 'sqrt = "3MHz"\nT = { value', "function sqrt"),
    "parameter lambda": ('T = { value', 'lambda = "3MHz"\nT = { value', "reserved word"),
    "100,000-term sum": ('rate = "g_ma"', 'rate = "' + " + ".join(["g_ma * 1e-5"] * 100_000)
                         + '"', "characters"),
    "10**400": ('rate = "g_ma"', 'rate = "10**400 * g_ma"', "overflows"),
    "1e300*1e300": ('rate = "g_ma"', 'rate = "1e300 * 1e300 * g_ma"', "overflows"),
    "a 400-digit number": ('rate = "g_ma"', 'rate = "1' + "0" * 400 + ' * g_ma"', "overflows"),
    "division by zero": ('rate = "g_ma"', 'rate = "g_ma / (1 - 1)"', "divides by zero"),
    "zero to a negative power": ('rate = "g_ma"', 'rate = "0**-1 * g_ma"', "divides by zero"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_model_file_is_refused_by_models_check_and_every_command(capsys, tmp_path, case):
    old, new, words = BAD_FILES[case]
    path = _li2018(tmp_path, old, new)
    refused(capsys, ["models", "check", path], words)
    refused(capsys, ["linearized", "--model", path], words)


def test_a_real_expression_still_evaluates():
    # an independent value: (-2)**2 / 4 = 1, sqrt(4) = 2, pi; integer powers of negative
    # numbers are real, also element-wise on a grid
    assert evaluate("(-2)**2 * g / 4 + sqrt(4) * 0 + pi * 0", {"g": 3.0}) == 3.0
    assert evaluate("pi * g", {"g": 2.0}) == pytest.approx(2 * np.pi, rel=1e-15)
    grid = evaluate("(-g)**3", {"g": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(grid, [-1.0, -8.0])
    # a grid that crosses zero under a fractional power is refused as a whole
    from linearized.description.units import ParameterError
    with pytest.raises(ParameterError, match="not real"):
        evaluate("g**0.5", {"g": np.array([1.0, -1.0])})


def test_a_long_expression_within_the_limit_is_accepted():
    # the longest sum the limit allows, x + x + ... (499 terms, 997 characters, nested 499
    # deep), is the model with rate 499 x
    from linearized.description.expressions import MAX_EXPRESSION
    from linearized.description.parse import parse_model
    from linearized.description.system import build_system
    expr = "+".join(["x"] * 499)
    assert len(expr) <= MAX_EXPRESSION
    text = open(LI2018).read().replace('T = { value', 'x = "1kHz"\nT = { value', 1)
    a = build_system(parse_model(text.replace('rate = "g_ma"', f'rate = "{expr}"', 1)))
    b = build_system(parse_model(text.replace('rate = "g_ma"', 'rate = "499 * x"', 1)))
    assert float(a.terms[0][2]) == pytest.approx(499e3, rel=1e-12)
    assert float(a.terms[0][2]) == pytest.approx(float(b.terms[0][2]), rel=1e-12)


# -- a driven model whose defaults have no stable branch ---------------------------------------

#: one cavity on a mirror, driven (the physical form), blue-detuned by default: every
#: mean-field branch anti-damps the mirror, so the defaults have no steady state
BLUE = (OPTO.replace('name = "optomech"', 'name = "blue"')
        .replace('Delta0 = "5MHz"', 'Delta0 = "-5MHz"'))


def test_driven_defaults_without_a_stable_branch_can_be_rescued_by_set(capsys, tmp_path):
    path = tmp_path / "blue.toml"
    path.write_text(BLUE)
    # the file is valid: whether its defaults are stable is the solving command's question
    code, out, err = run(capsys, "models", "check", str(path))
    assert code == 0, err
    # as it stands: unstable, exit 3, in every solving command
    refused(capsys, ["linearized", "--model", str(path)], "unstable", code=3)
    refused(capsys, ["qmodel", "--model", str(path), "--basis", "fock", "--cutoffs", "3,3"],
            "unstable", code=3)
    # red-detuned by --set: solved, on the lowest root of the bistability cubic
    # n ((Delta_0 - c n)^2 + kappa^2) = E^2, c = 2 g0^2 / omega_b (Brownian bath), the only
    # stable branch here
    code, out, err = run(capsys, "linearized", "--model", str(path), "--set", "Delta0=5MHz",
                         "--json")
    assert code == 0, err
    doc = json.loads(out)
    c, D0, k, E = 2 * 0.1e6 ** 2 / 10e6, 5e6, 1e6, 100e6
    roots = np.sort(np.roots([c * c, -2 * D0 * c, D0 ** 2 + k ** 2, -E ** 2]).real)
    mf = doc["mean_field"]
    assert mf["branch"] == 0
    assert mf["branches"][0]["n"] == pytest.approx(roots[0], rel=1e-9)
    assert doc["stable"] is True and doc["E_N"] >= 0


# -- the command line's own failures -----------------------------------------------------------

@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv,code", [(["linearized", "--json"], 1),
                                       (["linearized"], 1),
                                       (["linearized", "--json", "--set", "G=20MHz"], 3)])
def test_an_output_that_cannot_be_written_is_one_sentence(argv, code):
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "compare", *argv], stdout=full,
                           stderr=subprocess.PIPE, text=True,
                           cwd=os.path.join(HERE, os.pardir))
    line = sentence(r.stderr)
    assert r.returncode == code, r.stderr
    if code == 1:
        assert "cannot write" in line and "No space left" in line


@pytest.mark.parametrize("argv", [["linearized", "--json", "--bogus"],
                                  ["linearized", "--js", "--bogus"],      # an abbreviation
                                  ["sweep", "--json", "--engine", "x"],
                                  ["qmodel", "--jso", "--max-dim", "1.5"],
                                  ["figure", "--json"]])
def test_parser_errors_with_json_print_one_json_object(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    doc = json.loads(out)
    assert doc["exit_code"] == 2 and doc["error"] in sentence(err)


def test_meanfield_without_drive_power_answers(capsys):
    # P = 0: no drive, so no mean field (<m> = 0, G = 0) and no Kerr force; the only branch
    # is the undriven magnon, stable, at its bare detuning (K = 0 in the paper preset)
    code, out, err = run(capsys, "meanfield", "--set", "P=0W", "--set", "diameter=250um",
                         "--set", "Delta_m0=10MHz", "--json")
    assert code == 0, err
    doc = json.loads(out)
    (b,) = doc["branches"]
    assert b["abs_m"] == 0 and b["G"] == 0 and b["stable"] is True
    assert b["Delta_m"] == pytest.approx(10e6, abs=1e-6)
    assert b["kerr_yig"]["K_m3_over_Omega"] == 0
    code, out, err = run(capsys, "meanfield", "--set", "P=0W", "--set", "diameter=250um",
                         "--set", "Delta_m0=10MHz")
    assert code == 0 and "1 branch" in out and not err


def test_the_linearized_engine_needs_no_G0_and_the_master_equation_says_it_does(capsys,
                                                                               tmp_path):
    # issue 21 item 5: the effective form without G_0 runs in the linearized theory with the
    # same numbers (they depend on G alone); the master equation keeps the residue G_0 n q and
    # refuses in one sentence, never a number computed without it
    with open(LI2018) as f:
        text = f.read()
    assert 'G_0 = "g_mb"\n' in text
    path = tmp_path / "no_g0.toml"
    path.write_text(text.replace('G_0 = "g_mb"\n', ""))
    code, out, err = run(capsys, "linearized", "--model", str(path), "--json")
    assert code == 0, err
    code0, out0, _ = run(capsys, "linearized", "--model", LI2018, "--json")
    assert json.loads(out)["E_N"] == json.loads(out0)["E_N"] > 0
    for command in ("qmodel", "compare"):
        code, out, err = run(capsys, command, "--model", str(path))
        errors = [line for line in err.splitlines() if line.startswith("mwent: error:")]
        assert code == 2 and "Traceback" not in err and len(errors) == 1, err
        assert "needs G_0" in errors[0] and "residue" in errors[0]


def test_the_undisplaced_frame_refuses_a_squeezed_input(capsys, tmp_path):
    # the squeezing phase is defined in the displaced frame's mean-field phase; the undisplaced
    # frame (the drive's phase) refuses it in one sentence rather than use it unconverted
    with open(LI2018) as f:
        text = f.read()
    path = tmp_path / "squeezed.toml"
    path.write_text(text.replace('decay = "kappa_a"\n', 'decay = "kappa_a"\nsqueezing = "0.2"\n',
                                 1))
    assert 'squeezing = "0.2"' in path.read_text()
    code, out, err = run(capsys, "qmodel", "--model", str(path), "--frame", "undisplaced",
                         "--cutoffs", "3,3,3")
    errors = [line for line in err.splitlines() if line.startswith("mwent: error:")]
    assert code == 2 and "Traceback" not in err and len(errors) == 1, err
    assert "undisplaced frame does not take a squeezed input" in errors[0]
