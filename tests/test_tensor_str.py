"""Tensor printing: ember's repr must equal PyTorch's character for character.

Each case builds an ember tensor and a torch tensor from the same NumPy array (and the same
print options) and compares the reprs. A handful of hard-coded strings check the common
cases without PyTorch installed.
"""
import math

import numpy as np
import pytest

import ember
from ember import _tensor_str

try:
    import torch
except ImportError:   # PyTorch is an optional test oracle
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")

_DEFAULTS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)


@pytest.fixture(autouse=True)
def _reset_options():
    yield
    ember.set_printoptions(profile="default")
    ember.set_default_dtype(ember.float32)
    if torch is not None:
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)


def _rng():
    return np.random.default_rng(0)


def _arange(n, dtype=np.float32):
    return np.arange(n, dtype=dtype)


# name -> NumPy array (built lazily so collection stays cheap)
_ARRAYS = {
    # integers
    "int_2d": lambda: np.array([[1, 2, 3], [4, 5, 6]]),
    "int_neg": lambda: np.array([-1, 20, -300, 4000]),
    "int_big": lambda: np.array([2 ** 62, -(2 ** 62), 7]),
    "int32": lambda: np.array([1, -2, 3], dtype=np.int32),
    "int16": lambda: np.array([[1, -2], [300, 4]], dtype=np.int16),
    "int8": lambda: np.array([-128, 127], dtype=np.int8),
    "uint8": lambda: np.array([0, 255, 7], dtype=np.uint8),
    "uint16": lambda: np.array([0, 65535], dtype=np.uint16),
    "int_zeros": lambda: np.zeros((2, 3), dtype=np.int64),
    "int_long_wrap": lambda: np.arange(100),
    "int_neg_wrap": lambda: np.arange(-60, 60, 3, dtype=np.int32),
    # floats: integer-valued
    "float_ones": lambda: np.ones(5, dtype=np.float32),
    "float_intvals": lambda: np.array([1., 2., 3.], dtype=np.float32),
    "float_intvals_neg": lambda: np.array([-1., 20., -300.], dtype=np.float32),
    "float_1000": lambda: np.array([1., 1000.], dtype=np.float32),
    "float_1e8": lambda: np.array([1e8, 1e8], dtype=np.float64),
    "float_int_sci": lambda: np.array([1., 1e20], dtype=np.float64),
    "float_int_ratio": lambda: np.array([1., 1001.], dtype=np.float32),
    "float_zeros": lambda: np.zeros(4, dtype=np.float32),
    # floats: fixed point
    "float_frac": lambda: np.array([1.5, 2.25, -3.125], dtype=np.float32),
    "float_tenths": lambda: np.array([0.1, 0.2, 0.3], dtype=np.float32),
    "float_round": lambda: np.array([1.00005, 2.99995, 0.12345], dtype=np.float64),
    "float_third": lambda: np.array([1 / 3, 2 / 3, -1 / 3], dtype=np.float64),
    "float_1e-4": lambda: np.array([1e-4, 0.05], dtype=np.float64),
    "float_ratio_1000": lambda: np.array([0.5, 500.], dtype=np.float32),
    "float_randn_2d": lambda: _rng().standard_normal((4, 5)).astype(np.float32),
    "float_randn_3d": lambda: _rng().standard_normal((2, 3, 4)).astype(np.float32),
    "float_randn_4d": lambda: _rng().standard_normal((2, 2, 2, 3)),
    "float_big_fixed": lambda: np.array([12345.678, -0.5], dtype=np.float64),
    # floats: scientific
    "float_1e-5": lambda: np.array([1e-5, 1.], dtype=np.float32),
    "float_1e10": lambda: np.array([1e10, 1.5], dtype=np.float32),
    "float_tiny": lambda: np.array([1e-30, -2e-31], dtype=np.float32),
    "float_huge64": lambda: np.array([1e200, -1e-200, 3.], dtype=np.float64),
    "float_mixed_mag": lambda: np.array([[1e-5, 1e3], [-2.5e7, 4.]], dtype=np.float32),
    "float_sci_wrap": lambda: np.logspace(-6, 6, 30).astype(np.float32),
    # nan, inf, negative zero
    "nan_only": lambda: np.array([np.nan, np.nan], dtype=np.float32),
    "inf_only": lambda: np.array([np.inf, -np.inf], dtype=np.float32),
    "nan_int": lambda: np.array([np.nan, 1., 2.], dtype=np.float32),
    "inf_frac": lambda: np.array([np.inf, 1.5, -np.inf], dtype=np.float32),
    "nan_sci": lambda: np.array([1e-5, np.nan, np.inf, 1.], dtype=np.float32),
    "nan_inf_zero": lambda: np.array([np.nan, np.inf, 0.], dtype=np.float32),
    "neg_zero": lambda: np.array([-0.], dtype=np.float32),
    "neg_zero_int": lambda: np.array([-0., 1.], dtype=np.float32),
    "neg_zero_frac": lambda: np.array([-0., 1.5], dtype=np.float32),
    "neg_zero_sci": lambda: np.array([-0., 1e-6, 1.], dtype=np.float32),
    "neg_zero_2d": lambda: np.array([[-0., 0.], [0., -0.]], dtype=np.float32),
    # other float dtypes
    "float64": lambda: np.array([1.5, 2.], dtype=np.float64),
    "float64_ones": lambda: np.ones(5, dtype=np.float64),
    "float16": lambda: np.array([0.1, 65504., -2.5], dtype=np.float16),
    "float16_tiny": lambda: np.array([6e-8, 1.], dtype=np.float16),
    "float16_2d": lambda: _rng().standard_normal((3, 3)).astype(np.float16),
    # bool
    "bool": lambda: np.array([True, False, True]),
    "bool_2d": lambda: np.array([[True, True], [True, True]]),
    "bool_summ": lambda: _rng().random(1500) > 0.5,
    # complex
    "complex": lambda: np.array([1 + 2j, 3 - 4j], dtype=np.complex64),
    "complex_frac": lambda: np.array([1.5 - 0.25j, -2 + 1j], dtype=np.complex64),
    "complex_negzero": lambda: np.array([complex(-0., -0.), complex(1., 0.)],
                                        dtype=np.complex64),
    "complex_sci": lambda: np.array([1e-6 + 1j, 1e5 - 2e-3j], dtype=np.complex64),
    "complex_nan": lambda: np.array([complex(np.nan, 1.), complex(1., np.inf)],
                                    dtype=np.complex64),
    "complex128": lambda: np.array([[1 + 1j, 2.5 - 3j]], dtype=np.complex128),
    "complex_wrap": lambda: (_rng().standard_normal(20)
                             + 1j * _rng().standard_normal(20)).astype(np.complex64),
    "complex_summ": lambda: (np.arange(2000) - 1j * np.arange(2000)).astype(np.complex64),
    # 0-dim
    "scalar_float": lambda: np.array(2., dtype=np.float32),
    "scalar_frac": lambda: np.array(2.5, dtype=np.float32),
    "scalar_int": lambda: np.array(3),
    "scalar_int32": lambda: np.array(-3, dtype=np.int32),
    "scalar_bool": lambda: np.array(True),
    "scalar_negzero": lambda: np.array(-0., dtype=np.float32),
    "scalar_nan": lambda: np.array(np.nan, dtype=np.float32),
    "scalar_inf": lambda: np.array(-np.inf, dtype=np.float64),
    "scalar_tiny": lambda: np.array(1e-5, dtype=np.float32),
    "scalar_huge": lambda: np.array(1e10, dtype=np.float32),
    "scalar_complex": lambda: np.array(1 + 2j, dtype=np.complex64),
    "scalar_float64": lambda: np.array(0.1, dtype=np.float64),
    # empty
    "empty": lambda: np.zeros(0, dtype=np.float32),
    "empty_2d": lambda: np.zeros((0, 3), dtype=np.float32),
    "empty_3d": lambda: np.zeros((2, 0, 3), dtype=np.float32),
    "empty_int": lambda: np.zeros(0, dtype=np.int64),
    "empty_int32_2d": lambda: np.zeros((3, 0), dtype=np.int32),
    "empty_bool": lambda: np.zeros(0, dtype=bool),
    "empty_float64": lambda: np.zeros(0, dtype=np.float64),
    "empty_complex": lambda: np.zeros((0, 2), dtype=np.complex64),
    # long 1-D (line wrapping)
    "wrap_arange": lambda: _arange(30),
    "wrap_randn": lambda: _rng().standard_normal(40).astype(np.float32),
    "wrap_float64": lambda: _rng().standard_normal(25) * 100,
    "wrap_2d": lambda: _rng().standard_normal((3, 20)).astype(np.float32),
    "wrap_3d": lambda: _rng().standard_normal((2, 2, 15)).astype(np.float32),
    # summarised (> 1000 elements)
    "summ_1d": lambda: _arange(2000),
    "summ_1d_int": lambda: np.arange(5000),
    "summ_1d_randn": lambda: _rng().standard_normal(1500).astype(np.float32),
    "summ_2d": lambda: _rng().standard_normal((50, 50)).astype(np.float32),
    "summ_3d": lambda: _rng().standard_normal((10, 10, 20)).astype(np.float32),
    "summ_rows": lambda: _arange(2000).reshape(2000, 1),
    "summ_cols": lambda: _arange(2000).reshape(1, 2000),
    "summ_inner": lambda: _arange(1200).reshape(3, 400),
    "summ_sci": lambda: np.logspace(-10, 10, 3000).reshape(30, 100),
    "summ_hidden_sci": lambda: np.concatenate([[1., 2., 3.], np.full(1000, 1e-9),
                                               [4., 5., 6.]]).astype(np.float32),
    "summ_4d": lambda: _rng().standard_normal((7, 3, 8, 9)).astype(np.float32),
}

