"""RNN, LSTM, GRU, their cells and nn.utils.rnn against PyTorch (copied weights: outputs,
hidden states, input/state/parameter gradients), plus float64 gradchecks (incl. double
backward), errors, reprs, initialisation and a 1000-step sequence."""
import itertools
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import rnn as rnn_utils

try:
    import torch
    from torch.nn.utils import rnn as torch_rnn_utils
except ImportError:   # PyTorch is an optional test oracle
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")


# ---------------------------------------------------------------- helpers
def _np(t):
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach())


def assert_close(e, t, rtol=1e-5, atol=1e-5, what=""):
    a, b = _np(e), _np(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def copy_weights(tmod, emod):
    emod.load_state_dict({k: ember.tensor(v.detach().numpy())
                          for k, v in tmod.state_dict().items()})


def _pair(cls_name, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, cls_name)(*args, **kwargs)
        em = getattr(nn, cls_name)(*args, **kwargs)
    copy_weights(tm, em)
    return tm, em


def _leaf(a, lib):
    return lib.tensor(a, requires_grad=True)


def _as_tuple(h):
    return h if isinstance(h, tuple) else (h,)


def _compare_backward(tm, em, outs_t, outs_e, leaves, rng, rtol=1e-4, atol=1e-5):
    """Backward of a random weighting of every output; compares leaf and parameter grads."""
    loss_t = loss_e = 0
    for t, e in zip(outs_t, outs_e):
        w = rng.standard_normal(tuple(t.shape)).astype(np.float32)
        loss_t = loss_t + (t * torch.tensor(w)).sum()
        loss_e = loss_e + (e * ember.tensor(w)).sum()
    loss_t.backward()
    loss_e.backward()
    for name, (lt, le) in leaves.items():
        assert_close(le.grad, lt.grad, rtol, atol, f"grad of {name}")
    for (n, pt), (n2, pe) in zip(tm.named_parameters(), em.named_parameters()):
        assert n == n2
        assert_close(pe.grad, pt.grad, rtol, atol, f"grad of {n}")


# ---------------------------------------------------------------- full modules vs torch
_CONFIGS = [(m, L, bi, bf, p)
            for m, L, bi, bf, p in itertools.product(["LSTM", "GRU", "RNN_TANH", "RNN_RELU"],
                                                     [1, 2], [False, True], [False, True],
                                                     [0, 3])
            if p == 0 or m == "LSTM"]


def _make(mode, **kw):
    if mode.startswith("RNN"):
        return _pair("RNN", 4, 5, nonlinearity=mode[4:].lower(), **kw)
    return _pair(mode, 4, 5, **kw)


@requires_torch
@pytest.mark.parametrize("mode,layers,bidir,batch_first,proj", _CONFIGS)
def test_module_matches_torch(mode, layers, bidir, batch_first, proj):
    kw = dict(num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    if proj:
        kw["proj_size"] = proj
    tm, em = _make(mode, **kw)
    rng = np.random.default_rng(0)
    T, B, D = 6, 3, 2 if bidir else 1
    x = rng.standard_normal((B, T, 4) if batch_first else (T, B, 4)).astype(np.float32)
    h0 = rng.standard_normal((layers * D, B, proj or 5)).astype(np.float32)
    c0 = rng.standard_normal((layers * D, B, 5)).astype(np.float32)
    leaves = {"x": (_leaf(x, torch), _leaf(x, ember)), "h0": (_leaf(h0, torch), _leaf(h0, ember))}
    if mode == "LSTM":
        leaves["c0"] = (_leaf(c0, torch), _leaf(c0, ember))
        hx_t, hx_e = (leaves["h0"][0], leaves["c0"][0]), (leaves["h0"][1], leaves["c0"][1])
    else:
        hx_t, hx_e = leaves["h0"]
    ot, ht = tm(leaves["x"][0], hx_t)
    oe, he = em(leaves["x"][1], hx_e)
    assert_close(oe, ot, what="output")
    assert oe.is_contiguous() == ot.is_contiguous()
    for a, b in zip(_as_tuple(he), _as_tuple(ht)):
        assert_close(a, b, what="h_n")
    _compare_backward(tm, em, (ot,) + _as_tuple(ht), (oe,) + _as_tuple(he), leaves, rng)


@requires_torch
@pytest.mark.parametrize("mode,layers,bidir,batch_first,proj",
                         [c for c in _CONFIGS if c[1] == 2 or c[2]])
def test_packed_mixed_lengths_match_torch(mode, layers, bidir, batch_first, proj):
    kw = dict(num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    if proj:
        kw["proj_size"] = proj
    tm, em = _make(mode, **kw)
    rng = np.random.default_rng(1)
    lengths = [5, 2, 6, 1, 3]
    T, B, D = 6, 5, 2 if bidir else 1
    x = rng.standard_normal((B, T, 4) if batch_first else (T, B, 4)).astype(np.float32)
    h0 = rng.standard_normal((layers * D, B, proj or 5)).astype(np.float32)
    c0 = rng.standard_normal((layers * D, B, 5)).astype(np.float32)
    leaves = {"x": (_leaf(x, torch), _leaf(x, ember)), "h0": (_leaf(h0, torch), _leaf(h0, ember))}
    if mode == "LSTM":
        leaves["c0"] = (_leaf(c0, torch), _leaf(c0, ember))
        hx_t, hx_e = (leaves["h0"][0], leaves["c0"][0]), (leaves["h0"][1], leaves["c0"][1])
    else:
        hx_t, hx_e = leaves["h0"]
    pt = torch_rnn_utils.pack_padded_sequence(leaves["x"][0], lengths, batch_first=batch_first,
                                              enforce_sorted=False)
    pe = rnn_utils.pack_padded_sequence(leaves["x"][1], lengths, batch_first=batch_first,
                                        enforce_sorted=False)
    ot, ht = tm(pt, hx_t)
    oe, he = em(pe, hx_e)
    assert isinstance(oe, rnn_utils.PackedSequence)
    assert_close(oe.data, ot.data, what="packed output")
    np.testing.assert_array_equal(_np(oe.batch_sizes), _np(ot.batch_sizes))
    np.testing.assert_array_equal(_np(oe.sorted_indices), _np(ot.sorted_indices))
    for a, b in zip(_as_tuple(he), _as_tuple(ht)):
        assert_close(a, b, what="h_n")
    pad_t, len_t = torch_rnn_utils.pad_packed_sequence(ot, batch_first=batch_first)
    pad_e, len_e = rnn_utils.pad_packed_sequence(oe, batch_first=batch_first)
    assert_close(pad_e, pad_t, what="padded output")
    np.testing.assert_array_equal(_np(len_e), _np(len_t))
    _compare_backward(tm, em, (pad_t,) + _as_tuple(ht), (pad_e,) + _as_tuple(he), leaves, rng)


@requires_torch
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_default_state_unbatched_and_no_grad(mode):
    tm, em = _make(mode, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((7, 4)).astype(np.float32)        # unbatched (L, H_in)
    ot, ht = tm(torch.tensor(x))
    oe, he = em(ember.tensor(x))
    assert_close(oe, ot)
    for a, b in zip(_as_tuple(he), _as_tuple(ht)):
        assert_close(a, b)
    with ember.no_grad():
        on, _ = em(ember.tensor(x))
    assert on.grad_fn is None
    assert_close(on, ot)
    # unbatched with an explicit 2-D state
    h = rng.standard_normal((4, 5)).astype(np.float32)
    hx_t = (torch.tensor(h), torch.tensor(h)) if mode == "LSTM" else torch.tensor(h)
    hx_e = (ember.tensor(h), ember.tensor(h)) if mode == "LSTM" else ember.tensor(h)
    assert_close(em(ember.tensor(x), hx_e)[0], tm(torch.tensor(x), hx_t)[0])


@requires_torch
@pytest.mark.parametrize("cls,kw", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}),
                                    ("RNNCell", {"nonlinearity": "relu"}),
                                    ("LSTMCell", {"bias": False})])
def test_cells_match_torch(cls, kw):
    tm, em = _pair(cls, 4, 5, **kw)
    assert repr(tm) == repr(em)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    h = rng.standard_normal((3, 5)).astype(np.float32)
    leaves = {"x": (_leaf(x, torch), _leaf(x, ember)), "h": (_leaf(h, torch), _leaf(h, ember)),
              "c": (_leaf(h * 0.5, torch), _leaf(h * 0.5, ember))}
    if cls == "LSTMCell":
        rt = tm(leaves["x"][0], (leaves["h"][0], leaves["c"][0]))
        re = em(leaves["x"][1], (leaves["h"][1], leaves["c"][1]))
    else:
        del leaves["c"]
        rt, re = (tm(leaves["x"][0], leaves["h"][0]),), (em(leaves["x"][1], leaves["h"][1]),)
    for a, b in zip(re, rt):
        assert_close(a, b)
    _compare_backward(tm, em, rt, re, leaves, rng)
    # default state and unbatched input
    for a, b in zip(_as_tuple(em(ember.tensor(x))), _as_tuple(tm(torch.tensor(x)))):
        assert_close(a, b)
    for a, b in zip(_as_tuple(em(ember.tensor(x[0]))), _as_tuple(tm(torch.tensor(x[0])))):
        assert_close(a, b)


@requires_torch
def test_reprs_and_parameter_names():
    cases = [("LSTM", (10, 20), dict(num_layers=2, batch_first=True)),
             ("LSTM", (10, 20), dict(proj_size=5, bias=False, dropout=0.5, num_layers=2,
                                     bidirectional=True)),
             ("RNN", (3, 4), dict(nonlinearity="relu")), ("GRU", (3, 4), dict(dropout=0.0)),
             ("RNNCell", (3, 4), dict(nonlinearity="relu")), ("GRUCell", (3, 4),
                                                               dict(bias=False))]
    for cls, args, kw in cases:
        tm, em = _pair(cls, *args, **kw)
        assert repr(em) == repr(tm)
        assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
        assert [tuple(p.shape) for p in em.parameters()] == \
               [tuple(p.shape) for p in tm.parameters()]
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    assert m._flat_weights_names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                         "bias_hh_l0", "weight_hr_l0"]
    assert m.all_weights[1][0] is m.weight_ih_l0_reverse
    assert m.flatten_parameters() is None


