"""The backward engine: iterative (no recursion), dependency-counted topological order.

Graph: each node is a `Function` instance; `node._next[i]` is the edge for forward input i:
`(node, output_nr, shape, dtype)` for a non-leaf, `(leaf_tensor, 0, shape, dtype)` for a
leaf that requires grad, or None. Gradients for a node's outputs are summed in a buffer
until every node that feeds it has run, then the node's backward runs once.
"""
import weakref


from . import grad_mode
from .. import tensor as _tensor_mod

Tensor = _tensor_mod.Tensor
_make = _tensor_mod._make
_from_np = _tensor_mod._from_np
_ndarray_types = _tensor_mod._ndarray_types
_enabled = grad_mode._enabled

_anomaly = grad_mode._anomaly   # [enabled, check_nan]


class AccumulateGrad:
    """The node PyTorch shows for a leaf in `next_functions`; ember's engine accumulates into
    leaves directly, so this object exists only for inspection."""
    # id(leaf) -> node, one stable node per leaf as in PyTorch. Not a WeakKeyDictionary: it
    # compares keys with ==, which is elementwise (and raises) for Tensors; and the node holds
    # its leaf weakly, so the cache never keeps a tensor alive.
    _cache = {}

    def __init__(self, variable):
        self._ref = weakref.ref(variable)
        self.next_functions = ()

    @property
    def variable(self):
        return self._ref()

    @classmethod
    def of(cls, t):
        n = cls._cache.get(id(t))
        if n is None or n._ref() is not t:
            n = cls._cache[id(t)] = cls(t)
            weakref.finalize(t, cls._cache.pop, id(t), None)
        return n

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _root_base_id(arr):
    b = arr
    while getattr(b, "base", None) is not None:
        b = b.base
    return id(b)


def _check_nan(node, grads):
    from ..ops import _util
    for i, g in enumerate(grads):
        if g is not None and _util.has_nan(g._data):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def run_backward(roots, root_grads, retain_graph, create_graph, inputs=None, capture=False,
                 allow_unused=True):
    """Backpropagate `root_grads` from `roots`.

    With `capture=True` (autograd.grad) the gradients of `inputs` are returned instead of
    accumulated into `.grad`; with `inputs` and capture=False (backward(inputs=...)) only
    those tensors accumulate.
    """
    # Targets whose gradient is collected at a node's buffer: (node, nr) -> index in inputs
    leaf_targets = None
    node_targets = None
    results = None
    if inputs is not None:
        leaf_targets = {}
        node_targets = {}
        for k, t in enumerate(inputs):
            if t.grad_fn is None:
                if not t._requires_grad:
                    raise RuntimeError("One of the differentiated Tensors does not require grad")
                leaf_targets[id(t)] = k
            else:
                node_targets[(t.grad_fn, t._output_nr)] = k
        results = [None] * len(inputs)

    # id of base arrays already handed to a leaf (or given by the user) in this call; such an
    # array is copied, never stolen, so two .grad never alias one buffer.
    given = set()
    stolen_into = set()
    buffers = {}
    deps = {}
    ready = []
    for r, g in zip(roots, root_grads):
        if g is not None:
            given.add(_root_base_id(g._data))
        fn = r.grad_fn
        if fn is None:
            if not r._requires_grad:
                raise RuntimeError("element 0 of tensors does not require grad and does not "
                                   "have a grad_fn")
            _deliver_leaf(r, g, create_graph, leaf_targets, results, capture, given, stolen_into)
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * len(fn._out_meta)
        nr = r._output_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    # Dependency counts over the reachable graph.
    stack = list(buffers)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for e in node._next:
            if e is None:
                continue
            nxt = e[0]
            if isinstance(nxt, Tensor):
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    ready = [n for n in buffers if deps.get(n, 0) == 0]
    needed = _needed_nodes(seen, leaf_targets, node_targets) if inputs is not None else None

    check_nan = _anomaly[0] and _anomaly[1]
    prev_mode = _enabled[0]
    _enabled[0] = bool(create_graph)
    final_callbacks = []
    _final_callbacks.append(final_callbacks)
    _plain_backward.append(not capture and inputs is None)
    # PyTorch computes inf/nan gradients at domain edges (sqrt'(0), log'(0)) silently; so
    # does ember, through the warnings filter in ember/_warnings.py (an np.errstate here
    # would cost ~3 us per backward call).
    try:
        if inputs is None and not create_graph and not _anomaly[0] and not _profiling[0]:
            # loss.backward(), the common case: gradients flow as raw arrays
            _run_arrays(buffers, deps, ready, retain_graph, given, stolen_into)
        else:
            _run_tensors(buffers, deps, ready, retain_graph, create_graph, check_nan, inputs,
                         leaf_targets, node_targets, needed, results, capture, given,
                         stolen_into)
        i = 0
        while i < len(final_callbacks):   # queue_callback: hooks asked to run at the end
            final_callbacks[i]()
            i += 1
    finally:
        _enabled[0] = prev_mode
        _final_callbacks.pop()
        _plain_backward.pop()

    if capture:
        for k, t in enumerate(inputs):
            if results[k] is None and not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {k} appears to not "
                                   "have been used in the graph. Set allow_unused=True if this "
                                   "is the desired behavior.")
        return results
    return None


