"""The matmul family against PyTorch: values, dtypes, gradients and error messages."""
import warnings

import numpy as np
import pytest

import ember

from .harness import check_op, gradcheck_op, requires_torch, torch

NAN = float("nan")


def _f(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _i(rng, *shape, dtype=np.int64):
    return rng.integers(-3, 4, shape).astype(dtype)


def _c(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex128)


def same_error(fn):
    """fn(lib) must raise the same exception type with the same message in both libraries."""
    if torch is None:
        pytest.skip("PyTorch (the oracle) not installed")
    with pytest.raises(Exception) as et:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(torch)
    with pytest.raises(Exception) as ee:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(ember)
    assert type(ee.value) is type(et.value), f"{type(ee.value)} vs torch {type(et.value)}"
    assert str(ee.value) == str(et.value)


def _t(lib, shape, dtype="float32"):
    return lib.ones(shape, dtype=getattr(lib, dtype))


# ---------------------------------------------------------------- matmul / mm / bmm / mv / dot
MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)),
                 ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (2, 4, 1)),
                 ((0, 4), (4, 2)), ((3, 0), (0, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb, rng):
    a, b = _f(rng, *sa), _f(rng, *sb)
    check_op(lambda lib, x, y: lib.matmul(x, y), [a, b])
    check_op(lambda lib, x, y: x @ y, [a, b])
    if a.size and b.size:
        gradcheck_op(lambda lib, x, y: lib.matmul(x, y), [a, b], gradgrad=True)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64, np.float16, np.uint8])
def test_matmul_dtypes(dtype, rng):
    for sa, sb in [((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((2, 3, 4), (2, 4, 2))]:
        a = (np.abs(_i(rng, *sa)) if dtype == np.uint8 else _i(rng, *sa)).astype(dtype)
        b = (np.abs(_i(rng, *sb)) if dtype == np.uint8 else _i(rng, *sb)).astype(dtype)
        check_op(lambda lib, x, y: lib.matmul(x, y), [a, b], atol=1e-2)


def test_matmul_complex(rng):
    for sa, sb in [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4,))]:
        check_op(lambda lib, x, y: lib.matmul(x, y), [_c(rng, *sa), _c(rng, *sb)])


def test_matmul_rmatmul_and_out(rng):
    a, b = _f(rng, 3, 4), _f(rng, 4, 2)
    check_op(lambda lib, x, y: x.__rmatmul__(y), [b, a])

    def f(lib, x, y):
        o = lib.empty(0)
        r = lib.matmul(x, y, out=o)
        assert r is o
        return o
    check_op(f, [a, b], grad=False)


def test_mm_bmm_mv_dot(rng):
    check_op(lambda lib, x, y: lib.mm(x, y), [_f(rng, 3, 4), _f(rng, 4, 5)])
    check_op(lambda lib, x, y: x.mm(y), [_f(rng, 3, 4), _f(rng, 4, 5)])
    check_op(lambda lib, x, y: lib.bmm(x, y), [_f(rng, 2, 3, 4), _f(rng, 2, 4, 5)])
    check_op(lambda lib, x, y: x.bmm(y), [_i(rng, 2, 3, 4), _i(rng, 2, 4, 5)])
    check_op(lambda lib, x, y: lib.mv(x, y), [_f(rng, 3, 4), _f(rng, 4)])
    check_op(lambda lib, x, y: x.mv(y), [_i(rng, 3, 4), _i(rng, 4)])
    check_op(lambda lib, x, y: lib.dot(x, y), [_f(rng, 4), _f(rng, 4)])
    check_op(lambda lib, x, y: x.dot(y), [_i(rng, 4), _i(rng, 4)])
    for fn, shapes in [("mm", [(3, 4), (4, 5)]), ("bmm", [(2, 3, 4), (2, 4, 5)]),
                       ("mv", [(3, 4), (4,)]), ("dot", [(4,), (4,)])]:
        ins = [_f(rng, *s) for s in shapes]
        gradcheck_op(lambda lib, x, y: getattr(lib, fn)(x, y), ins, gradgrad=True)


