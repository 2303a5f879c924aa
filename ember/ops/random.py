"""Random numbers: `Generator`, the default generator and seeding, and every sampling op
(rand, randn, randint, randperm, normal, bernoulli, multinomial, poisson, the `_like` forms
and the in-place `x.uniform_()` family).

A CPU `Generator` wraps NumPy's PCG64 bit generator: the same seed gives the same stream
(PyTorch's Mersenne Twister values are not reproduced bit for bit). Samples are drawn in the
result's precision (float32 directly, never float64 then cast). A CUDA generator draws on the
GPU through CuPy; its state is (seed, number of draws) and each draw reseeds a Philox stream
from both, so a saved state replays exactly. Other devices sample on the host and copy.

Distribution parameters given as tensors take part in autograd as PyTorch defines it: the
result stays in the graph and the gradient with respect to the parameters is zero.
"""
import builtins
import os
import warnings

import numpy as np

from .. import dtypes as _dt
from ..device import cpu as _cpu
from ..tensor import Tensor, _make, _as_array
from ..backends import get_backend
from ..autograd.function import Op
from ..autograd import grad_mode
from ._util import write_out, apply_inplace, _type_word
from .creation import parse_size, _device, broadcast_shape, _C_NAMES, _leaf_requires_grad

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "rand", "randn", "randint", "randperm", "normal",
           "bernoulli", "multinomial", "poisson", "rand_like", "randn_like", "randint_like"]

_enabled = grad_mode._enabled
_DEFAULT_SEED = 67280421310721   # PyTorch's seed for a new torch.Generator()
_U64 = (1 << 64) - 1


# ---------------------------------------------------------------- Generator
def _seed_value(seed):
    """PyTorch accepts seeds in [-2**63, 2**64); negative ones wrap to unsigned 64 bits."""
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


class Generator:
    """A random stream: `Generator(device='cpu')`, `manual_seed`, `seed`, `initial_seed`,
    `get_state`/`set_state` (a uint8 tensor that round-trips exactly)."""

    def __init__(self, device="cpu"):
        dev = _device(device)
        if dev.type == "cuda":
            get_backend(dev)   # PyTorch's error when CUDA is unavailable
        self.device = dev
        self._cuda_rs = None
        self._set_seed(_DEFAULT_SEED)

    def _set_seed(self, seed):
        self._seed = seed
        self._draws = 0          # CUDA: draws since seeding
        self._np = None if self.device.type == "cuda" else \
            np.random.Generator(np.random.PCG64(seed))

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        self._set_seed(_seed_value(builtins.int(seed)))
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self._set_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # state: the seed, then PCG64's 128-bit state and increment and its cached 32 bits
    # (CPU), or the number of draws (CUDA); all little-endian
    def _state_bytes(self):
        if self._np is None:
            return self._seed.to_bytes(8, "little") + self._draws.to_bytes(8, "little")
        st = self._np.bit_generator.state
        return (self._seed.to_bytes(8, "little") + st["state"]["state"].to_bytes(16, "little")
                + st["state"]["inc"].to_bytes(16, "little")
                + st["has_uint32"].to_bytes(8, "little") + st["uinteger"].to_bytes(8, "little"))

    def _state_size(self):
        return 16 if self._np is None else 56

    def get_state(self):
        return _make(np.frombuffer(self._state_bytes(), np.uint8).copy(), _cpu)

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not _dt.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        n = self._state_size()
        if new_state.numel() != n:
            kind = "CUDA" if self._np is None else "CPU"
            raise RuntimeError(f"Expected a {kind}GeneratorImplState of size {n} but found the "
                               f"input RNG state size to be {new_state.numel()}")
        b = new_state._host_array().tobytes()
        word = lambda i, k: int.from_bytes(b[i:i + k], "little")   # noqa: E731
        self._seed = word(0, 8)
        if self._np is None:
            self._draws = word(8, 8)
        else:
            self._np.bit_generator.state = {
                "bit_generator": "PCG64",
                "state": {"state": word(8, 16), "inc": word(24, 16)},
                "has_uint32": word(40, 8), "uinteger": word(48, 8)}
        return self

    def clone_state(self):
        g = Generator(self.device)
        return g.set_state(self.get_state())

    def __reduce__(self):
        return (_rebuild_generator, (str(self.device), self._state_bytes()))

    def __repr__(self):
        return f"<torch._C.Generator object at {hex(id(self))}>"

    # -- the CUDA stream of an explicit generator
    def _next_cuda_state(self):
        import cupy
        if self._cuda_rs is None:
            try:   # Philox: reseeding it is cheap (no per-thread state to initialise)
                from cupy_backends.cuda.libs import curand
                method = curand.CURAND_RNG_PSEUDO_PHILOX4_32_10
            except (ImportError, AttributeError):
                method = None
            with cupy.cuda.Device(self.device.index or 0):
                self._cuda_rs = cupy.random.RandomState(
                    **({} if method is None else {"method": method}))
        key = np.random.SeedSequence([self._seed, self._draws]).generate_state(1, np.uint64)
        self._draws += 1
        self._cuda_rs.seed(builtins.int(key[0]))
        return self._cuda_rs