def test_initialisation_bounds():
    ember.manual_seed(0)
    for m in (nn.LSTM(8, 64, num_layers=2, proj_size=16), nn.GRUCell(8, 64)):
        bound = 1 / math.sqrt(64)
        vals = np.concatenate([_np(p).ravel() for p in m.parameters()])
        assert vals.min() >= -bound and vals.max() <= bound
        assert abs(vals.std() - bound / math.sqrt(3)) < 0.05 * bound
        assert abs(vals.mean()) < 0.05 * bound
    ember.manual_seed(5)
    a = nn.GRU(3, 4)
    ember.manual_seed(5)
    b = nn.GRU(3, 4)
    assert all(np.array_equal(_np(p), _np(q)) for p, q in zip(a.parameters(), b.parameters()))


def test_dtype_device_kwargs_and_double():
    m = nn.LSTM(3, 4, dtype=ember.float64)
    assert m.weight_ih_l0.dtype is ember.float64
    out, (h, c) = m(ember.randn(5, 2, 3, dtype=ember.float64))
    assert out.dtype is ember.float64 and h.shape == (1, 2, 4)
    m2 = nn.GRU(3, 4).double()
    assert m2(ember.randn(5, 2, 3, dtype=ember.float64))[0].dtype is ember.float64


# ---------------------------------------------------------------- errors
@requires_torch
def test_errors_match_torch():
    def both(fn_t, fn_e):
        with pytest.raises(Exception) as et:
            fn_t()
        with pytest.raises(type(et.value), match=None) as ee:
            fn_e()
        assert str(ee.value) == str(et.value)

    tm, em = _pair("LSTM", 10, 20, 2)
    x = np.zeros((5, 3, 10), np.float32)
    both(lambda: tm(torch.zeros(5, 3, 5)), lambda: em(ember.zeros(5, 3, 5)))
    both(lambda: tm(torch.zeros(5, 3, 10, dtype=torch.float64)),
         lambda: em(ember.zeros(5, 3, 10, dtype=ember.float64)))
    both(lambda: tm(torch.tensor(x), (torch.zeros(2, 4, 20), torch.zeros(2, 3, 20))),
         lambda: em(ember.tensor(x), (ember.zeros(2, 4, 20), ember.zeros(2, 3, 20))))
    both(lambda: tm(torch.tensor(x), (torch.zeros(2, 3, 20), torch.zeros(2, 3, 21))),
         lambda: em(ember.tensor(x), (ember.zeros(2, 3, 20), ember.zeros(2, 3, 21))))
    both(lambda: tm(torch.tensor(x), (torch.zeros(3, 20), torch.zeros(3, 20))),
         lambda: em(ember.tensor(x), (ember.zeros(3, 20), ember.zeros(3, 20))))
    both(lambda: tm(torch.zeros(5, 10), (torch.zeros(2, 3, 20), torch.zeros(2, 3, 20))),
         lambda: em(ember.zeros(5, 10), (ember.zeros(2, 3, 20), ember.zeros(2, 3, 20))))
    both(lambda: tm(torch.zeros(2, 5, 3, 10)), lambda: em(ember.zeros(2, 5, 3, 10)))
    tg, eg = _pair("GRU", 10, 20)
    both(lambda: tg(torch.zeros(5, 3, 10), torch.zeros(1, 3, 19)),
         lambda: eg(ember.zeros(5, 3, 10), ember.zeros(1, 3, 19)))
    both(lambda: tg(torch.zeros(5, 3, 10), torch.zeros(3, 20)),
         lambda: eg(ember.zeros(5, 3, 10), ember.zeros(3, 20)))
    both(lambda: tg(torch.zeros(2, 5, 3, 10)), lambda: eg(ember.zeros(2, 5, 3, 10)))
    tr, er = _pair("RNN", 10, 20)
    both(lambda: tr(torch.zeros(5, 10), torch.zeros(1, 3, 20)),
         lambda: er(ember.zeros(5, 10), ember.zeros(1, 3, 20)))
    both(lambda: tr(torch.zeros(2, 5, 3, 10)), lambda: er(ember.zeros(2, 5, 3, 10)))
    for cls in ("LSTMCell", "GRUCell", "RNNCell"):
        tc, ec = _pair(cls, 10, 20)
        both(lambda: tc(torch.zeros(3, 5)), lambda: ec(ember.zeros(3, 5)))
        both(lambda: tc(torch.zeros(3, 4, 10)), lambda: ec(ember.zeros(3, 4, 10)))
        hx_t, hx_e = torch.zeros(4, 20), ember.zeros(4, 20)
        if cls == "LSTMCell":
            hx_t, hx_e = (hx_t, hx_t), (hx_e, hx_e)
        both(lambda: tc(torch.zeros(3, 10), hx_t), lambda: ec(ember.zeros(3, 10), hx_e))
        hx_t, hx_e = torch.zeros(3, 21), ember.zeros(3, 21)
        if cls == "LSTMCell":
            hx_t, hx_e = (hx_t, hx_t), (hx_e, hx_e)
        both(lambda: tc(torch.zeros(3, 10), hx_t), lambda: ec(ember.zeros(3, 10), hx_e))
    for args, kw in [((10, 20), dict(proj_size=20)), ((10, 20), dict(dropout=1.5)),
                     ((10, 0), {}), ((0, 5), {}), ((10, 20), dict(num_layers=0)),
                     ((10, 20), dict(proj_size=-1)), ((10, 20), dict(bias=1))]:
        both(lambda: torch.nn.LSTM(*args, **kw), lambda: nn.LSTM(*args, **kw))
    both(lambda: torch.nn.GRU(3, 4, proj_size=2), lambda: nn.GRU(3, 4, proj_size=2))
    both(lambda: torch.nn.RNN(3, 4, nonlinearity="gelu"),
         lambda: nn.RNN(3, 4, nonlinearity="gelu"))
    both(lambda: torch.nn.RNNCell(3, 4, nonlinearity="gelu")(torch.zeros(2, 3)),
         lambda: nn.RNNCell(3, 4, nonlinearity="gelu")(ember.zeros(2, 3)))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


