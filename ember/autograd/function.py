"""`Function`: the one class behind every differentiable op and every user-defined function.

An instance of a Function subclass is both the `ctx` passed to `forward`/`backward` and the
graph node (`tensor.grad_fn`). Two kinds of subclass:

* user functions (PyTorch's API): `forward(ctx, *args)` receives Tensors and runs under
  no_grad; `backward(ctx, *grads)` returns one gradient per forward input.
* ember's ops (`Op`, `_raw = True`): `forward(ctx, *args)` receives the raw backend arrays
  (NumPy or CuPy) and returns arrays, so the forward pass costs no Tensor objects; `backward`
  is written with Tensor ops, which makes every op differentiable twice.

`save_for_backward` accepts arrays or Tensors; arrays that are one of the inputs or outputs
are turned back into those Tensors, so the saved values keep their place in the graph (for
double backward) and their version counters (for the in-place check).
"""
import numpy as np

from . import grad_mode
from .. import tensor as _tensor_mod

Tensor = _tensor_mod.Tensor
_make = _tensor_mod._make
_new = object.__new__
_cpu = _tensor_mod._cpu
_ndarray_types = _tensor_mod._ndarray_types   # a live set: the CuPy backend adds its type
_np_generic = np.generic
_from_np = _tensor_mod._from_np
_enabled = grad_mode._enabled
_anomaly = grad_mode._anomaly

__all__ = ["Function", "Op", "once_differentiable", "FunctionCtx"]

_FREED = object()
_SCALARS = {int, float, bool, complex}


class _OutputRef:
    """A saved output. Holding the array (not the Tensor) avoids a Tensor<->node cycle."""
    __slots__ = ("array", "vc", "nr")

    def __init__(self, array, vc, nr):
        self.array, self.vc, self.nr = array, vc, nr


