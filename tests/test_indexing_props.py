"""Property tests for x[index] and x[index] = v on random shapes and indices.

Indices mix ints, slices (random start/stop/step > 0), None, Ellipsis, int arrays (as ember
tensors or NumPy arrays, negative entries and repeats included) and bool masks. Where NumPy
and PyTorch agree (no int next to an array index: NumPy counts that int as one more advanced
index, PyTorch selects with it first) the results are compared with NumPy, including the
gradient (np.add.at of the output weights) and `+=` with repeated indices; every index is
also compared with PyTorch when it is installed.
"""
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st, HealthCheck  # noqa: E402

import ember  # noqa: E402

try:
    import torch
except ImportError:     # PyTorch is an optional oracle
    torch = None

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------- index generation
@st.composite
def indexed(draw, numpy_compatible):
    """(array, index parts) where a part is ("int", i), ("slice", s), ("none",), ("ell",),
    ("arr", int array) or ("mask", bool array)."""
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=4)))
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) * 0.5 - 3
    use_arrays = draw(st.booleans())
    arr_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    parts = []
    d = 0
    ellipsis_used = False
    while d < len(shape):
        size = shape[d]
        kinds = ["slice", "none"] + ([] if ellipsis_used else ["stop"])   # ... fills the rest
        if size > 0:
            kinds.append("int")
        if use_arrays and size > 0:
            kinds += ["arr", "arr"]
        if use_arrays:
            kinds.append("mask")
        if not ellipsis_used:
            kinds.append("ell")
        kind = draw(st.sampled_from(kinds))
        if kind == "stop":
            break
        if kind == "none":
            parts.append(("none",))
            continue
        if kind == "ell":
            ellipsis_used = True
            parts.append(("ell",))
            d = len(shape) - _dims_after(draw, shape, d)
            continue
        if kind == "int":
            parts.append(("int", draw(st.integers(-size, size - 1))))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-6, 6))
            step = draw(st.sampled_from([None, 1, 2, 3]))
            parts.append(("slice", slice(draw(bound), draw(bound), step)))
        elif kind == "arr":
            vals = draw(st.lists(st.integers(-size, size - 1), min_size=int(np.prod(arr_shape)),
                                 max_size=int(np.prod(arr_shape))))
            parts.append(("arr", np.array(vals, np.int64).reshape(arr_shape)))
        else:
            m = draw(st.integers(1, len(shape) - d))
            mshape = shape[d:d + m]
            bits = draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)),
                                 max_size=int(np.prod(mshape))))
            parts.append(("mask", np.array(bits, bool).reshape(mshape)))
            d += m
            continue
        d += 1
    if draw(st.booleans()):
        parts.append(("none",))
    if numpy_compatible and any(p[0] in ("arr", "mask") for p in parts):
        # NumPy would count an int as one more advanced index (PyTorch selects with it first)
        # and an Ellipsis standing for no dims as a separator between advanced indices
        parts = [("slice", slice(None)) if p[0] == "int" else p for p in parts]
        used = sum(p[1].ndim if p[0] == "mask" else p[0] in ("slice", "arr") for p in parts)
        if used == len(shape):
            parts = [p for p in parts if p[0] != "ell"]
    elif not numpy_compatible and draw(st.booleans()):
        # a Python bool: PyTorch unsqueezes and indexes the new dim with [0] or []
        parts.insert(draw(st.integers(0, len(parts))), ("bool", draw(st.booleans())))
    return a, parts


def _dims_after(draw, shape, d):
    """How many trailing dims the parts after an Ellipsis will index."""
    return draw(st.integers(0, min(2, len(shape) - d)))


def _index(parts, lib, as_numpy=False):
    out = []
    for p in parts:
        kind = p[0]
        if kind == "int":
            out.append(p[1])
        elif kind == "slice":
            out.append(p[1])
        elif kind == "none":
            out.append(None)
        elif kind == "ell":
            out.append(Ellipsis)
        elif kind == "bool":
            out.append(p[1])
        else:
            out.append(p[1] if (as_numpy or lib is np) else lib.tensor(p[1]))
    return tuple(out)


