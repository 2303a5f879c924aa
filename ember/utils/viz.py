"""ember.utils.viz: draw the autograd graph behind a tensor, in the style of the torchviz
package (`make_dot(y, params=dict(model.named_parameters()))`).

The graph is walked from `var.grad_fn` through `next_functions`. Nodes:

* grey boxes: autograd nodes, labelled with their name (`AddmmBackward0`);
* light blue: leaves that receive a gradient (`AccumulateGrad`'s variable), labelled with the
  parameter's name from `params` and its shape;
* green: the output tensor(s); a view's base is drawn in darker green, joined dotted;
* orange (show_saved=True): the tensors each node saved for backward.

With the optional `graphviz` package installed (`pip install "ember[viz]"`) the result is a
`graphviz.Digraph`; without it, a small `Dot` object with the same `.source`, `.save()`,
`.node()`/`.edge()`, whose `.render()` explains what is missing. Rendering to SVG/PNG also
needs Graphviz's `dot` program (`apt install graphviz`, `brew install graphviz`, ...).
"""
import os

from ..tensor import Tensor

__all__ = ["make_dot", "make_dot_from_trace", "Dot"]

_NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                  height="0.2", fontname="monospace")


_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def _quote(s):
    """A DOT ID: bare when it is a plain word or number, else a quoted string."""
    s = str(s)
    bare = s.replace("_", "a").isalnum() and not s[0].isdigit() or s.isdigit()
    if bare and s.lower() not in _KEYWORDS:
        return s
    # (newlines stay literal inside the quotes, as the graphviz package writes them)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(d):
    return " ".join(f"{k}={_quote(v)}" for k, v in d.items())


class Dot:
    """DOT source built with graphviz.Digraph's calls (node, edge, attr), for when the
    graphviz package is not installed."""

    def __init__(self, name=None, node_attr=None, graph_attr=None):
        self.name = name
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.body = []

    def node(self, name, label=None, **attrs):
        if label is not None:
            attrs = {"label": label, **attrs}
        self.body.append(f"\t{_quote(name)} [{_attrs(attrs)}]" if attrs else
                         f"\t{_quote(name)}")

    def edge(self, tail_name, head_name, **attrs):
        line = f"\t{_quote(tail_name)} -> {_quote(head_name)}"
        self.body.append(line + (f" [{_attrs(attrs)}]" if attrs else ""))

    def attr(self, kw=None, **attrs):
        if kw in (None, "graph"):
            self.graph_attr.update(attrs)
        elif kw == "node":
            self.node_attr.update(attrs)
        else:
            self.body.append(f"\t{kw} [{_attrs(attrs)}]")

    @property
    def source(self):
        lines = ["digraph" + (f" {_quote(self.name)}" if self.name else "") + " {"]
        if self.graph_attr:
            lines.append(f"\tgraph [{_attrs(self.graph_attr)}]")
        if self.node_attr:
            lines.append(f"\tnode [{_attrs(self.node_attr)}]")
        return "\n".join(lines + self.body + ["}"]) + "\n"

    def __str__(self):
        return self.source

    def save(self, filename=None, directory=None):
        """Write the DOT source (default `<name or 'Digraph'>.gv`); returns the path."""
        path = filename or f"{self.name or 'Digraph'}.gv"
        if directory:
            path = os.path.join(directory, path)
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None,
               **kwargs):
        raise ImportError("rendering the graph needs the graphviz Python package "
                          '(`pip install graphviz`, or `pip install "ember[viz]"`) and '
                          "Graphviz's `dot` program; `.source` and `.save()` work without "
                          "them")


def _digraph(node_attr, graph_attr):
    try:
        import graphviz
    except ImportError:
        return Dot(node_attr=node_attr, graph_attr=graph_attr)
    return graphviz.Digraph(node_attr=node_attr, graph_attr=graph_attr)


def _size_str(shape):
    return "(" + ", ".join(str(int(v)) for v in shape) + ")"


class _SavedResult:
    """A node's own output that it saved (held as an array, so there is no Tensor to show)."""

    def __init__(self, shape):
        self.shape = shape