_OPTIONS = {
    "default": {},
    "precision2": dict(precision=2),
    "precision6": dict(precision=6),
    "precision0": dict(precision=0),
    "sci_on": dict(sci_mode=True),
    "sci_off": dict(sci_mode=False),
    "linewidth40": dict(linewidth=40),
    "linewidth200": dict(linewidth=200),
    "threshold5": dict(threshold=5),
    "threshold_inf": dict(threshold=math.inf),
    "edgeitems1": dict(edgeitems=1, threshold=10),
    "edgeitems0": dict(edgeitems=0),
    "edgeitems0_summ": dict(edgeitems=0, threshold=5),
    "short": dict(profile="short"),
    "full": dict(profile="full"),
}

# Every array with the default options, and each option on a few representative arrays.
_OPTION_ARRAYS = ["int_2d", "float_frac", "float_randn_2d", "float_1e-5", "float_int_sci",
                  "float_zeros", "nan_int", "neg_zero_frac", "complex_frac", "bool",
                  "scalar_frac", "empty_2d", "wrap_randn", "summ_2d", "summ_1d_int",
                  "summ_3d", "complex_summ"]
_CASES = ([(a, "default") for a in _ARRAYS]
          + [(a, o) for o in _OPTIONS if o != "default" for a in _OPTION_ARRAYS])


