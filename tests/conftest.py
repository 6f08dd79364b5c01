import numpy as np
import pytest

from linearized.description.parse import load_model
from linearized.description.system import build_system


@pytest.fixture
def paper():
    """The seed paper's model at its Fig. 2(a) optimum (the model file's defaults)."""
    return build_system(load_model("paper"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
