"""ember.vision.utils (make_grid, save_image), ember.vision.io (through Pillow) and
ember.vision.ops (boxes, NMS, RoIAlign, RoIPool) against hand-built expectations and slow
reference implementations of torchvision's kernels written here."""
import io as pyio
import math

import numpy as np
import pytest

import ember
import ember.vision as tv
from ember.vision import ops
from ember.vision.io import ImageReadMode

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


# ---------------------------------------------------------------- make_grid / save_image
def test_make_grid_layout_by_hand():
    imgs = ember.stack([ember.full((3, 2, 3), float(k + 1)) for k in range(5)])
    grid = tv.utils.make_grid(imgs, nrow=2, padding=1, pad_value=-1.0)
    # 2 columns x 3 rows of 2x3 images with 1 pixel of padding around each
    assert grid.shape == (3, 3 * (2 + 1) + 1, 2 * (3 + 1) + 1)
    expected = np.full((3, 10, 9), -1.0, np.float32)
    for k in range(5):
        r, c = divmod(k, 2)
        expected[:, 1 + r * 3:1 + r * 3 + 2, 1 + c * 4:1 + c * 4 + 3] = k + 1
    np.testing.assert_array_equal(grid.numpy(), expected)


def test_make_grid_channels_lists_and_single():
    gray = ember.rand(4, 1, 5, 5)
    g = tv.utils.make_grid(gray, padding=0)
    assert g.shape == (3, 5, 20)   # one channel repeated to three
    np.testing.assert_array_equal(g.numpy()[1], np.concatenate(list(gray.numpy()[:, 0]), axis=1))
    g2 = tv.utils.make_grid(list(gray), padding=0)
    np.testing.assert_array_equal(g2.numpy(), g.numpy())
    single = ember.rand(3, 4, 4)
    np.testing.assert_array_equal(tv.utils.make_grid(single).numpy(), single.numpy())
    assert tv.utils.make_grid(ember.rand(4, 4)).shape == (3, 4, 4)
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got <class 'int'>"):
        tv.utils.make_grid(3)
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got a list containing"):
        tv.utils.make_grid([ember.rand(1, 2, 2), 3])


def test_make_grid_normalize():
    x = ember.tensor([[[[0.0, 2.0]]], [[[4.0, 8.0]]]])
    g = tv.utils.make_grid(x, normalize=True, padding=0)
    np.testing.assert_allclose(g.numpy()[0], [[0.0, 0.25, 0.5, 1.0]])
    g = tv.utils.make_grid(x, normalize=True, scale_each=True, padding=0)
    np.testing.assert_allclose(g.numpy()[0], [[0.0, 1.0, 0.0, 1.0]])
    g = tv.utils.make_grid(x, normalize=True, value_range=(0.0, 4.0), padding=0)
    np.testing.assert_allclose(g.numpy()[0], [[0.0, 0.5, 1.0, 1.0]])
    np.testing.assert_array_equal(x.numpy()[1, 0, 0], [4.0, 8.0])   # input untouched
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        tv.utils.make_grid(x, normalize=True, value_range=[0, 1])


