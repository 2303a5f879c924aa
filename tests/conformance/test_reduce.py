"""Reductions against PyTorch: values, dtypes, shapes, gradients (ties and zeros included),
errors, and finite-difference gradchecks."""
import pickle

import numpy as np
import pytest

import ember

from .harness import check_op, gradcheck_op, requires_torch, torch

NAN, INF = float("nan"), float("inf")


def _f(rng, shape, dtype=np.float32):
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


def _ints(rng, shape, lo=0, hi=4, dtype=np.int64):
    return rng.integers(lo, hi, shape).astype(dtype)


def _dim_cases(ndim):
    """(dim, keepdim) combinations valid for a tensor of `ndim` dims."""
    dims = [None]
    if ndim == 0:
        dims += [0, -1]
    else:
        dims += [0, -1, tuple(range(ndim)), ()]
        if ndim >= 2:
            dims += [(0, -1), [1]]
    return [(d, k) for d in dims for k in (False, True)]


SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


def _call(fn, x, dim, keepdim, **kw):
    if dim is None:
        return fn(x, keepdim=keepdim, **kw) if keepdim else fn(x, **kw)
    return fn(x, dim, keepdim, **kw)


# ================================================================ sum / mean / nansum / nanmean
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", ["sum", "mean", "nansum", "nanmean"])
def test_sum_mean_dims(op, shape, rng):
    a = _f(rng, shape)
    if op.startswith("nan") and a.size > 2:
        a.reshape(-1)[[0, 2]] = NAN
    for dim, keepdim in _dim_cases(len(shape)):
        if dim is None and keepdim:
            continue
        check_op(lambda lib, x: _call(getattr(lib, op), x, dim, keepdim), [a])
    check_op(lambda lib, x: getattr(x, op)(), [a])


def test_half_precision(rng):
    a = _f(rng, (4, 5)).astype(np.float16)
    for fn in (lambda lib, x: lib.sum(x, 1), lambda lib, x: lib.mean(x),
               lambda lib, x: lib.var(x, 0), lambda lib, x: lib.std(x, 1, keepdim=True),
               lambda lib, x: lib.amax(x, 1), lambda lib, x: lib.max(x, 0)):
        check_op(fn, [a], grad=False, atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.uint8, np.int8, np.float64,
                                   np.float16])
def test_sum_dtypes(dtype, rng):
    a = _ints(rng, (3, 4), 0, 3).astype(dtype)
    check_op(lambda lib, x: lib.sum(x), [a], grad=False, atol=1e-2)
    check_op(lambda lib, x: x.sum(1, keepdim=True), [a], grad=False, atol=1e-2)
    check_op(lambda lib, x: lib.nansum(x, 0), [a], grad=False, atol=1e-2)
    check_op(lambda lib, x: lib.sum(x, dtype=lib.float64), [a], grad=False)
    check_op(lambda lib, x: lib.sum(x, 0, dtype=lib.int8), [a], grad=False)
    check_op(lambda lib, x: lib.cumsum(x, 1), [a], grad=False, atol=1e-2)


def test_sum_numpy_kwargs_and_names(rng):
    a = _f(rng, (3, 4))
    check_op(lambda lib, x: x.sum(axis=0), [a])
    check_op(lambda lib, x: x.mean(1, keepdims=True), [a])
    check_op(lambda lib, x: lib.amax(x, axis=1), [a])
    x = ember.tensor(a, requires_grad=True)
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.sum(0).grad_fn.name() == "SumBackward1"
    assert x.mean().grad_fn.name() == "MeanBackward0"
    assert x.mean((0, 1)).grad_fn.name() == "MeanBackward1"
    assert x.max().grad_fn.name() == "MaxBackward1"
    assert x.max(0).values.grad_fn.name() == "MaxBackward0"
    assert x.std().grad_fn.name() == "StdBackward0"
    assert x.norm().grad_fn.name() == "LinalgVectorNormBackward0"


def test_mean_dtype_rules(rng):
    i = _ints(rng, (3, 4))
    check_op(lambda lib, x: lib.mean(x, dtype=lib.float64), [i], grad=False)
    check_op(lambda lib, x: lib.mean(x, 1, True, dtype=lib.float32), [i], grad=False)
    check_op(lambda lib, x: lib.nanmean(x, dtype=lib.float64), [_f(rng, (3,))])
    for bad in (i, i.astype(np.bool_)):
        word = "Long" if bad.dtype == np.int64 else "Bool"
        with pytest.raises(RuntimeError, match=f"mean\\(\\): could not infer output dtype.*"
                                               f"Got: {word}"):
            ember.tensor(bad).mean()
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating "
                                           "point or complex dtype but got Long"):
        ember.nanmean(ember.tensor(i))


def test_sum_out_and_grad_dtype_error(rng):
    a = _f(rng, (3, 4))
    check_op(lambda lib, x: lib.sum(x, 1, out=lib.empty(0)), [a], grad=False)
    check_op(lambda lib, x: lib.mean(x, 0, out=lib.empty(4, dtype=lib.float64)), [a],
             grad=False)
    x = ember.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="Autograd not support dtype: Long"):
        ember.sum(x, dtype=ember.int64)


