"""Convolutions: F.conv*/conv_transpose* and the Conv modules against PyTorch; float64
gradchecks (double backward included); initialisation; reprs; errors."""
import math

import numpy as np
import pytest

import ember
from tests.conformance.harness import check_op, gradcheck_op, torch, requires_torch

rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def F(lib):
    return lib.nn.functional


# (input shape, weight shape, kwargs)
CONV2D = [
    ((2, 4, 9, 8), (6, 4, 3, 2), {}),
    ((2, 4, 9, 8), (6, 4, 3, 3), dict(stride=2)),
    ((2, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),
    ((2, 4, 9, 8), (6, 4, 3, 3), dict(padding=(2, 1), stride=(2, 3), dilation=(2, 1))),
    ((2, 4, 9, 8), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 4, 9, 8), (4, 1, 3, 3), dict(groups=4, stride=2)),          # depthwise
    ((2, 4, 9, 8), (6, 4, 4, 2), dict(padding="same", dilation=2)),   # asymmetric 'same'
    ((2, 4, 9, 8), (6, 4, 3, 3), dict(padding="valid")),
    ((2, 4, 9, 8), (6, 4, 1, 1), {}),
    ((4, 9, 8), (6, 4, 3, 3), dict(padding=1)),                       # unbatched
    ((1, 1, 28, 28), (10, 1, 5, 5), {}),                              # LeNet's conv1
    ((0, 4, 9, 8), (6, 4, 3, 3), {}),                                 # empty batch
    # batch >= 8 with narrow outputs: the batch-innermost column layout
    ((8, 10, 12, 12), (20, 10, 5, 5), {}),                            # LeNet's conv2
    ((8, 4, 9, 8), (6, 2, 3, 3), dict(groups=2, padding=1, stride=(1, 2))),
    ((9, 4, 7, 6), (6, 4, 2, 3), dict(dilation=(2, 1), padding=(0, 2))),
]


@requires_torch
@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d(xs, ws, kw):
    check_op(lambda L, x, w, b: F(L).conv2d(x, w, b, **kw), [_x(*xs), _x(*ws), _x(ws[0])],
             atol=1e-4, rtol=1e-4)


@requires_torch
def test_conv2d_no_bias_and_dtypes():
    check_op(lambda L, x, w: F(L).conv2d(x, w, stride=2), [_x(2, 3, 7, 7), _x(4, 3, 3, 3)],
             atol=1e-4)
    check_op(lambda L, x, w: F(L).conv2d(x, w, padding=1),
             [_x(2, 3, 5, 5, dtype=np.float64), _x(4, 3, 3, 3, dtype=np.float64)])
    xi = rng.integers(-5, 5, (2, 3, 5, 5))
    wi = rng.integers(-3, 3, (4, 3, 3, 3))
    check_op(lambda L, x, w: F(L).conv2d(x, w, padding=1), [xi, wi], grad=False)
    check_op(lambda L, x, w: F(L).conv2d(x, w),
             [_x(1, 2, 6, 6, dtype=np.float16), _x(3, 2, 3, 3, dtype=np.float16)],
             atol=2e-2, rtol=2e-2, grad=False)


@requires_torch
@pytest.mark.parametrize("kw", [{}, dict(stride=2, padding=2), dict(dilation=3, padding=2),
                                dict(groups=2), dict(padding="same")])
def test_conv1d(kw):
    w = _x(6, 2, 3) if kw.get("groups") else _x(6, 4, 3)
    check_op(lambda L, x, w, b: F(L).conv1d(x, w, b, **kw), [_x(2, 4, 11), w, _x(6)],
             atol=1e-4)


@requires_torch
@pytest.mark.parametrize("kw", [{}, dict(stride=(2, 1, 2), padding=1), dict(dilation=2),
                                dict(groups=2, padding="same")])
def test_conv3d(kw):
    w = _x(4, 2, 3, 2, 3) if kw.get("groups") else _x(4, 4, 3, 2, 3)
    check_op(lambda L, x, w, b: F(L).conv3d(x, w, b, **kw), [_x(2, 4, 6, 5, 7), w, _x(4)],
             atol=1e-4)


