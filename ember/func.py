"""`torch.func`: function transforms (grad, vjp, jacrev, jacfwd, hessian, vmap) and
`functional_call`.

PyTorch implements these as composable interpreters over its dispatcher. ember builds them on
its define-by-run autograd instead:

- `grad`, `grad_and_value`, `vjp`, `jacrev`, `jacfwd`, `hessian` run the function on inputs
  that take part in a fresh graph and differentiate it with `autograd.grad`, always with
  `create_graph=True`, so the transforms nest (`grad(grad(f))`, `jacfwd(jacrev(f))`); their
  results are detached unless an input already belonged to an outer graph. `jacfwd` is
  computed in reverse mode (same values; ember has no forward-mode AD).
- `vmap` calls the function once per index of the mapped dimension and stacks the results:
  the same values as PyTorch's batching rules, at the cost of a Python loop (no batched
  kernels). `randomness` is honoured ('error' raises on a random op inside, 'same' gives
  every call the same random stream, 'different' independent ones); unlike PyTorch, data-
  dependent Python control flow (`.item()`, `if x > 0`) works inside the loop.
"""
import contextlib

from . import autograd
from .autograd import grad_mode
from .tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian",
           "vmap", "stack_module_state"]


# ---------------------------------------------------------------- pytrees (tuples, lists, dicts)
def _flatten(tree):
    if isinstance(tree, Tensor):
        return [tree], None
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for item in tree:
            lv, sp = _flatten(item)
            leaves += lv
            specs.append((len(lv), sp))
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for k, item in tree.items():
            lv, sp = _flatten(item)
            leaves += lv
            specs.append((k, len(lv), sp))
        return leaves, (dict, specs)
    return [], ("leaf", tree)


def _unflatten(leaves, spec):
    if spec is None:
        return leaves[0]
    kind, specs = spec
    if kind == "leaf":
        return specs
    out, i = [], 0
    if kind is dict:
        d = {}
        for k, n, sp in specs:
            d[k] = _unflatten(leaves[i:i + n], sp)
            i += n
        return d
    for n, sp in specs:
        out.append(_unflatten(leaves[i:i + n], sp))
        i += n
    return tuple(out) if kind is tuple else (kind(out) if kind is not list else out)


# ---------------------------------------------------------------- functional_call
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Call `module(*args, **kwargs)` with its parameters and buffers replaced by the tensors
    in `parameter_and_buffer_dicts` (a dict, or a tuple of dicts), restored afterwards."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        merged = dict(dicts)
    else:
        merged = {}
        for d in dicts:
            dup = set(merged) & set(d)
            if dup:
                raise ValueError(f"{sorted(dup)[0]} appeared in multiple dictionaries; "
                                 "behavior of functional call is ambiguous")
            merged.update(d)
    names = dict(module.named_parameters(remove_duplicate=False))
    names.update(dict(module.named_buffers(remove_duplicate=False)))
    if strict:
        missing = sorted(set(names) - set(merged))
        unexpected = sorted(set(merged) - set(names))
        if missing or unexpected:
            parts = []
            if unexpected:
                parts.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected)
                             + ".")
            if missing:
                parts.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError("Error(s) in reparametrizing for " + type(module).__name__
                               + ":\n\t" + "\n\t".join(parts))
    if tie_weights:
        # a tensor shared under several names (tied weights) follows a replacement given
        # for any one of them
        by_id = {}
        for n, t in names.items():
            if t is not None:
                by_id.setdefault(id(t), []).append(n)
        for group in by_id.values():
            given = [n for n in group if n in merged]
            if given:
                for n in group:
                    if n not in merged:
                        merged[n] = merged[given[0]]
                    elif merged[n] is not merged[given[0]]:
                        raise ValueError(f"functional_call got multiple values for keys "
                                         f"{group}, which are tied. Consider using "
                                         f"tie_weights=False")
    saved = []
    try:
        for name, value in merged.items():
            mod = module
            *path, leaf = name.split(".")
            for p in path:
                mod = getattr(mod, p)
            for store in (mod._parameters, mod._buffers):
                if leaf in store:
                    saved.append((store, leaf, store[leaf]))
                    store[leaf] = value
                    break
            else:
                saved.append((mod.__dict__, leaf, mod.__dict__.get(leaf, _ABSENT)))
                mod.__dict__[leaf] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, old in reversed(saved):
            if old is _ABSENT:
                del store[leaf]
            else:
                store[leaf] = old


_ABSENT = object()


def stack_module_state(models):
    """(params, buffers): each name's tensors from `models` stacked along a new dim 0, the
    parameters as new leaves that require grad (for vmap over an ensemble)."""
    from .ops.shape import stack
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/"
                           "eval mode.")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = {n: stack([dict(m.named_parameters())[n].detach() for m in models])
              .requires_grad_(True) for n, _ in models[0].named_parameters()}
    buffers = {n: stack([dict(m.named_buffers())[n] for m in models])
               for n, _ in models[0].named_buffers()}
    return params, buffers