def test_save_image_rounds_to_uint8(tmp_path):
    x = ember.rand(2, 3, 4, 5)
    path = tmp_path / "grid.png"
    tv.utils.save_image(x, str(path), nrow=1, padding=1)
    saved = np.asarray(Image.open(path))
    grid = tv.utils.make_grid(x, nrow=1, padding=1).numpy()
    np.testing.assert_array_equal(saved, np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0))
    buf = pyio.BytesIO()
    tv.utils.save_image(x[0], buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- io
@pytest.fixture
def rgb():
    return (np.random.default_rng(0).random((3, 6, 7)) * 255).astype(np.uint8)


def test_png_roundtrip_and_read_modes(tmp_path, rgb):
    path = str(tmp_path / "a.png")
    tv.io.write_png(ember.from_numpy(rgb), path)
    back = tv.io.read_image(path)
    assert back.dtype == ember.uint8 and back.shape == (3, 6, 7)
    np.testing.assert_array_equal(back.numpy(), rgb)
    pil = Image.open(path)
    gray = tv.io.read_image(path, ImageReadMode.GRAY)
    np.testing.assert_array_equal(gray.numpy()[0], np.asarray(pil.convert("L")))
    rgba = tv.io.read_image(path, ImageReadMode.RGB_ALPHA)
    assert rgba.shape == (4, 6, 7) and (rgba.numpy()[3] == 255).all()
    assert tv.io.read_image(path, "GRAY_ALPHA").shape == (2, 6, 7)
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA


def test_encode_decode_png_and_jpeg(rgb):
    data = tv.io.encode_png(ember.from_numpy(rgb), compression_level=9)
    assert data.dtype == ember.uint8 and data.dim() == 1
    np.testing.assert_array_equal(tv.io.decode_png(data).numpy(), rgb)
    np.testing.assert_array_equal(tv.io.decode_image(data).numpy(), rgb)
    smooth = np.broadcast_to(np.linspace(0, 255, 16).astype(np.uint8), (3, 16, 16)).copy()
    smooth[1] = smooth[1].T
    jpg = tv.io.encode_jpeg(ember.from_numpy(smooth), quality=90)
    ref = np.asarray(Image.open(pyio.BytesIO(jpg.numpy().tobytes())).convert("RGB")).transpose(2, 0, 1)
    np.testing.assert_array_equal(tv.io.decode_jpeg(jpg).numpy(), ref)
    assert np.abs(ref.astype(int) - smooth).mean() < 8   # the same picture, lossily
    gray = tv.io.decode_jpeg(jpg, mode=ImageReadMode.GRAY)
    assert gray.shape == (1, 16, 16)
    assert len(tv.io.encode_jpeg([ember.from_numpy(rgb)] * 2)) == 2
    one = tv.io.encode_png(ember.from_numpy(rgb[:1]))
    assert tv.io.decode_png(one).shape == (1, 6, 7)


def test_sixteen_bit_png(tmp_path):
    arr = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000)
    Image.fromarray(arr).save(tmp_path / "d.png")
    t = tv.io.read_image(str(tmp_path / "d.png"))
    assert t.dtype == ember.uint16 and t.shape == (1, 3, 4)
    np.testing.assert_array_equal(t.numpy()[0], arr)


def test_palette_png_expands_to_rgb(tmp_path):
    img = Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8), mode="L").convert("P")
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.save(tmp_path / "p.png")
    t = tv.io.read_image(str(tmp_path / "p.png"))
    assert t.shape == (3, 2, 2)
    np.testing.assert_array_equal(t.numpy()[:, 0, 0], [255, 0, 0])


def test_read_write_file(tmp_path):
    data = ember.tensor([1, 2, 255], dtype=ember.uint8)
    tv.io.write_file(str(tmp_path / "f.bin"), data)
    assert (tmp_path / "f.bin").read_bytes() == b"\x01\x02\xff"
    np.testing.assert_array_equal(tv.io.read_file(str(tmp_path / "f.bin")).numpy(), [1, 2, 255])
    with pytest.raises(RuntimeError, match="No such file or directory"):
        tv.io.read_file(str(tmp_path / "missing"))