class Function:
    # Slots for the two fields apply sets on every call: an op whose forward stores nothing
    # on ctx then never creates an instance __dict__ (~150 ns of a ~2 us op).
    __slots__ = ("_device", "needs_input_grad", "_to_save", "__dict__", "__weakref__")
    _raw = False                   # Op sets True: forward sees arrays
    _materialize_grads = True

    # Per-node state is created lazily by `apply`; these class defaults keep
    # `Function()` (a bare ctx) cheap.
    _next = ()
    _saved = None
    _saved_versions = None
    _out_meta = ()
    _non_diff = None
    _dirty = None
    _pre_hooks = None
    _hooks = None
    _tensor_pre_hooks = None
    _retain = None
    _name = None

    def __getattr__(self, name):
        # Only reached when normal lookup fails: defaults for a ctx that apply never set up.
        if name == "needs_input_grad":
            return ()
        if name == "_device":
            return _cpu
        if name == "_to_save":
            return None
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # ------------------------------------------------------------------ ctx API
    def save_for_backward(self, *tensors):
        self._to_save = tensors

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        if saved is None:
            return ()
        out = []
        versions = self._saved_versions
        for i, s in enumerate(saved):
            if s.__class__ is _OutputRef:
                if s.vc[0] != versions[i]:
                    self._version_error(_make(s.array), s.vc[0], versions[i], s.nr)
                t = _make(s.array, self._device)
                t._vc = s.vc
                t.grad_fn = self
                t._requires_grad = True
                t._output_nr = s.nr
                out.append(t)
            else:
                if versions[i] is not None and s._vc[0] != versions[i]:
                    self._version_error(s, s._vc[0], versions[i], None)
                out.append(s)
        return tuple(out)

    def _saved_arrays(self):
        """`saved_tensors` as raw arrays, with the same freed-graph and in-place checks; for
        `backward_raw` (below)."""
        saved = self._saved
        if saved is _FREED or saved is None:
            return self.saved_tensors   # raises the freed-graph error, or ()
        out = []
        versions = self._saved_versions
        for i, s in enumerate(saved):
            v = versions[i]
            if v is None:                  # None or a Python scalar
                out.append(s)
            elif s.__class__ is _OutputRef:
                if s.vc[0] != v:
                    return self.saved_tensors   # raises the in-place modification error
                out.append(s.array)
            else:
                if s._vc[0] != v:
                    return self.saved_tensors
                out.append(s._data)
        return out

    def _version_error(self, t, now, expected, nr):
        what = f"output {nr} of {self.name()}" if nr is not None else (
            f"output {t._output_nr} of {t.grad_fn.name()}" if t.grad_fn is not None else
            "is a leaf Variable")
        if not what.startswith("is"):
            what = "is " + what
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{t.type()} [{', '.join(map(str, t.shape))}]], which {what}, "
            f"is at version {now}; expected version {expected} instead. Hint: enable anomaly "
            "detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True).")

    def mark_non_differentiable(self, *outputs):
        self._non_diff = outputs

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)

    # ------------------------------------------------------------------ node API
    @classmethod
    def _backward_name(cls):
        return cls.__name__ + ("Backward0" if cls._raw else "Backward")

    def name(self):
        return self._name or self._backward_name()

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        from .engine import AccumulateGrad
        res = []
        for e in self._next:
            if e is None:
                res.append((None, 0))
            elif isinstance(e[0], Tensor):
                res.append((AccumulateGrad.of(e[0]), 0))
            else:
                res.append((e[0], e[1]))
        return tuple(res)

    @property
    def metadata(self):
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self._metadata = {}
        return d

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after this node's backward; may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) before this node's backward; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _RemovableHandle(self._pre_hooks, fn)

    def _release(self):
        self._saved = _FREED

    # ------------------------------------------------------------------ user API
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        return None

    # An Op may name a function(args) -> exception (or None) that turns a ValueError raised
    # by its forward into PyTorch's error (Pointwise: NumPy's broadcasting message).
    _value_error = None

    # An Op may also define `backward_raw(ctx, *grad_arrays) -> tuple of arrays or None`: the
    # same formula as `backward` on raw arrays. The engine uses it when it is not recording a
    # graph (create_graph=False), which is almost every backward; it saves the ~1.5 us of
    # Tensor-op machinery per gradient op that dominates small-tensor training. `backward`
    # stays the definition (double backward, anomaly mode), and tests compare the two.
    backward_raw = None

    @classmethod
    def apply(cls, *args, **kwargs):
        # The hot path of every op: kept flat on purpose (one loop over args, no helper calls
        # for the common single-array output). Profile before restructuring.
        raw = cls._raw
        dev = None
        needs = False
        vals = []
        for a in args:
            if isinstance(a, Tensor):
                d = a._device
                if dev is None:
                    dev = d
                elif d is not dev:
                    dev = _MIXED
                if a._requires_grad:
                    needs = True
                vals.append(a._data if raw else a)
            else:
                vals.append(a)
        if dev is _MIXED:
            dev, vals = _resolve_devices(args, vals, raw)
        elif dev is None:
            dev = _cpu
        ctx = cls()
        if needs and _enabled[0]:
            # Known before forward, so forward can save only what backward will use.
            ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a._requires_grad
                                          for a in args])
            ctx._to_save = None
        else:
            needs = False
            ctx.needs_input_grad = ()
        ctx._device = dev
        if raw:
            try:
                out = cls.forward(ctx, *vals, **kwargs)
            except ValueError as e:
                translate = cls._value_error
                err = translate(args) if translate is not None else None
                if err is None:
                    raise
                raise err from e
            raw_out = out   # what forward returned: save_for_backward may have saved it
            if out.__class__ not in _ndarray_types and isinstance(out, _np_generic):
                out = _tensor_mod._as_array(out, dev)   # NumPy's scalar from a full reduction
            if out.__class__ in _ndarray_types:
                # one array out: the common case, wrapped inline
                t = _new(Tensor)
                t._data = out
                t._device = dev
                t._requires_grad = False
                t._grad = None
                t.grad_fn = None
                t._vc = [0]
                if needs:
                    if ctx._non_diff or ctx._dirty or _anomaly[0]:
                        _link(ctx, args, (raw_out,), (t,), dev, raw)
                    else:   # _link's work for one plain output, inline
                        next_ = []
                        for a, need in zip(args, ctx.needs_input_grad):
                            if need:
                                fn = a.grad_fn
                                arr = a._data
                                if fn is None:
                                    next_.append((a, 0, arr.shape, _from_np[arr.dtype]))
                                else:
                                    next_.append((fn, a._output_nr, arr.shape,
                                                  _from_np[arr.dtype]))
                            else:
                                next_.append(None)
                        ctx._next = tuple(next_)
                        dt = _from_np[out.dtype]
                        if dt.is_floating_point or dt.is_complex:
                            t.grad_fn = ctx
                            t._requires_grad = True
                            ctx._out_meta = ((out.shape, dt),)
                        else:
                            ctx._out_meta = (None,)
                        if ctx._to_save is not None:
                            _save(ctx, args, (raw_out,), (t,), dev)
                return t
        else:
            prev = _enabled[0]
            _enabled[0] = False
            try:
                out = cls.forward(ctx, *vals, **kwargs)
            finally:
                _enabled[0] = prev
        return _wrap_outputs(ctx, args, out, needs, dev, raw)


