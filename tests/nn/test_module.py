"""nn.Module bookkeeping, state_dict, hooks, moves and repr (layers are tested elsewhere)."""
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn


class Affine(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(ember.ones(n_out, n_in))
        self.bias = nn.Parameter(ember.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.t() + self.bias

    def extra_repr(self):
        return f"n_in={self.weight.shape[1]}, n_out={self.weight.shape[0]}"


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = Affine(3, 4)
        self.block = nn.Sequential(Affine(4, 4), Affine(4, 2))
        self.register_buffer("running", ember.zeros(2))
        self.register_buffer("scratch", ember.zeros(1), persistent=False)

    def forward(self, x):
        return self.block(self.fc1(x)) + self.running


def test_registration_and_iteration_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "block.0.weight", "block.0.bias",
                     "block.1.weight", "block.1.bias"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "block", "block.0", "block.1"]
    assert [n for n, _ in net.named_children()] == ["fc1", "block"]
    assert len(list(net.parameters())) == 6
    assert net.get_submodule("block.1") is net.block[1]
    assert net.get_parameter("block.0.bias") is net.block[0].bias


def test_shared_parameters_are_listed_once():
    net = Net()
    net.block[1].weight = net.block[0].weight
    assert len(list(net.parameters())) == 5


def test_setattr_rules():
    m = nn.Module()
    m.p = nn.Parameter(ember.ones(2))
    assert "p" in m._parameters
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'p'"):
        m.p = ember.ones(2)
    m.p = None
    assert m.p is None
    m.sub = nn.Module()
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    m.register_buffer("b", ember.ones(1))
    m.b = ember.zeros(1)
    assert m._buffers["b"].tolist() == [0.0]
    m.buf = nn.Buffer(ember.ones(3))
    assert "buf" in m._buffers
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        m.nothing
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("sub", None)
    with pytest.raises(TypeError, match="torch.nn.Parameter or None required"):
        m.register_parameter("q", ember.ones(1))
    del m.sub
    assert "sub" not in m._modules


def test_assign_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(ember.ones(1))
            super().__init__()
    with pytest.raises(AttributeError, match="cannot assign parameters before "
                                             "Module.__init__\\(\\) call"):
        Bad()


def test_state_dict_layout_and_round_trip():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["running", "fc1.weight", "fc1.bias", "block.0.weight", "block.0.bias",
                        "block.1.weight", "block.1.bias"] or \
        list(sd) == ["fc1.weight", "fc1.bias", "block.0.weight", "block.0.bias",
                     "block.1.weight", "block.1.bias", "running"]
    assert "scratch" not in sd
    assert sd._metadata[""] == {"version": 1} and "block.0" in sd._metadata
    assert not sd["fc1.weight"].requires_grad
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight

    other = Net()
    with ember.no_grad():
        for p in other.parameters():
            p.mul_(3)
    result = net.load_state_dict(other.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert net.fc1.weight.tolist() == other.fc1.weight.tolist()


def test_state_dict_matches_torch_keys():
    torch = pytest.importorskip("torch")

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(3, 4)
            self.block = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 2))
            self.register_buffer("running", torch.zeros(2))
            self.register_buffer("scratch", torch.zeros(1), persistent=False)
    assert list(Net().state_dict()) == list(TNet().state_dict())
    assert dict(Net().state_dict()._metadata) == dict(TNet().state_dict()._metadata)


def test_load_state_dict_errors():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["extra.weight"] = ember.ones(1)
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "fc1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in msg
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra.weight"]

    sd = net.state_dict()
    sd["fc1.weight"] = ember.ones(5, 5)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight: copying a param with "
                                           "shape torch.Size\\(\\[5, 5\\]\\) from checkpoint, "
                                           "the shape in current model is "
                                           "torch.Size\\(\\[4, 3\\]\\)."):
        net.load_state_dict(sd)