def _saved_items(fn):
    """(label, value) for what an autograd node saved: its saved tensors (by position,
    ember's nodes don't name them) and plain attributes set on the ctx in forward."""
    from ..autograd.function import _FREED, _OutputRef
    if hasattr(fn, "variable"):      # AccumulateGrad saves nothing
        return []
    items = []
    saved = getattr(fn, "_saved", None)
    if saved is not None and saved is not _FREED:
        for i, s in enumerate(saved):
            if isinstance(s, _OutputRef):
                items.append((f"saved[{i}]", _SavedResult(tuple(s.array.shape))))
            else:
                items.append((f"saved[{i}]", s))
    for k, v in getattr(fn, "__dict__", {}).items():
        if not k.startswith("_") and k != "needs_input_grad":
            items.append((k, v))
    return items


def _attr_text(v, max_chars):
    if isinstance(v, Tensor):
        return "[saved tensor]"
    if isinstance(v, tuple) and v and any(isinstance(x, Tensor) for x in v):
        return "[saved tensors]"
    s = str(v) if not hasattr(v, "shape") else f"array{_size_str(v.shape)}"
    return s if len(s) <= max_chars else s[:max_chars] + "..."


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The autograd graph behind `var` (a Tensor or a tuple of them) as a graphviz
    Digraph (or `Dot`). `params`: {name: tensor} to label leaves, e.g.
    `dict(model.named_parameters())`; `show_attrs`: list each node's non-tensor saved
    attributes in its label; `show_saved`: draw the tensors it saved for backward."""
    if params is not None:
        if not all(isinstance(p, Tensor) for p in params.values()):
            raise AssertionError("params must be a dict of {name: Tensor}")
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}
    dot = _digraph(_NODE_ATTR, dict(size="12,12"))
    seen = set()

    def var_label(t, name=None):
        name = name if name is not None else param_map.get(id(t), "")
        return f"{name}\n {_size_str(t.shape)}"

    def fn_label(fn):
        name = "AccumulateGrad" if hasattr(fn, "variable") else fn.name()
        if not show_attrs:
            return name
        lines = [f"{k}: {_attr_text(v, max_attr_chars)}" for k, v in _saved_items(fn)
                 if not isinstance(v, (Tensor, _SavedResult))]
        if not lines:
            return name
        width = max(len(name), *(len(line) for line in lines))
        return "\n".join([name, "-" * width] + lines)

    def add_nodes(root):
        todo = [root]
        while todo:          # iterative: a long RNN graph must not hit the recursion limit
            fn = todo.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if show_saved:
                for label, val in _saved_items(fn):
                    if isinstance(val, Tensor):
                        dot.edge(str(id(fn)), str(id(val)), dir="none")
                        dot.node(str(id(val)), var_label(val, label), fillcolor="orange")
                        seen.add(id(val))
                    elif isinstance(val, _SavedResult):
                        node_id = f"{id(fn)}_{label}"     # a saved output of this node
                        dot.edge(str(id(fn)), node_id, dir="none")
                        dot.node(node_id, f"{label} (result)\n {_size_str(val.shape)}",
                                 fillcolor="orange")
            if hasattr(fn, "variable"):
                v = fn.variable
                if v is not None:
                    seen.add(id(v))
                    dot.node(str(id(v)), var_label(v), fillcolor="lightblue")
                    dot.edge(str(id(v)), str(id(fn)))
            dot.node(str(id(fn)), fn_label(fn))
            for nxt, _ in fn.next_functions:
                if nxt is not None:
                    dot.edge(str(id(nxt)), str(id(fn)))
                    todo.append(nxt)

    def add_base_tensor(t, color="darkolivegreen1"):
        while t is not None and id(t) not in seen:
            seen.add(id(t))
            dot.node(str(id(t)), var_label(t), fillcolor=color)
            if t.grad_fn is not None:
                add_nodes(t.grad_fn)
                dot.edge(str(id(t.grad_fn)), str(id(t)))
            base = getattr(t, "_base", None)
            if base is None:
                break
            dot.edge(str(id(base)), str(id(t)), style="dotted")
            t, color = base, "darkolivegreen3"

    for t in (var if isinstance(var, (tuple, list)) else (var,)):
        add_base_tensor(t)
    _resize(dot)
    return dot


def _resize(dot, size_per_element=0.15, min_size=12):
    """Scale the drawing with the number of statements so large graphs stay readable."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr.update(size=f"{size},{size}")


def make_dot_from_trace(trace):
    raise NotImplementedError("make_dot_from_trace needs a TorchScript trace, which ember "
                              "does not have; use make_dot(output) on the autograd graph")