def _ember_from(arr):
    return ember.from_numpy(arr.copy())


def _torch_from(arr):
    return torch.from_numpy(arr.copy())


def _set_both(opts):
    ember.set_printoptions(**opts)
    torch.set_printoptions(**opts)


@requires_torch
@pytest.mark.parametrize("name,opt", _CASES, ids=[f"{a}-{o}" for a, o in _CASES])
def test_repr_matches_torch(name, opt):
    arr = _ARRAYS[name]()
    _set_both(_OPTIONS[opt])
    e, t = _ember_from(arr), _torch_from(arr)
    assert repr(e) == repr(t)
    assert str(e) == repr(e)


@requires_torch
@pytest.mark.parametrize("name", ["float_frac", "float_randn_2d", "int_2d", "complex",
                                  "scalar_float", "empty_2d", "float64", "float16",
                                  "empty_int", "bool"])
def test_default_dtype_float64_matches_torch(name):
    arr = _ARRAYS[name]()
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    assert repr(_ember_from(arr)) == repr(_torch_from(arr))


_FUZZ_DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.bool_,
                np.complex64, np.complex128]
_FUZZ_OPTIONS = dict(precision=[0, 1, 2, 4, 6], threshold=[0, 5, 20, 1000, math.inf],
                     edgeitems=[0, 1, 2, 3, 5], linewidth=[10, 40, 80, 120],
                     sci_mode=[None, True, False])


def _fuzz_array(rng):
    shape = tuple(int(rng.integers(0, 7)) for _ in range(rng.integers(0, 4)))
    dt = np.dtype(_FUZZ_DTYPES[rng.integers(len(_FUZZ_DTYPES))])
    base = rng.standard_normal(shape) * 10.0 ** rng.uniform(-12, 12)
    if rng.random() < 0.4:
        base = np.round(base)
    if dt.kind == "c":
        base = base + 1j * rng.standard_normal(shape) * 10.0 ** rng.uniform(-8, 8)
    flat = base.reshape(-1)
    for special in (np.nan, np.inf, -np.inf, -0.0, 0.0):
        if flat.size and rng.random() < 0.15:
            flat[rng.integers(flat.size)] = special
    with np.errstate(all="ignore"):
        if dt.kind == "b":
            return np.asarray(base.real > 0)
        if dt.kind in "iu":
            info = np.iinfo(dt)
            base = np.nan_to_num(base, nan=0, posinf=5, neginf=-5)
            return np.asarray(base.clip(info.min, info.max).astype(dt))
        return np.asarray(base.astype(dt))


