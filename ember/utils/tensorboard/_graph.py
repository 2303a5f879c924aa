"""`SummaryWriter.add_graph`: the dynamic graph of one forward pass, as a TensorBoard GraphDef.

PyTorch traces the model with TorchScript; ember has no tracer, but it has what a tracer would
record: the autograd graph. The model runs once (in eval mode, grad enabled, floating inputs
turned into leaves that require grad), and the graph behind its outputs is walked through
`grad_fn.next_functions`:

* every autograd node becomes an op named by its grad_fn type (`AddmmBackward0`, ...), with
  the shapes of its outputs;
* leaves become `IO Node`s (the model's inputs, named after `forward`'s parameters) or
  `Parameter` nodes named by their module path;
* each op is put under the scope of the innermost module whose forward created it
  (`Net/Sequential[features]/Conv2d[0]/ConvolutionBackward0`), found with global module
  hooks: when a module's forward returns, the nodes reachable from its outputs, stopping at
  the nodes its inputs came from, that no inner module has claimed are its own.

Only differentiable computation appears (integer index maths and ops on tensors that need no
grad leave no autograd node), which is what a graph view of a network is for.
"""
import inspect

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from ...autograd import grad_mode
from ...tensor import Tensor

__all__ = ["graph"]


def _tensors(obj):
    """The Tensors in a (nested) tuple / list / dict, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def _is_leaf_node(fn):
    return hasattr(fn, "variable")     # autograd's AccumulateGrad


def _module_scopes(model):
    """id(module) -> 'Net/Sequential[features]/Conv2d[0]', torch's scope naming."""
    root = type(model).__name__ if hasattr(model, "named_modules") else \
        getattr(model, "__name__", type(model).__name__)
    scopes = {id(model): root}
    if hasattr(model, "named_modules"):
        for path, m in model.named_modules():
            if not path or id(m) in scopes:
                continue
            parent, _, attr = path.rpartition(".")
            parent_scope = scopes[id(model.get_submodule(parent))] if parent else root
            scopes[id(m)] = f"{parent_scope}/{type(m).__name__}[{attr}]"
    return root, scopes


def _input_names(model, n):
    try:
        params = [p for p in inspect.signature(model.forward if hasattr(model, "forward")
                                               else model).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i].name if i < len(params) else f"input.{i}" for i in range(n)]


def _run_with_scopes(model, args, scopes):
    """Call the model with module hooks that give each new autograd node its module's scope."""
    from ...nn.modules.module import (register_module_forward_hook,
                                      register_module_forward_pre_hook)
    node_scope = {}
    stops = []          # per active module call: the nodes its input tensors came from

    def pre_hook(module, inputs):
        stops.append({t.grad_fn for t in _tensors(inputs) if t.grad_fn is not None})

    def post_hook(module, inputs, result):
        stop = stops.pop()
        scope = scopes.get(id(module))
        if scope is None:          # a module outside the model (a functional helper's)
            return
        todo = [t.grad_fn for t in _tensors(result) if t.grad_fn is not None]
        seen = set()
        while todo:
            fn = todo.pop()
            if fn in seen or fn in stop:
                continue
            seen.add(fn)
            node_scope.setdefault(fn, scope)   # inner modules returned first: theirs stays
            todo.extend(n for n, _ in fn.next_functions
                        if n is not None and not _is_leaf_node(n))

    handles = [register_module_forward_pre_hook(pre_hook),
               register_module_forward_hook(post_hook)]
    try:
        with grad_mode.enable_grad():
            out = model(*args)
    finally:
        for h in handles:
            h.remove()
    return out, node_scope


def _shape_proto(shape):
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])


def _node(name, op, inputs, shapes, attr, device):
    shapes_attr = AttrValue(list=AttrValue.ListValue(
        shape=[_shape_proto(s) if s is not None else TensorShapeProto(unknown_rank=True)
               for s in shapes]))
    return NodeDef(name=name, op=op, input=inputs, device=device,
                   attr={"attr": AttrValue(s=attr.encode()), "_output_shapes": shapes_attr})


