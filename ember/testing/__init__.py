"""`torch.testing`: `assert_close` (PyTorch's default tolerances per dtype and its mismatch
report) and `make_tensor`."""
import collections.abc
import math

import numpy as np

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype name, as PyTorch's defaults; other dtypes compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}


def _dtname(t):
    return str(t.dtype).replace("torch.", "")


def _fmt(v):
    return repr(v) if isinstance(v, float) else str(v)


class _Fail(AssertionError):
    pass


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless `actual` and `expected` (tensors, arrays, numbers, or
    sequences/mappings of them) are close: |a - e| <= atol + rtol * |e| elementwise."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, [], dict(rtol=rtol, atol=atol, equal_nan=equal_nan,
                                        check_device=check_device, check_dtype=check_dtype,
                                        check_stride=check_stride), msg)


def _where(path):
    return "" if not path else "\n\nThe failure occurred for item " + \
        "".join(f"[{p!r}]" for p in path)


def _compare(a, e, path, opts, msg):
    from ..tensor import Tensor
    tensorish = (Tensor, np.ndarray)
    if isinstance(a, tensorish) or isinstance(e, tensorish):
        if not (isinstance(a, tensorish) and isinstance(e, tensorish)):
            raise TypeError(f"No comparison pair was able to handle inputs of type {type(a)} "
                            f"and {type(e)}.")
        return _compare_tensors(a, e, path, opts, msg)
    if isinstance(a, collections.abc.Mapping) and isinstance(e, collections.abc.Mapping):
        if set(a) != set(e):
            raise AssertionError(f"The keys of the mappings do not match:\nMissing keys in the "
                                 f"actual mapping: {sorted(set(e) - set(a))}\nAdditional keys in "
                                 f"the actual mapping: {sorted(set(a) - set(e))}")
        for k in e:
            _compare(a[k], e[k], path + [k], opts, msg)
        return
    if isinstance(a, collections.abc.Sequence) and isinstance(e, collections.abc.Sequence) \
            and not isinstance(a, str) and not isinstance(e, str):
        if len(a) != len(e):
            raise AssertionError(f"The length of the sequences mismatch: {len(a)} != {len(e)}")
        for i, (x, y) in enumerate(zip(a, e)):
            _compare(x, y, path + [i], opts, msg)
        return
    if isinstance(a, (bool, int, float, complex)) and isinstance(e, (bool, int, float, complex)):
        if opts["check_dtype"] and type(a) is not type(e):
            raise AssertionError(f"The values for attribute 'dtype' do not match: {type(a)} != "
                                 f"{type(e)}.")
        return _compare_tensors(np.asarray(a), np.asarray(e), path, opts, msg, scalars=True)
    if a == e:
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(a)} and "
                    f"{type(e)}.")


