"""ember.utils.tensorboard.SummaryWriter: the event files are read back with TensorBoard's
own EventAccumulator; summaries are compared with torch.utils.tensorboard's where PyTorch
and its tensorboard support are importable."""
import io
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402

import ember  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402
from ember.utils.tensorboard import summary as esum  # noqa: E402
from ember.utils.tensorboard._png import encode_png  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import torch
    from torch.utils.tensorboard import summary as tsum
except ImportError:
    torch = tsum = None
needs_torch = pytest.mark.skipif(tsum is None, reason="torch.utils.tensorboard not importable")


def accumulate(path):
    ea = EventAccumulator(str(path), size_guidance={k: 0 for k in
                                                    ("scalars", "histograms", "images",
                                                     "tensors", "audio", "compressedHistograms")})
    ea.Reload()
    return ea


def events(logdir):
    """Every Event proto in the (single) event file directly under logdir."""
    files = [f for f in os.listdir(logdir) if f.startswith("events.out.tfevents.")]
    assert len(files) == 1, files
    return list(EventFileLoader(os.path.join(logdir, files[0])).Load())


def png_pixels(data):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(data)))


# ---------------------------------------------------------------------- writer basics
def test_scalars_round_trip(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("loss", ember.tensor(1.0 / (step + 1)), step)
        w.add_scalar("acc", 0.5, 7)
        w.add_scalar("np", np.float32(2.5), np.int64(3))   # NumPy steps become ints
        w.add_scalar("double", 1 / 3, 0, new_style=True, double_precision=True)
    ea = accumulate(tmp_path)
    loss = ea.Scalars("loss")
    assert [e.step for e in loss] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in loss], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5],
                               rtol=1e-6)
    assert [(e.step, e.value) for e in ea.Scalars("acc")] == [(7, 0.5)]
    assert [(e.step, e.value) for e in ea.Scalars("np")] == [(3, 2.5)]
    t = ea.Tensors("double")[0].tensor_proto   # new style: a tensor with the scalars plugin
    assert t.double_val[0] == 1 / 3
    assert ea.SummaryMetadata("double").plugin_data.plugin_name == "scalars"


def test_walltime_and_file_name(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".v1") as w:
        w.add_scalar("x", 1.0, 0, walltime=1234.5)
    name = [f for f in os.listdir(tmp_path)][0]
    assert name.startswith("events.out.tfevents.") and name.endswith(".v1")
    assert socket.gethostname() in name
    evs = events(tmp_path)
    assert evs[0].file_version == "brain.Event:2"
    assert [e.wall_time for e in evs if e.HasField("summary")] == [1234.5]


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith("_" + socket.gethostname() + "_lr0.1")
    assert w.get_logdir() == os.path.join("runs", run)
    import datetime
    datetime.datetime.strptime(run.split("_")[0] + "_" + run.split("_")[1], "%b%d_%H-%M-%S")


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("run/14h", {"xsinx": step * 1.0, "xcosx": step * 2.0}, step)
    for key, scale in (("xsinx", 1.0), ("xcosx", 2.0)):
        ea = accumulate(tmp_path / f"run_14h_{key}")
        assert [(e.step, e.value) for e in ea.Scalars("run/14h")] == \
            [(s, s * scale) for s in range(3)]


def test_flush_makes_events_visible_and_close_twice(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=10_000)
    w.add_scalar("a", 1.0, 0)
    w.flush()
    assert [e.value for e in accumulate(tmp_path).Scalars("a")] == [1.0]
    w.close()
    w.close()                        # a second close is a no-op
    w.add_scalar("a", 2.0, 1)        # ... and writing again opens a new event file
    w.close()
    assert len(os.listdir(tmp_path)) == 2


