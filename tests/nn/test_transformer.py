"""scaled_dot_product_attention, MultiheadAttention and the Transformer modules against
PyTorch (copied weights; eval mode where dropout would differ), gradchecks incl. double
backward, errors, reprs and initialisation."""
import itertools
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

try:
    import torch
    import torch.nn.functional as TF
except ImportError:   # PyTorch is an optional test oracle
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")


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


def _both(fn_t, fn_e):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as ee:
        fn_e()
    assert str(ee.value) == str(et.value)


def _backward_compare(outs_t, outs_e, leaves, params=(), rng=None, rtol=1e-4, atol=1e-5):
    rng = rng or np.random.default_rng(0)
    lt = le = 0
    for t, e in zip(outs_t, outs_e):
        w = rng.standard_normal(tuple(t.shape)).astype(np.float32)
        lt = lt + (t * torch.tensor(w)).sum()
        le = le + (e * ember.tensor(w)).sum()
    lt.backward()
    le.backward()
    for name, (a, b) in leaves.items():
        assert_close(b.grad, a.grad, rtol, atol, f"grad of {name}")
    for (n, pt), (n2, pe) in params:
        assert n == n2
        assert_close(pe.grad, pt.grad, rtol, atol, f"grad of {n}")


# ---------------------------------------------------------------- SDPA
_R = np.random.default_rng(0)
_Q = _R.standard_normal((2, 3, 4, 8)).astype(np.float32)
_K = _R.standard_normal((2, 3, 5, 8)).astype(np.float32)
_V = _R.standard_normal((2, 3, 5, 6)).astype(np.float32)
_BOOL = _R.random((4, 5)) > 0.3
_BOOL[1] = False                        # a row with no allowed key
_FLOAT = _R.standard_normal((2, 1, 4, 5)).astype(np.float32)


@requires_torch
@pytest.mark.parametrize("case", ["plain", "bool_mask", "float_mask", "causal_scale", "gqa",
                                  "unbatched", "broadcast_batch", "causal_long_query",
                                  "3d"])
def test_sdpa_matches_torch(case):
    q, k, v, kw = _Q, _K, _V, {}
    if case == "bool_mask":
        kw = {"attn_mask": _BOOL}
    elif case == "float_mask":
        kw = {"attn_mask": _FLOAT}
    elif case == "causal_scale":
        kw = {"is_causal": True, "scale": 0.3}
    elif case == "gqa":
        k, v, kw = _K[:, :1], _V[:, :1], {"enable_gqa": True}
    elif case == "unbatched":
        q, k, v = _Q[0, 0], _K[0, 0], _V[0, 0]
    elif case == "broadcast_batch":
        k, v = _K[:1], _V[:1]
    elif case == "causal_long_query":
        q, kw = np.concatenate([_Q, _Q[:, :, :2]], 2), {"is_causal": True}
    elif case == "3d":
        q, k, v = _Q[0], _K[0], _V[0]
    leaves = {n: (torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True))
              for n, a in (("q", q), ("k", k), ("v", v))}
    mt, me = {}, {}
    if "attn_mask" in kw:
        m = kw.pop("attn_mask")
        if m.dtype == np.float32:
            leaves["mask"] = (torch.tensor(m, requires_grad=True),
                              ember.tensor(m, requires_grad=True))
            mt, me = {"attn_mask": leaves["mask"][0]}, {"attn_mask": leaves["mask"][1]}
        else:
            mt, me = {"attn_mask": torch.tensor(m)}, {"attn_mask": ember.tensor(m)}
    ot = TF.scaled_dot_product_attention(*(leaves[n][0] for n in "qkv"), **mt, **kw)
    oe = F.scaled_dot_product_attention(*(leaves[n][1] for n in "qkv"), **me, **kw)
    assert oe.dtype is ember.float32
    assert_close(oe, ot)
    _backward_compare([ot], [oe], leaves)


