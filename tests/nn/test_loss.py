"""Losses: functional forms and modules against PyTorch (values and input gradients for every
loss x reduction x option), float64 gradchecks (double backward for the fused ones), errors,
warnings, module reprs and constructor argument mapping."""
import warnings

import numpy as np
import pytest

import ember
from tests.conformance.harness import check_op, gradcheck_op, torch, requires_torch

R = np.random.default_rng(0)
REDS = ["none", "mean", "sum"]


def F(lib):
    return lib.nn.functional


def _x(*shape, scale=1.0, dtype=np.float32):
    return np.array(R.standard_normal(shape) * scale, dtype=dtype)


def _u(*shape, lo=0.05, hi=0.95, dtype=np.float32):
    return np.array(R.uniform(lo, hi, shape), dtype=dtype)


def _t(lib, a):
    return None if a is None else lib.tensor(a)


def _away(a, points, gap=2e-2):
    """Move values off a kink (finite differences and ties straddle it)."""
    a = np.array(a)
    for p in points:
        a[np.abs(a - p) < gap] += 3 * gap
    return a


# ================================================================ regression losses
REG = {
    "mse_loss": ({}, []),
    "l1_loss": ({}, [0.0]),
    "smooth_l1_loss": ({"beta": 0.5}, [0.0, 0.5, -0.5]),
    "huber_loss": ({"delta": 0.7}, [0.7, -0.7]),
}


@pytest.mark.parametrize("name", list(REG))
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("shape", [(3, 4), (), (2, 3, 4)])
def test_regression(name, red, shape):
    kw, kinks = REG[name]
    y = _x(*shape)
    x = np.array(y + _away(_x(*shape), kinks), dtype=np.float32)
    check_op(lambda lib, a, b: getattr(F(lib), name)(a, b, reduction=red, **kw), [x, y])


@pytest.mark.parametrize("name", list(REG))
def test_regression_broadcast_warns(name):
    kw, kinks = REG[name]
    y = _x(3, 1)
    x = (_away(_x(3), kinks) + 0.1).astype(np.float32)
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3, 1\]\)\) that is "
                                         r"different to the input size \(torch.Size\(\[3\]\)\)"):
        check_op(lambda lib, a, b: getattr(F(lib), name)(a, b, **kw), [x, y])


def test_smooth_l1_beta_zero_is_l1():
    x, y = _away(_x(3, 4), [0.0]), _x(3, 4)
    check_op(lambda lib, a, b: F(lib).smooth_l1_loss(a, b + 0, beta=0.0), [x + y, y])


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("red", REDS)
def test_regression_weighted(name, red):
    kw, kinks = REG[name]
    y = _x(3, 4)
    x = (y + _away(_x(3, 4), kinks)).astype(np.float32)
    w = _u(3, 4)
    check_op(lambda lib, a, b: getattr(F(lib), name)(a, b, reduction=red, weight=_t(lib, w),
                                                      **kw), [x, y])


def test_regression_dtype_promotion_and_grad_fn():
    x, y = _x(3), _x(3).astype(np.float64)
    check_op(lambda lib, a, b: F(lib).mse_loss(a, b), [x, y])
    e = F(ember).mse_loss(ember.tensor(x, requires_grad=True), ember.tensor(x))
    assert e.grad_fn.name() == "MseLossBackward0"


@pytest.mark.parametrize("name", list(REG))
def test_regression_gradcheck(name):
    kw, kinks = REG[name]
    y = _x(3, 4, dtype=np.float64)
    x = y + _away(_x(3, 4, dtype=np.float64), kinks, gap=0.05)
    for red in REDS:
        gradcheck_op(lambda lib, a, b: getattr(F(lib), name)(a, b, reduction=red, **kw), [x, y],
                     gradgrad=True)


# ================================================================ cross_entropy / nll_loss
def _class_case(shape, ignore=None, seed_classes=None):
    """logits of `shape` (class dim 1, or 0 for 1-D) and int64 targets; some targets set to
    `ignore` when given."""
    C = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + tuple(shape[2:]) if len(shape) > 1 else ()
    t = R.integers(0, C, tshape).astype(np.int64)
    if ignore is not None and t.ndim:
        flat = t.reshape(-1)
        flat[::3] = ignore
    return _x(*shape, scale=2.0), t


CE_OPTS = [
    {},
    {"weight": True},
    {"ignore_index": 1},
    {"ignore_index": -100, "ignore": -100},
    {"label_smoothing": 0.2},
    {"weight": True, "label_smoothing": 0.3, "ignore_index": 2},
    {"weight": True, "ignore_index": 0},
]
CE_SHAPES = [(4, 5), (5,), (2, 5, 3), (2, 4, 3, 2), (2, 3, 2, 2, 2)]


def _ce_kwargs(lib, opts, C):
    kw = {k: v for k, v in opts.items() if k not in ("weight", "ignore")}
    if opts.get("weight"):
        kw["weight"] = lib.tensor(np.linspace(0.3, 1.7, C).astype(np.float32))
    return kw


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("opts", CE_OPTS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items())
                         or "plain")
@pytest.mark.parametrize("red", REDS)
def test_cross_entropy_class_indices(shape, opts, red):
    C = shape[1] if len(shape) > 1 else shape[0]
    x, t = _class_case(shape, ignore=opts.get("ignore", opts.get("ignore_index")))
    check_op(lambda lib, a, b: F(lib).cross_entropy(a, b, reduction=red,
                                                    **_ce_kwargs(lib, opts, C)), [x, t])


@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("opts", [o for o in CE_OPTS if "label_smoothing" not in o],
                         ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "plain")
@pytest.mark.parametrize("red", REDS)
def test_nll_loss(shape, opts, red):
    C = shape[1] if len(shape) > 1 else shape[0]
    x, t = _class_case(shape, ignore=opts.get("ignore", opts.get("ignore_index")))
    check_op(lambda lib, a, b: F(lib).nll_loss(a, b, reduction=red, **_ce_kwargs(lib, opts, C)),
             [x, t])


