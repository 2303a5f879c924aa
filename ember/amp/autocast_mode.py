"""Autocast: PyTorch's automatic mixed precision on ember.

Inside `with ember.autocast(device_type):` some ops run in a lower precision (bfloat16 on
CPU, float16 on CUDA by default), some in float32, and some in the widest type of their
inputs, following PyTorch's per-device op lists (`_CPU_POLICY`, `_CUDA_POLICY` below, taken
from PyTorch's "Autocast Op Reference" and its registration lists).

How it is wired, and why it costs ~nothing outside autocast:

* The state (enabled flag and dtype per device type, the cast cache, the nesting depth) is
  thread-local, as in PyTorch.
* `_active` is a one-element list counting the (thread, device type) pairs that have autocast
  switched on anywhere in the process. A listed op starts with `if _active[0]:` (one list
  subscript, a few nanoseconds) and only then calls `maybe_cast(op_name, *args)`, which reads
  the thread-local state and returns the arguments cast as the op's policy says.
* Casts go through `Tensor.to`'s differentiable copy (`ToCopyBackward0`), so the gradient of a
  float32 parameter used by a bfloat16 op comes back float32, as in PyTorch.
* The weight cache: a float32 leaf that requires grad (a parameter) is cast to the lower
  precision once per outermost autocast region and reused, when `cache_enabled`.
"""
import functools
import threading
import warnings

from .. import dtypes as _dt

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available",
           "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
           "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
           "maybe_cast"]

# ---------------------------------------------------------------- device types
# PyTorch's device-type names (its parser's error lists them in this order).
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
# Device types autocast knows, with their default lower-precision dtype.
_DEFAULT_DTYPE = {"cpu": _dt.bfloat16, "cuda": _dt.float16, "xpu": _dt.float16,
                  "hpu": _dt.bfloat16, "mps": _dt.float16, "xla": _dt.bfloat16,
                  "ipu": _dt.float16, "mtia": _dt.float16, "maia": _dt.bfloat16,
                  "privateuseone": _dt.float16}


def _device_type(device_type, fn_name=None):
    """'cuda:0' -> 'cuda'; PyTorch's errors for unknown names and non-autocast devices."""
    if not isinstance(device_type, str):
        if fn_name is None:
            raise TypeError(f"expected a device type string, got {type(device_type).__name__}")
        raise TypeError(f"{fn_name}(): argument 'device_type' (position 1) must be str, not "
                        f"{type(device_type).__name__}")
    typ = device_type.split(":", 1)[0]
    if typ not in _DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of "
                           f"device string: {device_type}")
    return typ


def _autocast_type(device_type, fn_name=None, what="dispatch_key"):
    typ = _device_type(device_type, fn_name)
    if typ not in _DEFAULT_DTYPE:
        if what == "dtype":
            raise RuntimeError("unsupported scalarType")
        raise RuntimeError("unknown device type for autocast in "
                           "get_autocast_dispatch_key_from_device_type")
    return typ


def is_autocast_available(device_type):
    """Whether autocast has a mode for `device_type` ('cpu', 'cuda', 'cuda:0', 'mps', ...)."""
    return _device_type(device_type) in _DEFAULT_DTYPE


# ---------------------------------------------------------------- thread-local state
class _State(threading.local):
    def __init__(self):
        self.enabled = {}                      # device type -> bool (absent: False)
        self.dtype = dict(_DEFAULT_DTYPE)      # device type -> lower-precision dtype
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}                        # id(param) -> (param, its cast)


_state = _State()
# Process-wide count of enabled (thread, device type) pairs: the ops' one fast check.
_active = [0]
_active_lock = threading.Lock()


def _check_bool(fn_name, value, pos):
    if value.__class__ is not bool:
        raise TypeError(f"{fn_name}(): argument 'enabled' (position {pos}) must be bool, not "
                        f"{type(value).__name__}")