def test_empty_reductions():
    e = np.zeros((0, 3), np.float32)
    for fn in (lambda lib, x: lib.sum(x), lambda lib, x: lib.sum(x, 0),
               lambda lib, x: lib.sum(x, 1, keepdim=True), lambda lib, x: lib.mean(x),
               lambda lib, x: lib.mean(x, 0), lambda lib, x: lib.prod(x, 0),
               lambda lib, x: lib.prod(x), lambda lib, x: lib.logsumexp(x, 0),
               lambda lib, x: lib.amax(x, 1), lambda lib, x: lib.norm(x),
               lambda lib, x: lib.nansum(x, 1), lambda lib, x: lib.all(x),
               lambda lib, x: lib.any(x, 0), lambda lib, x: lib.count_nonzero(x, 0),
               lambda lib, x: lib.median(x), lambda lib, x: lib.cumsum(x, 0),
               lambda lib, x: lib.cummax(x, 1), lambda lib, x: lib.max(x, 1),
               lambda lib, x: lib.argmin(x, 1)):
        check_op(fn, [e])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        check_op(lambda lib, x: lib.var(x, 0, correction=0), [e])
        check_op(lambda lib, x: lib.std(x, 1), [e])


@pytest.mark.parametrize("op", ["sum", "mean", "prod", "amax", "logsumexp", "std", "cumsum",
                                "argmax", "all", "median", "norm"])
def test_dim_out_of_range(op):
    x = ember.zeros(2, 3)
    f = getattr(ember, op)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)"):
        f(x, 2) if op != "norm" else f(x, 2, 2)
    z = ember.tensor(1.0)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        f(z, 1) if op != "norm" else f(z, 2, 1)


def test_bad_dim_types_and_complex(rng):
    x = ember.zeros(2, 3)
    with pytest.raises(TypeError, match="must be tuple of ints, not float"):
        ember.sum(x, 0.5)
    with pytest.raises(TypeError, match="cumsum\\(\\): argument 'dim' \\(position 2\\) must be "
                                        "int, not tuple"):
        ember.cumsum(x, (0,))
    with pytest.raises(TypeError, match="median\\(\\): argument 'dim' \\(position 2\\) must be "
                                        "int, not float"):
        ember.median(x, 1.0)
    with pytest.raises(RuntimeError, match="nansum on CPU does not support complex inputs"):
        ember.nansum(x.to(ember.complex64))
    c = (_f(rng, (3, 4)) + 1j * _f(rng, (3, 4))).astype(np.complex64)
    for fn in (lambda lib, x: lib.sum(x, 1), lambda lib, x: lib.mean(x),
               lambda lib, x: lib.var(x, 0), lambda lib, x: lib.std(x),
               lambda lib, x: lib.prod(x, 1), lambda lib, x: lib.cumsum(x, 0),
               lambda lib, x: lib.norm(x), lambda lib, x: lib.norm(x, 1, 1)):
        check_op(fn, [c], grad=False)


def test_all_any_empty_dim_tuple_reduces_nothing(rng):
    a = _ints(rng, (3, 4), 0, 2)
    check_op(lambda lib, x: lib.all(x, ()), [a])
    check_op(lambda lib, x: lib.any(x, []), [a])
    check_op(lambda lib, x: lib.amax(x, ()), [a])


def test_duplicate_dims():
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        ember.sum(ember.zeros(2, 3), (0, -2))
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
        ember.amax(ember.zeros(2, 3), (1, 1))


@pytest.mark.parametrize("op", ["sum", "mean", "nansum", "nanmean"])
def test_sum_mean_gradcheck(op, rng):
    a = _f(rng, (3, 4), np.float64)
    gradcheck_op(lambda lib, x: getattr(lib, op)(x, 1), [a], gradgrad=True)
    gradcheck_op(lambda lib, x: getattr(lib, op)(x, (0, 1), keepdim=True), [a], gradgrad=True)


def test_nansum_nanmean_grad_skips_nan(rng):
    a = _f(rng, (3, 4))
    a[0, 1] = a[2, 2] = NAN
    check_op(lambda lib, x: lib.nansum(x, 1), [a])
    check_op(lambda lib, x: lib.nanmean(x, 0, keepdim=True), [a])
    check_op(lambda lib, x: lib.nanmean(x), [a])


# ================================================================ prod
@pytest.mark.parametrize("shape", SHAPES)
def test_prod(shape, rng):
    a = np.asarray(_f(rng, shape) + 0.5)
    check_op(lambda lib, x: lib.prod(x), [a])
    if shape:
        check_op(lambda lib, x: lib.prod(x, -1, keepdim=True), [a])
        check_op(lambda lib, x: x.prod(0), [a])
    else:
        check_op(lambda lib, x: lib.prod(x, 0), [a])