@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 5, 3), (2, 4, 3, 2)])
@pytest.mark.parametrize("opts", [{}, {"weight": True}, {"label_smoothing": 0.25},
                                  {"weight": True, "label_smoothing": 0.1}],
                         ids=["plain", "weight", "ls", "weight-ls"])
@pytest.mark.parametrize("red", REDS)
def test_cross_entropy_probabilities(shape, opts, red):
    C = shape[1] if len(shape) > 1 else shape[0]
    x = _x(*shape, scale=2.0)
    cdim = 0 if len(shape) == 1 else 1
    p = np.exp(_x(*shape))
    p = (p / p.sum(cdim, keepdims=True)).astype(np.float32)
    check_op(lambda lib, a, b: F(lib).cross_entropy(a, b, reduction=red,
                                                    **_ce_kwargs(lib, opts, C)), [x, p])


def test_cross_entropy_uint8_targets_and_edge_cases():
    x, t = _class_case((4, 5))
    check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(t.astype(np.uint8))), [x])
    # all targets ignored: mean is 0/0 = nan, sum is 0
    tt = np.full(4, -100)
    for red in REDS:
        check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(tt), reduction=red), [x])
        check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(tt), reduction=red,
                                                     label_smoothing=0.1), [x])
    # empty batch
    for red in REDS:
        check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(np.zeros(0, np.int64)),
                                                     reduction=red), [_x(0, 5)])
    # 1-D input with a one-element target (PyTorch's own backward rejects this shape)
    check_op(lambda lib, a: F(lib).nll_loss(a, lib.tensor([2]), reduction="none"), [_x(5)],
             grad=False)
    # float64 logits
    check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(t)), [x.astype(np.float64)])
    # large logits stay finite
    check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(t)), [x * 1e4])


@pytest.mark.parametrize("scale,shift", [(1, 200), (1, -200), (100, 0), (1, 0)])
def test_cross_entropy_extreme_logits(scale, shift):
    # logits whose exponentials overflow or underflow take the max-shifted path
    x = (_x(4, 7) * scale + shift).astype(np.float32)
    x[1] = -1000
    if scale == 100:
        x[2, 3] = np.nan
    t = np.array([0, 1, 2, 6])
    for red in REDS:
        check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(t), reduction=red,
                                                     label_smoothing=0.1), [x])
        check_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(t), reduction=red), [x])


def test_cross_entropy_grad_fn_names():
    x = ember.randn(3, 5, requires_grad=True)
    t = ember.tensor([1, 2, 3])
    assert F(ember).cross_entropy(x, t).grad_fn.name() == "NllLossBackward0"
    assert F(ember).cross_entropy(x, t, label_smoothing=0.1).grad_fn.name() == "AddBackward0"
    x4 = ember.randn(2, 5, 3, 4, requires_grad=True)
    t4 = ember.zeros(2, 3, 4, dtype=ember.long)
    assert F(ember).nll_loss(x4, t4).grad_fn.name() == "NllLoss2DBackward0"


def test_cross_entropy_in_place_logits_after_forward():
    # PyTorch saves the log-probabilities, not the logits: changing them afterwards is fine
    x = ember.randn(3, 5, requires_grad=True)
    y = x * 1
    loss = F(ember).cross_entropy(y, ember.tensor([0, 1, 2]))
    with ember.no_grad():
        y.mul_(2)
    loss.backward()
    assert x.grad is not None


@requires_torch
def test_cross_entropy_retain_graph_second_backward():
    x, t = _class_case((4, 5))
    grads = []
    for lib in (ember, torch):
        a = lib.tensor(x, requires_grad=True)
        loss = F(lib).cross_entropy(a, lib.tensor(t), label_smoothing=0.1)
        loss.backward(retain_graph=True)
        loss.backward()
        grads.append(a.grad.detach().numpy())
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second "
                                               "time"):
            loss.backward()
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("opts", [{}, {"weight": True}, {"label_smoothing": 0.2},
                                  {"weight": True, "label_smoothing": 0.3, "ignore_index": 2}],
                         ids=["plain", "weight", "ls", "all"])
@pytest.mark.parametrize("shape", [(4, 5), (2, 5, 3), (5,)])
def test_cross_entropy_gradcheck(opts, shape):
    C = shape[1] if len(shape) > 1 else shape[0]
    x, t = _class_case(shape, ignore=opts.get("ignore_index"))
    x = x.astype(np.float64)
    kw = _ce_kwargs(ember, opts, C)
    if "weight" in kw:
        kw["weight"] = kw["weight"].double()
    for red in REDS:
        gradcheck_op(lambda lib, a: F(lib).cross_entropy(a, lib.tensor(t), reduction=red, **kw),
                     [x], gradgrad=True)
        if "label_smoothing" not in opts:
            gradcheck_op(lambda lib, a: F(lib).nll_loss(a, lib.tensor(t), reduction=red, **kw),
                         [x], gradgrad=True)


def test_cross_entropy_double_backward_against_torch():
    x, t = _class_case((3, 4))
    w = np.array([0.5, 1.0, 2.0, 1.5], np.float32)

    def fn(lib, a):
        loss = F(lib).cross_entropy(a, lib.tensor(t), weight=lib.tensor(w), label_smoothing=0.1)
        g, = lib.autograd.grad(loss, a, create_graph=True)
        return (g * g).sum()
    check_op(fn, [x])


def test_cross_entropy_probabilities_gradcheck():
    x = _x(3, 4, dtype=np.float64)
    p = _u(3, 4, dtype=np.float64)
    w = ember.tensor([0.5, 1.0, 2.0, 1.5], dtype=ember.float64)
    for red in REDS:
        gradcheck_op(lambda lib, a, b: F(lib).cross_entropy(a, b, weight=w, reduction=red,
                                                            label_smoothing=0.1), [x, p],
                     gradgrad=True)


# ================================================================ binary cross entropy
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("weight", [None, (5,), (3, 5)])
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 5), ()])
def test_binary_cross_entropy(red, weight, shape):
    if weight is not None and len(weight) > len(shape):
        pytest.skip("weight larger than the input")
    x, y = _u(*shape), _u(*shape, lo=0, hi=1)
    w = None if weight is None else _u(*weight)
    check_op(lambda lib, a, b: F(lib).binary_cross_entropy(a, b, weight=_t(lib, w),
                                                           reduction=red), [x, y])