def test_io_errors(rgb):
    with pytest.raises(RuntimeError, match="Input tensor dtype should be uint8"):
        tv.io.encode_png(ember.zeros(3, 2, 2))
    with pytest.raises(RuntimeError, match="The number of channels should be 1 or 3, got: 4"):
        tv.io.encode_png(ember.zeros(4, 2, 2, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="Compression level should be between 0 and 9"):
        tv.io.encode_png(ember.from_numpy(rgb), compression_level=10)
    with pytest.raises(ValueError, match="Image quality should be a positive number between 1 and 100"):
        tv.io.encode_jpeg(ember.from_numpy(rgb), quality=0)
    png = tv.io.encode_png(ember.from_numpy(rgb))
    with pytest.raises(RuntimeError, match="Not a JPEG file: starts with 0x89 0x50"):
        tv.io.decode_jpeg(png)
    with pytest.raises(RuntimeError, match="Content is not png"):
        tv.io.decode_png(tv.io.encode_jpeg(ember.from_numpy(rgb)))
    with pytest.raises(RuntimeError, match="Unsupported image file"):
        tv.io.decode_image(ember.tensor([1, 2, 3, 4], dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="Expected a torch.uint8 tensor"):
        tv.io.decode_png(ember.zeros(8))


# ---------------------------------------------------------------- boxes
def _random_boxes(n, rng, scale=50.0):
    xy = rng.random((n, 2)) * scale
    wh = rng.random((n, 2)) * scale / 2 + 1
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


def _ref_iou(a, b):
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            w = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
            h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
            inter = w * h
            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
            out[i, j] = inter / union
    return out


def test_box_area_iou_giou():
    rng = np.random.default_rng(0)
    a, b = _random_boxes(6, rng), _random_boxes(4, rng)
    ta, tb = ember.from_numpy(a), ember.from_numpy(b)
    np.testing.assert_allclose(ops.box_area(ta).numpy(), (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), rtol=1e-6)
    iou = ops.box_iou(ta, tb)
    assert iou.shape == (6, 4) and iou.dtype == ember.float32
    np.testing.assert_allclose(iou.numpy(), _ref_iou(a, b), rtol=1e-5, atol=1e-7)
    giou = ops.generalized_box_iou(ta, tb).numpy()
    for i in range(6):
        for j in range(4):
            hull = (max(a[i, 2], b[j, 2]) - min(a[i, 0], b[j, 0])) * (max(a[i, 3], b[j, 3]) - min(a[i, 1], b[j, 1]))
            inter_union = _ref_iou(a[i:i + 1], b[j:j + 1])[0, 0]
            ai = (a[i, 2] - a[i, 0]) * (a[i, 3] - a[i, 1])
            bj = (b[j, 2] - b[j, 0]) * (b[j, 3] - b[j, 1])
            union = (ai + bj) / (1 + inter_union)
            np.testing.assert_allclose(giou[i, j], inter_union - (hull - union) / hull, rtol=1e-4, atol=1e-6)
    ints = ember.tensor([[0, 0, 2, 3]], dtype=ember.uint8)
    assert ops.box_area(ints).dtype == ember.int32   # upcast against overflow
    x = ta.clone().requires_grad_()
    ops.box_iou(x, tb).sum().backward()
    assert x.grad.shape == (6, 4)


def test_box_convert_and_clip():
    xyxy = ember.tensor([[1.0, 2.0, 5.0, 10.0]])
    np.testing.assert_allclose(ops.box_convert(xyxy, "xyxy", "xywh").numpy(), [[1, 2, 4, 8]])
    np.testing.assert_allclose(ops.box_convert(xyxy, "xyxy", "cxcywh").numpy(), [[3, 6, 4, 8]])
    np.testing.assert_allclose(ops.box_convert(ember.tensor([[3.0, 6.0, 4.0, 8.0]]), "cxcywh", "xywh").numpy(),
                               [[1, 2, 4, 8]])
    same = ops.box_convert(xyxy, "xyxy", "xyxy")
    assert same is not xyxy and np.array_equal(same.numpy(), xyxy.numpy())
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions for given in_fmt and out_fmt"):
        ops.box_convert(xyxy, "xyxy", "yxyx")
    clipped = ops.clip_boxes_to_image(ember.tensor([[-3.0, 2.0, 50.0, 70.0]]), (40, 30))
    np.testing.assert_array_equal(clipped.numpy(), [[0, 2, 30, 40]])
    keep = ops.remove_small_boxes(ember.tensor([[0.0, 0, 1, 5], [0, 0, 3, 3], [0, 0, 5, 1.9]]), 2.0)
    assert keep.tolist() == [1] and keep.dtype == ember.int64


def _ref_nms(boxes, scores, thr):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])   # sorted() is stable
    keep, removed = [], set()
    for idx, i in enumerate(order):
        if i in removed:
            continue
        keep.append(i)
        for j in order[idx + 1:]:
            if _ref_iou(boxes[i:i + 1], boxes[j:j + 1])[0, 0] > thr:
                removed.add(j)
    return keep


@pytest.mark.parametrize("thr", [0.0, 0.3, 0.5, 0.9])
def test_nms_matches_reference(thr):
    rng = np.random.default_rng(int(thr * 10))
    boxes = _random_boxes(60, rng, scale=30)
    scores = rng.random(60).astype(np.float32)
    scores[10:14] = scores[3]   # ties keep index order
    keep = ops.nms(ember.from_numpy(boxes), ember.from_numpy(scores), thr)
    assert keep.dtype == ember.int64
    assert keep.tolist() == _ref_nms(boxes, scores, thr)