def _rebuild_generator(dev, state):
    g = Generator(dev)
    return g.set_state(_make(np.frombuffer(state, np.uint8).copy(), _cpu))


# PyTorch seeds its default generator from the OS at start-up; so does ember.
default_generator = Generator()
default_generator.seed()


def manual_seed(seed):
    """Seed the default generator (and CUDA's, when there is a GPU); returns the generator."""
    seed = builtins.int(seed)
    _seed_value(seed)
    from .. import cuda
    if cuda.is_available():
        cuda.manual_seed_all(seed & _U64)
    return default_generator.manual_seed(seed)


def seed():
    s = default_generator.seed()
    from .. import cuda
    if cuda.is_available():
        cuda.manual_seed_all(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    if not isinstance(new_state, Tensor) or new_state.dtype is not _dt.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor")
    default_generator.set_state(new_state)


# ---------------------------------------------------------------- sources of raw samples
class _NumpySource:
    """Samples from a NumPy Generator, moved to `dev` when that isn't the CPU."""

    def __init__(self, rng, dev):
        self.rng, self.dev = rng, dev
        self.xp = np if dev is _cpu else get_backend(dev).xp

    def _out(self, a):
        return a if self.dev is _cpu else get_backend(self.dev).asarray(a, self.dev)

    def uniform(self, shape, npdt):      # [0, 1), npdt float32 or float64
        return self._out(self.rng.random(shape, dtype=npdt))

    def normal(self, shape, npdt):
        n = 1
        for d in shape:
            n *= d
        if n < 64:
            return self._out(self.rng.standard_normal(shape, dtype=npdt))
        # Box-Muller on uniforms, as PyTorch's CPU kernel does: vectorised it is 2-3x faster
        # than NumPy's ziggurat (the float32 tail is cut at 5.8 sigma, as in PyTorch)
        h = (n + 1) // 2
        u = self.rng.random((2, h), dtype=npdt)
        r = np.log1p(-u[0])
        r *= -2
        np.sqrt(r, out=r)
        theta = u[1]
        theta *= 2 * np.pi
        z = np.empty(2 * h, npdt)
        np.cos(theta, out=z[:h])
        z[:h] *= r
        np.sin(theta, out=z[h:])
        z[h:] *= r
        return self._out(z[:n].reshape(shape))

    def exponential(self, shape, npdt):  # rate 1
        return self._out(self.rng.standard_exponential(shape, dtype=npdt))

    def integers(self, lo, hi, shape):   # int64 in [lo, hi], both ends included
        return self._out(self.rng.integers(lo, hi, shape, dtype=np.int64, endpoint=True))

    def poisson(self, lam):              # lam: float64 array on dev
        if self.dev is not _cpu:
            lam = get_backend(self.dev).to_numpy(lam)
        return self._out(self.rng.poisson(lam, size=lam.shape))

    def permutation(self, n):
        return self._out(self.rng.permutation(n))


class _CupySource:
    """Samples from CuPy RandomStates: `next_state()` gives the one to use for each draw
    (an explicit generator reseeds a Philox stream per draw; the default one is CuPy's own
    per-device state, which `ember.cuda.manual_seed` seeds)."""

    def __init__(self, next_state, dev):
        import cupy
        self.xp, self.next_state, self.index = cupy, next_state, dev.index or 0

    def _draw(self, fn):
        with self.xp.cuda.Device(self.index):
            return fn(self.next_state())

    def uniform(self, shape, npdt):
        return self._draw(lambda rs: rs.random_sample(shape, dtype=npdt))

    def normal(self, shape, npdt):
        return self._draw(lambda rs: rs.standard_normal(shape, dtype=npdt))

    def exponential(self, shape, npdt):
        u = self.uniform(shape, npdt)
        return -self.xp.log1p(-u)

    def integers(self, lo, hi, shape):
        span = hi - lo
        if span < (1 << 62):
            r = self._draw(lambda rs: rs.randint(0, span + 1, size=shape, dtype=np.int64))
            return r + lo if lo else r
        # 64-bit spans: two 32-bit halves; the modulo's bias is below 2**-62 here
        bits = self._draw(lambda rs: rs.randint(0, 1 << 32, size=shape + (2,), dtype=np.int64))
        bits = bits.astype(np.uint64)
        r = (bits[..., 0] << np.uint64(32)) | bits[..., 1]
        if span < _U64:
            r %= np.uint64(span + 1)
        return (r + np.uint64(lo & _U64)).view(np.int64)

    def poisson(self, lam):
        return self._draw(lambda rs: rs.poisson(lam, size=lam.shape, dtype=np.int64))

    def permutation(self, n):
        return self._draw(lambda rs: rs.permutation(n))


# ember.func.vmap's randomness modes, innermost last ("error" forbids random ops inside)
_vmap_randomness = []


def _source(generator, dev):
    """Where samples for a tensor on `dev` come from."""
    if _vmap_randomness and _vmap_randomness[-1] == "error":
        raise RuntimeError("vmap: called random operation while in randomness error mode. "
                           "Please either use the 'same' or 'different' randomness flags on "
                           "vmap or perform the randomness operation out of vmap")
    if dev.type == "cuda":
        get_backend(dev)   # PyTorch's error when CUDA is unavailable
    if generator is None:
        if dev.type == "cuda":
            import cupy
            return _CupySource(cupy.random.get_random_state, dev)
        return _NumpySource(default_generator._np, dev)
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, but got {type(generator).__name__}")
    if dev.type == "cuda" or generator.device.type == "cuda":
        if generator.device.type != dev.type:
            raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found "
                               f"'{generator.device.type}'")
        return _CupySource(generator._next_cuda_state, dev)
    return _NumpySource(generator._np, dev)


