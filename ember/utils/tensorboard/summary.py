"""Builders of TensorBoard `Summary` protocol buffers, one function per kind of data.

Each returns a `tensorboard.compat.proto.summary_pb2.Summary` in the layout TensorBoard's
plugins read (the same layouts torch.utils.tensorboard writes): scalars as `simple_value`,
histograms as `HistogramProto`, images as PNG in `Summary.Image`, text / tensors / PR curves /
hparams as tensors tagged with their plugin's metadata. Importing this module imports the
`tensorboard` package; `ember.utils.tensorboard.writer` only does so when a writer is made.
"""
import io
import wave

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from ._convert import convert_to_HWC, make_np, to_uint8_image
from ._png import encode_png

__all__ = ["scalar", "histogram", "histogram_raw", "image", "text", "audio", "tensor_proto",
           "hparams", "pr_curve", "pr_curve_raw", "custom_scalars", "default_bins"]


def _plugin_metadata(name, content=b""):
    return SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=name,
                                                                  content=content))


def _shape_proto(shape):
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])


# ------------------------------------------------------------------------- scalars
def scalar(tag, value, new_style=False, double_precision=False):
    a = make_np(value).squeeze()
    if a.ndim != 0:
        # (torch's message, with the run of spaces its line continuation leaves)
        raise AssertionError("Tensor should contain one element (0 dimensions).             "
                             f"Was given size: {a.size} and {a.ndim} dimensions.")
    v = float(a)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=v)])
    t = (TensorProto(double_val=[v], dtype="DT_DOUBLE") if double_precision else
         TensorProto(float_val=[v], dtype="DT_FLOAT"))
    return Summary(value=[Summary.Value(tag=tag, tensor=t, metadata=_plugin_metadata("scalars"))])


# ------------------------------------------------------------------------- histograms
_DEFAULT_BINS = None


def default_bins():
    """TensorFlow's default histogram edges: +-1e-12 growing by 10% per bin up to 1e20,
    and 0 (computed by repeated multiplication, so the edges match torch's bit for bit)."""
    global _DEFAULT_BINS
    if _DEFAULT_BINS is None:
        pos, v = [], 1e-12
        while v < 1e20:
            pos.append(v)
            v *= 1.1
        _DEFAULT_BINS = [-b for b in reversed(pos)] + [0] + pos
    return _DEFAULT_BINS


def histogram(tag, values, bins, max_bins=None):
    """`bins`: 'tensorflow' (default_bins) or anything np.histogram takes (an int, a list of
    edges, 'auto', 'fd', ...)."""
    if isinstance(bins, str) and bins == "tensorflow":
        bins = default_bins()
    values = make_np(values).astype(float).reshape(-1)   # float64: sums don't overflow
    return Summary(value=[Summary.Value(tag=tag, histo=_make_histogram(values, bins,
                                                                       max_bins))])


def _make_histogram(values, bins, max_bins):
    if values.size == 0:
        raise ValueError("The input has no element.")
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        # merge groups of `step` neighbouring bins (the last group padded with empty bins)
        step = len(counts) // max_bins
        counts = np.pad(counts, (0, -len(counts) % step)).reshape(-1, step).sum(axis=1)
        limits = np.concatenate([limits[:-1:step], limits[-1:]])
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    first, last = int(nonzero[0]), int(nonzero[-1])
    # TensorBoard stores each bucket's right edge only; keep one empty bucket on the left
    # so the leftmost edge of the data is stored too, and drop empty buckets beyond the data.
    if first > 0:
        counts = counts[first - 1:last + 1]
    else:
        counts = np.concatenate([[0], counts[:last + 1]])
    limits = limits[first:last + 2]
    return HistogramProto(min=values.min(), max=values.max(), num=len(values),
                          sum=values.sum(), sum_squares=values.dot(values),
                          bucket_limit=limits.tolist(), bucket=counts.tolist())


def histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    hist = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                          bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=tag, histo=hist)])


# ------------------------------------------------------------------------- images, audio
def image(tag, tensor, dataformats="NCHW"):
    """Float images are taken to be in [0, 1], uint8 ones in [0, 255]; stored as PNG."""
    hwc = to_uint8_image(convert_to_HWC(make_np(tensor), dataformats))
    h, w, c = hwc.shape
    img = Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=encode_png(hwc))
    return Summary(value=[Summary.Value(tag=tag, image=img)])


def audio(tag, tensor, sample_rate=44100):
    """A mono clip with samples in [-1, 1] (louder ones are clipped), stored as 16-bit WAV."""
    a = make_np(tensor).squeeze()
    if np.abs(a).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        a = a.clip(-1, 1)
    if a.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    pcm = (a * np.iinfo(np.int16).max).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    clip = Summary.Audio(sample_rate=sample_rate, num_channels=1, length_frames=pcm.shape[-1],
                         encoded_audio_string=buf.getvalue(), content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=clip)])


