"""`torch.profiler`: where a program's time goes, op by op.

While a `profile` is recording, `Function.apply` (every op that goes through the autograd
machinery) and each backward node run by the engine are timed, as are `record_function`
ranges; nesting gives each event its self time. Nothing is patched while no profiler records,
so ember's hot paths pay nothing. Event names are ember's op classes (`ember::Mul`,
`ember::_Linear`) and PyTorch's backward-node names (`autograd::engine::evaluate_function:
MulBackward0`); ops that bypass `Function.apply` when nothing needs a gradient (views, casts,
in-place arithmetic on plain arrays) are not recorded. CPU time only: CUDA activity, memory
profiling and stacks are accepted and recorded as not available.
"""
import enum
import json
import os
import socket
import threading
import time

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "tensorboard_trace_handler", "supported_activities"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


def supported_activities():
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """PyTorch's step schedule: skip `skip_first` steps, then cycles of `wait` idle, `warmup`
    and `active` recording steps (the last active step saves), `repeat` times (0: forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        import warnings
        warnings.warn("Profiler won't be using warmup, this can skew profiler results")

    def fn(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return fn


# ---------------------------------------------------------------- recording
class FunctionEvent:
    """One timed range: name, start/end (us since the profile began), nesting, shapes."""
    __slots__ = ("name", "start_us", "end_us", "children_us", "input_shapes", "thread", "depth",
                 "id")

    def __init__(self, name, start_us, input_shapes, thread, depth, id_):
        self.name, self.start_us, self.input_shapes = name, start_us, input_shapes
        self.thread, self.depth, self.id = thread, depth, id_
        self.end_us = None
        self.children_us = 0.0

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - self.children_us

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time="
                f"{_fmt_us(self.cpu_time_total)}>")


class _Recorder:
    def __init__(self, record_shapes):
        self.record_shapes = record_shapes
        self.events = []
        self.t0 = time.perf_counter_ns()
        self.local = threading.local()

    def begin(self, name, args=()):
        stack = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
        shapes = _shapes(args) if self.record_shapes else []
        ev = FunctionEvent(name, (time.perf_counter_ns() - self.t0) / 1e3, shapes,
                           threading.get_ident(), len(stack), len(self.events))
        self.events.append(ev)
        stack.append(ev)
        return ev

    def end(self, ev):
        ev.end_us = (time.perf_counter_ns() - self.t0) / 1e3
        stack = self.local.stack
        while stack and stack[-1] is not ev:   # an inner range left open by an exception
            stack.pop()
        if stack:
            stack.pop()
        if stack:
            stack[-1].children_us += ev.cpu_time_total


def _shapes(args):
    from ..tensor import Tensor
    out = []
    for a in args:
        if isinstance(a, Tensor):
            out.append(list(a.shape))
        elif isinstance(a, (list, tuple)) and a and all(isinstance(x, Tensor) for x in a):
            out.append([list(x.shape) for x in a])
        else:
            out.append([])
    return out


_active = []          # the recorders now recording (innermost last)
_patch_lock = threading.Lock()
_saved = {}


def _install():
    """Time Function.apply and the engine's backward nodes (only while something records)."""
    from ..autograd import function as _fn, engine as _eng
    apply = _fn.Function.__dict__["apply"].__func__

    def timed_apply(cls, *args, **kwargs):
        rec = _active[-1] if _active else None
        if rec is None:
            return apply(cls, *args, **kwargs)
        ev = rec.begin("ember::" + cls.__name__, args)
        try:
            return apply(cls, *args, **kwargs)
        finally:
            rec.end(ev)

    step = _eng._node_step

    def timed_step(node, grads, retain_graph, raw_ok, check_nan):
        rec = _active[-1] if _active else None
        if rec is None:
            return step(node, grads, retain_graph, raw_ok, check_nan)
        ev = rec.begin("autograd::engine::evaluate_function: " + node.name(), grads)
        try:
            return step(node, grads, retain_graph, raw_ok, check_nan)
        finally:
            rec.end(ev)

    _saved["apply"] = _fn.Function.__dict__["apply"]
    _saved["step"] = step
    _fn.Function.apply = classmethod(timed_apply)
    _eng._node_step = timed_step
    _eng._profiling[0] = True    # run_backward takes the per-node loop that calls _node_step


