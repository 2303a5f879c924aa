"""ember.amp.autocast against PyTorch (the oracle): output dtypes of every op kind on CPU in
bfloat16 and float16 autocast, gradients through the casts, state/nesting/decorator rules,
warnings and errors, and the CUDA op lists' wiring (exercised on CPU tensors)."""
import threading
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember import dtypes as _dt
from ember.amp import autocast_mode as am

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

LP = ["bfloat16", "float16"]


@pytest.fixture(autouse=True)
def _clean_autocast_state():
    """Every test starts and ends with autocast off and the fast check at rest."""
    active = am._active[0]
    yield
    st = am._state
    for t, on in list(st.enabled.items()):
        if on:
            am._set_enabled(t, False)
    st.dtype.update(am._DEFAULT_DTYPE)
    st.cache_enabled, st.nesting = True, 0
    st.cache.clear()
    assert am._active[0] == active
    for typ in ("cpu", "cuda"):     # the oracle's state too
        torch.set_autocast_enabled(typ, False)
    torch.set_autocast_dtype("cpu", torch.bfloat16)
    torch.set_autocast_dtype("cuda", torch.float16)


def _needs(lp):
    if lp == "bfloat16":
        pytest.importorskip("ml_dtypes")


# ---------------------------------------------------------------- op dtype table (CPU)
def _inputs(seed=0):
    r = np.random.default_rng(seed)
    f = lambda *s: r.standard_normal(s).astype(np.float32)  # noqa: E731
    return dict(
        m0=f(4, 4), m1=f(4, 4), m2=f(4, 4), v0=f(4), v1=f(4), b0=f(2, 4, 4), b1=f(2, 4, 4),
        b2=f(2, 4, 4), c1=f(1, 2, 6), c2=f(1, 2, 6, 6), c3=f(1, 2, 4, 4, 4), w1=f(3, 2, 3),
        w2=f(3, 2, 3, 3), w3=f(3, 2, 3, 3, 3), t1=f(2, 3, 3), t2=f(2, 3, 3, 3), t3=f(2, 3, 3, 3, 3),
        e1=f(1), q=f(1, 2, 4, 4), grid=f(1, 2, 2, 2) * 0.5, p=r.random((4, 4)).astype(np.float32),
        n5=f(1, 2, 4, 4, 4), s3=f(1, 2, 5), lbl=np.array([0, 1, 2, 3]),
    )


def _make(T, arrs, lp):
    """Tensors of framework T: name -> float32 tensor; 'L:'+name -> low-precision copy."""
    low = getattr(T, lp)
    out = {}
    for k, a in arrs.items():
        out[k] = T.tensor(a)
        if a.dtype == np.float32:
            out["L" + k] = T.tensor(a).to(low)
    return out