def _compare_tensors(a, e, path, opts, msg, scalars=False):
    from ..tensor import Tensor
    if isinstance(a, Tensor) and isinstance(e, Tensor):
        for attr, va, ve in (("shape", a.shape, e.shape),
                             ("device", a.device, e.device) if opts["check_device"] else
                             (None, 0, 0),
                             ("dtype", a.dtype, e.dtype) if opts["check_dtype"] else
                             (None, 0, 0)):
            if attr is not None and va != ve:
                _raise(f"The values for attribute '{attr}' do not match: "
                       f"{_torch_str(va)} != {_torch_str(ve)}.", path, msg)
        if opts["check_stride"] and a.stride() != e.stride():
            _raise(f"The values for attribute 'stride()' do not match: {a.stride()} != "
                   f"{e.stride()}.", path, msg)
        names = (_dtname(a), _dtname(e))
        an, en = a.detach().cpu().numpy(), e.detach().cpu().numpy()
    else:
        an = a.detach().cpu().numpy() if isinstance(a, Tensor) else np.asarray(a)
        en = e.detach().cpu().numpy() if isinstance(e, Tensor) else np.asarray(e)
        if an.shape != en.shape:
            _raise(f"The values for attribute 'shape' do not match: {an.shape} != {en.shape}.",
                   path, msg)
        if opts["check_dtype"] and not scalars and an.dtype != en.dtype:
            _raise(f"The values for attribute 'dtype' do not match: {an.dtype} != {en.dtype}.",
                   path, msg)
        names = (str(an.dtype), str(en.dtype))
    rtol, atol = opts["rtol"], opts["atol"]
    if rtol is None:
        pairs = [_TOLERANCES.get(n, (0.0, 0.0)) for n in names]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    exact = rtol == 0 and atol == 0
    # differences in the inputs' common floating type (float32 for integers), as PyTorch
    wide = np.result_type(an.dtype, en.dtype)
    if wide.kind not in "fc" or wide.itemsize < 4:
        wide = np.dtype(np.float32)
    av, ev = an.astype(wide), en.astype(wide)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(av - ev)
        ok = diff <= atol + rtol * np.abs(ev)
        if opts["equal_nan"]:
            ok |= np.isnan(av) & np.isnan(ev)
        ok |= (av == ev)            # equal infinities
        if ok.all():
            return
        rel = diff / np.abs(ev)
    bad = ~ok
    n_bad, total = int(bad.sum()), ok.size
    diff_m = np.where(bad, diff, -np.inf) if diff.size else diff
    ia = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff_m), np.inf, diff_m))),
                          diff.shape) if diff.ndim else ()
    rel_m = np.where(bad, rel, -np.inf)
    ir = np.unravel_index(int(np.nanargmax(np.where(np.isnan(rel_m), np.inf, rel_m))),
                          rel.shape) if rel.ndim else ()
    integral = an.dtype.kind in "iub" and en.dtype.kind in "iub"
    abs_v = diff[ia] if diff.ndim else diff[()]
    abs_v = int(abs_v) if integral else float(abs_v)
    rel_v = float(rel[ir] if rel.ndim else rel[()])
    what = "Scalars" if scalars else "Tensor-likes"
    word = "equal" if exact else "close"
    if scalars:
        lines = [f"{what} are not {word}!", "",
                 f"Expected {_fmt(en.item())} but got {_fmt(an.item())}.",
                 f"Absolute difference: {_fmt(abs_v)}" + ("" if exact else
                                                          f" (up to {atol} allowed)"),
                 f"Relative difference: {_fmt(rel_v)}" + ("" if exact else
                                                          f" (up to {rtol} allowed)")]
    else:
        lines = [f"{what} are not {word}!", "",
                 f"Mismatched elements: {n_bad} / {total} ({100 * n_bad / total:.1f}%)",
                 f"Greatest absolute difference: {_fmt(abs_v)} at index {tuple(int(i) for i in ia)}"
                 + ("" if exact else f" (up to {atol} allowed)"),
                 f"Greatest relative difference: {_fmt(rel_v)} at index {tuple(int(i) for i in ir)}"
                 + ("" if exact else f" (up to {rtol} allowed)")]
    _raise("\n".join(lines), path, msg)


def _torch_str(v):
    from ..tensor import Size
    if isinstance(v, (tuple, Size)):
        return f"torch.Size({list(v)})"
    s = str(v)
    return s if s.startswith("torch.") or "dtype" not in type(v).__name__ else s


def _raise(text, path, msg):
    if msg is not None:
        text = msg(text) if callable(msg) else msg
        raise AssertionError(text)
    raise AssertionError(text + _where(path))


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of `shape` filled with values drawn uniformly from [low, high) (PyTorch's
    defaults: -9 and 9 for floating and signed types, 0 and 10 for unsigned)."""
    import ember
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, ember.Size)):
        shape = tuple(shape[0])
    dt = dtype
    if low is not None and high is not None and low > high:
        raise ValueError(f"`low` must be less than or equal to `high`, but got {low} > {high}")
    for v, name in ((low, "low"), (high, "high")):
        if v is not None and isinstance(v, float) and math.isnan(v):
            raise ValueError(f"`{name}` cannot be NaN, but got {name}=nan")
    if dt is ember.bool:
        t = ember.randint(0, 2, shape, device=device).to(ember.bool)
    elif dt.is_floating_point or dt.is_complex:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        real = ember.float64 if not dt.is_complex else ember.float64
        t = ember.rand(shape, dtype=real, device=device) * (hi - lo) + lo
        if dt.is_complex:
            t = ember.complex(t, ember.rand(shape, dtype=real, device=device) * (hi - lo) + lo)
        t = t.to(dt)
        if exclude_zero:
            eps = ember.finfo(dt if not dt.is_complex else ember.float32).tiny
            t = ember.where(t == 0, ember.full_like(t, eps), t)
    else:
        info = ember.iinfo(dt)
        lo = (0 if info.min == 0 else -9) if low is None else int(math.ceil(low))
        hi = 10 if high is None else int(math.floor(high)) + (0 if high == int(high) else 1)
        lo, hi = max(lo, info.min), min(hi, info.max)
        t = ember.randint(lo, max(hi, lo + 1), shape, dtype=dt, device=device)
        if exclude_zero:
            t = ember.where(t == 0, ember.ones_like(t), t)
    if noncontiguous and t.numel() > 1:
        t = ember.repeat_interleave(t, 2, dim=-1)[..., ::2]
    if requires_grad:
        t.requires_grad_(True)
    return t
