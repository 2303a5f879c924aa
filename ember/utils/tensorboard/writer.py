"""`SummaryWriter` and `FileWriter`: torch.utils.tensorboard's API, writing real TensorBoard
event files.

The event files themselves (TFRecord framing, masked CRC32C, the background flushing thread)
are written by the `tensorboard` package's own `EventFileWriter`; the summaries inside are
built in `summary.py` from tensorboard's protocol buffers. `tensorboard` is an optional
dependency, imported when the first writer is made.
"""
import math
import os
import time

from ._convert import make_grid, make_np

__all__ = ["FileWriter", "SummaryWriter"]

_MISSING = ("ember.utils.tensorboard needs the tensorboard package, which is not installed. "
            'Install it with `pip install tensorboard` (or `pip install "ember[tensorboard]"`).')


def _require_tensorboard():
    try:
        import tensorboard  # noqa: F401
    except ImportError as e:
        raise ImportError(_MISSING) from e


def _summary():
    from . import summary
    return summary


class FileWriter:
    """One event file in `log_dir`: adds `Event` protos to it, flushed in the background
    every `flush_secs` or when `max_queue` events are pending."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        _require_tensorboard()
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs,
                                            filename_suffix)

    def get_logdir(self):
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)   # NumPy / Tensor steps: protobuf wants a Python int
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        from tensorboard.compat.proto.event_pb2 import Event
        self.add_event(Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None):
        """A (GraphDef, RunMetadata) pair: the graph, then its run metadata tagged 'step1'."""
        from tensorboard.compat.proto.event_pb2 import Event, TaggedRunMetadata
        graph, stats = graph_profile
        self.add_event(Event(graph_def=graph.SerializeToString()), None, walltime)
        trm = TaggedRunMetadata(tag="step1", run_metadata=stats.SerializeToString())
        self.add_event(Event(tagged_run_metadata=trm), None, walltime)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()

    def reopen(self):
        self.event_writer.reopen()


class SummaryWriter:
    """Writes scalars, histograms, images, text, graphs, hparams, ... to event files in
    `log_dir` (default `runs/<Mon DD_HH-MM-SS>_<hostname><comment>`), for TensorBoard.

    `purge_step`: after a crash at step T+X and a restart from a checkpoint at step T, events
    at steps >= T from the earlier run are hidden by TensorBoard.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        _require_tensorboard()
        if not log_dir:
            import socket
            from datetime import datetime
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", now + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _summary().default_bins()

    def _get_file_writer(self):
        """The writer of the main event file, made again after close()."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                from tensorboard.compat.proto.event_pb2 import Event, SessionLog
                step = self.purge_step
                self.file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
                self.file_writer.add_event(
                    Event(step=step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    # ------------------------------------------------------------------ scalars
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        s = _summary().scalar(tag, scalar_value, new_style=new_style,
                              double_precision=double_precision)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves on one chart: each key is written by its own writer, to the run
        `<log_dir>/<main_tag>_<key>`, under the tag `main_tag`."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            run_dir = root + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(run_dir)
            if fw is None:
                fw = self.all_writers[run_dir] = FileWriter(
                    run_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            fw.add_summary(_summary().scalar(main_tag, value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        self._get_file_writer().add_summary(_summary().tensor_proto(tag, tensor),
                                            global_step, walltime)

    # ------------------------------------------------------------------ histograms
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """`bins`: 'tensorflow' (TensorFlow's exponential edges), or any `bins` that
        numpy.histogram accepts ('auto', 'fd', an int, a sequence of edges)."""
        s = _summary().histogram(tag, values, bins, max_bins=max_bins)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None):
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        s = _summary().histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits,
                                     bucket_counts)
        self._get_file_writer().add_summary(s, global_step, walltime)

    # ------------------------------------------------------------------ images, audio
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image; float pixels in [0, 1] or uint8 in [0, 255]; dataformats 'CHW',
        'HWC' or 'HW' (a grey image)."""
        s = _summary().image(tag, img_tensor, dataformats=dataformats)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None,
                   dataformats="NCHW"):
        """A batch of images ('NCHW' or 'NHWC'), tiled into one grid of 8 columns."""
        s = _summary().image(tag, img_tensor, dataformats=dataformats)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_image_with_boxes(self, tag, img_tensor, box_tensor, global_step=None,
                             walltime=None, rescale=1, dataformats="CHW", labels=None):
        raise NotImplementedError("SummaryWriter.add_image_with_boxes is not implemented in "
                                  "ember; draw the boxes into the image and use add_image")

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them), rendered with the Agg backend."""
        try:
            import matplotlib.pyplot as plt
            from matplotlib.backends.backend_agg import FigureCanvasAgg
        except ImportError as e:
            raise ImportError("add_figure needs matplotlib: `pip install matplotlib`") from e
        import numpy as np

        def render(fig):
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba())
            if close:
                plt.close(fig)
            return np.ascontiguousarray(rgba[:, :, :3].transpose(2, 0, 1))   # CHW uint8

        if isinstance(figure, list):
            self.add_image(tag, np.stack([render(f) for f in figure]), global_step, walltime,
                           dataformats="NCHW")
        else:
            self.add_image(tag, render(figure), global_step, walltime, dataformats="CHW")

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None):
        raise NotImplementedError("SummaryWriter.add_video is not implemented in ember "
                                  "(it needs an animated-GIF encoder such as moviepy)")

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        s = _summary().audio(tag, snd_tensor, sample_rate=sample_rate)
        self._get_file_writer().add_summary(s, global_step, walltime)

    # ------------------------------------------------------------------ text, graph
    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._get_file_writer().add_summary(_summary().text(tag, text_string), global_step,
                                            walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The graph of one forward pass of `model` on `input_to_model` (a Tensor or a tuple
        of positional arguments), recorded from the autograd graph; see `_graph.py`.
        `use_strict_trace` is accepted for compatibility (ember does not trace)."""
        from ._graph import graph
        self._get_file_writer().add_graph(graph(model, input_to_model, verbose))

    def add_onnx_graph(self, prototxt):
        raise NotImplementedError("SummaryWriter.add_onnx_graph is not implemented in ember "
                                  "(ember does not read ONNX)")

    # ------------------------------------------------------------------ hparams
    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None):
        """One row of the HParams dashboard: written, like torch's, to a sub-run
        `<log_dir>/<run_name or time.time()>` with the metrics as scalars there."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, start, end = _summary().hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w:
            for s in (exp, start, end):
                w.file_writer.add_summary(s, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    # ------------------------------------------------------------------ embeddings, PR curves
    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None,
                      tag="default", metadata_header=None):
        """Files for TensorBoard's projector under `<log_dir>/<step:05d>/<tag>`: tensors.tsv,
        metadata.tsv, sprite.png (from `label_img`, N x C x H x W in [0, 1]), and the
        projector_config.pbtxt that lists them."""
        from google.protobuf import text_format
        from tensorboard.plugins.projector.projector_config_pb2 import (EmbeddingInfo,
                                                                        ProjectorConfig)
        from ._png import encode_png
        mat = make_np(mat)
        step = 0 if global_step is None else global_step
        subdir = f"{str(step).zfill(5)}/{_encode_tag(tag)}"
        root = self._get_file_writer().get_logdir()
        save_path = os.path.join(root, subdir)
        if os.path.exists(save_path):
            if not os.path.isdir(save_path):
                raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. "
                                         "Cannot proceed.")
            print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
        else:
            os.makedirs(save_path)
        info = EmbeddingInfo(tensor_name=f"{tag}:{str(step).zfill(5)}",
                             tensor_path=subdir + "/tensors.tsv")
        if metadata is not None:
            if mat.shape[0] != len(metadata):
                raise AssertionError("#labels should equal with #data points")
            if metadata_header:
                if len(metadata_header) != len(metadata[0]):
                    raise AssertionError("len of header must be equal to the number of "
                                         "columns in metadata")
                lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + metadata]
            else:
                lines = [str(x) for x in metadata]
            with open(os.path.join(save_path, "metadata.tsv"), "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            info.metadata_path = subdir + "/metadata.tsv"
        if label_img is not None:
            import numpy as np
            imgs = make_np(label_img)
            if mat.shape[0] != imgs.shape[0]:
                raise AssertionError("#images should equal with #data points")
            # a square sprite: ceil(sqrt(N)) images a row, padded below to a square
            grid = make_grid(imgs, ncols=math.ceil(imgs.shape[0] ** 0.5)).transpose(1, 2, 0)
            square = np.zeros((grid.shape[1], grid.shape[1], 3), np.float64)
            square[:grid.shape[0]] = grid
            with open(os.path.join(save_path, "sprite.png"), "wb") as f:
                f.write(encode_png(np.uint8((square * 255).clip(0, 255))))
            info.sprite.image_path = subdir + "/sprite.png"
            info.sprite.single_image_dim.extend([imgs.shape[3], imgs.shape[2]])
        if mat.ndim != 2:
            raise AssertionError("mat should be 2D, where mat.size(0) is the number of data "
                                 "points")
        with open(os.path.join(save_path, "tensors.tsv"), "w", encoding="utf-8") as f:
            for row in mat:
                f.write("\t".join(str(v.item()) for v in row) + "\n")
        if not hasattr(self, "_projector_config"):
            self._projector_config = ProjectorConfig()
        self._projector_config.embeddings.extend([info])
        with open(os.path.join(root, "projector_config.pbtxt"), "w", encoding="utf-8") as f:
            f.write(text_format.MessageToString(self._projector_config))

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127,
                     weights=None, walltime=None):
        s = _summary().pr_curve(tag, make_np(labels), make_np(predictions), num_thresholds,
                                weights)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_pr_curve_raw(self, tag, true_positive_counts, false_positive_counts,
                         true_negative_counts, false_negative_counts, precision, recall,
                         global_step=None, num_thresholds=127, weights=None, walltime=None):
        s = _summary().pr_curve_raw(tag, true_positive_counts, false_positive_counts,
                                    true_negative_counts, false_negative_counts, precision,
                                    recall, num_thresholds, weights)
        self._get_file_writer().add_summary(s, global_step, walltime)

    # ------------------------------------------------------------------ custom scalars
    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled"):
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled"):
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_custom_scalars(self, layout):
        self._get_file_writer().add_summary(_summary().custom_scalars(layout))

    def add_mesh(self, tag, vertices, colors=None, faces=None, config_dict=None,
                 global_step=None, walltime=None):
        raise NotImplementedError("SummaryWriter.add_mesh is not implemented in ember")

    # ------------------------------------------------------------------ lifetime
    def flush(self):
        if self.all_writers is None:
            return
        for w in self.all_writers.values():
            w.flush()

    def close(self):
        if self.all_writers is None:
            return      # closing twice is fine
        for w in self.all_writers.values():
            w.flush()
            w.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()


def _encode_tag(tag):
    """A tag as one path component: '%', '/' and '\\' percent-encoded."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")