@requires_torch
def test_grad_fn_names(rng):
    for lib in (ember, torch):
        x = lib.ones(3, 4, requires_grad=True)
        assert lib.mm(x, lib.ones(4, 2)).grad_fn.name() == "MmBackward0"
        assert lib.matmul(x, lib.ones(4, 2)).grad_fn.name() == "MmBackward0"
        assert lib.mv(x, lib.ones(4)).grad_fn.name() == "MvBackward0"
        assert lib.bmm(x.expand(2, 3, 4), lib.ones(2, 4, 1)).grad_fn.name() == "BmmBackward0"
        v = lib.ones(4, requires_grad=True)
        assert lib.dot(v, lib.ones(4)).grad_fn.name() == "DotBackward0"
        assert lib.addmm(lib.ones(2), x, lib.ones(4, 2)).grad_fn.name() == "AddmmBackward0"
        assert lib.addmv(lib.ones(3), x, lib.ones(4)).grad_fn.name() == "AddmvBackward0"
        assert lib.addr(x, lib.ones(3), lib.ones(4)).grad_fn.name() == "AddrBackward0"
        b = x.expand(2, 3, 4)
        assert lib.baddbmm(lib.ones(1), b, lib.ones(2, 4, 2)).grad_fn.name() == \
            "BaddbmmBackward0"
        assert lib.addbmm(lib.ones(1), b, lib.ones(2, 4, 2)).grad_fn.name() == \
            "AddbmmBackward0"
        assert lib.vdot(lib.ones(3, requires_grad=True), lib.ones(3)).grad_fn.name() == \
            "VdotBackward0"
        assert lib.cross(lib.ones(3, requires_grad=True), lib.ones(3), dim=0).grad_fn.name() \
            == "LinalgCrossBackward0"


MATMUL_ERRORS = [
    ((64, 320), (300, 50), "float32", "float32"),
    ((3, 4), (4, 5), "float32", "float64"),
    ((3, 4), (4, 5), "float32", "int64"),
    ((3, 4), (4, 5), "float32", "float16"),
    ((3, 4), (4, 5), "float32", "int32"),
    ((3, 4), (4, 5), "float32", "uint8"),
    ((3, 4), (4, 5), "float32", "bool"),
    ((3, 4), (4, 5), "bool", "bool"),
    ((4,), (4, 3), "float32", "float64"),
    ((4,), (3, 2), "float32", "float32"),
    ((3, 4), (3,), "float32", "float32"),
    ((3, 4), (4,), "float64", "float32"),
    ((3, 4), (4,), "int64", "float32"),
    ((3, 4), (4,), "bool", "bool"),
    ((3,), (4,), "float32", "float32"),
    ((4,), (4,), "float32", "float64"),
    ((4,), (4,), "bool", "bool"),
    ((2, 5, 4), (3,), "float32", "float32"),
    ((2, 5, 4), (3, 2), "float32", "float32"),
    ((2, 6, 5, 4), (4,), "float32", "float64"),
    ((2, 6, 5, 4), (4, 2), "float32", "float64"),
    ((5, 4), (2, 3, 2), "float32", "float32"),
    ((5, 4), (2, 4, 2), "float32", "float64"),
    ((4,), (5, 3, 2), "float32", "float32"),
    ((6, 5, 4), (2, 3, 2), "float32", "float32"),
    ((2, 6, 5, 4), (2, 1, 3, 2), "float32", "float32"),
    ((2, 3, 4), (2, 4, 5), "float64", "float32"),
    ((2, 3, 3), (2, 3, 2), "bool", "bool"),
    ((3, 4), (), "float32", "float32"),
]


@pytest.mark.parametrize("sa,sb,da,db", MATMUL_ERRORS)
def test_matmul_errors(sa, sb, da, db):
    same_error(lambda lib: lib.matmul(_t(lib, sa, da), _t(lib, sb, db)))


@pytest.mark.parametrize("fn,sa,sb,da,db", [
    ("mm", (64, 320), (300, 50), "float32", "float32"),
    ("mm", (3, 4), (4, 5), "float32", "float64"),
    ("mm", (3, 4), (4,), "float32", "float32"),
    ("mm", (3,), (3, 4), "float32", "float32"),
    ("mm", (3, 4), (4, 5), "bool", "bool"),
    ("bmm", (3,), (5, 2), "float32", "float32"),
    ("bmm", (2, 3, 4), (5, 2), "float32", "float32"),
    ("bmm", (2, 5, 4), (3, 4, 2), "float32", "float32"),
    ("bmm", (2, 5, 4), (2, 3, 2), "float32", "float32"),
    ("bmm", (2, 3, 4), (2, 4, 2), "float32", "float64"),
    ("mv", (3,), (3,), "float32", "float32"),
    ("mv", (3, 3), (3, 1), "float32", "float32"),
    ("mv", (3, 4), (5,), "float32", "float32"),
    ("mv", (3, 4), (4,), "float64", "float32"),
    ("dot", (3, 1), (3,), "float32", "float32"),
    ("dot", (3,), (4,), "float32", "float32"),
    ("dot", (3,), (3,), "float32", "float64"),
    ("dot", (3,), (3,), "bool", "bool"),
    ("vdot", (3,), (4,), "float32", "float32"),
    ("vdot", (3, 1), (3,), "float32", "float32"),
    ("vdot", (3,), (3,), "float32", "float64"),
    ("vdot", (3,), (3,), "bool", "bool"),
])
def test_product_errors(fn, sa, sb, da, db):
    same_error(lambda lib: getattr(lib, fn)(_t(lib, sa, da), _t(lib, sb, db)))


