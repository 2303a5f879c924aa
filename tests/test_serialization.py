"""ember.save / ember.load: PyTorch's checkpoint formats both ways, safety, atomic writes,
checkpoint/resume, and safetensors. The PyTorch halves skip cleanly without torch."""
import collections
import io
import os
import pickle
import struct
import sys
import tarfile
import zipfile

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import serialization
from ember.utils import safetensors as st

try:
    import torch
except ImportError:     # the oracle is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

# (ember dtype name, numpy dtype) of every dtype both frameworks have
DTYPES = ["float16", "float32", "float64", "complex64", "complex128", "int8", "int16",
          "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"]
HAS_BF16 = ember.bfloat16.np is not None


def _values(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    if name == "bool":
        return rng.random(shape) > 0.5
    dt = np.dtype(name)
    if dt.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    if dt.kind == "f":
        return rng.standard_normal(shape).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(max(info.min, -100), min(info.max, 100), shape).astype(dt)


def _same(a, b):
    """Values, dtype and shape equal (a, b: ember or torch tensors)."""
    assert str(a.dtype) == str(b.dtype), (a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy()))


def _sample(T):
    """The same checkpoint-like object built with ember or torch."""
    base = T.from_numpy(np.arange(24, dtype=np.float32).reshape(4, 6))
    sd = collections.OrderedDict()
    sd["fc.weight"] = base
    sd["fc.view"] = base[1:, ::2]              # a strided view sharing base's storage
    sd["fc.t"] = base.t()                      # a transposed view
    sd["fc.row"] = base[2]                     # an offset view
    sd["fc.bias"] = T.ones(3, dtype=T.int64)
    sd["scalar"] = T.tensor(2.5, dtype=T.float64)
    sd["empty"] = T.zeros(2, 0, 3)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("fc", {"version": 2})])
    return {"model": sd, "epoch": 7, "lr": 0.125, "names": ["a", "b"],
            "nested": ({"x": [1, 2.5, None, True]}, "s", b"raw"), "set": {1, 2},
            "complex": 1 + 2j, "dtype": T.float16, "device": T.device("cpu"),
            "size": T.Size([2, 3]), "ttype": T.LongTensor}


def _check_sample(r, T):
    sd = r["model"]
    assert isinstance(sd, collections.OrderedDict)
    assert sd._metadata == collections.OrderedDict([("", {"version": 1}),
                                                    ("fc", {"version": 2})])
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    np.testing.assert_array_equal(sd["fc.weight"].numpy(), base)
    np.testing.assert_array_equal(sd["fc.view"].numpy(), base[1:, ::2])
    np.testing.assert_array_equal(sd["fc.t"].numpy(), base.T)
    np.testing.assert_array_equal(sd["fc.row"].numpy(), base[2])
    assert sd["fc.view"].stride() == (6, 2) and sd["fc.view"].storage_offset() == 6
    assert sd["fc.t"].stride() == (1, 6) and sd["fc.row"].storage_offset() == 12
    assert sd["fc.bias"].dtype == T.int64 and sd["scalar"].dtype == T.float64
    assert sd["scalar"].shape == () and sd["scalar"].item() == 2.5
    assert tuple(sd["empty"].shape) == (2, 0, 3)
    # the views still share memory with the base after loading
    sd["fc.weight"][1, 0] = -1.0
    assert sd["fc.view"][0, 0].item() == -1.0 and sd["fc.t"][0, 1].item() == -1.0
    assert (r["epoch"], r["lr"], r["names"], r["set"], r["complex"]) == \
        (7, 0.125, ["a", "b"], {1, 2}, 1 + 2j)
    assert r["nested"] == ({"x": [1, 2.5, None, True]}, "s", b"raw")
    assert r["dtype"] is T.float16 and r["device"] == T.device("cpu")
    assert r["size"] == T.Size([2, 3]) and type(r["size"]) is T.Size
    assert r["ttype"] is T.LongTensor