# ---------------------------------------------------------------- samplers on raw arrays
def _work_dtype(npdt):
    """NumPy draws float32 or float64; half types are drawn in float32 and cast."""
    return npdt if npdt in (np.float32, np.float64) else np.dtype(np.float32)


def _as_complex(src, shape, dt, draw):
    """A complex sample: real and imaginary parts drawn as one float array of pairs."""
    pairs = draw(src, tuple(shape) + (2,), dt.to_real())
    return pairs.view(dt.np).reshape(shape)


def _uniform(src, shape, dt, lo=0.0, hi=1.0):
    if dt.is_complex:
        return _as_complex(src, shape, dt, lambda s, sh, d: _uniform(s, sh, d, lo, hi))
    npdt = _dt.to_np(dt)
    u = src.uniform(shape, _work_dtype(npdt))
    if lo != 0 or hi != 1:
        u *= hi - lo
        u += lo
    return u.astype(npdt, copy=False)


def _normal(src, shape, dt, mean=0.0, std=1.0):
    if dt.is_complex:   # each part has variance std**2 / 2, as in PyTorch
        return _as_complex(src, shape, dt,
                           lambda s, sh, d: _normal(s, sh, d, mean, std / 2 ** 0.5))
    npdt = _dt.to_np(dt)
    z = src.normal(shape, _work_dtype(npdt))
    if std != 1:
        z *= std
    if mean != 0:
        z += mean
    return z.astype(npdt, copy=False)


def _integers(src, lo, hi, shape, dt):
    """Integers in [lo, hi] stored as `dt` (any integer, bool or floating dtype)."""
    r = src.integers(lo, hi, shape)
    return r.astype(_dt.to_np(dt), copy=False)


# ---------------------------------------------------------------- dtype and bound checks
def _kernel_error(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_word(dt)}\'')


def _require_float(dt, kernel, complex_ok=True):
    if not (dt.is_floating_point or (complex_ok and dt.is_complex)):
        raise _kernel_error(kernel, dt)


def _require_continuous(dt, name, word=None):
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{word(dt) if word else _type_word(dt)}")


_FLOAT_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}
_C_FLOAT_NAMES = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
                  "float64": "double"}
_C_INT_NAMES = {"int64": "long int", "int32": "int", "int16": "short int",
                "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
                "uint16": "unsigned short", "uint32": "unsigned int", "uint64": "unsigned long"}


def _c_name(dt):
    return _C_FLOAT_NAMES.get(dt.name) or _C_INT_NAMES.get(dt.name) or \
        _C_NAMES.get(dt.name, dt.name)


