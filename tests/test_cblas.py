"""ember._cblas: NumPy's OpenBLAS GEMM through ctypes (used by convolution's taps route)."""
import numpy as np
import pytest

from ember import _cblas

gemm32 = _cblas.gemm(np.float32)
pytestmark = pytest.mark.skipif(gemm32 is None,
                                reason="NumPy's BLAS is not an OpenBLAS ember can reach")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_beta_and_transpose(dtype):
    gemm = _cblas.gemm(dtype)
    r = np.random.default_rng(0)
    a = r.standard_normal((5, 7)).astype(dtype)
    big = r.standard_normal((7, 20)).astype(dtype)    # B is a window: columns 3..14, ld 20
    c = r.standard_normal((5, 11)).astype(dtype)
    want = c + a @ big[:, 3:14]
    item = np.dtype(dtype).itemsize
    gemm(5, 11, 7, a.ctypes.data, 7, big.ctypes.data + 3 * item, 20, 1.0, c.ctypes.data, 11)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol)
    bt = r.standard_normal((11, 7)).astype(dtype)
    gemm(5, 11, 7, a.ctypes.data, 7, bt.ctypes.data, 7, 0.0, c.ctypes.data, 11, trans_b=True)
    np.testing.assert_allclose(c, a @ bt.T, rtol=tol, atol=tol)


def test_other_dtypes_and_switch_off(monkeypatch):
    assert _cblas.gemm(np.float16) is None and _cblas.gemm(np.complex64) is None
    monkeypatch.setattr(_cblas, "_gemms", {})
    monkeypatch.setenv("EMBER_CBLAS", "0")
    assert _cblas.gemm(np.float32) is None


def test_int_max():
    assert _cblas.int_max() in (2 ** 31 - 1, 2 ** 63 - 1)


def test_same_library_as_numpy_threads():
    """The bound library is NumPy's own: its thread count is the one set_num_threads sets."""
    import ember
    get, _ = _cblas.thread_functions()
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert get() == 1
    finally:
        ember.set_num_threads(before)


def test_numpy_library_preferred():
    """With SciPy's own OpenBLAS loaded too, NumPy's is the one bound."""
    pytest.importorskip("scipy.linalg")
    paths = _cblas._loaded_openblas_paths()
    if any("numpy" in p for p in paths):
        assert "numpy" in paths[0]
        assert "numpy" in _cblas.library()[0]._name