# ============================================================ ember.save -> torch.load
@needs_torch
def test_save_is_byte_identical_to_torch(tmp_path):
    def state(T, n):
        d = collections.OrderedDict()
        for i in range(n):
            d[f"layer{i}.weight"] = T.from_numpy(np.full((i % 5 + 1, 3), i, np.float32))
        d["empty"] = T.zeros(0)
        d["half"] = T.ones(2, 2, dtype=T.float16)
        d["step"] = T.tensor(3.0)
        d._metadata = collections.OrderedDict([("", {"version": 1})])
        return {"state": d, "epoch": 3}
    (tmp_path / "t").mkdir()
    (tmp_path / "e").mkdir()
    for n in (1, 14, 40):   # past libstdc++'s rehash points, which the serialization id sees
        torch.save(state(torch, n), tmp_path / "t" / "m.pt")
        ember.save(state(ember, n), tmp_path / "e" / "m.pt")
        assert (tmp_path / "t" / "m.pt").read_bytes() == (tmp_path / "e" / "m.pt").read_bytes()
    ta, ea = io.BytesIO(), io.BytesIO()
    torch.save(state(torch, 2), ta)
    ember.save(state(ember, 2), ea)
    assert ta.getvalue() == ea.getvalue()


@needs_torch
@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_to_torch(tmp_path, name):
    arr = _values(name, (3, 4))
    x = ember.from_numpy(arr.copy())
    obj = {"x": x, "v": x[:, 1::2], "s": ember.from_numpy(np.array(arr[1, 2]))}
    ember.save(obj, tmp_path / "d.pt")
    r = torch.load(tmp_path / "d.pt", weights_only=True)
    for k in obj:
        _same(r[k], obj[k])
    assert r["v"].untyped_storage().data_ptr() == r["x"].untyped_storage().data_ptr()
    assert r["v"].stride() == (4, 2) and r["v"].storage_offset() == 1


@needs_torch
def test_bfloat16_roundtrip(tmp_path):
    t = torch.tensor([1.5, -2.0, 3.25], dtype=torch.bfloat16)
    torch.save(t, tmp_path / "b.pt")
    if not HAS_BF16:
        with pytest.raises(RuntimeError, match="ml_dtypes"):
            ember.load(tmp_path / "b.pt")
        return
    e = ember.load(tmp_path / "b.pt")
    assert e.dtype is ember.bfloat16
    ember.save(e, tmp_path / "b2.pt")
    assert torch.equal(torch.load(tmp_path / "b2.pt"), t)


@needs_torch
def test_sample_to_torch_and_back(tmp_path):
    ember.save(_sample(ember), tmp_path / "s.pt")
    r = torch.load(tmp_path / "s.pt", weights_only=True)
    _check_sample(r, torch)
    ptr = r["model"]["fc.weight"].untyped_storage().data_ptr()
    for k in ("fc.view", "fc.t", "fc.row"):
        assert r["model"][k].untyped_storage().data_ptr() == ptr
    _check_sample(ember.load(tmp_path / "s.pt"), ember)


@needs_torch
def test_expand_and_noncontiguous_views_to_torch(tmp_path):
    x = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    obj = {"expand": x[0].expand(4, 3), "perm": x.t()[::2], "x": x}
    ember.save(obj, tmp_path / "v.pt")
    r = torch.load(tmp_path / "v.pt")
    for k in obj:
        _same(r[k], obj[k])
    assert r["expand"].stride() == (0, 1)
    r["x"][0, 0] = 100
    assert r["expand"][3, 0].item() == 100 and r["perm"][0, 0].item() == 100


@needs_torch
def test_parameters_to_torch(tmp_path):
    p = nn.Parameter(ember.ones(2, 2))
    frozen = nn.Parameter(ember.zeros(3), requires_grad=False)
    leaf = ember.ones(2, requires_grad=True)
    ember.save({"p": p, "frozen": frozen, "leaf": leaf, "again": p}, tmp_path / "p.pt")
    r = torch.load(tmp_path / "p.pt", weights_only=True)
    assert isinstance(r["p"], torch.nn.Parameter) and r["p"].requires_grad
    assert isinstance(r["frozen"], torch.nn.Parameter) and not r["frozen"].requires_grad
    assert type(r["leaf"]) is torch.Tensor and r["leaf"].requires_grad
    assert r["again"] is r["p"]
    e = ember.load(tmp_path / "p.pt")
    assert isinstance(e["p"], nn.Parameter) and e["p"].requires_grad
    assert isinstance(e["frozen"], nn.Parameter) and not e["frozen"].requires_grad
    assert e["again"] is e["p"]


def _model(T):
    T.manual_seed(0)
    return T.nn.Sequential(T.nn.Linear(3, 5), T.nn.ReLU(), T.nn.Linear(5, 2))


