"""Units with algebra (issue 21, item 4): every expression of a model file has a dimension,
and each field's is what the field wants."""
from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest

from compare.cli import main
from linearized.description.expressions import BASE_UNITS, dimension_of, evaluate
from linearized.description.parse import WANTED, field_dimensions, load_model, parse_model
from linearized.description.system import build_system
from linearized.description.units import ParameterError

HERE = os.path.dirname(__file__)
LI2018 = os.path.join(HERE, os.pardir, "linearized", "description", "models", "li2018.toml")
UNITS = {"omega": "Hz", "omega_a": "Hz", "omega_b": "Hz", "omega_w": "Hz", "T": "K",
         "T_w": "K", "P": "W", "d": "m", "x": ""}


def dim(expr):
    return str(dimension_of(expr, UNITS, "test"))


# -- the algebra -------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, want", [
    ("omega_w * T / T_w", "Hz"),
    ("omega_w * omega_w", "Hz^2"),
    ("sqrt(omega_a * omega_b)", "Hz"),
    ("sqrt(omega_a)", "Hz^0.5"),
    ("2 * pi * omega", "Hz"),
    ("omega**2 / omega", "Hz"),
    ("omega**-1", "Hz^-1"),
    ("omega / T", "Hz*K^-1"),
    ("omega**(1/2) * sqrt(omega)", "Hz"),
    ("sqrt(sqrt(omega**4))", "Hz"),
    ("-omega + 3 * omega", "Hz"),
    ("T / T_w", "dimensionless"),
    ("x**2.7 * 1e6", "dimensionless"),
    ("(-1)**0.5", "dimensionless"),          # the dimension is fine; evaluate refuses the value
    ("P / d**2", "W*m^-2"),
    ("3", "dimensionless"),
])
def test_dimension_of_the_issues_examples_and_more(expr, want):
    assert dim(expr) == want


@pytest.mark.parametrize("expr, words", [
    ("omega + T", "adds K to Hz"),
    ("omega - T", "subtracts K from Hz"),
    ("omega + 1", "adds a dimensionless value to Hz"),
    ("omega**x", "uses parameters"),
    ("x**omega", "a power that is Hz"),
    ("omega_q * 2", "unknown parameter 'omega_q'"),
])
def test_what_has_no_dimension_is_refused_with_one_sentence(expr, words):
    with pytest.raises(ParameterError, match=words) as e:
        dim(expr)
    assert str(e.value).startswith("test: ") and "\n" not in str(e.value)


@pytest.mark.parametrize("expr", ["omega_w * T / T_w", "omega**2 / omega", "P / d**2",
                                  "sqrt(omega_a * omega_b) / T**3", "omega**(1/3) * d",
                                  "2 * pi * omega**-1 + 1 / omega", "sqrt(omega) * x"])
def test_the_dimension_is_how_the_value_scales_with_the_units(expr):
    """An independent route to the dimension: changing each base unit by a factor (Hz by 2,
    K by 3, W by 5, m by 7) scales a value of dimension Hz^a K^b W^c m^d by
    2^a 3^b 5^c 7^d."""
    factor = dict(zip(BASE_UNITS, (2.0, 3.0, 5.0, 7.0)))
    rng = np.random.default_rng(1)
    values = {n: float(rng.uniform(0.5, 2.0)) for n in UNITS}
    scaled = {n: v * factor.get(UNITS[n], 1.0) for n, v in values.items()}
    exps = dimension_of(expr, UNITS, "test").exponents
    want = np.prod([factor[u] ** float(e) for u, e in zip(BASE_UNITS, exps)])
    assert evaluate(expr, scaled) / evaluate(expr, values) == pytest.approx(want, rel=1e-12)
    assert all(isinstance(e, Fraction) for e in exps)


# -- model files -------------------------------------------------------------------------------

def _li2018(old, new, extra=""):
    text = open(LI2018).read()
    assert old in text
    return text.replace(old, new, 1).replace("T = { value", extra + "T = { value", 1)


#: a bath frequency given through a temperature ratio: omega_w T / T_w is omega_a when
#: omega_w = omega_a and T_w = T
RATIO = ('omega_w = { value = "10GHz" }\nT_w = { value = "10mK" }\n')


def test_a_frequency_through_a_temperature_ratio_is_a_frequency():
    spec = parse_model(_li2018('bath_frequency = "omega_a"',
                               'bath_frequency = "omega_w * T / T_w"', RATIO))
    found = {d.where: d for d in field_dimensions(spec)}["mode 'a' (bath_frequency)"]
    assert (found.found, found.wanted, found.expression) == ("Hz", "Hz", "omega_w * T / T_w")
    # and it is the same model as li2018's (T = T_w = 10 mK, omega_w = omega_a = 10 GHz)
    a, b = build_system(spec), build_system(load_model("li2018"))
    np.testing.assert_allclose(a.diffusion_matrix(), b.diffusion_matrix(), rtol=1e-12)