# ---------------------------------------------------------------- autograd behaviour
def _gradcheck_module(mode, packed):
    ember.manual_seed(0)
    kw = dict(proj_size=2) if mode == "LSTM" else {}
    cls = nn.RNN if mode.startswith("RNN") else getattr(nn, mode)
    if mode.startswith("RNN"):
        kw["nonlinearity"] = mode[4:].lower()
    m = cls(2, 3, bidirectional=True, num_layers=2 if not packed else 1,
            batch_first=not packed, **kw).double()
    x = ember.randn(*((4, 3, 2) if packed else (3, 3, 2)), dtype=ember.float64,
                    requires_grad=True)
    h0 = ember.randn(4 if not packed else 2, 3, 2 if mode == "LSTM" else 3,
                     dtype=ember.float64, requires_grad=True)
    c0 = ember.randn(tuple(h0.shape[:2]) + (3,), dtype=ember.float64)
    params = list(m.parameters())

    def f(x, h0, *ps):
        inp = rnn_utils.pack_padded_sequence(x, [4, 2, 1], enforce_sorted=True) \
            if packed else x
        hx = h0 if mode != "LSTM" else (h0, c0)
        o, h = m(inp, hx)
        o = o.data if packed else o
        h = h[1] if isinstance(h, tuple) else h
        return (o ** 2).sum() + (h ** 3).sum()
    assert ember.autograd.gradcheck(f, (x, h0, params[1], params[3]), atol=1e-5, rtol=1e-3)
    assert ember.autograd.gradgradcheck(lambda x, w: f(x, h0),
                                        (x if packed else
                                         x[:, :2].detach().clone().requires_grad_(),
                                         params[1]),
                                        atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("packed", [False, True])
def test_gradcheck_and_double_backward(mode, packed):
    _gradcheck_module(mode, packed)


def test_gradcheck_cells():
    ember.manual_seed(1)
    for cell in (nn.LSTMCell(2, 3).double(), nn.GRUCell(2, 3).double(),
                 nn.RNNCell(2, 3).double()):
        x = ember.randn(2, 2, dtype=ember.float64, requires_grad=True)
        h = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)

        def f(x, h, w):
            hx = (h, h * 2) if isinstance(cell, nn.LSTMCell) else h
            r = cell(x, hx)
            return sum((t ** 2).sum() for t in _as_tuple(r))
        assert ember.autograd.gradcheck(f, (x, h, cell.weight_hh))
        assert ember.autograd.gradgradcheck(f, (x, h, cell.weight_hh))


