"""Creation ops against PyTorch: ranges, eye, empty_strided, full, complex/polar, x.new_*."""
import warnings

import numpy as np
import pytest

import ember
from ember.ops import creation
from .harness import check_op, gradcheck_op, requires_torch, torch


def _same(fn, **kw):
    """fn(lib) for ember and torch: same shape, dtype and values."""
    check_op(lambda lib: fn(lib), [], grad=False, **kw)


def _raises(fn, exc, match):
    """ember raises what torch raises (checked against torch when it is installed)."""
    if torch is not None:
        with pytest.raises(exc, match=match):
            fn(torch)
    with pytest.raises(exc, match=match):
        fn(ember)


@pytest.fixture
def torch_default_dtype():
    """Lets a test change torch's default dtype too, restoring it afterwards."""
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    d = torch.get_default_dtype()
    yield
    torch.set_default_dtype(d)


# ---------------------------------------------------------------- arange / range
ARANGE_CASES = [
    (5,), (5.,), (0,), (1, 5), (1, 5, 2), (1, 4, 0.5), (0, 1, 0.1), (0, -5, -1), (10, 0, -3),
    (-2.5, 3.0), (1.5, -1.0, -0.25), (0, 2 ** 40, 2 ** 37), (5, 5), (True,), (0.5, 2.5, 0.7),
]


@requires_torch
@pytest.mark.parametrize("args", ARANGE_CASES)
def test_arange_inferred_dtype(args):
    _same(lambda lib: lib.arange(*args), atol=0, rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "float64", "float32",
                                   "float16"])
@pytest.mark.parametrize("args", [(7,), (-2.5, 3), (0.5, 3), (-1, 3), (0, 5, 1.5), (3, -3, -2)])
def test_arange_dtype(args, dtype):
    _same(lambda lib: lib.arange(*args, dtype=getattr(lib, dtype)), atol=0, rtol=1e-3)


@requires_torch
def test_arange_tensor_and_numpy_bounds():
    _same(lambda lib: lib.arange(lib.tensor(3)))
    _same(lambda lib: lib.arange(lib.tensor(3.5, dtype=lib.float64)))
    _same(lambda lib: lib.arange(lib.tensor(1, dtype=lib.int32), lib.tensor(7), 2))
    _same(lambda lib: lib.arange(np.float32(3)))
    _same(lambda lib: lib.arange(np.int32(3)))
    _same(lambda lib: lib.arange(end=4))
    _same(lambda lib: lib.arange(start=1, end=4, step=2))


def test_arange_out_and_requires_grad():
    out = ember.zeros(2)
    r = ember.arange(1, 4, out=out)
    assert r is out and out.dtype is ember.float32 and out.tolist() == [1., 2., 3.]
    x = ember.arange(3., requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="floating point and complex dtype"):
        ember.arange(3, requires_grad=True)


def test_arange_errors():
    _raises(lambda lib: lib.arange(0, 5, 0), RuntimeError, "step must be nonzero")
    _raises(lambda lib: lib.arange(0, 2.5, float("nan")), RuntimeError, "step must be nonzero")
    _raises(lambda lib: lib.arange(0, 5, 0.5, dtype=lib.int64), ValueError,
            "step must be nonzero")
    _raises(lambda lib: lib.arange(0, 5, -1), RuntimeError,
            "upper bound and lower bound inconsistent with step sign")
    _raises(lambda lib: lib.arange(5, 0), RuntimeError, "inconsistent with step sign")
    _raises(lambda lib: lib.arange(0, float("inf")), RuntimeError, r"unsupported range: 0 -> inf")
    _raises(lambda lib: lib.arange(float("-inf"), 2.5), RuntimeError,
            r"unsupported range: -inf -> 2.5")
    _raises(lambda lib: lib.arange(3, dtype=lib.bool), NotImplementedError,
            "\"arange_cpu\" not implemented for 'Bool'")
    _raises(lambda lib: lib.arange(3, dtype=lib.complex64), NotImplementedError,
            "'ComplexFloat'")
    _raises(lambda lib: lib.arange(lib.tensor([3])), TypeError,
            r"argument 'end' \(position 1\) must be Number, not Tensor")


