"""A stand-in for the part of CuPy's API that ember.cuda calls, for PLUMBING tests on
machines without a GPU. It checks how ember drives CuPy (which calls, which devices, which
arguments); it verifies nothing about GPUs. Real-GPU checks are in tests/cuda/test_gpu.py.

Memory model: a pool per device that rounds allocations up to 512 bytes, keeps freed blocks
until free_all_blocks(), and reports used_bytes/total_bytes for the current device, as
CuPy's MemoryPool does. Time model: a clock that each recorded event reads and ops advance."""
import types


class OutOfMemoryError(Exception):
    pass


class CUDARuntimeError(Exception):
    pass


def make_fake_cupy(n_devices=1, total_memory=80 * 2 ** 30, major=9, minor=0):
    cp = types.SimpleNamespace()
    state = {"device": 0, "allocator": None, "clock": 0.0, "log": []}
    log = state["log"]

    class _Chunk:
        def __init__(self, size):
            self.size = size

    class MemoryPointer:
        def __init__(self, pool, dev, size):
            self.device_id, self.mem, self._pool = dev, _Chunk(size), pool
            self.freed = False

        def free(self):
            """What CuPy does when the last array using the block is collected."""
            assert not self.freed
            self.freed = True
            self._pool.used[self.device_id] -= self.mem.size

    class MemoryPool:
        def __init__(self):
            self.used = [0] * n_devices
            self.total = [0] * n_devices
            self.limit = [None] * n_devices

        def malloc(self, size):
            d = state["device"]
            rounded = -(-size // 512) * 512
            lim = self.limit[d]
            if lim is not None and self.used[d] + rounded > lim:
                raise OutOfMemoryError(f"Out of memory allocating {rounded} bytes")
            self.used[d] += rounded
            self.total[d] = max(self.total[d], self.used[d])
            log.append(("malloc", d, size))
            return MemoryPointer(self, d, rounded)

        def used_bytes(self):
            return self.used[state["device"]]

        def total_bytes(self):
            return self.total[state["device"]]

        def free_all_blocks(self, stream=None):
            d = state["device"]
            log.append(("free_all_blocks", d))
            self.total[d] = self.used[d]

        def set_limit(self, size=None, fraction=None):
            log.append(("set_limit", state["device"], size, fraction))
            self.limit[state["device"]] = int(fraction * total_memory) if fraction is not None \
                else size

    class PinnedMemoryPool:
        def free_all_blocks(self):
            log.append(("pinned_free_all_blocks",))

    pool, pinned_pool = MemoryPool(), PinnedMemoryPool()
    cp.get_default_memory_pool = lambda: pool
    cp.get_default_pinned_memory_pool = lambda: pinned_pool

    class Device:
        def __init__(self, device=None):
            self.id = state["device"] if device is None else device
            assert 0 <= self.id < n_devices, f"bad device {self.id}"

        def __enter__(self):
            self._prev = state["device"]
            state["device"] = self.id
            return self

        def __exit__(self, *exc):
            state["device"] = self._prev

        def use(self):
            log.append(("Device.use", self.id))
            state["device"] = self.id

        def synchronize(self):
            log.append(("Device.synchronize", self.id))

    class Event:
        def __init__(self, block=False, disable_timing=False, interprocess=False):
            self.block, self.disable_timing = block, disable_timing
            self.t = None
            self.ptr = id(self)

        def record(self, stream=None):
            assert stream is not None, "ember passes the stream explicitly"
            self.t = state["clock"]
            log.append(("Event.record", stream.ptr))

        @property
        def done(self):
            return True

        def synchronize(self):
            log.append(("Event.synchronize",))

    class Stream:
        _next = [0x1000]

        def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
            if null:
                self.ptr = 0
            else:
                Stream._next[0] += 0x10
                self.ptr = Stream._next[0]
            self.priority = priority
            self.device_id = state["device"]

        def use(self):
            log.append(("Stream.use", self.ptr))
            state.setdefault("current_stream", {})[state["device"]] = self

        def synchronize(self):
            log.append(("Stream.synchronize", self.ptr))

        def wait_event(self, event):
            log.append(("Stream.wait_event", self.ptr, event.ptr))

        @property
        def done(self):
            return True

        def is_capturing(self):
            return False

    Stream.null = Stream(null=True)

    def get_current_stream():
        return state.get("current_stream", {}).get(state["device"], Stream.null)

    def get_elapsed_time(start, end):
        assert not (start.disable_timing or end.disable_timing)
        return (end.t - start.t) * 1e3

    def set_allocator(fn):
        state["allocator"] = fn

    def alloc(size):
        """cupy.cuda.alloc: every CuPy array allocation goes through the current allocator."""
        return (state["allocator"] or pool.malloc)(size)

    class PinnedMemoryPointer(bytearray):
        """A host block; the real one exposes the buffer protocol the same way."""

    def alloc_pinned_memory(n):
        log.append(("alloc_pinned_memory", n))
        return PinnedMemoryPointer(n)

    runtime = types.SimpleNamespace(
        getDeviceCount=lambda: n_devices,
        getDevice=lambda: state["device"],
        getDeviceProperties=lambda i: {
            "name": f"Fake GPU {i}".encode(), "totalGlobalMem": total_memory, "major": major,
            "minor": minor, "multiProcessorCount": 132, "l2CacheSize": 50 * 2 ** 20,
            "warpSize": 32},
        memGetInfo=lambda: (total_memory - pool.total[state["device"]], total_memory),
        deviceCanAccessPeer=lambda d, p: int(d != p),
    )
    cp.cuda = types.SimpleNamespace(
        runtime=runtime, Device=Device, Stream=Stream, Event=Event,
        get_current_stream=get_current_stream, get_elapsed_time=get_elapsed_time,
        set_allocator=set_allocator, alloc=alloc, PinnedMemoryPointer=PinnedMemoryPointer,
        alloc_pinned_memory=alloc_pinned_memory,
        memory=types.SimpleNamespace(OutOfMemoryError=OutOfMemoryError))
    cp.random = types.SimpleNamespace(seed=lambda s: log.append(("random.seed", s)))
    cp._state = state

    def tick(seconds):
        state["clock"] += seconds
    cp.tick = tick
    return cp