def test_graph_is_freed_and_inplace_weight_change_detected():
    m = nn.LSTM(3, 4)
    out, _ = m(ember.randn(5, 2, 3))
    loss = out.sum()
    loss.backward(retain_graph=True)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    out, _ = m(ember.randn(5, 2, 3))
    with ember.no_grad():
        m.weight_hh_l0.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_long_sequence_forward_backward():
    """1000 steps: the fused layer (one graph node) against a chain of 1000 LSTMCell steps
    (a 1000-deep graph, so the engine must be iterative), values and gradients."""
    ember.manual_seed(0)
    lstm = nn.LSTM(3, 8)
    cell = nn.LSTMCell(3, 8)
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((1000, 2, 3)).astype(np.float32)
    xa, xb = ember.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    out, (h, c) = lstm(xa)
    hc = (ember.zeros(2, 8), ember.zeros(2, 8))
    outs = []
    for t in range(1000):
        hc = cell(xb[t], hc)
        outs.append(hc[0])
    ref = ember.stack(outs)
    assert_close(out, ref, 1e-5, 1e-6)
    assert_close(c[0], hc[1], 1e-5, 1e-6)
    (out.sum() + c.sum()).backward()
    (ref.sum() + hc[1].sum()).backward()
    assert_close(xa.grad, xb.grad, 1e-4, 1e-6)
    assert_close(lstm.weight_hh_l0.grad, cell.weight_hh.grad, 1e-4, 1e-5)
    assert np.isfinite(_np(lstm.weight_ih_l0.grad)).all()