def _node_step(node, grads, retain_graph, raw_ok, check_nan):
    """Run one node's backward on Tensor gradients: pre-hooks, materialising missing output
    gradients, backward (array-level when allowed), post-hooks.  Releases the node's saved
    state unless `retain_graph`.  Returns the tuple of input gradients, or None when no input
    needs one."""
    if node._tensor_pre_hooks or node._retain or node._pre_hooks:
        grads = _call_pre_hooks(node, grads)
    next_ = node._next
    for e in next_:
        if e is not None:
            break
    else:   # no input needs a gradient (or no inputs): nothing to compute
        if not retain_graph:
            node._release()
        return None
    if node._materialize_grads:
        for i, g in enumerate(grads):
            if g is None and node._out_meta[i] is not None:
                shape, dt = node._out_meta[i]
                grads[i] = _tensor_mod._zeros(shape, dt, node._device)
    try:
        if _anomaly[0]:
            with _anomaly_context(node):
                in_grads = node.backward(node, *grads)
        elif raw_ok and node.backward_raw is not None:
            in_grads = _call_raw(node, grads)
        else:
            in_grads = node.backward(node, *grads)
    finally:
        if not retain_graph:
            node._release()
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if len(in_grads) < len(next_):
        if len(in_grads) != len(next_) and not node._raw:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                               f"gradients (expected {len(next_)}, got {len(in_grads)})")
    if node._hooks:
        for h in node._hooks:
            r = h(in_grads, tuple(grads))
            if r is not None:
                in_grads = tuple(r)
    if check_nan:
        _check_nan(node, in_grads)
    return in_grads


def _run_tensors(buffers, deps, ready, retain_graph, create_graph, check_nan, inputs,
                 leaf_targets, node_targets, needed, results, capture, given, stolen_into):
    """The general loop: gradients are Tensors (create_graph, autograd.grad, inputs=,
    anomaly mode)."""
    raw_ok = not create_graph
    while ready:
        node = ready.pop()
        grads = buffers.pop(node, None)
        if grads is None:
            grads = [None] * len(node._out_meta)
        if node_targets:
            for nr in range(len(grads)):
                k = node_targets.get((node, nr))
                if k is not None:
                    _deliver_nonleaf(inputs[k], grads[nr], node, nr, create_graph,
                                     results, k, capture)
        if needed is not None and node not in needed:
            # Like PyTorch, only nodes on a path to `inputs` run.
            if not retain_graph:
                node._release()
            continue
        in_grads = _node_step(node, grads, retain_graph, raw_ok, check_nan)
        if in_grads is None:
            continue
        for i, e in enumerate(node._next):
            if e is None:
                continue
            g = in_grads[i] if i < len(in_grads) else None
            if g is None:
                if isinstance(e[0], Tensor):
                    continue
            elif g.__class__ is not Tensor or g._data.shape != e[2] or \
                    _from_np[g._data.dtype] is not e[3]:
                g = _validate(node, i, g, e)   # sum away broadcast dims, cast, or raise
            nxt = e[0]
            if isinstance(nxt, Tensor):
                _deliver_leaf(nxt, g, create_graph, leaf_targets, results, capture, given,
                              stolen_into)
                continue
            if g is not None:
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * len(nxt._out_meta)
                nr = e[1]
                buf[nr] = g if buf[nr] is None else buf[nr] + g
            d = deps[nxt] - 1
            deps[nxt] = d
            if d == 0:
                ready.append(nxt)


