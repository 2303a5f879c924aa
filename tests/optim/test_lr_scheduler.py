"""ember.optim.lr_scheduler and swa_utils against PyTorch: the same schedules must produce
exactly the same learning rates (and momenta) step after step."""
import copy
import math
import pickle
import warnings

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:   # PyTorch is an optional test oracle
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) not installed")


def L(lib):
    return lib.optim.lr_scheduler


def make_opt(lib, name="SGD", **kwargs):
    """Two parameter groups with different learning rates."""
    if name == "SGD" and not kwargs:
        kwargs = {"momentum": 0.9}
    ps = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(3))]
    return getattr(lib.optim, name)([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}],
                                    lr=0.1, **kwargs)


def run_schedule(lib, make, steps=40, opt_name="SGD", opt_kwargs=None, metrics=None,
                 epochs=None):
    """(lrs after each step, the first group's momentum/betas after each step)."""
    opt = make_opt(lib, opt_name, **(opt_kwargs or {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(lib, opt)
        lrs, moms = [tuple(sched.get_last_lr())], []
        for i in range(steps):
            opt.step()
            if metrics is not None:
                sched.step(metrics(i))
            elif epochs is not None:
                sched.step(epochs(i))
            else:
                sched.step()
            lrs.append(tuple(sched.get_last_lr()))
            assert lrs[-1] == tuple(g["lr"] for g in opt.param_groups)
            g = opt.param_groups[0]
            moms.append(g.get("momentum", g.get("betas")))
    return lrs, moms, sched


SCHEDULES = {
    "LambdaLR": lambda lib, o: L(lib).LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)]),
    "LambdaLR-one": lambda lib, o: L(lib).LambdaLR(o, lambda e: 1.0 - e / 50),
    "MultiplicativeLR": lambda lib, o: L(lib).MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda lib, o: L(lib).StepLR(o, 7, gamma=0.3),
    "MultiStepLR": lambda lib, o: L(lib).MultiStepLR(o, [3, 10, 10, 25], gamma=0.5),
    "ConstantLR": lambda lib, o: L(lib).ConstantLR(o, factor=0.3, total_iters=6),
    "LinearLR": lambda lib, o: L(lib).LinearLR(o, start_factor=0.2, end_factor=0.9,
                                               total_iters=13),
    "ExponentialLR": lambda lib, o: L(lib).ExponentialLR(o, 0.93),
    "PolynomialLR": lambda lib, o: L(lib).PolynomialLR(o, total_iters=17, power=2.0),
    "CosineAnnealingLR": lambda lib, o: L(lib).CosineAnnealingLR(o, T_max=9, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda lib, o: L(lib).CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda lib, o: L(lib).CosineAnnealingWarmRestarts(o, 5),
    "CyclicLR": lambda lib, o: L(lib).CyclicLR(o, 0.01, 0.1, step_size_up=5),
    "CyclicLR-tri2": lambda lib, o: L(lib).CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=4,
                                                    step_size_down=6, mode="triangular2"),
    "CyclicLR-exp": lambda lib, o: L(lib).CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                   mode="exp_range", gamma=0.97,
                                                   cycle_momentum=False),
    "CyclicLR-fn": lambda lib, o: L(lib).CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                  scale_fn=lambda x: 0.9 ** x,
                                                  scale_mode="iterations"),
    "OneCycleLR": lambda lib, o: L(lib).OneCycleLR(o, 0.5, total_steps=41),
    "OneCycleLR-3phase": lambda lib, o: L(lib).OneCycleLR(
        o, [0.5, 0.3], epochs=4, steps_per_epoch=11, three_phase=True,
        anneal_strategy="linear", div_factor=10.0),
    "SequentialLR": lambda lib, o: L(lib).SequentialLR(
        o, [L(lib).LinearLR(o, 0.1, total_iters=5), L(lib).CosineAnnealingLR(o, 20),
            L(lib).ExponentialLR(o, 0.9)], milestones=[5, 25]),
    "ChainedScheduler": lambda lib, o: L(lib).ChainedScheduler(
        [L(lib).ConstantLR(o, 0.5, total_iters=4), L(lib).ExponentialLR(o, 0.9),
         L(lib).StepLR(o, 3)]),
    "SWALR-cos": lambda lib, o: lib.optim.swa_utils.SWALR(o, swa_lr=0.02, anneal_epochs=7),
    "SWALR-linear": lambda lib, o: lib.optim.swa_utils.SWALR(o, swa_lr=[0.02, 0.01],
                                                             anneal_epochs=3,
                                                             anneal_strategy="linear"),
    "SWALR-0": lambda lib, o: lib.optim.swa_utils.SWALR(o, swa_lr=0.02, anneal_epochs=0),
}


@requires_torch
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch_exactly(name):
    a_lrs, a_moms, _ = run_schedule(ember, SCHEDULES[name])
    b_lrs, b_moms, _ = run_schedule(torch, SCHEDULES[name])
    assert a_lrs == b_lrs
    assert a_moms == b_moms