@pytest.mark.parametrize("zeros", [[], [1], [1, 6], [0, 4, 8, 11]])
def test_prod_cumprod_with_zeros(zeros, rng):
    a = _f(rng, (3, 4), np.float64)
    a.reshape(-1)[zeros] = 0
    for fn in (lambda lib, x: lib.prod(x), lambda lib, x: lib.prod(x, 1),
               lambda lib, x: lib.prod(x, 0, True), lambda lib, x: lib.cumprod(x, 1),
               lambda lib, x: lib.cumprod(x, 0), lambda lib, x: lib.cumprod(x, -1)):
        check_op(fn, [a])
        gradcheck_op(fn, [a], gradgrad=True)


def test_prod_dtypes_and_errors(rng):
    i = _ints(rng, (3, 4), 1, 4)
    check_op(lambda lib, x: lib.prod(x), [i])
    check_op(lambda lib, x: lib.prod(x, 1, dtype=lib.float32), [i])
    check_op(lambda lib, x: lib.prod(x.bool()), [i])
    check_op(lambda lib, x: lib.prod(x, dtype=lib.float64), [_f(rng, (3,))])
    check_op(lambda lib, x: lib.cumprod(x, 0), [i.astype(np.bool_)])
    with pytest.raises(TypeError, match="prod\\(\\) received an invalid combination"):
        ember.prod(ember.zeros(2, 3), (0,))


# ================================================================ std / var
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("op", ["std", "var"])
def test_std_var(op, shape, rng):
    a = _f(rng, shape)
    with pytest.warns(UserWarning) if shape == () else _nullcontext():
        check_op(lambda lib, x: getattr(lib, op)(x), [a])
    if len(shape) >= 1 and shape[0] > 1:
        calls = [lambda lib, x: getattr(x, op)(0), lambda lib, x: getattr(x, op)(0, False, True),
                 lambda lib, x: getattr(x, op)(True), lambda lib, x: getattr(x, op)(False),
                 lambda lib, x: getattr(lib, op)(x, unbiased=False),
                 lambda lib, x: getattr(lib, op)(x, correction=0),
                 lambda lib, x: getattr(lib, op)(x, None, correction=2),
                 lambda lib, x: getattr(lib, op)(x, dim=0, keepdim=True, correction=1.5),
                 lambda lib, x: getattr(lib, op)(x, -1, unbiased=False),
                 lambda lib, x: getattr(lib, op)(x, tuple(range(len(shape))))]
        for c in calls:
            check_op(c, [a])
        check_op(lambda lib, x: getattr(lib, op + "_mean")(x, 0, keepdim=True), [a])
        check_op(lambda lib, x: getattr(lib, op + "_mean")(x, correction=0), [a])


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_std_var_degenerate_and_errors(rng):
    a = _f(rng, (2, 3))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        check_op(lambda lib, x: lib.std(x, 0, correction=3), [a], grad=False)
    # a constant slice: std is 0 and PyTorch masks its gradient to 0
    c = np.ones((2, 3), np.float32)
    check_op(lambda lib, x: lib.std(x, 1), [c])
    with pytest.raises(RuntimeError, match="std and var only support floating point and "
                                           "complex dtypes"):
        ember.var(ember.tensor([1, 2]))
    check_op(lambda lib, x: lib.var(x.to(lib.complex64), 0), [a], grad=False)


@pytest.mark.parametrize("op", ["std", "var"])
def test_std_var_gradcheck(op, rng):
    a = _f(rng, (3, 4), np.float64)
    gradcheck_op(lambda lib, x: getattr(lib, op)(x), [a], gradgrad=True)
    gradcheck_op(lambda lib, x: getattr(lib, op)(x, 1, keepdim=True, correction=0), [a],
                 gradgrad=True)
    gradcheck_op(lambda lib, x: getattr(lib, op + "_mean")(x, 0), [a], gradgrad=True)


# ================================================================ max / min / amax / amin
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min(op, shape, rng):
    a = _f(rng, shape)
    check_op(lambda lib, x: getattr(lib, op)(x), [a])
    dims = [0, -1] + ([1] if len(shape) >= 2 else [])
    for d in dims:
        for k in (False, True):
            check_op(lambda lib, x: getattr(lib, op)(x, d, k), [a])
            check_op(lambda lib, x: getattr(x, op)(dim=d, keepdim=k), [a])


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_extrema_ties_and_nan(op, rng):
    """Ties: max(dim)/argmax take the first occurrence; amax/max() share the gradient."""
    a = _ints(rng, (4, 6), 0, 3).astype(np.float32)
    f = lambda lib, x, *args: getattr(lib, op)(x, *args)  # noqa: E731
    check_op(lambda lib, x: f(lib, x), [a])
    check_op(lambda lib, x: f(lib, x, 1), [a])
    check_op(lambda lib, x: f(lib, x, 0, True), [a])
    a[1, 2] = a[1, 4] = a[3, 0] = NAN
    check_op(lambda lib, x: f(lib, x, 1), [a])
    check_op(lambda lib, x: f(lib, x), [a])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_extrema_int_bool(dtype, rng):
    a = _ints(rng, (3, 5), 0, 3).astype(dtype)
    for op in ("max", "min"):
        check_op(lambda lib, x: getattr(lib, op)(x), [a])
        check_op(lambda lib, x: getattr(lib, op)(x, 1), [a])
    for op in ("amax", "amin"):
        check_op(lambda lib, x: getattr(lib, op)(x, (0, 1)), [a])
    check_op(lambda lib, x: lib.aminmax(x, dim=0), [a])
    if dtype != np.bool_:
        check_op(lambda lib, x: lib.argmax(x, 1), [a])
        check_op(lambda lib, x: lib.argmin(x), [a])
    else:
        with pytest.raises(RuntimeError, match="argmax\\(\\): does not support bool input"):
            ember.argmax(ember.tensor(a))