def test_nms_edge_cases_and_errors():
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).shape == (0,)
    boxes = ember.tensor([[0.0, 0, 10, 10], [0, 0, 10, 10]])
    assert ops.nms(boxes, ember.tensor([0.5, 0.9]), 0.99).tolist() == [1]
    with pytest.raises(RuntimeError, match="boxes should have 4 elements in dimension 1, got 3"):
        ops.nms(ember.zeros(2, 3), ember.zeros(2), 0.5)
    with pytest.raises(RuntimeError, match="boxes and scores should have same number of elements in dimension 0, got 2 and 3"):
        ops.nms(ember.zeros(2, 4), ember.zeros(3), 0.5)


@pytest.mark.parametrize("n", [50, 1100])   # the coordinate trick, and the per-class loop (> 4000 numbers)
def test_batched_nms_is_per_class(n):
    rng = np.random.default_rng(n)
    boxes = _random_boxes(n, rng, scale=40)
    scores = rng.random(n).astype(np.float32)
    idxs = rng.integers(0, 3, n)
    keep = ops.batched_nms(ember.from_numpy(boxes), ember.from_numpy(scores), ember.from_numpy(idxs), 0.4)
    expected = []
    for c in range(3):
        sel = np.nonzero(idxs == c)[0]
        expected += [sel[k] for k in ops.nms(ember.from_numpy(boxes[sel]), ember.from_numpy(scores[sel]), 0.4).tolist()]
    expected = sorted(expected, key=lambda i: -scores[i])
    assert keep.tolist() == expected
    assert ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64), 0.5).shape == (0,)


# ---------------------------------------------------------------- roi_align / roi_pool
def _bilinear_terms(y, x, h, w):
    """(weight, row, col) terms of torchvision's bilinear_interpolate for one sample."""
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return []
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(y), int(x)
    if yl >= h - 1:
        yh = yl = h - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= w - 1:
        xh = xl = w - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    hy, hx = 1 - ly, 1 - lx
    return [(hy * hx, yl, xl), (hy * lx, yl, xh), (ly * hx, yh, xl), (ly * lx, yh, xh)]


def _ref_roi_align(x, rois, ph, pw, ss, sr, aligned, grad_out=None):
    """Forward (and, given grad_out, the input gradient) following the CPU kernel's loops."""
    n, c, h, w = x.shape
    out = np.zeros((len(rois), c, ph, pw))
    grad = np.zeros_like(x, dtype=np.float64)
    for k, r in enumerate(rois):
        b = int(r[0])
        off = 0.5 if aligned else 0.0
        sw, sh, ew, eh = (v * ss - off for v in r[1:])
        rw, rh = ew - sw, eh - sh
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = sr if sr > 0 else math.ceil(rh / ph)
        gw = sr if sr > 0 else math.ceil(rw / pw)
        count = max(gh * gw, 1)
        for i in range(ph):
            for j in range(pw):
                for iy in range(gh):
                    yy = sh + i * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = sw + j * bw + (ix + 0.5) * bw / gw
                        for wt, row, col in _bilinear_terms(yy, xx, h, w):
                            out[k, :, i, j] += wt * x[b, :, row, col] / count
                            if grad_out is not None:
                                grad[b, :, row, col] += wt * grad_out[k, :, i, j] / count
    return out, grad


ROIS = np.array([[0, 1.2, 0.7, 6.3, 5.1], [1, 0.0, 0.0, 9.0, 7.0], [0, 3.5, 2.0, 3.7, 2.1],
                 [1, -2.0, -1.5, 4.0, 12.0], [0, 8.5, 6.0, 11.0, 9.5]])


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 2])
@pytest.mark.parametrize("spatial_scale", [1.0, 0.5])
def test_roi_align_forward_and_gradient_match_reference(aligned, sampling_ratio, spatial_scale):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 8, 10))
    g = rng.standard_normal((len(ROIS), 3, 3, 2))
    xt = ember.from_numpy(x.copy()).requires_grad_()
    out = ops.roi_align(xt, ember.from_numpy(ROIS.copy()), (3, 2), spatial_scale, sampling_ratio, aligned)
    ref, ref_grad = _ref_roi_align(x, ROIS, 3, 2, spatial_scale, sampling_ratio, aligned, g)
    assert out.shape == (5, 3, 3, 2) and out.dtype == ember.float64
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    (out * ember.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), ref_grad, rtol=1e-10, atol=1e-12)