# (input shape, weight shape (C_in, C_out/g, *k), kwargs)
CONVT2D = [
    ((2, 4, 5, 6), (4, 3, 3, 2), {}),
    ((2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2)),
    ((2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 5, 6), (4, 2, 3, 3), dict(groups=2, stride=(1, 2))),
    ((2, 4, 5, 6), (4, 3, 3, 2), dict(stride=(2, 3), dilation=(2, 1), padding=(1, 0),
                                      output_padding=(1, 2))),
    ((2, 4, 5, 6), (4, 3, 2, 2), dict(stride=1, dilation=2, output_padding=1)),  # op < dil
    ((4, 5, 6), (4, 3, 3, 3), dict(stride=2)),                                   # unbatched
    ((2, 4, 3, 3), (4, 3, 2, 2), dict(stride=2)),                                # upsampler
    ((8, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),   # batch-inner
    ((8, 4, 5, 6), (4, 6, 3, 3), dict(padding=1)),
]


@requires_torch
@pytest.mark.parametrize("xs,ws,kw", CONVT2D)
def test_conv_transpose2d(xs, ws, kw):
    cout = ws[1] * kw.get("groups", 1)
    check_op(lambda L, x, w, b: F(L).conv_transpose2d(x, w, b, **kw),
             [_x(*xs), _x(*ws), _x(cout)], atol=1e-4, rtol=1e-4)


@requires_torch
def test_conv_transpose1d_3d():
    check_op(lambda L, x, w, b: F(L).conv_transpose1d(x, w, b, stride=3, padding=1,
                                                       output_padding=2),
             [_x(2, 4, 7), _x(4, 3, 4), _x(3)], atol=1e-4)
    check_op(lambda L, x, w: F(L).conv_transpose3d(x, w, stride=2, padding=1, groups=2),
             [_x(2, 4, 3, 4, 3), _x(4, 1, 3, 3, 2)], atol=1e-4)


@requires_torch
def test_conv_transpose_stride1_paths():
    # wide outputs take the im2col route for the transposed conv, narrow ones col2im;
    # padding beyond the kernel extent crops the padded input (negative padding inside)
    check_op(lambda L, x, w: F(L).conv_transpose2d(x, w, padding=3, dilation=2,
                                                   output_padding=1),
             [_x(2, 2, 7, 8), _x(2, 6, 3, 3)], atol=1e-4)
    check_op(lambda L, x, w: F(L).conv_transpose2d(x, w, padding=(0, 1), groups=2),
             [_x(2, 4, 5, 6), _x(4, 3, 2, 3)], atol=1e-4)
    check_op(lambda L, x, w: F(L).conv2d(x, w, padding=4), [_x(1, 6, 5, 5), _x(2, 6, 3, 3)],
             atol=1e-4)


def test_input_grad_routes_agree():
    from ember.nn.functional import conv as C
    for (xs, ws, stride, pad, dil, groups) in [
            ((2, 4, 7, 6), (6, 2, 3, 2), (1, 1), ((1, 1), (0, 2)), (1, 2), 2),
            ((1, 3, 5, 5), (2, 3, 3, 3), (1, 1), ((4, 4), (3, 3)), (1, 1), 1),
            ((2, 2, 6, 5), (4, 2, 2, 2), (1, 1), ((0, 1), (1, 0)), (2, 1), 1),
            ((9, 4, 8, 7), (6, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 2)]:   # batch-inner
        geom = C._Geom(stride, pad, dil, groups)
        out_sp = geom.out_size(xs[2:], ws[2:])
        y = _x(xs[0], ws[0], *out_sp).astype(np.float64)
        w = _x(*ws).astype(np.float64)
        via_col2im = C._input_grad_by_col2im(y, w, geom, xs)
        via_conv = C._input_grad_by_conv(y, w, geom, xs)
        np.testing.assert_allclose(via_conv, via_col2im, atol=1e-10)


@pytest.mark.parametrize("chunk", [1, 100_000, 400_000])
def test_chunked_routes_agree(monkeypatch, chunk):
    """Forward, input and weight gradients computed a few images at a time (one image per
    chunk, uneven last chunks, batch-inner chunks) match the whole-batch result, in every
    column layout (plain, batch-inner, wide rows, 1x1 matmul)."""
    from ember.nn.functional import conv as C
    cases = [((10, 4, 9, 8), (6, 2, 3, 3), (1, 2), ((1, 1), (0, 2)), (1, 1), 2),
             ((9, 3, 12, 12), (5, 3, 5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
             ((20, 3, 12, 12), (5, 3, 5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
             ((7, 4, 8, 8), (6, 4, 3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 1),
             ((5, 4, 16, 16), (3, 4, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
             ((5, 4, 16, 16), (3, 4, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
             ((6, 4, 14, 12), (4, 2, 3, 2), (1, 1), ((2, 2), (0, 1)), (1, 2), 2),
             ((6, 2, 9, 9), (4, 2, 2, 3), (1, 1), ((3, 3), (0, 1)), (2, 1), 1)]
    results = {}
    monkeypatch.setattr(C, "_MAX_CHUNKS", 1000)
    for budget in (1 << 30, chunk):
        monkeypatch.setattr(C, "_CHUNK_BYTES", budget)
        for i, (xs, ws, stride, pad, dil, groups) in enumerate(cases):
            geom = C._Geom(stride, pad, dil, groups)
            r = np.random.default_rng(i)
            x = r.standard_normal(xs)
            w = r.standard_normal(ws)
            b = r.standard_normal(ws[0])
            y = C._conv_fwd(x, w, b, geom)
            gy = r.standard_normal(y.shape)
            out = (y, C._input_grad_by_col2im(gy, w, geom, xs), C._weight_grad(x, gy, geom, ws))
            if all(s == 1 for s in stride):
                out += (C._input_grad_by_conv(gy, w, geom, xs),)
            results.setdefault(i, []).append(out)
    for whole, chunked in results.values():
        for a, b in zip(whole, chunked):
            np.testing.assert_allclose(a, b, atol=1e-10)


TAPS_CASES = [
    # (x shape, w shape, padding (low, high) per dim, dilation): every one takes the taps path
    ((3, 16, 9, 10), (5, 16, 3, 3), ((1, 1), (1, 1)), (1, 1)),
    ((2, 17, 8, 11), (4, 17, 3, 2), ((1, 2), (0, 1)), (1, 2)),
    ((2, 16, 12, 12), (3, 16, 3, 3), ((0, 0), (0, 0)), (1, 1)),
    ((2, 20, 7, 9), (6, 20, 3, 3), ((-1, 2), (2, 1)), (1, 1)),       # a crop, then padding
    ((2, 16, 13), (4, 16, 3), ((2, 2),), (2,)),                      # 1-d
    ((1, 16, 5, 6, 6), (2, 16, 3, 3, 3), ((1, 1), (1, 1), (1, 1)), (1, 1, 1)),   # 3-d
]


@pytest.mark.parametrize("case", TAPS_CASES)
def test_taps_route_agrees_with_im2col(monkeypatch, case):
    """The per-tap GEMM forward (no im2col; ember._cblas) equals im2col's, in float64 and
    float32, with bias, for 1/2/3-d, dilation, uneven and negative padding, and chunks
    that split the grid mid-image; the stride-1 input gradient (this forward on the output
    gradient) too."""
    from ember.nn.functional import conv as C
    xs, ws, pad, dil = case
    geom = C._Geom((1,) * len(dil), pad, dil, 1)
    out_sp = geom.out_size(xs[2:], ws[2:])
    monkeypatch.setattr(C, "_TAPS_MAX_WASTE", 10.0)
    r = np.random.default_rng(0)
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 1e-4)):
        x, w = r.standard_normal(xs).astype(dtype), r.standard_normal(ws).astype(dtype)
        b = r.standard_normal(ws[0]).astype(dtype)
        gy = r.standard_normal((xs[0], ws[0]) + out_sp).astype(dtype)
        monkeypatch.setattr(C, "_TAPS_MIN_CHANNELS", 16)
        assert C._taps_plan(x, ws, geom, out_sp) is not None
        results = []
        for taps, chunk in ((True, 8 << 20), (True, 1), (False, 8 << 20)):
            monkeypatch.setattr(C, "_TAPS_MIN_CHANNELS", 16 if taps else 10 ** 9)
            monkeypatch.setattr(C, "_TAPS_CHUNK_BYTES", chunk)
            results.append((C._conv_fwd(x, w, b, geom),
                            C._input_grad_by_conv(gy, w, geom, xs)))
        for got in results[:2]:
            for a, ref in zip(got, results[2]):
                assert a.dtype == ref.dtype and a.shape == ref.shape
                np.testing.assert_allclose(a, ref, atol=tol, rtol=tol)


def test_taps_route_choice(monkeypatch):
    """Taps only for CPU stride-1 ungrouped float32/64 convs with >= 16 input channels whose
    padded grid is at most _TAPS_MAX_WASTE times the outputs; never without the BLAS."""
    from ember import _cblas
    from ember.nn.functional import conv as C
    g1 = C._Geom((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = np.zeros((2, 16, 32, 32), np.float32)
    assert C._taps_plan(x, (8, 16, 3, 3), g1, (32, 32)) is not None
    assert C._taps_plan(x.astype(np.float64), (8, 16, 3, 3), g1, (32, 32)) is not None
    assert C._taps_plan(x[:, :15], (8, 15, 3, 3), g1, (32, 32)) is None           # channels
    assert C._taps_plan(x[:, :, :8, :8], (8, 16, 3, 3), g1, (8, 8)) is None      # waste
    assert C._taps_plan(x.astype(np.float16), (8, 16, 3, 3), g1, (32, 32)) is None
    g2 = C._Geom((2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    assert C._taps_plan(x, (8, 16, 3, 3), g2, (16, 16)) is None                  # stride
    g3 = C._Geom((1, 1), ((1, 1), (1, 1)), (1, 1), 2)
    assert C._taps_plan(x, (8, 8, 3, 3), g3, (32, 32)) is None                   # groups
    # a grid longer than the BLAS's integers reach: 2 * 34 * 34 places + 70 of slack
    monkeypatch.setattr(_cblas, "int_max", lambda: 2 * 34 * 34 + 69)
    assert C._taps_plan(x, (8, 16, 3, 3), g1, (32, 32)) is None
    monkeypatch.setattr(_cblas, "int_max", lambda: 2 * 34 * 34 + 70)
    assert C._taps_plan(x, (8, 16, 3, 3), g1, (32, 32)) is not None
    monkeypatch.setattr(_cblas, "_gemms", {})
    monkeypatch.setenv("EMBER_CBLAS", "0")
    assert C._taps_plan(x, (8, 16, 3, 3), g1, (32, 32)) is None


@pytest.mark.skipif(not __import__("ember")._cblas.gemm(np.float64),
                    reason="NumPy's BLAS is not an OpenBLAS ember can reach")
def test_gradcheck_taps_route():
    gradcheck_op(lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1),
                 [_x(2, 16, 5, 4), _x(3, 16, 3, 3), _x(3)], gradgrad=True)


@requires_torch
def test_taps_route_matches_torch():
    x = _x(4, 16, 12, 12)
    x[0, 3, 0, 0] = np.inf            # non-finite inputs reach the same outputs as torch's
    check_op(lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1),
             [x, _x(16, 16, 3, 3), _x(16)], atol=1e-4, rtol=1e-4, grad=False)
    check_op(lambda L, x, w, b: F(L).conv2d(x, w, b, padding=(2, 1), dilation=(2, 1)),
             [_x(3, 16, 14, 12), _x(16, 16, 3, 3), _x(16)], atol=1e-3, rtol=1e-4)


@requires_torch
def test_pointwise_convs():
    # 1x1 kernels without padding: a matmul per image (strided, grouped, transposed,
    # transposed with output_padding, 1-d and 3-d)
    check_op(lambda L, x, w, b: F(L).conv2d(x, w, b, stride=2, groups=2),
             [_x(3, 4, 7, 6), _x(6, 2, 1, 1), _x(6)], atol=1e-4)
    check_op(lambda L, x, w: F(L).conv2d(x, w, stride=(1, 3)), [_x(2, 5, 16, 17), _x(8, 5, 1, 1)],
             atol=1e-4)
    check_op(lambda L, x, w, b: F(L).conv_transpose2d(x, w, b, stride=2, output_padding=1),
             [_x(2, 4, 5, 6), _x(4, 3, 1, 1), _x(3)], atol=1e-4)
    check_op(lambda L, x, w: F(L).conv_transpose2d(x, w, dilation=2, output_padding=1),
             [_x(2, 4, 5, 6), _x(4, 3, 1, 1)], atol=1e-4)
    check_op(lambda L, x, w: F(L).conv1d(x, w, stride=2), [_x(2, 4, 9), _x(3, 4, 1)], atol=1e-4)
    check_op(lambda L, x, w: F(L).conv3d(x, w, stride=(2, 1, 2)),
             [_x(2, 4, 5, 4, 5), _x(3, 4, 1, 1, 1)], atol=1e-4)
    check_op(lambda L, x, w, b: F(L).conv2d(x, w, b, stride=2), [_x(0, 4, 5, 6), _x(3, 4, 1, 1),
                                                               _x(3)], atol=1e-4)
    xi = rng.integers(-5, 5, (2, 3, 5, 5))
    wi = rng.integers(-3, 3, (4, 3, 1, 1))
    check_op(lambda L, x, w: F(L).conv2d(x, w, stride=2), [xi, wi], grad=False)


def test_gradcheck_pointwise():
    gradcheck_op(lambda L, x, w, b: F(L).conv2d(x, w, b, stride=2, groups=2),
                 [_x(2, 4, 5, 4), _x(4, 2, 1, 1), _x(4)], gradgrad=True)
    gradcheck_op(lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2, output_padding=1),
                 [_x(2, 2, 3, 3), _x(2, 3, 1, 1)], gradgrad=True)


@pytest.mark.parametrize("cin", [3, 16])      # im2col, and taps (ember._cblas) for 16
def test_work_buffers_not_shared(cin):
    """Results never alias the reused per-thread work buffers, and threads get their own."""
    import threading
    f = F(ember)
    xs = [ember.tensor(_x(9, cin, 24, 20)) for _ in range(4)]   # padded grid 1.19x: taps
    w = ember.tensor(_x(5, cin, 3, 3))
    ref = [f.conv2d(x, w, padding=1).numpy().copy() for x in xs]
    first = f.conv2d(xs[0], w, padding=1)
    f.conv2d(xs[1], w, padding=1)
    np.testing.assert_array_equal(first.numpy(), ref[0])
    out = [None] * 4

    def run(i):
        for _ in range(20):
            out[i] = f.conv2d(xs[i], w, padding=1).numpy()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for o, r in zip(out, ref):
        np.testing.assert_array_equal(o, r)


def test_wide_rows_weight_grad_non_finite():
    """Wide columns hold input values at places that are not outputs (times zero rows in
    the weight gradient): an inf there must not turn the gradient into NaN."""
    from ember.nn.functional import conv as C
    geom = C._Geom((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x = _x(2, 2, 6, 12).astype(np.float64)
    y = _x(2, 3, 6, 12).astype(np.float64)
    assert C._wide_ok(geom, (6, 12), (8, 14), 3)
    x[0, 1, 2, 0] = np.inf          # read by row 1's wide places, a real input elsewhere
    x[1, 0, 3, 11] = np.nan
    wide = C._weight_grad(x, y, geom, (3, 2, 3, 3))
    narrow = C._weight_grad(x, y, geom, (3, 2, 3, 3), wide=False)
    np.testing.assert_array_equal(wide, narrow)
    assert np.isfinite(narrow).any() and not np.isfinite(narrow).all()


@requires_torch
def test_conv2d_non_finite_input_matches_torch():
    x = _x(2, 2, 6, 12)
    x[0, 1, 2, 0] = np.inf
    check_op(lambda L, x, w: F(L).conv2d(x, w, padding=1), [x, _x(3, 2, 3, 3)], atol=1e-4,
             rtol=1e-4)


# ---------------------------------------------------------------- gradchecks (float64)
@pytest.mark.parametrize("kw", [dict(stride=2, padding=(1, 0), groups=2, dilation=(1, 2)),
                                dict(padding="same", groups=2)])
def test_gradcheck_conv2d(kw):
    gradcheck_op(lambda L, x, w, b: F(L).conv2d(x, w, b, **kw),
                 [_x(2, 4, 5, 4), _x(2, 2, 3, 2), _x(2)], gradgrad=True)


def test_gradcheck_conv_transpose2d():
    gradcheck_op(lambda L, x, w, b: F(L).conv_transpose2d(x, w, b, stride=2, padding=(1, 0),
                                                          groups=2, output_padding=1),
                 [_x(2, 4, 3, 3), _x(4, 1, 3, 2), _x(2)], gradgrad=True)
    gradcheck_op(lambda L, x, w: F(L).conv_transpose2d(x, w, padding=1, output_padding=1,
                                                       dilation=2),
                 [_x(1, 2, 3, 3), _x(2, 2, 2, 2)], gradgrad=True)


def test_gradcheck_batch_inner_layout():
    gradcheck_op(lambda L, x, w: F(L).conv2d(x, w, padding=(1, 0)),
                 [_x(8, 2, 3, 3), _x(3, 2, 2, 2)], gradgrad=True)
    gradcheck_op(lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2),
                 [_x(8, 2, 2, 2), _x(2, 2, 2, 2)], gradgrad=True)


def test_gradcheck_conv1d_conv3d():
    gradcheck_op(lambda L, x, w: F(L).conv1d(x, w, stride=2, padding=1),
                 [_x(2, 2, 7), _x(3, 2, 3)], gradgrad=True)
    gradcheck_op(lambda L, x, w: F(L).conv3d(x, w, padding=(1, 0, 1)),
                 [_x(1, 2, 3, 3, 3), _x(2, 2, 2, 2, 2)], gradgrad=False)


def test_grad_fn_name_and_saved_version_check():
    x = ember.randn(1, 2, 5, 5, requires_grad=True)
    w = ember.randn(3, 2, 3, 3, requires_grad=True)
    y = F(ember).conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert y.is_contiguous()
    xx = ember.randn(1, 2, 5, 5)
    w2 = ember.randn(3, 2, 3, 3, requires_grad=True)
    y2 = F(ember).conv2d(xx, w2)
    xx.add_(1)    # the input saved for the weight gradient changed
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2.sum().backward()


def test_retain_graph_second_backward():
    x = ember.randn(2, 2, 5, 5, requires_grad=True)
    w = ember.randn(3, 2, 3, 3, requires_grad=True)
    y = F(ember).conv2d(x, w, padding=1).sum()
    y.backward(retain_graph=True)
    g1 = w.grad.clone()
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * g1.numpy(), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- modules
MODULES = [
    ("Conv2d", (3, 6, 3), dict(stride=2, padding=1), (2, 3, 9, 9)),
    ("Conv2d", (1, 10, 5), {}, (4, 1, 28, 28)),
    ("Conv2d", (4, 6, (3, 2)), dict(groups=2, bias=False, dilation=(1, 2)), (2, 4, 8, 9)),
    ("Conv2d", (3, 4, 3), dict(padding=2, padding_mode="reflect"), (2, 3, 6, 7)),
    ("Conv2d", (3, 4, 3), dict(padding=(1, 2), padding_mode="replicate"), (2, 3, 6, 7)),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="circular"), (2, 3, 6, 7)),
    ("Conv2d", (3, 4, 4), dict(padding="same", padding_mode="reflect"), (2, 3, 6, 7)),
    ("Conv1d", (3, 5, 3), dict(padding="same", dilation=2), (2, 3, 10)),
    ("Conv1d", (4, 4, 3), dict(groups=4, padding=1, padding_mode="circular"), (4, 10)),
    ("Conv3d", (2, 3, 3), dict(stride=(1, 2, 1), padding=1), (2, 2, 5, 6, 5)),
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 5, 4)),
    ("ConvTranspose2d", (4, 6, 2), dict(stride=2, groups=2, bias=False), (2, 4, 3, 3)),
    ("ConvTranspose1d", (3, 2, 4), dict(stride=3, dilation=2), (2, 3, 5)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 3, 3, 2)),
]


def _copy(mod_e, mod_t):
    missing = mod_e.load_state_dict({k: ember.tensor(v.detach().numpy())
                                     for k, v in mod_t.state_dict().items()})
    assert not missing.missing_keys and not missing.unexpected_keys


@requires_torch
@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_module_conformance(name, args, kw, xs):
    mt = getattr(torch.nn, name)(*args, **kw)
    me = getattr(ember.nn, name)(*args, **kw)
    assert repr(me) == repr(mt)
    assert [n for n, _ in me.named_parameters()] == [n for n, _ in mt.named_parameters()]
    _copy(me, mt)
    x = _x(*xs)
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = me(xe), mt(xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), atol=1e-4, rtol=1e-4)
    w = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), atol=1e-4, rtol=1e-4)
    for (n, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), atol=1e-3, rtol=1e-4,
                                   err_msg=n)


@requires_torch
def test_conv_transpose_output_size():
    mt = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    me = ember.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    _copy(me, mt)
    x = _x(1, 3, 4, 4)
    for size in [(7, 7), (8, 8), [1, 2, 8, 7]]:
        ye = me(ember.tensor(x), output_size=size)
        yt = mt(torch.tensor(x), output_size=size)
        assert tuple(ye.shape) == tuple(yt.shape)
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="requested an output size of"):
        me(ember.tensor(x), output_size=(10, 10))


@requires_torch
def test_reprs():
    cases = [("Conv2d", (1, 10), dict(kernel_size=5)),
             ("Conv2d", (16, 33, (3, 5)), dict(stride=(2, 1), padding=(4, 2), dilation=(3, 1))),
             ("Conv1d", (4, 8, 3), dict(padding="same", padding_mode="reflect", groups=2)),
             ("Conv3d", (4, 8, 3), dict(bias=False, padding="valid")),
             ("ConvTranspose2d", (3, 4, 3), dict(stride=2, output_padding=1, bias=False)),
             ("ConvTranspose1d", (3, 4, 3), dict(dilation=2, groups=1)),
             ("LazyConv2d", (8, 3), {}), ("LazyConvTranspose1d", (4, 3), {})]
    for name, args, kw in cases:
        assert repr(getattr(ember.nn, name)(*args, **kw)) == \
            repr(getattr(torch.nn, name)(*args, **kw))


def test_init_bounds():
    ember.manual_seed(0)
    m = ember.nn.Conv2d(16, 32, 3)
    fan_in = 16 * 9
    bound = 1 / math.sqrt(fan_in)   # kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in)
    w = m.weight.detach().numpy()
    b = m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound
    mt = ember.nn.ConvTranspose2d(16, 8, 3, groups=2)
    # weight (in, out/g, k, k): fan_in is computed from dim 1 as PyTorch does
    bound_t = 1 / math.sqrt(4 * 9)
    assert np.abs(mt.weight.detach().numpy()).max() <= bound_t
    assert np.abs(mt.bias.detach().numpy()).max() <= bound_t
    ember.manual_seed(3)
    a = ember.nn.Conv2d(2, 3, 3).weight.detach().numpy().copy()
    ember.manual_seed(3)
    assert np.array_equal(a, ember.nn.Conv2d(2, 3, 3).weight.detach().numpy())


def test_module_factory_kwargs_and_double():
    m = ember.nn.Conv2d(2, 3, 3, dtype=ember.float64)
    assert m.weight.dtype is ember.float64 and m.bias.dtype is ember.float64
    y = m(ember.randn(1, 2, 5, 5, dtype=ember.float64))
    assert y.dtype is ember.float64 and tuple(y.shape) == (1, 3, 3, 3)


@requires_torch
def test_lazy_conv():
    me = ember.nn.LazyConv2d(4, 3, padding=1)
    assert me.has_uninitialized_params()
    y = me(ember.randn(2, 3, 5, 5))
    assert type(me) is ember.nn.Conv2d and me.in_channels == 3
    assert tuple(me.weight.shape) == (4, 3, 3, 3) and tuple(y.shape) == (2, 4, 5, 5)
    assert repr(me) == repr(torch.nn.Conv2d(3, 4, 3, padding=1))
    mt = ember.nn.LazyConvTranspose2d(5, 2, stride=2)
    y = mt(ember.randn(6, 4, 4))
    assert tuple(mt.weight.shape) == (6, 5, 2, 2) and tuple(y.shape) == (5, 8, 8)


def test_module_constructor_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ember.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        ember.nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        ember.nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        ember.nn.Conv2d(4, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        ember.nn.Conv2d(4, 4, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        ember.nn.Conv2d(4, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                         'ConvTranspose2d'):
        ember.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect")


# ---------------------------------------------------------------- errors
def _err(fn, exc, msg):
    with pytest.raises(exc) as e:
        fn()
    assert msg in str(e.value), str(e.value)


def test_errors():
    c2 = F(ember).conv2d
    x = ember.randn(2, 3, 8, 8)
    _err(lambda: c2(ember.randn(3, 8), ember.randn(4, 3, 3, 3)), RuntimeError,
         "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
         "[3, 8]")
    _err(lambda: c2(ember.randn(64, 3, 28, 28), ember.randn(10, 1, 5, 5)), RuntimeError,
         "Given groups=1, weight of size [10, 1, 5, 5], expected input[64, 3, 28, 28] to have "
         "1 channels, but got 3 channels instead")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), groups=2), RuntimeError,
         "Given groups=2, weight of size [4, 3, 3, 3], expected input[2, 3, 8, 8] to have 6 "
         "channels, but got 3 channels instead")
    _err(lambda: c2(x, ember.randn(4, 1, 3, 3), groups=3), RuntimeError,
         "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight "
         "of size [[4, 1, 3, 3]] instead")
    _err(lambda: c2(ember.randn(1, 1, 3, 3), ember.randn(1, 1, 5, 5)), RuntimeError,
         "Calculated padded input size per channel: (3 x 3). Kernel size: (5 x 5). Kernel size "
         "can't be greater than actual input size")
    _err(lambda: F(ember).conv1d(ember.randn(2, 3, 4), ember.randn(4, 3, 5)), RuntimeError,
         "Calculated padded input size per channel: (4). Kernel size: (5).")
    _err(lambda: c2(x, ember.randn(4, 3, 3)), RuntimeError,
         "expected stride to be a single integer value or a list of 1 values to match the "
         "convolution dimensions, but got stride=[1, 1]")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), stride=2, padding="same"), RuntimeError,
         "padding='same' is not supported for strided convolutions")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), padding="foo"), RuntimeError,
         "Invalid padding string: 'foo'")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), stride=0), RuntimeError,
         "non-positive stride is not supported")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), stride=-1, padding=-1), RuntimeError,
         "negative padding is not supported")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), dilation=0), RuntimeError,
         "non-positive dilation is not supported")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), groups=0), RuntimeError,
         "non-positive groups is not supported")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), bias=ember.randn(3)), RuntimeError,
         "Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 "
         "elements, but got bias of size [3] instead")
    _err(lambda: c2(x.double(), ember.randn(4, 3, 3, 3)), RuntimeError,
         "expected scalar type Double but found Float")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3).double()), RuntimeError,
         "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the "
         "same")
    _err(lambda: c2(x, ember.randn(4, 3, 3, 3), ember.randn(4).double()), RuntimeError,
         "Input type (float) and bias type (double) should be the same")
    _err(lambda: c2(x.bool(), ember.randn(4, 3, 3, 3).bool()), NotImplementedError,
         "not implemented for 'Bool'")
    _err(lambda: c2(x, [1.0]), TypeError,
         "conv2d() received an invalid combination of arguments")
    ct = F(ember).conv_transpose2d
    _err(lambda: ct(x, ember.randn(3, 4, 3, 3), output_padding=1), RuntimeError,
         "output padding must be smaller than either stride or dilation, but got "
         "output_padding_height: 1 output_padding_width: 1 stride_height: 1 stride_width: 1 "
         "dilation_height: 1 dilation_width: 1")
    _err(lambda: ct(x, ember.randn(4, 4, 3, 3)), RuntimeError,
         "Given transposed=1, weight of size [4, 4, 3, 3], expected input[2, 3, 8, 8] to have "
         "4 channels, but got 3 channels instead")
    _err(lambda: ct(x, ember.randn(3, 4, 3, 3), bias=ember.randn(3)), RuntimeError,
         "Given transposed=1, weight of size [3, 4, 3, 3], expected bias to be 1-dimensional "
         "with 4 elements, but got bias of size [3] instead")
    _err(lambda: ct(x, ember.randn(3, 4, 3, 3), padding="same"), TypeError,
         "argument 'padding' must be tuple of ints, not str")
    _err(lambda: ct(ember.randn(3, 8), ember.randn(3, 4, 3, 3)), RuntimeError,
         "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d")


@requires_torch
def test_error_messages_match_torch():
    cases = [
        lambda L, x: F(L).conv2d(x, L.ones(4, 1, 3, 3)),
        lambda L, x: F(L).conv2d(x, L.ones(4, 3, 9, 9)),
        lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), dilation=4),
        lambda L, x: F(L).conv3d(x, L.ones(4, 3, 3, 3, 3)),
        lambda L, x: F(L).conv_transpose2d(x, L.ones(3, 4, 3, 3), stride=2, output_padding=2),
    ]
    for fn in cases:
        msgs = []
        for L in (ember, torch):
            with pytest.raises(RuntimeError) as e:
                fn(L, L.ones(2, 3, 8, 8))
            msgs.append(str(e.value).split("\n")[0])
        assert msgs[0] == msgs[1]
