"""ember.utils.checkpoint: activation checkpointing (torch.utils.checkpoint).

`checkpoint(function, *args)` trades compute for memory: the forward pass keeps only the
inputs of `function`, not the activations inside it; backward runs `function` again with
grad enabled (with the random state of the first run, so dropout draws the same mask) and
backpropagates through that recomputed graph. `checkpoint_sequential` does this segment by
segment for a sequence of modules.

Two variants, chosen with `use_reentrant` as in PyTorch:

* `use_reentrant=True` (PyTorch's default when the argument is left out, with its warning):
  `function` runs under no_grad inside a custom `autograd.Function`, whose backward reruns it
  and calls `ember.autograd.backward` on the result: a backward pass inside the backward
  pass. As in PyTorch, parameters used by `function` get their gradient accumulated into
  `.grad` by that inner pass, so this variant raises PyTorch's error under
  `ember.autograd.grad` or `backward(inputs=...)`, keyword arguments are refused, and if no
  input tensor requires grad the output does not either (with PyTorch's warning).

* `use_reentrant=False`: PyTorch implements it with saved-tensor hooks, which ember's
  autograd does not have. ember gets the same semantics this way: `function` runs once with
  grad enabled on detached inputs, which shows every tensor requiring grad that it reads
  besides its arguments (parameters, captured tensors); that graph is then dropped, keeping
  only the outputs, and a single autograd node is made whose inputs are the arguments *and*
  those tensors. Its backward reruns `function` and returns gradients for all of them through
  `ember.autograd.grad`, so the engine routes them like any other gradient: works with
  `ember.autograd.grad`, `backward(inputs=...)`, double backward, keyword arguments, nested
  outputs, and inputs that don't require grad (parameters still get theirs). A non-leaf
  tensor read from a closure is backpropagated through by the recompute (the node is linked
  to it so the engine keeps its graph until then). Difference from PyTorch: the activations
  of one checkpointed call are alive while it runs forward (they are freed when it returns),
  so wrap blocks, not a whole model, to save memory.
"""
import contextlib
import warnings

import numpy as np

from .. import random as _random
from ..autograd import grad_mode
from ..autograd.function import Function
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """Raised when the recomputed forward does not match the original one."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """The tensors of a tuple detached, each keeping its requires_grad flag."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            inp = x
        out.append(inp)
    return tuple(out)


def check_backward_validity(inputs):
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


# ---------------------------------------------------------------------- random state
class _RngState:
    """The random state a checkpointed forward starts from, to replay it in the recompute.

    CPU: the default generator's state, restored around the recompute (and the state after
    the recompute put back, so recomputing doesn't shift later draws). CUDA (CuPy): the
    default GPU stream can't be snapshotted, so when an input is on a GPU the forward and its
    recompute both draw from a fresh `cupy.random.RandomState` seeded with one value drawn
    from the CPU generator, and the global GPU stream is left as it was.
    """

    def __init__(self, tensors):
        self.cpu = _random.get_rng_state()
        self.cuda_seed = None
        if any(t.device.type == "cuda" for t in tensors):
            from ..ops.random import default_generator
            self.cuda_seed = int(default_generator._np.integers(1 << 63))
            self.cpu = _random.get_rng_state()     # after that draw: forward starts here

    @contextlib.contextmanager
    def forward(self):
        with self._cuda_stream():
            yield

    @contextlib.contextmanager
    def replay(self):
        with _random.fork_rng(devices=[]), self._cuda_stream():
            _random.set_rng_state(self.cpu)
            yield

    @contextlib.contextmanager
    def _cuda_stream(self):
        if self.cuda_seed is None:
            yield
            return
        import cupy
        saved = cupy.random.get_random_state()
        cupy.random.set_random_state(cupy.random.RandomState(self.cuda_seed))
        try:
            yield
        finally:
            cupy.random.set_random_state(saved)


class _NoRng:
    forward = replay = staticmethod(contextlib.nullcontext)


# ---------------------------------------------------------------------- reentrant variant
def _checkpoint_valid():
    """PyTorch's `torch.autograd._is_checkpoint_valid()` (see the engine)."""
    from ..autograd import engine
    return engine.is_checkpoint_valid()