def _device(dev):
    return "/device:CPU:0" if dev is None or dev.type == "cpu" else \
        f"/device:GPU:{dev.index or 0}"


def graph(model, input_to_model=None, verbose=False):
    """(GraphDef, RunMetadata) of one forward pass of `model` on `input_to_model` (a Tensor,
    or a tuple/list of the positional arguments)."""
    if input_to_model is None:
        args = ()
    elif isinstance(input_to_model, (tuple, list)):
        args = tuple(input_to_model)
    else:
        args = (input_to_model,)
    # Floating inputs become leaves that require grad, so the graph starts at them.
    args = tuple(a.detach().requires_grad_(True)
                 if isinstance(a, Tensor) and (a.dtype.is_floating_point or a.dtype.is_complex)
                 else a for a in args)
    root, scopes = _module_scopes(model)

    modules = list(model.modules()) if hasattr(model, "modules") else []
    was_training = [m.training for m in modules]
    for m in modules:
        m.training = False    # like torch's add_graph: record the eval-mode graph
    try:
        out, node_scope = _run_with_scopes(model, args, scopes)
    finally:
        for m, t in zip(modules, was_training):
            m.training = t

    leaf_names = {}
    for name, a in zip(_input_names(model, len(args)), args):
        if isinstance(a, Tensor):
            leaf_names[id(a)] = ("input/" + name, "IO Node")
    if hasattr(model, "named_parameters"):
        for pname, p in model.named_parameters():
            mod, _, attr = pname.rpartition(".")
            scope = scopes[id(model.get_submodule(mod))] if mod else root
            leaf_names.setdefault(id(p), (f"{scope}/{attr}", "Parameter"))

    # Walk the graph from the outputs: post-order, so producers are listed before consumers.
    outputs = _tensors(out)
    order, seen = [], set()
    for t in outputs:
        if t.grad_fn is None:
            continue
        todo = [(t.grad_fn, False)]
        while todo:
            fn, expanded = todo.pop()
            if expanded:
                order.append(fn)
                continue
            if fn in seen:
                continue
            seen.add(fn)
            todo.append((fn, True))
            for n, _ in reversed(fn.next_functions):
                if n is not None and n not in seen:
                    todo.append((n, False))

    nodes, names, taken = [], {}, set()

    def unique(name):
        k, base = 0, name
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name

    for fn in order:
        if _is_leaf_node(fn):
            v = fn.variable
            name, op = leaf_names.get(id(v), (f"{root}/tensor", "Leaf"))
            names[fn] = unique(name)
            nodes.append(_node(names[fn], op, [], [tuple(v.shape)],
                               f"{{ dtype : {v.dtype} }}", _device(v.device)))
            continue
        scope = node_scope.get(fn, root)
        names[fn] = unique(f"{scope}/{fn.name()}")
        inputs = [names[n] + (f":{nr}" if nr else "")
                  for n, nr in fn.next_functions if n is not None]
        meta = getattr(fn, "_out_meta", ())
        shapes = [m[0] if m is not None else None for m in meta]
        dtypes = ", ".join(str(m[1]) for m in meta if m is not None)
        nodes.append(_node(names[fn], fn.name(), inputs, shapes, f"{{ dtype : {dtypes} }}",
                           _device(getattr(fn, "_device", None))))

    for i, t in enumerate(outputs):
        if t.grad_fn is not None:
            src = names[t.grad_fn] + (f":{t._output_nr}" if t._output_nr else "")
        elif id(t) in leaf_names:       # a model that returns its input or a parameter
            src = leaf_names[id(t)][0]
        else:
            src = None                  # an output that doesn't depend on anything tracked
        nodes.append(_node(f"output/output.{i}", "IO Node", [src] if src else [],
                           [tuple(t.shape)], f"{{ dtype : {t.dtype} }}", _device(t.device)))

    graph_def = GraphDef(node=nodes, versions=VersionDef(producer=22))
    if verbose:
        print(graph_def)
    stats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(
        device="/device:CPU:0")]))
    return graph_def, stats
