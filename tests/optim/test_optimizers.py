"""ember.optim optimizers against PyTorch: the same parameters and gradients, stepped in both
frameworks, must follow the same trajectory (float32 to rounding, float64 nearly exactly),
with PyTorch's state_dict layout, errors, hooks and repr."""
import copy
import pickle
import re

import numpy as np
import pytest

import ember
from ember.autograd import grad_mode

try:
    import torch
except ImportError:   # PyTorch is an optional test oracle
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 4))
Y = RNG.standard_normal((6, 3))
# Parameters of several shapes, including a 0-dim one.
INIT = [RNG.standard_normal((4, 3)), RNG.standard_normal(3), np.array(0.7),
        RNG.standard_normal((2, 3, 2))]


def loss_and_grads(ws):
    """A smooth non-convex objective of the four parameters and its gradient (float64)."""
    W, b, s, T = [np.asarray(w, np.float64) for w in ws]
    r = X @ W + b
    e = s * r - Y
    f = 0.5 * (e ** 2).sum() + 0.25 * (T ** 4).sum() + 0.1 * np.sin(3 * T).sum()
    return f, [X.T @ (e * s), (e * s).sum(0), np.array((e * r).sum()),
               T ** 3 + 0.3 * np.cos(3 * T)]


def _np(t):
    return t.detach().numpy().copy()


def make_params(lib, dtype, init=INIT):
    return [lib.nn.Parameter(lib.tensor(a.astype(dtype))) for a in init]


def set_grads(lib, params, dtype, sign=1.0, skip=()):
    _, gs = loss_and_grads([_np(p) for p in params])
    for i, (p, g) in enumerate(zip(params, gs)):
        p.grad = None if i in skip else lib.tensor((sign * g).astype(dtype))


def trajectory(lib, name, kwargs, dtype, steps=25, groups=False, skip_every=0):
    """Parameters after each of `steps` steps (gradients fed from NumPy)."""
    params = make_params(lib, dtype)
    if groups:   # two groups, the second with its own lr
        spec = [{"params": params[:2]}, {"params": params[2:], "lr": kwargs["lr"] * 0.5}]
    else:
        spec = params
    opt = getattr(lib.optim, name)(spec, **kwargs)
    sign = -1.0 if kwargs.get("maximize") else 1.0   # maximize(-f): still a descent
    out = []
    for i in range(steps):
        # Now and then one parameter has no gradient: it must be skipped (state untouched).
        skip = (i % 3,) if skip_every and i % skip_every == 0 else ()
        set_grads(lib, params, dtype, sign, skip)
        opt.step()
        out.append([_np(p) for p in params])
    return out, opt


def assert_close_traj(a, b, dtype):
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    for step, (xs, ys) in enumerate(zip(a, b)):
        for x, y in zip(xs, ys):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"step {step}")


def state_summary(lib, opt):
    """The state_dict's structure: per-index keys with (type, dtype, shape); param_groups."""
    sd = opt.state_dict()
    state = {}
    for idx, st in sd["state"].items():
        state[idx] = {}
        for k, v in st.items():
            if isinstance(v, lib.Tensor):
                state[idx][k] = ("Tensor", str(v.dtype).replace("torch.", ""), tuple(v.shape))
            else:
                state[idx][k] = (type(v).__name__,)
    return state, sd["param_groups"]


CASES = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, foreach=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.05, fused=True)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Adamax", dict(lr=0.02, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.01, t0=5, lambd=1e-3, alpha=0.5, weight_decay=0.1)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1), maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, weight_decay=0.1, d=2.0, eps=(1e-20, 1e-3), beta2_decay=-0.5,
                       maximize=True)),
]
CASE_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=CASE_IDS)
def test_trajectory_matches_torch(name, kwargs, dtype):
    a, opt_e = trajectory(ember, name, kwargs, dtype)
    b, opt_t = trajectory(torch, name, kwargs, dtype)
    assert_close_traj(a, b, dtype)
    assert state_summary(ember, opt_e) == state_summary(torch, opt_t)