@needs_torch
def test_state_dict_and_optimizer_to_torch(tmp_path):
    m = _model(ember)
    opt = ember.optim.Adam(m.parameters(), lr=0.01)
    x = ember.from_numpy(_values("float32", (8, 3)))
    for _ in range(2):
        opt.zero_grad()
        m(x).pow(2).mean().backward()
        opt.step()
    ember.save({"model": m.state_dict(), "optim": opt.state_dict()}, tmp_path / "ck.pt")
    r = torch.load(tmp_path / "ck.pt", weights_only=True)
    tm = _model(torch)
    tm.load_state_dict(r["model"])
    topt = torch.optim.Adam(tm.parameters(), lr=0.01)
    topt.load_state_dict(r["optim"])
    np.testing.assert_allclose(tm(torch.from_numpy(x.numpy())).detach().numpy(),
                               m(x).detach().numpy(), rtol=1e-5, atol=1e-7)
    assert topt.state_dict()["state"][0]["step"].item() == 2


# ============================================================ torch.save -> ember.load
@needs_torch
@pytest.mark.parametrize("zip_format", [True, False])
def test_torch_files_load(tmp_path, zip_format):
    torch.save(_sample(torch), tmp_path / "t.pt", _use_new_zipfile_serialization=zip_format)
    _check_sample(ember.load(tmp_path / "t.pt"), ember)
    _check_sample(ember.load(tmp_path / "t.pt", weights_only=False), ember)
    with open(tmp_path / "t.pt", "rb") as f:
        _check_sample(ember.load(f, map_location="cpu"), ember)


@needs_torch
@pytest.mark.parametrize("zip_format", [True, False])
@pytest.mark.parametrize("name", DTYPES)
def test_torch_dtypes_load(tmp_path, name, zip_format):
    arr = _values(name, (2, 3), seed=1)
    t = torch.from_numpy(arr.copy())
    obj = {"t": t, "col": t[:, 1], "p": torch.nn.Parameter(t.clone(), requires_grad=False)}
    if name in ("uint16", "uint32", "uint64") and not zip_format:
        obj.pop("col")      # PyTorch can't read its own legacy files with these views either
    torch.save(obj, tmp_path / "t.pt", _use_new_zipfile_serialization=zip_format)
    r = ember.load(tmp_path / "t.pt")
    for k in obj:
        _same(r[k], obj[k])
    assert isinstance(r["p"], nn.Parameter)


@needs_torch
def test_torch_model_and_optimizer_load(tmp_path):
    tm = _model(torch)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(4, 3)
    tm(x).sum().backward()
    topt.step()
    torch.save({"model": tm.state_dict(), "optim": topt.state_dict(), "epoch": 1},
               tmp_path / "ck.pt")
    # the seed's idiom: map_location=lambda storage, loc: storage
    ck = ember.load(tmp_path / "ck.pt", map_location=lambda storage, loc: storage)
    m = _model(ember)
    m.load_state_dict(ck["model"])
    opt = ember.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    opt.load_state_dict(ck["optim"])
    np.testing.assert_allclose(m(ember.from_numpy(x.numpy())).detach().numpy(),
                               tm(x).detach().numpy(), rtol=1e-6)
    _same(opt.state_dict()["state"][0]["momentum_buffer"],
          topt.state_dict()["state"][0]["momentum_buffer"])