@pytest.mark.parametrize("shape", SHAPES)
def test_amax_amin_aminmax(shape, rng):
    a = _f(rng, shape)
    for dim, keepdim in _dim_cases(len(shape)):
        if dim is None:
            continue
        check_op(lambda lib, x: lib.amax(x, dim, keepdim), [a])
        check_op(lambda lib, x: lib.amin(x, dim=dim, keepdim=keepdim), [a])
    check_op(lambda lib, x: lib.aminmax(x), [a])
    check_op(lambda lib, x: x.aminmax(dim=-1, keepdim=True), [a])
    check_op(lambda lib, x: lib.amax(x), [a])


@pytest.mark.parametrize("shape", SHAPES)
def test_argmax_argmin(shape, rng):
    a = _f(rng, shape)
    for op in ("argmax", "argmin"):
        check_op(lambda lib, x: getattr(lib, op)(x), [a])
        check_op(lambda lib, x: getattr(lib, op)(x, keepdim=True), [a])
        check_op(lambda lib, x: getattr(lib, op)(x, -1), [a])
        check_op(lambda lib, x: getattr(x, op)(0, keepdim=True), [a])


def test_extrema_empty_errors():
    e = ember.zeros(0, 3)
    with pytest.raises(RuntimeError, match="max\\(\\): Expected reduction dim to be specified "
                                           "for input.numel\\(\\) == 0. Specify the reduction "
                                           "dim with the 'dim' argument."):
        ember.max(e)
    with pytest.raises(IndexError, match="min\\(\\): Expected reduction dim 0 to have non-zero "
                                         "size."):
        ember.min(e, 0)
    with pytest.raises(RuntimeError, match="amax\\(\\): Expected reduction dim to be specified"):
        ember.amax(e)
    with pytest.raises(IndexError, match="amin\\(\\): Expected reduction dim 0 to have "
                                         "non-zero size."):
        ember.amin(e, (0, 1))
    with pytest.raises(IndexError, match="argmax\\(\\): Expected reduction dim to be specified "
                                         "for input.numel\\(\\) == 0."):
        ember.argmax(e)
    with pytest.raises(RuntimeError, match="aminmax\\(\\): cannot compute aminmax over an empty "
                                           "dimension as the operation has no identity."):
        ember.aminmax(e)
    with pytest.raises(IndexError, match="aminmax: Expected reduction dim 0 to have non-zero"):
        ember.aminmax(e, dim=0)
    with pytest.raises(TypeError, match="must be int, not tuple"):
        ember.aminmax(e, dim=(0, 1))


def test_max_with_tensor_and_return_type(rng):
    a, b = _f(rng, (3, 4)), _f(rng, (4,))
    check_op(lambda lib, x, y: lib.max(x, y), [a, b])
    check_op(lambda lib, x, y: x.min(y), [a, b])
    r = ember.max(ember.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    assert isinstance(r, tuple) and len(r) == 2
    v, i = r
    assert v is r.values and i is r.indices and r[0] is v
    assert type(r).__name__ == "max"
    assert repr(r).startswith("torch.return_types.max(\nvalues=tensor(")
    assert "\nindices=tensor([1, 1]))" in repr(r)
    r2 = pickle.loads(pickle.dumps(r))
    assert type(r2) is type(r) and r2.indices.tolist() == [1, 1]
    from ember.return_types import make_return_type
    assert make_return_type("max") is type(r)
    assert make_return_type("sort_out")._fields == ("values", "indices")
    with pytest.raises(ValueError, match="already defined"):
        make_return_type("max", ("a", "b"))
    assert ember.aminmax(ember.tensor([1.0, 3.0]))._fields == ("min", "max")


def test_max_out(rng):
    a = _f(rng, (3, 4))
    check_op(lambda lib, x: lib.max(x, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.long))),
             [a], grad=False)
    check_op(lambda lib, x: lib.amax(x, 0, out=lib.empty(0)), [a], grad=False)
    x = ember.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.max(x, 1, out=(ember.empty(0), ember.empty(0, dtype=ember.long)))


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin", "aminmax", "argmax"])
def test_extrema_gradcheck(op, rng):
    a = rng.permutation(12).reshape(3, 4).astype(np.float64) + rng.random((3, 4)) * 0.1
    calls = {"max": [lambda lib, x: lib.max(x), lambda lib, x: lib.max(x, 1)[0]],
             "min": [lambda lib, x: lib.min(x), lambda lib, x: lib.min(x, 0, True).values],
             "amax": [lambda lib, x: lib.amax(x, (0, 1)), lambda lib, x: lib.amax(x, 1)],
             "amin": [lambda lib, x: lib.amin(x, -1, True)],
             "aminmax": [lambda lib, x: lib.aminmax(x, dim=1)],
             "argmax": [lambda lib, x: lib.max(x, -1).values * 2]}[op]
    for c in calls:
        gradcheck_op(c, [a], gradgrad=True)