@requires_torch
@pytest.mark.parametrize("name,kwargs", [CASES[2], CASES[5], CASES[13], CASES[20], CASES[23],
                                         CASES[27], CASES[29]],
                         ids=["SGD", "Adam", "NAdam", "RMSprop", "Adagrad", "ASGD", "Rprop"])
def test_groups_and_missing_grads_match_torch(name, kwargs):
    a, opt_e = trajectory(ember, name, kwargs, np.float32, steps=20, groups=True, skip_every=2)
    b, opt_t = trajectory(torch, name, kwargs, np.float32, steps=20, groups=True, skip_every=2)
    assert_close_traj(a, b, np.float32)
    assert state_summary(ember, opt_e) == state_summary(torch, opt_t)


@requires_torch
@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "SGD", "Adagrad", "Rprop"])
def test_complex_params_match_torch(name):
    rng = np.random.default_rng(3)
    z0 = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(np.complex64)
    kwargs = {"lr": 0.05}
    if name in ("SGD", "RMSprop"):
        kwargs["momentum"] = 0.9
    res = []
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.tensor(z0.copy()))
        opt = getattr(lib.optim, name)([p], **kwargs)
        traj = []
        for i in range(15):
            z = _np(p)
            p.grad = lib.tensor((z * (np.abs(z) ** 2) - (1 + 1j) * (i % 4)).astype(np.complex64))
            opt.step()
            traj.append(_np(p))
        res.append(traj)
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


@requires_torch
def test_sparse_adam_matches_torch_sparse_gradients():
    # ember's SparseAdam reads a dense gradient's nonzero rows as PyTorch's sparse gradient.
    rng = np.random.default_rng(2)
    init = [rng.standard_normal((6, 3)), rng.standard_normal(7)]

    def grads(step):
        r = np.random.default_rng(step)
        g0 = r.standard_normal((6, 3))
        g0[r.random(6) < 0.5] = 0
        g1 = r.standard_normal(7)
        g1[r.random(7) < 0.4] = 0
        return [g0, g1]

    for dtype in (np.float32, np.float64):
        res = []
        for lib in (ember, torch):
            params = make_params(lib, dtype, init)
            opt = lib.optim.SparseAdam(params, lr=0.05, betas=(0.8, 0.99))
            traj = []
            for s in range(20):
                for p, g in zip(params, grads(s)):
                    gt = lib.tensor(g.astype(dtype))
                    p.grad = gt.to_sparse(1) if lib is torch else gt
                opt.step()
                traj.append([_np(p) for p in params])
            res.append((traj, state_summary(lib, opt)))
        assert_close_traj(res[0][0], res[1][0], dtype)
        assert res[0][1] == res[1][1]


# ---------------------------------------------------------------------- LBFGS
def convex_loss_and_grads(ws):
    """A strictly convex objective: L-BFGS on it is not chaotic, so the frameworks' iterates
    can be compared (on a non-convex one PyTorch itself lands elsewhere after a 1-ulp nudge)."""
    W, b, s, T = [np.asarray(w, np.float64) for w in ws]
    e = X @ W + b - Y
    f = 0.5 * (e ** 2).sum() + (s - 0.3) ** 2 + 0.25 * ((T - 0.5) ** 4).sum() + 0.5 * (T ** 2).sum()
    return f, [X.T @ e, e.sum(0), np.array(2 * (s - 0.3)), (T - 0.5) ** 3 + T]


def lbfgs_run(lib, kwargs, dtype, steps=4):
    params = make_params(lib, dtype)
    opt = lib.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        f, gs = convex_loss_and_grads([_np(p) for p in params])
        for p, g in zip(params, gs):
            p.grad = lib.tensor(g.astype(dtype))
        return lib.tensor(np.array(f, dtype))

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        out.append(([_np(p) for p in params], float(loss)))
    return out, opt


# (options, whether 4 steps reach the optimum: past it, iterates and internal state are
# rounding noise, so only their structure is compared)
LBFGS_CASES = [(dict(), True), (dict(line_search_fn="strong_wolfe"), True),
               (dict(lr=0.5, history_size=3, max_iter=5), False),
               (dict(history_size=3, max_iter=7, line_search_fn="strong_wolfe"), True),
               (dict(max_iter=3, line_search_fn="strong_wolfe"), False)]