@requires_torch
@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_momentum_cycling_uses_adam_betas(name):
    def make(lib, o):
        if name == "OneCycleLR":
            return L(lib).OneCycleLR(o, 0.5, total_steps=41, base_momentum=0.8)
        return L(lib).CyclicLR(o, 0.01, 0.1, step_size_up=5)

    a = run_schedule(ember, make, opt_name="Adam", opt_kwargs={"betas": (0.9, 0.99)})
    b = run_schedule(torch, make, opt_name="Adam", opt_kwargs={"betas": (0.9, 0.99)})
    assert a[:2] == b[:2]
    assert isinstance(a[1][-1], tuple) and a[1][-1][1] == 0.99


@requires_torch
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", threshold_mode="abs", patience=2, cooldown=3, min_lr=[0.01, 0.02],
         factor=0.5),
    dict(patience=0, threshold=0.1, eps=1e-3, min_lr=0.004),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    seq = [5, 4, 4, 4, 4.5, 3, 3, 3, 3.2, 3, 3, 2.99, 3, 3, 3, 3, 3, 3, 3, 3, 3]

    def metric(i):
        return seq[i % len(seq)] * (1 + 1e-4 * (i % 3))

    def make(lib, o):
        return L(lib).ReduceLROnPlateau(o, **kwargs)

    a = run_schedule(ember, make, metrics=metric)
    b = run_schedule(torch, make, metrics=metric)
    assert a[0] == b[0]
    assert a[2].num_bad_epochs == b[2].num_bad_epochs and a[2].best == b[2].best


@requires_torch
def test_warm_restarts_fractional_epochs_match_torch():
    # The documented use: step(epoch + i / iters) inside the epoch loop.
    def make(lib, o):
        return L(lib).CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)

    a = run_schedule(ember, make, epochs=lambda i: i / 7)
    b = run_schedule(torch, make, epochs=lambda i: i / 7)
    assert a[0] == b[0]


@requires_torch
@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                                  "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
                                  "LambdaLR"])
def test_step_with_epoch_uses_closed_form_like_torch(name):
    make = SCHEDULES[name]
    a = run_schedule(ember, make, steps=25, epochs=lambda i: (i * 7) % 23)
    b = run_schedule(torch, make, steps=25, epochs=lambda i: (i * 7) % 23)
    assert a[0] == b[0]


