import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may change the default dtype or grad mode; put them back."""
    import ember
    from ember.autograd import grad_mode
    d = ember.get_default_dtype()
    g = grad_mode._enabled[0]
    a = list(grad_mode._anomaly)
    yield
    ember.set_default_dtype(d)
    grad_mode._enabled[0] = g
    grad_mode._anomaly[:] = a


@pytest.fixture
def rng():
    return np.random.default_rng(0)