class CheckpointFunction(Function):
    """use_reentrant=True: forward under no_grad; backward recomputes and runs a nested
    backward pass (PyTorch's CheckpointFunction; grad_fn name CheckpointFunctionBackward)."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.rng = _RngState([a for a in args if isinstance(a, Tensor)]) \
            if preserve_rng_state else _NoRng()
        # tensors go through save_for_backward (in-place modification check); the rest as is
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        with ctx.rng.forward():        # (apply already runs this under no_grad)
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        from .. import autograd
        if not _checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        detached = detach_variable(tuple(inputs))
        with ctx.rng.replay(), grad_mode.enable_grad():
            outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        roots, root_grads = [], []
        for o, g in zip(outputs, grads):
            if isinstance(o, Tensor) and o.requires_grad:
                roots.append(o)
                root_grads.append(g)
        if not roots:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        autograd.backward(roots, root_grads)
        return (None, None) + tuple(d.grad if isinstance(d, Tensor) else None
                                    for d in detached)


# ---------------------------------------------------------------------- non-reentrant variant
def _flatten(obj):
    """(items, rebuild): the items of nested tuples / lists / dicts in order, and a function
    that builds the same structure from a list of new items. `rebuild` keeps only the
    structure, not the items (which may hold a whole autograd graph)."""
    if isinstance(obj, (tuple, list)) and not hasattr(obj, "_fields"):
        parts = [_flatten(o) for o in obj]
        sizes = [len(items) for items, _ in parts]
        rebuilds = [rb for _, rb in parts]
        kind = type(obj)

        def rebuild(items):
            out, k = [], 0
            for rb, n in zip(rebuilds, sizes):
                out.append(rb(items[k:k + n]))
                k += n
            return kind(out)
        return [x for items, _ in parts for x in items], rebuild
    if isinstance(obj, dict):
        keys, kind = list(obj), type(obj)
        flat, rb = _flatten([obj[k] for k in keys])
        return flat, lambda items: kind(zip(keys, rb(items)))
    return [obj], _first


def _first(items):
    return items[0]


def _walk(outputs, own):
    """Walk the graph behind `outputs` (the discovery forward's). Returns the leaf tensors
    requiring grad other than `own` (ids of the detached arguments): parameters and tensors
    read from outside; and, weakly, every edge (parent, child node, nr, shape, dtype), so that
    once the forward's graph is dropped the nodes that outlive it can be told apart (see
    `_existing_frontier`)."""
    import weakref
    found, seen, todo, edges = {}, set(), [], []
    for o in outputs:
        if o.grad_fn is not None:
            todo.append(o.grad_fn)
            edges.append((None, weakref.ref(o.grad_fn), o._output_nr, o.shape, o.dtype))
        elif o.requires_grad and id(o) not in own:
            found[id(o)] = o          # function returned a parameter as it is
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        parent = weakref.ref(node)
        for e in node._next:
            if e is None:
                continue
            if isinstance(e[0], Tensor):
                if id(e[0]) not in own:
                    found.setdefault(id(e[0]), e[0])
            else:
                edges.append((parent, weakref.ref(e[0])) + tuple(e[1:4]))
                if e[0] not in seen:
                    todo.append(e[0])
    return list(found.values()), edges


def _existing_frontier(edges):
    """Stand-in tensors for the nodes the function's graph reached that existed before it ran
    (a non-leaf tensor requiring grad read from a closure or a global): once the forward's own
    nodes are freed, they are the ones still alive whose parent (or the output) is not.
    Linking the checkpoint node to them makes the engine run it before them, so the
    recompute can still backpropagate through them (it never sends them a gradient: the
    leaves behind them get theirs from the recompute)."""
    from ..backends import get_backend
    from ..dtypes import to_np
    from ..tensor import _make
    frontier = {}
    for parent, child, nr, shape, dt in edges:
        node = child()
        if node is not None and (parent is None or parent() is None):
            key = (id(node), nr)
            if key not in frontier:
                dev = node._device
                xp = np if dev.type == "cpu" else get_backend(dev).xp
                # only its shape and dtype are read (for the edge): a broadcast zero
                t = _make(xp.broadcast_to(xp.zeros((), to_np(dt)), tuple(shape)), dev)
                t.grad_fn, t._output_nr, t._requires_grad = node, nr, True
                frontier[key] = t
    return list(frontier.values())


def _recompute_inputs(flat, keep_graph):
    """The arguments for the recompute: detached copies (so the gradients stop there), or,
    under create_graph, aliases still joined to the originals, so that the gradients this
    node returns can themselves be differentiated back to them (double backward)."""
    out = []
    for x in flat:
        if isinstance(x, Tensor):
            x = x.view_as(x) if keep_graph and x.requires_grad else \
                x.detach().requires_grad_(x.requires_grad)
        out.append(x)
    return out


def _meta(t):
    return {"shape": t.shape, "dtype": t.dtype, "device": t.device}


class _Recompute:
    """What the non-reentrant node needs to rerun the function (not the outputs' graph)."""
    __slots__ = ("function", "flat_in", "rebuild_in", "n_args", "extra", "n_frontier", "rng",
                 "recompute_ctx", "check", "out_meta", "outputs")


class Checkpoint(Function):
    """use_reentrant=False: a node whose inputs are the function's tensor arguments plus
    the outside leaves it reads; its backward recomputes and returns all their gradients."""

    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        ctx.save_for_backward(*tensors[:state.n_args])
        outs = state.outputs
        state.outputs = None          # the node must not hold the forward's results
        non_diff = [o for o, keep in outs if not keep]
        if non_diff:
            ctx.mark_non_differentiable(*non_diff)
        return tuple(o for o, _ in outs)

    @staticmethod
    def backward(ctx, *grads):
        from .. import autograd
        st = ctx.state
        create_graph = grad_mode.is_grad_enabled()   # the engine enables grad for create_graph
        args = list(ctx.saved_tensors)
        extra = st.extra
        flat = list(st.flat_in)
        k = 0
        for i, x in enumerate(flat):
            if isinstance(x, Tensor):
                flat[i] = args[k]
                k += 1
        with st.rng.replay(), st.recompute_ctx, grad_mode.enable_grad():
            rin = _recompute_inputs(flat, create_graph)
            fargs, fkwargs = st.rebuild_in(rin)
            out = st.function(*fargs, **fkwargs)
        outs = [o for o in _flatten(out)[0] if isinstance(o, Tensor)]
        if st.check:
            bad = [(i, m, _meta(o)) for i, (m, o) in enumerate(zip(st.out_meta, outs))
                   if m != _meta(o)]
            if len(outs) != len(st.out_meta) or bad:
                lines = "".join(f"tensor at position {i}:\nsaved metadata: {m}\n"
                                f"recomputed metadata: {r}\n" for i, m, r in bad)
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values for the following tensors have "
                    f"different metadata than during the forward pass.\n{lines}.\n")
        targets = [d for d in rin if isinstance(d, Tensor) and d.requires_grad] + extra
        roots, root_grads = [], []
        for o, g in zip(outs, grads):
            if o.requires_grad and g is not None:
                roots.append(o)
                root_grads.append(g)
        n_tensors = len(args)
        if not roots or not targets:
            return (None,) * (1 + n_tensors + len(extra) + st.n_frontier)
        # retain_graph: the recomputed graph is dropped with this frame anyway; retaining keeps
        # nodes it shares with the outer graph (via captured non-leaf tensors) usable there.
        got = list(autograd.grad(roots, targets, root_grads, retain_graph=True,
                                 create_graph=create_graph, allow_unused=True))
        res = [None]
        for d in rin:
            if isinstance(d, Tensor):
                res.append(got.pop(0) if d.requires_grad else None)
        return tuple(res) + tuple(got) + (None,) * st.n_frontier


