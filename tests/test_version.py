"""ember.version (torch.version) and its TorchVersion comparisons."""
import pytest

import ember
from ember.version import TorchVersion


def test_plain_import_reports_embers_version():
    assert ember.__version__ == "0.1.0"
    assert ember.version.__version__ == "0.1.0"
    assert ember.version.torch_api == "2.13.0"
    assert ember.version.cuda is None or isinstance(ember.version.cuda, str)
    assert ember.version.hip is None and ember.version.debug is False


@pytest.mark.parametrize("other, expected", [
    ("2.0", True), ((2, 0), True), ("2.13", True), ((2, 13), True), ((2, 13, 0), True),
    ("2.13.1", False), ("2.14", False), ("10.0", False), ("2.13.0rc1", True),
    ("2.13.0.dev20260101", True), ("2.12.99", True),
])
def test_torch_version_ge_like_torch(other, expected):
    v = TorchVersion("2.13.0+ember0.1.0")
    assert (v >= other) is expected
    torch = pytest.importorskip("torch")
    tv = torch.torch_version.TorchVersion("2.13.0+cpu")
    assert (tv >= other) is expected   # the oracle agrees on the same comparisons


def test_torch_version_equality_order_and_errors():
    v = TorchVersion("2.13.0")
    assert v == "2.13" and v == (2, 13, 0) and v != "2.13.1"
    assert TorchVersion("2.13.0rc1") < "2.13.0" < TorchVersion("2.13.0+cpu")
    assert TorchVersion("1.9.0") < "1.10.0"     # numeric, not lexicographic
    assert isinstance(v, str) and v.startswith("2.")
    with pytest.raises(TypeError):
        v >= 2