@requires_torch
@pytest.mark.parametrize("seed", range(4))
def test_random_tensors_and_options_match_torch(seed):
    rng = np.random.default_rng(seed)
    for _ in range(100):
        arr = _fuzz_array(rng)
        opts = {k: v[rng.integers(len(v))] for k, v in _FUZZ_OPTIONS.items()
                if rng.random() < 0.4}
        ember.set_printoptions(profile="default", **opts)
        torch.set_printoptions(profile="default", **opts)
        assert repr(_ember_from(arr)) == repr(_torch_from(arr)), (arr.dtype, arr.shape, opts)


def test_default_dtype_float64_names_float32():
    ember.set_default_dtype(ember.float64)
    t = ember.from_numpy(np.array([1., 1.], dtype=np.float32))
    assert repr(t) == "tensor([1., 1.], dtype=torch.float32)"
    assert repr(ember.from_numpy(np.array([1., 1.]))) == "tensor([1., 1.])"
    assert repr(ember.from_numpy(np.array([1j]))) == "tensor([0.+1.j])"


# ---------------------------------------------------------------- autograd suffixes
def _grad_cases(lib):
    x = lib.tensor([1.5, 2.0, -3.0], requires_grad=True)
    y = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    long = lib.tensor([0.123456, -1.5, 2.75, 3.0, -4.25, 5.5, 6.125, -7.0],
                      dtype=lib.float64, requires_grad=True)
    return [x, y, x * 2, x + 1, (x * x).sum(), y * y, y.sum(), long, long * 3,
            lib.tensor(2.0, requires_grad=True), lib.tensor([], requires_grad=True),
            lib.tensor([1.0, 2.0]) * 3]


@requires_torch
def test_grad_suffixes_match_torch():
    for e, t in zip(_grad_cases(ember), _grad_cases(torch)):
        assert repr(e) == repr(t)


def test_grad_suffixes_hardcoded():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(x + x) == "tensor([2., 4.], grad_fn=<AddBackward0>)"
    assert repr((x * x).sum()) == "tensor(5., grad_fn=<SumBackward0>)"
    d = ember.tensor([1.0], dtype=ember.float64, requires_grad=True)
    assert repr(d * 2) == "tensor([2.], dtype=torch.float64, grad_fn=<MulBackward0>)"


@requires_torch
def test_suffix_moves_to_new_line_like_torch():
    arr = np.linspace(-1, 1, 9).reshape(1, 9)
    for lib in (ember, torch):
        lib.set_printoptions(precision=6)
    e = ember.tensor(arr, requires_grad=True) * 2
    t = torch.tensor(arr, requires_grad=True) * 2
    assert ",\n       grad_fn=" in repr(t)
    assert repr(e) == repr(t)