# ---------------------------------------------------------------- grad and friends
def _argnums_tuple(argnums, nargs, fn):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(a, int) for a in nums):
        raise RuntimeError(f"{fn}: argnums must be int or Tuple[int, ...], got: {argnums!r}")
    out = []
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnums={a}, but only {nargs} positional inputs")
        out.append(a % nargs)
    return out


def _prepare(args, argnums, fn):
    """Copies of args[argnums] that are part of a fresh graph: (new args, the diff leaves
    per argnum (flattened), their specs, whether any input came from an outer graph)."""
    nums = _argnums_tuple(argnums, len(args), fn)
    args = list(args)
    flat_per, specs, outer = [], [], False
    for a in nums:
        leaves, spec = _flatten(args[a])
        new = []
        for t in leaves:
            if not (t.dtype.is_floating_point or t.dtype.is_complex):
                raise RuntimeError("only Tensors of floating point dtype can require gradients")
            if t.requires_grad:
                outer = True
                new.append(t.view_as(t))      # stays connected to the outer graph
            else:
                new.append(t.detach().requires_grad_(True))
        flat_per.append(new)
        specs.append(spec)
        args[a] = _unflatten(new, spec)
    return args, nums, flat_per, specs, outer


def _grads(out, flat, outer, grad_outputs=None):
    from .ops.creation import zeros_like
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    gos = None if grad_outputs is None else list(grad_outputs)
    keep = [i for i, o in enumerate(outs) if o.requires_grad]
    if not keep:      # no output depends on the inputs: the gradients are zeros
        gs = [None] * len(flat)
    else:
        gs = autograd.grad([outs[i] for i in keep], flat,
                           grad_outputs=None if gos is None else [gos[i] for i in keep],
                           create_graph=True, allow_unused=True)
    res = []
    for g, x in zip(gs, flat):
        if g is None:
            g = zeros_like(x)
        res.append(g if outer else g.detach())
    return res


def _regroup(flat_values, flat_per):
    """Split one flat list back into one list per differentiated argument."""
    out, i = [], 0
    for f in flat_per:
        out.append(flat_values[i:i + len(f)])
        i += len(f)
    return out