@requires_torch
@pytest.mark.parametrize("args", [(1, 4), (1, 4, 0.5), (4, 1, -1), (0, 1, 0.3), (-3, 3, 2)])
@pytest.mark.parametrize("dtype", [None, "int64", "float64"])
def test_range_inclusive(args, dtype):
    if dtype == "int64" and abs(args[-1]) < 1:
        pytest.skip("PyTorch divides by the truncated step and crashes (SIGFPE)")
    kw = {} if dtype is None else {"dtype": dtype}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(lambda lib: lib.range(*args, **{k: getattr(lib, v) for k, v in kw.items()}))


def test_range_warns_and_checks():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        assert ember.range(1, 3).tolist() == [1., 2., 3.]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises(lambda lib: lib.range(4, 1), RuntimeError, "inconsistent with step sign")
        _raises(lambda lib: lib.range(1, 4, 0), RuntimeError, "step must be nonzero")


# ---------------------------------------------------------------- linspace / logspace
LINSPACE_CASES = [(0, 10, 5), (0, 1, 1), (0, 1, 0), (-1, 1, 100), (3, -2.5, 7), (0.1, 0.9, 9),
                  (1e-3, 1e3, 11), (0, 1 + 1j, 3), (-2, 2j, 4)]


@requires_torch
@pytest.mark.parametrize("args", LINSPACE_CASES)
def test_linspace(args):
    _same(lambda lib: lib.linspace(*args), atol=1e-6, rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float64", "float16",
                                   "complex128"])
@pytest.mark.parametrize("args", [(0, 10, 4), (0.5, 10.5, 5), (2, 9, 8), (0, 100, 33)])
def test_linspace_dtype(args, dtype):
    _same(lambda lib: lib.linspace(*args, dtype=getattr(lib, dtype)), atol=1e-6, rtol=1e-3)


@requires_torch
def test_linspace_tensor_bounds_and_steps():
    _same(lambda lib: lib.linspace(lib.tensor(0.), lib.tensor(1.), 3))
    _same(lambda lib: lib.linspace(0, 1, lib.tensor(3)))
    _same(lambda lib: lib.linspace(start=-1, end=1, steps=5))


@requires_torch
@pytest.mark.parametrize("args", [(-7, 11, 11), (-16, 0, 3), (2.7, 9.9, 3), (-5, -12.54, 1),
                                  (18.58, -12.28, 10), (0, 1000, 37), (3, -6.0, 0)])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_linspace_integer_truncation_exact(args, dtype):
    """Integer results truncate values PyTorch computes with a fused multiply-add."""
    def fn(lib):
        return lib.linspace(*args, dtype=getattr(lib, dtype))
    try:
        fn(torch)
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match="without overflow"):
            fn(ember)
        assert "without overflow" in str(e)
        return
    _same(fn, atol=0, rtol=0)


@requires_torch
def test_linspace_logspace_exact_float():
    _same(lambda lib: lib.linspace(-3.3, 41.7, 77), atol=0, rtol=0)
    _same(lambda lib: lib.linspace(-1, 1, 7, dtype=lib.float64), atol=0, rtol=0)
    _same(lambda lib: lib.logspace(-1.8, 3.8, 11, dtype=lib.int16), atol=0, rtol=0)
    _same(lambda lib: lib.logspace(1.6, -0.1, 1, dtype=lib.int32), atol=0, rtol=0)