def test_sdpa_gradcheck_and_double_backward():
    r = np.random.default_rng(1)
    q, k, v = (ember.tensor(r.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    fm = ember.tensor(r.standard_normal((3, 5)), requires_grad=True)
    bm = ember.tensor(r.random((3, 5)) > 0.4)
    bm[0] = False
    cases = [(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
              (q, k, v, fm)),
             (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=bm), (q, k, v)),
             (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                             scale=0.7), (q, k, v))]
    for fn, args in cases:
        assert ember.autograd.gradcheck(fn, args)
        assert ember.autograd.gradgradcheck(fn, args)


def test_sdpa_fully_masked_rows_are_zero_and_dropout():
    q, k, v = ember.randn(1, 3, 4), ember.randn(1, 5, 4), ember.randn(1, 5, 2)
    q.requires_grad_()
    mask = ember.ones(3, 5, dtype=ember.bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(_np(out[0, 1]), 0)
    out.sum().backward()
    assert np.isfinite(_np(q.grad)).all()
    np.testing.assert_array_equal(_np(q.grad[0, 1]), 0)
    # dropout: p=1 zeroes everything; p=0.5 keeps the mean (values are averaged)
    assert not _np(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)).any()
    ones = ember.ones(200, 64, 16)
    d = _np(F.scaled_dot_product_attention(ones, ones, ones, dropout_p=0.5))
    assert abs(d.mean() - 1.0) < 0.02
    ember.manual_seed(4)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    ember.manual_seed(4)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    np.testing.assert_array_equal(_np(a), _np(b))


@requires_torch
def test_sdpa_errors_match_torch():
    def call(lib, q, k, v, **kw):
        f = TF if lib is torch else F
        return f.scaled_dot_product_attention(lib.tensor(q), lib.tensor(k), lib.tensor(v), **kw)
    for lib_kw in [dict(attn_mask="bool", is_causal=True), dict(attn_mask="long")]:
        def run(lib):
            kw = dict(lib_kw)
            m = kw.pop("attn_mask")
            mask = lib.tensor(_BOOL) if m == "bool" else lib.tensor(_BOOL.astype(np.int64))
            return call(lib, _Q, _K, _V, attn_mask=mask, **kw)
        _both(lambda: run(torch), lambda: run(ember))
    _both(lambda: call(torch, _Q, _K[..., :7], _V), lambda: call(ember, _Q, _K[..., :7], _V))
    _both(lambda: call(torch, _Q, _K, _V[:, :, :4]), lambda: call(ember, _Q, _K, _V[:, :, :4]))
    _both(lambda: call(torch, _Q, _K.astype(np.float64), _V),
          lambda: call(ember, _Q, _K.astype(np.float64), _V))
    _both(lambda: call(torch, _Q, _K[:, :2], _V[:, :2], enable_gqa=True),
          lambda: call(ember, _Q, _K[:, :2], _V[:, :2], enable_gqa=True))


# ---------------------------------------------------------------- MultiheadAttention
_MHA_KW = [{}, dict(add_bias_kv=True), dict(add_zero_attn=True), dict(kdim=6, vdim=5),
           dict(bias=False), dict(add_bias_kv=True, add_zero_attn=True)]