def _dtype_range(dt):
    if dt is _dt.bool:
        return 0, 1
    if dt.is_floating_point:
        info = np.finfo(np.float32 if dt is _dt.bfloat16 else dt.np)
        return float(info.min), float(info.max)
    info = np.iinfo(dt.np)
    return builtins.int(info.min), builtins.int(info.max)


def _check_from_to(frm, to_inc, dt):
    """PyTorch's check that [from, to_inc] fits `dt` (and warning where floats lose
    integer precision)."""
    if dt.is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    lo, hi = _dtype_range(dt)
    for v, name in ((frm, "from"), (to_inc, "to - 1")):
        if not lo <= v <= hi:
            raise RuntimeError(f"{name} is out of bounds for {_c_name(dt)}")
    if dt.is_floating_point:
        d = _FLOAT_DIGITS[dt.name]
        for v, name in ((frm, "from"), (to_inc, "to - 1")):
            if not -(1 << d) <= v <= (1 << d):
                warnings.warn(f"{name} is out of bounds [-(2^{d}), 2^{d}]. Due to precision "
                              f"limitations {_c_name(dt)} can support discrete uniform "
                              "distribution only within this range. This warning will become "
                              "an error in version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)


def _random_bounds(dt, frm, to):
    """[from, to_inc] for random_(from, to) / random_(to) / random_() on dtype `dt`."""
    if frm is None:   # random_(): the whole range that `dt` holds exactly
        if dt.is_complex:
            raise _kernel_error("random_kernel_cpu", dt)
        if dt.is_floating_point:
            return 0, 1 << _FLOAT_DIGITS[dt.name]
        return 0, _dtype_range(dt)[1]
    if dt.is_complex:
        _check_from_to(frm, to, dt)
    if to is None:    # random_(from, None): up to the top of that range
        to_inc = (1 << _FLOAT_DIGITS[dt.name]) if dt.is_floating_point else _dtype_range(dt)[1]
        if not frm < to_inc:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to_inc' casted to dtype, but got from={frm} > "
                               f"to_inc={to_inc}")
        _check_from_to(frm, to_inc, dt)
        return frm, to_inc
    if not frm < to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={frm} >= "
                           f"to={to}")
    _check_from_to(frm, to - 1, dt)
    return frm, to - 1


def _fmt(x):
    return "%g" % x if isinstance(x, float) else str(x)


def _int_arg(fn, name, pos, v):
    if isinstance(v, Tensor) and v.ndim == 0 and not v.dtype.is_floating_point:
        v = v.item()
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    return builtins.int(v)


def _scalar(v):
    return v.item() if isinstance(v, Tensor) else v


# ---------------------------------------------------------------- results and autograd
class _Sampled(Op):
    """A sample whose distribution parameters are tensors. PyTorch keeps it in the graph with
    a zero gradient for the parameters (no reparameterisation); `name` is its grad_fn name."""

    @staticmethod
    def forward(ctx, *params, sample, name):
        ctx._name = name
        ctx.shapes = tuple(p.shape for p in params)
        return sample

    @staticmethod
    def backward(ctx, g):
        if ctx._name == "NotImplemented":
            raise RuntimeError("derivative for aten::bernoulli is not implemented")
        from .creation import zeros
        return tuple(zeros(s, dtype=g.dtype, device=g.device) if need else None
                     for s, need in zip(ctx.shapes, ctx.needs_input_grad))


def _sampled(params, arr, dev, name):
    """Wrap a sample drawn from tensor parameters: in the graph when one requires grad."""
    if _enabled[0] and any(p._requires_grad for p in params):
        return _Sampled.apply(*params, sample=arr, name=name)
    return _make(_as_array(arr, dev), dev)   # NumPy turns 0-dim results into scalars


def _factory(size, fn, dtype, out, device, default):
    """Shape, dtype and device of a random factory's result (out= decides when given)."""
    if not size:
        raise TypeError(f"{fn}() missing 1 required positional argument: 'size'")
    shape = parse_size(size, fn)
    dt = _dt.as_dtype(dtype)
    if out is not None:
        if dt is not None and dt is not out.dtype:
            raise RuntimeError(f"dtype {_type_word(dt)} does not match dtype of out parameter "
                               f"({_type_word(out.dtype)})")
        dt = out.dtype
    dev = _device(device) if out is None or device is not None else out._device
    return shape, dt or default, dev


def _finish(arr, dev, requires_grad, out):
    t = _make(_as_array(arr, dev), dev)
    if out is not None:
        return write_out(t, out)
    return _leaf_requires_grad(t) if requires_grad else t


