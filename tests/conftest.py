import numpy as np
import pytest

from linearized.params import PRESETS


@pytest.fixture
def paper():
    return PRESETS["paper"]


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