def _check_dtype(fn_name, value, pos, arg="dtype"):
    if value.__class__ is not _dt.dtype:
        raise TypeError(f"{fn_name}(): argument '{arg}' (position {pos}) must be torch.dtype, "
                        f"not {type(value).__name__}")


def _set_enabled(typ, enabled):
    st = _state
    if st.enabled.get(typ, False) != enabled:
        with _active_lock:
            _active[0] += 1 if enabled else -1
    st.enabled[typ] = enabled


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for `device_type` in this thread (no argument: CUDA's)."""
    if device_type is None:
        return _state.enabled.get("cuda", False)
    return _state.enabled.get(_autocast_type(device_type, "is_autocast_enabled"), False)


def set_autocast_enabled(*args):
    """set_autocast_enabled(device_type, enabled), or set_autocast_enabled(enabled) for CUDA."""
    if len(args) == 1:
        _check_bool("set_autocast_enabled", args[0], 1)
        _set_enabled("cuda", args[0])
        return
    if len(args) != 2:
        raise TypeError(f"set_autocast_enabled() received an invalid combination of arguments - "
                        f"got {len(args)} arguments, but expected one of:\n"
                        " * (str device_type, bool enabled)\n * (bool enabled)")
    typ = _autocast_type(args[0], "set_autocast_enabled")
    _check_bool("set_autocast_enabled", args[1], 2)
    _set_enabled(typ, args[1])


def get_autocast_dtype(device_type):
    """The lower-precision dtype autocast uses on `device_type` in this thread."""
    return _state.dtype[_autocast_type(device_type, "get_autocast_dtype", "dtype")]


def set_autocast_dtype(device_type, dtype):
    typ = _autocast_type(device_type, "set_autocast_dtype", "dtype")
    _check_dtype("set_autocast_dtype", dtype, 2)
    _state.dtype[typ] = dtype


def is_autocast_cache_enabled():
    return _state.cache_enabled


def set_autocast_cache_enabled(enabled):
    if enabled.__class__ is not bool:
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    _state.cache_enabled = enabled


def clear_autocast_cache():
    _state.cache.clear()


def autocast_increment_nesting():
    _state.nesting += 1
    return _state.nesting


def autocast_decrement_nesting():
    _state.nesting -= 1
    return _state.nesting


# Deprecated per-device spellings PyTorch still has (each warns as PyTorch does).
def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def _legacy(dev, name):
    def is_enabled():
        _deprecated(f"is_autocast_{name}_enabled()", f"is_autocast_enabled('{dev}')")
        return _state.enabled.get(dev, False)

    def set_enabled(enabled):
        _deprecated(f"set_autocast_{name}_enabled(enabled)",
                    f"set_autocast_enabled('{dev}', enabled)")
        _check_bool(f"set_autocast_{name}_enabled", enabled, 1)
        _set_enabled(dev, enabled)

    def get_dtype():
        _deprecated(f"get_autocast_{name}_dtype()", f"get_autocast_dtype('{dev}')")
        return _state.dtype[dev]

    def set_dtype(dtype):
        if dtype.__class__ is not _dt.dtype:
            raise TypeError(f"dtype must be a torch.dtype (got {type(dtype).__name__})")
        _deprecated(f"set_autocast_{name}_dtype(dtype)", f"set_autocast_dtype('{dev}', dtype)")
        _state.dtype[dev] = dtype

    out = {}
    for f, n in ((is_enabled, f"is_autocast_{name}_enabled"),
                 (set_enabled, f"set_autocast_{name}_enabled"),
                 (get_dtype, f"get_autocast_{name}_dtype"),
                 (set_dtype, f"set_autocast_{name}_dtype")):
        f.__name__ = f.__qualname__ = n
        out[n] = f
    return out


# torch.is_autocast_cpu_enabled & co.; PyTorch has no is/set_autocast_gpu_enabled
# (CUDA's are the one-argument is_autocast_enabled/set_autocast_enabled).
_LEGACY = {**_legacy("cpu", "cpu"), **_legacy("ipu", "ipu"), **_legacy("xla", "xla")}
_gpu = _legacy("cuda", "gpu")
_LEGACY.update(get_autocast_gpu_dtype=_gpu["get_autocast_gpu_dtype"],
               set_autocast_gpu_dtype=_gpu["set_autocast_gpu_dtype"])
del _gpu


# ---------------------------------------------------------------- the op lists
LOWER, FP32, PROMOTE, BANNED = "lower_precision_fp", "fp32", "promote", "banned"


def _table(**lists):
    return {op: policy for policy, ops in lists.items() for op in ops.split()}


# CPU (PyTorch's AutocastCPU registrations). Names are PyTorch's op names; ember's entry
# points pass the name of the op they implement. `einsum` is not registered on CPU, but
# PyTorch's einsum runs through bmm, which is, so its result is lower precision as well.
_CPU_POLICY = _table(
    lower_precision_fp="""conv1d conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d
        conv_transpose3d bmm mm linalg_vecdot baddbmm addmm addbmm linear matmul prelu
        scaled_dot_product_attention _native_multi_head_attention mkldnn_rnn_layer einsum""",
    fp32="""avg_pool3d binary_cross_entropy grid_sampler polar prod quantile nanquantile stft
        cdist trace view_as_complex cholesky cholesky_inverse cholesky_solve inverse lu_solve
        orgqr ormqr pinverse max_pool3d max_unpool2d max_unpool3d adaptive_avg_pool3d
        reflection_pad1d reflection_pad2d replication_pad1d replication_pad2d
        replication_pad3d mse_loss cosine_embedding_loss nll_loss nll_loss2d
        hinge_embedding_loss poisson_nll_loss smooth_l1_loss cross_entropy_loss l1_loss
        huber_loss margin_ranking_loss soft_margin_loss triplet_margin_loss multi_margin_loss
        ctc_loss kl_div multilabel_margin_loss binary_cross_entropy_with_logits fft_fft
        fft_ifft fft_fft2 fft_ifft2 fft_fftn fft_ifftn fft_rfft fft_irfft fft_rfft2 fft_irfft2
        fft_rfftn fft_irfftn fft_hfft fft_ihfft linalg_cond linalg_matrix_rank linalg_solve
        linalg_cholesky linalg_svdvals linalg_eigvals linalg_eigvalsh linalg_inv
        linalg_householder_product linalg_tensorinv linalg_tensorsolve geqrf qr svd
        triangular_solve fractional_max_pool2d fractional_max_pool3d adaptive_max_pool3d
        linalg_qr linalg_cholesky_ex linalg_svd linalg_eig linalg_eigh linalg_lstsq
        linalg_inv_ex""",
    promote="stack cat index_copy",
)

# CUDA (PyTorch's AutocastCUDA registrations). The fp32 list includes the ops PyTorch runs
# with an output dtype of float32 (softmax, sum, cumsum, norm, ...): for them the ember
# entry point only asks when the caller gave no explicit dtype. `cross_entropy_loss` is not
# registered, but PyTorch's is log_softmax + nll_loss, both float32 there; ember's is fused.
_CUDA_POLICY = _table(
    lower_precision_fp="""conv1d conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d
        conv_transpose3d prelu addmm addmv addr matmul einsum mm mv linalg_vecdot linear
        addbmm baddbmm bmm chain_matmul linalg_multi_dot lstm_cell gru_cell rnn_tanh_cell
        rnn_relu_cell scaled_dot_product_attention""",
    fp32="""acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan pow
        softplus layer_norm group_norm frobenius_norm nuclear_norm cosine_similarity
        poisson_nll_loss cosine_embedding_loss nll_loss nll_loss2d hinge_embedding_loss kl_div
        l1_loss smooth_l1_loss huber_loss mse_loss margin_ranking_loss multilabel_margin_loss
        soft_margin_loss triplet_margin_loss multi_margin_loss
        binary_cross_entropy_with_logits dist pdist cdist renorm logsumexp upsample_nearest1d
        upsample_nearest2d upsample_nearest3d _upsample_nearest_exact1d
        _upsample_nearest_exact2d _upsample_nearest_exact3d upsample_linear1d
        upsample_bilinear2d _upsample_bilinear2d_aa upsample_trilinear3d upsample_bicubic2d
        _upsample_bicubic2d_aa prod softmax log_softmax cumprod cumsum linalg_vector_norm
        linalg_matrix_norm sum norm cross_entropy_loss""",
    promote="""addcdiv addcmul atan2 bilinear cross dot vdot grid_sampler index_put tensordot
        scatter_add""",
    banned="binary_cross_entropy",
)

_POLICIES = {"cpu": _CPU_POLICY, "cuda": _CUDA_POLICY}

_BCE_BANNED = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_"
    "logits\nor torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and "
    "BCEWithLogits are\nsafe to autocast.")