def _size_args(fn, size, kw):
    """The size of rand(2, 3), rand((2, 3)) or rand(size=(2, 3))."""
    kw_size = kw.pop("size", None)
    if kw:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kw))}'")
    if kw_size is not None:
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        return (kw_size,)
    return size


# ---------------------------------------------------------------- factories
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw):
    """Uniform samples in [0, 1)."""
    shape, dt, dev = _factory(_size_args("rand", size, kw), "rand", dtype, out, device,
                              _dt.get_default_dtype())
    _require_float(dt, "check_uniform_bounds")
    return _finish(_uniform(_source(generator, dev), shape, dt), dev, requires_grad, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kw):
    """Standard normal samples."""
    shape, dt, dev = _factory(_size_args("randn", size, kw), "randn", dtype, out,
                              device, _dt.get_default_dtype())
    _require_float(dt, "normal_kernel_cpu")
    return _finish(_normal(_source(generator, dev), shape, dt), dev, requires_grad, out)


def _parse_randint(args, low, high, size):
    """randint(high, size) / randint(low, high, size), positionally or by keyword."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None and args:
        low = args.pop()
    if args or high is None or size is None:
        raise TypeError("randint() received an invalid combination of arguments - expected "
                        "(int high, tuple of ints size) or (int low, int high, tuple of ints "
                        "size)")
    if low is None:
        low = 0
    low = _int_arg("randint", "low", 1, low)
    high = _int_arg("randint", "high", 2 if low else 1, high)
    return low, high, size


def randint(*args, low=None, high=None, size=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False):
    """Integers uniform in [low, high) (int64 unless dtype says otherwise)."""
    low, high, size = _parse_randint(args, low, high, size)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    shape, dt, dev = _factory((size,), "randint", dtype, out, device, _dt.int64)
    lo, hi = _random_bounds(dt, low, high)
    return _finish(_integers(_source(generator, dev), lo, hi, shape, dt), dev, requires_grad,
                   out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0..n-1."""
    n = _int_arg("randperm", "n", 1, n)
    shape, dt, dev = _factory((n,), "randperm", dtype, out, device, _dt.int64)
    if dt is _dt.bool or dt.is_complex:
        raise _kernel_error("randperm", dt)
    if dt.is_floating_point:
        if n > (1 << _FLOAT_DIGITS[dt.name]) + 1:
            raise RuntimeError(f"n cannot be greater than {(1 << _FLOAT_DIGITS[dt.name]) + 1} "
                               f"for {_type_word(dt)} type.")
    elif n > 0 and n - 1 > _dtype_range(dt)[1]:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.name]} without "
                           "overflow")
    arr = _source(generator, dev).permutation(n).astype(_dt.to_np(dt), copy=False)
    return _finish(arr, dev, requires_grad, out)


def _like_args(input, dtype, device):
    dt = _dt.as_dtype(dtype) or input.dtype
    dev = _device(device) if device is not None else input._device
    return tuple(input.shape), dt, dev


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):
    shape, dt, dev = _like_args(input, dtype, device)
    _require_float(dt, "check_uniform_bounds")
    return _finish(_uniform(_source(generator, dev), shape, dt), dev, requires_grad, None)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):
    shape, dt, dev = _like_args(input, dtype, device)
    _require_float(dt, "normal_kernel_cpu")
    return _finish(_normal(_source(generator, dev), shape, dt), dev, requires_grad, None)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):
    """randint_like(x, high) or randint_like(x, low, high): integers in [low, high) shaped and
    typed like x."""
    if high is None:
        low, high = 0, low
    low = _int_arg("randint_like", "low", 2, low)
    high = _int_arg("randint_like", "high", 3, high)
    shape, dt, dev = _like_args(input, dtype, device)
    lo, hi = _random_bounds(dt, low, high)
    return _finish(_integers(_source(generator, dev), lo, hi, shape, dt), dev, requires_grad,
                   None)