def _np_result(a, parts):
    try:
        return a[_index(parts, np)], None
    except (IndexError, ValueError) as e:
        return None, e


def _lib_tensor(lib, a, grad=False):
    t = lib.tensor(a.copy())
    return t.requires_grad_(True) if grad else t


# ---------------------------------------------------------------- reads
@SETTINGS
@given(indexed(numpy_compatible=True), st.booleans())
def test_getitem_matches_numpy(case, as_numpy):
    a, parts = case
    ref, err = _np_result(a, parts)
    x = ember.tensor(a.copy())
    idx = _index(parts, ember, as_numpy)
    if err is not None:
        with pytest.raises((IndexError, ValueError, RuntimeError)):
            x[idx]
        return
    r = x[idx]
    assert r.shape == ref.shape and r.dtype == ember.float32
    np.testing.assert_array_equal(r.numpy(), ref)
    if not any(p[0] in ("arr", "mask") for p in parts) and ref.size:
        assert np.shares_memory(r.numpy(), x.numpy())       # basic indexing is a view


@SETTINGS
@given(indexed(numpy_compatible=True))
def test_getitem_grad_matches_add_at(case):
    a, parts = case
    ref, err = _np_result(a, parts)
    if err is not None:
        return
    w = np.random.default_rng(0).standard_normal(ref.shape).astype(np.float32)
    x = _lib_tensor(ember, a, grad=True)
    (x[_index(parts, ember)] * ember.tensor(w)).sum().backward()
    expect = np.zeros_like(a)
    np.add.at(expect, _index(parts, np), w)        # repeats accumulate
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")
@SETTINGS
@given(indexed(numpy_compatible=False))
def test_getitem_matches_torch(case):
    a, parts = case
    idx_t, idx_e = _index(parts, torch), _index(parts, ember)
    try:
        ref = _lib_tensor(torch, a, grad=True)[idx_t]
    except (IndexError, RuntimeError, ValueError) as e:
        with pytest.raises(type(e)):
            _lib_tensor(ember, a)[idx_e]
        return
    x = _lib_tensor(ember, a, grad=True)
    r = x[idx_e]
    assert tuple(r.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(r.detach().numpy(), ref.detach().numpy())
    assert r.grad_fn.name() == ref.grad_fn.name()


# ---------------------------------------------------------------- writes
def _value_for(ref_shape, rng, kind):
    if kind == "scalar":
        return 7.25
    if kind == "full":
        return rng.standard_normal(ref_shape).astype(np.float32)
    # broadcast along the leading dims: the trailing dim only (or a 0-dim tensor)
    return rng.standard_normal(ref_shape[-1:] if ref_shape else ()).astype(np.float32)


@SETTINGS
@given(indexed(numpy_compatible=True), st.sampled_from(["scalar", "full", "trailing"]))
def test_setitem_matches_numpy(case, kind):
    a, parts = case
    ref, err = _np_result(a, parts)
    if err is not None:
        return
    v = _value_for(ref.shape, np.random.default_rng(1), kind)
    expect = a.copy()
    expect[_index(parts, np)] = v
    x = ember.tensor(a.copy())
    version = x._version
    x[_index(parts, ember)] = v if kind == "scalar" else ember.tensor(v)
    np.testing.assert_array_equal(x.numpy(), expect)
    assert x._version == version + 1


@SETTINGS
@given(indexed(numpy_compatible=True))
def test_iadd_repeated_indices_do_not_accumulate(case):
    a, parts = case
    ref, err = _np_result(a, parts)
    if err is not None:
        return
    v = np.random.default_rng(2).standard_normal(ref.shape).astype(np.float32)
    expect = a.copy()
    expect[_index(parts, np)] += v         # NumPy's += on repeats: last write wins too
    x = ember.tensor(a.copy())
    x[_index(parts, ember)] += ember.tensor(v)
    np.testing.assert_allclose(x.numpy(), expect, rtol=1e-6)


@SETTINGS
@given(indexed(numpy_compatible=True))
def test_setitem_gradients(case):
    """y = x*1; y[idx] = v: x's gradient is w with the written places zeroed, v's is w[idx]
    (summed where v was broadcast)."""
    a, parts = case
    ref, err = _np_result(a, parts)
    if err is not None or ref.size == 0:
        return
    w = np.random.default_rng(3).standard_normal(a.shape).astype(np.float32)
    v = np.random.default_rng(4).standard_normal(ref.shape[-1:]).astype(np.float32)
    x = _lib_tensor(ember, a, grad=True)
    vt = _lib_tensor(ember, v, grad=True)
    y = x * 1
    y[_index(parts, ember)] = vt
    (y * ember.tensor(w)).sum().backward()
    gx = w.copy()
    gx[_index(parts, np)] = 0
    gv = w[_index(parts, np)].reshape(-1, *v.shape).sum(0)
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vt.grad.numpy(), gv, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")
@SETTINGS
@given(indexed(numpy_compatible=False), st.sampled_from(["scalar", "full", "trailing"]))
def test_setitem_matches_torch(case, kind):
    a, parts = case
    xt = torch.tensor(a.copy())
    try:
        shape = tuple(xt[_index(parts, torch)].shape)
    except (IndexError, RuntimeError, ValueError):
        return
    v = _value_for(shape, np.random.default_rng(5), kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xt[_index(parts, torch)] = v if kind == "scalar" else torch.tensor(v)
    x = ember.tensor(a.copy())
    x[_index(parts, ember)] = v if kind == "scalar" else ember.tensor(v)
    if not any(p[0] == "arr" and len(np.unique(p[1])) < p[1].size for p in parts):
        np.testing.assert_array_equal(x.numpy(), xt.numpy())   # repeats: order unspecified


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).flatmap(
    lambda shape: st.tuples(st.just(tuple(shape)),
                            st.lists(st.lists(st.integers(-10, 10), min_size=5, max_size=5),
                                     min_size=1, max_size=len(shape)))))