def test_binary_cross_entropy_log_clamp():
    x = np.array([0.0, 1.0, 0.5, 1e-30], np.float32)
    y = np.array([1.0, 0.0, 0.3, 1.0], np.float32)
    check_op(lambda lib, a: F(lib).binary_cross_entropy(a, lib.tensor(y), reduction="none"), [x],
             grad_rtol=1e-4)
    check_op(lambda lib, a: F(lib).binary_cross_entropy(a, lib.tensor(y)), [x], grad_rtol=1e-4)


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("weight", [None, (5,)])
@pytest.mark.parametrize("pos_weight", [None, (5,), (3, 5)])
def test_bce_with_logits(red, weight, pos_weight):
    x, y = _x(3, 5, scale=3), _u(3, 5, lo=0, hi=1)
    w = None if weight is None else _u(*weight)
    pw = None if pos_weight is None else _u(*pos_weight, lo=0.2, hi=3)
    check_op(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(
        a, b, weight=_t(lib, w), pos_weight=_t(lib, pw), reduction=red), [x, y])


def test_bce_with_logits_stable_and_promotes():
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], np.float32)
    y = np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    check_op(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(a, b, reduction="none"),
             [x, y])
    check_op(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(a, b), [x, y])
    check_op(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(a, b),
             [_x(4), _u(4).astype(np.float64)])
    for red in REDS:
        check_op(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(
            a, b, reduction=red, pos_weight=lib.tensor(2.0)), [_x(), _u()])


def test_bce_gradcheck():
    x, y = _u(3, 4, dtype=np.float64), _u(3, 4, dtype=np.float64)
    w = ember.tensor(_u(4, dtype=np.float64))
    pw = ember.tensor(_u(3, 4, lo=0.5, hi=2, dtype=np.float64))
    for red in REDS:
        gradcheck_op(lambda lib, a, b: F(lib).binary_cross_entropy(a, b, weight=w, reduction=red),
                     [x, y], gradgrad=True)
        gradcheck_op(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(
            a, b, weight=w, pos_weight=pw, reduction=red), [x * 4 - 2, y], gradgrad=True)
        gradcheck_op(lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(
            a, b, reduction=red), [x * 4 - 2, y], gradgrad=True)


# ================================================================ composed losses
@pytest.mark.parametrize("red", ["none", "mean", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(red, log_target):
    x = np.log(_u(3, 4))
    y = np.log(_u(3, 4)) if log_target else _u(3, 4)
    y[0, 0] = -np.inf if log_target else 0.0     # a zero-probability target
    ctx = pytest.warns(UserWarning, match="'mean' divides the total loss") if red == "mean" \
        else warnings.catch_warnings()
    with ctx:
        check_op(lambda lib, a, b: F(lib).kl_div(a, b, reduction=red, log_target=log_target),
                 [x, y])


@pytest.mark.parametrize("red", REDS)
def test_margin_losses(red):
    x = _away(_x(4, 5), [-1.0, 1.0, 0.0], gap=0.05)
    s = np.sign(_x(4, 5)).astype(np.float32)
    check_op(lambda lib, a: F(lib).soft_margin_loss(a, lib.tensor(s), reduction=red), [x])
    check_op(lambda lib, a: F(lib).hinge_embedding_loss(
        a, lib.tensor(np.where(s > 0, 1.0, -1.0).astype(np.float32)), margin=0.5, reduction=red),
        [_away(x, [0.5])])
    x1, x2 = _x(6), _x(6)
    x1 = np.where(np.abs(x1 - x2 + 0.2) < 0.05, x1 + 0.2, x1).astype(np.float32)
    x1 = np.where(np.abs(x1 - x2 - 0.2) < 0.05, x1 + 0.2, x1).astype(np.float32)
    y = np.sign(_x(6)).astype(np.float32)
    check_op(lambda lib, a, b: F(lib).margin_ranking_loss(a, b, lib.tensor(y), margin=-0.2,
                                                          reduction=red), [x1, x2])


def test_hinge_embedding_targets_other_than_pm1():
    x = _away(_x(5), [1.0])
    t = np.array([1.0, -1.0, 0.0, 2.0, 1.0], np.float32)
    check_op(lambda lib, a: F(lib).hinge_embedding_loss(a, lib.tensor(t), reduction="none"), [x])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 3, 4)])
def test_multilabel_soft_margin(red, weight, shape):
    x, y = _x(*shape, scale=2), (_u(*shape, lo=0, hi=1) > 0.5).astype(np.float32)
    w = _u(shape[-1]) if weight else None
    check_op(lambda lib, a, b: F(lib).multilabel_soft_margin_loss(a, b, weight=_t(lib, w),
                                                                  reduction=red), [x, y])


@pytest.mark.parametrize("red", REDS)
def test_multilabel_margin(red):
    x = _x(4, 5, scale=0.3)
    t = np.array([[1, 2, -1, 0, 0], [3, 3, -1, 1, 1], [-1, 0, 0, 0, 0], [4, 0, 1, 2, 3]])
    check_op(lambda lib, a: F(lib).multilabel_margin_loss(a, lib.tensor(t), reduction=red), [x])
    check_op(lambda lib, a: F(lib).multilabel_margin_loss(a, lib.tensor(t[0]), reduction=red),
             [x[0]])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("p,margin,weight", [(1, 1.0, False), (2, 0.5, False), (1, 0.7, True),
                                             (2, 1.0, True)])
def test_multi_margin(red, p, margin, weight):
    x = _x(4, 5, scale=0.5)
    t = R.integers(0, 5, 4)
    w = _u(5) if weight else None
    check_op(lambda lib, a: F(lib).multi_margin_loss(a, lib.tensor(t), p=p, margin=margin,
                                                     weight=_t(lib, w), reduction=red), [x])
    check_op(lambda lib, a: F(lib).multi_margin_loss(a, lib.tensor(t[0]), p=p, margin=margin,
                                                     weight=_t(lib, w), reduction=red), [x[0]])


