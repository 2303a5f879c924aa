"""CUDA streams and events (`torch.cuda.Stream`, `Event`, `stream(...)`) on CuPy's.

ember's GPU kernels are CuPy calls, and CuPy launches on its current stream; so making a
stream current here (`with ember.cuda.stream(s):`) makes ember's ops run on it.

Without CUDA, constructing a Stream or Event raises PyTorch's CPU-build RuntimeError and the
stream queries raise its AssertionError; `stream(None)` and `set_stream(None)` are no-ops.
"""
from . import _state

__all__ = ["Stream", "ExternalStream", "Event", "StreamContext", "stream", "current_stream",
           "default_stream", "set_stream"]


def _dev(idx):
    from ..device import device
    return device("cuda", idx)


class Stream:
    """A CUDA stream on `device` (default: the current one). `priority` < 0 is higher."""

    def __init__(self, device=None, priority=0, **kwargs):
        if not _state.available():
            raise RuntimeError("torch.cuda.Stream requires CUDA support")
        cp = _state.cupy()
        idx = _state.device_index(device, optional=True)
        self.device_index = idx
        if "_cupy_stream" in kwargs:          # wrapping an existing CuPy stream
            self._cs = kwargs["_cupy_stream"]
            return
        with cp.cuda.Device(idx):
            # CuPy takes a priority only where it supports one; 0 is CUDA's default
            self._cs = (cp.cuda.Stream(non_blocking=False) if priority == 0 else
                        cp.cuda.Stream(non_blocking=False, priority=priority))

    @classmethod
    def _wrap(cls, cupy_stream, idx):
        return cls(idx, _cupy_stream=cupy_stream)

    device_type = 1   # PyTorch's DeviceType.CUDA

    @property
    def device(self):
        return _dev(self.device_index)

    @property
    def cuda_stream(self):
        """The raw cudaStream_t handle (an int)."""
        return self._cs.ptr

    @property
    def stream_id(self):
        return self._cs.ptr

    def wait_event(self, event):
        """Work queued on this stream after now waits for `event`."""
        self._cs.wait_event(event._ev)

    def wait_stream(self, stream):
        """Work queued on this stream after now waits for what `stream` has queued."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        if event is None:
            event = Event()
        event.record(self)
        return event

    def query(self):
        """True when all work queued on the stream has finished."""
        return bool(self._cs.done)

    def synchronize(self):
        self._cs.synchronize()

    def __eq__(self, other):
        return isinstance(other, Stream) and self.cuda_stream == other.cuda_stream and \
            self.device_index == other.device_index

    def __hash__(self):
        return hash((self.cuda_stream, self.device_index))

    def __repr__(self):
        return f"<torch.cuda.Stream device={self.device} cuda_stream={self.cuda_stream:#x}>"


class ExternalStream(Stream):
    """A stream made elsewhere, given by its raw handle."""

    def __init__(self, stream_ptr, device=None, **kwargs):
        if not _state.available():
            raise RuntimeError("torch.cuda.Stream requires CUDA support")
        cp = _state.cupy()
        super().__init__(device, _cupy_stream=cp.cuda.ExternalStream(stream_ptr))


class Event:
    """A CUDA event: a marker in a stream to wait on or to time between (milliseconds)."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False,
                 external=False):
        if not _state.available():
            raise RuntimeError("Tried to instantiate dummy base class Event")
        cp = _state.cupy()
        self._ev = cp.cuda.Event(block=blocking, disable_timing=not enable_timing,
                                 interprocess=interprocess)
        self.enable_timing = enable_timing
        self._recorded = False

    def record(self, stream=None):
        """Mark the current point of `stream` (default: the current stream)."""
        if stream is None:
            stream = current_stream()
        self._ev.record(stream._cs)
        self._recorded = True

    def wait(self, stream=None):
        """Make `stream` (default: the current stream) wait for this event."""
        if stream is None:
            stream = current_stream()
        stream.wait_event(self)

    def query(self):
        """True when the work before the recorded point has finished (or never recorded)."""
        return bool(self._ev.done)

    def synchronize(self):
        """Block the host until the recorded point has been reached."""
        self._ev.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds between this event's record and `end_event`'s (both recorded, both
        with enable_timing=True, end_event reached)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._recorded and end_event._recorded):
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return float(_state.cupy().cuda.get_elapsed_time(self._ev, end_event._ev))

    @property
    def cuda_event(self):
        return self._ev.ptr

    def __repr__(self):
        return f"<torch.cuda.Event {self.cuda_event:#x}>" if self._recorded else \
            "<torch.cuda.Event uninitialized>"


def current_stream(device=None):
    """The stream ember's (CuPy's) work on `device` goes to now."""
    _state.require()
    cp = _state.cupy()
    idx = _state.device_index(device, optional=True)
    with cp.cuda.Device(idx):
        return Stream._wrap(cp.cuda.get_current_stream(), idx)


def default_stream(device=None):
    """The legacy default (null) stream of `device`."""
    _state.require()
    cp = _state.cupy()
    return Stream._wrap(cp.cuda.Stream.null, _state.device_index(device, optional=True))


def set_stream(stream):
    """Make `stream` current (None: no-op). Prefer `with ember.cuda.stream(s):`."""
    if stream is None:
        return
    _state.require()
    cp = _state.cupy()
    with cp.cuda.Device(stream.device_index):
        stream._cs.use()


class StreamContext:
    """`with ember.cuda.stream(s):` — ops inside the block are queued on `s`; None: no-op."""

    def __init__(self, stream):
        self.stream = stream
        self._prev = None

    def __enter__(self):
        if self.stream is None or not _state.available():
            return
        self._prev = current_stream(self.stream.device_index)
        set_stream(self.stream)

    def __exit__(self, *exc):
        if self._prev is not None:
            set_stream(self._prev)
            self._prev = None
        return False


def stream(stream):
    return StreamContext(stream)


def is_current_stream_capturing():
    """Whether the current stream is recording a CUDA graph (CuPy: Stream.is_capturing)."""
    if not _state.available():
        raise RuntimeError("Tried to instantiate dummy base class _cuda_isCurrentStreamCapturing")
    return bool(_state.cupy().cuda.get_current_stream().is_capturing())