def test_epoch_argument_warns():
    opt = make_opt(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        sched.step(5)
    assert sched.last_epoch == 5


def test_step_order_warning():
    opt = make_opt(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before "
                                         "`optimizer.step\\(\\)`"):
        sched.step()
    opt = make_opt(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
    opt = make_opt(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler"):
        sched.step()


def test_get_lr_outside_step_warns_and_base_state():
    opt = make_opt(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    assert sched.base_lrs == [0.1, 0.05] and sched.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


@requires_torch
@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR",
                                  "SequentialLR", "ChainedScheduler", "LambdaLR",
                                  "CosineAnnealingWarmRestarts", "SWALR-cos"])
def test_state_dict_keys_match_torch_and_resume(name):
    make = SCHEDULES[name]
    keys = []
    for lib in (ember, torch):
        _, _, sched = run_schedule(lib, make, steps=10)
        keys.append(sorted(sched.state_dict()))
    assert keys[0] == keys[1]

    # Resume: a fresh scheduler loaded from the state continues the same sequence.
    full, _, _ = run_schedule(ember, make, steps=20)
    opt = make_opt(ember)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(ember, opt)
        for _ in range(10):
            opt.step()
            sched.step()
        sd = pickle.loads(pickle.dumps(sched.state_dict()))
        opt_sd = copy.deepcopy(opt.state_dict())
        opt2 = make_opt(ember)
        sched2 = make(ember, opt2)
        sched2.load_state_dict(sd)
        opt2.load_state_dict(opt_sd)
        rest = []
        for _ in range(10):
            opt2.step()
            sched2.step()
            rest.append(tuple(sched2.get_last_lr()))
    assert rest == full[11:]


@requires_torch
def test_reduce_lr_on_plateau_state_dict_matches_torch():
    keys = []
    for lib in (ember, torch):
        opt = make_opt(lib)
        sched = L(lib).ReduceLROnPlateau(opt, patience=1)
        for m in (3, 2, 2, 2):
            sched.step(m)
        sd = sched.state_dict()
        keys.append((sorted(sd), sd["best"], sd["num_bad_epochs"], sched.get_last_lr()))
    assert keys[0] == keys[1]


def test_scheduler_errors():
    opt = make_opt(ember)
    sched_mod = ember.optim.lr_scheduler
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched_mod.StepLR([], 3)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in "
                                       "param_groups\\[0\\] when resuming"):
        sched_mod.StepLR(opt, 3, last_epoch=4)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched_mod.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        sched_mod.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown!"):
        sched_mod.ReduceLROnPlateau(opt, mode="foo")
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        sched_mod.OneCycleLR(opt, 0.1)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        sched_mod.CosineAnnealingWarmRestarts(opt, 0)
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers "
                                         "provided to be one more"):
        sched_mod.SequentialLR(opt, [sched_mod.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched_mod.ChainedScheduler([sched_mod.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        sched_mod.CyclicLR(make_opt(ember, "Adagrad"), 0.01, 0.1)
    opt1 = make_opt(ember)
    one = sched_mod.OneCycleLR(opt1, 0.1, total_steps=2)
    with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of "
                                         "total steps is 2"):
        for _ in range(3):
            opt1.step()
            one.step()
    with pytest.raises(ValueError, match="base_lr must have the same length as "
                                         "optimizer.param_groups"):
        sched_mod.CyclicLR(make_opt(ember), [0.1], 0.2)


def test_tensor_lr_is_updated_in_place():
    p = ember.nn.Parameter(ember.ones(2))
    lr = ember.tensor(0.1)
    opt = ember.optim.SGD([p], lr=lr)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)
    assert isinstance(sched.get_last_lr()[0], ember.Tensor)


# ---------------------------------------------------------------------- swa_utils
def _model(lib, seed=0):
    rng = np.random.default_rng(seed)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.tensor(rng.standard_normal((3, 2)).astype(np.float32)))
            self.b = lib.nn.Parameter(lib.tensor(rng.standard_normal(2).astype(np.float32)))
            self.register_buffer("count", lib.tensor(0))
            self.register_buffer("stat", lib.zeros(2))

        def forward(self, x):
            return x @ self.w + self.b

    return Net()


def _perturb(lib, model, i):
    with lib.no_grad():
        for k, p in enumerate(model.parameters()):
            p.data = lib.tensor(np.asarray(p.detach().numpy() * 0.9 + 0.1 * (i + k),
                                           dtype=np.float32))
        model.count.data = lib.tensor(int(model.count.item()) + 3 + i)
        model.stat.data = lib.tensor(np.full(2, 0.5 * i, np.float32))


@requires_torch
@pytest.mark.parametrize("mode", ["swa", "swa-buffers", "ema-fn", "ema-multi"])
def test_averaged_model_matches_torch(mode):
    res = []
    for lib in (ember, torch):
        su = lib.optim.swa_utils
        model = _model(lib)
        kwargs = {}
        if mode == "swa-buffers":
            kwargs["use_buffers"] = True
        elif mode == "ema-fn":
            kwargs["avg_fn"] = su.get_ema_avg_fn(0.8)
        elif mode == "ema-multi":
            kwargs["multi_avg_fn"] = su.get_ema_multi_avg_fn(0.8)
        avg = su.AveragedModel(model, **kwargs)
        for i in range(5):
            _perturb(lib, model, i)
            avg.update_parameters(model)
        out = {k: v.detach().numpy().copy() for k, v in avg.state_dict().items()}
        x = lib.tensor(np.ones((4, 3), np.float32))
        out["forward"] = avg(x).detach().numpy()
        res.append(out)
    assert sorted(res[0]) == sorted(res[1])
    for k in res[1]:
        assert res[0][k].dtype == res[1][k].dtype, k
        np.testing.assert_allclose(res[0][k], res[1][k], rtol=1e-6, atol=1e-7, err_msg=k)


def test_averaged_model_is_a_copy_and_swa_fn_errors():
    model = _model(ember)
    avg = ember.optim.swa_utils.AveragedModel(model)
    assert avg.module.w is not model.w and avg.n_averaged.item() == 0
    assert avg.n_averaged.dtype is ember.int64
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        ember.optim.swa_utils.AveragedModel(model, avg_fn=lambda *a: None,
                                            multi_avg_fn=lambda *a: None)
    with pytest.raises(ValueError, match="Invalid decay value 2 provided"):
        ember.optim.swa_utils.get_ema_avg_fn(2)
    fn = ember.optim.swa_utils.get_swa_multi_avg_fn()
    avg_list, cur = [ember.tensor([1.0, 3.0])], [ember.tensor([3.0, 5.0])]
    fn(avg_list, cur, ember.tensor(1))
    assert avg_list[0].tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha"):
        fn([ember.tensor([1, 2])], [ember.tensor([3, 4])], 1)


def test_update_bn_without_batchnorm_is_a_no_op():
    model = _model(ember)
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    ember.optim.swa_utils.update_bn([ember.ones(2, 3)], model)
    after = model.state_dict()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k].detach().numpy())


def test_swa_training_loop_end_to_end():
    model = _model(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    swa_model = ember.optim.swa_utils.AveragedModel(model)
    swa_sched = ember.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=2)
    x = ember.tensor(np.ones((4, 3), np.float32))
    for _ in range(4):
        opt.zero_grad()
        out = model(x)
        (out * out).mean().backward()
        opt.step()
        swa_model.update_parameters(model)
        swa_sched.step()
    assert swa_model.n_averaged.item() == 4
    assert swa_sched.get_last_lr() == [pytest.approx(0.05)]
    assert math.isfinite(float(swa_model(x).sum()))