# ---------------------------------------------------------------- without torch
def test_hardcoded_reprs():
    assert repr(ember.tensor([[1, 2, 3], [4, 5, 6]])) == "tensor([[1, 2, 3],\n        [4, 5, 6]])"
    assert repr(ember.tensor(2.)) == "tensor(2.)"
    assert repr(ember.tensor(3)) == "tensor(3)"
    assert repr(ember.ones(5)) == "tensor([1., 1., 1., 1., 1.])"
    assert repr(ember.ones(5, dtype=ember.float64)) == \
        "tensor([1., 1., 1., 1., 1.], dtype=torch.float64)"
    assert repr(ember.tensor([])) == "tensor([])"
    assert repr(ember.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(ember.zeros(0, dtype=ember.int64)) == "tensor([], dtype=torch.int64)"
    assert repr(ember.tensor([True, False])) == "tensor([ True, False])"
    assert repr(ember.tensor([1.5, -2.25])) == "tensor([ 1.5000, -2.2500])"
    assert repr(ember.tensor([1e-5, 1.])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(ember.tensor([float("nan"), 1., float("inf")])) == "tensor([nan, 1., inf])"
    assert repr(ember.tensor([-0., 1.])) == "tensor([-0., 1.])"
    assert repr(ember.tensor([1, 2], dtype=ember.int32)) == \
        "tensor([1, 2], dtype=torch.int32)"
    assert repr(ember.tensor([1 + 2j, 3 - 4j])) == "tensor([1.+2.j, 3.-4.j])"
    assert str(ember.tensor([1.5])) == "tensor([1.5000])"


def test_hardcoded_summarised_and_wrapped():
    assert repr(ember.from_numpy(np.arange(2000))) == \
        "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    ember.set_printoptions(threshold=5)
    assert repr(ember.from_numpy(np.arange(10))) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    ember.set_printoptions(profile="default", linewidth=30)
    assert repr(ember.from_numpy(np.arange(12))) == \
        "tensor([ 0,  1,  2,  3,  4,\n         5,  6,  7,  8,  9,\n        10, 11])"


def test_hardcoded_options():
    ember.set_printoptions(precision=2)
    assert repr(ember.tensor([1.12345])) == "tensor([1.12])"
    ember.set_printoptions(sci_mode=True)   # precision stays 2; sci_mode forced
    assert repr(ember.tensor([1.5, 2.])) == "tensor([1.50e+00, 2.00e+00])"
    ember.set_printoptions(profile="default")
    assert repr(ember.tensor([1.12345])) == "tensor([1.1235])"


def test_tensor_contents_replaces_values():
    t = ember.tensor([1, 2], dtype=ember.int32)
    assert t.__repr__(tensor_contents="[...]") == "tensor([...], dtype=torch.int32)"


@requires_torch
def test_tensor_contents_matches_torch():
    e = ember.zeros(0, 2).__repr__(tensor_contents="<x>")
    t = torch.zeros(0, 2).__repr__(tensor_contents="<x>")
    assert e == t


def test_param_repr():
    p = ember.ones(2, requires_grad=True)
    assert _tensor_str._param_repr(p) == \
        "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    p64 = ember.ones(2, dtype=ember.float64, requires_grad=True)
    assert _tensor_str._param_repr(p64) == \
        "Parameter containing:\ntensor([1., 1.], dtype=torch.float64, requires_grad=True)"


@requires_torch
def test_param_repr_matches_torch():
    arr = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    e = ember.tensor(arr, requires_grad=True)
    t = torch.nn.Parameter(torch.tensor(arr))
    assert _tensor_str._param_repr(e) == repr(t)


def test_device_suffix():
    assert _tensor_str._device_suffix(ember.device("cpu")) is None
    assert _tensor_str._device_suffix(ember.device("cuda", 0)) == "device='cuda:0'"
    assert _tensor_str._device_suffix(ember.device("cuda:1")) == "device='cuda:1'"


@pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device")
def test_cuda_repr():
    t = ember.tensor([1.5, 2.0], dtype=ember.float64).cuda()
    assert repr(t) == "tensor([1.5000, 2.0000], device='cuda:0', dtype=torch.float64)"


@pytest.mark.skipif(ember.bfloat16.np is None, reason="bfloat16 needs ml_dtypes")
@requires_torch
def test_bfloat16_matches_torch():
    arr = np.array([0.1, 1e3, -2.5], dtype=np.float32)
    e = ember.tensor(arr, dtype=ember.bfloat16)
    t = torch.tensor(arr, dtype=torch.bfloat16)
    assert repr(e) == repr(t)


# ---------------------------------------------------------------- options API
def test_get_printoptions_defaults_and_roundtrip():
    assert ember.get_printoptions() == _DEFAULTS
    ember.set_printoptions(precision=7, linewidth=100, sci_mode=False)
    opts = ember.get_printoptions()
    assert opts == dict(_DEFAULTS, precision=7, linewidth=100, sci_mode=False)
    ember.set_printoptions(profile="default")
    assert ember.get_printoptions() == _DEFAULTS
    ember.set_printoptions(**opts)
    assert ember.get_printoptions() == opts


def test_profiles():
    ember.set_printoptions(profile="short")
    assert ember.get_printoptions() == dict(precision=2, threshold=1000, edgeitems=2,
                                            linewidth=80, sci_mode=None)
    ember.set_printoptions(profile="full")
    assert ember.get_printoptions()["threshold"] == math.inf
    ember.set_printoptions(profile="full", precision=3)
    assert ember.get_printoptions()["precision"] == 3


def test_sci_mode_resets_on_every_call():
    # as in PyTorch, omitting sci_mode sets it back to automatic
    ember.set_printoptions(sci_mode=True)
    ember.set_printoptions(precision=4)
    assert ember.get_printoptions()["sci_mode"] is None


def test_printoptions_context_manager():
    with _tensor_str.printoptions(precision=1):
        assert repr(ember.tensor([1.25])) == "tensor([1.2])"
    assert ember.get_printoptions() == _DEFAULTS


def test_subclass_prefix_is_class_name():
    class MyTensor(ember.Tensor):
        pass
    t = ember.Tensor._make_subclass(MyTensor, ember.ones(2, dtype=ember.float64), False)
    assert repr(t) == "MyTensor([1., 1.], dtype=torch.float64)"