def test_roi_align_float32_list_boxes_and_module():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
    boxes = [ember.tensor([[1.0, 1.0, 6.0, 5.0]]), ember.tensor([[0.5, 2.0, 8.0, 8.5], [2.0, 2.0, 4.0, 4.0]])]
    out = ops.roi_align(ember.from_numpy(x), boxes, 2, sampling_ratio=2, aligned=True)
    rois = np.array([[0, 1, 1, 6, 5], [1, 0.5, 2, 8, 8.5], [1, 2, 2, 4, 4]], np.float64)
    ref, _ = _ref_roi_align(x.astype(np.float64), rois, 2, 2, 1.0, 2, True)
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)
    m = ops.RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=True)
    assert repr(m) == "RoIAlign(output_size=(2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=True)"
    np.testing.assert_array_equal(m(ember.from_numpy(x), boxes).numpy(), out.numpy())
    assert ops.roi_align(ember.from_numpy(x), ember.zeros(0, 5), 3).shape == (0, 4, 3, 3)


def test_roi_align_gradcheck_and_errors():
    x = ember.rand(1, 2, 5, 5, dtype=ember.float64, requires_grad=True)
    rois = ember.tensor([[0, 0.5, 0.5, 3.5, 4.0], [0, 1.0, 0.0, 4.9, 2.2]], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda t: ops.roi_align(t, rois, 2, 1.0, -1, True), (x,))
    assert ember.autograd.gradgradcheck(lambda t: ops.roi_align(t, rois, 2, 1.0, 2, False) ** 2, (x,))
    with pytest.raises(AssertionError, match=r"The boxes tensor shape is not correct as Tensor\[K, 5\]"):
        ops.roi_align(x, ember.zeros(2, 4, dtype=ember.float64), 2)
    with pytest.raises(AssertionError, match=r"List\[Tensor\[L, 4\]\]"):
        ops.roi_align(x, [ember.zeros(2, 5, dtype=ember.float64)], 2)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'input' to have the same type"):
        ops.roi_align(x, rois.float(), 2)


def _ref_roi_pool(x, rois, ph, pw, ss):
    n, c, h, w = x.shape
    out = np.zeros((len(rois), c, ph, pw))
    arg = np.full((len(rois), c, ph, pw), -1)
    rnd = lambda v: math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)  # noqa: E731
    for k, r in enumerate(rois):
        b = int(r[0])
        sw, sh, ew, eh = (rnd(v * ss) for v in r[1:])
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        bh, bw = rh / ph, rw / pw
        for i in range(ph):
            for j in range(pw):
                hs = min(max(math.floor(i * bh) + sh, 0), h)
                he = min(max(math.ceil((i + 1) * bh) + sh, 0), h)
                ws = min(max(math.floor(j * bw) + sw, 0), w)
                we = min(max(math.ceil((j + 1) * bw) + sw, 0), w)
                for ch in range(c):
                    if he <= hs or we <= ws:
                        continue
                    best, where = -np.inf, -1
                    for yy in range(hs, he):
                        for xx in range(ws, we):
                            if x[b, ch, yy, xx] > best:
                                best, where = x[b, ch, yy, xx], yy * w + xx
                    out[k, ch, i, j], arg[k, ch, i, j] = best, where
    return out, arg


def test_roi_pool_matches_reference():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 8, 10))
    xt = ember.from_numpy(x.copy()).requires_grad_()
    out = ops.roi_pool(xt, ember.from_numpy(ROIS.copy()), (3, 2), 0.5)
    ref, arg = _ref_roi_pool(x, ROIS, 3, 2, 0.5)
    np.testing.assert_allclose(out.detach().numpy(), ref)
    out.sum().backward()
    expected = np.zeros_like(x)
    for k in range(len(ROIS)):
        b = int(ROIS[k, 0])
        for ch in range(3):
            for a in arg[k, ch].reshape(-1):
                if a >= 0:
                    expected[b, ch].reshape(-1)[a] += 1
    np.testing.assert_array_equal(xt.grad.numpy(), expected)
    assert repr(ops.RoIPool(7, 0.25)) == "RoIPool(output_size=7, spatial_scale=0.25)"