def _mha_masks(B, L, S):
    kpm = np.zeros((B, S), bool)
    kpm[0, 3:] = True
    am = np.triu(np.ones((L, S), bool), 1)
    am3 = np.random.default_rng(2).standard_normal((B * 2, L, S)).astype(np.float32)
    return [{}, dict(key_padding_mask=kpm), dict(attn_mask=am),
            dict(attn_mask=am, key_padding_mask=kpm),
            dict(attn_mask=np.where(am, -1.5, 0.0).astype(np.float32)),
            dict(attn_mask=am3, key_padding_mask=np.where(kpm, -np.inf, 0).astype(np.float32))]


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kw", _MHA_KW, ids=lambda kw: "-".join(kw) or "default")
def test_mha_matches_torch(batch_first, kw):
    tm, em = _pair("MultiheadAttention", 8, 2, batch_first=batch_first, **kw)
    assert repr(em) == repr(tm)
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    L, S, B = 4, 5, 3
    rng = np.random.default_rng(3)
    shp = (lambda n, d: (B, n, d)) if batch_first else (lambda n, d: (n, B, d))
    q = rng.standard_normal(shp(L, 8)).astype(np.float32)
    k = rng.standard_normal(shp(S, kw.get("kdim", 8))).astype(np.float32)
    v = rng.standard_normal(shp(S, kw.get("vdim", 8))).astype(np.float32)
    for masks, (need_w, avg) in itertools.product(_mha_masks(B, L, S),
                                                  [(True, True), (True, False),
                                                   (False, True)]):
        leaves = {n: (torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True))
                  for n, a in (("q", q), ("k", k), ("v", v))}
        mt = {n: torch.tensor(m) for n, m in masks.items()}
        me = {n: ember.tensor(m) for n, m in masks.items()}
        ot, wt = tm(*(leaves[n][0] for n in "qkv"), need_weights=need_w,
                    average_attn_weights=avg, **mt)
        oe, we = em(*(leaves[n][1] for n in "qkv"), need_weights=need_w,
                    average_attn_weights=avg, **me)
        what = f"{sorted(masks)} need_weights={need_w} average={avg}"
        assert_close(oe, ot, what=what)
        outs_t, outs_e = [ot], [oe]
        if need_w:
            assert_close(we, wt, what=what + " weights")
            outs_t.append(wt)
            outs_e.append(we)
        else:
            assert we is None
        tm.zero_grad()
        em.zero_grad()
        _backward_compare(outs_t, outs_e, leaves,
                          list(zip(tm.named_parameters(), em.named_parameters())))


@requires_torch
def test_mha_self_attention_unbatched_causal_and_nan_rows():
    tm, em = _pair("MultiheadAttention", 8, 4)
    x = np.random.default_rng(4).standard_normal((5, 8)).astype(np.float32)
    assert_close(em(*[ember.tensor(x)] * 3)[0], tm(*[torch.tensor(x)] * 3)[0])
    xe, xt = ember.tensor(x), torch.tensor(x)
    for kw in (dict(need_weights=True), dict(need_weights=False)):
        mt = torch.nn.Transformer.generate_square_subsequent_mask(5)
        me = nn.Transformer.generate_square_subsequent_mask(5)
        a = tm(xt, xt, xt, attn_mask=mt, is_causal=True, **kw)
        b = em(xe, xe, xe, attn_mask=me, is_causal=True, **kw)
        assert_close(b[0], a[0])
    # a batch entry whose keys are all padded: NaN with weights (plain softmax), 0 without
    xb = np.random.default_rng(5).standard_normal((3, 2, 8)).astype(np.float32)
    kpm = np.array([[True] * 3, [False] * 3]).astype(bool)
    for need_w in (True, False):
        a = tm(*[torch.tensor(xb)] * 3, key_padding_mask=torch.tensor(kpm),
               need_weights=need_w)[0]
        b = em(*[ember.tensor(xb)] * 3, key_padding_mask=ember.tensor(kpm),
               need_weights=need_w)[0]
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-5, atol=1e-5, equal_nan=True)


@requires_torch
def test_mha_errors_and_init():
    _both(lambda: torch.nn.MultiheadAttention(10, 3), lambda: nn.MultiheadAttention(10, 3))
    _both(lambda: torch.nn.MultiheadAttention(0, 3), lambda: nn.MultiheadAttention(0, 3))
    tm, em = _pair("MultiheadAttention", 8, 2)
    x = torch.zeros(4, 2, 8)
    _both(lambda: tm(x, x, x, is_causal=True), lambda: em(*[ember.zeros(4, 2, 8)] * 3,
                                                           is_causal=True))
    _both(lambda: tm(x, x, x, attn_mask=torch.zeros(3, 4)),
          lambda: em(*[ember.zeros(4, 2, 8)] * 3, attn_mask=ember.zeros(3, 4)))
    _both(lambda: tm(x, x, x, key_padding_mask=torch.zeros(2, 4, dtype=torch.int64)),
          lambda: em(*[ember.zeros(4, 2, 8)] * 3,
                     key_padding_mask=ember.zeros(2, 4, dtype=ember.int64)))
    _both(lambda: tm(x, x[:, :, :6], x), lambda: em(ember.zeros(4, 2, 8),
                                                    ember.zeros(4, 2, 6), ember.zeros(4, 2, 8)))
    ember.manual_seed(0)
    m = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = math.sqrt(6 / (64 + 192))        # xavier_uniform_ on (3E, E)
    w = _np(m.in_proj_weight)
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert not _np(m.in_proj_bias).any() and not _np(m.out_proj.bias).any()
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, nn.Linear)
    assert m.bias_k.shape == (1, 1, 64)