def test_index_put_accumulate_matches_add_at(case):
    shape, raw = case
    idx = tuple(np.array(r) % s - (s if k % 2 else 0) for k, (r, s) in enumerate(zip(raw, shape)))
    a = np.zeros(shape, np.float32)
    v = np.arange(1, 6, dtype=np.float32).reshape((5,) + (1,) * (len(shape) - len(idx)))
    expect = a.copy()
    np.add.at(expect, idx, v)
    x = ember.tensor(a)
    x.index_put_(tuple(ember.tensor(i) for i in idx), ember.tensor(v), accumulate=True)
    np.testing.assert_allclose(x.numpy(), expect)
    x2 = ember.tensor(a.copy())
    x2.index_put_(tuple(ember.tensor(i) for i in idx), ember.tensor(v))
    expect2 = a.copy()
    expect2[idx] = v
    np.testing.assert_allclose(x2.numpy(), expect2)


@SETTINGS
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.data())
def test_masks_match_numpy(shape, data):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    m = np.array(data.draw(st.lists(st.booleans(), min_size=a.size, max_size=a.size)),
                 bool).reshape(shape)
    x, mt = ember.tensor(a), ember.tensor(m)
    np.testing.assert_array_equal(x[mt].numpy(), a[m])
    np.testing.assert_array_equal(ember.masked_select(x, mt).numpy(), a[m])
    np.testing.assert_array_equal(x.masked_fill(mt, -1.0).numpy(), np.where(m, -1.0, a))
    src = np.arange(100, 100 + a.size, dtype=np.float32)
    expect = a.copy()
    expect[m] = src[:m.sum()]
    np.testing.assert_array_equal(x.masked_scatter(mt, ember.tensor(src)).numpy(), expect)
    np.testing.assert_array_equal(ember.nonzero(mt).numpy(), np.argwhere(m))
    y = x.clone()
    y[mt] = ember.tensor(src[:m.sum()])
    np.testing.assert_array_equal(y.numpy(), expect)
