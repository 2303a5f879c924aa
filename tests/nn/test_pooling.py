"""Pooling: max/avg/adaptive/lp/fractional pools and max_unpool against PyTorch (values,
indices, gradients, first-max tie breaking, NaN), float64 gradchecks with double backward,
module reprs, errors."""
import numpy as np
import pytest

import ember
from tests.conformance.harness import check_op, gradcheck_op, torch, requires_torch

rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def F(lib):
    return lib.nn.functional


WINDOWS_2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 1), stride=1),
    dict(kernel_size=4, stride=3, ceil_mode=True),
]


@requires_torch
@pytest.mark.parametrize("kw", WINDOWS_2D + [dict(kernel_size=(2, 2), stride=1, padding=1,
                                                  dilation=2),
                                             dict(kernel_size=3, dilation=(1, 2))])
@pytest.mark.parametrize("relu", [False, True])
def test_max_pool2d(kw, relu):
    x = _x(2, 3, 9, 10)
    if relu:    # many tied zeros: the gradient must go to the first max as in PyTorch
        x = np.maximum(x, 0)
    check_op(lambda L, x: F(L).max_pool2d(x, return_indices=True, **kw), [x])


@requires_torch
def test_max_pool2d_lenet_shapes_and_unbatched():
    check_op(lambda L, x: F(L).max_pool2d(F(L).relu(x), 2), [_x(4, 10, 24, 24)])
    check_op(lambda L, x: F(L).max_pool2d(x, (2, 2)), [_x(3, 7, 7)])
    check_op(lambda L, x: F(L).max_pool2d(x, 2, return_indices=True), [_x(0, 2, 4, 4)])
    # more than 127 window positions: the winner index needs a wider integer type
    check_op(lambda L, x: F(L).max_pool2d(x, 12, 3, return_indices=True), [_x(2, 2, 18, 17)])
    check_op(lambda L, x: F(L).avg_pool2d(x, 12, 3), [_x(2, 2, 18, 17)])


@requires_torch
def test_max_pool_1d_3d():
    check_op(lambda L, x: F(L).max_pool1d(x, 3, 2, 1, return_indices=True), [_x(2, 3, 11)])
    check_op(lambda L, x: F(L).max_pool1d(x, 2, ceil_mode=True), [_x(3, 11)])
    check_op(lambda L, x: F(L).max_pool1d(x, 3, dilation=2), [_x(2, 3, 11)])
    check_op(lambda L, x: F(L).max_pool3d(x, 3, 2, 1, return_indices=True), [_x(2, 2, 5, 6, 7)])
    check_op(lambda L, x: F(L).max_pool3d(x, 2), [_x(2, 4, 4, 6)])


@requires_torch
def test_max_pool_special_values():
    x = _x(2, 2, 6, 6)
    x[0, 0, 0, 1] = np.nan      # two NaNs in one window: PyTorch reports the last one
    x[0, 0, 1, 0] = np.nan
    x[1, 1, 2:4, 2:4] = -np.inf
    check_op(lambda L, x: F(L).max_pool2d(x, 2, return_indices=True), [x], grad=False)
    check_op(lambda L, x: F(L).adaptive_max_pool2d(x, (4, 3), return_indices=True), [x],
             grad=False)
    xi = np.full((1, 1, 3, 4), -np.inf, np.float32)   # all -inf: first in-bounds element
    check_op(lambda L, x: F(L).max_pool2d(x, 3, 2, 1, return_indices=True), [xi], grad=False)
    xl = rng.integers(-10, 10, (2, 3, 7, 8))
    check_op(lambda L, x: F(L).max_pool2d(x, 3, 2, 1, return_indices=True), [xl], grad=False)
    check_op(lambda L, x: F(L).max_pool2d(x, 2), [x.astype(np.float64)], grad=False)


