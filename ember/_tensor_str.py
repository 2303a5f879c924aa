"""Tensor repr (interim: replaced by the full PyTorch-identical formatter)."""


def _str(self, tensor_contents=None):
    return f"tensor({self._host_array().tolist()})"


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    raise NotImplementedError("set_printoptions: being written")


def get_printoptions():
    raise NotImplementedError("get_printoptions: being written")