@pytest.mark.parametrize("red", REDS)
def test_cosine_embedding(red):
    x1, x2 = _x(4, 6), _x(4, 6)
    t = np.array([1.0, -1.0, 1.0, -1.0], np.float32)
    check_op(lambda lib, a, b: F(lib).cosine_embedding_loss(a, b, lib.tensor(t), margin=-0.9,
                                                            reduction=red), [x1, x2])
    check_op(lambda lib, a, b: F(lib).cosine_embedding_loss(a, b, lib.tensor(-1.0),
                                                            reduction=red), [x1[0], x1[0] + x2[0]])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, True), (3.0, False), (2, True)])
def test_triplet_margin(red, p, swap):
    a, pos, neg = _x(5, 4), _x(5, 4), _x(5, 4)
    check_op(lambda lib, x, y, z: F(lib).triplet_margin_loss(x, y, z, margin=2.0, p=p, swap=swap,
                                                             reduction=red), [a, pos, neg])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance(red, swap):
    a, pos, neg = _x(5, 4), _x(5, 4), _x(5, 4)
    check_op(lambda lib, x, y, z: F(lib).triplet_margin_with_distance_loss(
        x, y, z, swap=swap, margin=2.0, reduction=red), [a, pos, neg])

    def cos_dist(lib):
        return lambda u, v: 1 - (u * v).sum(-1) / (u.norm(dim=-1) * v.norm(dim=-1))
    check_op(lambda lib, x, y, z: F(lib).triplet_margin_with_distance_loss(
        x, y, z, distance_function=cos_dist(lib), swap=swap, reduction=red), [a, pos, neg])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll(red, log_input, full):
    x = _x(3, 4) if log_input else _u(3, 4, lo=0.1, hi=3)
    y = np.floor(_u(3, 4, lo=0, hi=4)).astype(np.float32)
    check_op(lambda lib, a, b: F(lib).poisson_nll_loss(a, b, log_input=log_input, full=full,
                                                       reduction=red), [x, y])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1), (1, 4), "float"])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll(red, var_shape, full):
    x, y = _x(3, 4), _x(3, 4)
    if var_shape == "float":
        check_op(lambda lib, a, b: F(lib).gaussian_nll_loss(a, b, 0.7, full=full, reduction=red),
                 [x, y])
        return
    v = _u(*var_shape, lo=0.2, hi=2)
    v.reshape(-1)[0] = 1e-9        # clamped to eps, gradient still flows
    check_op(lambda lib, a, b, c: F(lib).gaussian_nll_loss(a, b, c, full=full, reduction=red),
             [x, y, v], grad_rtol=1e-3)


def test_composed_gradchecks():
    d = np.float64
    x, y = _x(3, 4, dtype=d), _x(3, 4, dtype=d)
    s = np.sign(_x(3, 4, dtype=d))
    pos = _u(3, 4, dtype=d)
    t = R.integers(0, 4, 3)
    mlm = np.array([[1, 2, -1, 0], [3, -1, 1, 1], [0, 1, 2, 3]])
    cases = [
        (lambda lib, a, b: F(lib).kl_div(a, b, reduction="batchmean"), [np.log(pos), pos]),
        (lambda lib, a, b: F(lib).kl_div(a, b, reduction="sum", log_target=True),
         [np.log(pos), np.log(_u(3, 4, dtype=d))]),
        (lambda lib, a: F(lib).soft_margin_loss(a, lib.tensor(s)), [x]),
        (lambda lib, a, b: F(lib).multilabel_soft_margin_loss(a, b), [x, pos]),
        (lambda lib, a: F(lib).multilabel_margin_loss(a, lib.tensor(mlm)), [x * 0.2]),
        (lambda lib, a: F(lib).multi_margin_loss(a, lib.tensor(t), p=2, weight=lib.tensor(
            pos[0])), [x * 0.2]),
        (lambda lib, a: F(lib).hinge_embedding_loss(a, lib.tensor(s), margin=0.3),
         [_away(x, [0.3], 0.05)]),
        (lambda lib, a, b: F(lib).cosine_embedding_loss(a, b, lib.tensor(s[:, 0]), margin=-0.9),
         [x, y]),
        (lambda lib, a, b: F(lib).margin_ranking_loss(a, b, lib.tensor(s), margin=5.0), [x, y]),
        (lambda lib, a, b, c: F(lib).triplet_margin_loss(a, b, c, margin=5.0, swap=True),
         [x, y, _x(3, 4, dtype=d)]),
        (lambda lib, a, b: F(lib).poisson_nll_loss(a, b, full=True), [x, pos * 3]),
        (lambda lib, a, b: F(lib).poisson_nll_loss(a, b, log_input=False), [pos, y * y]),
        (lambda lib, a, b, c: F(lib).gaussian_nll_loss(a, b, c, full=True), [x, y, pos]),
    ]
    for fn, ins in cases:
        gradcheck_op(fn, ins)