def test_linspace_errors():
    _raises(lambda lib: lib.linspace(-0.5, 0, 3, dtype=lib.uint8), RuntimeError,
            "value cannot be converted to type uint8_t without overflow")
    _raises(lambda lib: lib.linspace(0, 1e10, 3, dtype=lib.int32), RuntimeError,
            "value cannot be converted to type int without overflow")
    _raises(lambda lib: lib.linspace(0, float("nan"), 3, dtype=lib.int64), RuntimeError,
            "value cannot be converted to type int64_t without overflow")
    _raises(lambda lib: lib.linspace(0, 1, -1), RuntimeError,
            "number of steps must be non-negative")
    _raises(lambda lib: lib.linspace(0, 1, 3.0), TypeError, "float")
    _raises(lambda lib: lib.linspace(lib.tensor([0.]), lib.tensor(1.), 3), RuntimeError,
            r"linspace only supports 0-dimensional start and end tensors, but got start with "
            r"1 dimension\(s\) and end with 0 dimension\(s\)\.")
    _raises(lambda lib: lib.linspace(0, 10, 5, dtype=lib.bool), NotImplementedError,
            "\"linspace_cpu\" not implemented for 'Bool'")
    with pytest.raises(TypeError):
        ember.linspace(0, 1)


@requires_torch
@pytest.mark.parametrize("kw", [{}, {"base": 2}, {"base": 0.5}, {"dtype": "int64"},
                                {"dtype": "float64", "base": 3.0}])
@pytest.mark.parametrize("args", [(0, 2, 3), (-1, 1, 5), (0, 3, 1), (2, -2, 6), (0, 1, 0)])
def test_logspace(args, kw):
    kw = {k: getattr(ember, v) if k == "dtype" else v for k, v in kw.items()}

    def fn(lib):
        k = dict(kw)
        if "dtype" in k:
            k["dtype"] = getattr(lib, str(k["dtype"]).replace("torch.", ""))
        return lib.logspace(*args, **k)
    _same(fn, atol=1e-6, rtol=1e-5)


@requires_torch
def test_logspace_positional_base():
    _same(lambda lib: lib.logspace(0, 2, 3, 2))


# ---------------------------------------------------------------- eye / empty_strided
@requires_torch
@pytest.mark.parametrize("args", [(3,), (2, 3), (3, 2), (0,), (1, 0), (4, 4)])
@pytest.mark.parametrize("dtype", [None, "int64", "bool", "float64", "complex64"])
def test_eye(args, dtype):
    _same(lambda lib: lib.eye(*args) if dtype is None else
          lib.eye(*args, dtype=getattr(lib, dtype)))


def test_eye_errors_and_out():
    _raises(lambda lib: lib.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1")
    _raises(lambda lib: lib.eye(2, -1), RuntimeError, "m must be greater or equal to 0, got -1")
    _raises(lambda lib: lib.eye(2.0), TypeError, r"eye\(\): argument 'n' \(position 1\) must be "
                                                 r"int, not float")
    out = ember.zeros(5, dtype=ember.float64)
    assert ember.eye(2, out=out) is out and out.shape == (2, 2) and out.dtype is ember.float64
    assert ember.eye(n=2, m=3).shape == (2, 3)
    assert ember.eye(2, requires_grad=True).requires_grad


@requires_torch
@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 3), (0, 1)),
                                         ((4,), (2,)), ((), ()), ((0, 3), (3, 1)),
                                         ((2, 1, 3), (3, 3, 1))])
def test_empty_strided(size, stride):
    e = ember.empty_strided(size, stride)
    t = torch.empty_strided(size, stride)
    assert e.shape == t.shape and e.stride() == t.stride() and e.dtype is ember.float32
    assert e.is_contiguous() == t.is_contiguous()
    assert e.storage_offset() == 0
    e2 = ember.empty_strided(size, stride, dtype=ember.int64, requires_grad=False)
    assert e2.dtype is ember.int64