def _run_arrays(buffers, deps, ready, retain_graph, given, stolen_into):
    """The loop for plain `loss.backward()`: gradient buffers hold backend arrays, and a node
    with an array-level `backward_raw` and no hooks runs without wrapping them in Tensors
    (about a third of the per-node cost for small tensors).  Other nodes get Tensors through
    `_node_step`, exactly as in `_run_tensors`."""
    for node, buf in buffers.items():   # the roots' gradients arrive as Tensors
        buffers[node] = [None if g is None else g._data for g in buf]
    while ready:
        node = ready.pop()
        grads = buffers.pop(node, None)
        dev = node._device
        if grads is None:
            grads = [None] * len(node._out_meta)
        slow = node.backward_raw is None or node._hooks or node._tensor_pre_hooks or \
            node._retain or node._pre_hooks
        if not slow:
            for a in grads:
                if a is None:   # an output got no gradient: _node_step materialises zeros
                    slow = True
                    break
        if slow:
            tg = _node_step(node, [None if a is None else _make(a, dev) for a in grads],
                            retain_graph, True, False)
            if tg is None:
                continue
            in_grads = []
            for i, g in enumerate(tg):
                if g is not None and not isinstance(g, Tensor):
                    _validate(node, i, g, None)   # raises PyTorch's TypeError
                in_grads.append(None if g is None else g._data)
        else:
            next_ = node._next
            for e in next_:
                if e is not None:
                    break
            else:
                if not retain_graph:
                    node._release()
                continue
            try:
                in_grads = node.backward_raw(node, *grads)
            finally:
                if not retain_graph:
                    node._release()
        for i, e in enumerate(node._next):
            if e is None:
                continue
            a = in_grads[i] if i < len(in_grads) else None
            nxt = e[0]
            if a is None:
                if nxt.__class__ is Tensor or isinstance(nxt, Tensor):
                    continue
            else:
                if a.__class__ not in _ndarray_types:
                    a = _tensor_mod._as_array(a, dev)   # NumPy scalar from 0-dim arithmetic
                if a.shape != e[2] or _from_np[a.dtype] is not e[3]:
                    a = _validate(node, i, _make(a, dev), e)._data
                if nxt.__class__ is Tensor or isinstance(nxt, Tensor):
                    _deliver_leaf_array(nxt, a, dev, given, stolen_into)
                    continue
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * len(nxt._out_meta)
                nr = e[1]
                if buf[nr] is None:
                    buf[nr] = a
                else:
                    s = buf[nr] + a
                    buf[nr] = s if s.__class__ in _ndarray_types else _tensor_mod._as_array(s, dev)
            d = deps[nxt] - 1
            deps[nxt] = d
            if d == 0:
                ready.append(nxt)


def _deliver_leaf_array(t, a, dev, given, stolen_into):
    """_deliver_leaf for an array gradient, plain backward (no inputs=, no create_graph)."""
    if t._hooks or t._post_acc_hooks:
        _deliver_leaf(t, _make(a, dev), False, None, None, False, given, stolen_into)
        return
    old = t._grad
    if old is None:
        base = a.base
        bid = id(a) if base is None else _root_base_id(a)
        if base is None and bid not in given:
            t._grad = _make(a, dev)     # a fresh buffer nobody else holds: steal it
            stolen_into.add(id(t))
        else:
            t._grad = _make(a.copy(), dev)
        given.add(bid)
    elif id(t) in stolen_into or old.grad_fn is not None or not old._data.flags.writeable:
        t._grad = _make(_tensor_mod._as_array(old._data + a, dev), dev)
    else:
        old._data += a


# One list per running backward (innermost last): what queue_callback adds runs once that
# backward has processed its whole graph, in the order added (PyTorch's final callbacks).
_final_callbacks = []


# True while ember.profiler records: backward takes the per-node loop, whose _node_step the
# profiler times.
_profiling = [False]


# One flag per running backward (innermost last): False for autograd.grad / backward(inputs=),
# whose gradients must not land in .grad (read by is_checkpoint_valid).
_plain_backward = []


def is_checkpoint_valid():
    """PyTorch's `torch.autograd._is_checkpoint_valid()`: False while the innermost running
    backward was started by `autograd.grad` or `backward(inputs=...)`, where a reentrant
    checkpoint's nested backward would put gradients into `.grad` instead of returning them."""
    return _plain_backward[-1] if _plain_backward else True


def queue_callback(callback):
    """Run `callback()` when the backward pass now running finishes (DDP waits for its
    gradient all-reduces this way); `Variable._execution_engine.queue_callback` in PyTorch."""
    if not _final_callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks[-1].append(callback)


class _ExecutionEngine:
    """What `Variable._execution_engine` offers: `queue_callback`."""
    queue_callback = staticmethod(queue_callback)


_execution_engine = _ExecutionEngine()


def _call_raw(node, grads):
    """Run an Op's array-level backward; wrap its arrays as Tensors on the node's device."""
    dev = node._device
    out = node.backward_raw(node, *[None if g is None else g._data for g in grads])
    res = []
    for a in out:
        if a is None:
            res.append(None)
        else:
            if a.__class__ not in _ndarray_types:
                a = _tensor_mod._as_array(a, dev)   # NumPy scalars from 0-dim arithmetic
            res.append(_make(a, dev))
    return tuple(res)