# ================================================================ all / any / count_nonzero
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int64, np.float32])
def test_all_any(dtype, rng):
    a = _ints(rng, (3, 4), 0, 2).astype(dtype)
    a[0] = 1
    for op in ("all", "any"):
        check_op(lambda lib, x: getattr(lib, op)(x), [a], grad=False)
        check_op(lambda lib, x: getattr(lib, op)(x, 1), [a], grad=False)
        check_op(lambda lib, x: getattr(x, op)(0, keepdim=True), [a], grad=False)
        check_op(lambda lib, x: getattr(lib, op)(x, (0, 1)), [a], grad=False)
    check_op(lambda lib, x: lib.count_nonzero(x), [a])
    check_op(lambda lib, x: lib.count_nonzero(x, 1), [a])
    check_op(lambda lib, x: x.count_nonzero((0, -1)), [a])
    check_op(lambda lib, x: lib.count_nonzero(x, ()), [a])


# ================================================================ norm
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 1.5, 0, INF, -INF, -1, "fro", None])
def test_norm(p, rng):
    a = _f(rng, (3, 4))
    check_op(lambda lib, x: lib.norm(x, p), [a])
    check_op(lambda lib, x: lib.norm(x, p, 1), [a])
    check_op(lambda lib, x: x.norm(p, (0, 1), keepdim=True), [a])
    check_op(lambda lib, x: lib.norm(x, p, -1, dtype=lib.float64), [a])
    z = np.zeros((2, 3), np.float32)
    z[1] = _f(rng, (3,))
    z[1, 0] = 0
    check_op(lambda lib, x: lib.norm(x, p, 1), [z])
    if p not in (0, "fro", None):
        gradcheck_op(lambda lib, x: lib.norm(x, p, 1), [a.astype(np.float64)], gradgrad=True)
    else:
        gradcheck_op(lambda lib, x: lib.norm(x, p, 0), [a.astype(np.float64)], gradgrad=p != 0)


def test_norm_matrix_and_errors(rng):
    a = _f(rng, (3, 4))
    b = _f(rng, (2, 3, 4))
    check_op(lambda lib, x: lib.norm(x, "nuc"), [a], atol=1e-4)
    check_op(lambda lib, x: lib.norm(x, "nuc", (0, 2), keepdim=True), [b], atol=1e-4)
    check_op(lambda lib, x: lib.norm(x, "fro", (0, 2)), [b])
    check_op(lambda lib, x: lib.norm(x), [np.zeros((0, 3), np.float32)])
    gradcheck_op(lambda lib, x: lib.norm(x, "nuc"), [a.astype(np.float64)])
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or "
                                           "complex tensor as input. Got Long"):
        ember.norm(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="dtype should be floating point or complex, but got "
                                           "Long"):
        ember.norm(ember.tensor(a), 2, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 "
                                           "2"):
        ember.norm(ember.tensor(b), "nuc")
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order foo not supported."):
        ember.norm(ember.tensor(a), "foo")
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        ember.norm(ember.zeros(0, 3), INF)


# ================================================================ logsumexp
@pytest.mark.parametrize("shape", SHAPES)
def test_logsumexp(shape, rng):
    a = np.asarray(_f(rng, shape) * 3)
    for dim, keepdim in _dim_cases(len(shape)):
        if dim is None or dim == ():
            continue
        check_op(lambda lib, x: lib.logsumexp(x, dim, keepdim), [a])
    gradcheck_op(lambda lib, x: lib.logsumexp(x, -1 if shape else 0), [a.astype(np.float64)],
                 gradgrad=True)


def test_logsumexp_stable_and_ints():
    big = np.array([[1000.0, 1000.0, -INF], [-INF, -INF, -INF], [INF, 1.0, 2.0]], np.float32)
    check_op(lambda lib, x: lib.logsumexp(x, 1), [big], grad=False)
    check_op(lambda lib, x: lib.logsumexp(x, 1), [np.array([[88.0, 89.0, 87.5]], np.float32)])
    check_op(lambda lib, x: lib.logsumexp(x, 0), [np.array([[1, 2], [3, 4]])])
    check_op(lambda lib, x: lib.logsumexp(x, 1), [np.array([[True, False]])])