def _pack(argnums, values, specs):
    per = [_unflatten(v, s) for v, s in zip(values, specs)]
    return per[0] if isinstance(argnums, int) else tuple(per)


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient of func's scalar output w.r.t. args[argnums], output)
    (with has_aux: (gradient, (output, aux)))."""
    def wrapper(*args, **kwargs):
        with grad_mode.enable_grad():
            new_args, nums, flat_per, specs, outer = _prepare(args, argnums, "grad_and_value")
            out = func(*new_args, **kwargs)
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should "
                                       "be a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {out.dim()} dims. Maybe "
                                   "you wanted to use the vjp or jacrev APIs instead?")
            flat = [t for f in flat_per for t in f]
            gs = _grads(out, flat, outer)
        values = _regroup(gs, flat_per)
        g = _pack(argnums, values, specs)
        value = out if outer else out.detach()
        if has_aux:
            return g, (value, _detach_tree(aux, outer))
        return g, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of func's scalar output w.r.t. args[argnums], as a function."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def _detach_tree(tree, outer):
    if outer:
        return tree
    leaves, spec = _flatten(tree)
    return _unflatten([t.detach() for t in leaves], spec) if leaves else tree


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives one gradient per primal."""
    with grad_mode.enable_grad():
        new_args, nums, flat_per, specs, outer = _prepare(primals, tuple(range(len(primals))),
                                                          "vjp")
        out = func(*new_args)
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            out, aux = out
    out_leaves, out_spec = _flatten(out)
    flat = [t for f in flat_per for t in f]

    def vjp_fn(*cotangents):
        ct = cotangents[0] if len(cotangents) == 1 else cotangents
        ct_leaves, _ = _flatten(ct)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree "
                               "structure of outputs to the function")
        for c, o in zip(ct_leaves, out_leaves):
            if c.shape != o.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{c.shape} and output[0] has a shape of {o.shape}.")
        with grad_mode.enable_grad():
            gs = _grads(out_leaves, flat, outer, grad_outputs=ct_leaves)
        values = _regroup(gs, flat_per)
        return tuple(_unflatten(v, s) for v, s in zip(values, specs))

    primal_out = _unflatten([o if outer else o.detach() for o in out_leaves], out_spec)
    if has_aux:
        return primal_out, vjp_fn, _detach_tree(aux, outer)
    return primal_out, vjp_fn


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian of func w.r.t. args[argnums]: output.shape + input.shape per pair, one
    backward per output element."""
    from .ops.shape import stack
    from .ops.creation import zeros_like

    def wrapper(*args, **kwargs):
        with grad_mode.enable_grad():
            new_args, nums, flat_per, specs, outer = _prepare(args, argnums, "jacrev")
            out = func(*new_args, **kwargs)
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("jacrev(f, ...)(*args): output of function f should be a "
                                       "tuple: (output, aux) if has_aux is True")
                out, aux = out
            out_leaves, out_spec = _flatten(out)
            flat = [t for f in flat_per for t in f]
            per_out = []
            for o in out_leaves:
                rows = []
                of = o.reshape(-1)
                for k in range(of.numel()):
                    gs = autograd.grad(of[k], flat, create_graph=True, allow_unused=True,
                                       retain_graph=True) if o.requires_grad else \
                        [None] * len(flat)
                    rows.append([zeros_like(x) if g is None else g for g, x in zip(gs, flat)])
                jac = []
                for j, x in enumerate(flat):
                    if rows:
                        J = stack([r[j] for r in rows]).reshape(o.shape + x.shape)
                    else:
                        J = zeros_like(x).new_zeros(o.shape + x.shape)
                    jac.append(J if outer else J.detach())
                values = _regroup(jac, flat_per)
                per_out.append(_pack(argnums, values, specs))
        result = _unflatten(per_out, out_spec)
        if has_aux:
            return result, _detach_tree(aux, outer)
        return result
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian, as jacrev computes it (ember has no forward-mode AD; values agree)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of func's scalar output w.r.t. args[argnums]."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------- vmap
def _dims_for(in_dims, args):
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(args)
    if not isinstance(in_dims, (tuple, list)) or len(in_dims) != len(args):
        raise ValueError(f"vmap(<function>, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         f"compatible with the structure of `inputs`. in_dims has structure "
                         f"{in_dims!r} but inputs has {len(args)} elements.")
    return list(in_dims)


def _flatten_dims(d):
    if isinstance(d, (tuple, list)):
        out = []
        for x in d:
            out += _flatten_dims(x)[0]
        return out, None
    if isinstance(d, dict):
        out = []
        for x in d.values():
            out += _flatten_dims(x)[0]
        return out, None
    return [d], None


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over a dimension of its inputs: results stacked along out_dims."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")
    name = getattr(func, "__name__", repr(func))

    def wrapper(*args, **kwargs):
        from .ops.shape import stack
        from .ops import random as _random
        dims = _dims_for(in_dims, args)
        plan, size = [], None
        for arg, d in zip(args, dims):
            leaves, spec = _flatten(arg)
            ldims = _flatten_dims(d)[0] if isinstance(d, (tuple, list, dict)) else \
                [d] * len(leaves)
            if len(ldims) != len(leaves):
                raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is "
                                 "not compatible with the structure of `inputs`.")
            norm = []
            for t, ld in zip(leaves, ldims):
                if ld is None:
                    norm.append(None)
                    continue
                if not isinstance(ld, int):
                    raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims "
                                     "must be int or None for every input")
                if not -t.dim() <= ld < max(t.dim(), 1) or t.dim() == 0:
                    raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got "
                                     f"in_dim={ld} for some input, but that input is a Tensor "
                                     f"of dimensionality {t.dim()} so expected in_dim to "
                                     f"satisfy -{t.dim()} <= in_dim < {t.dim()}.")
                ld %= t.dim()
                if size is None:
                    size = t.shape[ld]
                elif t.shape[ld] != size:
                    sizes = [x.shape[y % x.dim()] for a2, d2 in zip(args, dims)
                             for x, y in zip(_flatten(a2)[0],
                                             _flatten_dims(d2)[0] if isinstance(
                                                 d2, (tuple, list, dict)) else
                                             [d2] * len(_flatten(a2)[0])) if y is not None]
                    raise ValueError("vmap: Expected all tensors to have the same size in the "
                                     f"mapped dimension, got sizes {sizes} for the mapped "
                                     "dimension")
                norm.append(ld)
            plan.append((leaves, spec, norm))
        if size is None:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one "
                             "input must be a Tensor mapped over a dimension (in_dims all None)")
        state = _random.get_rng_state() if randomness == "same" else None
        results = []
        with _randomness(randomness):
            for i in range(size):
                if state is not None:
                    _random.set_rng_state(state)
                call = []
                for leaves, spec, norm in plan:
                    call.append(_unflatten([t if d is None else t.select(d, i)
                                            for t, d in zip(leaves, norm)], spec))
                results.append(func(*call, **kwargs))
        first_leaves, out_spec = _flatten(results[0])
        if not first_leaves and out_spec is not None and out_spec[0] == "leaf":
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(results[0])}. Did you mean to set out_dims= to None for "
                             "output?")
        per_leaf = [_flatten(r)[0] for r in results]
        odims = _flatten_dims(out_dims)[0] if isinstance(out_dims, (tuple, list)) else \
            [out_dims] * len(first_leaves)
        if len(odims) != len(first_leaves):
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                             "compatible with the structure of `outputs`.")
        stacked = []
        for j, od in enumerate(odims):
            col = [leaves[j] for leaves in per_leaf]
            if od is None:
                stacked.append(col[0])
                continue
            nd = col[0].dim() + 1
            if not -nd <= od < nd:
                raise ValueError(f"vmap: out_dim={od} is out of range for an output of "
                                 f"dimensionality {nd - 1}")
            stacked.append(stack(col, dim=od))
        return _unflatten(stacked, out_spec)
    return wrapper


@contextlib.contextmanager
def _randomness(mode):
    from .ops import random as _random
    _random._vmap_randomness.append(mode)
    try:
        yield
    finally:
        _random._vmap_randomness.pop()
