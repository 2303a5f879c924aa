"""`torch.nn.utils.prune`: pruning by masks, PyTorch's reparametrization.

Pruning `module.<name>` moves the parameter to `<name>_orig`, adds a `<name>_mask` buffer and
a forward pre-hook that sets the plain attribute `<name> = <name>_orig * <name>_mask` before
every forward (so gradients reach `<name>_orig` through the mask). Pruning the same tensor
again combines the masks in a `PruningContainer`: an unstructured method chooses among the
entries still unpruned, a structured one among the channels not yet entirely pruned, and a
global one among all entries. `remove` makes the pruning permanent (`<name>` becomes a
parameter holding the masked values).

Ties between equally small magnitudes are broken by position (stable sort), where PyTorch's
`topk` may pick another of the tied entries; random pruning draws from ember's generator.
"""
import numbers

import numpy as np

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


# ---------------------------------------------------------------- amounts
def _validate_amount(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or \
            (not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or
                                                            float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         f"non-negative integer")


def _check_against(amount, size):
    if isinstance(amount, numbers.Integral) and amount > size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to "
                         f"prune={size}")


def _count(amount, size):
    """How many of `size` items to prune."""
    if isinstance(amount, numbers.Integral):
        return int(amount)
    return int(round(float(amount) * size))


def _smallest(values, k):
    """Indices of the k smallest values (ties by position)."""
    return np.argsort(values, kind="stable")[:k]


def _zero_smallest(scores_of, t, amount, default_mask):
    """default_mask with the entries of the `amount` smallest scores (scores_of(numel))
    zeroed: unstructured pruning."""
    import ember
    n = t.numel()
    _check_against(amount, n)
    k = _count(amount, n)
    mask = default_mask.clone()
    if k:
        mask.reshape(-1)[ember.tensor(_smallest(scores_of(n), k))] = 0
    return mask


# ---------------------------------------------------------------- the hook
class BasePruningMethod:
    """A pruning method; also the forward pre-hook that recomputes the pruned tensor."""
    PRUNING_TYPE = None
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t, default_mask):
        raise NotImplementedError

    def apply_mask(self, module):
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return orig * mask.to(dtype=orig.dtype)

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        import ember
        method = cls(*args, **kwargs)
        method._tensor_name = name
        old = None
        for k, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                if old is not None:
                    raise AssertionError(f"Avoid adding multiple pruning hooks to the same "
                                         f"tensor {name} of module {module}. Use a "
                                         f"PruningContainer.")
                old = hook
                del module._forward_pre_hooks[k]
        if old is not None:
            if isinstance(old, PruningContainer):
                old.add_pruning_method(method)
                method = old
            else:
                container = PruningContainer(old)
                container.add_pruning_method(method)
                method = container
        orig = getattr(module, name)
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(orig.shape):
            raise AssertionError(f"importance_scores should have the same shape as parameter "
                                 f"{name} of {module}")
        if old is None:
            # first pruning of this tensor: the parameter becomes <name>_orig
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ember.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        scores = importance_scores if importance_scores is not None else orig
        try:
            mask = method.compute_mask(scores.detach(), default_mask=default_mask)
        except Exception:
            if old is None:       # undo the reparametrization of a first pruning that failed
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        import ember
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(t.shape):
            raise AssertionError("importance_scores should have the same shape as tensor t")
        scores = importance_scores if importance_scores is not None else t
        mask = default_mask if default_mask is not None else ember.ones_like(t)
        return t * self.compute_mask(scores, default_mask=mask)

    def remove(self, module):
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be "
                                 f"removed")
        import ember
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        module.register_parameter(self._tensor_name, orig if isinstance(orig, ember.nn.Parameter)
                                  else ember.nn.Parameter(orig))