# ================================================================ cumulative ops
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"])
def test_cumulative(op, shape, rng):
    a = _f(rng, shape)
    for d in ([0, -1] + ([1] if len(shape) >= 2 else [])):
        check_op(lambda lib, x: getattr(lib, op)(x, d), [a])
    check_op(lambda lib, x: getattr(x, op)(dim=0), [a])
    if op in ("cummax", "cummin"):
        b = rng.permutation(np.arange(a.size, dtype=np.float64)).reshape(shape)
        gradcheck_op(lambda lib, x: getattr(lib, op)(x, 0)[0], [b], gradgrad=True)
    else:
        gradcheck_op(lambda lib, x: getattr(lib, op)(x, -1 if shape else 0),
                     [a.astype(np.float64)], gradgrad=True)


def test_cumulative_dtypes_ties_nan(rng):
    i = _ints(rng, (3, 6), 0, 3)
    for dt in (np.int64, np.int32, np.uint8, np.bool_):
        check_op(lambda lib, x: lib.cumsum(x, 1), [i.astype(dt)])
        check_op(lambda lib, x: lib.cumprod(x, 0), [i.astype(dt)])
        check_op(lambda lib, x: lib.cummax(x, 1), [i.astype(dt)])
        check_op(lambda lib, x: lib.cummin(x, 0), [i.astype(dt)])
    check_op(lambda lib, x: lib.cumsum(x, 1, dtype=lib.float32), [i])
    check_op(lambda lib, x: lib.cumsum(x, 0, dtype=lib.float64), [_f(rng, (3, 2))])
    t = i.astype(np.float32)   # ties: the latest equal element takes the index
    check_op(lambda lib, x: lib.cummax(x, 1), [t])
    check_op(lambda lib, x: lib.cummin(x, 1), [t])
    t[0, 2] = t[1, 0] = t[1, 4] = NAN
    for op in ("cummax", "cummin", "cumsum", "logcumsumexp"):
        check_op(lambda lib, x: getattr(lib, op)(x, 1), [t])
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented "
                                                  "for 'Long'"):
        ember.logcumsumexp(ember.tensor(i), 0)


def test_logcumsumexp_stable(rng):
    a = np.array([[1000.0, 999.0, -INF, 1001.0], [-INF, -INF, 0.0, -3.0]], np.float32)
    check_op(lambda lib, x: lib.logcumsumexp(x, 1), [a], grad=False)
    b = _f(rng, (2, 5)) * 30
    check_op(lambda lib, x: lib.logcumsumexp(x, 1), [b], rtol=1e-3)


def test_cumulative_inplace_and_out(rng):
    a = _f(rng, (3, 4))

    def f(lib, x):
        y = x.clone()
        y.cumsum_(1)
        z = x.clone()
        z.cumprod_(0)
        return y, z
    check_op(f, [a])
    check_op(lambda lib, x: lib.cumsum(x, 0, out=lib.empty(0)), [a], grad=False)
    i = ember.tensor([1, 2, 3], dtype=ember.int32)
    i.cumsum_(0)
    assert i.dtype is ember.int32 and i.tolist() == [1, 3, 6]


# ================================================================ median / nanmedian / mode
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", ["median", "nanmedian", "mode"])
def test_median_mode(op, shape, rng):
    a = _f(rng, shape)
    if op != "mode":
        check_op(lambda lib, x: getattr(lib, op)(x), [a])
    for d in [0, -1] + ([1] if len(shape) >= 2 else []):
        for k in (False, True):
            check_op(lambda lib, x: getattr(lib, op)(x, d, k), [a])
    if op == "mode":
        check_op(lambda lib, x: lib.mode(x), [a])


@pytest.mark.parametrize("n", [1, 2, 5, 9, 16, 17, 40, 101])
def test_median_mode_tie_indices(n, rng):
    """The index PyTorch picks among equal values (also with NaN) is reproduced."""
    a = _ints(rng, (6, n), 0, 4).astype(np.float32)
    check_op(lambda lib, x: lib.median(x, 1), [a], grad=False)
    check_op(lambda lib, x: lib.nanmedian(x, 1), [a], grad=False)
    check_op(lambda lib, x: lib.mode(x, 1), [a], grad=False)
    check_op(lambda lib, x: lib.mode(x, 0), [a.T.copy()], grad=False)
    a[rng.random(a.shape) < 0.3] = NAN
    a[0] = NAN
    check_op(lambda lib, x: lib.median(x, 1), [a], grad=False)
    check_op(lambda lib, x: lib.nanmedian(x, 1), [a], grad=False)
    check_op(lambda lib, x: lib.median(x), [a], grad=False)
    check_op(lambda lib, x: lib.nanmedian(x), [a], grad=False)
    i = _ints(rng, (5, n), 0, 3)
    check_op(lambda lib, x: lib.median(x, 1), [i])
    check_op(lambda lib, x: lib.mode(x, 1), [i])
    check_op(lambda lib, x: lib.median(x), [i])
    check_op(lambda lib, x: lib.mode(x), [i.astype(np.bool_)])