# ================================================================ CTC
def _ctc_case(T=8, N=3, C=5, S=4, seed=0):
    r = np.random.default_rng(seed)
    logits = r.standard_normal((T, N, C)).astype(np.float32)
    lp = (logits - np.log(np.exp(logits).sum(-1, keepdims=True))).astype(np.float32)
    targets = r.integers(1, C, (N, S)).astype(np.int64)
    targets[0, 1] = targets[0, 0]                      # a repeated label needs a blank between
    il = np.array([T, T - 1, T - 3][:N], np.int64)
    tl = np.array([S, S - 1, 0][:N], np.int64)
    return lp, targets, il, tl


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("form", ["padded", "concat", "tuple"])
def test_ctc_loss(red, form):
    lp, tg, il, tl = _ctc_case()
    if form == "concat":
        tg = np.concatenate([tg[i, :tl[i]] for i in range(len(tl))])

    def fn(lib, a):
        if form == "tuple":
            lens = tuple(int(v) for v in il), tuple(int(v) for v in tl)
        else:
            lens = lib.tensor(il), lib.tensor(tl)
        return F(lib).ctc_loss(a, lib.tensor(tg), *lens, reduction=red)
    check_op(fn, [lp], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("red", REDS)
def test_ctc_loss_infeasible(zero_infinity, red):
    lp, tg, il, tl = _ctc_case()
    il = np.array([8, 2, 0])        # sample 1 can't fit 3 labels in 2 steps; 2 is empty
    check_op(lambda lib, a: F(lib).ctc_loss(a, lib.tensor(tg), lib.tensor(il), lib.tensor(tl),
                                            reduction=red, zero_infinity=zero_infinity),
             [lp], rtol=1e-4, atol=1e-4)


def test_ctc_loss_unbatched_blank_and_raw_gradient():
    lp, tg, il, tl = _ctc_case(C=6)
    # the gradient PyTorch returns assumes log_softmax inputs: compare on raw scores too
    raw = _x(8, 3, 6)
    check_op(lambda lib, a: F(lib).ctc_loss(a, lib.tensor(tg), lib.tensor(il), lib.tensor(tl),
                                            blank=5, reduction="sum"), [raw], rtol=1e-4,
             atol=1e-4)
    lp1 = _x(8, 6)
    for red in REDS:
        check_op(lambda lib, a: F(lib).ctc_loss(a, lib.tensor(tg[0]), lib.tensor(8),
                                                lib.tensor(4), reduction=red), [lp1],
                 rtol=1e-4, atol=1e-4)
    check_op(lambda lib, a: F(lib).ctc_loss(a, lib.tensor(tg.astype(np.int32)),
                                            lib.tensor(il.astype(np.int32)),
                                            lib.tensor(tl), reduction="none"),
             [lp.astype(np.float64)])


def test_ctc_loss_longer_sequences():
    lp, tg, il, tl = _ctc_case(T=40, N=4, C=12, S=15, seed=3)
    il = np.array([40, 35, 31, 20])
    tl = np.array([15, 10, 12, 3])
    check_op(lambda lib, a: F(lib).ctc_loss(a, lib.tensor(tg), lib.tensor(il), lib.tensor(tl)),
             [lp], rtol=1e-4, atol=1e-4)


def test_ctc_gradcheck_and_no_double_backward():
    lp, tg, il, tl = _ctc_case(T=5, N=2, C=4, S=2)
    il, tl = il[:2] - np.array([0, 1]), tl[:2]
    # gradcheck of the loss through a log-softmax (where PyTorch's gradient is the true one)
    from ember.nn.functional.loss import _LogSoftmax

    def fn(lib, a):
        return F(lib).ctc_loss(_LogSoftmax.apply(a, 2), lib.tensor(tg[:2]), lib.tensor(il),
                               lib.tensor(tl), reduction="sum")
    gradcheck_op(fn, [_x(5, 2, 4, dtype=np.float64)])
    x = ember.tensor(lp[:, :2], requires_grad=True)
    loss = F(ember).ctc_loss(x, ember.tensor(tg[:2]), ember.tensor(il), ember.tensor(tl))
    g, = ember.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not "
                                           "implemented"):
        g.sum().backward()


# ================================================================ errors and warnings
def _raises(exc, match, fn):
    with pytest.raises(exc, match=match):
        fn(ember)
    if torch is not None:
        with pytest.raises(exc, match=match):
            fn(torch)


X = _x(3, 5)


