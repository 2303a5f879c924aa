"""Vision functionals and their modules against PyTorch: pad (every mode), interpolate
(every mode, sizes/scales, align_corners, antialias), grid_sample, affine_grid, pixel and
channel shuffles, fold/unfold; float64 gradchecks with double backward; reprs; errors."""
import warnings

import numpy as np
import pytest

import ember
from tests.conformance.harness import check_op, gradcheck_op, torch, requires_torch

rng = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def F(lib):
    return lib.nn.functional


# ---------------------------------------------------------------- pad
@requires_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (1, 2, 3, 1), (0, 2, 2, 0), (-1, 2, 3, -2),
                                 (2, -1, -1, 1), (1, 1, 2, 2, 1, 0)])
def test_pad(mode, pad):
    x = _x(2, 3, 5, 6)
    if mode != "constant" and len(pad) == 2:
        x = x[0]              # 1-d padding needs a 2-d or 3-d input
    if mode != "constant" and len(pad) == 6:
        x = x[None]
    check_op(lambda L, x: F(L).pad(x, pad, mode=mode), [x])


@requires_torch
def test_pad_variants():
    x = _x(2, 3, 5, 6)
    check_op(lambda L, x: F(L).pad(x, (1, 1, 2, 2, 1, 0, 1, 1), value=2.5), [x])
    check_op(lambda L, x: F(L).pad(x, (6, 5, 5, 1), mode="circular"), [x])   # full wraps
    check_op(lambda L, x: F(L).pad(x, (4, 4, 3, 3), mode="reflect"), [x])
    check_op(lambda L, x: F(L).pad(x, (3, 2), mode="replicate"), [x[0, 0]])
    check_op(lambda L, x: F(L).pad(x, (1, 2)), [rng.integers(0, 9, (2, 3))], grad=False)
    check_op(lambda L, x: F(L).pad(x, (1, 2), value=1.7), [rng.integers(0, 9, (2, 3))],
             grad=False)
    check_op(lambda L, x: F(L).pad(x, (1, 2, 1, 1), mode="reflect"),
             [rng.integers(0, 9, (2, 3, 4))], grad=False)
    check_op(lambda L, x: F(L).pad(x, (1, 2), value=True), [rng.random((2, 3)) > 0.5],
             grad=False)
    check_op(lambda L, x: F(L).pad(x, (2, 1)), [_x(2, 3, dtype=np.float64)])


PAD_MODULES = [("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 2, 3, 4),)), ("ZeroPad3d", (1,)),
               ("ConstantPad1d", (2, 3.5)), ("ConstantPad2d", ((1, 2, 3, 4), 1)),
               ("ConstantPad3d", (1, 0.0)), ("ReflectionPad1d", (2,)),
               ("ReflectionPad2d", ((1, 2, 3, 2),)), ("ReflectionPad3d", (1,)),
               ("ReplicationPad1d", (2,)), ("ReplicationPad2d", (1,)),
               ("ReplicationPad3d", ((1, 2, 3, 2, 1, 0),)), ("CircularPad1d", (1,)),
               ("CircularPad2d", (2,)), ("CircularPad3d", (1,))]


@requires_torch
@pytest.mark.parametrize("name,args", PAD_MODULES)
def test_pad_modules(name, args):
    assert repr(getattr(ember.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    nd = int(name[-2])
    x = _x(*((2, 3) + (4, 5, 6)[3 - nd:]))
    check_op(lambda L, x: getattr(L.nn, name)(*args)(x), [x])
    check_op(lambda L, x: getattr(L.nn, name)(*args)(x), [x[0]])


# ---------------------------------------------------------------- interpolate
SIZES_2D = [dict(scale_factor=2), dict(size=(7, 9)), dict(size=(3, 4)),
            dict(scale_factor=(1.7, 0.6)), dict(scale_factor=1.3, recompute_scale_factor=True),
            dict(size=(5, 6)), dict(size=(10, 12)), dict(size=1)]


@requires_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
@pytest.mark.parametrize("kw", SIZES_2D)
def test_interpolate_2d(mode, kw):
    x = _x(2, 3, 5, 6)
    check_op(lambda L, x: F(L).interpolate(x, mode=mode, **kw), [x])
    if mode in ("bilinear", "bicubic"):
        check_op(lambda L, x: F(L).interpolate(x, mode=mode, align_corners=True, **kw), [x])
        check_op(lambda L, x: F(L).interpolate(x, mode=mode, antialias=True, **kw), [x])


@requires_torch
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=7), dict(scale_factor=0.7),
                                dict(size=3)])