# ---------------------------------------------------------------- normal
def _check_std(std):
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(float(std))}")


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """normal(mean_tensor, std_tensor), normal(mean_tensor, std=1.0), normal(mean, std_tensor),
    or normal(mean, std, size) with float mean and std."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (tm or ts):
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected "
                            "(Tensor mean, Tensor std) or (float mean, float std, tuple of ints "
                            "size)")
        _check_std(std)
        shape, dt, dev = _factory((size,), "normal", dtype, out, device, _dt.get_default_dtype())
        _require_float(dt, "normal_kernel_cpu")
        z = _normal(_source(generator, dev), shape, dt, float(mean), float(std))
        return _finish(z, dev, requires_grad, out)
    if size is not None:
        raise TypeError("normal() received an invalid combination of arguments - size is only "
                        "accepted with float mean and std")
    if tm and ts:
        dt, dev, name = mean.dtype, mean._device, "NormalBackward3"
        shape = broadcast_shape(mean.shape, std.shape)
        _require_float(dt, "normal_kernel_cpu")
        if not bool((std._data >= 0).all()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif tm:
        dt, dev, shape, name = mean.dtype, mean._device, tuple(mean.shape), "NormalBackward1"
        _require_float(dt, "normal_kernel_cpu")
        std = _scalar(std)
        _check_std(std)
    else:
        dt, dev, shape, name = std.dtype, std._device, tuple(std.shape), "NormalBackward2"
        _require_float(dt, "normal_kernel_cpu")
        mean = _scalar(mean)
        if not bool((std._data >= 0).all()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    z = _normal(_source(generator, dev), shape, dt)
    s = std._data if ts else std
    m = mean._data if tm else mean
    z = z * s + m if ts or tm else z
    params = [p for p in (mean, std) if isinstance(p, Tensor)]
    r = _sampled(params, z.astype(dt.np, copy=False), dev, name)
    return r if out is None else write_out(r, out)


# ---------------------------------------------------------------- bernoulli, poisson
_P_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)")


def _bernoulli_prob_array(p, shape, dt, src):
    """0/1 samples in `dt` with success probability `p` (an array broadcast to shape, or a
    float), comparing uniforms drawn in p's precision."""
    if isinstance(p, float):
        u = src.uniform(shape, np.dtype(np.float64) if dt is _dt.float64 else
                        np.dtype(np.float32))
    else:
        wd = _work_dtype(p.dtype) if p.dtype.kind == "f" else np.dtype(np.float64)
        u = src.uniform(shape, wd)
        p = p.astype(wd, copy=False)
    return (u < p).astype(_dt.to_np(dt))


