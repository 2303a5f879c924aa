"""`torch.utils.benchmark`: `Timer` (timeit / blocked_autorange / adaptive_autorange),
`Measurement` and `Compare`, for Python statements on ember (the `language="cpp"` and
Callgrind parts of PyTorch's module raise NotImplementedError)."""
import statistics
import textwrap
import time
import timeit as _timeit

__all__ = ["Timer", "Measurement", "Compare"]


def _unit(seconds):
    for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
        if seconds >= scale:
            return scale, name
    return 1e-9, "ns"


class Measurement:
    """Per-run times (seconds) of a statement, from `measurements` blocks of `number_per_run`
    runs each."""

    def __init__(self, number_per_run, raw_times, task_spec, metadata=None):
        self.number_per_run = number_per_run
        self.raw_times = list(raw_times)
        self.task_spec = task_spec
        self.metadata = metadata

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def mean(self):
        return statistics.fmean(self.times)

    @property
    def iqr(self):
        ts = sorted(self.times)
        if len(ts) < 2:
            return 0.0
        q = statistics.quantiles(ts, n=4, method="inclusive")
        return q[2] - q[0]

    # what PyTorch's Measurement offers for grouping in Compare
    stmt = property(lambda self: self.task_spec["stmt"])
    label = property(lambda self: self.task_spec["label"])
    sub_label = property(lambda self: self.task_spec["sub_label"])
    description = property(lambda self: self.task_spec["description"])
    num_threads = property(lambda self: self.task_spec["num_threads"])
    env = property(lambda self: self.task_spec["env"])

    @property
    def title(self):
        spec = self.task_spec
        if spec["label"] is not None:
            return spec["label"] + (f": {spec['sub_label']}" if spec["sub_label"] else "")
        return spec["stmt"]

    def __repr__(self):
        scale, unit = _unit(self.median)
        n = len(self.raw_times)
        lines = [f"<ember.utils.benchmark.Measurement object at {hex(id(self))}>", self.title]
        if self.task_spec["description"]:
            lines.append(self.task_spec["description"])
        if n > 1:
            lines.append(f"  Median: {self.median / scale:.2f} {unit}")
            if n >= 4:
                ts = sorted(self.times)
                q = statistics.quantiles(ts, n=4, method="inclusive")
                lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({q[0] / scale:.2f} to "
                             f"{q[2] / scale:.2f})")
            lines.append(f"  {n} measurements, {self.number_per_run} runs per measurement, "
                         f"{self.task_spec['num_threads']} thread")
        else:
            lines.append(f"  {self.median / scale:.2f} {unit}")
            lines.append(f"  1 measurement, {self.number_per_run} runs , "
                         f"{self.task_spec['num_threads']} thread")
        return "\n".join(lines)


class Timer:
    """Time `stmt` after `setup`, with `globals` as its namespace."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=time.perf_counter,
                 globals=None, label=None, sub_label=None, description=None, env=None,
                 num_threads=1, language="python"):
        if language not in ("python", "py"):
            raise NotImplementedError("ember.utils.benchmark.Timer times Python statements "
                                      "only (language='cpp' needs PyTorch's C++ toolchain)")
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        self._stmt = textwrap.dedent(stmt).strip() or "pass"
        self._setup = textwrap.dedent(setup).strip() or "pass"
        self._globals = dict(globals or {})
        self._timer = timer
        self._num_threads = num_threads
        self._spec = {"stmt": self._stmt, "setup": self._setup, "label": label,
                      "sub_label": sub_label, "description": description, "env": env,
                      "num_threads": num_threads}
        self._impl = _timeit.Timer(stmt=self._stmt, setup=self._setup, timer=timer,
                                   globals=self._globals)

    def _run(self, number):
        from ...ops import misc
        prev = misc.get_num_threads()
        try:
            misc.set_num_threads(self._num_threads)
            return self._impl.timeit(number)
        finally:
            misc.set_num_threads(prev)

    def timeit(self, number=1000000):
        self._run(max(1, number // 100))        # warm up
        return Measurement(number, [self._run(number)], self._spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange`.")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange`.")

    def _number_for(self, block):
        n = 1
        while True:
            t = self._run(n)
            if t >= block or n >= 10 ** 9:
                return n
            n *= 10

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of runs lasting >= ~1/10 of min_run_time each, until min_run_time is spent
        (at least 3 blocks)."""
        number = self._number_for(min(0.01, min_run_time / 10))
        times, spent = [], 0.0
        while spent < min_run_time or len(times) < 3:
            t = self._run(number)
            times.append(t)
            spent += t
            if callback is not None:
                callback(number, t)
        return Measurement(number, times, self._spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """Blocks until the IQR/median falls under `threshold` (or max_run_time is spent)."""
        number = self._number_for(min_run_time)
        times, start = [], time.perf_counter()
        while True:
            t = self._run(number)
            times.append(t)
            if callback is not None:
                callback(number, t)
            m = Measurement(number, times, self._spec)
            if len(times) >= 3 and (m.iqr / m.median < threshold or
                                    time.perf_counter() - start > max_run_time):
                return m

    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError("collect_callgrind: ember has no Callgrind integration")


class Compare:
    """A table of measurements: one per label, rows by sub_label, columns by description."""

    def __init__(self, results):
        self._results = list(results)
        self._colorize = False
        self._trim = False

    def colorize(self, rowwise=False):
        self._colorize = True

    def trim_significant_figures(self):
        self._trim = True

    def extend_results(self, results):
        self._results.extend(results)

    def __str__(self):
        out = []
        by_label = {}
        for m in self._results:
            by_label.setdefault(m.label or m.stmt, []).append(m)
        for label, ms in by_label.items():
            cols = list(dict.fromkeys(m.description or "" for m in ms))
            rows = list(dict.fromkeys((m.num_threads, m.sub_label or m.stmt) for m in ms))
            scale, unit = _unit(min(m.median for m in ms))
            cell = {(m.num_threads, m.sub_label or m.stmt, m.description or ""): m.median / scale
                    for m in ms}
            w0 = max(len(r[1]) for r in rows) + 2
            ws = [max(len(c), 8) for c in cols]
            out.append(f"[{'-' * 5} {label} {'-' * 5}]")
            out.append(" " * w0 + "|  " + "  |  ".join(c.rjust(w) for c, w in zip(cols, ws)))
            thread = None
            for th, row in rows:
                if th != thread:
                    out.append(f"{th} threads: " + "-" * (w0 + sum(ws) + 5 * len(ws) - 12))
                    thread = th
                vals = [cell.get((th, row, c)) for c in cols]
                out.append(row.rjust(w0) + "  |  " + "  |  ".join(
                    ("" if v is None else f"{v:.1f}").rjust(w) for v, w in zip(vals, ws)))
            out.append("")
            names = {"s": "seconds (s)", "ms": "milliseconds (ms)", "us": "microseconds (us)",
                     "ns": "nanoseconds (ns)"}
            out.append(f"Times are in {names[unit]}.")
            out.append("")
        return "\n".join(out)

    def print(self):
        print(str(self))