@requires_torch
@pytest.mark.parametrize("kwargs,converges", LBFGS_CASES,
                         ids=["plain", "wolfe", "short", "short-wolfe", "3-wolfe"])
def test_lbfgs_matches_torch(kwargs, converges):
    # Dot products are summed in a different order than PyTorch's BLAS, so iterates agree to
    # the noise L-BFGS makes of last-bit differences (PyTorch's own after a 1-ulp nudge of
    # the start is as large).
    for dtype, rtol, atol in ((np.float64, 1e-9, 1e-8), (np.float32, 1e-5, 2e-4)):
        a, opt_e = lbfgs_run(ember, kwargs, dtype)
        b, opt_t = lbfgs_run(torch, kwargs, dtype)
        for (pa, la), (pb, lb) in zip(a, b):
            assert la == pytest.approx(lb, rel=rtol)
            for x, y in zip(pa, pb):
                np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)
        se, st = opt_e.state[opt_e._params[0]], opt_t.state[opt_t._params[0]]
        assert set(se) == set(st)
        for key in ("d", "prev_flat_grad", "t", "H_diag", "prev_loss"):
            ve, vt = se[key], st[key]
            assert type(ve).__name__ == type(vt).__name__, key
            if isinstance(vt, torch.Tensor):
                assert str(ve.dtype) == str(vt.dtype) and tuple(ve.shape) == tuple(vt.shape)
                ve, vt = _np(ve), vt.numpy()
            if not converges:
                np.testing.assert_allclose(ve, vt, rtol=1e-3, atol=atol)
        assert [type(x).__name__ for x in se["ro"]] == [type(x).__name__ for x in st["ro"]]
        if not converges:
            assert (se["func_evals"], se["n_iter"]) == (st["func_evals"], st["n_iter"])
            assert len(se["old_dirs"]) == len(st["old_dirs"])


def test_lbfgs_minimises_quadratic_and_checks_groups():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((5, 5))
    A = A @ A.T + np.eye(5)
    b = rng.standard_normal(5)
    x = ember.nn.Parameter(ember.zeros(5, dtype=ember.float64))
    opt = ember.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=50,
                            tolerance_grad=1e-12, tolerance_change=1e-14)

    def closure():
        xv = _np(x)
        x.grad = ember.tensor(A @ xv - b)
        return ember.tensor(0.5 * xv @ A @ xv - b @ xv)

    opt.step(closure)
    np.testing.assert_allclose(_np(x), np.linalg.solve(A, b), rtol=1e-6)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        ember.optim.LBFGS([{"params": [x]}, {"params": [ember.nn.Parameter(ember.ones(2))]}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        x.data = ember.zeros(5, dtype=ember.float64)
        ember.optim.LBFGS([x], line_search_fn="armijo").step(closure)


# ---------------------------------------------------------------------- autograd integration
@requires_torch
@pytest.mark.parametrize("name,kwargs", [("Adam", dict(lr=0.05)),
                                         ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True))])
def test_training_with_autograd_matches_torch(name, kwargs):
    rng = np.random.default_rng(7)
    Xn = rng.standard_normal((16, 5)).astype(np.float32)
    Yn = rng.standard_normal((16, 2)).astype(np.float32)
    W0 = rng.standard_normal((5, 2)).astype(np.float32)
    res = []
    for lib in (ember, torch):
        W = lib.nn.Parameter(lib.tensor(W0.copy()))
        b = lib.nn.Parameter(lib.zeros(2))
        opt = getattr(lib.optim, name)([W, b], **kwargs)
        Xt, Yt = lib.tensor(Xn), lib.tensor(Yn)
        losses = []
        for _ in range(20):
            opt.zero_grad()
            r = Xt @ W + b - Yt
            loss = (r * r).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        res.append((losses, _np(W), _np(b)))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-5)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-5, atol=1e-6)
    assert res[0][0][-1] < res[0][0][0]