def _check_p_float(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")


def bernoulli(input, p=None, *, generator=None, out=None):
    """bernoulli(probs): 1 with probability probs[i]; bernoulli(x, p): x's shape and dtype,
    1 with probability p."""
    src = _source(generator, input._device)
    if p is not None:   # PyTorch's bernoulli.p overload: no derivative defined
        p = float(_scalar(p))
        _check_p_float(p)
        if input.dtype.is_complex:
            raise _kernel_error("bernoulli_scalar_cpu_", input.dtype)
        arr = _bernoulli_prob_array(p, input.shape, input.dtype, src)
        r = _sampled([input], arr, input._device, "NotImplemented")
        return r if out is None else write_out(r, out)
    dt = input.dtype
    if not dt.is_floating_point:
        raise _kernel_error("bernoulli_tensor_cpu_self_" if dt.is_complex
                            else "bernoulli_tensor_cpu_p_", dt)
    pa = input._data
    if not bool(((pa >= 0) & (pa <= 1)).all()):
        raise RuntimeError(_P_RANGE)
    arr = _bernoulli_prob_array(pa, pa.shape, dt, src)
    r = _sampled([input], arr, input._device, "BernoulliBackward0")
    return r if out is None else write_out(r, out)


def poisson(input, generator=None):
    """Poisson samples with rates `input` (same dtype)."""
    dt = input.dtype
    if not dt.is_floating_point:
        raise _kernel_error("poisson_cpu", dt)
    lam = input._data
    if not bool((lam >= 0).all()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    src = _source(generator, input._device)
    arr = src.poisson(lam.astype(np.float64)).astype(_dt.to_np(dt))
    return _sampled([input], arr, input._device, "PoissonBackward0")


# ---------------------------------------------------------------- multinomial
def _check_multinomial(input, n):
    if not 1 <= input.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_word(input.dtype)}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the rows of `input` (unnormalised probabilities), with or without
    replacement. Without replacement it is PyTorch's algorithm: the top `num_samples` of
    p / q with q ~ Exponential(1)."""
    n = _int_arg("multinomial", "num_samples", 2, num_samples)
    _check_multinomial(input, n)
    k = input.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = 1 if input.ndim == 1 else input.shape[0]
    out_shape = (n,) if input.ndim == 1 else (rows, n)
    dev = input._device
    src = _source(generator, dev)
    xp = src.xp
    if rows == 0:
        r = _make(xp.empty(out_shape, np.int64), dev)
        return r if out is None else write_out(r, out)
    if k == 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    p = input._data.reshape(rows, k)
    if not replacement or n == 1:
        idx = _multinomial_race(p, n, src)
    else:
        idx = _multinomial_cdf(p, n, src)
    r = _make(idx.reshape(out_shape), dev)
    return r if out is None else write_out(r, out)


def _multinomial_race(p, n, src):
    xp = src.xp
    if not bool((p.max() < np.inf) & (p.min() >= 0)):   # NaN fails both
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bool((p.sum(axis=1) == 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    q = src.exponential(p.shape, _work_dtype(p.dtype))
    xp.maximum(q, np.finfo(q.dtype).tiny, out=q)   # q == 0 would make 0/0 for p == 0
    keys = p.astype(q.dtype, copy=False) / q
    if n == 1:
        return keys.argmax(axis=1)[:, None].astype(np.int64)
    order = xp.argsort(-keys, axis=1, kind="stable")
    return order[:, :n].astype(np.int64)


def _multinomial_cdf(p, n, src):
    """With replacement: invert each row's cumulative distribution at uniform points."""
    xp = src.xp
    if bool((p < 0).any()):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry "
                           "< 0)")
    if not bool(xp.isfinite(p).all()):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry "
                           "= infinity or NaN)")
    cdf = xp.cumsum(p.astype(np.float64), axis=1)
    total = cdf[:, -1:]
    if bool((total <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows, k = p.shape
    # One searchsorted for all rows: row r's normalised cdf is shifted into [r, r + 1].
    offs = xp.arange(rows, dtype=np.float64)[:, None]
    flat = (cdf / total + offs).ravel()
    u = src.uniform((rows, n), np.dtype(np.float64)) + offs
    idx = xp.searchsorted(flat, u.ravel(), side="right").reshape(rows, n)
    idx -= (xp.arange(rows) * k)[:, None]
    # rounding may step past the last category with nonzero probability
    last = k - 1 - xp.argmax(p[:, ::-1] > 0, axis=1)
    return xp.minimum(idx, last[:, None]).astype(np.int64)


# ---------------------------------------------------------------- in-place samplers
def _fill_(self, arr, name, params=()):
    """Write `arr` (self's shape and dtype, on self's device) into self. When self is in the
    graph the result is too, with the zero gradient PyTorch gives these ops."""
    if _enabled[0] and (self._requires_grad or any(p._requires_grad for p in params)):
        result = _Sampled.apply(self, *params, sample=arr, name=name)
    else:
        result = _make(_as_array(arr, self._device), self._device)
    return apply_inplace(self, result)


def uniform_(self, from_=0, to=1, *, generator=None, **kw):
    frm, to = float(_scalar(kw.pop("from", from_))), float(_scalar(to))
    _require_float(self.dtype, "check_uniform_bounds")
    if frm > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(frm)} > to={_fmt(to)}")
    arr = _uniform(_source(generator, self._device), tuple(self.shape), self.dtype, frm, to)
    return _fill_(self, arr, "UniformBackward0")


def normal_(self, mean=0, std=1, *, generator=None):
    mean, std = float(_scalar(mean)), float(_scalar(std))
    _require_float(self.dtype, "normal_kernel_cpu")
    _check_std(std)
    arr = _normal(_source(generator, self._device), tuple(self.shape), self.dtype, mean, std)
    return _fill_(self, arr, "NormalBackward0")


_MISSING = object()


def random_(self, *args, generator=None, **kw):
    """random_(): integers over all of dtype's exact range; random_(to): [0, to);
    random_(from, to): [from, to), where to=None means up to the top of that range."""
    frm, to = kw.pop("from", _MISSING), kw.pop("to", _MISSING)
    if kw or len(args) > 2:
        raise TypeError(f"random_() received an invalid combination of arguments - got "
                        f"{len(args)} positional and keywords {list(kw)}")
    if len(args) == 2:
        frm, to = args
    elif len(args) == 1:
        if frm is _MISSING and to is _MISSING:
            to = args[0]
        else:
            frm = args[0]
    if frm is _MISSING and to is _MISSING:
        lo, hi, name = None, None, "RandomBackward2"
    elif frm is _MISSING:
        lo, hi, name = 0, _int_arg("random_", "to", 1, to), "RandomBackward1"
    else:
        lo, name = _int_arg("random_", "from", 1, frm), "RandomBackward0"
        hi = None if to is None or to is _MISSING else _int_arg("random_", "to", 2, to)
    lo, hi = _random_bounds(self.dtype, lo, hi)
    arr = _integers(_source(generator, self._device), lo, hi, tuple(self.shape), self.dtype)
    return _fill_(self, arr, name)


def bernoulli_(self, p=0.5, *, generator=None):
    src = _source(generator, self._device)
    if isinstance(p, Tensor):
        if self.dtype.is_complex:
            raise _kernel_error("bernoulli_tensor_cpu_self_", self.dtype)
        pa = _broadcast_to(p, tuple(self.shape))
        if not bool(((pa >= 0) & (pa <= 1)).all()):
            raise RuntimeError(_P_RANGE)
        arr = _bernoulli_prob_array(pa, tuple(self.shape), self.dtype, src)
        return _fill_(self, arr, "BernoulliBackward1", (p,))
    p = float(p)
    _check_p_float(p)
    if self.dtype.is_complex:
        raise _kernel_error("bernoulli_scalar_cpu_", self.dtype)
    arr = _bernoulli_prob_array(p, tuple(self.shape), self.dtype, src)
    return _fill_(self, arr, "BernoulliBackward2")


def _broadcast_to(p, shape):
    """p's array expanded to `shape`, with PyTorch's expand errors."""
    ps = tuple(p.shape)
    if len(ps) > len(shape):
        raise RuntimeError(f"expand({p.type()}{{[{', '.join(map(str, ps))}]}}, "
                           f"size=[{', '.join(map(str, shape))}]): the number of sizes provided "
                           f"({len(shape)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(ps)})")
    lead = len(shape) - len(ps)
    for i, s in enumerate(ps):
        if s != 1 and s != shape[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[lead + i]}) must match "
                               f"the existing size ({s}) at non-singleton dimension {lead + i}.  "
                               f"Target sizes: [{', '.join(map(str, shape))}].  Tensor sizes: "
                               f"[{', '.join(map(str, ps))}]")
    xp = np if p._device is _cpu else get_backend(p._device).xp
    return xp.broadcast_to(p._data, shape)