def test_median_mode_grads_with_ties(rng):
    a = _ints(rng, (3, 7), 0, 3).astype(np.float32)
    check_op(lambda lib, x: lib.median(x), [a])           # ties share the gradient
    check_op(lambda lib, x: lib.nanmedian(x), [a])
    check_op(lambda lib, x: lib.median(x, 1), [a])        # the chosen index gets it
    check_op(lambda lib, x: lib.mode(x, 1), [a])
    b = rng.permutation(21).reshape(3, 7).astype(np.float64)
    gradcheck_op(lambda lib, x: lib.median(x, 1)[0], [b], gradgrad=True)
    gradcheck_op(lambda lib, x: lib.median(x), [b], gradgrad=True)
    gradcheck_op(lambda lib, x: lib.nanmedian(x, 0, True).values, [b], gradgrad=True)
    gradcheck_op(lambda lib, x: lib.mode(x, 1).values, [b], gradgrad=True)


def test_median_mode_empty_and_out(rng):
    check_op(lambda lib, x: lib.median(x), [np.zeros((0, 3), np.float32)], grad=False)
    check_op(lambda lib, x: lib.median(x, 0), [np.zeros((3, 0), np.float32)], grad=False)
    with pytest.raises(IndexError, match="median\\(\\): Expected reduction dim 0 to have "
                                         "non-zero size."):
        ember.median(ember.zeros(0, 3), 0)
    with pytest.raises(IndexError, match="mode\\(\\): Expected reduction dim 1 to have "
                                         "non-zero size."):
        ember.mode(ember.zeros(3, 0))
    a = _f(rng, (3, 4))
    check_op(lambda lib, x: lib.median(x, 1, out=(lib.empty(0), lib.empty(0, dtype=lib.long))),
             [a], grad=False)


# ================================================================ quantile / nanquantile
@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("op", ["quantile", "nanquantile"])
def test_quantile(op, interp, rng):
    a = _f(rng, (3, 5))
    q = np.array([0.0, 0.25, 0.5, 0.8, 1.0], np.float32)
    for qq in (0.3, 0.5, q):
        for dim, keepdim in ((None, False), (None, True), (1, False), (0, True), (-1, True)):
            if isinstance(qq, np.ndarray):
                check_op(lambda lib, x, qt: getattr(lib, op)(x, qt, dim, keepdim,
                                                             interpolation=interp), [a, qq])
            else:
                check_op(lambda lib, x: getattr(lib, op)(x, qq, dim, keepdim,
                                                         interpolation=interp), [a])
    a[0, 1] = a[2, 0] = a[2, 3] = NAN
    a[1, :] = NAN
    check_op(lambda lib, x, qt: getattr(lib, op)(x, qt, 1, interpolation=interp), [a, q])
    check_op(lambda lib, x: getattr(x, op)(0.4, interpolation=interp), [a])


def test_quantile_shapes_and_grad(rng):
    check_op(lambda lib, x: lib.quantile(x, 0.3), [np.array(2.5, np.float32)])
    check_op(lambda lib, x: lib.quantile(x, 0.3, 0), [np.array(2.5, np.float32)])
    check_op(lambda lib, x, q: lib.quantile(x, q), [_f(rng, (4,)), np.array(0.3, np.float32)])
    check_op(lambda lib, x: lib.quantile(x, 0.7, 2, True), [_f(rng, (2, 3, 4), np.float64)])
    b = rng.permutation(20).reshape(4, 5).astype(np.float64)
    for interp in ("linear", "midpoint", "nearest"):
        gradcheck_op(lambda lib, x: lib.quantile(x, lib.tensor([0.1, 0.55], dtype=lib.float64),
                                                 1, interpolation=interp), [b], gradgrad=True)
    gradcheck_op(lambda lib, x: lib.nanquantile(x, 0.35), [b], gradgrad=True)


def test_quantile_errors(rng):
    x = ember.tensor(_f(rng, (3, 4)))
    with pytest.raises(RuntimeError, match="quantile\\(\\) q must be in the range \\[0, 1\\] "
                                           "but got 1.5"):
        ember.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match="q values must be in the range \\[0, 1\\]"):
        ember.quantile(x, ember.tensor([0.5, -0.1]))
    with pytest.raises(RuntimeError, match="q must be a scalar or 1D tensor"):
        ember.quantile(x, ember.tensor([[0.5]]))
    with pytest.raises(RuntimeError, match="q tensor must be same dtype as the input tensor"):
        ember.quantile(x, ember.tensor([0.5], dtype=ember.float64))
    with pytest.raises(RuntimeError, match="input tensor must be either float or double dtype"):
        ember.quantile(ember.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match="input tensor must be non-empty"):
        ember.quantile(ember.zeros(0, 3), 0.5, dim=1)
    with pytest.raises(RuntimeError, match="interpolation must be one of linear, lower, higher, "
                                           "midpoint or nearest, but got foo"):
        ember.nanquantile(x, 0.5, interpolation="foo")