@pytest.mark.parametrize("exc,match,fn", [
    (RuntimeError, "expected target dtype to be Long or Byte, but got Float",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.tensor([1.0, 2.0, 3.0]))),
    (RuntimeError, "expected target dtype to be Long or Byte, but got Int",
     lambda lib: F(lib).nll_loss(lib.tensor(X), lib.tensor([1, 2, 3], dtype=lib.int32))),
    (RuntimeError, "Expected floating point type for target with class probabilities, got Long",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.ones(3, 5, dtype=lib.long))),
    (IndexError, "Target 10 is out of bounds.",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.tensor([1, 2, 10]))),
    (IndexError, "Target -1 is out of bounds.",
     lambda lib: F(lib).nll_loss(lib.tensor(X), lib.tensor([1, -1, 2]), reduction="none")),
    (IndexError, "Target 5 is out of bounds.",
     lambda lib: F(lib).cross_entropy(lib.randn(2, 3, 4, 4), lib.full((2, 4, 4), 5))),
    (ValueError, r"Expected input batch_size \(3\) to match target batch_size \(4\)\.",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.tensor([1, 2, 3, 4]))),
    (ValueError, r"Expected 1 or more dimensions \(got 0\)",
     lambda lib: F(lib).nll_loss(lib.tensor(1.0), lib.tensor(0))),
    (ValueError, "For 1D input, 1D target must have size 1, but got target size: 2",
     lambda lib: F(lib).nll_loss(lib.randn(5), lib.tensor([2, 1]))),
    (RuntimeError, "0D or 1D target tensor expected, multi-target not supported",
     lambda lib: F(lib).nll_loss(lib.tensor(X), lib.zeros(3, 1, dtype=lib.long))),
    (RuntimeError, r"Expected target size \[2, 4\], got \[2, 3\]",
     lambda lib: F(lib).cross_entropy(lib.randn(2, 5, 4), lib.zeros(2, 3, dtype=lib.long))),
    (RuntimeError, "only batches of spatial targets supported \\(3D tensors\\) but got targets "
                   "of dimension: 2",
     lambda lib: F(lib).cross_entropy(lib.randn(2, 5, 4, 3), lib.zeros(2, 4, dtype=lib.long))),
    (RuntimeError, r"size mismatch \(got input: \[2, 3, 4, 4\] , target: \[2, 4, 5\]",
     lambda lib: F(lib).nll_loss(lib.randn(2, 3, 4, 4), lib.zeros(2, 4, 5, dtype=lib.long))),
    (RuntimeError, "weight tensor should be defined either for all 5 classes or no classes but "
                   r"got weight tensor of shape: \[4\]",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.tensor([1, 2, 3]), weight=lib.ones(4))),
    (RuntimeError, "cross_entropy: weight tensor should be defined either for all 5 classes",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.rand(3, 5), weight=lib.ones(4))),
    (RuntimeError, "weight tensor should be defined either for all or no classes",
     lambda lib: F(lib).nll_loss(lib.randn(2, 3, 4), lib.zeros(2, 4, dtype=lib.long),
                                 weight=lib.ones(2))),
    (RuntimeError, "expected scalar type Float but found Double",
     lambda lib: F(lib).nll_loss(lib.tensor(X), lib.tensor([1, 2, 3]),
                                 weight=lib.ones(5, dtype=lib.float64))),
    (RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.tensor([1, 2, 3]),
                                      label_smoothing=1.5)),
    (RuntimeError, "ignore_index is not supported for floating point target",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.rand(3, 5), ignore_index=1)),
    (ValueError, "foo is not a valid value for reduction",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.tensor([1, 2, 3]), reduction="foo")),
    (RuntimeError, "The function 'nll_loss_forward' is not differentiable with respect to "
                   "argument 'weight'",
     lambda lib: F(lib).cross_entropy(lib.tensor(X), lib.tensor([1, 2, 3]),
                                      weight=lib.ones(5, requires_grad=True))),
    (RuntimeError, "all elements of input should be between 0 and 1",
     lambda lib: F(lib).binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))),
    (RuntimeError, "all elements of input should be between 0 and 1",
     lambda lib: F(lib).binary_cross_entropy(lib.tensor([float("nan")]), lib.tensor([1.0]))),
    (ValueError, r"Using a target size \(torch.Size\(\[3, 1\]\)\) that is different to the input "
                 r"size \(torch.Size\(\[3\]\)\) is deprecated",
     lambda lib: F(lib).binary_cross_entropy(lib.rand(3), lib.rand(3, 1))),
    (RuntimeError, "Found dtype Long but expected Float",
     lambda lib: F(lib).binary_cross_entropy(lib.rand(3), lib.ones(3, dtype=lib.long))),
    (RuntimeError, r"output with shape \[3, 5\] doesn't match the broadcast shape \[2, 3, 5\]",
     lambda lib: F(lib).binary_cross_entropy(lib.rand(3, 5), lib.rand(3, 5),
                                             weight=lib.rand(2, 3, 5))),
    (RuntimeError, "The function 'binary_cross_entropy' is not differentiable with respect to "
                   "argument 'weight'",
     lambda lib: F(lib).binary_cross_entropy(lib.rand(3), lib.rand(3),
                                             weight=lib.ones(3, requires_grad=True))),
    (ValueError, r"Target size \(torch.Size\(\[3, 1\]\)\) must be the same as input size",
     lambda lib: F(lib).binary_cross_entropy_with_logits(lib.rand(3), lib.rand(3, 1))),
    (RuntimeError, "result type Float can't be cast to the desired output type Long",
     lambda lib: F(lib).binary_cross_entropy_with_logits(lib.rand(3),
                                                         lib.ones(3, dtype=lib.long))),
    (RuntimeError, "not differentiable with respect to argument 'pos_weight'",
     lambda lib: F(lib).binary_cross_entropy_with_logits(
         lib.rand(3), lib.rand(3), pos_weight=lib.ones(3, requires_grad=True))),
    (RuntimeError, "The size of tensor a \\(3\\) must match the size of tensor b \\(4\\)",
     lambda lib: F(lib).mse_loss(lib.rand(3), lib.rand(4))),
    (NotImplementedError, "\"mse_cpu\" not implemented for 'Long'",
     lambda lib: F(lib).mse_loss(lib.ones(3, dtype=lib.long), lib.ones(3, dtype=lib.long))),
    (RuntimeError, "smooth_l1_loss does not support negative values for beta.",
     lambda lib: F(lib).smooth_l1_loss(lib.rand(3), lib.rand(3), beta=-1)),
    (RuntimeError, "huber_loss does not support non-positive values for delta.",
     lambda lib: F(lib).huber_loss(lib.rand(3), lib.rand(3), delta=0.0)),
    (ValueError, "Weights and input must have the same size.",
     lambda lib: F(lib).mse_loss(lib.rand(3), lib.rand(3), weight=lib.rand(1))),
    (ValueError, "batchmeanx is not a valid value for reduction",
     lambda lib: F(lib).kl_div(lib.rand(3), lib.rand(3), reduction="batchmeanx")),
    (ValueError, "bad is not valid",
     lambda lib: F(lib).multilabel_soft_margin_loss(lib.rand(3), lib.rand(3), reduction="bad")),
    (ValueError, "batchmean is not a valid value for reduction",
     lambda lib: F(lib).poisson_nll_loss(lib.rand(3), lib.rand(3), reduction="batchmean")),
    (RuntimeError, r"inconsistent target size: \[3, 4\] for input of size: \[3, 5\]",
     lambda lib: F(lib).multilabel_margin_loss(lib.tensor(X), lib.zeros(3, 4, dtype=lib.long))),
    (RuntimeError, r"Expected non-empty vector or matrix with optional 0-dim batch size, but "
                   r"got: \[2, 3, 5\]",
     lambda lib: F(lib).multilabel_margin_loss(lib.randn(2, 3, 5),
                                               lib.zeros(2, 3, 5, dtype=lib.long))),
    (RuntimeError, "argument #2 'target' is out of range",
     lambda lib: F(lib).multilabel_margin_loss(lib.tensor(X), lib.full((3, 5), 7))),
    (RuntimeError, "expected scalar type Long but found Float",
     lambda lib: F(lib).multilabel_margin_loss(lib.tensor(X), lib.zeros(3, 5))),
    (RuntimeError, r"multi_margin_loss: target tensor should be 1-D with size equal to the "
                   r"number of input samples \(batch size\). Expected target size \[3\], but got "
                   r"\[4\]. Input has shape \[3, 5\].",
     lambda lib: F(lib).multi_margin_loss(lib.tensor(X), lib.zeros(4, dtype=lib.long))),
    (RuntimeError, "target out of range",
     lambda lib: F(lib).multi_margin_loss(lib.tensor(X), lib.tensor([1, 2, 7]))),
    (ValueError, "only p == 1 and p == 2 supported",
     lambda lib: F(lib).multi_margin_loss(lib.tensor(X), lib.tensor([1, 2, 3]), p=3)),
    (ValueError, "weight must be one-dimensional",
     lambda lib: F(lib).multi_margin_loss(lib.tensor(X), lib.tensor([1, 2, 3]),
                                          weight=lib.ones(2, 5))),
    (RuntimeError, r"inconsistent weight size, expected 5 but got \[4\]",
     lambda lib: F(lib).multi_margin_loss(lib.tensor(X), lib.tensor([1, 2, 3]),
                                          weight=lib.ones(4))),
    (RuntimeError, "0D or 1D target tensor expected, multi-target not supported",
     lambda lib: F(lib).cosine_embedding_loss(lib.tensor(X), lib.tensor(X), lib.ones(3, 1))),
    (RuntimeError, r"1D target tensor expects 2D input tensors, but found inputs with sizes "
                   r"\[5\] and \[5\].",
     lambda lib: F(lib).cosine_embedding_loss(lib.rand(5), lib.rand(5), lib.ones(3))),
    (RuntimeError, r"0D target tensor expects 1D input tensors",
     lambda lib: F(lib).cosine_embedding_loss(lib.tensor(X), lib.tensor(X), lib.tensor(1.0))),
    (RuntimeError, r"margin_ranking_loss : All input tensors should have same dimension but got "
                   r"sizes: input1: torch.Size\(\[3, 5\]\), input2: torch.Size\(\[3, 5\]\), "
                   r"target: torch.Size\(\[3\]\)",
     lambda lib: F(lib).margin_ranking_loss(lib.tensor(X), lib.tensor(X), lib.ones(3))),
    (RuntimeError, "The anchor, positive, and negative tensors are expected to have the same "
                   "number of dimensions, but got: anchor 2D, positive 2D, and negative 1D inputs",
     lambda lib: F(lib).triplet_margin_loss(lib.tensor(X), lib.tensor(X), lib.rand(5))),
    (ValueError, "margin must be greater than 0, got 0",
     lambda lib: F(lib).triplet_margin_loss(lib.tensor(X), lib.tensor(X), lib.tensor(X),
                                            margin=0)),
    (ValueError, "bad is not a valid value for reduction",
     lambda lib: F(lib).triplet_margin_with_distance_loss(lib.tensor(X), lib.tensor(X),
                                                          lib.tensor(X), reduction="bad")),
    (ValueError, "var has negative entry/entries",
     lambda lib: F(lib).gaussian_nll_loss(lib.tensor(X), lib.tensor(X), -lib.ones(3, 5))),
    (ValueError, "var has negative entry/entries",
     lambda lib: F(lib).gaussian_nll_loss(lib.tensor(X), lib.tensor(X), -1.0)),
    (ValueError, "var is of incorrect size",
     lambda lib: F(lib).gaussian_nll_loss(lib.tensor(X), lib.tensor(X), lib.ones(2, 5))),
    (ValueError, "var is of incorrect size",
     lambda lib: F(lib).gaussian_nll_loss(lib.tensor(X), lib.tensor(X), lib.ones(5))),
    (ValueError, "batchmean is not valid",
     lambda lib: F(lib).gaussian_nll_loss(lib.tensor(X), lib.tensor(X), lib.ones(3, 5),
                                          reduction="batchmean")),
])
def test_errors(exc, match, fn):
    _raises(exc, match, fn)