def test_closure_runs_with_grad_enabled_and_returns_loss():
    w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
    opt = ember.optim.SGD([w], lr=0.1)
    seen = []

    def closure():
        seen.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and loss.item() == 5.0
    np.testing.assert_allclose(_np(w), [0.8, -1.6], rtol=1e-6)
    assert w._version > 0   # the in-place update bumped the version counter
    assert opt.step() is None


# ---------------------------------------------------------------------- state_dict
@requires_torch
@pytest.mark.parametrize("name,kwargs", [CASES[2], CASES[5], CASES[14], CASES[20], CASES[23],
                                         CASES[25], CASES[27], CASES[29]],
                         ids=["SGD", "Adam", "NAdam", "RMSprop", "Adagrad", "Adadelta", "ASGD",
                              "Rprop"])
def test_state_dict_round_trip_resumes_identically(name, kwargs):
    dtype = np.float32
    params = make_params(ember, dtype)
    opt = getattr(ember.optim, name)(params, **kwargs)
    for _ in range(7):
        set_grads(ember, params, dtype)
        opt.step()
    sd = copy.deepcopy(opt.state_dict())
    saved = [_np(p) for p in params]
    # The dict survives pickling (ember.save pickles it).
    sd = pickle.loads(pickle.dumps(sd))

    params2 = make_params(ember, dtype, saved)
    opt2 = getattr(ember.optim, name)(params2, **kwargs)
    opt2.load_state_dict(sd)
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    for _ in range(8):
        for ps in (params, params2):
            set_grads(ember, ps, dtype)
        opt.step()
        opt2.step()
        for p, q in zip(params, params2):
            np.testing.assert_array_equal(_np(p), _np(q))


@requires_torch
def test_load_state_dict_casts_state_like_torch():
    res = []
    for lib in (ember, torch):
        p64 = make_params(lib, np.float64)
        opt64 = lib.optim.Adam(p64, lr=0.01, amsgrad=True)
        set_grads(lib, p64, np.float64)
        opt64.step()
        p32 = make_params(lib, np.float32)
        opt32 = lib.optim.Adam(p32, lr=0.01, amsgrad=True)
        opt32.load_state_dict(opt64.state_dict())
        st = opt32.state[p32[0]]
        res.append({k: str(v.dtype).replace("torch.", "") for k, v in st.items()})
        # step is kept as is (shared with the source dict), as PyTorch does.
        assert st["step"] is opt64.state[p64[0]]["step"]
    assert res[0] == res[1]
    assert res[0]["exp_avg"] == "float32" and res[0]["step"] == "float32"


def test_load_state_dict_errors():
    p = [ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.ones(3))]
    opt = ember.optim.SGD(p, lr=0.1, momentum=0.9)
    other = ember.optim.SGD([p[0]], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group"):
        opt.load_state_dict(other.state_dict())
    two = ember.optim.SGD([{"params": [p[0]]}, {"params": [p[1]]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of "
                                         "parameter groups"):
        opt.load_state_dict(two.state_dict())


def test_state_dict_layout_and_step_dtype():
    params = make_params(ember, np.float32)
    opt = ember.optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}])
    set_grads(ember, params, np.float32, skip=(2,))
    opt.step()
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 3]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2, 3]]
    step = sd["state"][0]["step"]
    assert isinstance(step, ember.Tensor) and step.dtype is ember.float32 and step.shape == ()
    assert step.item() == 2.0
    # The state dicts are the optimizer's own, as in PyTorch.
    assert sd["state"][0] is opt.state[params[0]]
    ember.set_default_dtype(ember.float64)
    o64 = ember.optim.Adam([ember.nn.Parameter(ember.ones(2))])
    o64.param_groups[0]["params"][0].grad = ember.ones(2)
    o64.step()
    assert o64.state_dict()["state"][0]["step"].dtype is ember.float64


def test_named_parameters_groups():
    w, b = ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.zeros(1))
    opt = ember.optim.SGD([("w", w), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="all optimizer param groups should be with/without "
                                         "names"):
        opt.add_param_group({"params": [ember.nn.Parameter(ember.ones(1))]})


# ---------------------------------------------------------------------- errors
def test_param_errors_match_torch():
    p = ember.nn.Parameter(ember.ones(2))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        ember.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the "
                                        "params is int"):
        ember.optim.SGD([p, 5], lr=0.1)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an "
                                        "iterable of Tensors or dicts, but got "
                                        "torch.FloatTensor"):
        ember.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ember.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        ember.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered "
                                        "collections"):
        ember.optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([p, p], lr=0.1)