@requires_torch
@pytest.mark.parametrize("kw", WINDOWS_2D)
@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool2d(kw, cip):
    check_op(lambda L, x: F(L).avg_pool2d(x, count_include_pad=cip, **kw), [_x(2, 3, 9, 10)])


@requires_torch
def test_avg_pool_variants():
    check_op(lambda L, x: F(L).avg_pool2d(x, 3, 2, 1, divisor_override=5), [_x(2, 3, 8, 9)])
    check_op(lambda L, x: F(L).avg_pool2d(x, 2), [_x(3, 8, 9)])
    check_op(lambda L, x: F(L).avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
             [_x(2, 3, 10)])
    check_op(lambda L, x: F(L).avg_pool1d(x, 4), [_x(3, 10)])
    check_op(lambda L, x: F(L).avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
             [_x(2, 2, 5, 6, 7)])
    check_op(lambda L, x: F(L).avg_pool3d(x, 2, divisor_override=3), [_x(2, 2, 4, 4, 4)])
    xl = rng.integers(-10, 10, (2, 3, 7, 8))    # integer pools truncate
    check_op(lambda L, x: F(L).avg_pool2d(x, 3, 2, 1), [xl], grad=False)
    check_op(lambda L, x: F(L).avg_pool2d(x, 2), [_x(1, 2, 4, 4, dtype=np.float64)])


@requires_torch
def test_avg_pool_tiling_paths():
    # tiling windows: 2x2 (strided assignments backward), larger tiles (broadcast
    # backward), one window per plane (a reduction forward), inputs the tiles don't cover
    for x, k in [(_x(2, 3, 8, 6), 2), (_x(2, 3, 9, 7), 2), (_x(2, 3, 8, 8), 4),
                 (_x(2, 3, 9, 10), (4, 3)), (_x(2, 3, 7, 7), 7), (_x(2, 3, 9, 10), (5, 6)),
                 (_x(2, 3, 6, 6), (6, 6))]:
        check_op(lambda L, x: F(L).avg_pool2d(x, k), [x])
    check_op(lambda L, x: F(L).avg_pool3d(x, (3, 5, 4)), [_x(2, 2, 3, 5, 4)])
    check_op(lambda L, x: F(L).adaptive_avg_pool2d(x, (2, 2)), [_x(2, 3, 8, 8)])
    xl = rng.integers(-10, 10, (2, 3, 5, 5))
    check_op(lambda L, x: F(L).avg_pool2d(x, 5), [xl], grad=False)
    check_op(lambda L, x: F(L).avg_pool2d(x, 5), [_x(2, 3, 5, 5, dtype=np.float16)], grad=False,
             atol=1e-3)


@requires_torch
@pytest.mark.parametrize("size", [(3, 4), (1, 1), 1, (5, 5), (9, 10), (4, None), (2, 5),
                                  (7, 3), (18, 20)])
def test_adaptive_pool2d(size):
    x = _x(2, 3, 9, 10)
    check_op(lambda L, x: F(L).adaptive_avg_pool2d(x, size), [x])
    check_op(lambda L, x: F(L).adaptive_max_pool2d(x, size, return_indices=True), [x])


@requires_torch
def test_adaptive_pool_1d_3d():
    check_op(lambda L, x: F(L).adaptive_avg_pool1d(x, 4), [_x(2, 3, 10)])
    check_op(lambda L, x: F(L).adaptive_avg_pool1d(x, 1), [_x(3, 10)])
    check_op(lambda L, x: F(L).adaptive_max_pool1d(x, 4, True), [_x(2, 3, 10)])
    check_op(lambda L, x: F(L).adaptive_avg_pool3d(x, (2, 3, 4)), [_x(2, 2, 5, 6, 7)])
    check_op(lambda L, x: F(L).adaptive_avg_pool3d(x, 1), [_x(2, 2, 5, 6, 7)])
    check_op(lambda L, x: F(L).adaptive_max_pool3d(x, (2, 3, 4), True), [_x(2, 2, 5, 6, 7)])
    check_op(lambda L, x: F(L).adaptive_max_pool2d(x, 3), [_x(3, 7, 8)])