def test_purge_step(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for s in range(10):
            w.add_scalar("x", float(s), s)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        for s in range(5, 8):
            w.add_scalar("x", 100.0 + s, s)
    ea = accumulate(tmp_path)
    # TensorBoard drops the first run's events at steps >= 5
    assert [(e.step, e.value) for e in ea.Scalars("x")] == \
        [(s, float(s)) for s in range(5)] + [(s, 100.0 + s) for s in range(5, 8)]


def test_missing_tensorboard_names_the_extra():
    code = textwrap.dedent("""
        import sys
        sys.modules["tensorboard"] = None          # as if not installed
        import ember.utils.tensorboard as tb       # importing works without it
        try:
            tb.SummaryWriter("unused")
        except ImportError as e:
            assert 'pip install "ember[tensorboard]"' in str(e), e
        else:
            raise AssertionError("no ImportError")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [np.ones(3), [1.0], None, "abc"])
def test_add_scalar_bad_input_like_torch(tmp_path, bad):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises((AssertionError, NotImplementedError, ValueError)) as ours:
            w.add_scalar("x", bad, 0)
    if tsum is not None:
        with pytest.raises(Exception) as theirs:
            tsum.scalar("x", bad)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value)


def test_add_scalar_non_scalar_tensor(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match=r"Tensor should contain one element \(0 "
                                                 r"dimensions\)\. +Was given size: 6 and 2 "
                                                 r"dimensions\."):
            w.add_scalar("x", ember.ones(2, 3), 0)
        w.add_scalar("ok", ember.ones(1, 1), 0)   # one element: squeezed, like torch
        w.add_scalar("grad", ember.tensor(2.0, requires_grad=True), 0)
    assert [e.value for e in accumulate(tmp_path).Scalars("grad")] == [2.0]


@needs_torch
@pytest.mark.parametrize("shape,fmt", [((3, 4, 5, 6), "HW"), ((4, 4), "CHW"),
                                       ((3, 4, 4), "HWCX"), ((3, 4, 4), "CHC")])
def test_add_image_bad_format_like_torch(tmp_path, shape, fmt):
    a = np.ones(shape, np.float32)
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError) as ours:
            w.add_image("im", a, 0, dataformats=fmt)
    with pytest.raises(AssertionError) as theirs:
        tsum.image("im", a, dataformats=fmt)
    assert str(ours.value) == str(theirs.value)


def test_bad_hparams_and_histograms(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="hparam_dict and metric_dict should be dictionary"):
            w.add_hparams([1], {})
        with pytest.raises(ValueError, match="value should be one of int, float, str, bool"):
            w.add_hparams({"a": [1]}, {"m": 1})
        with pytest.raises(ValueError, match="The input has no element."):
            w.add_histogram("h", ember.tensor([]), 0)
        with pytest.raises(ValueError, match="bucket_limits"):
            w.add_histogram_raw("h", 0, 1, 2, 1, 1, [0.5, 1.0], [1], 0)


# ---------------------------------------------------------------------- histograms
def _hist_fields(h):
    return (h.min, h.max, h.num, h.sum, h.sum_squares, list(h.bucket_limit), list(h.bucket))


@needs_torch
@pytest.mark.parametrize("bins,max_bins", [("tensorflow", None), ("auto", None), (10, None),
                                           ([-3, -1, 0, 1, 3], None), ("tensorflow", 64),
                                           ("fd", 7)])
def test_histogram_matches_torch(bins, max_bins):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 25)).astype(np.float32)
    b_ours = esum.default_bins() if bins == "tensorflow" else bins
    ours = esum.histogram("h", ember.from_numpy(values), bins, max_bins=max_bins).value[0].histo
    theirs = tsum.histogram("h", values, b_ours, max_bins=max_bins).value[0].histo
    assert _hist_fields(ours) == _hist_fields(theirs)


def test_histogram_counts_round_trip(tmp_path):
    values = np.array([0.0, 0.5, 0.5, 1.5, 2.5, 2.5, 2.5], np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", ember.from_numpy(values), 3, bins=[0, 1, 2, 3])
        w.add_histogram("tf", ember.randn(1000), 4)
        w.add_histogram("ints", np.arange(10), 5, bins=5)
    ea = accumulate(tmp_path)
    (ev,) = ea.Histograms("h")
    h = ev.histogram_value
    assert ev.step == 3 and h.num == 7 and h.min == 0 and h.max == 2.5
    assert h.sum == pytest.approx(values.sum()) and h.sum_squares == pytest.approx(
        (values ** 2).sum())
    # an empty bucket on the left (its right edge is the data's left edge), then the counts
    assert list(h.bucket_limit) == [0, 1, 2, 3] and list(h.bucket) == [0, 3, 1, 3]
    tf = ea.Histograms("tf")[0].histogram_value
    assert tf.num == 1000 and sum(tf.bucket) == 1000
    assert all(b > a for a, b in zip(tf.bucket_limit, tf.bucket_limit[1:]))
    assert sum(ea.Histograms("ints")[0].histogram_value.bucket) == 10


def test_histogram_raw(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram_raw("raw", min=0, max=3, num=6, sum=9, sum_squares=19,
                            bucket_limits=[1, 2, 3], bucket_counts=[1, 2, 3], global_step=1)
    h = accumulate(tmp_path).Histograms("raw")[0].histogram_value
    assert (h.num, list(h.bucket_limit), list(h.bucket)) == (6, [1, 2, 3], [1, 2, 3])


# ---------------------------------------------------------------------- images
def test_png_encoder_round_trips():
    pytest.importorskip("PIL")
    rng = np.random.default_rng(1)
    for shape in [(5, 7), (5, 7, 3), (4, 6, 4)]:
        img = rng.integers(0, 256, size=shape, dtype=np.uint8)
        np.testing.assert_array_equal(png_pixels(encode_png(img)), img)
    with pytest.raises(TypeError, match="uint8"):
        encode_png(np.zeros((2, 2), np.float32))


def test_images_round_trip(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    chw = rng.random((3, 8, 10), dtype=np.float32)
    hwc_u8 = rng.integers(0, 256, size=(6, 5, 3), dtype=np.uint8)
    hw = rng.random((4, 9), dtype=np.float32)
    batch = rng.random((10, 1, 6, 7), dtype=np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", ember.from_numpy(chw), 0)
        w.add_image("hwc", ember.from_numpy(hwc_u8), 0, dataformats="HWC")
        w.add_image("hw", hw, 0, dataformats="HW")
        w.add_images("batch", ember.from_numpy(batch), 2)
    ea = accumulate(tmp_path)
    im = ea.Images("chw")[0]
    assert (im.width, im.height) == (10, 8)
    np.testing.assert_array_equal(png_pixels(im.encoded_image_string),
                                  (chw.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8))
    im = ea.Images("hwc")[0]
    assert (im.width, im.height) == (5, 6)
    np.testing.assert_array_equal(png_pixels(im.encoded_image_string), hwc_u8)   # not scaled
    im = ea.Images("hw")[0]
    assert (im.width, im.height) == (9, 4)
    assert png_pixels(im.encoded_image_string).shape == (4, 9, 3)   # grey as RGB, like torch
    im = ea.Images("batch")[0]
    # 10 images, 8 a row: a 2 x 8 grid, the unused cells black
    assert (im.width, im.height, im.step) == (8 * 7, 2 * 6, 2)
    px = png_pixels(im.encoded_image_string)
    np.testing.assert_array_equal(px[6:, 7:14, 0], (batch[9, 0] * 255).astype(np.uint8))
    assert not px[6:, 14:].any()


@needs_torch
@pytest.mark.parametrize("shape,fmt,dtype", [((3, 8, 10), "CHW", np.float32),
                                             ((8, 10, 4), "HWC", np.uint8),
                                             ((8, 10), "HW", np.float64),
                                             ((5, 3, 4, 6), "NCHW", np.float32),
                                             ((3, 4, 6, 1), "NHWC", np.uint8)])
def test_image_pixels_match_torch(shape, fmt, dtype):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(2)
    a = (rng.integers(0, 256, size=shape).astype(np.uint8) if dtype == np.uint8
         else rng.uniform(-0.2, 1.2, size=shape).astype(dtype))
    ours = esum.image("im", a, dataformats=fmt).value[0].image
    theirs = tsum.image("im", a, dataformats=fmt).value[0].image
    assert (ours.height, ours.width, ours.colorspace) == \
        (theirs.height, theirs.width, theirs.colorspace)
    np.testing.assert_array_equal(png_pixels(ours.encoded_image_string),
                                  png_pixels(theirs.encoded_image_string))


# ---------------------------------------------------------------------- text, audio, hparams
def test_text_round_trip(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "lr = 0.1, **bold** 中文", 3)
    ea = accumulate(tmp_path)
    (ev,) = ea.Tensors("notes/text_summary")
    assert ev.step == 3
    assert ev.tensor_proto.string_val[0].decode() == "lr = 0.1, **bold** 中文"
    assert ea.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


def test_audio_round_trip(tmp_path):
    import wave
    t = np.linspace(0, 1, 800, dtype=np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_audio("sine", ember.from_numpy(np.sin(2 * np.pi * 5 * t))[None], 0,
                    sample_rate=800)
    (ev,) = accumulate(tmp_path).Audio("sine")
    assert (ev.sample_rate, ev.length_frames, ev.content_type) == (800, 800, "audio/wav")
    with wave.open(io.BytesIO(ev.encoded_audio_string)) as f:
        assert (f.getnchannels(), f.getframerate(), f.getnframes()) == (1, 800, 800)


def test_hparams(tmp_path):
    from tensorboard.plugins.hparams import metadata
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "bsize": 16, "opt": "adam", "none": None,
                       "t": ember.tensor(0.5)},
                      {"hparam/accuracy": 0.9, "hparam/loss": 0.3}, run_name="trial",
                      hparam_domain_discrete={"opt": ["adam", "sgd"]})
    ea = accumulate(tmp_path / "trial")
    content = ea.PluginTagToContent(metadata.PLUGIN_NAME)
    exp = metadata.parse_experiment_plugin_data(content[metadata.EXPERIMENT_TAG])
    assert [h.name for h in exp.hparam_infos] == ["lr", "bsize", "opt", "t"]
    assert [v.string_value for v in exp.hparam_infos[2].domain_discrete.values] == \
        ["adam", "sgd"]
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/accuracy", "hparam/loss"]
    start = metadata.parse_session_start_info_plugin_data(
        content[metadata.SESSION_START_INFO_TAG])
    assert start.hparams["lr"].number_value == 0.1
    assert start.hparams["bsize"].number_value == 16
    assert start.hparams["opt"].string_value == "adam"
    assert start.hparams["t"].number_value == 0.5
    assert "none" not in start.hparams
    assert [e.value for e in ea.Scalars("hparam/accuracy")] == [pytest.approx(0.9)]


@needs_torch
def test_hparams_match_torch():
    args = ({"lr": 0.1, "b": 4, "name": "x", "flag": True}, {"m/acc": 1.0},
            {"name": ["x", "y"]})
    for ours, theirs in zip(esum.hparams(*args), tsum.hparams(*args)):
        assert ours.SerializeToString() == theirs.SerializeToString()


# ---------------------------------------------------------------------- other summaries
def test_tensor_pr_curve_custom_scalars_embedding(tmp_path):
    from tensorboard.util import tensor_util
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 100)
    preds = rng.random(100)
    with SummaryWriter(tmp_path) as w:
        w.add_tensor("t", ember.arange(6.0).reshape(2, 3), 0)
        w.add_pr_curve("pr", ember.from_numpy(labels), ember.from_numpy(preds), 0,
                       num_thresholds=11)
        w.add_custom_scalars_multilinechart(["loss/train", "loss/val"], title="losses")
        w.add_embedding(ember.randn(5, 3), metadata=list("abcde"),
                        label_img=ember.rand(5, 3, 4, 4), global_step=2, tag="emb/x")
    ea = accumulate(tmp_path)
    np.testing.assert_array_equal(tensor_util.make_ndarray(ea.Tensors("t")[0].tensor_proto),
                                  np.arange(6.0).reshape(2, 3))
    pr = tensor_util.make_ndarray(ea.Tensors("pr")[0].tensor_proto)
    assert pr.shape == (6, 11)
    # bucket i holds predictions in [i/10, (i+1)/10): tp at threshold i counts buckets >= i
    tp = [((np.floor(preds * 10) >= i) & (labels == 1)).sum() for i in range(11)]
    np.testing.assert_array_equal(pr[0], tp)
    assert "custom_scalars__config__" in ea.Tags()["tensors"]
    emb = tmp_path / "00002" / "emb%2fx"
    assert (emb / "metadata.tsv").read_text() == "a\nb\nc\nd\ne\n"
    assert len((emb / "tensors.tsv").read_text().splitlines()) == 5
    cfg = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "emb/x:00002"' in cfg and "sprite" in cfg
    pytest.importorskip("PIL")
    sprite = png_pixels((emb / "sprite.png").read_bytes())
    assert sprite.shape == (12, 12, 3)   # ceil(sqrt(5)) = 3 images a row, padded square


def test_not_implemented_features(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for call in (lambda: w.add_video("v", ember.rand(1, 2, 3, 4, 4)),
                     lambda: w.add_mesh("m", ember.rand(1, 3, 3)),
                     lambda: w.add_onnx_graph("model.onnx"),
                     lambda: w.add_image_with_boxes("b", ember.rand(3, 4, 4),
                                                    ember.tensor([[0, 0, 1, 1]]))):
            with pytest.raises(NotImplementedError):
                call()


def test_add_figure(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 0)
    im = accumulate(tmp_path).Images("fig")[0]
    assert (im.width, im.height) == (100, 50)
