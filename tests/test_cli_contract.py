"""The command line's contract on every subcommand: strict JSON on the success and the error
paths, one sentence on stderr, the documented exit codes, no traceback, and bad input refused
before anything is computed."""
import json
import os
import subprocess
import sys

import pytest

from compare.cli import main


def _reject(token):
    raise ValueError(f"non-strict JSON constant {token}")


def strict_json(text):
    """Parse with a strict parser: NaN, Infinity and -Infinity are refused."""
    return json.loads(text, parse_constant=_reject)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err):
    lines = [l for l in err.splitlines() if l.startswith("mwent: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


FAST_QM = ["--basis", "fock", "--cutoffs", "3,3,2,3", "--tail-tol", "1"]

# (argv, expected exit code): every subcommand on a success path and on error paths
CASES = [
    (["linearized"], 0),
    (["linearized", "--set", "G_0=0"], 0),                 # valid: the mean field is undefined
    (["linearized", "--set", "Delta_1=0MHz", "--set", "Delta_2=0MHz"], 0),  # Eq. (4) singular
    (["linearized", "--set", "G=20MHz", "--set", "G_0=0"], 3),
    (["linearized", "--set", "G=20MHz"], 3),
    (["linearized", "--set", "kappa_1=-1MHz"], 2),
    (["qmodel", *FAST_QM], 0),
    (["qmodel", "--set", "Delta_m=-9MHz"], 3),
    (["qmodel", "--set", "G_0=0", *FAST_QM], 0),
    (["qmodel", "--cutoffs", "9,9,9,9", "--max-dim", "100"], 2),
    (["compare", *FAST_QM], 4),                            # fixed truncation: undecided
    (["compare", "--set", "G=20MHz"], 3),
    (["compare", "--tolerance", "nan"], 2),
    (["sweep", "--axis", "T=0:1mK:2"], 0),
    (["sweep", "--axis", "G=1MHz:20MHz:3", "--set", "G_0=0"], 0),
    (["sweep", "--axis", "G=nope:1:2"], 2),
    (["meanfield", "--set", "P=6.3mW", "--set", "diameter=250um", "--set", "Delta_m0=10MHz"], 0),
    (["meanfield", "--set", "diameter=250um", "--target-G", "4.5MHz"], 0),
    (["meanfield", "--set", "diameter=250um", "--target-G", "0"], 2),
    (["meanfield"], 0),              # one engine: the effective mean field, as on any model
    (["figure", "3", "--points", "5"], 0),
    (["figure", "3", "--points", "1"], 2),
    (["bench", "--only", "linearized", "--points", "3"], 0),
    (["bench", "--points", "1"], 2),
    (["output", "--bandwidth", "0.1MHz"], 0),
    (["output", "--bandwidth", "-1MHz"], 2),
    (["output", "--set", "G=20MHz"], 3),
    (["transient", "--points", "20"], 0),
    (["transient", "--set", "G=20MHz"], 3),
    (["models"], 0),
    (["models", "show", "li2018"], 0),
    (["models", "show", "nope"], 2),
    (["models", "check"], 2),
    (["linearized", "--model", "li2018"], 0),
    (["linearized", "--model", "li2018", "--set", "G_mb=30MHz"], 3),
    (["linearized", "--model", "li2018", "--set", "Delta_1=1MHz"], 2),
    (["linearized", "--model", "li2018", "--preset", "paper"], 2),
    (["linearized", "--model", "paper", "--pair", "a1,x"], 2),
    (["qmodel", "--model", "li2018", "--basis", "fock", "--cutoffs", "3,3,3", "--tail-tol",
      "1"], 0),
    (["qmodel", "--model", "li2018", "--cutoffs", "3,3,3,3"], 2),
    (["qmodel", "--model", "vitali2007", "--set", "G=0.02MHz"], 4),
    (["qmodel", "--model", "li2018", "--frame", "undisplaced", "--cutoffs", "3,3,3"], 4),
    (["compare", "--model", "li2018", "--basis", "fock", "--cutoffs", "3,3,3"], 4),
    (["sweep", "--model", "li2018", "--axis", "Delta_a=-1MHz:1MHz:3"], 0),
    (["sweep", "--model", "li2018", "--axis", "Delta_1=-1MHz:1MHz:3"], 2),
    (["meanfield", "--model", "li2018"], 0),
    (["figure", "3", "--model", "li2018"], 2),
    (["figure", "map", "--model", "li2018", "--axis", "Delta_a=-1MHz:1MHz:3"], 0),
    (["figure", "map", "--model", "li2018"], 2),
    (["figure", "map", "--model", "li2018", "--axis", "T=0:1mK:2", "--axis", "T=0:1mK:2"], 2),
    (["figure", "2a", "--axis", "Delta_1=0:1MHz:2"], 2),
    (["bench", "--model", "li2018", "--only", "linearized", "--points", "3"], 0),
    (["meanfield", "--model", "li2018", "--target-G", "1MHz"], 0),   # any driven model
    (["output", "--model", "li2018"], 2),
]


@pytest.mark.parametrize("argv,code", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_every_json_parses_strictly(capsys, tmp_path, monkeypatch, argv, code):
    monkeypatch.chdir(tmp_path)
    got, out, err = run(capsys, *argv, "--json")
    assert got == code, err
    if out.strip():
        doc = strict_json(out)
        assert isinstance(doc, dict)
        if code:
            assert doc["exit_code"] == code and doc["error"]
    else:
        assert code != 0
    if code:
        one_sentence(err)
    assert "Traceback" not in err and "RuntimeWarning" not in err


def test_unstable_json_says_why_the_measures_are_null(capsys):
    code, out, err = run(capsys, "linearized", "--set", "G=20MHz", "--set", "G_0=0", "--json")
    doc = strict_json(out)
    assert code == 3 and doc["stable"] is False and doc["E_N"] is None
    assert "unstable" in doc["undefined"]["E_N"] and "unstable" in one_sentence(err)


def test_validity_json(capsys, tmp_path):
    out = tmp_path / "v"
    code, stdout, err = run(capsys, "validity", "--axis", "T=20mK:30mK:2", "--axis",
                            "G=4MHz:4MHz:1", "--out", str(out), *FAST_QM, "--workers", "1",
                            "--json")
    assert code == 0, err
    doc = strict_json(stdout)
    assert doc["verdicts"] == {"undecided": 2}      # fixed truncation: never "agree"
    # undecided points carry no error and no boundary
    assert doc["max_error"] is None and all(r["G"] is None for r in doc["boundary"])
    assert (tmp_path / "v.png").exists()


@pytest.mark.parametrize("argv,needle", [
    (["validity", "--axis", "T=0:1mK:2", "--axis", "G=1MHz:2MHz:2"], "--out"),
    (["sweep", "--axis", "T=0:1mK:2", "--report", "R"], "--engine compare"),
    (["sweep", "--axis", "T=0:1:100000", "--axis", "G=1MHz:2MHz:100000"], "points"),
    (["qmodel", "--cutoffs", "100,100,100,100", "--max-dim", "100000000"], "GiB"),
    (["qmodel", "--cutoffs", "1,1,1,1"], "at least 2"),
    (["meanfield", "--set", "diameter=250um", "--target-G=-4.5MHz"], "positive"),
    (["sweep", "--axis", "T=0:1mK:2", "--engine", "compare", "--tolerance", "nan"], "finite"),
    (["sweep", "--axis", "T=0:1mK:2", "--executor", "dask", "--scheduler", "not-an-address"],
     "address"),
    (["sweep", "--axis", "T=0:1mK:2", "--executor", "dask"], "--scheduler"),
])
def test_bad_input_is_refused_at_once(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert needle in one_sentence(err)


def test_output_paths_are_checked_before_computing(capsys, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    for argv in (["compare", "--report", str(f)], ["figure", "2a", "--out", str(f)],
                 ["sweep", "--engine", "compare", "--axis", "T=0:1mK:2", "--report", str(f)],
                 ["validity", "--axis", "T=0:1mK:2", "--axis", "G=1MHz:2MHz:2",
                  "--out", str(f / "v")]):
        code, out, err = run(capsys, *argv)
        assert code == 2, argv
        assert str(f) in one_sentence(err)


def test_config_that_is_not_utf8(capsys, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_bytes(b'T = "\xff20mK"\n')
    code, out, err = run(capsys, "linearized", "--config", str(cfg))
    assert code == 2 and "UTF-8" in one_sentence(err)


def test_target_G_accepts_an_explicit_effective_detuning(capsys):
    code, out, err = run(capsys, "meanfield", "--set", "Delta_m=9MHz", "--set",
                         "diameter=250um", "--target-G", "4.5MHz", "--json")
    assert code == 0, err
    doc = strict_json(out)
    assert doc["Delta_m"] == 9e6
    # at the paper's Delta_m = 0.9 omega_b, Eq. (4) gives the paper's 6.3 mW
    assert abs(doc["eq4"]["P"] - 6.3e-3) < 0.05e-3


def test_bare_mwent_prints_usage(capsys):
    code, out, err = run(capsys)
    assert code == 2 and "usage: mwent" in err


def test_help_describes_every_command(capsys):
    for name in ("linearized", "qmodel", "compare", "sweep", "validity", "meanfield",
                 "figure", "bench", "output", "transient", "models"):
        with pytest.raises(SystemExit) as e:
            main([name, "--help"])
        assert e.value.code == 0
        text = capsys.readouterr()[0]
        assert "exit codes:" in text and "presets: paper" in text
        # every option has a help text
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("--") and "  " not in s:
                nxt = text.splitlines()[text.splitlines().index(line) + 1].strip()
                assert nxt and not nxt.startswith("--"), f"{name}: {s} has no help"
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    assert ":log" in capsys.readouterr()[0]


def test_broken_pipe_is_quiet():
    # `mwent ... --json | head -c 10`: the reader leaves early; no traceback
    p = subprocess.Popen([sys.executable, "-m", "compare", "sweep", "--axis",
                          "T=0:1mK:2000", "--json", "--list-points"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_interrupt_exits_130(capsys, monkeypatch):
    import compare.cli.commands.linearized as lin

    def boom(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(lin, "run", boom)
    code, out, err = run(capsys, "linearized")
    assert code == 130 and "interrupted" in err


def test_unexpected_error_is_one_line_exit_1(capsys, monkeypatch):
    import compare.cli.commands.linearized as lin

    def boom(args):
        raise ZeroDivisionError("float division by zero")
    monkeypatch.setattr(lin, "run", boom)
    code, out, err = run(capsys, "linearized", "--json")
    assert code == 1 and "ZeroDivisionError" in one_sentence(err)
    assert strict_json(out)["exit_code"] == 1


def test_installed_console_script_runs_outside_the_checkout(tmp_path):
    # run from elsewhere, so the installed package (not this checkout's source) is imported:
    # a subpackage missing from setup.cfg would fail here
    import pathlib
    import shutil
    exe = shutil.which("mwent") or str(pathlib.Path(sys.executable).parent / "mwent")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # the shipped model files are package data: they must be installed too
    for argv in (["linearized", "--json"], ["--help"], ["transient", "--help"], ["models"],
                 ["linearized", "--model", "li2018", "--json"]):
        r = subprocess.run([exe, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
    doc = strict_json(subprocess.run([exe, "linearized", "--json"], cwd=tmp_path, env=env,
                                     capture_output=True, text=True, timeout=120).stdout)
    assert doc["stable"] is True


def test_main_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr()[0]
    for name in ("linearized", "qmodel", "compare", "sweep", "validity", "meanfield",
                 "figure", "bench", "output", "transient", "models"):
        assert name in text


def test_fixed_truncation_is_never_stored_as_converged(capsys):
    code, out, err = run(capsys, "sweep", "--engine", "qmodel", "--axis", "T=20mK:30mK:2",
                         *FAST_QM, "--workers", "1", "--json", "--list-points")
    doc = strict_json(out)
    assert code == 0 and doc["fixed_truncation"] is True
    for p in doc["points"]:
        assert p["result"]["converged"] is False and p["result"]["fixed_truncation"] is True
        names = {e["name"]: e["passed"] for e in p["result"]["evidence"]}
        assert names["truncation_growth"] is not True


@pytest.mark.parametrize("argv,needle", [
    (["linearized", "--branch", "highest"], "drive power"),
    (["output", "--centers", "10MHz"], "two"),
])
def test_options_that_would_be_ignored_are_refused(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and needle in one_sentence(err)


def test_unknown_key_names_the_config_file(capsys, tmp_path):
    cfg = tmp_path / "typo.toml"
    cfg.write_text("Tt = 0.02\n")
    code, out, err = run(capsys, "linearized", "--config", str(cfg))
    assert code == 2 and str(cfg) in one_sentence(err)


def test_interrupt_prints_json_too(capsys, monkeypatch):
    import compare.cli.commands.linearized as lin

    def boom(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(lin, "run", boom)
    code, out, err = run(capsys, "linearized", "--json")
    assert code == 130 and strict_json(out)["exit_code"] == 130