class PruningContainer(BasePruningMethod):
    """The pruning methods applied to one tensor, in order."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], BasePruningMethod):
            args = tuple(args[0])
        for m in args:
            self.add_pruning_method(m)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name and \
                self._tensor_name is not None:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)
        self._tensor_name = method._tensor_name

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """The newest method's mask, computed on what the earlier ones left, combined."""
        import ember
        method = self._pruning_methods[-1]
        mask = default_mask.to(dtype=t.dtype)
        m = mask.detach().cpu().numpy()
        if method.PRUNING_TYPE == "unstructured":
            keep = m == 1
            sub = t.detach().cpu().numpy()[keep]
            part = method.compute_mask(ember.tensor(sub), default_mask=ember.ones(sub.shape))
            new = m.copy()
            new[keep] = part.numpy()
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have '
                                     'the attribute `dim` defined.')
            nd = t.dim()
            dim = method.dim + nd if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {nd}")
            others = tuple(d for d in range(nd) if d != dim)
            live = m.sum(axis=others) != 0
            tn = np.take(t.detach().cpu().numpy(), np.nonzero(live)[0], axis=dim)
            mn = np.take(m, np.nonzero(live)[0], axis=dim)
            part = method.compute_mask(ember.tensor(tn), default_mask=ember.tensor(mn)).numpy()
            new = m.copy()
            idx = [slice(None)] * nd
            idx[dim] = np.nonzero(live)[0]
            new[tuple(idx)] = part
        elif method.PRUNING_TYPE == "global":
            new = method.compute_mask(t, default_mask=mask).detach().cpu().numpy()
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        return ember.tensor(new.astype(m.dtype), device=t.device)


# ---------------------------------------------------------------- methods
class Identity(BasePruningMethod):
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        import ember
        return _zero_smallest(lambda n: ember.rand(n).numpy(), t, self.amount, default_mask)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        return _zero_smallest(lambda n: np.abs(t.detach().cpu().numpy().reshape(-1)), t,
                              self.amount, default_mask)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _channel_mask(t, dim, keep_idx, default_mask):
    import ember
    m = np.zeros(tuple(t.shape), dtype=default_mask.numpy().dtype)
    idx = [slice(None)] * t.dim()
    idx[dim] = keep_idx
    m[tuple(idx)] = 1
    return default_mask * ember.tensor(m)


class RandomStructured(BasePruningMethod):
    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        import ember
        if t.dim() <= 1:
            raise ValueError(f"Structured pruning can only be applied to multidimensional "
                             f"tensors. Found tensor of shape {tuple(t.shape)} with "
                             f"{t.dim()} dims")
        size = t.shape[self.dim]
        _check_against(self.amount, size)
        k = _count(self.amount, size)
        if k == 0:
            return default_mask
        order = ember.rand(size).numpy()
        keep = np.sort(np.argsort(order, kind="stable")[k:])
        return _channel_mask(t, self.dim % t.dim(), keep, default_mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        if t.dim() <= 1:
            raise ValueError(f"Structured pruning can only be applied to multidimensional "
                             f"tensors. Found tensor of shape {tuple(t.shape)} with "
                             f"{t.dim()} dims")
        dim = self.dim % t.dim()
        size = t.shape[dim]
        _check_against(self.amount, size)
        k = _count(self.amount, size)
        if k == 0:
            return default_mask
        a = t.detach().cpu().numpy()
        moved = np.moveaxis(a, dim, 0).reshape(size, -1)
        norms = np.linalg.norm(moved, ord=self.n, axis=1)
        keep = np.sort(np.argsort(-norms, kind="stable")[:size - k])
        return _channel_mask(t, dim, keep, default_mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise AssertionError("mask and default_mask must have the same shape")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


# ---------------------------------------------------------------- functional interface
def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the (module, name) pairs together: `pruning_method` sees all their entries as one
    vector, and each tensor gets its slice of the resulting mask."""
    import ember
    parameters = list(parameters)
    if importance_scores is None:
        importance_scores = {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores, masks = [], []
    for module, name in parameters:
        scores.append(importance_scores.get((module, name), getattr(module, name)).detach()
                      .reshape(-1))
        masks.append(getattr(module, name + "_mask", ember.ones_like(getattr(module, name)))
                     .reshape(-1))
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final = container.compute_mask(ember.cat(scores), ember.cat(masks))
    start = 0
    for module, name in parameters:
        n = getattr(module, name).numel()
        custom_from_mask(module, name, final[start:start + n].reshape(getattr(module, name).shape))
        start += n


def remove(module, name):
    """Make the pruning of `module.<name>` permanent and drop its reparametrization."""
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     f"can be removed")


def is_pruned(module):
    """Whether any submodule of `module` carries a pruning hook."""
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False
