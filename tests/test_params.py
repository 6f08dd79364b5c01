import numpy as np
import pytest

from linearized.params import ParameterError, Params
from linearized.thermal import occupation
from linearized.units import UnitError, parse_quantity


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


def test_from_mapping_and_validation(paper):
    p = Params.from_mapping({"kappa_1": "2MHz", "T": "50mK", "mech_bath": "lindblad"})
    assert p.kappa_1 == 2e6 and p.T == 0.05 and p.mech_bath == "lindblad"
    assert p.g_1 == paper.g_1
    for bad in ({"kappa_1": "0"}, {"gamma_b": "-1Hz"}, {"T": "-1mK"}, {"nope": 1},
                {"mech_bath": "ohmic"}, {"P": "-6mW"}, {"diameter": "0um"}, {"P": "6MHz"}):
        with pytest.raises(ParameterError):
            Params.from_mapping(bad)
    with pytest.raises(ParameterError):
        paper.replace(Delta_1=np.array([1.0, np.nan]))


def test_occupation_against_hand_calculation():
    # h f / k_B T for 10 MHz at 20 mK: 6.62607015e-27 / 2.761298e-25 = 0.0239962...
    x = 6.62607015e-34 * 1e7 / (1.380649e-23 * 0.02)
    assert occupation(1e7, 0.02) == pytest.approx(1 / np.expm1(x), rel=1e-14)
    assert occupation(1e7, 0.02) == pytest.approx(41.175, abs=1e-3)   # ~ k_B T / h f - 1/2
    assert occupation(1e10, 0.0) == 0.0