_MIXED = object()


def _resolve_devices(args, vals, raw):
    """Inputs on different devices: PyTorch lets a 0-dim CPU tensor join an op on another
    device (it is moved there); anything else is an error naming both devices."""
    dev = None
    for a in args:
        if isinstance(a, Tensor) and not (a._device.type == "cpu" and a.ndim == 0):
            if dev is None:
                dev = a._device
            elif a._device is not dev:
                raise RuntimeError("Expected all tensors to be on the same device, but found at "
                                   f"least two devices, {dev} and {a._device}!")
    if dev is None:
        dev = next(a._device for a in args if isinstance(a, Tensor))
    if raw:
        from ..backends import get_backend
        vals = list(vals)
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a._device is not dev:
                vals[i] = get_backend(dev).asarray(a._data, dev)
    return dev, vals


def _wrap_outputs(ctx, args, out, needs, dev, raw):
    is_tuple = isinstance(out, tuple)
    outs = out if is_tuple else (out,)
    wrapped = []
    if raw:
        xp_arr = _tensor_mod._ndarray_types
        for o in outs:
            if o is None:
                wrapped.append(None)
                continue
            if o.__class__ not in xp_arr:
                o = _tensor_mod._as_array(o, dev)
            wrapped.append(_make(o, dev))
    else:
        for o in outs:
            if isinstance(o, Tensor):
                # A user forward returning an input (or a view of it) gets a new Tensor object,
                # so the input's own grad_fn is untouched.
                t = _make(o._data, o._device)
                t._vc = o._vc
                wrapped.append(t)
            else:
                wrapped.append(o)
    if needs:
        _link(ctx, args, outs, wrapped, dev, raw)
    # (without `needs` the ctx is dropped with this call, and whatever it saved with it)
    if is_tuple:
        return tuple(wrapped)
    return wrapped[0]


def _link(ctx, args, raw_outs, outs, dev, raw):
    """Connect `ctx` into the graph: edges to the inputs, saved values, output metadata."""
    next_ = []
    for a, need in zip(args, ctx.needs_input_grad):
        if need:
            fn = a.grad_fn
            arr = a._data
            if fn is None:
                next_.append((a, 0, arr.shape, _from_np[arr.dtype]))
            else:
                next_.append((fn, a._output_nr, arr.shape, _from_np[arr.dtype]))
        else:
            next_.append(None)
    ctx._next = tuple(next_)
    if _anomaly[0]:
        import traceback
        ctx._trace = "".join(traceback.format_stack()[:-3])

    non_diff = ctx._non_diff
    nd_ids = set()
    if non_diff:
        nd_ids = {id(x._data if isinstance(x, Tensor) else x) for x in non_diff}
    meta = []
    for i, t in enumerate(outs):
        if t is None or not isinstance(t, Tensor):
            meta.append(None)
            continue
        dt = _from_np[t._data.dtype]
        if not (dt.is_floating_point or dt.is_complex):
            meta.append(None)
            continue
        if nd_ids:
            src = raw_outs[i]
            if id(src._data if isinstance(src, Tensor) else src) in nd_ids:
                meta.append(None)
                continue
        t.grad_fn = ctx
        t._requires_grad = True
        if i:
            t._output_nr = i
        meta.append((t._data.shape, dt))
    ctx._out_meta = tuple(meta)

    dirty = ctx._dirty
    if dirty:
        # A user function that modified an input in place: that input Tensor now *is* the
        # output, so move the output's graph position onto it.
        for d in dirty:
            d._vc[0] += 1
            for i, t in enumerate(outs):
                if isinstance(t, Tensor) and t._data is d._data and t.grad_fn is ctx:
                    d.grad_fn, d._output_nr, d._requires_grad = ctx, i, True
                    outs[i]._vc = d._vc
        ctx._dirty = None

    if ctx._to_save:
        _save(ctx, args, raw_outs, outs, dev)