@requires_torch
def test_multi_head_attention_forward_function():
    tm, em = _pair("MultiheadAttention", 8, 2)
    rng = np.random.default_rng(6)
    q = rng.standard_normal((4, 3, 8)).astype(np.float32)
    sk = rng.standard_normal((6, 5, 4)).astype(np.float32)

    def run(lib, f, m):
        args = [lib.tensor(q)] * 3 + [8, 2, m.in_proj_weight, m.in_proj_bias, None, None,
                                      False, 0.0, m.out_proj.weight, m.out_proj.bias]
        return f.multi_head_attention_forward(*args, training=False, static_k=lib.tensor(sk),
                                              static_v=lib.tensor(sk))
    a, b = run(torch, TF, tm), run(ember, F, em)
    assert_close(b[0], a[0])
    assert_close(b[1], a[1])


# ---------------------------------------------------------------- Transformer layers
@requires_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_and_decoder_layers_match_torch(norm_first, activation, batch_first):
    act_t = act_e = activation
    if activation == "callable":
        act_t, act_e = torch.nn.SiLU(), nn.SiLU()
    kw = dict(dropout=0.1, norm_first=norm_first, batch_first=batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=act_t, **kw)
        el = nn.TransformerEncoderLayer(8, 2, 16, activation=act_e, **kw)
    copy_weights(tl, el)
    assert repr(el) == repr(tl)
    tl.eval()
    el.eval()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 8)).astype(np.float32)
    kpm = np.zeros((3, 4) if batch_first else (4, 3), bool)
    kpm[1, 2:] = True
    mask = np.triu(np.full((4 if batch_first else 3,) * 2, -np.inf, np.float32), 1)
    leaves = {"x": (torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True))}
    fkpm = np.where(kpm, -np.inf, 0).astype(np.float32)     # float masks of one dtype
    ot = tl(leaves["x"][0], src_mask=torch.tensor(mask),
            src_key_padding_mask=torch.tensor(fkpm))
    oe = el(leaves["x"][1], src_mask=ember.tensor(mask),
            src_key_padding_mask=ember.tensor(fkpm))
    assert_close(oe, ot, 1e-4, 1e-5)
    _backward_compare([ot], [oe], leaves, list(zip(tl.named_parameters(),
                                                   el.named_parameters())))
    td, ed = _pair("TransformerDecoderLayer", 8, 2, 16, activation=act_t if activation !=
                   "callable" else "gelu", **kw)
    assert repr(ed) == repr(td)
    td.eval()
    ed.eval()
    mem = rng.standard_normal((3, 5, 8) if batch_first else (5, 4, 8)).astype(np.float32)
    tgt_len = x.shape[1] if batch_first else x.shape[0]
    tm_ = torch.nn.Transformer.generate_square_subsequent_mask(tgt_len)
    em_ = nn.Transformer.generate_square_subsequent_mask(tgt_len)
    mkpm = np.zeros((x.shape[0] if batch_first else x.shape[1], 5), bool)
    mkpm[0, 4] = True
    leaves = {"x": (torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)),
              "mem": (torch.tensor(mem, requires_grad=True),
                      ember.tensor(mem, requires_grad=True))}
    ot = td(leaves["x"][0], leaves["mem"][0], tgt_mask=tm_, tgt_is_causal=True,
            memory_key_padding_mask=torch.tensor(mkpm))
    oe = ed(leaves["x"][1], leaves["mem"][1], tgt_mask=em_, tgt_is_causal=True,
            memory_key_padding_mask=ember.tensor(mkpm))
    assert_close(oe, ot, 1e-4, 1e-5)
    _backward_compare([ot], [oe], leaves, list(zip(td.named_parameters(),
                                                   ed.named_parameters())))