@requires_torch
def test_lp_pool():
    x = np.abs(_x(2, 3, 9, 10)) + 0.1
    check_op(lambda L, x: F(L).lp_pool2d(x, 2, 3, 2), [x])
    check_op(lambda L, x: F(L).lp_pool2d(x, 3, (2, 3), ceil_mode=True), [x])
    check_op(lambda L, x: F(L).lp_pool1d(x, 1.5, 3), [x[0]])
    check_op(lambda L, x: F(L).lp_pool3d(x, 2, 2), [np.abs(_x(1, 2, 4, 4, 4)) + 0.1])


@requires_torch
def test_max_unpool():
    def unpool2d(L, x):
        y, i = F(L).max_pool2d(x, 2, return_indices=True)
        return F(L).max_unpool2d(y, i, 2, output_size=x.shape[-2:])

    def unpool1d(L, x):
        y, i = F(L).max_pool1d(x, 3, 2, 1, return_indices=True)
        return F(L).max_unpool1d(y, i, 3, 2, 1, output_size=x.shape[-1:])

    def unpool3d(L, x):
        y, i = F(L).max_pool3d(x, 2, return_indices=True)
        return F(L).max_unpool3d(y, i, 2, output_size=x.shape[2:])
    check_op(unpool2d, [_x(2, 3, 9, 10)])
    check_op(unpool2d, [_x(3, 8, 8)])
    check_op(unpool1d, [_x(2, 3, 10)])
    check_op(unpool3d, [_x(2, 2, 5, 6, 7)])


@requires_torch
def test_fractional_max_pool():
    s = rng.random((2, 3, 2)).astype(np.float32)
    check_op(lambda L, x: F(L).fractional_max_pool2d(
        x, 3, output_size=(5, 4), return_indices=True, _random_samples=L.tensor(s)),
        [_x(2, 3, 9, 10)])
    check_op(lambda L, x: F(L).fractional_max_pool2d(
        x, (2, 3), output_ratio=(0.5, 0.5), _random_samples=L.tensor(s)), [_x(2, 3, 9, 10)])
    s3 = rng.random((2, 2, 3)).astype(np.float32)
    check_op(lambda L, x: F(L).fractional_max_pool3d(
        x, 2, output_ratio=0.5, return_indices=True, _random_samples=L.tensor(s3)),
        [_x(2, 2, 5, 6, 7)])


# ---------------------------------------------------------------- gradchecks (float64)
GRADCHECKS = {
    "max2": lambda L, x: F(L).max_pool2d(x, 2),
    "max3s2p1ceil": lambda L, x: F(L).max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "maxdil": lambda L, x: F(L).max_pool2d(x, 2, 1, 1, dilation=2),
    "max1d": lambda L, x: F(L).max_pool1d(x[0], 3, 2),
    "avg": lambda L, x: F(L).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg2": lambda L, x: F(L).avg_pool2d(x, 2),
    "avg_tile3": lambda L, x: F(L).avg_pool2d(x, 3),
    "avg_global": lambda L, x: F(L).avg_pool2d(x, (6, 7)),
    "avg_overlap": lambda L, x: F(L).avg_pool2d(x, 3, 1, 1),
    "adaptive_avg": lambda L, x: F(L).adaptive_avg_pool2d(x, (4, 3)),
    "adaptive_avg1": lambda L, x: F(L).adaptive_avg_pool2d(x, 1),
    "adaptive_max": lambda L, x: F(L).adaptive_max_pool2d(x, (4, 3)),
    "adaptive_max_div": lambda L, x: F(L).adaptive_max_pool2d(x, (3, 7)),
    "lp": lambda L, x: F(L).lp_pool2d(x.abs() + 0.5, 2, 2),
    "unpool": lambda L, x: F(L).max_unpool2d(*F(L).max_pool2d(x, 2, return_indices=True), 2,
                                             output_size=x.shape),
    "fractional": lambda L, x: F(L).fractional_max_pool2d(
        x, 2, output_size=(4, 4), _random_samples=L.tensor([[[0.3, 0.6]] * 2],
                                                           dtype=L.float64)),
}