def test_empty_strided_errors():
    _raises(lambda lib: lib.empty_strided((2, 3), (1,)), RuntimeError,
            r"dimensionality of sizes \(2\) must match dimensionality of strides \(1\)")
    _raises(lambda lib: lib.empty_strided((2, 3), (-3, 1)), RuntimeError,
            r"Storage size calculation overflowed with sizes=\[2, 3\] and strides=\[-3, 1\]")
    _raises(lambda lib: lib.empty_strided((2, -3), (3, 1)), RuntimeError,
            "Trying to create tensor with negative dimension -3")


def test_empty_strided_writes_through_storage():
    e = ember.empty_strided((2, 3), (1, 2))
    e.numpy()[...] = np.arange(6).reshape(2, 3)
    assert e.tolist() == [[0., 1., 2.], [3., 4., 5.]]
    assert e.numpy().base is not None   # a strided view of its own storage


# ---------------------------------------------------------------- full and fill inference
@requires_torch
@pytest.mark.parametrize("value", [True, 3, 3.5, 1 + 2j, -0.0, np.float64(3), np.int32(3),
                                   np.bool_(False)])
def test_full_infers_dtype(value):
    _same(lambda lib: lib.full((2, 3), value))


@requires_torch
def test_full_tensor_fill_and_dtypes():
    _same(lambda lib: lib.full((2,), lib.tensor(3)))
    _same(lambda lib: lib.full((2,), lib.tensor(2.5)))
    _same(lambda lib: lib.full((2,), 2.5, dtype=lib.int64))
    _same(lambda lib: lib.full((2,), -1, dtype=lib.uint8))
    _same(lambda lib: lib.full([], 2.5))
    _same(lambda lib: lib.full((2,), float("nan"), dtype=lib.bool))
    _same(lambda lib: lib.full((2,), float("inf")))
    _same(lambda lib: lib.full_like(lib.zeros(2, dtype=lib.int32), 7))


def test_full_errors():
    _raises(lambda lib: lib.full(2, 2.5), TypeError,
            r"full\(\): argument 'size' \(position 1\) must be tuple of ints, not int")
    _raises(lambda lib: lib.full((2,), float("nan"), dtype=lib.int64), RuntimeError,
            "value cannot be converted to type int64_t without overflow")
    _raises(lambda lib: lib.full((2,), 300, dtype=lib.uint8), RuntimeError,
            "value cannot be converted to type uint8_t without overflow")
    _raises(lambda lib: lib.full((1,), 2 ** 40, dtype=lib.int32), RuntimeError,
            "value cannot be converted to type int without overflow")
    _raises(lambda lib: lib.full((1,), 1e300, dtype=lib.float32), RuntimeError,
            "value cannot be converted to type float without overflow")
    _raises(lambda lib: lib.full((1,), 1 + 1j, dtype=lib.float32), RuntimeError,
            "value cannot be converted to type float without overflow")
    _raises(lambda lib: lib.full((1,), -0.5, dtype=lib.uint8), RuntimeError,
            "value cannot be converted to type uint8_t without overflow")
    _raises(lambda lib: lib.full((1,), -256, dtype=lib.uint8), RuntimeError,
            "value cannot be converted to type uint8_t without overflow")
    assert ember.full((1,), -255, dtype=ember.uint8).tolist() == [1]


@requires_torch
def test_existing_factories_still_work():
    _same(lambda lib: lib.zeros(2, 3))
    _same(lambda lib: lib.ones((2,), dtype=lib.int64))
    _same(lambda lib: lib.tensor([[1, 2], [3, 4]]))
    _same(lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.float64)))
    assert ember.empty(2, 3).shape == (2, 3)


# ---------------------------------------------------------------- complex / polar
def _complex_pair(lib, fn, a, b, w1, w2):
    """fn(a, b) and the gradients of sum(Re(z) * w1 + Im(z) * w2)."""
    x = lib.tensor(a, requires_grad=True)
    y = lib.tensor(b, requires_grad=True)
    z = fn(lib, x, y)
    if lib is ember:
        re, im = creation._real(z), creation._imag(z)
    else:
        re, im = z.real, z.imag
    (re * lib.tensor(w1) + im * lib.tensor(w2)).sum().backward()
    return z, x.grad, y.grad


