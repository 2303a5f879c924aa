"""Stochastic Weight Averaging and EMA: `AveragedModel`, `SWALR`, `update_bn`."""
import importlib
import itertools
import math
import warnings
from copy import deepcopy

from .. import dtypes as _dt
from ..tensor import Tensor
from ..autograd import grad_mode
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param
from . import _kernels as K

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _is_float(t):
    return t.dtype.is_floating_point or t.dtype.is_complex


def _assign(dst, src):
    """dst.copy_(src) on the arrays (casting, moving across devices if needed)."""
    a = src._data if isinstance(src, Tensor) else src
    if dst._device != getattr(src, "_device", dst._device):
        a = src.to(dst._device)._data
    dst._data[...] = a
    dst._vc[0] += 1


def get_ema_multi_avg_fn(decay=0.999):
    """In-place EMA over lists of tensors: ema ← lerp(ema, current, 1 − decay)."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    @grad_mode.no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if _is_float(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                a = p_ema._data
                K.lerp_(K.xp_for(a), K.view(a), K.view(p_model._data), 1 - decay)
                p_ema._vc[0] += 1
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                _assign(p_ema, p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """In-place running mean over lists of tensors: avg ← avg + (cur − avg)/(n + 1)."""
    @grad_mode.no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged
        if _is_float(averaged_param_list[0]):
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                a = p_avg._data
                K.lerp_(K.xp_for(a), K.view(a), K.view(p_model._data), 1 / (n + 1))
                p_avg._vc[0] += 1
        elif isinstance(num_averaged, Tensor):
            # PyTorch's foreach path has no integer form.
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
        else:
            raise RuntimeError("For integral input tensors, argument alpha must not be a "
                               "floating point number.")
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """EMA as a function of tensors: decay · ema + (1 − decay) · current."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    @grad_mode.no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """The running mean as a function of tensors."""
    @grad_mode.no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _swa_mean_(p_avg, p_model, n_averaged):
    """The CPU default of AveragedModel: avg + (cur − avg) / (n + 1), computed like the
    tensor expression (the divisor is an integer tensor, so the result keeps avg's dtype)."""
    a = K.view(p_avg._data)
    xp = K.xp_for(a)
    diff = xp.subtract(K.view(p_model._data), a)
    if a.dtype.kind in "fc":
        xp.divide(diff, a.dtype.type(n_averaged + 1), out=diff)
        xp.add(a, diff, out=a)
    else:
        # Integer / integer is true division into the default float dtype; copy_ truncates.
        fdt = _dt.get_default_dtype().np
        q = diff.astype(fdt)
        xp.divide(q, fdt.type(n_averaged + 1), out=q)
        a[...] = xp.add(a.astype(fdt), q).astype(a.dtype)
    p_avg._vc[0] += 1


class AveragedModel(Module):
    """A copy of `model` whose parameters (and buffers with `use_buffers=True`) track the
    average of `model`'s over `update_parameters` calls: SWA by default, EMA or any rule via
    `avg_fn(avg, current, n)` / `multi_avg_fn(avg_list, current_list, n)`."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        from ..ops import creation
        self.register_buffer("n_averaged", creation.tensor(0, dtype=_dt.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold `model`'s current parameters into the average."""
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param, model_param = self.parameters(), model.parameters()
        n = self.n_averaged.item()
        averaged, current = [], []
        for p_avg, p_model in zip(self_param, model_param):
            p_model_ = p_model.detach()
            if p_model_._device != p_avg._device:
                p_model_ = p_model_.to(p_avg.device)
            averaged.append(p_avg.detach())
            current.append(p_model_)
            if n == 0:
                _assign(p_avg, p_model_)
        if n > 0:
            with grad_mode.no_grad():
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(averaged, current, self.n_averaged)
                elif self.avg_fn is None:
                    for p_avg, p_model in zip(averaged, current):
                        _swa_mean_(p_avg, p_model, n)
                else:
                    for p_avg, p_model in zip(averaged, current):
                        _assign(p_avg, self.avg_fn(p_avg, p_model, self.n_averaged))
        if not self.use_buffers:
            # Buffers (e.g. BatchNorm statistics) are copied, not averaged.
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                _assign(b_swa, b_model.detach())
        self.n_averaged._data[...] = n + 1
        self.n_averaged._vc[0] += 1


def _batchnorm_base():
    """nn's `_BatchNorm` (PyTorch keeps it in nn/modules/batchnorm.py), or None without one."""
    for name in ("batchnorm", "normalization"):
        try:
            mod = importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.nn.modules.{name}")
        except ImportError:
            continue
        base = getattr(mod, "_BatchNorm", None)
        if base is not None:
            return base
    return None


@grad_mode.no_grad()
def update_bn(loader, model, device=None):
    """Recompute BatchNorm running statistics with one pass over `loader` (cumulative
    averages: momentum None), e.g. after SWA changed the weights."""
    momenta = {}
    base = _batchnorm_base()
    for module in model.modules():
        if base is not None and isinstance(module, base):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for inp in loader:
        if isinstance(inp, (list, tuple)):
            inp = inp[0]
        if device is not None:
            inp = inp.to(device)
        model(inp)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to `swa_lr` over `anneal_epochs` (cos or linear), then holds."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # Recover the lr before annealing from the current one, then take the next point.
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else \
            self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
