"""ember.utils.viz.make_dot: the DOT text is parsed back and compared with the autograd
graph it was drawn from; rendering is checked where Graphviz is installed."""
import os
import re
import shutil
import subprocess
import sys

import pytest

import ember
import ember.nn as nn
from ember.utils import viz
from ember.utils.viz import Dot, make_dot, make_dot_from_trace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_NODE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|\w+) \[(.*?)\]$', re.M | re.S)
_EDGE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|\w+) -> ("(?:[^"\\]|\\.)*"|\w+)(?: \[(.*?)\])?$',
                   re.M)


def parse(source):
    """({node id: attribute text}, [(tail, head, attribute text)]) of a DOT digraph body."""
    nodes, edges = {}, []
    for m in _EDGE.finditer(source):
        edges.append((m.group(1), m.group(2), m.group(3) or ""))
    for m in _NODE.finditer(source):
        if " -> " not in m.group(0).splitlines()[0] and \
                m.group(1) not in ("graph", "node", "edge"):   # (default attribute lines)
            nodes[m.group(1)] = m.group(2)    # a later statement for the same id wins
    return nodes, edges


def autograd_graph(t):
    """(set of autograd nodes, set of (from, to) edges) reachable from t.grad_fn."""
    fns, edges, todo = set(), set(), [t.grad_fn]
    while todo:
        fn = todo.pop()
        if fn in fns:
            continue
        fns.add(fn)
        for n, _ in fn.next_functions:
            if n is not None:
                edges.add((id(n), id(fn)))
                todo.append(n)
    return fns, edges


@pytest.fixture(params=["graphviz", "fallback"])
def backend(request, monkeypatch):
    """Run each test with the graphviz package (when installed) and with ember's Dot."""
    if request.param == "graphviz":
        pytest.importorskip("graphviz")
    else:
        monkeypatch.setitem(sys.modules, "graphviz", None)
    return request.param


def test_multipath_expression(backend):
    a = ember.tensor(2.0, requires_grad=True)
    b = ember.tensor(1.0, requires_grad=True)
    x = 2 * a + 3 * b
    y = 5 * a * a + 3 * b * b * b
    z = 2 * x + 3 * y
    dot = make_dot(z, params={"a": a, "b": b})
    if backend == "fallback":
        assert isinstance(dot, Dot)
    else:
        import graphviz
        assert isinstance(dot, graphviz.Digraph)
    nodes, edges = parse(dot.source)
    fns, fn_edges = autograd_graph(z)
    leaves = [f for f in fns if hasattr(f, "variable")]
    assert len(leaves) == 2
    # one node per autograd node, one per leaf variable, one for z
    assert len(nodes) == len(fns) + len(leaves) + 1
    expected = {(str(u), str(v)) for u, v in fn_edges}
    expected |= {(str(id(f.variable)), str(id(f))) for f in leaves}   # variable -> AccumulateGrad
    expected.add((str(id(z.grad_fn)), str(id(z))))                   # last op -> output
    assert {(u, v) for u, v, _ in edges} == expected
    assert 'label="a\n ()"' in nodes[str(id(a))] and "lightblue" in nodes[str(id(a))]
    assert 'label="b\n ()"' in nodes[str(id(b))]
    assert "darkolivegreen1" in nodes[str(id(z))]
    names = {nodes[str(id(f))] for f in fns}
    assert "label=AccumulateGrad" in names and "label=AddBackward0" in names


def test_model_parameters_named_with_shapes(backend):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    out = model(ember.randn(5, 4))
    dot = make_dot(out, params=dict(model.named_parameters()))
    nodes, edges = parse(dot.source)
    for name, p in model.named_parameters():
        shape = ", ".join(map(str, p.shape))
        assert f'label="{name}\n ({shape})"' in nodes[str(id(p))]
    fns, fn_edges = autograd_graph(out)
    assert len(nodes) == len(fns) + 4 + 1      # + 4 parameters + the output
    assert len(edges) == len(fn_edges) + 4 + 1


def test_show_saved_and_attrs(backend):
    x = ember.randn(3, 4, requires_grad=True)
    w = ember.randn(4, 2, requires_grad=True)
    y = (x @ w).relu().sum(dim=1)
    plain_nodes, _ = parse(make_dot(y).source)
    nodes, edges = parse(make_dot(y, show_saved=True, show_attrs=True).source)
    saved = [n for n, attrs in nodes.items() if "fillcolor=orange" in attrs]
    assert saved                                   # mm's operands, relu's result
    assert any("(result)" in nodes[n] for n in saved)
    assert all(any(v == n and "dir=none" in a for _, v, a in edges) for n in saved)
    sum_node = nodes[str(id(y.grad_fn))]
    assert "SumBackward" in sum_node and "----" in sum_node    # attributes listed
    assert len(plain_nodes) < len(nodes)


def test_view_base_drawn_dotted(backend):
    x = ember.randn(4, 3, requires_grad=True)
    base = x * 2
    v = base[1]
    nodes, edges = parse(make_dot(v).source)
    assert (str(id(base)), str(id(v)), "style=dotted") in edges
    assert "darkolivegreen3" in nodes[str(id(base))]


def test_tuple_of_outputs_and_long_chain(backend):
    x = ember.randn(2, requires_grad=True)
    h = x
    for _ in range(3000):                 # deeper than the recursion limit allows recursing
        h = h * 1.0001
    nodes, _ = parse(make_dot((h, x.sum())).source)
    assert str(id(h)) in nodes and len(nodes) > 3000


def test_fallback_save_and_render_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    y = (ember.randn(2, requires_grad=True) * 3).sum()
    dot = make_dot(y)
    path = dot.save("g.dot", directory=str(tmp_path))
    assert open(path).read() == dot.source and dot.source.startswith("digraph {")
    with pytest.raises(ImportError, match="graphviz"):
        dot.render("g", format="svg")


def test_fallback_source_is_valid_dot(tmp_path, monkeypatch):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    monkeypatch.setitem(sys.modules, "graphviz", None)
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    src = make_dot(model(ember.randn(1, 2)), params=dict(model.named_parameters()),
                   show_saved=True, show_attrs=True).source
    out = subprocess.run(["dot", "-Tsvg"], input=src, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "<svg" in out.stdout and "0.weight" in out.stdout


def test_graphviz_render(tmp_path):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    y = (ember.randn(2, requires_grad=True).exp() * 2).sum()
    path = make_dot(y).render(str(tmp_path / "g"), format="svg")
    assert path.endswith(".svg") and "<svg" in open(path).read()


def test_make_dot_from_trace_not_implemented():
    with pytest.raises(NotImplementedError, match="make_dot"):
        make_dot_from_trace(None)


def test_params_must_be_tensors():
    y = (ember.randn(2, requires_grad=True) * 2).sum()
    with pytest.raises(AssertionError):
        make_dot(y, params={"w": 3})
    assert viz is ember.utils.viz


def test_example_writes_dot_files(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "graph_viz.py"),
                          str(tmp_path)], capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "dz/da at a=2.0: tensor(64.)" in out.stdout
    lenet = (tmp_path / "lenet.dot").read_text()
    for name in ("conv1.weight", "conv2.bias", "fc1.weight", "fc2.bias"):
        assert name in lenet
    assert "LogSoftmaxBackward0" in lenet and (tmp_path / "multipath.dot").exists()