def test_vdot(rng):
    check_op(lambda lib, x, y: lib.vdot(x, y), [_f(rng, 5), _f(rng, 5)])
    check_op(lambda lib, x, y: x.vdot(y), [_c(rng, 5), _c(rng, 5)])
    check_op(lambda lib, x, y: lib.vdot(x, y), [_i(rng, 5), _i(rng, 5)])
    gradcheck_op(lambda lib, x, y: lib.vdot(x, y), [_f(rng, 5), _f(rng, 5)], gradgrad=True)


# ---------------------------------------------------------------- addmm family
SCALES = [(1, 1), (0.5, 2.0), (0, 1), (2, 0), (0, 0.5)]


@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("ms", [(3, 5), (5,), (1, 5), (3, 1), ()])
def test_addmm(beta, alpha, ms, rng):
    m, a, b = _f(rng, *ms), _f(rng, 3, 4), _f(rng, 4, 5)
    check_op(lambda lib, z, x, y: lib.addmm(z, x, y, beta=beta, alpha=alpha), [m, a, b])
    check_op(lambda lib, z, x, y: z.addmm(x, y, beta=beta, alpha=alpha), [m, a, b])
    gradcheck_op(lambda lib, z, x, y: lib.addmm(z, x, y, beta=beta, alpha=alpha), [m, a, b],
                 gradgrad=True)


@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("ms", [(2, 3, 5), (3, 5), (1, 5), ()])
def test_baddbmm(beta, alpha, ms, rng):
    m, a, b = _f(rng, *ms), _f(rng, 2, 3, 4), _f(rng, 2, 4, 5)
    check_op(lambda lib, z, x, y: lib.baddbmm(z, x, y, beta=beta, alpha=alpha), [m, a, b])
    gradcheck_op(lambda lib, z, x, y: z.baddbmm(x, y, beta=beta, alpha=alpha), [m, a, b],
                 gradgrad=True)


@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("ms", [(3, 5), (5,), ()])
def test_addbmm(beta, alpha, ms, rng):
    m, a, b = _f(rng, *ms), _f(rng, 2, 3, 4), _f(rng, 2, 4, 5)
    check_op(lambda lib, z, x, y: lib.addbmm(z, x, y, beta=beta, alpha=alpha), [m, a, b])
    gradcheck_op(lambda lib, z, x, y: z.addbmm(x, y, beta=beta, alpha=alpha), [m, a, b],
                 gradgrad=True)


@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("ms", [(3,), (1,), ()])
def test_addmv(beta, alpha, ms, rng):
    m, a, v = _f(rng, *ms), _f(rng, 3, 4), _f(rng, 4)
    check_op(lambda lib, z, x, y: lib.addmv(z, x, y, beta=beta, alpha=alpha), [m, a, v])
    gradcheck_op(lambda lib, z, x, y: z.addmv(x, y, beta=beta, alpha=alpha), [m, a, v],
                 gradgrad=True)


@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("ms", [(3, 4), (4,), (3, 1), ()])
def test_addr(beta, alpha, ms, rng):
    m, v1, v2 = _f(rng, *ms), _f(rng, 3), _f(rng, 4)
    check_op(lambda lib, z, x, y: lib.addr(z, x, y, beta=beta, alpha=alpha), [m, v1, v2])
    gradcheck_op(lambda lib, z, x, y: z.addr(x, y, beta=beta, alpha=alpha), [m, v1, v2],
                 gradgrad=True)


def test_add_products_ignore_nan_when_scale_is_zero(rng):
    nan_m = np.full((3, 5), NAN, np.float32)
    a, b = _f(rng, 3, 4), _f(rng, 4, 5)
    check_op(lambda lib, z, x, y: lib.addmm(z, x, y, beta=0), [nan_m, a, b])
    check_op(lambda lib, z, x, y: lib.addmm(z, y.t(), x.t(), alpha=0), [nan_m.T.copy(), a,
                                                                       np.full_like(b, NAN)])
    check_op(lambda lib, z, x, y: lib.addmv(z, x, y, beta=0), [nan_m[:, 0].copy(), a, b[:, 0]])
    check_op(lambda lib, z, x, y: lib.addr(z, x, y, beta=0), [nan_m, a[:, 0], b[0]])
    check_op(lambda lib, z, x, y: lib.baddbmm(z, x, y, beta=0),
             [nan_m, np.stack([a, a]), np.stack([b, b])])