# ---------------------------------------------------------------- the cast the ops call
_Tensor = _to = _grad_enabled = None


def _bind():
    """Tensor, the differentiable cast and the grad-mode flag, imported on first use (ops
    import this module)."""
    global _Tensor, _to, _grad_enabled
    from ..tensor import Tensor
    from ..ops.convert import _to as to
    from ..autograd.grad_mode import _enabled
    _Tensor, _to, _grad_enabled = Tensor, to, _enabled


def _first_device_type(args):
    for a in args:
        if isinstance(a, _Tensor):
            return a._device.type
        if isinstance(a, (list, tuple)):
            for t in a:
                if isinstance(t, _Tensor):
                    return t._device.type
    return None


def _eligible(t, typ):
    """PyTorch's is_eligible: a floating tensor of the autocast device that is not float64."""
    d = t.dtype
    return d.is_floating_point and d is not _dt.float64 and t._device.type == typ


def _promote_type(args, typ, lower):
    """The widest floating type among the eligible tensors (float64 ignored, as PyTorch)."""
    out = lower
    for a in args:
        for t in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(t, _Tensor) and _eligible(t, typ):
                d = t.dtype
                if out is _dt.float32 or d is _dt.float32:
                    out = _dt.float32
                elif d is not lower:
                    raise RuntimeError("Unexpected floating ScalarType in "
                                       "at::autocast::prioritize")
    return out


