"""SummaryWriter.add_graph: the GraphDef built from one forward pass's autograd graph, read
back with TensorBoard's EventAccumulator."""
import numpy as np
import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

import ember  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(self.drop(self.act(self.fc1(x)))) * 2


def graph_of(tmp_path, model, inputs, **kw):
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, inputs, **kw)
    ea = EventAccumulator(str(tmp_path))
    ea.Reload()
    g = ea.Graph()
    return {n.name: n for n in g.node}, ea


def shapes(node):
    return [tuple(d.size for d in s.dim) for s in node.attr["_output_shapes"].list.shape]


def test_graph_nodes_scopes_and_shapes(tmp_path):
    model = Net()
    nodes, ea = graph_of(tmp_path, model, ember.randn(5, 4))
    linear = nodes["Net/Linear[fc1]/weight"].op
    assert linear == "Parameter"
    fc1 = [n for n in nodes if n.startswith("Net/Linear[fc1]/") and
           nodes[n].op not in ("Parameter",)]
    relu = [n for n in nodes if n.startswith("Net/ReLU[act]/")]
    fc2 = [n for n in nodes if n.startswith("Net/Linear[fc2]/") and nodes[n].op != "Parameter"]
    assert len(fc1) == 1 and len(fc2) == 1 and relu == ["Net/ReLU[act]/ReluBackward0"]
    # input, 4 parameters, fc1 op, relu, fc2 op, the final multiply, output; dropout is off
    # (the graph is recorded in eval mode), so it adds no node
    assert len(nodes) == 10, sorted(nodes)
    assert nodes["input/x"].op == "IO Node" and shapes(nodes["input/x"]) == [(5, 4)]
    assert list(nodes["Net/ReLU[act]/ReluBackward0"].input) == fc1
    assert set(nodes[fc2[0]].input) == {"Net/ReLU[act]/ReluBackward0",
                                        "Net/Linear[fc2]/weight", "Net/Linear[fc2]/bias"}
    assert set(nodes[fc1[0]].input) == {"input/x", "Net/Linear[fc1]/weight",
                                        "Net/Linear[fc1]/bias"}
    mul = nodes["Net/MulBackward0"]
    assert mul.op == "MulBackward0" and list(mul.input) == fc2 and shapes(mul) == [(5, 2)]
    assert list(nodes["output/output.0"].input) == ["Net/MulBackward0"]
    assert shapes(nodes["Net/Linear[fc1]/weight"]) == [(3, 4)]
    assert nodes["Net/MulBackward0"].device == "/device:CPU:0"
    assert "step1" in ea.Tags()["run_metadata"]
    # the model is back in training mode, and its parameters have no gradient
    assert model.training and model.drop.training
    assert all(p.grad is None for p in model.parameters())


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(4 * 12 * 12, 10)

    def forward(self, x):
        x = self.features(x)
        return F.log_softmax(self.fc(x.view(x.shape[0], -1)), dim=1)


def test_nested_scopes(tmp_path):
    nodes, _ = graph_of(tmp_path, LeNet(), ember.randn(2, 1, 28, 28))
    conv = [n for n in nodes if n.startswith("LeNet/Sequential[features]/Conv2d[0]/")]
    assert "LeNet/Sequential[features]/Conv2d[0]/weight" in conv
    assert any(nodes[n].op.startswith("Convolution") for n in conv)
    assert any(n.startswith("LeNet/Sequential[features]/MaxPool2d[2]/") for n in nodes)
    # ops in LeNet.forward itself (the view, log_softmax) are in the root scope
    root_ops = {nodes[n].op for n in nodes if n.count("/") == 1 and n.startswith("LeNet/")}
    assert {"ViewBackward0", "LogSoftmaxBackward0"} <= root_ops
    out = nodes["output/output.0"]
    assert shapes(out) == [(2, 10)]
    # every edge points at a node of the graph
    for n in nodes.values():
        for i in n.input:
            assert i.split(":")[0] in nodes, (n.name, i)


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 3)
        self.shared = nn.Linear(3, 3)

    def forward(self, idx, scale):
        h = self.emb(idx)
        return self.shared(self.shared(h)) * scale, h.sum()


def test_multiple_inputs_outputs_and_reused_module(tmp_path):
    nodes, _ = graph_of(tmp_path, TwoInputs(), (ember.tensor([1, 2, 3]), ember.tensor(2.0)))
    assert "input/scale" in nodes
    assert "input/idx" not in nodes     # integer indices are not differentiable: no node
    shared = sorted(n for n in nodes if n.startswith("TwoInputs/Linear[shared]/") and
                    nodes[n].op != "Parameter")
    assert len(shared) == 2 and shared[1] == shared[0] + "_1"   # one per call, named apart
    assert {"output/output.0", "output/output.1"} <= set(nodes)


def test_verbose_prints_graph(tmp_path, capsys):
    graph_of(tmp_path, nn.Linear(2, 2), ember.randn(1, 2), verbose=True)
    assert 'op: "IO Node"' in capsys.readouterr().out


def test_graph_of_model_without_grad_inputs_still_shows_parameters(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2))
    x = ember.randn(3, 2)
    nodes, _ = graph_of(tmp_path, model, x)
    assert "Sequential/Linear[0]/weight" in nodes and "input/input" in nodes
    assert not x.requires_grad     # the caller's tensor is untouched
    np.testing.assert_array_equal(model(x).detach().numpy().shape, (3, 2))