@pytest.mark.parametrize("name", list(GRADCHECKS))
def test_gradcheck(name):
    gradcheck_op(GRADCHECKS[name], [_x(1, 2, 6, 7)], gradgrad=True)


def test_gradcheck_3d():
    gradcheck_op(lambda L, x: F(L).max_pool3d(x, 2, 1), [_x(1, 1, 3, 4, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: F(L).avg_pool3d(x, 2, 1, 1), [_x(1, 1, 3, 4, 3)], gradgrad=True)
    gradcheck_op(lambda L, x: F(L).adaptive_avg_pool3d(x, (2, 3, 2)), [_x(1, 1, 3, 4, 3)])


def test_grad_fn_names():
    x = ember.randn(1, 1, 4, 4, requires_grad=True)
    f = F(ember)
    assert f.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert f.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert f.adaptive_avg_pool2d(x, 1).grad_fn.name() == "MeanBackward1"
    assert f.adaptive_avg_pool2d(x, 3).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert f.adaptive_max_pool2d(x, 3).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    assert f.max_pool3d(x[None], 1).grad_fn.name() == "MaxPool3DWithIndicesBackward0"
    y, i = f.max_pool2d(x, 2, return_indices=True)
    assert i.dtype is ember.int64 and not i.requires_grad


# ---------------------------------------------------------------- modules
MODULES = [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=1, dilation=2, ceil_mode=True), (2, 3, 8, 9)),
    ("MaxPool1d", (3,), dict(stride=2), (2, 3, 9)),
    ("MaxPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", ((2, 3),), dict(stride=(1, 2), padding=1, ceil_mode=True,
                                 count_include_pad=False, divisor_override=2), (2, 3, 8, 9)),
    ("AvgPool1d", (3,), {}, (2, 3, 9)),
    ("AvgPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool2d", ((5, 7),), {}, (2, 3, 10, 9)),
    ("AdaptiveAvgPool2d", (5,), {}, (2, 3, 10, 9)),
    ("AdaptiveAvgPool2d", ((None, 7),), {}, (2, 3, 10, 9)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 4, 5, 4)),
    ("AdaptiveMaxPool2d", (3,), {}, (2, 3, 10, 9)),
    ("AdaptiveMaxPool1d", (2,), {}, (2, 3, 10)),
    ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 4, 5, 4)),
    ("LPPool2d", (2, 3), {}, (2, 3, 9, 9)),
    ("LPPool1d", (1.5, 3), dict(stride=2, ceil_mode=True), (2, 3, 10)),
]


@requires_torch
@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_module(name, args, kw, xs):
    mt = getattr(torch.nn, name)(*args, **kw)
    me = getattr(ember.nn, name)(*args, **kw)
    assert repr(me) == repr(mt)
    x = np.abs(_x(*xs)) + 0.1 if name.startswith("LP") else _x(*xs)
    check_op(lambda L, x: getattr(L.nn, name)(*args, **kw)(x), [x])