def test_add_products_int_and_promotion(rng):
    m, a, b = _i(rng, 3, 5), _i(rng, 3, 4), _i(rng, 4, 5)
    # integer kernels truncate float scales
    check_op(lambda lib, z, x, y: lib.addmm(z, x, y, beta=1.5, alpha=2), [m, a, b])
    check_op(lambda lib, z, x, y: lib.addmm(z, x, y, beta=3, alpha=2.7), [m, a, b])
    check_op(lambda lib, z, x, y: lib.addmv(z, x, y, beta=0.5), [m[:, 0], a, b[:, 0]])
    check_op(lambda lib, z, x, y: lib.baddbmm(z, x, y, alpha=2),
             [m, np.stack([a, a]), np.stack([b, b])])
    check_op(lambda lib, z, x, y: lib.addbmm(z, x, y, beta=2),
             [m, np.stack([a, a]), np.stack([b, b])])
    # addr promotes its three inputs, and takes bools
    # (PyTorch's own backward fails for this mix, so only values are compared)
    check_op(lambda lib, z, x, y: lib.addr(z, x, y), [m[:3, :4], a[:, 0], _f(rng, 4)],
             grad=False)
    check_op(lambda lib, z, x, y: lib.addr(z, x, y, beta=2, alpha=3), [m[:3, :4], a[:, 0],
                                                                        b[:, 0]])
    bm = rng.integers(0, 2, (3, 4)).astype(bool)
    bv1, bv2 = rng.integers(0, 2, 3).astype(bool), rng.integers(0, 2, 4).astype(bool)
    for beta, alpha in [(1, 1), (0, 1), (False, True), (2, 3), (True, False)]:
        check_op(lambda lib, z, x, y: lib.addr(z, x, y, beta=beta, alpha=alpha), [bm, bv1, bv2])
    check_op(lambda lib, z, x, y: lib.addr(z, x, y), [m[:3, :4].astype(np.int32), bv1, bv2])
    check_op(lambda lib, z, x, y: lib.addr(z, x, y, alpha=0.5), [m[:3, :4], _f(rng, 3),
                                                                  _f(rng, 4)])


def test_add_products_inplace(rng):
    m, a, b = _f(rng, 3, 5), _f(rng, 3, 4), _f(rng, 4, 5)

    def f(lib, name, z, *args, **kw):
        z = z.clone()
        r = getattr(z, name)(*args, **kw)
        assert r is z
        return z
    check_op(lambda lib, z, x, y: f(lib, "addmm_", z, x, y, beta=0.5, alpha=2), [m, a, b])
    check_op(lambda lib, z, x, y: f(lib, "baddbmm_", z, x, y, alpha=2),
             [np.stack([m, m]), np.stack([a, a]), np.stack([b, b])])
    check_op(lambda lib, z, x, y: f(lib, "addbmm_", z, x, y, beta=2),
             [m, np.stack([a, a]), np.stack([b, b])])
    check_op(lambda lib, z, x, y: f(lib, "addmv_", z, x, y), [m[:, 0].copy(), a, b[:, 0]])
    check_op(lambda lib, z, x, y: f(lib, "addr_", z, x, y, beta=3), [m[:, :4].copy(), a[:, 0],
                                                                      b[0, :4]])


def test_add_products_out(rng):
    def f(lib, z, x, y):
        o = lib.empty(0)
        r = lib.addmm(z, x, y, out=o)
        assert r is o
        return o
    check_op(f, [_f(rng, 3, 5), _f(rng, 3, 4), _f(rng, 4, 5)], grad=False)


def test_add_products_complex(rng):
    m, a, b = _c(rng, 3, 5), _c(rng, 3, 4), _c(rng, 4, 5)
    check_op(lambda lib, z, x, y: lib.addmm(z, x, y, beta=0.5, alpha=2), [m, a, b])
    check_op(lambda lib, z, x, y: lib.addmv(z, x, y, alpha=2), [m[:, 0], a, b[:, 0]])
    check_op(lambda lib, z, x, y: lib.addr(z, x, y, beta=2), [m[:, :4], a[:, 0], b[0, :4]])
    check_op(lambda lib, z, x, y: lib.baddbmm(z, x, y), [m, np.stack([a, a]),
                                                          np.stack([b, b])])
    check_op(lambda lib, z, x, y: lib.addbmm(z, x, y), [m, np.stack([a, a]), np.stack([b, b])])


