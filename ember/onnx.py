"""`torch.onnx`: importable, so scripts that export only under a flag run; ember writes no ONNX
files, and `export` raises NotImplementedError saying so."""

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError", "TrainingMode"]


class OnnxExporterError(RuntimeError):
    """`torch.onnx.OnnxExporterError`."""


class TrainingMode:
    EVAL, PRESERVE, TRAINING = 0, 1, 2


def export(model, args=(), f=None, *a, **k):
    raise NotImplementedError("torch.onnx.export: ember cannot write ONNX models (it has no "
                              "graph capture); save the state_dict with torch.save and export "
                              "from PyTorch, which loads it unchanged")


def is_in_onnx_export():
    return False