@requires_torch
@pytest.mark.parametrize("op", ["complex", "polar"])
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 1), (3,)), ((), (4,)), ((2, 3), ())])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_complex_polar_values_and_grads(op, shapes, dtype, rng):
    a = rng.standard_normal(shapes[0]).astype(dtype)
    if op == "polar":   # PyTorch's polar gradient is d/d|abs| (its sign flips for abs < 0)
        a = np.abs(a) + np.asarray(0.1, dtype)
    b = rng.standard_normal(shapes[1]).astype(dtype)
    shape = np.broadcast_shapes(*shapes)
    w1 = rng.standard_normal(shape).astype(dtype)
    w2 = rng.standard_normal(shape).astype(dtype)
    fn = lambda lib, x, y: getattr(lib, op)(x, y)   # noqa: E731
    ze, gxe, gye = _complex_pair(ember, fn, a, b, w1, w2)
    zt, gxt, gyt = _complex_pair(torch, fn, a, b, w1, w2)
    assert str(ze.dtype) == str(zt.dtype) and tuple(ze.shape) == tuple(zt.shape)
    assert ze.grad_fn.name() == zt.grad_fn.name()
    np.testing.assert_allclose(ze.detach().numpy(), zt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gxe.numpy(), gxt.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gye.numpy(), gyt.numpy(), rtol=1e-4, atol=1e-5)
    assert gxe.dtype is getattr(ember, str(gxt.dtype).replace("torch.", ""))


@pytest.mark.parametrize("op", ["complex", "polar"])
def test_complex_polar_gradcheck(op, rng):
    a = rng.standard_normal((2, 3))
    b = rng.standard_normal((3,))

    def fn(lib, x, y):
        z = getattr(lib, op)(x, y)
        return creation._real(z), creation._imag(z)
    gradcheck_op(fn, [a, b], gradgrad=True)


def test_complex_polar_errors():
    f, d = ember.tensor([1., 2.]), ember.tensor([1., 2.], dtype=ember.float64)
    i = ember.tensor([1, 2])
    for op in ("complex", "polar"):
        _raises(lambda lib: getattr(lib, op)(lib.tensor([1, 2]), lib.tensor([1, 2])),
                RuntimeError, "Expected both inputs to be Half, Float or Double tensors but got "
                              "Long and Long")
        _raises(lambda lib: getattr(lib, op)(lib.tensor([1., 2.], dtype=lib.float64),
                                             lib.tensor([1., 2.])),
                RuntimeError, "Expected object of scalar type Double but got scalar type Float "
                              "for second argument")
        _raises(lambda lib: getattr(lib, op)(lib.tensor([1., 2.]), lib.tensor([1., 2., 3.])),
                RuntimeError, r"The size of tensor a \(2\) must match the size of tensor b \(3\) "
                              r"at non-singleton dimension 0")
    _raises(lambda lib: lib.complex(lib.tensor([1.]), 1.0), TypeError,
            r"complex\(\): argument 'imag' \(position 2\) must be Tensor, not float")
    _raises(lambda lib: lib.complex(lib.tensor([1.]), lib.tensor([1.]),
                                    out=lib.zeros(1, dtype=lib.complex128)),
            RuntimeError, "Expected object of scalar type ComplexFloat but got scalar type "
                          "ComplexDouble for argument 'out'")
    assert f.dtype is ember.float32 and d.dtype is ember.float64 and i.dtype is ember.int64


def test_complex_out():
    out = ember.zeros(2, dtype=ember.complex64)
    r = ember.complex(ember.tensor([1., 2.]), ember.tensor([3., 4.]), out=out)
    assert r is out and out.numpy().tolist() == [1 + 3j, 2 + 4j]


