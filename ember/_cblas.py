"""NumPy's own OpenBLAS, reached through ctypes.

NumPy's matmul covers almost every product ember needs. The exception is convolution's
per-kernel-position GEMMs (ember.nn.functional.conv, "taps"). They need two things matmul
cannot express:
* C += A @ B, that is BLAS's beta = 1, accumulating into an existing result;
* an operand that is a window of a larger buffer, given by pointer and leading dimension.

So this module finds the OpenBLAS library NumPy has already loaded and binds its
cblas_?gemm. It is the same library and the same thread pool as NumPy's matmul, not a second
copy: dlopen of a loaded path returns the loaded handle. Everything is optional:
* `gemm(dtype)` is None when NumPy's BLAS is not an OpenBLAS found this way (another BLAS,
  not Linux), when the dtype is not float32/float64, or when EMBER_CBLAS=0;
* callers then keep their NumPy path.
"""
import ctypes
import os

import numpy as np

_found = []          # [(library, prefix, suffix, int type)] or [None], filled on first use
_gemms = {}

# CBLAS enum values (cblas.h)
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _loaded_openblas_paths():
    """Paths of the loaded shared libraries whose name says OpenBLAS (Linux), NumPy's own
    first (its wheels keep it in numpy.libs): SciPy, say, may have loaded another."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f
                     if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return []
    return sorted(paths, key=lambda p: ("numpy" not in p, p))


def library():
    """(ctypes library, symbol prefix, symbol suffix, BLAS int type) for NumPy's OpenBLAS,
    or None. NumPy's wheels name symbols scipy_<name>64_ (ILP64: 64-bit ints); plain
    builds use <name> with 32-bit ints unless their config says USE64BITINT."""
    if not _found:
        _found.append(_find())
    return _found[0]


def _find():
    for path in _loaded_openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_", ""):
            for suffix in ("64_", ""):
                if getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None) is None:
                    continue
                config = getattr(lib, f"{prefix}openblas_get_config{suffix}", None)
                text = b""
                if config is not None:
                    config.restype = ctypes.c_char_p
                    text = config() or b""
                wide = suffix == "64_" or b"USE64BITINT" in text
                return lib, prefix, suffix, (ctypes.c_int64 if wide else ctypes.c_int32)
    return None


def int_max():
    """The largest dimension or leading dimension the bound BLAS takes (0 without one)."""
    found = library()
    if found is None:
        return 0
    return 2 ** (8 * ctypes.sizeof(found[3]) - 1) - 1


def thread_functions():
    """OpenBLAS's (get_num_threads, set_num_threads), or None."""
    found = library()
    if found is None:
        return None
    lib, prefix, suffix, _ = found
    return (getattr(lib, f"{prefix}openblas_get_num_threads{suffix}"),
            getattr(lib, f"{prefix}openblas_set_num_threads{suffix}"))


def gemm(dtype):
    """A function gemm(m, n, k, a, lda, b, ldb, beta, c, ldc, trans_b=False) computing
    C = A @ op(B) + beta * C on row-major matrices given by address (int) and leading
    dimension, op(B) = B^T when trans_b; or None (see the module docstring). The caller
    keeps the arrays behind the addresses alive and checks every bound: BLAS does not."""
    dtype = np.dtype(dtype)
    if dtype in _gemms:
        return _gemms[dtype]
    fn = None
    char = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(dtype)
    found = library() if os.environ.get("EMBER_CBLAS", "1") != "0" else None
    if char is not None and found is not None:
        lib, prefix, suffix, blas_int = found
        raw = getattr(lib, f"{prefix}cblas_{char}gemm{suffix}", None)
        if raw is not None:
            scalar = ctypes.c_float if char == "s" else ctypes.c_double
            ptr = ctypes.c_void_p
            raw.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, blas_int, blas_int,
                            blas_int, scalar, ptr, blas_int, ptr, blas_int, scalar, ptr,
                            blas_int]
            raw.restype = None

            def fn(m, n, k, a, lda, b, ldb, beta, c, ldc, trans_b=False, _raw=raw):
                _raw(_ROW_MAJOR, _NO_TRANS, _TRANS if trans_b else _NO_TRANS, m, n, k, 1.0,
                     a, lda, b, ldb, beta, c, ldc)
    _gemms[dtype] = fn
    return fn