# name -> fn(T, F, x) returning a tensor (or tuple: first element's dtype is compared)
OPS = {
    # lower-precision list
    "mm": lambda T, F, x: T.mm(x["m0"], x["m1"]),
    "mm(low,f32)": lambda T, F, x: T.mm(x["Lm0"], x["m1"]),
    "matmul": lambda T, F, x: T.matmul(x["m0"], x["m1"]),
    "__matmul__": lambda T, F, x: x["m0"] @ x["m1"],
    "matmul(1d,1d)": lambda T, F, x: x["v0"] @ x["v1"],
    "Tensor.matmul": lambda T, F, x: x["m0"].matmul(x["m1"]),
    "bmm": lambda T, F, x: T.bmm(x["b0"], x["b1"]),
    "baddbmm": lambda T, F, x: T.baddbmm(x["b0"], x["b1"], x["b2"]),
    "addmm": lambda T, F, x: T.addmm(x["m0"], x["m1"], x["m2"]),
    "addbmm": lambda T, F, x: T.addbmm(x["m0"], x["b1"], x["b2"]),
    "einsum": lambda T, F, x: T.einsum("ij,jk->ik", x["m0"], x["m1"]),
    "multi_dot": lambda T, F, x: T.linalg.multi_dot([x["m0"], x["m1"], x["m2"]]),
    "linalg.vecdot": lambda T, F, x: T.linalg.vecdot(x["m0"], x["m1"]),
    "inner(2d)": lambda T, F, x: T.inner(x["m0"], x["m1"]),
    "linear": lambda T, F, x: F.linear(x["m0"], x["m1"], x["v0"]),
    "linear(low input)": lambda T, F, x: F.linear(x["Lm0"], x["m1"]),
    "linear(3d)": lambda T, F, x: F.linear(x["b0"], x["m1"], x["v0"]),
    "nn.Linear": lambda T, F, x: T.nn.Linear(4, 3)(x["m0"]),
    "conv1d": lambda T, F, x: F.conv1d(x["c1"], x["w1"]),
    "conv2d": lambda T, F, x: F.conv2d(x["c2"], x["w2"], x["e1"].expand(3).contiguous()),
    "conv3d": lambda T, F, x: F.conv3d(x["c3"], x["w3"]),
    "conv_transpose1d": lambda T, F, x: F.conv_transpose1d(x["c1"], x["t1"]),
    "conv_transpose2d": lambda T, F, x: F.conv_transpose2d(x["c2"], x["t2"]),
    "conv_transpose3d": lambda T, F, x: F.conv_transpose3d(x["c3"], x["t3"]),
    "nn.Conv2d": lambda T, F, x: T.nn.Conv2d(2, 3, 3)(x["c2"]),
    "prelu": lambda T, F, x: F.prelu(x["v0"], x["e1"]),
    "sdpa": lambda T, F, x: F.scaled_dot_product_attention(x["q"], x["q"], x["q"]),
    "mha": lambda T, F, x: T.nn.MultiheadAttention(4, 2)(x["b0"], x["b1"], x["b2"])[0],
    "mha(weights)": lambda T, F, x: T.nn.MultiheadAttention(4, 2)(x["b0"], x["b1"], x["b2"])[1],
    # not listed on CPU: run in their inputs' type
    "mv": lambda T, F, x: T.mv(x["m0"], x["v0"]),
    "dot": lambda T, F, x: T.dot(x["v0"], x["v1"]),
    "addmv": lambda T, F, x: T.addmv(x["v0"], x["m0"], x["v1"]),
    "addr": lambda T, F, x: T.addr(x["m0"], x["v0"], x["v1"]),
    "tensordot": lambda T, F, x: T.tensordot(x["m0"], x["m1"]),
    "outer": lambda T, F, x: T.outer(x["v0"], x["v1"]),
    "inner(1d)": lambda T, F, x: T.inner(x["v0"], x["v1"]),
    "relu(low)": lambda T, F, x: F.relu(x["Lv0"]),
    "relu(f32)": lambda T, F, x: F.relu(x["v0"]),
    "add(low,f32)": lambda T, F, x: x["Lv0"] + x["v1"],
    "mul(low,scalar)": lambda T, F, x: x["Lv0"] * 1.5,
    "pow(low,scalar)": lambda T, F, x: x["Lv0"].abs() ** 1.5,
    "exp(low)": lambda T, F, x: T.exp(x["Lv0"]),
    "sum(low)": lambda T, F, x: x["Lv0"].sum(),
    "cumsum(low)": lambda T, F, x: T.cumsum(x["Lv0"], 0),
    "softmax(low)": lambda T, F, x: F.softmax(x["Lm0"], -1),
    "log_softmax(low)": lambda T, F, x: F.log_softmax(x["Lm0"], -1),
    "softmax(low,dtype)": lambda T, F, x: F.softmax(x["Lm0"], -1, dtype=T.float32),
    "layer_norm(low,w32)": lambda T, F, x: F.layer_norm(x["Lm0"], (4,), x["v0"], x["v1"]),
    "group_norm(low)": lambda T, F, x: F.group_norm(x["Lb0"], 2),
    "batch_norm(low,w32)": lambda T, F, x: F.batch_norm(x["Lb0"], None, None, x["v0"][:2],
                                                        x["v1"][:2], training=True),
    "gelu(low)": lambda T, F, x: F.gelu(x["Lv0"]),
    "dropout": lambda T, F, x: F.dropout(x["Lv0"], 0.0),
    "avg_pool2d(low)": lambda T, F, x: F.avg_pool2d(x["Lc2"], 2),
    "max_pool2d(low)": lambda T, F, x: F.max_pool2d(x["Lc2"], 2),
    "max_pool3d(low,indices)": lambda T, F, x: F.max_pool3d(x["Ln5"], 2, return_indices=True),
    "interpolate(low)": lambda T, F, x: F.interpolate(x["Lc2"], scale_factor=2, mode="bilinear"),
    "pad circular(low)": lambda T, F, x: F.pad(x["Lc2"], (1, 1, 1, 1), mode="circular"),
    "norm(low)": lambda T, F, x: x["Lv0"].norm(),
    "cosine_similarity(low)": lambda T, F, x: F.cosine_similarity(x["Lm0"], x["Lm1"]),
    "logsumexp(low)": lambda T, F, x: T.logsumexp(x["Lm0"], 1),
    "embedding": lambda T, F, x: F.embedding(x["lbl"], x["m0"]),
    "mm(f64)": lambda T, F, x: T.mm(x["m0"].double(), x["m1"].double()),
    "mm(out=)": lambda T, F, x: T.mm(x["m0"], x["m1"], out=T.empty(4, 4)),
    "addmm_ (in place)": lambda T, F, x: x["m0"].clone().addmm_(x["m1"], x["m2"]),
    "mm(int)": lambda T, F, x: T.mm(x["lbl"].reshape(2, 2), x["lbl"].reshape(2, 2)),
    # float32 list (CPU)
    "cross_entropy(low)": lambda T, F, x: F.cross_entropy(x["Lm0"], x["lbl"]),
    "nll_loss(low)": lambda T, F, x: F.nll_loss(x["Lm0"], x["lbl"]),
    "mse_loss(low)": lambda T, F, x: F.mse_loss(x["Lv0"], x["Lv1"]),
    "mse_loss(low,f32)": lambda T, F, x: F.mse_loss(x["Lv0"], x["v1"]),
    "l1_loss(low)": lambda T, F, x: F.l1_loss(x["Lv0"], x["Lv1"]),
    "smooth_l1_loss(low)": lambda T, F, x: F.smooth_l1_loss(x["Lv0"], x["Lv1"]),
    "huber_loss(low)": lambda T, F, x: F.huber_loss(x["Lv0"], x["Lv1"]),
    "bce(low)": lambda T, F, x: F.binary_cross_entropy(x["Lp"], x["Lp"]),
    "bce_with_logits(low)": lambda T, F, x: F.binary_cross_entropy_with_logits(x["Lm0"],
                                                                                x["Lp"]),
    "kl_div(low)": lambda T, F, x: F.kl_div(x["Lm0"], x["Lp"], reduction="batchmean"),
    "soft_margin_loss(low)": lambda T, F, x: F.soft_margin_loss(x["Lv0"], x["Lv1"]),
    "margin_ranking_loss(low)": lambda T, F, x: F.margin_ranking_loss(x["Lv0"], x["Lv1"],
                                                                      x["Lv1"].sign()),
    "hinge_embedding_loss(low)": lambda T, F, x: F.hinge_embedding_loss(x["Lv0"],
                                                                        x["Lv1"].sign()),
    "poisson_nll_loss(low)": lambda T, F, x: F.poisson_nll_loss(x["Lv0"], x["Lp"][0]),
    "cosine_embedding_loss(low)": lambda T, F, x: F.cosine_embedding_loss(
        x["Lm0"], x["Lm1"], x["v0"].sign()),
    "triplet_margin_loss(low)": lambda T, F, x: F.triplet_margin_loss(x["Lm0"], x["Lm1"],
                                                                      x["Lm2"]),
    "multi_margin_loss(low)": lambda T, F, x: F.multi_margin_loss(x["Lm0"], x["lbl"]),
    "multilabel_margin_loss(low)": lambda T, F, x: F.multilabel_margin_loss(
        x["Lm0"], x["lbl"].expand(4, 4).contiguous()),
    "avg_pool3d(low)": lambda T, F, x: F.avg_pool3d(x["Ln5"], 2),
    "max_pool3d(low)": lambda T, F, x: F.max_pool3d(x["Ln5"], 2),
    "adaptive_avg_pool3d(low)": lambda T, F, x: F.adaptive_avg_pool3d(x["Ln5"], 2),
    "adaptive_max_pool3d(low)": lambda T, F, x: F.adaptive_max_pool3d(x["Ln5"], 2),
    "interpolate area 3d(low)": lambda T, F, x: F.interpolate(x["Ln5"], size=2, mode="area"),
    "pad reflect 1d(low)": lambda T, F, x: F.pad(x["Ls3"], (1, 1), mode="reflect"),
    "pad reflect 2d(low)": lambda T, F, x: F.pad(x["Lc2"], (1, 1, 1, 1), mode="reflect"),
    "pad replicate 3d(low)": lambda T, F, x: F.pad(x["Ln5"], (1,) * 6, mode="replicate"),
    "grid_sample(low)": lambda T, F, x: F.grid_sample(x["Lc2"], x["Lgrid"],
                                                      align_corners=False),
    "cdist(low)": lambda T, F, x: T.cdist(x["Lm0"], x["Lm1"]),
    "trace(low)": lambda T, F, x: T.trace(x["Lm0"]),
    "prod(low)": lambda T, F, x: x["Lv0"].prod(),
    "quantile(low)": lambda T, F, x: T.quantile(x["Lv0"], 0.5),
    "linalg.inv(low)": lambda T, F, x: T.linalg.inv(x["Lm0"] + 4 * T.eye(4, dtype=x["Lm0"].dtype)),
    "linalg.svdvals(low)": lambda T, F, x: T.linalg.svdvals(x["Lm0"]),
    "fft.rfft(low)": lambda T, F, x: T.fft.rfft(x["Lv0"]),
    # promote list (CPU)
    "cat(low,f32)": lambda T, F, x: T.cat([x["Lv0"], x["v1"]]),
    "cat(low,low)": lambda T, F, x: T.cat([x["Lv0"], x["Lv1"]]),
    "cat(low,f64)": lambda T, F, x: T.cat([x["Lv0"], x["v1"].double()]),
    "stack(low,f32)": lambda T, F, x: T.stack([x["Lv0"], x["v1"]]),
    "index_copy(low,f32)": lambda T, F, x: x["Lv0"].index_copy(0, x["lbl"][:1], x["v1"][:1]),
    "addcmul(f32,low,low)": lambda T, F, x: T.addcmul(x["v0"], x["Lv0"], x["Lv1"]),
}