# ================================================================ diff
def test_diff(rng):
    a = _f(rng, (3, 5))
    for n in (0, 1, 2, 4, 6):
        check_op(lambda lib, x: lib.diff(x, n), [a])
        check_op(lambda lib, x: lib.diff(x, n, 0), [a])
    p, q = _f(rng, (3, 2)), _f(rng, (3, 1))
    check_op(lambda lib, x, y, z: lib.diff(x, 2, -1, y, z), [a, p, q])
    check_op(lambda lib, x, y: x.diff(dim=0, append=y), [a, _f(rng, (1, 5))])
    for dt in (np.int64, np.bool_, np.uint8):
        check_op(lambda lib, x: lib.diff(x, 1, 0), [_ints(rng, (4, 3), 0, 3).astype(dt)])
    check_op(lambda lib, x, y: lib.diff(x, prepend=y), [_ints(rng, (2, 3)),
                                                        np.zeros((2, 1), np.float32)])
    gradcheck_op(lambda lib, x, y: lib.diff(x, 2, 1, prepend=y), [a.astype(np.float64),
                                                                  p.astype(np.float64)],
                 gradgrad=True)
    with pytest.raises(RuntimeError, match="diff expects input to be at least one-dimensional"):
        ember.diff(ember.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative but got -1"):
        ember.diff(ember.tensor(a), -1)
    with pytest.raises(RuntimeError, match="diff expects prepend or append to be the same "
                                           "dimension as input"):
        ember.diff(ember.tensor(a), prepend=ember.zeros(3))


# ================================================================ histc / bincount
def test_histc(rng):
    a = _f(rng, (50,))
    for args in ((), (7,), (5, -1.0, 1.0), (4, 0.0, 0.0), (3, 0.2, 0.2)):
        check_op(lambda lib, x: lib.histc(x, *args), [a], grad=False)
    check_op(lambda lib, x: x.histc(bins=6, min=-2, max=3), [a.astype(np.float64)], grad=False)
    check_op(lambda lib, x: lib.histc(x, 3), [np.ones(4, np.float32)], grad=False)
    check_op(lambda lib, x: lib.histc(x, 3), [np.zeros(0, np.float32)], grad=False)
    x = ember.tensor(a)
    with pytest.raises(RuntimeError, match="torch.histogram\\(\\): bins must be > 0, but got 0 "
                                           "for dimension 0"):
        ember.histc(x, 0)
    with pytest.raises(RuntimeError, match="torch.histc: max must be larger than min"):
        ember.histc(x, 4, 3, 1)
    with pytest.raises(RuntimeError, match="torch.histc: range of \\[1, inf\\] is not finite"):
        ember.histc(ember.tensor([1.0, INF]), 3)
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for "
                                                  "'Long'"):
        ember.histc(ember.tensor([1, 2]))


def test_bincount(rng):
    i = _ints(rng, (20,), 0, 6)
    w32 = _f(rng, (20,))
    check_op(lambda lib, x: lib.bincount(x), [i])
    check_op(lambda lib, x: x.bincount(minlength=10), [i])
    check_op(lambda lib, x, w: lib.bincount(x, w), [i, w32], grad=False)
    check_op(lambda lib, x, w: lib.bincount(x, w, 3), [i, w32.astype(np.float64)], grad=False)
    check_op(lambda lib, x, w: lib.bincount(x, w), [i, _ints(rng, (20,))])
    check_op(lambda lib, x: lib.bincount(x), [i.astype(np.uint8)])
    check_op(lambda lib, x: lib.bincount(x, minlength=3), [np.zeros(0, np.int64)])
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral "
                                           "inputs."):
        ember.bincount(ember.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="bincount only supports 1-d"):
        ember.bincount(ember.tensor([[1]]))
    with pytest.raises(RuntimeError, match="minlength should be >= 0"):
        ember.bincount(ember.tensor([1]), minlength=-1)
    with pytest.raises(RuntimeError, match="weights should be 1-d and have the same length as "
                                           "input"):
        ember.bincount(ember.tensor([1, 2]), ember.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="\"bincount_cpu\" not implemented for "
                                                  "'Float'"):
        ember.bincount(ember.tensor([1.0]))


@requires_torch
def test_tensor_methods_exist():
    names = ["sum", "nansum", "mean", "nanmean", "prod", "std", "var", "max", "min", "amax",
             "amin", "aminmax", "argmax", "argmin", "all", "any", "norm", "logsumexp", "cumsum",
             "cumsum_", "cumprod", "cumprod_", "cummax", "cummin", "logcumsumexp", "median",
             "nanmedian", "mode", "quantile", "nanquantile", "count_nonzero", "diff", "histc",
             "bincount"]
    for n in names:
        assert hasattr(torch.Tensor, n) and hasattr(ember.Tensor, n), n


@pytest.mark.parametrize("fn", [lambda lib, t: t.prod(), lambda lib, t: t.prod(1),
                                lambda lib, t: t.cumprod(1), lambda lib, t: t.cumprod(0)])
@pytest.mark.parametrize("with_zero", [False, True])
def test_complex_prod_cumprod_gradients(fn, with_zero):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(np.complex128)
    if with_zero:
        x[1, 2] = 0
    check_op(lambda lib, t: fn(lib, t), [x], atol=1e-10, rtol=1e-8)