def _uninstall():
    from ..autograd import function as _fn, engine as _eng
    _fn.Function.apply = _saved.pop("apply")
    _eng._node_step = _saved.pop("step")
    _eng._profiling[0] = False


def _start(rec):
    with _patch_lock:
        if not _active:
            _install()
        _active.append(rec)


def _stop(rec):
    with _patch_lock:
        if rec in _active:
            _active.remove(rec)
        if not _active and _saved:
            _uninstall()


class record_function:
    """A named range in the profile (`with record_function("forward"):`, or a decorator)."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._ev = None
        self._rec = None

    def __enter__(self):
        self._rec = _active[-1] if _active else None
        if self._rec is not None:
            self._ev = self._rec.begin(self.name)
        return self

    def __exit__(self, *exc):
        if self._ev is not None:
            self._rec.end(self._ev)
            self._ev = None
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with record_function(self.name):
                return fn(*a, **k)
        return wrapper


# ---------------------------------------------------------------- results
class FunctionEventAvg:
    """Events of one name (and input shapes, when grouped so) summed."""

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = input_shapes
        self.cuda_time_total = 0.0
        self.self_cuda_time_total = 0.0

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    def add(self, ev):
        self.count += 1
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_fmt_us(self.self_cpu_time_total)}"
                f" cpu_time={_fmt_us(self.cpu_time)} count={self.count}>")


_SORT_KEYS = {"cpu_time_total", "self_cpu_time_total", "cpu_time", "count", "cuda_time_total",
              "self_cuda_time_total", "cpu_memory_usage", "self_cpu_memory_usage"}


class EventList(list):
    """A list of events with PyTorch's `table()`."""

    def __init__(self, items=(), total_self_us=None, grouped_shapes=False):
        super().__init__(items)
        self._total = total_self_us
        self._shapes = grouped_shapes

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False):
        rows = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise AttributeError(f"'FunctionEventAvg' object has no attribute '{sort_by}'")
            rows.sort(key=lambda e: getattr(e, sort_by, 0.0), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total = self._total if self._total is not None else \
            sum(e.self_cpu_time_total for e in self) or 1.0
        total = total or 1.0
        name_w = max_name_column_width
        cols = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                "# of Calls"] + (["Input Shapes"] if self._shapes else [])
        widths = [name_w] + [12] * 6 + ([max(12, min(max_shapes_column_width, 33))]
                                         if self._shapes else [])
        line = "  ".join("-" * w for w in widths) + "  "

        def fmt_row(vals):
            return "  ".join(str(v).rjust(w) for v, w in zip(vals, widths)) + "  "
        out = [line, fmt_row(cols), line]
        for e in rows:
            name = e.key if len(e.key) <= name_w else e.key[:name_w - 3] + "..."
            vals = [name, f"{100 * e.self_cpu_time_total / total:.2f}%",
                    _fmt_us(e.self_cpu_time_total),
                    f"{100 * e.cpu_time_total / total:.2f}%", _fmt_us(e.cpu_time_total),
                    _fmt_us(e.cpu_time), e.count]
            if self._shapes:
                vals.append(str(e.input_shapes)[:max_shapes_column_width])
            out.append(fmt_row(vals))
        out.append(line)
        out.append(f"Self CPU time total: {_fmt_us(total)}")
        return ("" if header is None else header + "\n") + "\n".join(out) + "\n"

    def __str__(self):
        return self.table()

    def total_average(self):
        avg = FunctionEventAvg("Total")
        for e in self:
            avg.count += e.count if isinstance(e, FunctionEventAvg) else 1
            avg.cpu_time_total += e.cpu_time_total
            avg.self_cpu_time_total += e.self_cpu_time_total
        return avg