@pytest.mark.parametrize("make,exc,msg", [
    (lambda p: ember.optim.SGD(p, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda p: ember.optim.SGD(p, lr=0.1, momentum=-0.5), ValueError,
     "Invalid momentum value: -0.5"),
    (lambda p: ember.optim.SGD(p, lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: ember.optim.Adam(p, betas=(1.0, 0.9)), ValueError,
     "Invalid beta parameter at index 0: 1.0"),
    (lambda p: ember.optim.Adam(p, betas=(0, 0.9)), ValueError,
     "betas must be either both floats or both Tensors"),
    (lambda p: ember.optim.Adam(p, eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    (lambda p: ember.optim.AdamW(p, weight_decay=-1.0), ValueError,
     "Invalid weight_decay value: -1.0"),
    (lambda p: ember.optim.NAdam(p, momentum_decay=-1.0), ValueError,
     "Invalid momentum_decay value: -1.0"),
    (lambda p: ember.optim.RMSprop(p, alpha=-1.0), ValueError, "Invalid alpha value: -1.0"),
    (lambda p: ember.optim.Adadelta(p, rho=1.5), ValueError, "Invalid rho value: 1.5"),
    (lambda p: ember.optim.Adagrad(p, lr_decay=-1.0), ValueError,
     "Invalid lr_decay value: -1.0"),
    (lambda p: ember.optim.Rprop(p, etas=(1.5, 1.2)), ValueError,
     "Invalid eta values: 1.5, 1.2"),
    (lambda p: ember.optim.SparseAdam(p, lr=0.0), ValueError, "Invalid learning rate: 0.0"),
    (lambda p: ember.optim.SGD(p, lr=0.1, foreach=True, fused=True), RuntimeError,
     "`fused` and `foreach` cannot be `True` together."),
    (lambda p: ember.optim.Adam(p, differentiable=True), NotImplementedError,
     "differentiable=True"),
])
def test_hyperparameter_errors(make, exc, msg):
    p = [ember.nn.Parameter(ember.ones(2))]
    with pytest.raises(exc, match=re.escape(msg)):
        make(p)


@requires_torch
@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.SGD(p, lr=-1),
    lambda lib, p: lib.optim.Adam(p, betas=(1.0, 0.9)),
    lambda lib, p: lib.optim.Rprop(p, etas=(1.5, 1.2)),
    lambda lib, p: lib.optim.Adam(p, betas=(0, 0.9)),
])
def test_hyperparameter_error_messages_equal_torch(make):
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(ValueError) as info:
            make(lib, [lib.nn.Parameter(lib.ones(2))])
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


# ---------------------------------------------------------------------- repr, groups, zero_grad
@requires_torch
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", {}),
                                         ("AdamW", dict(amsgrad=True)), ("RMSprop", {}),
                                         ("LBFGS", {}), ("SparseAdam", {}), ("Rprop", {}),
                                         ("NAdam", {}), ("ASGD", {}), ("Adagrad", {}),
                                         ("Adafactor", {}), ("Adadelta", {}), ("Adamax", {}),
                                         ("RAdam", {})])
def test_repr_and_param_groups_match_torch(name, kwargs):
    out = []
    for lib in (ember, torch):
        p = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
        if name == "LBFGS":
            opt = lib.optim.LBFGS(p, **kwargs)
        else:
            opt = getattr(lib.optim, name)([{"params": p[:1]}], **kwargs)
            opt.add_param_group({"params": p[1:], "lr": 0.5})
        groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
        out.append((repr(opt), groups, opt.defaults))
    assert out[0] == out[1]