@requires_torch
def test_module_reprs_and_indices():
    cases = [("MaxPool2d", (2,), dict(return_indices=True)),
             ("MaxUnpool2d", (2,), {}), ("MaxUnpool1d", (2,), dict(stride=1, padding=1)),
             ("MaxUnpool3d", ((2, 2, 2),), {}), ("AdaptiveMaxPool2d", ((3, 4),),
                                                 dict(return_indices=True)),
             ("LPPool3d", (2, 2), {}), ("FractionalMaxPool2d", (3,), dict(output_size=5))]
    for name, args, kw in cases:
        assert repr(getattr(ember.nn, name)(*args, **kw)) == \
            repr(getattr(torch.nn, name)(*args, **kw))
    pool, unpool = ember.nn.MaxPool2d(2, return_indices=True), ember.nn.MaxUnpool2d(2)
    x = ember.randn(1, 1, 4, 4)
    y, i = pool(x)
    z = unpool(y, i)
    assert tuple(z.shape) == (1, 1, 4, 4)
    assert np.array_equal((z != 0).numpy(), (x == F(ember).max_pool2d(x, 2).repeat_interleave(
        2, -1).repeat_interleave(2, -2)).numpy())
    fm = ember.nn.FractionalMaxPool2d(2, output_ratio=0.5)
    assert tuple(fm(ember.randn(2, 3, 8, 10)).shape) == (2, 3, 4, 5)


# ---------------------------------------------------------------- errors
@requires_torch
def test_error_messages_match_torch():
    x4 = np.zeros((2, 3, 8, 8), np.float32)
    cases = [
        (lambda L, x: F(L).max_pool2d(x.sum(0).sum(0), 2), x4),
        (lambda L, x: F(L).max_pool2d(x, 2, padding=2), x4),
        (lambda L, x: F(L).max_pool2d(x, 9), x4),
        (lambda L, x: F(L).max_pool2d(x, 2, stride=0), x4),
        (lambda L, x: F(L).max_pool2d(x, 2, dilation=0), x4),
        (lambda L, x: F(L).max_pool2d(x, (2, 2, 2)), x4),
        (lambda L, x: F(L).max_pool2d(x[:, :0], 2), x4),
        (lambda L, x: F(L).max_pool2d(x, -1), x4),
        (lambda L, x: F(L).avg_pool2d(x, 2, padding=2), x4),
        (lambda L, x: F(L).avg_pool2d(x, 9), x4),
        (lambda L, x: F(L).avg_pool2d(x, 2, divisor_override=0), x4),
        (lambda L, x: F(L).avg_pool3d(x, 5), x4[None]),
        (lambda L, x: F(L).max_pool1d(x[0], 9), x4),
        (lambda L, x: F(L).max_pool1d(x[0], 2, padding=2), x4),
        (lambda L, x: F(L).max_pool1d(x.sum(0).sum(0).sum(0), 2), x4),
        (lambda L, x: F(L).avg_pool1d(x.sum(0).sum(0).sum(0), 2), x4),
        (lambda L, x: F(L).adaptive_avg_pool2d(x[:, :, :0], 2), x4),
        (lambda L, x: F(L).adaptive_max_pool2d(x[None], 2), x4),
        (lambda L, x: F(L).adaptive_avg_pool2d(x[None], 2), x4),
        (lambda L, x: F(L).adaptive_avg_pool1d(x, 2), x4),
        (lambda L, x: F(L).adaptive_avg_pool2d(x, -1), x4),
        (lambda L, x: F(L).max_unpool2d(x, x.long(), 2), x4 + 300),
        (lambda L, x: F(L).max_unpool2d(x, x.long()[:, :, 1:], 2), x4),
        (lambda L, x: F(L).max_unpool2d(x, x, 2), x4),
    ]
    for fn, x in cases:
        msgs = []
        for L in (ember, torch):
            with pytest.raises(Exception) as e:
                fn(L, L.tensor(x))
            msgs.append((type(e.value).__name__, str(e.value).split("\n")[0]))
        assert msgs[0] == msgs[1]


def test_error_dtypes():
    x = ember.randn(2, 3, 4, 4)
    with pytest.raises(NotImplementedError, match="\"max_pool2d\" not implemented for 'Bool'"):
        F(ember).max_pool2d(x > 0, 2)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F(ember).adaptive_max_pool2d(x.long(), 3)
    with pytest.raises(ValueError, match="invalid output_size"):
        y, i = F(ember).max_pool2d(x, 2, return_indices=True)
        F(ember).max_unpool2d(y, i, 2, output_size=(9, 9))