def _fmt_us(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class profile:
    """`with torch.profiler.profile(activities=[ProfilerActivity.CPU], record_shapes=True) as
    prof: ...; print(prof.key_averages().table(sort_by="cpu_time_total"))`."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None):
        acts = set(activities) if activities is not None else supported_activities()
        for a in acts:
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"activities must be ProfilerActivity values, got {a!r}")
        self.activities = acts
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.step_num = 0
        self._rec = None
        self._events = []
        self._action = None

    # recording control
    def _begin(self):
        if self._rec is None:
            self._rec = _Recorder(self.record_shapes)
            _start(self._rec)

    def _finish(self, save):
        if self._rec is not None:
            _stop(self._rec)
            self._events = [e for e in self._rec.events if e.end_us is not None]
            self._rec = None
            if save and self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def start(self):
        if self.schedule is None:
            self._begin()
        else:
            self._action = self.schedule(self.step_num)
            if self._action in (ProfilerAction.WARMUP, ProfilerAction.RECORD,
                                ProfilerAction.RECORD_AND_SAVE):
                self._begin()

    def stop(self):
        if self.schedule is None:
            self._finish(True)
        else:
            self._finish(self._action in (ProfilerAction.RECORD,
                                          ProfilerAction.RECORD_AND_SAVE))

    def step(self):
        """Advance the schedule by one training step."""
        if self.schedule is None:
            self.step_num += 1
            return
        prev = self._action
        self.step_num += 1
        cur = self.schedule(self.step_num)
        recording = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if prev == ProfilerAction.RECORD_AND_SAVE:
            self._finish(True)
        elif prev == ProfilerAction.WARMUP and cur not in recording + (ProfilerAction.WARMUP,):
            self._finish(False)
        elif prev in recording and cur == ProfilerAction.NONE:
            self._finish(True)
        if prev == ProfilerAction.WARMUP and cur in recording and self._rec is not None:
            self._rec.events.clear()      # warmup steps are run, not kept
        if cur != ProfilerAction.NONE:
            self._begin()
        self._action = cur

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # results
    def events(self):
        return EventList(self._events)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        groups = {}
        for e in self._events:
            k = (e.name, str(e.input_shapes)) if group_by_input_shape else e.name
            g = groups.get(k)
            if g is None:
                g = groups[k] = FunctionEventAvg(e.name, e.input_shapes
                                                 if group_by_input_shape else None)
            g.add(e)
        total = sum(e.self_cpu_time_total for e in self._events)
        return EventList(groups.values(), total_self_us=total,
                         grouped_shapes=group_by_input_shape)

    def export_chrome_trace(self, path):
        """The events as a Chrome trace (chrome://tracing, Perfetto)."""
        pid = os.getpid()
        trace = {"traceEvents": [
            {"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.cpu_time_total,
             "pid": pid, "tid": e.thread, "cat": "cpu_op",
             "args": {"Input Dims": e.input_shapes} if e.input_shapes else {}}
            for e in self._events], "displayTimeUnit": "ms"}
        with open(path, "w") as f:
            json.dump(trace, f)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        raise NotImplementedError("profile.export_stacks: ember records no stacks")

    def export_memory_timeline(self, path, device=None):
        raise NotImplementedError("profile.export_memory_timeline: ember records no memory "
                                  "events")


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """on_trace_ready handler writing `<worker>.<time>.pt.trace.json` into `dir_name`."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{name}.{time.time_ns() // 1000000}.pt.trace.json")
        if use_gzip:
            import gzip
            prof.export_chrome_trace(path)
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                dst.write(src.read())
            os.remove(path)
        else:
            prof.export_chrome_trace(path)
    return handler