def _cast_one(t, to, typ, st, lower):
    if not isinstance(t, _Tensor) or not _eligible(t, typ) or t.dtype is to:
        return t
    if (to is lower and st.cache_enabled and t.dtype is _dt.float32 and t._requires_grad
            and t.grad_fn is None and t._base is None and _grad_enabled[0]):
        # a parameter: cast once per autocast region. (Unlike PyTorch, not under no_grad: a
        # cast cached there has no graph, and reusing it later in the region with grad on
        # would silently cut the parameter's gradient.)
        hit = st.cache.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        r = _to(t, to, t._device, False)
        st.cache[id(t)] = (t, r)
        return r
    return _to(t, to, t._device, False)


def maybe_cast(op, *args):
    """`args` as op `op` (PyTorch's name) sees them under this thread's autocast state.

    Call only when `_active[0]` is set. Tensors are cast per the op's policy for the device
    type of the first tensor argument; lists/tuples of tensors (cat, stack) are cast
    element-wise; everything else passes through. Returns a tuple as long as `args`."""
    if _Tensor is None:
        _bind()
    typ = _first_device_type(args)
    st = _state
    if typ is None or not st.enabled.get(typ, False):
        return args
    policy = _POLICIES.get(typ, _CUDA_POLICY).get(op)   # (other devices share CUDA's lists)
    if policy is None:
        return args
    lower = st.dtype[typ]
    if policy is LOWER:
        to = lower
    elif policy is FP32:
        to = _dt.float32
    elif policy is PROMOTE:
        to = _promote_type(args, typ, lower)
    else:
        raise RuntimeError(_BCE_BANNED)
    out = []
    for a in args:
        if isinstance(a, (list, tuple)) and a and isinstance(a[0], _Tensor):
            a = type(a)(_cast_one(t, to, typ, st, lower) for t in a)
        else:
            a = _cast_one(a, to, typ, st, lower)
        out.append(a)
    return tuple(out)


