"""Device selection and queries: `torch.cuda.device(...)` / `device_of(...)` context managers,
set_device, get_device_properties, get_device_capability, is_bf16_supported, get_arch_list.

Without CUDA each answers as PyTorch 2.13's CPU build: most raise "Torch not compiled with CUDA
enabled"; is_bf16_supported is False, get_arch_list [], and a negative index is a no-op."""
from . import _state

__all__ = ["device", "device_of", "set_device", "get_device_properties",
           "get_device_capability", "get_device_name", "is_bf16_supported", "get_arch_list",
           "get_gencode_flags", "can_device_access_peer", "ipc_collect", "init"]


def set_device(device):
    """Make `device` the current CUDA device (a negative index is a no-op)."""
    idx = _state.device_index(device)
    if idx < 0:
        return
    if not _state.available():
        # PyTorch's CPU build fails here with an AttributeError from its C module
        raise AttributeError("module 'torch._C' has no attribute '_cuda_setDevice'")
    _state.cupy().cuda.Device(idx).use()
    _state._current[0] = idx


def _exchange_device(idx):
    if idx < 0:           # None fails here with TypeError, as in PyTorch's CPU build
        return -1
    if not _state.available():
        raise RuntimeError("PyTorch was compiled without CUDA support")
    prev = _state.current_index()
    if idx != prev:
        set_device(idx)
    return prev


class device:
    """`with ember.cuda.device(1):` — device 1 is current inside the block (None or a
    negative index: no-op)."""

    def __init__(self, device):
        self.idx = _state.device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        self.prev_idx = _exchange_device(self.idx)

    def __exit__(self, *exc):
        if self.prev_idx >= 0 and self.prev_idx != _state.current_index():
            set_device(self.prev_idx)
        return False


class device_of(device):
    """`with ember.cuda.device_of(t):` — t's device is current (no-op for CPU tensors)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


class _CudaDeviceProperties:
    """What `get_device_properties` returns; fields named as PyTorch's."""

    def __init__(self, props):
        g = props.get
        name = g("name", b"")
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.major = int(g("major", 0))
        self.minor = int(g("minor", 0))
        self.total_memory = int(g("totalGlobalMem", 0))
        self.multi_processor_count = int(g("multiProcessorCount", 0))
        self.is_integrated = int(g("integrated", 0))
        self.is_multi_gpu_board = int(g("isMultiGpuBoard", 0))
        self.max_threads_per_multi_processor = int(g("maxThreadsPerMultiProcessor", 0))
        self.warp_size = int(g("warpSize", 32))
        self.regs_per_multiprocessor = int(g("regsPerMultiprocessor", 0))
        self.shared_memory_per_block = int(g("sharedMemPerBlock", 0))
        self.shared_memory_per_multiprocessor = int(g("sharedMemPerMultiprocessor", 0))
        self.L2_cache_size = int(g("l2CacheSize", 0))
        self.clock_rate = int(g("clockRate", 0))
        self.memory_clock_rate = int(g("memoryClockRate", 0))
        self.memory_bus_width = int(g("memoryBusWidth", 0))

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count}, "
                f"L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)")


_props_cache = {}


def get_device_properties(device=None):
    _state.require()
    idx = _state.device_index(device, optional=True)
    cp = _state.cupy()
    if idx < 0 or idx >= cp.cuda.runtime.getDeviceCount():
        raise AssertionError("Invalid device id")
    if idx not in _props_cache:
        _props_cache[idx] = _CudaDeviceProperties(cp.cuda.runtime.getDeviceProperties(idx))
    return _props_cache[idx]


def get_device_capability(device=None):
    p = get_device_properties(device)
    return p.major, p.minor


def get_device_name(device=None):
    return get_device_properties(device).name


def is_bf16_supported(including_emulation=True):
    """bfloat16 math on the current device: compute capability 8.0 (Ampere) or newer."""
    if not _state.available():
        return False
    return get_device_properties(_state.current_index()).major >= 8


def get_arch_list():
    """The architectures kernels are built for. CuPy compiles for the GPU present, so this is
    that GPU's `sm_XY` ([] without CUDA)."""
    if not _state.available():
        return []
    cp = _state.cupy()
    archs = []
    for i in range(cp.cuda.runtime.getDeviceCount()):
        major, minor = get_device_capability(i)
        a = f"sm_{major}{minor}"
        if a not in archs:
            archs.append(a)
    return archs


def get_gencode_flags():
    arch_list = get_arch_list()
    if not arch_list:
        return ""
    return " ".join(f"-gencode compute=compute_{a[3:]},code={a}" for a in arch_list)


def can_device_access_peer(device, peer_device):
    _state.require()
    d, p = _state.device_index(device), _state.device_index(peer_device)
    return bool(_state.cupy().cuda.runtime.deviceCanAccessPeer(d, p))


def ipc_collect():
    """Free CUDA memory shared with other processes and released by them. ember shares no
    CUDA memory across processes, so there is nothing to collect."""
    _state.require()


def init():
    """Initialize CUDA now rather than on first use."""
    _state.require()
    from . import memory
    memory._install_tracker()