def exponential_(self, lambd=1.0, *, generator=None):
    lambd = float(_scalar(lambd))
    _require_continuous(self.dtype, "Exponential")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    npdt = _dt.to_np(self.dtype)
    e = _source(generator, self._device).exponential(tuple(self.shape), _work_dtype(npdt))
    if lambd != 1:
        e /= lambd
    return _fill_(self, e.astype(npdt, copy=False), "ExponentialBackward0")


def geometric_(self, p, *, generator=None):
    """Number of Bernoulli(p) trials up to the first success: ceil(log(u) / log(1 - p))."""
    p = float(_scalar(p))
    if self.dtype.is_complex or self.dtype is _dt.bool:
        raise _kernel_error("geometric_cpu", self.dtype)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    wd = np.dtype(np.float32) if self.dtype in (_dt.float32, _dt.float16, _dt.bfloat16) \
        else np.dtype(np.float64)
    src = _source(generator, self._device)
    xp = src.xp
    u = 1 - src.uniform(tuple(self.shape), wd)       # (0, 1]: log stays finite
    k = xp.maximum(xp.ceil(xp.log(u) / wd.type(np.log1p(-p))), 1)
    return _fill_(self, k.astype(_dt.to_np(self.dtype)), "GeometricBackward0")


def cauchy_(self, median=0, sigma=1, *, generator=None):
    median, sigma = float(_scalar(median)), float(_scalar(sigma))
    _require_continuous(self.dtype, "Cauchy", _c_type)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    npdt = _dt.to_np(self.dtype)
    src = _source(generator, self._device)
    u = src.uniform(tuple(self.shape), _work_dtype(npdt))
    c = src.xp.tan(np.pi * (u - 0.5))
    c *= sigma
    c += median
    return _fill_(self, c.astype(npdt, copy=False), "CauchyBackward0")


def _c_type(dt):
    if dt.is_complex:
        return f"c10::complex<{'double' if dt is _dt.complex128 else 'float'}>"
    return _c_name(dt)


def log_normal_(self, mean=1, std=2, *, generator=None):
    mean, std = float(_scalar(mean)), float(_scalar(std))
    _require_float(self.dtype, "log_normal_cpu", complex_ok=False)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    src = _source(generator, self._device)
    z = _normal(src, tuple(self.shape), _dt.float64 if self.dtype is _dt.float64
                else _dt.float32, mean, std)
    return _fill_(self, src.xp.exp(z).astype(_dt.to_np(self.dtype), copy=False),
                  "LogNormalBackward0")


def bernoulli_method(self, p=None, *, generator=None):
    """Tensor.bernoulli(p=None): torch.bernoulli(self) or torch.bernoulli(self, p)."""
    return bernoulli(self, p, generator=generator)