@needs_torch
def test_torch_whole_module_loads_with_weights_only_false(tmp_path):
    tm = _model(torch)
    torch.save(tm, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        ember.load(tmp_path / "m.pt")
    m = ember.load(tmp_path / "m.pt", weights_only=False)
    assert isinstance(m[0], nn.Linear) and isinstance(m[0].weight, nn.Parameter)
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(m(ember.from_numpy(x)).detach().numpy(),
                               tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


@needs_torch
def test_mmap_and_protocols(tmp_path):
    torch.save(_sample(torch), tmp_path / "t.pt")
    r = ember.load(tmp_path / "t.pt", mmap=True)
    _check_sample(r, ember)
    assert (tmp_path / "t.pt").read_bytes() == open(tmp_path / "t.pt", "rb").read()
    with open(tmp_path / "t.pt", "rb") as f:
        with pytest.raises(ValueError, match="file path in order to use the mmap"):
            ember.load(f, mmap=True)
    torch.save({"a": torch.ones(2)}, tmp_path / "l.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        ember.load(tmp_path / "l.pt", mmap=True)
    # pickle protocol 4 (framed, STACK_GLOBAL) both ways
    ember.save(_sample(ember), tmp_path / "p4.pt", pickle_protocol=4)
    _check_sample(ember.load(tmp_path / "p4.pt"), ember)
    _check_sample(torch.load(tmp_path / "p4.pt", weights_only=False), torch)
    torch.save(_sample(torch), tmp_path / "tp4.pt", pickle_protocol=4)
    _check_sample(ember.load(tmp_path / "tp4.pt"), ember)


# ============================================================ ember round trips
@pytest.mark.parametrize("zip_format", [True, False])
def test_roundtrip_without_torch(tmp_path, zip_format):
    ember.save(_sample(ember), tmp_path / "e.pt", _use_new_zipfile_serialization=zip_format)
    _check_sample(ember.load(tmp_path / "e.pt"), ember)
    buf = io.BytesIO()
    ember.save(_sample(ember), buf, _use_new_zipfile_serialization=zip_format)
    buf.seek(0)
    _check_sample(ember.load(buf), ember)


@pytest.mark.parametrize("name", DTYPES)
def test_roundtrip_dtypes(name):
    x = ember.from_numpy(_values(name, (2, 5)))
    buf = io.BytesIO()
    ember.save([x, x[:, ::3]], buf)
    buf.seek(0)
    a, b = ember.load(buf)
    _same(a, x)
    _same(b, x[:, ::3])


def test_negative_strides_are_saved_as_copies(tmp_path):
    from ember.tensor import _make     # no public op makes one, but NumPy views can
    x = _make(np.arange(5, dtype=np.float32)[::-1])
    ember.save({"x": x}, tmp_path / "n.pt")
    r = ember.load(tmp_path / "n.pt")
    _same(r["x"], x)


def test_views_of_different_dtypes_refused():
    x = ember.zeros(4)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        ember.save([x, x.view(ember.int32)], io.BytesIO())


def test_whole_module_roundtrip(tmp_path):
    m = _model(ember)
    ember.save(m, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match="weights_only` set to `False`"):
        ember.load(tmp_path / "m.pt")
    m2 = ember.load(tmp_path / "m.pt", weights_only=False)
    x = ember.ones(2, 3)
    np.testing.assert_array_equal(m2(x).detach().numpy(), m(x).detach().numpy())
    assert m2[0].weight is not m[0].weight and isinstance(m2[0].weight, nn.Parameter)


def test_storages_and_requires_grad_restored():
    w = ember.ones(3, requires_grad=True)
    buf = io.BytesIO()
    ember.save({"w": w, "w2": w, "d": w.detach()}, buf)
    buf.seek(0)
    r = ember.load(buf)
    assert r["w"] is r["w2"] and r["w"].requires_grad and not r["d"].requires_grad
    r["d"][0] = 5.0          # w and its detached alias share memory
    assert r["w"][0].item() == 5.0


# ============================================================ map_location and devices
class _StandInCUDA:
    """A 'cuda' backend keeping arrays in NumPy, copying on every transfer."""
    name = "cuda"
    xp = np

    @staticmethod
    def asarray(array, dev=None):
        return np.array(array, copy=True)

    @staticmethod
    def to_numpy(array):
        return np.array(array, copy=True)


@pytest.fixture
def fake_cuda():
    from ember import backends
    prev = backends._backends.get("cuda")
    backends.register_backend("cuda", _StandInCUDA())
    yield
    if prev is None:
        backends._backends.pop("cuda", None)
    else:
        backends._backends["cuda"] = prev


def _cuda_checkpoint(tmp_path):
    x = ember.arange(4, dtype=ember.float32).to("cuda")
    ember.save({"x": x, "v": x[1:]}, tmp_path / "c.pt")
    return tmp_path / "c.pt"


def test_map_location_forms(tmp_path, fake_cuda):
    path = _cuda_checkpoint(tmp_path)
    with zipfile.ZipFile(path) as z:
        assert b"cuda:0" in z.read("c/data.pkl")
    r = ember.load(path)
    assert r["x"].device == ember.device("cuda:0") and r["v"].device == ember.device("cuda:0")
    for ml in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage,
               lambda storage, loc: storage.cpu()):
        r = ember.load(path, map_location=ml)
        assert r["x"].device == ember.device("cpu"), ml
        np.testing.assert_array_equal(r["v"].numpy(), [1, 2, 3])
        r["x"][1] = 9
        assert r["v"][0].item() == 9      # still one storage
    seen = []
    r = ember.load(path, map_location=lambda s, loc: seen.append((loc, s.nbytes())))
    assert seen == [("cuda:0", 16)] and r["x"].device == ember.device("cuda:0")
    r = ember.load(path, map_location=lambda s, loc: s.cuda(0))
    assert r["x"].device == ember.device("cuda:0")
    with pytest.raises(TypeError, match="map_location must return a storage"):
        ember.load(path, map_location=lambda s, loc: 3)


def test_cuda_checkpoint_without_cuda(tmp_path, fake_cuda):
    path = _cuda_checkpoint(tmp_path)
    from ember import backends
    backends._backends.pop("cuda")
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        ember.load(path)
    np.testing.assert_array_equal(ember.load(path, map_location="cpu")["x"].numpy(),
                                  [0, 1, 2, 3])
    if torch is not None:
        t = torch.load(path, map_location="cpu")
        assert t["v"].untyped_storage().data_ptr() == t["x"].untyped_storage().data_ptr()


def test_unknown_location(tmp_path):
    buf = io.BytesIO()
    ember.save(ember.ones(2), buf)
    with pytest.raises(RuntimeError, match="don't know how to restore data location"):
        ember.load(io.BytesIO(buf.getvalue()), map_location="mps")


# ============================================================ weights_only safety
def _zip_with_pickle(pkl):
    """A real checkpoint whose data.pkl is replaced."""
    good = io.BytesIO()
    ember.save({"a": ember.ones(2)}, good)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good.getvalue())) as zin, \
            zipfile.ZipFile(out, "w") as zout:
        for n in zin.namelist():
            zout.writestr(n, pkl if n.endswith("data.pkl") else zin.read(n))
    return out.getvalue()