@requires_torch
def test_full_transformer_matches_torch():
    tt, et = _pair("Transformer", 8, 2, 2, 2, 16, dropout=0.1)
    assert repr(et) == repr(tt)
    assert list(et.state_dict()) == list(tt.state_dict())
    tt.eval()
    et.eval()
    rng = np.random.default_rng(8)
    src = rng.standard_normal((5, 3, 8)).astype(np.float32)
    tgt = rng.standard_normal((4, 3, 8)).astype(np.float32)
    skpm = np.zeros((3, 5), bool)
    skpm[2, 3:] = True
    leaves = {n: (torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True))
              for n, a in (("src", src), ("tgt", tgt))}
    ot = tt(leaves["src"][0], leaves["tgt"][0],
            tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4),
            src_key_padding_mask=torch.tensor(skpm), memory_key_padding_mask=torch.tensor(skpm))
    oe = et(leaves["src"][1], leaves["tgt"][1],
            tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
            src_key_padding_mask=ember.tensor(skpm), memory_key_padding_mask=ember.tensor(skpm))
    assert_close(oe, ot, 1e-4, 1e-5)
    _backward_compare([ot], [oe], leaves, list(zip(tt.named_parameters(),
                                                   et.named_parameters())), rtol=1e-3)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        et(ember.zeros(5, 3, 8), ember.zeros(4, 2, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        et(ember.zeros(5, 3, 8), ember.zeros(4, 3, 6))
    m = nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    assert m.dtype is ember.float64
    np.testing.assert_array_equal(_np(m), np.triu(np.full((3, 3), -np.inf), 1))


@requires_torch
def test_encoder_nested_fast_path_and_warning():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    assert any("enable_nested_tensor is True, but self.use_nested_tensor is False because "
               "encoder_layer.self_attn.batch_first was not True" in str(w.message) for w in rec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        tenc = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(8))
        el = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        eenc = nn.TransformerEncoder(el, 2, norm=nn.LayerNorm(8))
    copy_weights(tenc, eenc)
    tenc.eval()
    eenc.eval()
    x = np.random.default_rng(9).standard_normal((2, 4, 8)).astype(np.float32)
    for kpm in ([[False, False, True, True], [False] * 4], [[True, False, False, True],
                                                            [False] * 4]):
        kpm = np.array(kpm)
        with torch.no_grad():
            a = tenc(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
        with ember.no_grad():
            b = eenc(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
        assert_close(b, a, 1e-4, 1e-5)
        a = tenc(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))  # grad: slow path
        b = eenc(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
        assert_close(b, a, 1e-4, 1e-5)


def test_training_mode_dropout_is_active():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = ember.randn(4, 2, 8)
    a, b = layer(x), layer(x)
    assert not np.allclose(_np(a), _np(b))
    layer.eval()
    np.testing.assert_array_equal(_np(layer(x)), _np(layer(x)))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


@requires_torch
def test_layer_options_bias_eps_and_unbatched():
    tl, el = _pair("TransformerEncoderLayer", 8, 2, 16, bias=False, layer_norm_eps=1e-3,
                   dropout=0.0)
    assert repr(el) == repr(tl)
    assert [n for n, _ in el.named_parameters()] == [n for n, _ in tl.named_parameters()]
    x = np.random.default_rng(10).standard_normal((5, 8)).astype(np.float32)   # unbatched
    assert_close(el(ember.tensor(x)), tl(torch.tensor(x)), 1e-4, 1e-5)
    enc_t = torch.nn.TransformerEncoder(tl, 2, enable_nested_tensor=False)
    enc_e = nn.TransformerEncoder(el, 2, enable_nested_tensor=False)
    copy_weights(enc_t, enc_e)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    assert_close(enc_e(ember.tensor(x), mask=ember.tensor(_np(mask))),
                 enc_t(torch.tensor(x), mask=mask), 1e-4, 1e-5)
