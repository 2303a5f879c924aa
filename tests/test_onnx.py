"""ember.onnx (torch.onnx): importable; export is not implemented."""
import pytest

import ember


def test_onnx_export_is_not_implemented_but_importable():
    assert ember.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="cannot write ONNX"):
        ember.onnx.export(ember.nn.Linear(2, 2), (ember.ones(1, 2),), "m.onnx")