class _System:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class _Exec:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (exec, (f"open({str(self.path)!r}, 'w').close()",))


class _Custom:
    def __init__(self, v=1):
        self.v = v


def test_hostile_pickles_refused(tmp_path):
    marker = tmp_path / "pwned"
    for evil in (_System(marker), _Exec(marker)):
        for data in (_zip_with_pickle(pickle.dumps(evil, protocol=2)),
                     _zip_with_pickle(pickle.dumps({"x": [evil]}, protocol=4))):
            with pytest.raises(pickle.UnpicklingError) as e:
                ember.load(io.BytesIO(data))
            msg = str(e.value)
            assert "Weights only load failed" in msg
            assert "weights_only` set to `False`" in msg
            assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="posix.system whose module posix is "
                                                     "blocked|nt.system whose module nt is"):
        ember.load(io.BytesIO(_zip_with_pickle(pickle.dumps(_System(marker), protocol=2))))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL exec was not an allowed global"):
        ember.load(io.BytesIO(_zip_with_pickle(pickle.dumps(_Exec(marker), protocol=2))))
    # REDUCE of a callable taken from an allowed object (getattr is no allowed global)
    sneaky = pickle.dumps(collections.OrderedDict.fromkeys, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        ember.load(io.BytesIO(_zip_with_pickle(sneaky)))
    # BUILD on a dict, APPEND to a non-list: hand-written opcodes
    build = b"\x80\x02}q\x00}q\x01X\x01\x00\x00\x00aK\x01sb."
    with pytest.raises(pickle.UnpicklingError, match="Can only build"):
        ember.load(io.BytesIO(_zip_with_pickle(build)))
    # a storage persistent id of an unknown kind
    with pytest.raises(pickle.UnpicklingError, match="Only persistent_load of storage"):
        ember.load(io.BytesIO(_zip_with_pickle(b"\x80\x02X\x06\x00\x00\x00moduleq\x00\x85Q.")))


def test_weights_only_false_runs_pickles(tmp_path):
    marker = tmp_path / "ran"
    data = _zip_with_pickle(pickle.dumps(_Exec(marker), protocol=2))
    ember.load(io.BytesIO(data), weights_only=False)
    assert marker.exists()
    with pytest.raises(RuntimeError, match="explicit pickle_module"):
        ember.load(io.BytesIO(data), pickle_module=pickle, weights_only=True)
    assert ember.load(io.BytesIO(_zip_with_pickle(pickle.dumps({"k": 1}))),
                      pickle_module=pickle) == {"k": 1}


def test_safe_globals():
    data = _zip_with_pickle(pickle.dumps({"c": _Custom(3)}, protocol=2))
    name = f"{_Custom.__module__}._Custom"
    with pytest.raises(pickle.UnpicklingError, match=f"add_safe_globals\\(\\[{name}\\]\\)"):
        ember.load(io.BytesIO(data))
    assert serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == [name]
    with serialization.safe_globals([_Custom]):
        assert ember.load(io.BytesIO(data))["c"].v == 3
    assert _Custom not in serialization.get_safe_globals()
    serialization.add_safe_globals([(_Custom, name)])
    try:
        assert ember.load(io.BytesIO(data))["c"].v == 3
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []


# ============================================================ malformed files
def test_corrupt_files_raise_clear_errors(tmp_path):
    good = io.BytesIO()
    ember.save({"a": ember.arange(16, dtype=ember.float32)}, good)
    good = good.getvalue()
    cases = {"truncated.pt": good[:len(good) // 2], "garbage.pt": b"definitely not a model",
             "empty.pt": b"", "header.pt": good[:100]}
    flipped = bytearray(good)
    flipped[good.index(np.float32(3).tobytes())] ^= 0xFF   # a data byte: CRC mismatch
    cases["flipped.pt"] = bytes(flipped)
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises((RuntimeError, pickle.UnpicklingError)) as e:
            ember.load(tmp_path / name)
        assert name in str(e.value), str(e.value)
    legacy = io.BytesIO()
    ember.save({"a": ember.ones(4)}, legacy, _use_new_zipfile_serialization=False)
    (tmp_path / "legacy.pt").write_bytes(legacy.getvalue()[:-5])
    with pytest.raises(RuntimeError, match="legacy.pt.*truncated"):
        ember.load(tmp_path / "legacy.pt")
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pt")


def test_hostile_tensor_geometry():
    # sizes claiming more elements than the storage holds never read past it
    good = io.BytesIO()
    ember.save(ember.ones(2), good)
    with zipfile.ZipFile(io.BytesIO(good.getvalue())) as z:
        pkl = z.read("archive/data.pkl")
    assert b"K\x02\x85" in pkl
    big = _zip_with_pickle(pkl.replace(b"K\x02\x85", b"J\x00\x00\x00\x10\x85", 1))
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 8"):
        ember.load(io.BytesIO(big))
    # a storage whose record is shorter than its persistent id says
    short = _zip_with_pickle(pkl.replace(b"K\x02t", b"K\x09t", 1))
    with pytest.raises(RuntimeError, match="record data/0 holds 8 bytes but its storage "
                                           "needs 36"):
        ember.load(io.BytesIO(short))


# ============================================================ formats in detail
def test_archive_layout(tmp_path):
    ember.save({"a": ember.ones(3), "b": ember.zeros(2, dtype=ember.int64)},
               tmp_path / "model.pth.tar")
    with zipfile.ZipFile(tmp_path / "model.pth.tar") as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names == ["model.pth/data.pkl", "model.pth/.format_version",
                         "model.pth/.storage_alignment", "model.pth/byteorder",
                         "model.pth/data/0", "model.pth/data/1", "model.pth/version",
                         "model.pth/.data/serialization_id"]
        assert z.read("model.pth/version") == b"3\n"
        assert z.read("model.pth/byteorder") == sys.byteorder.encode()
        assert len(z.read("model.pth/.data/serialization_id")) == 40
        raw = (tmp_path / "model.pth.tar").read_bytes()
        for info in z.infolist():   # every record's data starts on a 64-byte boundary
            n, m = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + n + m) % 64 == 0
            assert info.compress_type == zipfile.ZIP_STORED


def test_zip64_records(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization._ZipWriter, "_ZIP64_LIMIT", 200)
    x = ember.arange(100, dtype=ember.float32)
    ember.save({"x": x, "y": ember.ones(3)}, tmp_path / "z.pt")
    with zipfile.ZipFile(tmp_path / "z.pt") as z:
        assert z.testzip() is None
    r = ember.load(tmp_path / "z.pt")
    _same(r["x"], x)
    if torch is not None:
        assert torch.load(tmp_path / "z.pt")["x"].sum().item() == 4950


def test_big_endian_archive():
    x = ember.from_numpy(np.array([1.5, -2.0, 3.0], np.float32))
    buf = io.BytesIO()
    ember.save({"x": x}, buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w") as z:
        for n in zin.namelist():
            data = zin.read(n)
            if n.endswith("byteorder"):
                data = b"big"
            elif n.endswith("data/0"):
                data = np.frombuffer(data, np.float32).byteswap().tobytes()
            z.writestr(n, data)
    _same(ember.load(io.BytesIO(out.getvalue()))["x"], x)


def test_legacy_tar_format():
    """The tar archive PyTorch wrote before 0.4: storages, tensors and pickle members."""
    def dump(obj):
        b = io.BytesIO()
        serialization._Pickler(b, 2).dump(obj)
        return b.getvalue()
    float_storage = serialization._G("torch", "FloatStorage")
    storages = dump(1) + dump((7, "cpu", float_storage)) + struct.pack("<q", 6) + \
        np.arange(6, dtype=np.float32).tobytes() + dump([])
    tensors = dump(1) + dump((3, 7, None)) + struct.pack("<ii", 2, 0) + \
        struct.pack("<qq", 2, 2) + struct.pack("<qq", 1, 2) + struct.pack("<q", 1)

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return "3" if obj == "TENSOR" else None
    main = io.BytesIO()
    P(main, 2).dump({"w": "TENSOR"})
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("storages", storages), ("tensors", tensors),
                           ("pickle", main.getvalue())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = tar_bytes.getvalue()
    with pytest.raises(RuntimeError, match="legacy .tar format"):
        ember.load(io.BytesIO(data))
    w = ember.load(io.BytesIO(data), weights_only=False)["w"]
    np.testing.assert_array_equal(w.numpy(), [[1, 3], [2, 4]])


def test_non_seekable_input():
    buf = io.BytesIO()
    ember.save({"a": ember.ones(2)}, buf)

    class Pipe:
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)

        def seekable(self):
            return False
    assert ember.load(Pipe(buf.getvalue()))["a"].tolist() == [1.0, 1.0]


# ============================================================ atomic writes
def test_atomic_save_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    ember.save({"v": ember.ones(3)}, path)
    before = path.read_bytes()
    os.chmod(path, 0o640)
    real = serialization._ZipWriter.write_record
    calls = []

    def crash_midway(self, name, data):
        calls.append(name)
        if name.startswith("data/"):
            raise OSError("disk full (simulated)")
        return real(self, name, data)
    monkeypatch.setattr(serialization._ZipWriter, "write_record", crash_midway)
    with pytest.raises(OSError, match="simulated"):
        ember.save({"v": ember.zeros(3)}, path)
    assert calls and path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.pt"]          # no temp file left behind
    monkeypatch.setattr(serialization._ZipWriter, "write_record", real)
    ember.save({"v": ember.zeros(3)}, path)
    assert ember.load(path)["v"].tolist() == [0.0, 0.0, 0.0]
    assert os.stat(path).st_mode & 0o777 == 0o640    # permissions of the replaced file
    assert os.listdir(tmp_path) == ["ck.pt"]


def test_save_errors_and_links(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        ember.save(ember.ones(1), tmp_path / "nodir" / "x.pt")
    with pytest.raises(pickle.PicklingError):
        ember.save({"f": lambda: 0}, tmp_path / "bad.pt")
    assert not os.listdir(tmp_path)
    target = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    ember.save(ember.ones(1), target)
    os.symlink(target, link)
    ember.save(ember.zeros(1), link)
    assert link.is_symlink() and ember.load(target).tolist() == [0.0]


# ============================================================ checkpoint and resume
def _train(model, opt, x, y, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_checkpoint_resume_matches_uninterrupted(tmp_path, opt_name):
    def make():
        m = _model(ember)
        kw = {"lr": 0.05, "momentum": 0.9} if opt_name == "SGD" else {"lr": 0.01}
        return m, getattr(ember.optim, opt_name)(m.parameters(), **kw)
    x = ember.from_numpy(_values("float32", (16, 3), seed=3))
    y = ember.from_numpy(_values("float32", (16, 2), seed=4))
    ref, ref_opt = make()
    _train(ref, ref_opt, x, y, 6)

    m, opt = make()
    _train(m, opt, x, y, 3)
    ember.save({"model": m.state_dict(), "optim": opt.state_dict(), "epoch": 3},
               tmp_path / "ck.pt")
    del m, opt
    ck = ember.load(tmp_path / "ck.pt")
    m, opt = make()
    ember.manual_seed(123)      # a fresh init that the checkpoint must overwrite
    for p in m.parameters():
        p.data.normal_()
    m.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optim"])
    _train(m, opt, x, y, 6 - ck["epoch"])
    for (n, a), b in zip(ref.state_dict().items(), m.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)


# ============================================================ safetensors
def test_safetensors_roundtrip(tmp_path):
    tensors = {name: ember.from_numpy(_values(name, (2, 3), seed=i))
               for i, name in enumerate(n for n in DTYPES if n != "complex128")}
    tensors["scalar"] = ember.tensor(1.5)
    tensors["empty"] = ember.zeros(0, 4)
    st.save_file(tensors, tmp_path / "m.safetensors", metadata={"format": "pt"})
    back = st.load_file(tmp_path / "m.safetensors")
    assert set(back) == set(tensors)
    for k in tensors:
        _same(back[k], tensors[k])
    raw = (tmp_path / "m.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0 and raw[8:9] == b"{"
    assert raw[8:8 + n].decode().startswith('{"__metadata__":{"format":"pt"}')
    # ember.load routes .safetensors paths, as torch.load does
    _same(ember.load(tmp_path / "m.safetensors")["float32"], tensors["float32"])
    blob = st.save({"a": tensors["int64"]})
    _same(st.load(blob)["a"], tensors["int64"])
    with st.safe_open(tmp_path / "m.safetensors", framework="pt") as f:
        assert f.metadata() == {"format": "pt"} and "bool" in f.keys()
        _same(f.get_tensor("bool"), tensors["bool"])


def test_safetensors_refuses_what_the_format_cannot_hold():
    x = ember.ones(4, 4)
    with pytest.raises(RuntimeError, match="share memory"):
        st.save({"a": x, "b": x[1]})
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        st.save({"t": x.t()})
    with pytest.raises(ValueError, match="expected torch.Tensor"):
        st.save({"a": 3})


def _blob(header, data):
    raw = __import__("json").dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


@pytest.mark.parametrize("header,data,match", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12),
     "InvalidOffset"),                                        # overlapping
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4),
     "MetadataIncompleteBuffer"),                             # past the end
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, bytes(16),
     "InvalidOffset"),                                        # a hole
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8),
     "TensorInvalidInfo"),                                    # size vs shape
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8),
     "invalid shape"),
    ({"a": {"dtype": "X9", "shape": [2], "data_offsets": [0, 8]}}, bytes(8), "unknown dtype"),
])
def test_safetensors_malformed(header, data, match):
    with pytest.raises(st.SafetensorError, match=match):
        st.load(_blob(header, data))