_LP = _ctc_case()


def _ctc(lib, tg=None, il=None, tl=None, **kw):
    lp, tg0, il0, tl0 = _LP
    return F(lib).ctc_loss(lib.tensor(lp), lib.tensor(tg0) if tg is None else tg,
                           lib.tensor(il0) if il is None else il,
                           lib.tensor(tl0) if tl is None else tl, **kw)


@pytest.mark.parametrize("exc,match,fn", [
    (RuntimeError, "Expected input_lengths to have value at most 8, but got value 9 \\(while "
                   "checking arguments for ctc_loss_allocate_outputs\\)",
     lambda lib: _ctc(lib, il=lib.tensor([9, 5, 4]))),
    (RuntimeError, "Expected input_lengths to have value at least 0, but got value -1",
     lambda lib: _ctc(lib, il=lib.tensor([-1, 5, 4]))),
    (RuntimeError, "Expected tensor to have size at least 5 at dimension 1, but got size 4 for "
                   "argument #2 'targets'",
     lambda lib: _ctc(lib, tl=lib.tensor([5, 2, 1]))),
    (RuntimeError, "Expected tensor to have size 7 at dimension 0, but got size 4 for argument "
                   "#2 'targets'",
     lambda lib: _ctc(lib, tg=lib.tensor([1, 2, 3, 1]))),
    (RuntimeError, "Expected tensor to have size 3 at dimension 0, but got size 2",
     lambda lib: _ctc(lib, tg=lib.ones(2, 4, dtype=lib.long))),
    (RuntimeError, "Expected 1 to 2 dimensions, but got 3-dimensional tensor for argument #2 "
                   "'targets'",
     lambda lib: _ctc(lib, tg=lib.ones(1, 3, 4, dtype=lib.long))),
    (RuntimeError, "input_lengths must be of size batch_size",
     lambda lib: _ctc(lib, il=lib.tensor([6, 5]))),
    (RuntimeError, "target_lengths must be of size batch_size",
     lambda lib: _ctc(lib, tl=lib.tensor([1, 1]))),
    (RuntimeError, "input_lengths must be integral",
     lambda lib: _ctc(lib, il=lib.tensor([6.0, 5.0, 4.0]))),
    (RuntimeError, "blank must be in label range", lambda lib: _ctc(lib, blank=5)),
    (ValueError, "x is not a valid value for reduction", lambda lib: _ctc(lib, reduction="x")),
])
def test_ctc_errors(exc, match, fn):
    _raises(exc, match, fn)


def test_legacy_reduction_arguments_warn_and_map():
    x, y = ember.tensor(_x(3)), ember.tensor(_x(3))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                         "please use reduction='sum' instead."):
        r = F(ember).mse_loss(x, y, size_average=False)
    np.testing.assert_allclose(r.item(), F(ember).mse_loss(x, y, reduction="sum").item())
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F(ember).l1_loss(x, y, reduce=False).shape == (3,)
    with pytest.warns(UserWarning, match="'elementwise_mean' is deprecated"):
        F(ember).mse_loss(x, y, reduction="elementwise_mean")