@pytest.mark.parametrize("old, new, sentence", [
    ('bath_frequency = "omega_a"', 'bath_frequency = "omega_a * omega_a"',
     "mode 'a' (bath_frequency) is Hz^2 (omega_a * omega_a), but a frequency is wanted (Hz)"),
    ('bath_frequency = "omega_a"', 'bath_frequency = "sqrt(omega_a)"',
     "mode 'a' (bath_frequency) is Hz^0.5 (sqrt(omega_a)), but a frequency is wanted (Hz)"),
    ('rate = "g_ma"', 'rate = "g_ma * T"',
     "coupling 0 (beam_splitter) rate is Hz*K (g_ma * T), but a rate is wanted (Hz)"),
    ('damping = "gamma_b"', 'damping = "gamma_b / omega_b"',
     "mode 'b' (damping) is dimensionless (gamma_b / omega_b), but a rate is wanted (Hz)"),
    ('G = "G_mb"', 'G = "G_mb + T"', "coupling 1 (radiation_pressure) G: 'G_mb + T' adds K "
                                     "to Hz"),
])
def test_a_field_of_the_wrong_dimension_is_refused(old, new, sentence):
    with pytest.raises(ParameterError) as e:
        parse_model(_li2018(old, new))
    assert str(e.value) == sentence


@pytest.mark.parametrize("new", ['bath_frequency = "sqrt(omega_a * omega_m)"',
                                 'bath_frequency = "2 * pi * omega_a / (2 * pi)"',
                                 'bath_frequency = "omega_a**2 / omega_a"',
                                 'bath_frequency = "1e10"'])
def test_frequencies_by_algebra_are_accepted(new):
    spec = parse_model(_li2018('bath_frequency = "omega_a"', new))
    d = field_dimensions(spec)[2]
    assert d.where == "mode 'a' (bath_frequency)" and d.found == d.wanted == "Hz"
    assert d.number == (new == 'bath_frequency = "1e10"')


def test_the_other_checks_come_first():
    # an undeclared name is refused as such, not as a dimension
    with pytest.raises(ParameterError, match="'omega_q', which is not a declared parameter"):
        parse_model(_li2018('bath_frequency = "omega_a"', 'bath_frequency = "omega_q**2"'))
    with pytest.raises(ParameterError, match="choice parameter 'mech_bath'"):
        parse_model(_li2018('rate = "g_ma"', 'rate = "g_ma * mech_bath"'))


def test_every_field_that_the_files_have_is_in_the_table():
    fields = {"detuning", "decay", "bath_frequency", "frequency", "damping", "rate", "G_0",
              "G", "drive"}
    assert fields <= set(WANTED)
    assert {f: str(WANTED[f][0]) for f in ("temperature", "squeezing", "squeezing_phase",
                                           "phase")} == {"temperature": "K",
                                                         "squeezing": "dimensionless",
                                                         "squeezing_phase": "dimensionless",
                                                         "phase": "dimensionless"}


# -- mwent models check ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["paper", "li2018", "vitali2007"])
def test_models_check_lists_found_and_wanted_for_every_field(capsys, name):
    assert main(["models", "check", name, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    spec = load_model(name)
    # three fields per mode, and every expression of each coupling
    n = 3 * len(spec.modes) + sum(sum(getattr(c, f) is not None
                                      for f in ("rate", "G_0", "G", "drive"))
                                  for c in spec.couplings)
    assert len(d["fields"]) == n
    for f in d["fields"]:
        assert f["found"] == f["wanted"] == "Hz", f
        assert set(f) == {"where", "expression", "found", "wanted", "number"}
    assert main(["models", "check", name]) == 0
    text = capsys.readouterr().out
    assert text.count("(wanted Hz)") == n


def test_models_check_of_a_wrong_dimension_is_one_sentence_and_exit_2(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(_li2018('bath_frequency = "omega_a"', 'bath_frequency = "omega_a**2"'))
    assert main(["models", "check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.strip().splitlines() == [
        "mwent: error: mode 'a' (bath_frequency) is Hz^2 (omega_a**2), but a frequency is "
        "wanted (Hz)"]
    assert main(["models", "check", str(path), "--json"]) == 2
    d = json.loads(capsys.readouterr().out)
    assert d["exit_code"] == 2 and "is Hz^2" in d["error"]