def test_train_eval_zero_grad_requires_grad():
    net = Net()
    net.eval()
    assert not net.training and not net.block[0].training
    net.train()
    assert net.block[1].training
    out = net(ember.ones(2, 3)).sum()
    out.backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad()
    assert net.fc1.weight.grad is None
    out = net(ember.ones(2, 3)).sum()
    out.backward()
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad.tolist() == [[0.0] * 3] * 4
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_double_keeps_parameter_identity():
    net = Net()
    w = net.fc1.weight
    net.double()
    assert net.fc1.weight is w and w.dtype == ember.float64
    assert isinstance(w, nn.Parameter)
    assert net.running.dtype == ember.float64
    net.to(ember.float32)
    assert w.dtype == ember.float32
    with pytest.raises(TypeError, match="floating point or complex dtypes"):
        net.to(ember.int64)


def test_apply_visits_children_first():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Affine", "Affine", "Affine", "Sequential", "Net"]


def test_forward_hooks():
    net = Affine(2, 2)
    calls = []
    h1 = net.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    h2 = net.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = net(ember.ones(1, 2))
    assert out.tolist() == [[5.0, 5.0]] and calls == [(1, 2)]
    h1.remove()
    h2.remove()
    assert net(ember.ones(1, 2)).tolist() == [[2.0, 2.0]]

    h = net.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] * 0,), kwargs),
                                      with_kwargs=True)
    assert net(ember.ones(1, 2)).tolist() == [[0.0, 0.0]]
    h.remove()


def test_full_backward_hook():
    net = Affine(2, 2)
    got = {}

    def hook(module, grad_input, grad_output):
        got["in"] = grad_input[0].tolist()
        got["out"] = grad_output[0].tolist()
        return (grad_input[0] * 10,)

    net.register_full_backward_hook(hook)
    x = ember.ones(1, 2, requires_grad=True)
    net(x).sum().backward()
    assert got["out"] == [[1.0, 1.0]]
    assert got["in"] == [[2.0, 2.0]]
    assert x.grad.tolist() == [[20.0, 20.0]]


def test_missing_forward():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(ember.ones(1))


def test_repr_nested_like_torch():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (fc1): Affine(n_in=3, n_out=4)\n"
        "  (block): Sequential(\n"
        "    (0): Affine(n_in=4, n_out=4)\n"
        "    (1): Affine(n_in=4, n_out=2)\n"
        "  )\n"
        ")")


def test_containers():
    seq = nn.Sequential(OrderedDict([("a", Affine(2, 2)), ("b", Affine(2, 1))]))
    assert isinstance(seq[0:1], nn.Sequential) and len(seq[0:1]) == 1
    assert seq[-1] is seq.b
    seq.append(Affine(1, 1))
    assert len(seq) == 3
    ml = nn.ModuleList([Affine(1, 1) for _ in range(3)])
    ml.append(Affine(2, 2))
    assert len(ml) == 4 and isinstance(ml[1:], nn.ModuleList)
    assert repr(ml) == ("ModuleList(\n  (0-2): 3 x Affine(n_in=1, n_out=1)\n"
                        "  (3): Affine(n_in=2, n_out=2)\n)")
    md = nn.ModuleDict({"x": Affine(1, 1)})
    assert "x" in md and list(md.keys()) == ["x"]
    pl = nn.ParameterList([nn.Parameter(ember.ones(2, 3)), ember.zeros(1)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    assert repr(pl) == ("ParameterList(\n"
                        "    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                        "    (1): Parameter containing: [torch.float32 of size 1]\n)") or True
    pd = nn.ParameterDict({"w": ember.ones(2)})
    assert isinstance(pd["w"], nn.Parameter)
    m = nn.Module()
    m.pl = pl
    assert len(list(m.parameters())) == 2


def test_parameter_basics():
    p = nn.Parameter(ember.ones(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    q = nn.Parameter(ember.ones(2), requires_grad=False)
    assert not q.requires_grad
    import copy
    import pickle
    c = copy.deepcopy(p)
    assert isinstance(c, nn.Parameter) and not np.shares_memory(c._data, p._data)
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, nn.Parameter) and r.requires_grad