def _save(ctx, args, raw_outs, outs, dev):
    """Turn what forward passed to save_for_backward into the node's saved state: inputs as
    their Tensors, outputs as _OutputRef (no Tensor<->node cycle), Python scalars as they are,
    each with the version it had, for the in-place check in saved_tensors."""
    to_save = ctx._to_save
    if to_save:
        ctx._to_save = None
        saved = []
        versions = []
        for s in to_save:
            if s is None or s.__class__ in _SCALARS:
                saved.append(s)    # Python scalars are saved as they are
                versions.append(None)
                continue
            if isinstance(s, Tensor):
                src = None
                for i, t in enumerate(outs):
                    if t is s or (raw_outs[i] is s and isinstance(t, Tensor)):
                        src = _OutputRef(t._data, t._vc, i) if t.grad_fn is ctx else None
                        break
                if src is not None:
                    saved.append(src)
                    versions.append(src.vc[0])
                else:
                    saved.append(s)
                    versions.append(s._vc[0])
                continue
            # a raw array: an input's, an output's, or a constant
            found = None
            for a in args:
                if isinstance(a, Tensor) and a._data is s:
                    found = a
                    break
            if found is not None:
                saved.append(found)
                versions.append(found._vc[0])
                continue
            for i, r in enumerate(raw_outs):
                if r is s:
                    t = outs[i]
                    found = _OutputRef(t._data, t._vc, i) if t.grad_fn is ctx else t
                    break
            if found is None:
                found = _make(_tensor_mod._as_array(s, dev), dev)
            saved.append(found)
            versions.append(found.vc[0] if found.__class__ is _OutputRef else found._vc[0])
        ctx._saved = tuple(saved)
        ctx._saved_versions = versions


class Op(Function):
    """Base of ember's built-in ops: forward on raw arrays, backward in Tensor ops."""
    _raw = True


class FunctionCtx(Function):
    pass


class _RemovableHandle:
    _next_id = 0

    def __init__(self, container, fn, key=None):
        self._container, self._fn, self._key = container, fn, key
        _RemovableHandle._next_id += 1
        self.id = _RemovableHandle._next_id

    def remove(self):
        c = self._container
        if isinstance(c, dict):
            lst = c.get(self._key)
            if lst and self._fn in lst:
                lst.remove(self._fn)
        elif self._fn in c:
            c.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


RemovableHandle = _RemovableHandle


def once_differentiable(fn):
    """Marks a backward as not twice-differentiable: it runs under no_grad and its results
    raise if one tries to differentiate through them again."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outs = fn(ctx, *args)
        if not _enabled[0]:
            return outs
        diff_args = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not diff_args:
            return outs
        # Like PyTorch's DelayedError: the outputs depend on the incoming grads through a
        # node whose backward raises, so only a second differentiation fails.
        single = not isinstance(outs, tuple)
        outs_t = (outs,) if single else outs
        res = []
        for o in outs_t:
            if isinstance(o, Tensor):
                o = _OnceDifferentiable.apply(o, *diff_args)
            res.append(o)
        return res[0] if single else tuple(res)
    return wrapper


class _OnceDifferentiable(Function):
    @staticmethod
    def forward(ctx, x, *deps):
        return x.detach()

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")
