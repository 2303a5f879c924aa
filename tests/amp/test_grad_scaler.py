"""ember.amp.GradScaler against PyTorch's (the oracle): the scale sequence with injected infs,
skipped steps, unscale_/step/update bookkeeping and its errors, state_dict, the disabled
'cuda' scaler without CUDA, and the deprecated aliases."""
import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


class _CountingSGD:
    """Wraps an optimizer and counts step() calls (GradScaler must skip them on inf)."""

    def __init__(self, opt):
        self.opt, self.steps = opt, 0
        self.param_groups = opt.param_groups

    def step(self, *args, **kwargs):
        self.steps += 1
        return self.opt.step(*args, **kwargs)

    def zero_grad(self):
        self.opt.zero_grad()


def _run(T, n_steps=9, inf_steps=(2, 5, 6), nan_steps=(7,), **scaler_kw):
    r = np.random.default_rng(0)
    w0 = r.standard_normal((3, 4)).astype(np.float32)
    xs = r.standard_normal((n_steps, 5, 4)).astype(np.float32)
    lin = T.nn.Linear(4, 3)
    with T.no_grad():
        lin.weight.copy_(T.tensor(w0))
        lin.bias.fill_(0.25)
    opt = _CountingSGD(T.optim.SGD(lin.parameters(), lr=0.05))
    scaler = T.amp.GradScaler("cpu", **scaler_kw)
    hist = []
    for i in range(n_steps):
        opt.zero_grad()
        loss = (lin(T.tensor(xs[i])) ** 2).mean()
        scaler.scale(loss).backward()
        if i in inf_steps:
            lin.weight.grad[1, 2] = float("inf")
        if i in nan_steps:
            lin.bias.grad[0] = float("nan")
        before = lin.weight.detach().clone()
        scaler.step(opt)
        skipped = bool((lin.weight.detach() == before).all())
        scaler.update()
        hist.append((scaler.get_scale(), scaler._get_growth_tracker(), opt.steps, skipped,
                     lin.weight.detach().numpy().copy(), lin.bias.grad.numpy().copy()))
    return hist, scaler


@pytest.mark.parametrize("kw", [dict(init_scale=2.0 ** 10, growth_interval=2),
                                dict(init_scale=3.0, growth_factor=3.0, backoff_factor=0.25,
                                     growth_interval=1),
                                dict()])
def test_scale_sequence_and_skipped_steps_match_torch(kw):
    t, _ = _run(torch, **kw)
    e, _ = _run(ember, **kw)
    for i, (a, b) in enumerate(zip(e, t)):
        assert a[:4] == b[:4], f"step {i}: ember {a[:4]}, torch {b[:4]}"
        np.testing.assert_allclose(a[4], b[4], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a[5], b[5], rtol=1e-6, atol=1e-7)   # unscaled grads
    assert [h[3] for h in e] == [i in (2, 5, 6, 7) for i in range(9)]
    assert e[-1][2] == 9 - 4          # optimizer.step ran only on the clean steps


def test_growth_is_kept_finite_like_torch():
    for T in (torch, ember):
        p = T.zeros(2, requires_grad=True)
        opt = T.optim.SGD([p], lr=0.1)
        s = T.amp.GradScaler("cpu", init_scale=3e38, growth_interval=1)
        s.scale(p.sum()).backward()
        s.step(opt)
        s.update()
        assert s.get_scale() == pytest.approx(3e38, rel=1e-6)   # 6e38 overflows: kept


def test_unscale_then_step_and_bookkeeping_errors_match_torch():
    msgs = []
    for T in (torch, ember):
        p = T.ones(3, requires_grad=True)
        opt = T.optim.SGD([p], lr=1.0)
        s = T.amp.GradScaler("cpu", init_scale=4.0)
        errs = []
        for call in (lambda: s.step(opt), lambda: s.unscale_(opt), lambda: s.update()):
            with pytest.raises(AssertionError) as ei:     # before scale(): no _scale
                call()
            errs.append(str(ei.value))
        s.scale((p * 2).sum()).backward()
        assert p.grad.tolist() == [8.0, 8.0, 8.0]
        s.unscale_(opt)
        assert p.grad.tolist() == [2.0, 2.0, 2.0]
        with pytest.raises(RuntimeError) as ei:
            s.unscale_(opt)
        errs.append(str(ei.value))
        s.step(opt)                                        # no second unscale
        assert p.tolist() == [-1.0, -1.0, -1.0]
        for call in (lambda: s.step(opt), lambda: s.unscale_(opt)):
            with pytest.raises(RuntimeError) as ei:
                call()
            errs.append(str(ei.value))
        with pytest.raises(RuntimeError) as ei:
            s.step(opt, closure=lambda: None)
        errs.append(str(ei.value))
        s.update()
        msgs.append(errs)
    assert msgs[1] == msgs[0]


def test_scale_containers_and_errors():
    for T in (torch, ember):
        s = T.amp.GradScaler("cpu", init_scale=2.0)
        a, b = T.ones(2), T.ones(3)
        out = s.scale([a, (b, [a])])
        assert isinstance(out, list) and isinstance(out[1], tuple)
        assert out[1][1][0].tolist() == [2.0, 2.0]
        with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable"):
            s.scale([a, 3])