ADD_ERRORS = [
    lambda lib: lib.addmm(_t(lib, (64, 50)), _t(lib, (64, 320)), _t(lib, (300, 50))),
    lambda lib: lib.addmm(_t(lib, (64, 5)), _t(lib, (64, 3)), _t(lib, (3, 5), "float64")),
    lambda lib: lib.addmm(_t(lib, (64, 5), "float64"), _t(lib, (64, 3)), _t(lib, (3, 5))),
    lambda lib: lib.addmm(_t(lib, (64, 5)), _t(lib, (64, 3), "float64"), _t(lib, (3, 5))),
    lambda lib: lib.addmm(_t(lib, (3, 3)), _t(lib, (3, 4)), _t(lib, (4, 2))),
    lambda lib: lib.addmm(_t(lib, (1, 3, 2)), _t(lib, (3, 4)), _t(lib, (4, 2))),
    lambda lib: lib.addmm(_t(lib, (3, 2)), _t(lib, (3, 4, 1)), _t(lib, (4, 2))),
    lambda lib: lib.addmm(_t(lib, (3, 2)), _t(lib, (3, 4)), _t(lib, (4,))),
    lambda lib: lib.addmm(_t(lib, (3, 2), "bool"), _t(lib, (3, 4), "bool"),
                          _t(lib, (4, 2), "bool")),
    lambda lib: lib.baddbmm(_t(lib, (3, 2)), _t(lib, (5, 3, 4)), _t(lib, (4, 4, 2))),
    lambda lib: lib.baddbmm(_t(lib, (3, 2)), _t(lib, (5, 3, 4)), _t(lib, (5, 3, 2))),
    lambda lib: lib.baddbmm(_t(lib, (3, 3)), _t(lib, (5, 3, 4)), _t(lib, (5, 4, 2))),
    lambda lib: lib.baddbmm(_t(lib, (5, 3, 2)), _t(lib, (5, 3, 4)), _t(lib, (5, 4, 2),
                                                                        "float64")),
    lambda lib: lib.baddbmm(_t(lib, (5, 3, 2), "float64"), _t(lib, (5, 3, 4)),
                            _t(lib, (5, 4, 2))),
    lambda lib: lib.baddbmm(_t(lib, (5, 3, 2), "bool"), _t(lib, (5, 3, 4), "bool"),
                            _t(lib, (5, 4, 2), "bool")),
    lambda lib: lib.addbmm(_t(lib, (3, 2)), _t(lib, (5, 3, 4)), _t(lib, (5, 3, 2))),
    lambda lib: lib.addbmm(_t(lib, (3, 2)), _t(lib, (5, 3, 4)), _t(lib, (4, 4, 2))),
    lambda lib: lib.addbmm(_t(lib, (3, 2)), _t(lib, (5, 3, 4)), _t(lib, (5, 4, 2), "float64")),
    lambda lib: lib.addbmm(_t(lib, (3, 2)), _t(lib, (5, 3, 4), "float64"), _t(lib, (5, 4, 2))),
    lambda lib: lib.addbmm(_t(lib, (5, 3, 2)), _t(lib, (5, 3, 4)), _t(lib, (5, 4, 2))),
    lambda lib: lib.addbmm(_t(lib, (4, 2)), _t(lib, (5, 3, 4)), _t(lib, (5, 4, 2))),
    lambda lib: lib.addmv(_t(lib, (3,)), _t(lib, (3, 4)), _t(lib, (5,))),
    lambda lib: lib.addmv(_t(lib, (2,)), _t(lib, (3, 4)), _t(lib, (4,))),
    lambda lib: lib.addmv(_t(lib, (3, 1)), _t(lib, (3, 4)), _t(lib, (4,))),
    lambda lib: lib.addmv(_t(lib, (3,)), _t(lib, (3, 4, 1)), _t(lib, (4,))),
    lambda lib: lib.addmv(_t(lib, (3,)), _t(lib, (3, 4)), _t(lib, (4, 1))),
    lambda lib: lib.addmv(_t(lib, (3,), "float64"), _t(lib, (3, 4)), _t(lib, (4,))),
    lambda lib: lib.addmv(_t(lib, (3,)), _t(lib, (3, 4), "bool"), _t(lib, (4,))),
    lambda lib: lib.addr(_t(lib, (3, 2)), _t(lib, (3, 1)), _t(lib, (2,))),
    lambda lib: lib.addr(_t(lib, (3, 2)), _t(lib, (3,)), _t(lib, ())),
    lambda lib: lib.addr(_t(lib, (3, 2)), _t(lib, (3,)), _t(lib, (4,))),
    lambda lib: lib.addr(_t(lib, (3, 2), "int64"), _t(lib, (3,), "int64"),
                         _t(lib, (2,), "int64"), alpha=0.5),
    lambda lib: lib.addr(_t(lib, (3, 2), "bool"), _t(lib, (3,), "bool"),
                         _t(lib, (2,), "bool"), beta=0.5),
    lambda lib: _t(lib, (3, 2)).addmm_(_t(lib, (3, 4)), _t(lib, (4, 5))),
    lambda lib: _t(lib, (1, 5)).addmm_(_t(lib, (3, 4)), _t(lib, (4, 5))),
    lambda lib: _t(lib, (5,)).addmv_(_t(lib, (3, 4)), _t(lib, (4,))),
    lambda lib: _t(lib, (2, 1, 5)).baddbmm_(_t(lib, (2, 3, 4)), _t(lib, (2, 4, 5))),
    lambda lib: _t(lib, (1, 5)).addr_(_t(lib, (3,)), _t(lib, (5,))),
]