# ================================================================ modules
MODULES = [
    ("L1Loss", (), 2), ("MSELoss", (), 2), ("CrossEntropyLoss", (), "ce"),
    ("NLLLoss", (), "ce"), ("BCELoss", (), "bce"), ("BCEWithLogitsLoss", (), 2),
    ("KLDivLoss", (), 2), ("SmoothL1Loss", (), 2), ("HuberLoss", (), 2),
    ("SoftMarginLoss", (), "sm"), ("MultiLabelSoftMarginLoss", (), 2),
    ("MultiLabelMarginLoss", (), "mlm"), ("MultiMarginLoss", (), "ce"),
    ("HingeEmbeddingLoss", (), 2), ("CosineEmbeddingLoss", (), "cos"),
    ("MarginRankingLoss", (), 3), ("TripletMarginLoss", (), 3),
    ("TripletMarginWithDistanceLoss", (), 3), ("PoissonNLLLoss", (), 2),
    ("GaussianNLLLoss", (), "gauss"), ("CTCLoss", (), "ctc"),
]


def _module_inputs(kind):
    x = _x(4, 5)
    if kind == 2:
        return [x, _u(4, 5)]
    if kind == 3:
        return [_x(4, 5), _x(4, 5), _x(4, 5)]
    if kind == "ce":
        return [x, R.integers(0, 5, 4)]
    if kind == "bce":
        return [_u(4, 5), _u(4, 5)]
    if kind == "sm":       # an integer target: PyTorch's soft margin target takes no gradient
        return [x, np.where(_x(4, 5) > 0, 1, -1)]
    if kind == "mlm":
        return [x, np.array([[1, -1, 0, 0, 0]] * 4)]
    if kind == "cos":
        return [x, _x(4, 5), np.array([1.0, -1.0, 1.0, -1.0], np.float32)]
    if kind == "gauss":
        return [x, _x(4, 5), _u(4, 5)]
    lp, tg, il, tl = _ctc_case()
    return [lp, tg, il, tl]


@requires_torch
@pytest.mark.parametrize("name,args,kind", MODULES, ids=[m[0] for m in MODULES])
def test_modules_against_torch(name, args, kind):
    ins = _module_inputs(kind)
    mk = (lambda lib: getattr(lib.nn, name)())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(mk(ember)) == repr(mk(torch))
        check_op(lambda lib, *a: mk(lib)(*a), ins, rtol=1e-4, atol=1e-5)


@requires_torch
def test_module_constructors_reprs_and_buffers():
    cases = [
        ("CrossEntropyLoss", dict(weight=[1.0, 2.0, 0.5], ignore_index=1, label_smoothing=0.1,
                                  reduction="sum")),
        ("NLLLoss", dict(weight=[1.0, 2.0, 0.5])),
        ("BCELoss", dict(weight=[1.0, 2.0, 0.5])),
        ("BCEWithLogitsLoss", dict(weight=[1.0, 2.0, 0.5], pos_weight=[3.0, 1.0, 2.0])),
        ("MultiMarginLoss", dict(p=2, margin=0.5, weight=[1.0, 2.0, 0.5])),
        ("MultiLabelSoftMarginLoss", dict(weight=[1.0, 2.0, 0.5])),
        ("KLDivLoss", dict(reduction="batchmean", log_target=True)),
        ("SmoothL1Loss", dict(beta=0.5)), ("HuberLoss", dict(delta=2.0)),
        ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True)),
        ("PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-6)),
        ("GaussianNLLLoss", dict(full=True, eps=1e-3)),
        ("CTCLoss", dict(blank=2, zero_infinity=True, reduction="sum")),
        ("HingeEmbeddingLoss", dict(margin=2.0)), ("CosineEmbeddingLoss", dict(margin=0.3)),
        ("MarginRankingLoss", dict(margin=0.3)),
        ("TripletMarginWithDistanceLoss", dict(margin=0.5, swap=True)),
    ]
    attrs = ["reduction", "ignore_index", "label_smoothing", "p", "margin", "beta", "delta",
             "log_target", "eps", "swap", "full", "log_input", "blank", "zero_infinity"]
    for name, kw in cases:
        mods = []
        for lib in (ember, torch):
            k = {a: (lib.tensor(v) if isinstance(v, list) else v) for a, v in kw.items()}
            mods.append(getattr(lib.nn, name)(**k))
        e, t = mods
        assert repr(e) == repr(t)
        for a in attrs:
            assert getattr(e, a, None) == getattr(t, a, None), (name, a)
        assert list(e.state_dict()) == list(t.state_dict()), name
        for k, v in t.state_dict().items():
            np.testing.assert_array_equal(e.state_dict()[k].numpy(), v.numpy())


@requires_torch
@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True),
                                                 (False, False)])
def test_module_legacy_arguments(size_average, reduce):
    for name in ["MSELoss", "CrossEntropyLoss", "KLDivLoss", "BCELoss"]:
        with warnings.catch_warnings(record=True) as we:
            warnings.simplefilter("always")
            e = getattr(ember.nn, name)(size_average=size_average, reduce=reduce)
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            t = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
        assert e.reduction == t.reduction
        assert [str(w.message) for w in we] == [str(w.message) for w in wt]


def test_module_misc():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        m = ember.nn.NLLLoss2d()
    assert isinstance(m, ember.nn.NLLLoss)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        ember.nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss: expected weight to be None or 1D "
                                         "tensor, got 2D instead"):
        ember.nn.MultiMarginLoss(weight=ember.ones(2, 2))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than "
                                         "0, got 0 instead"):
        ember.nn.TripletMarginLoss(margin=0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin"):
        ember.nn.TripletMarginWithDistanceLoss(margin=-1)
    with pytest.warns(UserWarning, match="'mean' divides the total loss"):
        ember.nn.KLDivLoss()(ember.rand(3), ember.rand(3))
    m = ember.nn.CrossEntropyLoss(weight=ember.ones(3))
    assert m.weight.dtype is ember.float32 and "weight" in dict(m.named_buffers())
    m.double()
    assert m.weight.dtype is ember.float64
    out = m(ember.randn(2, 3, dtype=ember.float64), ember.tensor([0, 2]))
    assert out.dtype is ember.float64