def _checkpoint_non_reentrant(function, preserve, context_fn, determinism_check, args,
                              kwargs):
    forward_ctx, recompute_ctx = context_fn()
    if not grad_mode.is_grad_enabled():
        with forward_ctx:             # nothing will be differentiated: just run it
            return function(*args, **kwargs)
    flat_in, rebuild_in = _flatten((args, kwargs))
    in_tensors = [x for x in flat_in if isinstance(x, Tensor)]
    rng = _RngState(in_tensors) if preserve else _NoRng()
    detached = list(detach_variable(tuple(flat_in)))
    fargs, fkwargs = rebuild_in(detached)
    with rng.forward(), forward_ctx:
        out = function(*fargs, **fkwargs)
    flat_out, rebuild_out = _flatten(out)
    is_tensor = [isinstance(o, Tensor) for o in flat_out]
    out_tensors = [o for o in flat_out if isinstance(o, Tensor)]
    extra, edges = _walk(out_tensors, {id(d) for d in detached if isinstance(d, Tensor)})

    st = _Recompute()
    st.function, st.flat_in, st.n_args, st.extra = function, flat_in, len(in_tensors), extra
    st.rebuild_in, st.rng, st.recompute_ctx = rebuild_in, rng, recompute_ctx
    st.check = determinism_check == "default"
    st.out_meta = [_meta(o) for o in out_tensors]
    st.outputs = [(o.detach(), o.requires_grad) for o in out_tensors]
    flat_out = [None if t else o for o, t in zip(flat_out, is_tensor)]
    # Drop the forward's graph (only the outputs' values are kept); what of it survives
    # existed before the call.
    del out, out_tensors, fargs, fkwargs, detached
    frontier = _existing_frontier(edges)
    st.n_frontier = len(frontier)
    it = iter(Checkpoint.apply(st, *in_tensors, *extra, *frontier))
    return rebuild_out([next(it) if t else o for o, t in zip(flat_out, is_tensor)])


# ---------------------------------------------------------------------- public API
def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """Run `function(*args, **kwargs)` without keeping its activations; recompute them in
    backward. `preserve_rng_state=True` (keyword) replays the random state, so dropout inside
    matches. `context_fn` (non-reentrant only) returns two context managers, entered around
    the forward and around the recompute. `early_stop` is accepted (ember always recomputes
    the whole function)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    if debug:
        raise NotImplementedError("checkpoint(debug=True) is not supported by ember")
    return _checkpoint_non_reentrant(function, preserve, context_fn, determinism_check, args,
                                     kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of modules/functions in `segments` chunks, checkpointing all but the
    last (which backward needs right away, so saving its activations costs nothing)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    from ..nn.modules.container import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