@pytest.mark.parametrize("k", range(len(ADD_ERRORS)))
def test_add_products_errors(k):
    same_error(ADD_ERRORS[k])


# ---------------------------------------------------------------- outer / inner
def test_outer_inner(rng):
    check_op(lambda lib, x, y: lib.outer(x, y), [_f(rng, 3), _f(rng, 4)])
    check_op(lambda lib, x, y: lib.ger(x, y), [_f(rng, 3), _f(rng, 4)])
    check_op(lambda lib, x, y: x.outer(y), [_i(rng, 3), _f(rng, 4)])
    check_op(lambda lib, x, y: x.ger(y), [_f(rng, 3), rng.integers(0, 2, 4).astype(bool)])
    gradcheck_op(lambda lib, x, y: lib.outer(x, y), [_f(rng, 3), _f(rng, 4)], gradgrad=True)
    for sa, sb in [((3,), (3,)), ((2, 3), (4, 3)), ((2, 3), (3,)), ((2, 1, 3), (5, 3)),
                   ((), (4, 2)), ((3,), ())]:
        a, b = _f(rng, *sa), _f(rng, *sb)
        check_op(lambda lib, x, y: lib.inner(x, y), [a, b])
        check_op(lambda lib, x, y: x.inner(y), [a.astype(np.float64), b.astype(np.float64)])
        gradcheck_op(lambda lib, x, y: lib.inner(x, y), [a, b], gradgrad=True)
    check_op(lambda lib, x, y: lib.inner(x, y), [_i(rng, 2, 3), _i(rng, 3)])
    check_op(lambda lib, x, y: lib.inner(x, y), [np.array(2), np.array([3.0], np.float32)])


@pytest.mark.parametrize("fn", [
    lambda lib: lib.outer(_t(lib, (3, 1)), _t(lib, (2,))),
    lambda lib: lib.outer(_t(lib, (3,)), _t(lib, ())),
    lambda lib: lib.inner(_t(lib, (2, 3)), _t(lib, (4, 2))),
    lambda lib: lib.inner(_t(lib, (3,), "int64"), _t(lib, (3,))),
    lambda lib: lib.inner(_t(lib, (2, 3), "bool"), _t(lib, (3,), "bool")),
])
def test_outer_inner_errors(fn):
    same_error(fn)


# ---------------------------------------------------------------- einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ji", [(3, 3, 2)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]),
    ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i->i", [(3,), (1,)]),
    ("ij,j", [(3, 1), (4,)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 6)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 6)]),
    ("b...,b...->b", [(2, 3), (2, 3)]),
    ("...", [(2, 3)]),
    ("i...->...", [(2, 3)]),
    ("...i,...i->...", [(3, 1, 4), (2, 4)]),
    ("...i,...i->", [(3, 1, 4), (2, 4)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("iJ,Jk->ik", [(2, 3), (3, 4)]),
    ("Ab,bA", [(2, 3), (3, 2)]),
    ("ij->...ij", [(2, 3)]),
    ("...i->i...", [(2, 3)]),
    ("", [()]),
    ("->", [()]),
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum(eq, shapes, rng):
    ins = [_f(rng, *s) for s in shapes]
    check_op(lambda lib, *xs: lib.einsum(eq, *xs), ins)
    gradcheck_op(lambda lib, *xs: lib.einsum(eq, *xs), ins, gradgrad=True)


def test_einsum_forms_and_dtypes(rng):
    a, b = _f(rng, 2, 3), _f(rng, 3, 4)
    check_op(lambda lib, x, y: lib.einsum("ij,jk->ik", [x, y]), [a, b])
    check_op(lambda lib, x, y: lib.einsum("ij,jk->ik", (x, y)), [a, b])
    check_op(lambda lib, x, y: lib.einsum(x, [0, 1], y, [1, 2], [0, 2]), [a, b])
    check_op(lambda lib, x, y: lib.einsum(x, [0, 1], y, [1, 2]), [a, b])
    check_op(lambda lib, x, y: lib.einsum(x, [0, Ellipsis], y, [0, Ellipsis]),
             [a, _f(rng, 2, 3)])
    check_op(lambda lib, x: lib.einsum(x, [51, 0], [0]), [a])
    ia, ib = _i(rng, 2, 3), _i(rng, 3, 4)
    check_op(lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), [ia, ib])
    check_op(lambda lib, x: lib.einsum("ij->", x), [ia.astype(np.int32)])
    check_op(lambda lib, x: lib.einsum("ij->j", x), [ia.astype(np.int32)])
    check_op(lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), [ia.astype(np.int32),
                                                               ib.astype(np.int32)])
    bools = rng.integers(0, 2, (3, 3)).astype(bool)
    check_op(lambda lib, x: lib.einsum("ii->i", x), [bools])
    check_op(lambda lib, x: lib.einsum("ij->j", x), [bools])
    check_op(lambda lib, x, y: lib.einsum("i,j->ij", x, y), [bools[0], bools[1]])
    check_op(lambda lib, x, y: lib.einsum("ij,ij->ij", x, y), [a.astype(np.float16),
                                                                a.astype(np.float16)],
             atol=1e-3)
    check_op(lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), [_c(rng, 2, 3), _c(rng, 3, 4)])