@requires_torch
def test_dropout_between_layers():
    tm, em = _pair("GRU", 4, 6, num_layers=3, dropout=0.5)
    x = ember.randn(5, 2, 4)
    ember.manual_seed(3)
    a, _ = em(x)
    ember.manual_seed(3)
    b, _ = em(x)
    c, _ = em(x)
    np.testing.assert_array_equal(_np(a), _np(b))       # reproducible from the seed
    assert not np.allclose(_np(a), _np(c))
    em.eval()
    tm.eval()
    assert_close(em(x)[0], tm(torch.tensor(_np(x)))[0])   # eval: no dropout
    single = nn.GRU(4, 6, num_layers=1)
    single.train()
    np.testing.assert_array_equal(_np(single(x)[0]), _np(single(x)[0]))


# ---------------------------------------------------------------- nn.utils.rnn
@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_pad_roundtrip_matches_torch(batch_first, enforce_sorted):
    rng = np.random.default_rng(5)
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 6, 1, 4]
    x = rng.standard_normal((4, 6, 3) if batch_first else (6, 4, 3)).astype(np.float32)
    xt, xe = _leaf(x, torch), _leaf(x, ember)
    pt = torch_rnn_utils.pack_padded_sequence(xt, lengths, batch_first, enforce_sorted)
    pe = rnn_utils.pack_padded_sequence(xe, ember.tensor(lengths), batch_first, enforce_sorted)
    assert_close(pe.data, pt.data)
    for f in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        a, b = getattr(pe, f), getattr(pt, f)
        assert (a is None) == (b is None), f
        if a is not None:
            np.testing.assert_array_equal(_np(a), _np(b))
            assert a.dtype is ember.int64
    assert pe.data.grad_fn.name() == "PackPaddedSequenceBackward0"
    for kw in (dict(), dict(padding_value=-2.0, total_length=8)):
        ot, lt = torch_rnn_utils.pad_packed_sequence(pt, batch_first, **kw)
        oe, le = rnn_utils.pad_packed_sequence(pe, batch_first, **kw)
        assert_close(oe, ot)
        np.testing.assert_array_equal(_np(le), _np(lt))
    w = rng.standard_normal(tuple(ot.shape)).astype(np.float32)
    (ot * torch.tensor(w)).sum().backward()
    (oe * ember.tensor(w)).sum().backward()
    assert_close(xe.grad, xt.grad)


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    rng = np.random.default_rng(6)
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (3, 5, 1)]
    st, se = [_leaf(s, torch) for s in seqs], [_leaf(s, ember) for s in seqs]
    ot = torch_rnn_utils.pad_sequence(st, batch_first, 7.0, side)
    oe = rnn_utils.pad_sequence(se, batch_first, 7.0, side)
    assert_close(oe, ot)
    w = rng.standard_normal(tuple(ot.shape)).astype(np.float32)
    (ot * torch.tensor(w)).sum().backward()
    (oe * ember.tensor(w)).sum().backward()
    for a, b in zip(se, st):
        assert_close(a.grad, b.grad)
    ints = [np.arange(3), np.arange(2)]
    it = torch_rnn_utils.pad_sequence([torch.tensor(a) for a in ints], batch_first)
    ie = rnn_utils.pad_sequence([ember.tensor(a) for a in ints], batch_first)
    assert ie.dtype is ember.int64
    np.testing.assert_array_equal(_np(ie), _np(it))