def test_fp16_grads_refused_like_torch():
    msgs = []
    for T in (torch, ember):
        p = T.ones(2, dtype=T.float16, requires_grad=True)
        opt = T.optim.SGD([p], lr=0.1)
        s = T.amp.GradScaler("cpu", init_scale=2.0)
        s.scale(p.float().sum()).backward()
        with pytest.raises(ValueError) as ei:
            s.step(opt)
        msgs.append(str(ei.value))
    assert msgs[1] == msgs[0] == "Attempting to unscale FP16 gradients."


def test_bfloat16_grads_are_unscaled_in_float32():
    pytest.importorskip("ml_dtypes")
    vals = []
    for T in (torch, ember):
        p = T.tensor([1.0, 3.0, -7.0]).to(T.bfloat16).requires_grad_()
        opt = T.optim.SGD([p], lr=0.0)
        s = T.amp.GradScaler("cpu", init_scale=2.0 ** 7)
        s.scale((p * p).sum()).backward()
        s.unscale_(opt)
        vals.append((str(p.grad.dtype), p.grad.float().tolist()))
    assert vals[1] == vals[0]


def test_state_dict_round_trip_and_pickle():
    _, src = _run(ember, init_scale=2.0 ** 10, growth_interval=3)
    _, ref = _run(torch, init_scale=2.0 ** 10, growth_interval=3)
    sd = src.state_dict()
    assert sd == ref.state_dict()
    assert set(sd) == {"scale", "growth_factor", "backoff_factor", "growth_interval",
                       "_growth_tracker"}
    fresh = ember.amp.GradScaler("cpu")
    fresh.load_state_dict(sd)
    assert fresh.state_dict() == sd and fresh.get_scale() == sd["scale"]
    live = ember.amp.GradScaler("cpu")
    live.scale(ember.ones(1))                               # has its tensors already
    live.load_state_dict(sd)
    assert live.get_scale() == sd["scale"] and live._get_growth_tracker() == sd["_growth_tracker"]
    back = pickle.loads(pickle.dumps(src))
    assert back.state_dict() == sd
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        fresh.load_state_dict({})
    p = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    fresh.scale(p.sum()).backward()
    fresh.unscale_(opt)
    with pytest.raises(AssertionError, match="may only be pickled"):
        pickle.dumps(fresh)


def test_update_with_new_scale():
    for T in (torch, ember):
        s = T.amp.GradScaler("cpu")
        s.scale(T.ones(1))
        s.update(8.0)
        assert s.get_scale() == 8.0
        s.update(T.tensor(16.0))
        assert s.get_scale() == 16.0
        with pytest.raises(AssertionError, match="new_scale should be a float"):
            s.update(T.tensor([1.0, 2.0]))


def test_accessors_and_factor_checks():
    for T in (torch, ember):
        s = T.amp.GradScaler("cpu", init_scale=5.0, growth_factor=3.0, backoff_factor=0.2,
                             growth_interval=7)
        assert (s.get_scale(), s.get_growth_factor(), s.get_backoff_factor(),
                s.get_growth_interval(), s.is_enabled()) == (5.0, 3.0, 0.2, 7, True)
        s.set_growth_factor(4.0)
        s.set_backoff_factor(0.1)
        s.set_growth_interval(9)
        assert (s.get_growth_factor(), s.get_backoff_factor(), s.get_growth_interval()) == \
            (4.0, 0.1, 9)
        with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
            T.amp.GradScaler("cpu", growth_factor=1.0)
        with pytest.raises(AssertionError, match="backoff factor must be < 1.0"):
            T.amp.GradScaler("cpu", backoff_factor=1.0)
        T.amp.GradScaler("cpu", growth_factor=1.0, enabled=False)   # not checked when off


def _record(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = fn()
    return r, [(x.category, str(x.message)) for x in w]


def test_cuda_scaler_without_cuda_warns_and_is_disabled_like_torch():
    assert not ember.cuda.is_available()
    for make in (lambda T: T.amp.GradScaler(), lambda T: T.amp.GradScaler("cuda"),
                 lambda T: T.cuda.amp.GradScaler(), lambda T: T.cpu.amp.GradScaler(),
                 lambda T: T.amp.GradScaler("cuda", enabled=False)):
        (s_t, w_t), (s_e, w_e) = _record(lambda: make(torch)), _record(lambda: make(ember))
        assert w_e == w_t
        assert s_e.is_enabled() == s_t.is_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = ember.amp.GradScaler("cuda", init_scale=1024.0)
    p = ember.ones(2, requires_grad=True)
    opt = _CountingSGD(ember.optim.SGD([p], lr=0.5))
    loss = p.sum()
    assert s.scale(loss) is loss
    loss.backward()
    s.unscale_(opt)
    s.step(opt)
    s.update()
    assert opt.steps == 1 and p.tolist() == [0.5, 0.5]
    assert s.get_scale() == 1.0 and s.state_dict() == {} and s._get_growth_tracker() == 0