def test_einsum_result_owns_memory(rng):
    x = ember.tensor(_f(rng, 3, 3))
    for eq in ("ij->ji", "ii->i", "ij->ij"):
        y = ember.einsum(eq, x)
        assert not np.shares_memory(y.numpy(), x.numpy())


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 3), (3, 4)], ["float32", "float64"]),
    ("ij,jk->ik", [(2, 3), (3, 4)], ["float32", "int64"]),
    ("ij,jk->ik", [(2, 3), (3, 4)], ["bool", "bool"]),
    ("ii", [(3, 4)], None),
    ("i,i", [(3,), (4,)], None),
    ("ij", [(2, 3, 4)], None),
    ("ij,jk", [(2, 3)], None),
    ("ij,jk", [(2, 3), (3, 4), (2,)], None),
    ("ij->ik", [(2, 3)], None),
    ("ij->ii", [(2, 3)], None),
    ("i.j", [(2, 3)], None),
    ("ij.", [(2, 3)], None),
    ("ij->i.", [(2, 3)], None),
    ("i1", [(2, 3)], None),
    ("ij->j->i", [(2, 3)], None),
    ("ij->jj", [(2, 3)], None),
    ("...i->i......", [(2, 3)], None),
    ("...i...", [(3, 2, 4)], None),
    ("i...j", [(2,)], None),
    ("ij...k", [(2, 3)], None),
    ("...i,...i", [(2, 3), (3, 3)], None),
    ("ij-k", [(2, 3)], None),
    ("ij->k>", [(2, 3)], None),
]


@pytest.mark.parametrize("eq,shapes,dtypes", EINSUM_ERRORS)
def test_einsum_errors(eq, shapes, dtypes):
    dtypes = dtypes or ["float32"] * len(shapes)
    same_error(lambda lib: lib.einsum(eq, *[_t(lib, s, d) for s, d in zip(shapes, dtypes)]))


def test_einsum_argument_errors():
    same_error(lambda lib: lib.einsum("ij", _t(lib, (2, 3)), 3))
    same_error(lambda lib: lib.einsum(_t(lib, (2, 3)), [0, 60]))


# ---------------------------------------------------------------- tensordot
@pytest.mark.parametrize("sa,sb,dims", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3, 4), (4, 5), 1), ((2, 3), (4, 5), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((2, 3, 4), (4, 3, 5), [[1, 2], [1, 0]]),
    ((2, 3, 4), (4, 3, 5), ([-1], [0])), ((2, 3, 4), (4, 3, 5), ([2], (0,))),
    ((2, 3, 4), (1, 3, 5), ([2], [0])), ((2, 1, 4), (3, 5), ([1], [0])), ((), (), 0),
    ((3,), (3,), 1)])
def test_tensordot(sa, sb, dims, rng):
    a, b = _f(rng, *sa), _f(rng, *sb)
    check_op(lambda lib, x, y: lib.tensordot(x, y, dims=dims), [a, b])
    gradcheck_op(lambda lib, x, y: lib.tensordot(x, y, dims), [a, b], gradgrad=True)


def test_tensordot_tensor_dims_and_ints(rng):
    a, b = _f(rng, 2, 3, 4), _f(rng, 4, 3, 5)
    check_op(lambda lib, x, y: lib.tensordot(x, y, dims=lib.tensor([[2], [0]])), [a, b])
    check_op(lambda lib, x, y: lib.tensordot(x, y, 1), [_i(rng, 2, 3), _i(rng, 3, 2)])


@pytest.mark.parametrize("fn", [
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (3, 4, 5)), dims=1),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 5)), dims=-1),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 5)), dims=3),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 3, 5)), dims=([1, 2], [1])),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 3, 5)), dims=([1], [0])),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 3, 5), "float64"),
                              dims=([2], [0])),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 3, 5)), dims=([2, 2], [0, 0])),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 3, 5)), dims=(2, 0)),
    lambda lib: lib.tensordot(_t(lib, (2, 3, 4)), _t(lib, (4, 3, 5)), dims=([2], 0)),
])
def test_tensordot_errors(fn):
    same_error(fn)