def test_safetensors_malformed_header():
    with pytest.raises(st.SafetensorError, match="HeaderTooSmall"):
        st.load(b"\x01\x00")
    with pytest.raises(st.SafetensorError, match="InvalidHeaderLength"):
        st.load(struct.pack("<Q", 1000) + b"{}")
    with pytest.raises(st.SafetensorError, match="HeaderTooLarge"):
        st.load(struct.pack("<Q", 1 << 40))
    with pytest.raises(st.SafetensorError, match="InvalidHeaderDeserialization"):
        st.load(struct.pack("<Q", 3) + b"{x}")


def test_safetensors_package_interop(tmp_path):
    pytest.importorskip("safetensors")
    if torch is None:
        pytest.skip("PyTorch not installed")
    from safetensors.torch import load_file, save_file
    x = ember.from_numpy(_values("float32", (3, 2)))
    st.save_file({"x": x}, tmp_path / "a.safetensors")
    assert torch.equal(load_file(tmp_path / "a.safetensors")["x"], torch.from_numpy(x.numpy()))
    save_file({"y": torch.arange(4)}, tmp_path / "b.safetensors")
    assert st.load_file(tmp_path / "b.safetensors")["y"].tolist() == [0, 1, 2, 3]


def test_never_imports_torch(tmp_path):
    import subprocess
    code = ("import sys, ember, io\n"
            "b = io.BytesIO(); ember.save({'m': ember.nn.Linear(2, 2).state_dict()}, b)\n"
            "b.seek(0); ember.load(b)\n"
            "b = io.BytesIO(); ember.save(ember.nn.Linear(2, 2), b)\n"
            "b.seek(0); ember.load(b, weights_only=False)\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
