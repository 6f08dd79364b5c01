import numpy as np
import pytest

from compare.cli.options import CliError, parse_set
from linearized.description.parse import load_model
from linearized.description.system import build_system
from linearized.description.thermal import occupation
from linearized.description.units import ParameterError, UnitError, parse_quantity


@pytest.mark.parametrize("text,dim,value", [
    ("10MHz", "frequency", 1e7), ("100Hz", "frequency", 100.0), ("20mK", "temperature", 0.02),
    ("6.3mW", "power", 6.3e-3), ("250um", "length", 250e-6), ("-2.5e1kHz", "frequency", -2.5e4),
    ("1e6", "frequency", 1e6), (3, "temperature", 3.0), ("10 GHz", "frequency", 1e10)])
def test_parse_quantity(text, dim, value):
    assert parse_quantity(text, dim) == pytest.approx(value)


@pytest.mark.parametrize("text,dim", [("10MHz", "temperature"), ("abc", "frequency"),
                                      ("nan", "frequency"), ("inf", "frequency"),
                                      ("1e400", "frequency"), ("5 parsecs", "length"),
                                      (float("nan"), "frequency")])
def test_parse_quantity_rejects(text, dim):
    with pytest.raises(UnitError):
        parse_quantity(text, dim)


def test_model_file_values_are_read_with_their_units(paper):
    # the paper's model file writes "20mK", "0.3Hz", "10GHz", "-10MHz": SI values here
    assert paper.value("T") == 0.02 and paper.value("G_0") == 0.3
    assert paper.value("omega_m") == 1e10 and paper.value("Delta_2") == -1e7
    assert paper.spec.parameter["P"].unit == "W" and paper.values["P"] is None


def test_set_values_and_validation(paper):
    spec = load_model("paper")
    raw = parse_set(["kappa_1=2MHz", "T = 50mK", "mech_bath=lindblad", "Delta_1=-2.5e1kHz"])
    assert raw == {"kappa_1": "2MHz", "T": "50mK", "mech_bath": "lindblad",
                   "Delta_1": "-2.5e1kHz"}
    p = build_system(spec, raw)
    assert p.value("kappa_1") == 2e6 and p.value("T") == 0.05 and p.mech_bath == "lindblad"
    assert p.value("Delta_1") == -2.5e4                     # a negative detuning is fine
    assert p.value("g_1") == paper.value("g_1")
    for bad in (["T"], ["=1"]):
        with pytest.raises(CliError):
            parse_set(bad)
    physical = {"P": "6.3mW", "diameter": "250um", "Delta_m0": "10MHz"}
    for bad in ({"gamma_b": "-1Hz"}, {"kappa_1": "-1MHz"}, {"g_1": "nan"}, {"T": "-1mK"},
                {"T": "10MHz"}, {"nope": 1}, {"mech_bath": "ohmic"}, {"kappa_m": float("nan")},
                {**physical, "P": "-6mW"}, {**physical, "diameter": "0um"},
                {**physical, "P": "6MHz"}, {"P": "6.3mW"}):
        with pytest.raises(ParameterError):
            build_system(spec, bad)
    with pytest.raises(ParameterError):
        paper.replace(Delta_1=np.array([1.0, np.nan]))


def test_occupation_against_hand_calculation():
    # h f / k_B T for 10 MHz at 20 mK: 6.62607015e-27 / 2.761298e-25 = 0.0239962...
    x = 6.62607015e-34 * 1e7 / (1.380649e-23 * 0.02)
    assert occupation(1e7, 0.02) == pytest.approx(1 / np.expm1(x), rel=1e-14)
    assert occupation(1e7, 0.02) == pytest.approx(41.175, abs=1e-3)   # ~ k_B T / h f - 1/2
    assert occupation(1e10, 0.0) == 0.0


def test_a_quantity_is_written_with_an_si_prefix_and_read_back():
    from linearized.description.units import format_quantity, parse_quantity
    cases = [(0.19, "K", "190 mK"), (-6e6, "Hz", "-6 MHz"), (0.0, "K", "0 K"),
             (1e-17, "W", "1e-17 W"), (2.5e9, "Hz", "2.5 GHz"), (1e-3, "K", "1 mK"),
             (4.5e6, "Hz", "4.5 MHz"), (20e3, "Hz", "20 kHz")]
    dims = {"K": "temperature", "Hz": "frequency", "W": "power"}
    for value, unit, text in cases:
        assert format_quantity(value, unit) == text
        # what the parameter parser reads back (units without a space, as on the command line)
        assert parse_quantity(text.replace(" ", ""), dims[unit]) == pytest.approx(value,
                                                                                   abs=1e-30)
    assert format_quantity(5.0, "") == "5"