@requires_torch
def test_pack_sequence_unpack_unpad():
    rng = np.random.default_rng(7)
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (2, 4, 3)]
    pt = torch_rnn_utils.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    pe = rnn_utils.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    assert_close(pe.data, pt.data)
    for a, b in zip(rnn_utils.unpack_sequence(pe), torch_rnn_utils.unpack_sequence(pt)):
        assert_close(a, b)
    padded = rnn_utils.pad_sequence([ember.tensor(s) for s in seqs])
    parts = rnn_utils.unpad_sequence(padded, ember.tensor([2, 4, 3]))
    for a, s in zip(parts, seqs):
        np.testing.assert_array_equal(_np(a), s)
    sorted_pack = rnn_utils.pack_sequence([ember.tensor(s) for s in sorted(seqs, key=len,
                                                                           reverse=True)])
    assert sorted_pack.sorted_indices is None and sorted_pack.unsorted_indices is None
    np.testing.assert_array_equal(_np(sorted_pack.batch_sizes), [3, 3, 2, 1])


def test_packed_sequence_object():
    p = rnn_utils.pack_sequence([ember.ones(3, 2), ember.ones(2, 2)])
    data, batch_sizes, s, u = p              # a 4-tuple like PyTorch's namedtuple
    assert data is p.data and s is None and u is None
    assert p.is_cuda is False
    q = p.to(ember.float64)
    assert q.data.dtype is ember.float64 and q.batch_sizes is p.batch_sizes
    assert p.to(ember.float32) is p
    assert p.double().data.dtype is ember.float64
    r = repr(p)
    assert r.startswith("PackedSequence(data=tensor(") and "batch_sizes=tensor([2, 2, 1])" in r
    inv = rnn_utils.invert_permutation(ember.tensor([2, 0, 1]))
    np.testing.assert_array_equal(_np(inv), [1, 2, 0])
    p2 = rnn_utils.PackedSequence(ember.ones(3), ember.tensor([2, 1]), ember.tensor([1, 0]))
    np.testing.assert_array_equal(_np(p2.unsorted_indices), [1, 0])