# ---------------------------------------------------------------- cross
@pytest.mark.parametrize("sa,sb,dim", [((3,), (3,), 0), ((4, 3), (4, 3), -1),
                                       ((3, 4), (3, 4), 0), ((1, 3), (4, 3), 1),
                                       ((2, 3, 5), (2, 3, 1), 1), ((2, 4, 3), (2, 4, 3), None),
                                       ((3, 3), (3, 3), None)])
def test_cross(sa, sb, dim, rng):
    a, b = _f(rng, *sa), _f(rng, *sb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda lib, x, y: lib.cross(x, y, dim=dim), [a, b])
        check_op(lambda lib, x, y: x.cross(y, dim), [_i(rng, *sa), _i(rng, *sb)])
        gradcheck_op(lambda lib, x, y: lib.cross(x, y, dim=dim), [a, b], gradgrad=True)


def test_cross_default_dim_warns():
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is "
                                         "deprecated"):
        ember.cross(ember.ones(3, 4), ember.ones(3, 4))


@pytest.mark.parametrize("fn", [
    lambda lib: lib.cross(_t(lib, (4, 3)), _t(lib, (2, 4, 3)), dim=-1),
    lambda lib: lib.cross(_t(lib, (1, 3)), _t(lib, (4, 2))),
    lambda lib: lib.cross(_t(lib, (4, 4)), _t(lib, (4, 4))),
    lambda lib: lib.cross(_t(lib, (4, 3)), _t(lib, (4, 3)), dim=0),
    lambda lib: lib.cross(_t(lib, (3, 4)), _t(lib, (3, 3))),
    lambda lib: lib.cross(_t(lib, (3,)), _t(lib, (3,), "int64")),
    lambda lib: lib.cross(_t(lib, (3,), "bool"), _t(lib, (3,), "bool")),
    lambda lib: lib.cross(_t(lib, (3, 4, 3)), _t(lib, (3, 4, 3)), dim=5),
])
def test_cross_errors(fn):
    same_error(fn)


# ---------------------------------------------------------------- chain_matmul / matrix_power
@pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")
def test_chain_matmul(rng):
    for shapes in [[(3, 4)], [(3, 4), (4, 5)], [(3, 4), (4, 5), (5, 2)],
                   [(10, 2), (2, 10), (10, 3), (3, 1)]]:
        ins = [_f(rng, *s) for s in shapes]
        check_op(lambda lib, *xs: lib.chain_matmul(*xs), ins)
        gradcheck_op(lambda lib, *xs: lib.chain_matmul(*xs), ins, gradgrad=True)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.chain_matmul(),
    lambda lib: lib.chain_matmul(_t(lib, (3, 4)), _t(lib, (3,))),
    lambda lib: lib.chain_matmul(_t(lib, (3, 4)), _t(lib, (5, 5)), _t(lib, (5, 2))),
])
def test_chain_matmul_errors(fn):
    same_error(fn)


def test_chain_matmul_warns():
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        ember.chain_matmul(ember.ones(2, 2), ember.ones(2, 2))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (0, 2, 2)])
def test_matrix_power(n, shape, rng):
    a = _f(rng, *shape) * 0.5
    check_op(lambda lib, x: lib.matrix_power(x, n), [a])
    check_op(lambda lib, x: x.matrix_power(n), [a.astype(np.float64)])
    check_op(lambda lib, x: x.matrix_power(n), [_i(rng, *shape)])
    if a.size and n:
        gradcheck_op(lambda lib, x: x.matrix_power(n), [a], gradgrad=n <= 3)


def test_matrix_power_negative(rng):
    a = _f(rng, 2, 3, 3) + 3 * np.eye(3, dtype=np.float32)
    linalg = getattr(ember, "linalg", None)
    if linalg is None or not hasattr(linalg, "inv"):
        with pytest.raises(NotImplementedError, match="needs ember.linalg.inv"):
            ember.tensor(a).matrix_power(-2)
        return
    check_op(lambda lib, x: x.matrix_power(-2), [a], atol=1e-4)
    gradcheck_op(lambda lib, x: x.matrix_power(-1), [a])


@pytest.mark.parametrize("fn", [
    lambda lib: lib.matrix_power(_t(lib, (3, 4)), 2),
    lambda lib: _t(lib, (3,)).matrix_power(3),
    lambda lib: _t(lib, (2, 2), "int64").matrix_power(-1),
])
def test_matrix_power_errors(fn):
    same_error(fn)