# ---------------------------------------------------------------- autocast
def _bf16_usable():
    return _dt.bfloat16.np is not None


class autocast:
    """Context manager and decorator running the region's ops in mixed precision.

    `autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`: `device_type` is
    'cpu' or 'cuda' (PyTorch's other device types are accepted and only hold state);
    `dtype` defaults to `get_autocast_dtype(device_type)` (bfloat16 on CPU, float16 on
    CUDA). CUDA requested where CUDA is unavailable warns and disables itself, as does a
    dtype other than float16/bfloat16 on CPU. bfloat16 needs the optional `ml_dtypes`
    package."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None \
            else cache_enabled
        if enabled:
            if device_type == "cuda":
                from .. import cuda
                if not cuda.is_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                                  "autocast.", stacklevel=2)
                    enabled = False
                elif self.fast_dtype is _dt.bfloat16 and not _bf16_usable():
                    raise RuntimeError("Current CUDA Device does not support bfloat16. Please "
                                       "switch dtype to float16.")
            elif self.fast_dtype not in (_dt.bfloat16, _dt.float16):
                name = device_type.upper()
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. "
                              f"Disabling autocast.\n{name} Autocast only supports dtypes of "
                              "torch.bfloat16, torch.float16 currently.", stacklevel=2)
                enabled = False
            elif self.fast_dtype is _dt.bfloat16 and not _bf16_usable():
                # ember-specific: NumPy has no bfloat16 without ml_dtypes
                raise RuntimeError(f"{device_type.upper()} autocast to torch.bfloat16 needs the "
                                   "optional 'ml_dtypes' package: pip install ml_dtypes (or "
                                   "pass dtype=torch.float16)")
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        set_autocast_enabled(self.device, self._enabled)
        set_autocast_dtype(self.device, self.fast_dtype)
        autocast_increment_nesting()
        set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        # the cache lives as long as the outermost autocast region
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                "Did you mean to use autocast as a context manager? For example:\n"
                "    with torch.autocast(device_type=...):\n"
                "        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


# ---------------------------------------------------------------- custom autograd functions
def _cast(value, device_type, dtype):
    """Cast the eligible floating tensors in `value` (nested lists/tuples/dicts) to dtype."""
    if _Tensor is None:
        _bind()
    if isinstance(value, _Tensor):
        ok = (value.dtype.is_floating_point and value._device.type == device_type
              and value.dtype is not _dt.float64)
        return value.to(dtype) if ok else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom Function's `forward`: with `cast_inputs`, inside an autocast
    region, floating inputs are cast to it and forward runs with autocast off; without, forward
    runs under the current autocast state. Pair with `custom_bwd`."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom Function's `backward`: runs it under the autocast state its
    forward (decorated with `custom_fwd`) saw."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd


class _Suspended:
    """Turns this thread's autocast off for a block (see `suspended`)."""
    __slots__ = ("saved",)

    def __enter__(self):
        st = _state
        self.saved = [t for t, on in st.enabled.items() if on]
        for t in self.saved:
            _set_enabled(t, False)

    def __exit__(self, *exc):
        for t in self.saved:
            _set_enabled(t, True)
        return False


class _Nothing:
    __slots__ = ()

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        return False


_NOTHING = _Nothing()


def suspended():
    """A context that runs its block with this thread's autocast off: for in-place variants
    (`addmm_`), which PyTorch does not autocast but ember builds on the out-of-place op."""
    return _Suspended() if _active[0] else _NOTHING