def test_pack_pad_gradcheck():
    x = np.random.default_rng(8).standard_normal((4, 3, 2))

    def f(x):
        p = rnn_utils.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        return rnn_utils.pad_packed_sequence(p, padding_value=3.0)[0] * 2

    xt = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(f, (xt,))
    assert ember.autograd.gradgradcheck(f, (xt,))
    ys = [ember.tensor(x[:k, 0], requires_grad=True) for k in (2, 4)]
    assert ember.autograd.gradcheck(
        lambda a, b: rnn_utils.pad_sequence([a, b], padding_side="left") ** 2, tuple(ys))


@requires_torch
def test_utils_errors_match_torch():
    def both(fn_t, fn_e):
        with pytest.raises(Exception) as et:
            fn_t()
        with pytest.raises(type(et.value)) as ee:
            fn_e()
        assert str(ee.value) == str(et.value)
    xt, xe = torch.zeros(4, 3, 2), ember.zeros(4, 3, 2)
    for lens in ([2, 3, 1], [4, 3, 0], [3, 2]):
        both(lambda: torch_rnn_utils.pack_padded_sequence(xt, lens),
             lambda: rnn_utils.pack_padded_sequence(xe, lens))
    both(lambda: torch_rnn_utils.pack_padded_sequence(xt, torch.tensor([[3, 2, 1]])),
         lambda: rnn_utils.pack_padded_sequence(xe, ember.tensor([[3, 2, 1]])))
    pt = torch_rnn_utils.pack_padded_sequence(xt, [3, 2, 1])
    pe = rnn_utils.pack_padded_sequence(xe, [3, 2, 1])
    both(lambda: torch_rnn_utils.pad_packed_sequence(pt, total_length=2),
         lambda: rnn_utils.pad_packed_sequence(pe, total_length=2))
    both(lambda: torch_rnn_utils.pad_sequence([torch.ones(2, 2), torch.ones(3, 3)]),
         lambda: rnn_utils.pad_sequence([ember.ones(2, 2), ember.ones(3, 3)]))
    both(lambda: torch_rnn_utils.pad_sequence([torch.ones(2)], padding_side="up"),
         lambda: rnn_utils.pad_sequence([ember.ones(2)], padding_side="up"))
    both(lambda: torch_rnn_utils.pad_sequence([]), lambda: rnn_utils.pad_sequence([]))
    both(lambda: torch_rnn_utils.pad_sequence(3), lambda: rnn_utils.pad_sequence(3))
    with pytest.raises(RuntimeError, match="larger than the padded sequence length"):
        rnn_utils.pack_padded_sequence(xe, [5, 3, 1])


@requires_torch
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_RELU"])
def test_no_bias_matches_torch(mode):
    kw = dict(bias=False, num_layers=2, bidirectional=True, batch_first=True)
    if mode == "LSTM":
        kw["proj_size"] = 2
    tm, em = _make(mode, **kw)
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4, 4)).astype(np.float32)
    leaves = {"x": (_leaf(x, torch), _leaf(x, ember))}
    pt = torch_rnn_utils.pack_padded_sequence(leaves["x"][0], [2, 4, 3], batch_first=True,
                                              enforce_sorted=False)
    pe = rnn_utils.pack_padded_sequence(leaves["x"][1], [2, 4, 3], batch_first=True,
                                        enforce_sorted=False)
    ot, ht = tm(pt)
    oe, he = em(pe)
    assert_close(oe.data, ot.data)
    _compare_backward(tm, em, (ot.data,) + _as_tuple(ht), (oe.data,) + _as_tuple(he), leaves,
                      rng)