def test_add_param_group_fills_defaults_and_required():
    from ember.optim.optimizer import Optimizer, required

    class Custom(Optimizer):
        def __init__(self, params, lr=required, beta=0.5):
            super().__init__(params, {"lr": lr, "beta": beta})

        @ember.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad * -group["lr"])

    a, b = ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.ones(2))
    opt = Custom([a], lr=0.5)
    opt.add_param_group({"params": b, "beta": 0.9})
    assert opt.param_groups[1] == {"params": [b], "beta": 0.9, "lr": 0.5}
    with pytest.raises(ValueError, match="parameter group didn't specify a value of required "
                                         "optimization parameter lr"):
        Custom([a])
    # A user-defined optimizer gets the step hooks too.
    calls = []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    a.grad = ember.ones(2)
    opt.step()
    assert calls == ["post"]
    np.testing.assert_allclose(_np(a), [0.5, 0.5])


def test_zero_grad():
    p = ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.SGD([p], lr=0.1)
    p.grad = ember.ones(3)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and _np(p.grad).tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


# ---------------------------------------------------------------------- hooks
def test_step_hooks_order_removal_and_arg_rewrite():
    from ember.optim.optimizer import (register_optimizer_step_pre_hook,
                                       register_optimizer_step_post_hook)
    p = ember.nn.Parameter(ember.ones(2))
    p.grad = ember.ones(2)
    opt = ember.optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o is opt)))
    g1 = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("gpre",)))
    g2 = register_optimizer_step_post_hook(lambda o, a, k: calls.append(("gpost",)))
    try:
        opt.step()
    finally:
        g1.remove()
        g2.remove()
    assert calls == [("gpre",), ("pre", True), ("post", True), ("gpost",)]
    h1.remove()
    h2.remove()
    calls.clear()
    opt.step()
    assert calls == []

    # A pre-hook may replace (args, kwargs): here it supplies a closure.
    def add_closure(o, args, kwargs):
        return args, {"closure": lambda: ember.tensor(42.0)}

    with opt.register_step_pre_hook(add_closure):
        assert opt.step().item() == 42.0
    bad = opt.register_step_pre_hook(lambda o, a, k: "nope")
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()
    bad.remove()


def test_state_dict_and_load_hooks():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.1)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("sd_pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append("load_pre"))
    opt.register_load_state_dict_post_hook(lambda o: seen.append("load_post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert seen == ["sd_pre", "load_pre", "load_post"]


def test_optimizer_deepcopy_and_pickle():
    params = make_params(ember, np.float32)
    opt = ember.optim.Adam(params, lr=0.01)
    set_grads(ember, params, np.float32)
    opt.step()
    opt2 = copy.deepcopy(opt)
    assert isinstance(opt2, ember.optim.Adam) and len(opt2.state) == 4
    p2 = opt2.param_groups[0]["params"][0]
    assert p2 is not params[0]
    np.testing.assert_array_equal(_np(opt2.state[p2]["exp_avg"]),
                                  _np(opt.state[params[0]]["exp_avg"]))
    opt3 = pickle.loads(pickle.dumps(opt))
    assert opt3.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


@requires_torch
def test_tensor_lr_matches_torch():
    res = []
    for lib in (ember, torch):
        params = make_params(lib, np.float32)
        opt = lib.optim.SGD(params, lr=lib.tensor(0.01), momentum=0.9)
        traj = []
        for _ in range(10):
            set_grads(lib, params, np.float32)
            opt.step()
            traj.append([_np(p) for p in params])
        res.append(traj)
    assert_close_traj(res[0], res[1], np.float32)


def test_foreach_and_fused_flags_give_same_results():
    base, _ = trajectory(ember, "Adam", dict(lr=0.01), np.float32, steps=10)
    for flags in (dict(foreach=True), dict(foreach=False), dict(fused=True),
                  dict(capturable=True)):
        other, _ = trajectory(ember, "Adam", dict(lr=0.01, **flags), np.float32, steps=10)
        assert_close_traj(base, other, np.float32)


def test_step_runs_without_grad_tracking():
    p = ember.nn.Parameter(ember.ones(2))
    p.grad = ember.ones(2)
    opt = ember.optim.Adam([p])
    opt.step()
    assert p.grad_fn is None and p.requires_grad
    assert grad_mode.is_grad_enabled()