# ------------------------------------------------------------------------- text, tensors
def text(tag, text_string):
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
    t = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                    tensor_shape=_shape_proto([1]))
    meta = _plugin_metadata("text", TextPluginData(version=0).SerializeToString())
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=t)])


def tensor_proto(tag, tensor):
    from tensorboard.util import tensor_util
    a = make_np(tensor)
    if a.nbytes >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    if a.dtype.kind not in "biufc":
        raise ValueError(f"{tag} has unsupported tensor dtype {a.dtype}")
    return Summary(value=[Summary.Value(tag=tag, metadata=_plugin_metadata("tensor"),
                                        tensor=tensor_util.make_tensor_proto(a))])


# ------------------------------------------------------------------------- PR curves
def _pr_summary(tag, data, num_thresholds):
    from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
    content = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    t = TensorProto(dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
                    tensor_shape=_shape_proto(data.shape))
    return Summary(value=[Summary.Value(tag=tag, metadata=_plugin_metadata("pr_curves", content),
                                        tensor=t)])


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    """Counts of true/false positives/negatives, precision and recall at `num_thresholds`
    evenly spaced thresholds on predictions in [0, 1] (TensorBoard's pr_curve layout)."""
    num_thresholds = min(num_thresholds, 127)   # TensorBoard's own cap
    weights = 1.0 if weights is None else make_np(weights)
    labels = make_np(labels).astype(np.float64)
    bucket = np.floor(make_np(predictions) * (num_thresholds - 1)).astype(np.int32)
    rng = (0, num_thresholds - 1)
    tp_b, _ = np.histogram(bucket, bins=num_thresholds, range=rng, weights=labels * weights)
    fp_b, _ = np.histogram(bucket, bins=num_thresholds, range=rng,
                           weights=(1.0 - labels) * weights)
    tp = np.cumsum(tp_b[::-1])[::-1]     # predictions at or above each threshold
    fp = np.cumsum(fp_b[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return _pr_summary(tag, np.stack((tp, fp, tn, fn, precision, recall)), num_thresholds)


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    data = np.stack([make_np(x) for x in (tp, fp, tn, fn, precision, recall)])
    return _pr_summary(tag, data, min(num_thresholds, 127))


def custom_scalars(layout):
    """`layout`: {category: {chart title: ['Multiline', [tags]] or ['Margin', [v, lo, hi]]}}."""
    from tensorboard.plugins.custom_scalar import layout_pb2
    categories = []
    for category, charts_spec in layout.items():
        charts = []
        for title, (kind, tags) in charts_spec.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1],
                                                              upper=tags[2])
                charts.append(layout_pb2.Chart(
                    title=title, margin=layout_pb2.MarginChartContent(series=[series])))
            else:
                charts.append(layout_pb2.Chart(
                    title=title, multiline=layout_pb2.MultilineChartContent(tag=tags)))
        categories.append(layout_pb2.Category(title=category, chart=charts))
    t = TensorProto(dtype="DT_STRING",
                    string_val=[layout_pb2.Layout(category=categories).SerializeToString()],
                    tensor_shape=TensorShapeProto())
    return Summary(value=[Summary.Value(tag="custom_scalars__config__", tensor=t,
                                        metadata=_plugin_metadata("custom_scalars"))])


# ------------------------------------------------------------------------- hparams
def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The three summaries of the HParams plugin: the experiment (which hparams and metrics
    exist), the session start (this run's values) and the session end."""
    from google.protobuf import struct_pb2
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams.api_pb2 import (DataType, Experiment, HParamInfo,
                                                     MetricInfo, MetricName, Status)
    from tensorboard.plugins.hparams.plugin_data_pb2 import (HParamsPluginData, SessionEndInfo,
                                                             SessionStartInfo)
    from ...tensor import Tensor

    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, "
                        "nothing logged.")
    for k, v in domains.items():
        if k not in hparam_dict or not isinstance(v, list) or \
                not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")

    def discrete(k, field):
        if k not in domains:
            return None
        return struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d}) for d in domains[k]])

    infos = []
    start = SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # bool is checked after int/float, as torch does: True is logged as the number 1
        if isinstance(v, (int, float)):
            start.hparams[k].number_value = v
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64"),
                                    domain_discrete=discrete(k, "number_value")))
        elif isinstance(v, str):
            start.hparams[k].string_value = v
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_STRING"),
                                    domain_discrete=discrete(k, "string_value")))
        elif isinstance(v, Tensor):
            start.hparams[k].number_value = make_np(v).reshape(-1)[0]
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64")))
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")

    def summary(tag, **data):
        content = HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **data)
        meta = _plugin_metadata(metadata.PLUGIN_NAME, content.SerializeToString())
        return Summary(value=[Summary.Value(tag=tag, metadata=meta)])

    exp = Experiment(hparam_infos=infos,
                     metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    return (summary(metadata.EXPERIMENT_TAG, experiment=exp),
            summary(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            summary(metadata.SESSION_END_INFO_TAG,
                    session_end_info=SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))))