def _dtype_or_error(T, F, name, arrs, lp):
    x = _make(T, arrs, lp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with T.autocast("cpu", dtype=getattr(T, lp)):
                r = OPS[name](T, F, x)
        except Exception as e:   # noqa: BLE001 - the error kind is compared
            return "error:" + type(e).__name__
    r = r[0] if isinstance(r, tuple) else r
    return str(r.dtype).replace("torch.", "")


@pytest.mark.parametrize("lp", LP)
@pytest.mark.parametrize("name", list(OPS))
def test_cpu_output_dtype_matches_torch(name, lp):
    _needs(lp)
    arrs = _inputs()
    want = _dtype_or_error(torch, TF, name, arrs, lp)
    got = _dtype_or_error(ember, EF, name, arrs, lp)
    assert got == want, f"{name} under {lp} autocast: ember {got}, torch {want}"


def test_every_op_kind_is_covered():
    """The table above reaches all three CPU policies and the untouched cases."""
    policies = set(am._CPU_POLICY.values())
    assert policies == {am.LOWER, am.FP32, am.PROMOTE}
    for op in ("conv2d", "linear", "matmul", "bmm", "scaled_dot_product_attention"):
        assert am._CPU_POLICY[op] is am.LOWER
    for op in ("mse_loss", "nll_loss", "cross_entropy_loss", "avg_pool3d", "prod"):
        assert am._CPU_POLICY[op] is am.FP32
    for op in ("softmax", "layer_norm", "exp", "sum", "mv", "dot"):
        assert op not in am._CPU_POLICY      # CPU keeps these in the input type


# ---------------------------------------------------------------- values and gradients
@pytest.mark.parametrize("lp", LP)
def test_values_of_cast_ops_match_torch(lp):
    _needs(lp)
    arrs = _inputs(1)
    tol = 2e-2 if lp == "bfloat16" else 2e-3
    for name in ("mm", "linear", "conv2d", "addmm", "bmm", "sdpa", "einsum"):
        outs = []
        for T, F in ((torch, TF), (ember, EF)):
            x = _make(T, arrs, lp)
            with T.autocast("cpu", dtype=getattr(T, lp)):
                outs.append(OPS[name](T, F, x).float().detach().numpy())
        np.testing.assert_allclose(outs[1], outs[0], rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("lp", LP)
def test_cast_is_differentiable_and_grads_come_back_float32(lp):
    _needs(lp)
    arrs = _inputs(2)
    res = []
    for T, F in ((torch, TF), (ember, EF)):
        w = T.tensor(arrs["m0"], requires_grad=True)
        b = T.tensor(arrs["v0"], requires_grad=True)
        x = T.tensor(arrs["m1"], requires_grad=True)
        with T.autocast("cpu", dtype=getattr(T, lp)):
            y = F.linear(x, w, b)
            assert y.dtype is getattr(T, lp)
            loss = F.mse_loss(y, T.tensor(arrs["m2"]))
            assert loss.dtype is T.float32
        loss.backward()
        res.append([t.grad for t in (w, b, x)])
    for g_t, g_e in zip(*res):
        assert g_e.dtype is ember.float32 and g_t.dtype is torch.float32
        np.testing.assert_allclose(g_e.numpy(), g_t.numpy(), rtol=2e-2, atol=2e-3)


def test_grad_fn_is_the_cast_copy():
    w = ember.randn(3, 4, requires_grad=True)
    with ember.autocast("cpu"):
        y = EF.linear(ember.randn(2, 4), w)
    names = {fn.name() for fn, _ in y.grad_fn.next_functions if fn is not None}
    assert any("ToCopyBackward0" in n or n == "TBackward0" for n in names), names


@pytest.mark.parametrize("lp", LP)
def test_small_model_training_matches_torch(lp):
    """Three SGD steps under autocast + GradScaler('cpu'): same losses, float32 gradients
    equal to bf16/fp16 tolerance, same parameters."""
    _needs(lp)
    r = np.random.default_rng(3)
    w1 = (r.standard_normal((16, 8)) * 0.3).astype(np.float32)
    w2 = (r.standard_normal((3, 16)) * 0.3).astype(np.float32)
    xs = r.standard_normal((3, 10, 8)).astype(np.float32)
    ys = r.integers(0, 3, (3, 10))
    hist = []
    for T in (torch, ember):
        m = T.nn.Sequential(T.nn.Linear(8, 16), T.nn.ReLU(), T.nn.Linear(16, 3))
        with T.no_grad():
            m[0].weight.copy_(T.tensor(w1))
            m[0].bias.fill_(0.05)
            m[2].weight.copy_(T.tensor(w2))
            m[2].bias.fill_(-0.1)
        opt = T.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        scaler = T.amp.GradScaler("cpu", init_scale=2.0 ** 10)
        h = []
        for i in range(3):
            opt.zero_grad()
            with T.autocast("cpu", dtype=getattr(T, lp)):
                out = m(T.tensor(xs[i]))
                loss = T.nn.functional.cross_entropy(out, T.tensor(ys[i]))
            h.append((str(out.dtype), str(loss.dtype), loss.item()))
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            h.append([p.grad.dtype for p in m.parameters()])
            h.append([p.grad.detach().numpy().copy() for p in m.parameters()])
        h.append([p.detach().numpy().copy() for p in m.parameters()])
        hist.append(h)
    t, e = hist
    for i in range(0, 9, 3):
        assert e[i][:2] == t[i][:2]
        assert e[i][2] == pytest.approx(t[i][2], rel=1e-2)
        assert all(d is ember.float32 for d in e[i + 1])
        for a, b in zip(e[i + 2], t[i + 2]):
            np.testing.assert_allclose(a, b, rtol=3e-2, atol=2e-3)
    for a, b in zip(e[-1], t[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-2, atol=1e-3)


# ---------------------------------------------------------------- state, nesting, decorator
def test_state_functions_match_torch():
    for T in (torch, ember):
        assert T.get_autocast_dtype("cpu") is T.bfloat16
        assert T.get_autocast_dtype("cuda") is T.float16
        assert T.is_autocast_enabled() is False and T.is_autocast_enabled("cpu") is False
        assert T.is_autocast_cache_enabled() is True
        with T.autocast("cpu", dtype=T.float16):
            assert T.is_autocast_enabled("cpu") and not T.is_autocast_enabled()
            assert T.get_autocast_dtype("cpu") is T.float16
            with T.autocast("cpu", enabled=False):
                assert not T.is_autocast_enabled("cpu")
                assert T.mm(T.ones(2, 2), T.ones(2, 2)).dtype is T.float32
            assert T.is_autocast_enabled("cpu")
            assert T.mm(T.ones(2, 2), T.ones(2, 2)).dtype is T.float16
        assert not T.is_autocast_enabled("cpu")
        assert T.get_autocast_dtype("cpu") is T.bfloat16
        assert T.autocast_increment_nesting() == 1
        assert T.autocast_increment_nesting() == 2
        assert T.autocast_decrement_nesting() == 1
        assert T.autocast_decrement_nesting() == 0
        T.set_autocast_dtype("cpu", T.float16)
        assert T.get_autocast_dtype("cpu") is T.float16
        T.set_autocast_dtype("cpu", T.bfloat16)
        T.set_autocast_enabled("cpu", True)
        assert T.is_autocast_enabled("cpu")
        T.set_autocast_enabled("cpu", False)
        T.set_autocast_enabled(True)       # one argument: CUDA's flag
        assert T.is_autocast_enabled() and T.is_autocast_enabled("cuda")
        T.set_autocast_enabled(False)
        assert T.amp.is_autocast_available("cpu") and T.amp.is_autocast_available("cuda:0")
        assert not T.amp.is_autocast_available("meta")
        assert T.autocast is T.amp.autocast


def test_argument_errors_match_torch():
    cases = [
        lambda T: T.set_autocast_enabled("cpu", 1),
        lambda T: T.set_autocast_enabled("foo", True),
        lambda T: T.set_autocast_enabled("meta", True),
        lambda T: T.get_autocast_dtype("meta"),
        lambda T: T.set_autocast_dtype("cpu", True),
        lambda T: T.is_autocast_enabled(True),
        lambda T: T.set_autocast_cache_enabled("yes"),
        lambda T: T.autocast(T.device("cpu")),
        lambda T: T.autocast("foo"),
        lambda T: T.autocast("meta", dtype=T.float16),
        lambda T: T.autocast("cpu")(3),
    ]
    for case in cases:
        errs = []
        for T in (torch, ember):
            with pytest.raises(Exception) as ei:
                case(T)
            # (ember's device class is ember.device.device)
            errs.append((type(ei.value), str(ei.value).replace("ember.device.", "torch.")))
        assert errs[1] == errs[0]


def test_decorator():
    for T in (torch, ember):
        ac = T.autocast("cpu")

        @ac
        def f(a, b):
            return T.mm(a, b), T.is_autocast_enabled("cpu")

        r, on = f(T.ones(2, 2), T.ones(2, 2))
        assert on and r.dtype is T.bfloat16 and f.__name__ == "f"
        assert not T.is_autocast_enabled("cpu")
        with T.autocast("cpu", enabled=False):      # the decorator's state wins inside f
            assert f(T.ones(2, 2), T.ones(2, 2))[1]
            assert not T.is_autocast_enabled("cpu")


def test_state_is_thread_local():
    seen = {}

    def worker():
        seen["on"] = ember.is_autocast_enabled("cpu")
        seen["dtype"] = ember.mm(ember.ones(2, 2), ember.ones(2, 2)).dtype

    with ember.autocast("cpu"):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert ember.mm(ember.ones(2, 2), ember.ones(2, 2)).dtype is ember.bfloat16
    assert seen == {"on": False, "dtype": ember.float32}


def test_weight_cast_cache():
    lin = ember.nn.Linear(4, 4)
    x = ember.randn(2, 4)
    with ember.autocast("cpu"):
        lin(x)
        cached = am._state.cache[id(lin.weight)][1]
        lin(x)
        assert am._state.cache[id(lin.weight)][1] is cached   # one cast per region
        with ember.autocast("cpu"):
            lin(x)
        assert am._state.cache                                  # inner exit keeps it
        assert ember.mm(x, x.t()).dtype is ember.bfloat16       # non-leaf: not cached
    assert not am._state.cache                                  # outermost exit clears
    with ember.autocast("cpu", cache_enabled=False):
        lin(x)
        assert not am._state.cache
    assert ember.is_autocast_cache_enabled()
    with ember.autocast("cpu"):
        with ember.no_grad():
            lin(x)                       # a graph-less cast is not kept for later use
        assert not am._state.cache
        lin(x).float().sum().backward()
    assert lin.weight.grad is not None and lin.weight.grad.dtype is ember.float32


def test_fast_check_is_at_rest_outside_autocast():
    base = am._active[0]
    with ember.autocast("cpu"):
        assert am._active[0] == base + 1
        with ember.autocast("cpu", enabled=False):
            assert am._active[0] == base
    assert am._active[0] == base


def test_float64_and_integer_left_alone_and_mixed_error_matches():
    for T in (torch, ember):
        with T.autocast("cpu"):
            assert T.mm(T.ones(2, 2, dtype=T.float64), T.ones(2, 2, dtype=T.float64)).dtype \
                is T.float64
    msgs = []
    for T in (torch, ember):
        with T.autocast("cpu"), pytest.raises(RuntimeError) as ei:
            T.mm(T.ones(2, 2), T.ones(2, 2, dtype=T.float64))
        msgs.append(str(ei.value))
    assert msgs[1] == msgs[0]


def test_promote_of_two_lower_precision_types_raises_like_torch():
    _needs("bfloat16")
    msgs = []
    for T in (torch, ember):
        with T.autocast("cpu"), pytest.raises(RuntimeError) as ei:
            T.cat([T.ones(2, dtype=T.float16), T.ones(2, dtype=T.bfloat16)])
        msgs.append(str(ei.value))
    assert msgs[1] == msgs[0]


# ---------------------------------------------------------------- warnings
def _record(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = fn()
    return r, [(x.category, str(x.message)) for x in w]


def test_cuda_without_cuda_warns_and_disables_like_torch():
    assert not torch.cuda.is_available() and not ember.cuda.is_available()
    for make in (lambda T: T.autocast("cuda"), lambda T: T.amp.autocast("cuda")):
        (a_t, w_t), (a_e, w_e) = _record(lambda: make(torch)), _record(lambda: make(ember))
        assert w_e == w_t and not a_e._enabled and not a_t._enabled
        with a_e:
            assert not ember.is_autocast_enabled("cuda")


def test_unsupported_dtype_warns_and_disables_like_torch():
    for dt in ("float32", "float64"):
        (a_t, w_t) = _record(lambda: torch.autocast("cpu", dtype=getattr(torch, dt)))
        (a_e, w_e) = _record(lambda: ember.autocast("cpu", dtype=getattr(ember, dt)))
        assert w_e == w_t and w_e and not a_e._enabled
        with a_e:
            assert ember.mm(ember.ones(2, 2), ember.ones(2, 2)).dtype is ember.float32


def test_deprecated_aliases_warn_like_torch():
    for make in (lambda T: T.cpu.amp.autocast(), lambda T: T.cuda.amp.autocast(),
                 lambda T: T.cpu.amp.autocast(dtype=T.float16)):
        (a_t, w_t), (a_e, w_e) = _record(lambda: make(torch)), _record(lambda: make(ember))
        assert w_e == w_t and w_e[0][0] is FutureWarning
        assert a_e._enabled == a_t._enabled and a_e.fast_dtype is getattr(
            ember, str(a_t.fast_dtype).split(".")[1])
    for name in ("custom_fwd", "custom_bwd"):
        _, w_t = _record(lambda: getattr(torch.cuda.amp, name)(lambda *a: None))
        _, w_e = _record(lambda: getattr(ember.cuda.amp, name)(lambda *a: None))
        assert w_e == w_t


def test_legacy_state_functions_warn_like_torch():
    for call in (lambda T: T.is_autocast_cpu_enabled(), lambda T: T.get_autocast_cpu_dtype(),
                 lambda T: T.get_autocast_gpu_dtype(), lambda T: T.set_autocast_cpu_enabled(False),
                 lambda T: T.set_autocast_cpu_dtype(T.bfloat16),
                 lambda T: T.set_autocast_gpu_dtype(T.float16)):
        (r_t, w_t), (r_e, w_e) = _record(lambda: call(torch)), _record(lambda: call(ember))
        assert [c for c, _ in w_e] == [DeprecationWarning]
        assert w_t[0][1].startswith(w_e[0][1])   # PyTorch appends "(Triggered internally...)"
        assert str(r_e).replace("ember", "torch") == str(r_t)


def test_bfloat16_without_ml_dtypes_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_dt.bfloat16, "np", None)
    with pytest.raises(RuntimeError, match="ml_dtypes"):
        ember.autocast("cpu")
    with ember.autocast("cpu", dtype=ember.float16):      # float16 needs no extra package
        assert ember.mm(ember.ones(2, 2), ember.ones(2, 2)).dtype is ember.float16


# ---------------------------------------------------------------- custom_fwd / custom_bwd
def test_custom_fwd_bwd_cast_inputs():
    log = {}
    for T in (torch, ember):
        class Square(T.autograd.Function):
            @staticmethod
            @T.amp.custom_fwd(device_type="cpu", cast_inputs=T.float32)
            def forward(ctx, x):
                log[T.__name__ + "fwd"] = (x.dtype, T.is_autocast_enabled("cpu"))
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @T.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                log[T.__name__ + "bwd"] = T.is_autocast_enabled("cpu")
                x, = ctx.saved_tensors
                return 2 * x * g

        x = T.ones(3, dtype=T.bfloat16, requires_grad=True)
        with T.autocast("cpu"):
            y = Square.apply(x)
        y.sum().backward()
        assert y.dtype is T.float32 and x.grad.dtype is T.bfloat16
        assert log[T.__name__ + "fwd"] == (T.float32, False)
        assert log[T.__name__ + "bwd"] is False
    with pytest.raises(ValueError, match="device_type"):
        ember.amp.custom_fwd(lambda *a: None, device_type=ember.device("cpu"))


# ---------------------------------------------------------------- CUDA, on a stand-in device
class _DeviceArray(np.ndarray):
    def get(self):                      # CuPy's device-to-host copy (Tensor.item uses it)
        return np.asarray(self)


class _StandInCUDA:
    """A 'cuda' backend that keeps NumPy arrays (as tests/test_device.py's), so CUDA tensors,
    autocast('cuda') and its op lists run for real without a GPU."""
    name = "cuda"
    xp = np

    @staticmethod
    def asarray(array, dev=None):
        return np.array(array, copy=True).view(_DeviceArray)

    @staticmethod
    def to_numpy(array):
        return np.array(array, copy=True)


@pytest.fixture
def fake_cuda(monkeypatch):
    from ember import backends
    prev = backends._backends.get("cuda")
    backends.register_backend("cuda", _StandInCUDA())
    monkeypatch.setattr(ember.cuda, "is_available", lambda: True)
    yield
    if prev is None:
        backends._backends.pop("cuda", None)
    else:
        backends._backends["cuda"] = prev


CUDA_CASES = {   # name -> (fn, expected dtype name or error type), per PyTorch's CUDA lists
    "mm": (lambda x, h: ember.mm(x, x), "float16"),
    "mv": (lambda x, h: ember.mv(x, x[0]), "float16"),
    "addmv": (lambda x, h: ember.addmv(x[0], x, x[0]), "float16"),
    "addr": (lambda x, h: ember.addr(x, x[0], x[0]), "float16"),
    "linear": (lambda x, h: EF.linear(x, x), "float16"),
    "conv1d": (lambda x, h: EF.conv1d(x[None], x[:, :, None]), "float16"),
    "softmax": (lambda x, h: EF.softmax(h, -1), "float32"),
    "softmax(dtype)": (lambda x, h: EF.softmax(h, -1, dtype=ember.float16), "float16"),
    "log_softmax": (lambda x, h: EF.log_softmax(h, -1), "float32"),
    "layer_norm": (lambda x, h: EF.layer_norm(h, (4,)), "float32"),
    "group_norm": (lambda x, h: EF.group_norm(h[None], 2), "float32"),
    "exp": (lambda x, h: h.exp(), "float32"),
    "log": (lambda x, h: h.abs().log(), "float32"),
    "pow": (lambda x, h: h ** 2, "float32"),
    "sum": (lambda x, h: h.sum(), "float32"),
    "sum(dtype)": (lambda x, h: h.sum(dtype=ember.float16), "float16"),
    "cumsum": (lambda x, h: h.cumsum(0), "float32"),
    "prod": (lambda x, h: h.prod(), "float32"),
    "norm": (lambda x, h: h.norm(), "float32"),
    "vector_norm": (lambda x, h: ember.linalg.vector_norm(h), "float32"),
    "logsumexp": (lambda x, h: h.logsumexp(1), "float32"),
    "softplus": (lambda x, h: EF.softplus(h), "float32"),
    "mse_loss": (lambda x, h: EF.mse_loss(h, h), "float32"),
    "cross_entropy": (lambda x, h: EF.cross_entropy(h, ember.tensor([0, 1, 2, 3]).to("cuda")),
                      "float32"),
    "cosine_similarity": (lambda x, h: EF.cosine_similarity(h, h), "float32"),
    "interpolate": (lambda x, h: EF.interpolate(h[None, None], scale_factor=2), "float32"),
    "relu": (lambda x, h: EF.relu(h), "float16"),
    "avg_pool3d (CPU list only)": (lambda x, h: EF.avg_pool3d(h[None, None, None], 1),
                                   "float16"),
    "dot (promote)": (lambda x, h: ember.dot(x[0], h[0]), "float32"),
    "addcmul (promote)": (lambda x, h: ember.addcmul(x, h, h), "float32"),
    "atan2 (promote)": (lambda x, h: ember.atan2(h, x), "float32"),
    "cat (CPU list only)": (lambda x, h: ember.cat([h, h]), "float16"),
    "binary_cross_entropy (banned)": (lambda x, h: EF.binary_cross_entropy(
        h.sigmoid(), h.sigmoid()), RuntimeError),
}


@pytest.mark.parametrize("name", list(CUDA_CASES))
def test_cuda_op_lists(fake_cuda, name):
    fn, want = CUDA_CASES[name]
    x = ember.randn(4, 4).to("cuda")
    h = ember.randn(4, 4).half().to("cuda")
    with ember.autocast("cuda"):
        assert ember.is_autocast_enabled() and not ember.is_autocast_enabled("cpu")
        if want is RuntimeError:
            with pytest.raises(RuntimeError, match="unsafe to autocast"):
                fn(x, h)
            return
        r = fn(x, h)
    assert str(r.dtype) == "torch." + want and r.device.type == "cuda"


def test_cuda_autocast_leaves_cpu_tensors_alone(fake_cuda):
    with ember.autocast("cuda"):
        assert ember.mm(ember.ones(2, 2), ember.ones(2, 2)).dtype is ember.float32
        assert ember.mm(ember.ones(2, 2, device="cuda"),
                        ember.ones(2, 2, device="cuda")).dtype is ember.float16
    with ember.autocast("cpu"):
        assert ember.mm(ember.ones(2, 2, device="cuda"),
                        ember.ones(2, 2, device="cuda")).dtype is ember.float32


def test_cuda_training_step_with_scaler(fake_cuda):
    """autocast('cuda') + GradScaler('cuda') on the stand-in device: float16 forward,
    float32 loss and gradients, a skipped step on inf, the scale backed off."""
    lin = ember.nn.Linear(4, 2).to("cuda")
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cuda", init_scale=256.0)
    assert scaler.is_enabled()
    x = ember.randn(3, 4).to("cuda")
    for inject in (False, True):
        opt.zero_grad()
        with ember.autocast("cuda"):
            out = lin(x)
            loss = EF.mse_loss(out, ember.zeros(3, 2, device="cuda"))
        assert out.dtype is ember.float16 and loss.dtype is ember.float32
        scaler.scale(loss).backward()
        assert lin.weight.grad.dtype is ember.float32 and lin.weight.grad.device.type == "cuda"
        if inject:
            lin.weight.grad[0, 0] = float("inf")
        before = lin.weight.detach().cpu()
        scaler.step(opt)
        scaler.update()
        assert bool((lin.weight.detach().cpu() == before).all()) == inject
    assert scaler.get_scale() == 128.0