def _needed_nodes(nodes, leaf_targets, node_targets):
    """The nodes from which a target (an input leaf, or an input's grad_fn) is reachable."""
    target_nodes = {n for (n, _) in node_targets}
    needed = {}
    for start in nodes:
        if start in needed:
            continue
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                ok = node in target_nodes
                for e in node._next:
                    if e is None:
                        continue
                    nxt = e[0]
                    if isinstance(nxt, Tensor):
                        ok = ok or id(nxt) in leaf_targets
                    else:
                        ok = ok or needed.get(nxt, False)
                needed[node] = ok
                continue
            if node in needed:
                continue
            stack.append((node, True))
            for e in node._next:
                if e is not None and not isinstance(e[0], Tensor) and e[0] not in needed:
                    stack.append((e[0], False))
    return {n for n, ok in needed.items() if ok}


def _validate(node, i, g, edge):
    """Shape and dtype of an input gradient must match the input (PyTorch's validate_outputs)."""
    if not isinstance(g, Tensor):
        raise TypeError(f"function {node.name()} returned a gradient of type "
                        f"{type(g).__name__} at index {i}, expected a Tensor or None")
    shape, dt = edge[2], edge[3]
    if g.shape != shape:
        from ..ops._util import sum_to
        try:
            g = sum_to(g, shape)
        except Exception:
            g = None
        if g is None or g.shape != shape:
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} "
                               f"- got {list(g.shape) if g is not None else '?'} but expected "
                               f"shape compatible with {list(shape)}")
    if g.dtype is not dt:
        if g.dtype.is_complex and not dt.is_complex:
            g = g.real   # PyTorch keeps the real part of a real input's gradient, silently
        g = g.to(dt)
    return g


def _call_pre_hooks(node, grads):
    tph = node._tensor_pre_hooks
    if tph:
        for nr, hooks in tph.items():
            for h in list(hooks):
                if grads[nr] is None:
                    continue
                r = h(grads[nr])
                if r is not None:
                    grads[nr] = r
    ret = node._retain
    if ret:
        for nr, ref in ret.items():
            t = ref()
            g = grads[nr]
            if t is not None and g is not None:
                if t._grad is None:
                    t._grad = g if _enabled[0] else _make(g._data.copy(), g._device)
                else:
                    t._grad = t._grad + g
    if node._pre_hooks:
        for h in node._pre_hooks:
            r = h(tuple(grads))
            if r is not None:
                grads = list(r)
    return grads


def _deliver_nonleaf(t, g, node, nr, create_graph, results, k, capture):
    if capture:
        results[k] = g
    elif g is not None:
        if t._grad is None:
            t._grad = g if create_graph else _make(g._data.copy(), g._device)
        else:
            t._grad = t._grad + g


def _deliver_leaf(t, g, create_graph, leaf_targets, results, capture, given, stolen_into):
    if leaf_targets is not None:
        k = leaf_targets.get(id(t))
        if k is None:
            return
        if capture:
            if g is None:
                return
            if t._hooks:
                g = _run_tensor_hooks(t, g)
            results[k] = g if results[k] is None else results[k] + g
            return
    if g is None:
        return
    if t._hooks:
        g = _run_tensor_hooks(t, g)
    old = t._grad
    if create_graph:
        t._grad = g if old is None else old + g
    elif old is None:
        arr = g._data
        bid = _root_base_id(arr)
        if getattr(arr, "base", None) is None and bid not in given:
            t._grad = _make(arr, g._device)     # a fresh buffer nobody else holds: steal it
            stolen_into.add(id(t))
        else:
            t._grad = _make(arr.copy(), g._device)
        given.add(bid)
    elif id(t) in stolen_into or old.grad_fn is not None or not old._data.flags.writeable:
        # _as_array: NumPy gives a scalar, not an array, for the sum of two 0-dim arrays
        t._grad = _make(_tensor_mod._as_array(old._data + g._data, g._device), g._device)
    else:
        old._data += g._data
    if t._post_acc_hooks:
        for h in t._post_acc_hooks:
            h(t)


def _run_tensor_hooks(t, g):
    for h in list(t._hooks.values()):
        r = h(g)
        if r is not None:
            g = r
    return g


# ------------------------------------------------------------------ anomaly detection
class _anomaly_context:
    def __init__(self, node):
        self.node = node

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if exc is not None and self.node.__dict__.get("_trace"):
            import sys
            print("Traceback of forward call that caused the error:\n" + self.node._trace,
                  file=sys.stderr)
        return False


class detect_anomaly:
    """Context manager/decorator: backward checks every node's gradients for NaN and names
    the node that produced it; errors print the forward traceback of the failing op."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = list(_anomaly)
        _anomaly[0], _anomaly[1] = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _anomaly[0], _anomaly[1] = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self._prev = list(_anomaly)
        _anomaly[0], _anomaly[1] = bool(mode), check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly[0], _anomaly[1] = self._prev
        return False


def is_anomaly_enabled():
    return _anomaly[0]


def is_anomaly_check_nan_enabled():
    return _anomaly[1]