def test_interpolate_1d_3d(kw):
    for mode in ["nearest", "linear", "nearest-exact", "area"]:
        check_op(lambda L, x: F(L).interpolate(x, mode=mode, **kw), [_x(2, 3, 5)])
    check_op(lambda L, x: F(L).interpolate(x, mode="linear", align_corners=True, **kw),
             [_x(2, 3, 5)])
    for mode in ["nearest", "trilinear", "nearest-exact", "area"]:
        check_op(lambda L, x: F(L).interpolate(x, mode=mode, **kw), [_x(1, 2, 3, 4, 5)])


@requires_torch
def test_interpolate_nearest_index_rounding():
    # scales whose float32 products land near integers: indices must match PyTorch's exactly
    for n, o in [(7, 15), (10, 3), (13, 29), (3, 10), (100, 33), (33, 100)]:
        check_op(lambda L, x: F(L).interpolate(x, size=o), [_x(1, 1, n)])
        check_op(lambda L, x: F(L).interpolate(x, size=o, mode="nearest-exact"), [_x(1, 1, n)])
    for s in [0.3, 1.1, 2.7, 3.0001]:
        check_op(lambda L, x: F(L).interpolate(x, scale_factor=s), [_x(1, 1, 11)])


@requires_torch
def test_interpolate_and_pad_sparse_route(monkeypatch):
    # large maps gather forward and sum with reduceat backward instead of a dense matrix
    from ember.nn.functional import pooling
    monkeypatch.setattr(pooling, "_DENSE_TAPS", 0)
    x = _x(2, 3, 5, 6)
    for kw in [dict(size=(7, 9), mode="bilinear"), dict(size=(3, 4), mode="bicubic"),
               dict(size=(4, 5), mode="bilinear", antialias=True), dict(size=(11, 4)),
               dict(size=(3, 4), mode="area")]:
        check_op(lambda L, x: F(L).interpolate(x, **kw), [x])
    check_op(lambda L, x: F(L).pad(x, (2, 1, -1, 3), mode="reflect"), [x])
    check_op(lambda L, x: F(L).pad(x, (2, 1, 1, 3), mode="circular"), [x])
    gradcheck_op(lambda L, x: F(L).interpolate(x, size=(3, 7), mode="bilinear"),
                 [_x(1, 1, 4, 5)], gradgrad=True)


@requires_torch
def test_upsample_modules():
    cases = [("Upsample", dict(scale_factor=2)),
             ("Upsample", dict(size=(3, 4), mode="bilinear", align_corners=True)),
             ("Upsample", dict(scale_factor=(2.0, 3.0), mode="bicubic")),
             ("UpsamplingNearest2d", dict(scale_factor=2)),
             ("UpsamplingBilinear2d", dict(size=5)), ("Upsample", dict(size=5))]
    for name, kw in cases:
        me, mt = getattr(ember.nn, name)(**kw), getattr(torch.nn, name)(**kw)
        assert repr(me) == repr(mt)
        check_op(lambda L, x: getattr(L.nn, name)(**kw)(x), [_x(2, 3, 4, 5)])


def test_deprecated_upsample_warns():
    x = ember.randn(1, 1, 2, 2)
    with pytest.warns(UserWarning, match="nn.functional.upsample_nearest` is deprecated"):
        y = F(ember).upsample_nearest(x, scale_factor=2)
    assert tuple(y.shape) == (1, 1, 4, 4)
    with pytest.warns(UserWarning, match="nn.functional.upsample` is deprecated"):
        F(ember).upsample(x, size=3)


# ---------------------------------------------------------------- grid_sample / affine_grid
@requires_torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_2d(mode, padding_mode, align_corners):
    g = (rng.random((2, 4, 3, 2)) * 2.4 - 1.2).astype(np.float32)
    check_op(lambda L, x, g: F(L).grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                              align_corners=align_corners),
             [_x(2, 3, 5, 6), g], atol=1e-4, rtol=1e-4)


@requires_torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d(mode, padding_mode):
    g = (rng.random((2, 4, 3, 2, 3)) * 2.4 - 1.2).astype(np.float32)
    check_op(lambda L, x, g: F(L).grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                              align_corners=False),
             [_x(2, 2, 3, 4, 5), g], atol=1e-4, rtol=1e-4)


