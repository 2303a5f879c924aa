"""Tensor repr (interim: replaced by the full PyTorch-identical formatter)."""


def _str(self, tensor_contents=None):
    return f"tensor({self._host_array().tolist()})"