# ---------------------------------------------------------------- Tensor.new_*
@requires_torch
@pytest.mark.parametrize("call", [
    lambda x, lib: x.new_tensor([1, 2]),
    lambda x, lib: x.new_tensor([1, 2], dtype=lib.int32),
    lambda x, lib: x.new_tensor(3.5),
    lambda x, lib: x.new_zeros(2, 3),
    lambda x, lib: x.new_zeros((2, 3)),
    lambda x, lib: x.new_zeros([2, 3], dtype=lib.int64),
    lambda x, lib: x.new_zeros(size=(2,)),
    lambda x, lib: x.new_ones(2),
    lambda x, lib: x.new_ones(()),
    lambda x, lib: x.new_full((2,), 3),
    lambda x, lib: x.new_full((2,), True),
    lambda x, lib: x.new_full((2,), 3, dtype=lib.int64),
    lambda x, lib: x.new_full([2, 1], 2.5),
])
@pytest.mark.parametrize("src_dtype", ["float64", "int32", "float32"])
def test_new_methods(call, src_dtype):
    def fn(lib):
        return call(lib.zeros(2, dtype=getattr(lib, src_dtype)), lib)
    _same(fn)


def test_new_methods_details():
    x = ember.zeros(2, dtype=ember.float64)
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        t = x.new_tensor(ember.tensor([1, 2]))
    assert t.dtype is ember.float64
    src = ember.tensor([1.5], requires_grad=True)
    with pytest.warns(UserWarning):
        c = x.new_tensor(src.detach())
    assert not c.requires_grad and c.dtype is ember.float64
    r = x.new_tensor([1.5], requires_grad=True)
    assert r.requires_grad and r.is_leaf
    z = x.new_zeros(2, requires_grad=True)
    assert z.requires_grad and z.dtype is ember.float64
    g = ember.zeros(2, requires_grad=True).new_zeros(2)
    assert not g.requires_grad and g.dtype is ember.float32
    assert x.new_empty_strided((2, 3), (1, 2)).stride() == (1, 2)
    assert x.new_empty_strided((2, 3), (1, 2)).dtype is ember.float64
    assert x.new_empty(3).device == x.device
    e = x.new_empty((2, 3), dtype=ember.int32)
    assert e.shape == (2, 3) and e.dtype is ember.int32
    _raises(lambda lib: lib.zeros(2).new_full(2, 3), TypeError,
            r"new_full\(\): argument 'size' \(position 1\) must be tuple of ints, not int")
    _raises(lambda lib: lib.zeros(2).new_zeros(), TypeError, "missing 1 required positional")


# ---------------------------------------------------------------- default dtype
@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(3.), lambda lib: lib.arange(0, 1, 0.25),
    lambda lib: lib.linspace(0, 1, 3),
    lambda lib: lib.logspace(0, 1, 2), lambda lib: lib.eye(2), lambda lib: lib.full((2,), 1.),
    lambda lib: lib.rand(2), lambda lib: lib.randn(2), lambda lib: lib.normal(0., 1., (2,)),
    lambda lib: lib.zeros(2), lambda lib: lib.linspace(0, 1j, 2), lambda lib: lib.full((1,), 1j),
    lambda lib: lib.arange(3), lambda lib: lib.randint(3, (2,)), lambda lib: lib.randperm(3),
    lambda lib: lib.tensor([1.5]), lambda lib: lib.empty_strided((2,), (1,)),
])
def test_default_dtype_float64(make, torch_default_dtype):
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = make(ember), make(torch)
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)


def test_default_dtype_float64_range_values(torch_default_dtype):
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    _same(lambda lib: lib.arange(0, 1, 0.1), atol=1e-15, rtol=1e-15)
    _same(lambda lib: lib.linspace(-1, 1, 7), atol=1e-15, rtol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(lambda lib: lib.range(0, 1, 0.25))