@requires_torch
@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid(align_corners):
    check_op(lambda L, t: F(L).affine_grid(t, (2, 3, 4, 5), align_corners=align_corners),
             [_x(2, 2, 3)])
    check_op(lambda L, t: F(L).affine_grid(t, (2, 3, 4, 5, 6), align_corners=align_corners),
             [_x(2, 3, 4)])
    check_op(lambda L, t: F(L).affine_grid(t, (1, 1, 1, 3), align_corners=False),
             [_x(1, 2, 3)])


@requires_torch
def test_spatial_transformer_pipeline():
    def stn(L, x, t):
        grid = F(L).affine_grid(t, x.shape, align_corners=False)
        return F(L).grid_sample(x, grid, align_corners=False)
    theta = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]]] * 2, np.float32)
    check_op(stn, [_x(2, 1, 8, 8), theta], atol=1e-4)


def test_grid_sample_warns_without_align_corners():
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F(ember).grid_sample(ember.randn(1, 1, 3, 3), ember.zeros(1, 2, 2, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F(ember).affine_grid(ember.randn(1, 2, 3), (1, 1, 2, 2))


# ---------------------------------------------------------------- shuffles, fold/unfold
@requires_torch
def test_shuffles():
    x = _x(2, 8, 4, 6)
    check_op(lambda L, x: F(L).pixel_shuffle(x, 2), [x])
    check_op(lambda L, x: F(L).pixel_shuffle(x, 2), [x[0]])
    check_op(lambda L, x: F(L).pixel_shuffle(x, 2), [x[None]])
    check_op(lambda L, x: F(L).pixel_unshuffle(x, 2), [x])
    check_op(lambda L, x: F(L).pixel_unshuffle(x, 3), [_x(3, 6, 9)[None, None]])
    check_op(lambda L, x: F(L).channel_shuffle(x, 4), [x])
    check_op(lambda L, x: F(L).channel_shuffle(x, 2), [_x(8, 3)[None]])
    for name, args in [("PixelShuffle", (2,)), ("PixelUnshuffle", (2,)),
                       ("ChannelShuffle", (4,))]:
        assert repr(getattr(ember.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
        check_op(lambda L, x: getattr(L.nn, name)(*args)(x), [x])


@requires_torch
def test_fold_unfold():
    x = _x(2, 3, 6, 7)
    check_op(lambda L, x: F(L).unfold(x, 2), [x])
    check_op(lambda L, x: F(L).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
             [x])
    check_op(lambda L, x: F(L).unfold(x, 3, padding=1), [x[0]])
    check_op(lambda L, c: F(L).fold(c, (4, 5), 2, padding=(1, 0)), [_x(2, 12, 20)])
    check_op(lambda L, c: F(L).fold(c, (5, 6), (2, 3), dilation=(2, 1), stride=(1, 2)),
             [_x(2, 12, 6)])
    check_op(lambda L, c: F(L).fold(c, 4, 2, stride=2), [_x(8, 4)])
    for name, args, kw in [("Unfold", (2,), {}),
                           ("Unfold", ((2, 3),), dict(dilation=2, padding=1, stride=(1, 2))),
                           ("Fold", ((4, 5), 2), {}), ("Fold", (4, (2, 3), 1, 1, 2), {})]:
        assert repr(getattr(ember.nn, name)(*args, **kw)) == \
            repr(getattr(torch.nn, name)(*args, **kw))
    check_op(lambda L, x: L.nn.Fold((6, 7), 3, padding=1)(L.nn.Unfold(3, padding=1)(x)), [x])


# ---------------------------------------------------------------- gradchecks (float64)
# coordinates kept off integer pixel positions, where bilinear sampling has kinks
GRID = np.array([[[[-1.03, -0.37], [0.31, 0.87]], [[0.69, -0.23], [1.13, 0.33]],
                  [[0.11, 0.53], [-0.67, -1.07]]]])


def _grid():
    return GRID.copy()


GRADCHECKS = {
    "pad_constant": (lambda L, x: F(L).pad(x, (1, -1, 2, 0), value=1.5), [(1, 2, 4, 5)]),
    "pad_reflect": (lambda L, x: F(L).pad(x, (2, 1, -1, 3), mode="reflect"), [(1, 2, 4, 5)]),
    "pad_replicate": (lambda L, x: F(L).pad(x, (2, 1, 1, 3), mode="replicate"),
                      [(1, 2, 4, 5)]),
    "pad_circular": (lambda L, x: F(L).pad(x, (2, -1, 1, 3), mode="circular"),
                     [(1, 2, 4, 5)]),
    "nearest": (lambda L, x: F(L).interpolate(x, size=(7, 3)), [(1, 2, 4, 5)]),
    "nearest_x3": (lambda L, x: F(L).interpolate(x, scale_factor=3), [(1, 2, 2, 3)]),
    "nearest_3d": (lambda L, x: F(L).interpolate(x, scale_factor=(2, 1, 3)), [(1, 1, 2, 2, 2)]),
    "bilinear": (lambda L, x: F(L).interpolate(x, scale_factor=1.5, mode="bilinear"),
                 [(1, 2, 4, 5)]),
    "bicubic": (lambda L, x: F(L).interpolate(x, size=(3, 7), mode="bicubic",
                                              align_corners=True), [(1, 2, 4, 5)]),
    "antialias": (lambda L, x: F(L).interpolate(x, size=(2, 3), mode="bilinear",
                                                antialias=True), [(1, 2, 4, 5)]),
    "area": (lambda L, x: F(L).interpolate(x, size=(3, 3), mode="area"), [(1, 2, 4, 5)]),
    "trilinear": (lambda L, x: F(L).interpolate(x, size=(2, 3, 4), mode="trilinear"),
                  [(1, 1, 3, 2, 3)]),
    "grid_bilinear": (lambda L, x, g: F(L).grid_sample(x, g, align_corners=False),
                      [(1, 2, 4, 5), "grid"]),
    "grid_reflection": (lambda L, x, g: F(L).grid_sample(x, g, padding_mode="reflection",
                                                         align_corners=True),
                        [(1, 2, 4, 5), "grid"]),
    "grid_bicubic": (lambda L, x, g: F(L).grid_sample(x, g, mode="bicubic",
                                                      padding_mode="border",
                                                      align_corners=False),
                     [(1, 2, 4, 5), "grid"]),
    "affine_grid": (lambda L, t: F(L).affine_grid(t, (1, 1, 3, 4), align_corners=False),
                    [(1, 2, 3)]),
    "pixel_shuffle": (lambda L, x: F(L).pixel_shuffle(x, 2), [(1, 4, 2, 3)]),
    "unfold": (lambda L, x: F(L).unfold(x, (2, 3), padding=1, stride=(2, 1)), [(1, 2, 4, 5)]),
    "fold": (lambda L, c: F(L).fold(c, (4, 5), 2, padding=1), [(1, 8, 30)]),
}


@pytest.mark.parametrize("name", list(GRADCHECKS))
def test_gradcheck(name):
    fn, shapes = GRADCHECKS[name]
    inputs = [_grid() if s == "grid" else _x(*s) for s in shapes]
    gradcheck_op(fn, inputs, gradgrad=True)


def test_grid_sample_nearest_grid_gets_zero_grad():
    x = ember.randn(1, 1, 3, 3, requires_grad=True)
    g = ember.tensor(GRID.astype(np.float32), requires_grad=True)
    F(ember).grid_sample(x, g, mode="nearest", align_corners=False).sum().backward()
    assert g.grad is not None and not g.grad.numpy().any()


def test_grad_fn_names():
    x = ember.randn(1, 2, 4, 4, requires_grad=True)
    f = F(ember)
    assert f.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert f.pad(x, (1, 1, 1, 1), mode="reflect").grad_fn.name() == "ReflectionPad2DBackward0"
    assert f.pad(x[0], (1, 1), mode="replicate").grad_fn.name() == "ReplicationPad1DBackward0"
    assert f.interpolate(x, scale_factor=2).grad_fn.name() == "UpsampleNearest2DBackward0"
    assert f.interpolate(x, scale_factor=2, mode="bilinear").grad_fn.name() == \
        "UpsampleBilinear2DBackward0"
    assert f.unfold(x, 2).grad_fn.name() == "Im2ColBackward0"


# ---------------------------------------------------------------- errors
@requires_torch
def test_error_messages_match_torch():
    x4 = np.zeros((2, 3, 4, 5), np.float32)
    cases = [
        lambda L, x: F(L).pad(x, (1, 2, 3)),
        lambda L, x: F(L).pad(x, (1,) * 10),
        lambda L, x: F(L).pad(x, (-3, -3)),
        lambda L, x: F(L).pad(x, (1, 2), mode="reflect"),
        lambda L, x: F(L).pad(x, (5, 2, 1, 1), mode="reflect"),
        lambda L, x: F(L).pad(x, (2, 2, 4, 1), mode="reflect"),
        lambda L, x: F(L).pad(x, (6, 2, 1, 1), mode="circular"),
        lambda L, x: F(L).pad(x, (1, 2), mode="foo"),
        lambda L, x: F(L).pad(x, (1, 2), mode="reflect", value=1.0),
        lambda L, x: F(L).pad(x > 0, (1, 2, 1, 1), mode="replicate"),
        lambda L, x: F(L).pad(x[:, :, :0], (1, 1, 1, 1), mode="reflect"),
        lambda L, x: F(L).pad(x, (1.5, 2)),
        lambda L, x: F(L).interpolate(x[0], scale_factor=2, mode="bilinear"),
        lambda L, x: F(L).interpolate(x, scale_factor=2, mode="linear"),
        lambda L, x: F(L).interpolate(x, scale_factor=2, mode="foo"),
        lambda L, x: F(L).interpolate(x, size=3, scale_factor=2),
        lambda L, x: F(L).interpolate(x),
        lambda L, x: F(L).interpolate(x, size=(3, 4, 5)),
        lambda L, x: F(L).interpolate(x, scale_factor=(2, 3, 4)),
        lambda L, x: F(L).interpolate(x, scale_factor=2, align_corners=True),
        lambda L, x: F(L).interpolate(x, size=(7, 9), mode="bilinear",
                                      recompute_scale_factor=True),
        lambda L, x: F(L).interpolate(x, scale_factor=0.5, antialias=True),
        lambda L, x: F(L).interpolate(x, size=0),
        lambda L, x: F(L).interpolate(x, scale_factor=0.1),
        lambda L, x: F(L).interpolate(x[0, 0], size=3),
        lambda L, x: F(L).grid_sample(x, L.zeros(2, 3, 3, 2), mode="foo"),
        lambda L, x: F(L).grid_sample(x, L.zeros(2, 3, 3, 2), padding_mode="foo"),
        lambda L, x: F(L).grid_sample(x, L.zeros(2, 3, 3, 1), align_corners=True),
        lambda L, x: F(L).grid_sample(x, L.zeros(1, 3, 3, 2), align_corners=True),
        lambda L, x: F(L).grid_sample(x, L.zeros(2, 3, 3, 2).double(), align_corners=True),
        lambda L, x: F(L).affine_grid(L.zeros(2, 3, 3), (2, 1, 3, 4), align_corners=True),
        lambda L, x: F(L).affine_grid(L.zeros(2, 2, 3), (2, 1, 3, 4, 5), align_corners=True),
        lambda L, x: F(L).affine_grid(L.zeros(2, 2, 3), (2, 1, 3), align_corners=True),
        lambda L, x: F(L).affine_grid(L.zeros(2, 2, 3).long(), (2, 1, 3, 4),
                                      align_corners=True),
        lambda L, x: F(L).affine_grid(L.zeros(2, 2, 3), (1, 1, 3, 4), align_corners=True),
        lambda L, x: F(L).pixel_shuffle(x, 3),
        lambda L, x: F(L).pixel_shuffle(x[0, 0], 2),
        lambda L, x: F(L).pixel_shuffle(x, 0),
        lambda L, x: F(L).pixel_unshuffle(x, 2),
        lambda L, x: F(L).pixel_unshuffle(x, 0),
        lambda L, x: F(L).channel_shuffle(x, 2),
        lambda L, x: F(L).channel_shuffle(x, 0),
        lambda L, x: F(L).channel_shuffle(x[0, 0], 2),
        lambda L, x: F(L).unfold(x, 6),
        lambda L, x: F(L).unfold(x, 0),
        lambda L, x: F(L).unfold(x, 2, stride=0),
        lambda L, x: F(L).unfold(x, 2, padding=-1),
        lambda L, x: F(L).unfold(x, 2, dilation=0),
        lambda L, x: F(L).unfold(x[0, 0], 2),
        lambda L, x: F(L).unfold(x.long(), 2),
        lambda L, x: F(L).fold(x[0], (4, 5), 3),
        lambda L, x: F(L).fold(x[0, :, :4, :3].reshape(2, 6, 2), (4, 6), 2),
        lambda L, x: F(L).fold(x[0, 0, 0], (4, 5), 2),
        lambda L, x: F(L).fold(x[0], (4, 5, 6), 2),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in cases:
            msgs = []
            for L in (ember, torch):
                with pytest.raises(Exception) as e:
                    fn(L, L.tensor(x4))
                msgs.append((type(e.value).__name__, str(e.value).split("\n")[0]))
            assert msgs[0] == msgs[1]


def test_circular_pad_module_dims():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        ember.nn.CircularPad2d(1)(ember.randn(5, 5))
