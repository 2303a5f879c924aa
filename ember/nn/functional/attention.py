"""nn.functional: attention.

`scaled_dot_product_attention` is one fused Op: forward computes scores, masking, softmax,
dropout and the weighted sum on raw arrays (one batched GEMM each side), keeping only the
attention probabilities; backward is written with Tensor ops. With create_graph the
probabilities are recomputed with differentiable ops first, so double backward is exact.

`multi_head_attention_forward` follows PyTorch's function step by step (projections, mask
canonicalisation, bias_kv, zero attention, head split, out projection) on top of that Op.
"""
import math
import warnings

import numpy as np

from ... import dtypes as _dt
from ...tensor import Tensor, _make
from ...autograd import grad_mode
from ...autograd.function import Op
from ...amp import autocast_mode as _amp
from ...ops import creation as _creation, random as _random, shape as _shape
from ...ops._util import xp_of

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward",
           "_canonical_mask", "_none_or_dtype", "_mha_shape_check", "_in_projection_packed",
           "_in_projection"]

_enabled = grad_mode._enabled
_amp_on = _amp._active   # autocast's one fast check (ember.amp)

# C++ type names PyTorch's SDPA error messages use.
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool"}


def _cpp(dt):
    return _CPP_NAMES.get(dt.name, dt.name)


# ====================================================================== the fused kernel
class ScaledDotProductAttention(Op):
    """softmax(q k^T * scale + bias, masked) [dropped out] @ v.

    bias: a float additive mask (differentiable) or None; mask: a bool array, True = may
    attend, or None. `zero_empty_rows`: rows with no allowed key give 0 (PyTorch's SDPA
    kernels) instead of NaN (a plain softmax, as MultiheadAttention's need_weights path).
    With `want_weights` the (dropped-out) attention probabilities are a second output."""
    _materialize_grads = False

    @staticmethod
    def forward(ctx, q, k, v, bias, mask, scale, dropout_p, causal, want_weights,
                zero_empty_rows):
        xp = xp_of(q)
        inputs = (q, k, v, bias)
        half = q.dtype if q.itemsize < 4 and q.dtype.kind in "fV" else None
        if half is not None:   # float16/bfloat16: computed in float32, results rounded once
            q, k, v = (a.astype(np.float32) for a in (q, k, v))
            bias = None if bias is None else bias.astype(np.float32)
        s = xp.matmul(q, xp.swapaxes(k, -1, -2))
        s *= s.dtype.type(scale)
        if bias is not None:
            if np.broadcast_shapes(s.shape, bias.shape) == s.shape:
                s += bias
            else:
                s = s + bias
        neg_inf = s.dtype.type(-np.inf)
        if mask is not None:
            if np.broadcast_shapes(s.shape, mask.shape) != s.shape:
                s = xp.broadcast_to(s, np.broadcast_shapes(s.shape, mask.shape)).copy()
            xp.copyto(s, neg_inf, where=~mask)
        if causal:
            L, S = s.shape[-2:]
            xp.copyto(s, neg_inf, where=~xp.tri(L, S, dtype=bool))
        with np.errstate(invalid="ignore"):
            m = s.max(-1, keepdims=True)
            if zero_empty_rows:
                m[xp.isneginf(m)] = 0
            s -= m
            xp.exp(s, out=s)
            den = s.sum(-1, keepdims=True)
            if zero_empty_rows:
                den[den == 0] = 1
            s /= den
        p = s
        noise = None
        if dropout_p > 0:
            src = _random._source(None, ctx._device)
            work = np.float64 if p.dtype == np.float64 else np.float32
            keep = src.uniform(p.shape, work) < (1 - dropout_p)
            t = p.dtype.type
            noise = xp.where(keep, t(1.0 / (1 - dropout_p)) if dropout_p < 1 else t(0), t(0))
            pd = p * noise
        else:
            pd = p
        out = xp.matmul(pd, v)
        if half is not None:
            out, pd, p = out.astype(half), pd.astype(half), p.astype(half)
            noise = None if noise is None else noise.astype(half)
        if any(ctx.needs_input_grad):
            ctx.probs, ctx.noise = p, noise
            ctx.spec = (scale, causal, zero_empty_rows)
            ctx.save_for_backward(*inputs, mask)
        return (out, pd) if want_weights else out

    @staticmethod
    def backward(ctx, g_out, g_w=None):
        q, k, v, bias, mask = ctx.saved_tensors
        scale, causal, zero_empty_rows = ctx.spec
        needs = ctx.needs_input_grad
        dev = ctx._device
        if _enabled[0]:
            p = _probs(q, k, bias, mask, scale, causal, zero_empty_rows)
        else:
            p = _make(ctx.probs, dev)
        noise = None if ctx.noise is None else _make(ctx.noise, dev)
        pd = p if noise is None else p * noise
        g_pd = g_out.matmul(v.transpose(-2, -1)) if g_out is not None else None
        if g_w is not None:
            g_pd = g_w if g_pd is None else g_pd + g_w
        gv = pd.transpose(-2, -1).matmul(g_out) if (needs[2] and g_out is not None) else None
        if g_pd is None:
            return (None, None, gv) + (None,) * 7
        g_p = g_pd if noise is None else g_pd * noise
        g_s = p * (g_p - (g_p * p).sum(-1, keepdim=True))
        gq = g_s.matmul(k) * scale if needs[0] else None
        gk = g_s.transpose(-2, -1).matmul(q) * scale if needs[1] else None
        gb = g_s if (len(needs) > 3 and needs[3]) else None
        return (gq, gk, gv, gb) + (None,) * 6

    def _release(self):
        super()._release()
        self.__dict__.pop("probs", None)
        self.__dict__.pop("noise", None)


def _probs(q, k, bias, mask, scale, causal, zero_empty_rows):
    """The attention probabilities in differentiable ops (for double backward)."""
    from ...ops import creation
    from .activation import softmax
    s = q.matmul(k.transpose(-2, -1)) * scale
    if bias is not None:
        s = s + bias
    if mask is not None:
        s = s.masked_fill(mask.logical_not(), float("-inf"))
    if causal:
        L, S = s.shape[-2:]
        tri = creation.ones(L, S, dtype=_dt.bool, device=s.device).tril()
        s = s.masked_fill(tri.logical_not(), float("-inf"))
    if not zero_empty_rows:
        return softmax(s, -1)
    # rows with no allowed key: softmax of zeros, then multiplied by 0, so no NaN reaches
    # the values or the gradients
    empty = s.isneginf().all(-1, keepdim=True)
    p = softmax(s.masked_fill(empty, 0.0), -1)
    return p.masked_fill(empty, 0.0)


# ====================================================================== SDPA
def _check_sdpa(query, key, value, attn_mask, is_causal):
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_cpp(query.dtype)} key.dtype: {_cpp(key.dtype)} "
                           f"and value.dtype: {_cpp(value.dtype)} instead.")
    if attn_mask is not None and attn_mask.dtype is not _dt.bool and \
            attn_mask.dtype is not query.dtype:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_cpp(attn_mask.dtype)} and  "
                           f"query.dtype: {_cpp(query.dtype)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("scaled_dot_product_attention: query, key and value must have at "
                           "least 2 dimensions")
    batch = _batch_numel(query, key)
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {query.shape[-1]}] but got: [{batch}, "
                           f"{key.shape[-1]}].")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {key.shape[-2]}] but got: [{batch}, "
                           f"{value.shape[-2]}].")


def _batch_numel(query, key):
    try:
        shape = np.broadcast_shapes(tuple(query.shape[:-2]), tuple(key.shape[:-2]))
    except ValueError:
        shape = tuple(query.shape[:-2])
    return int(np.prod(shape, dtype=np.int64))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T / sqrt(E) + mask) V over the last two dims of query (..., L, E),
    key (..., S, E) and value (..., S, Ev). A bool attn_mask marks the positions that may be
    attended (True); a float one is added to the scores."""
    if _amp_on[0]:
        query, key, value, attn_mask = _amp.maybe_cast(
            "scaled_dot_product_attention", query, key, value, attn_mask)
    _check_sdpa(query, key, value, attn_mask, is_causal)
    if enable_gqa and query.dim() >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in ")
        if hk != hq:
            key = key.repeat_interleave(hq // hk, -3)
        if hv != hq:
            value = value.repeat_interleave(hq // hv, -3)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    bias = mask = None
    if attn_mask is not None:
        if attn_mask.dtype is _dt.bool:
            mask = attn_mask
        else:
            bias = attn_mask
    return ScaledDotProductAttention.apply(query, key, value, bias, mask, scale,
                                           float(dropout_p), bool(is_causal), False, True)


# ====================================================================== MHA helpers
def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() == 3:
        is_batched = True
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be "
                                 f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                                 "instead")
    elif query.dim() == 2:
        is_batched = False
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to "
                                 f"be 2-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.dim()}-D "
                                 "tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D "
                                     "tensor instead")
            if attn_mask.dim() == 3:
                expected_shape = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected_shape:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected_shape} "
                                         f"but got {attn_mask.shape}")
    else:
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    return is_batched


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out) becomes a float mask of 0 / -inf; float masks pass."""
    if mask is not None:
        _mask_dtype = mask.dtype
        _mask_is_float = mask.dtype.is_floating_point
        if _mask_dtype is not _dt.bool and not _mask_is_float:
            raise AssertionError(f"only bool and floating types of {mask_name} are supported")
        if check_other and other_type is not None:
            if _mask_dtype is not other_type:
                warnings.warn(f"Support for mismatched {mask_name} and {other_name} is "
                              "deprecated. Use same type for both instead.", stacklevel=3)
        if not _mask_is_float:
            mask = _creation.zeros_like(mask, dtype=target_type).masked_fill_(
                mask, float("-inf"))
    return mask


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _linear(x, w, b):
    from .linear import linear
    return linear(x, w, b)


def _in_projection_packed(q, k, v, w, b=None):
    """Projections with the packed (3E x E) in_proj_weight: one GEMM for self-attention,
    two for encoder-decoder attention. Results may be views of one projection."""
    E = q.size(-1)
    if k is v:
        if q is k:
            return list(_linear(q, w, b).chunk(3, -1))
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        return [_linear(q, w_q, b_q)] + list(_linear(k, w_kv, b_kv).chunk(2, -1))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return [_linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)]


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    if tuple(w_q.shape) != (Eq, Eq):
        raise AssertionError(f"expecting query weights shape of {(Eq, Eq)}, but got "
                             f"{w_q.shape}")
    if tuple(w_k.shape) != (Eq, Ek):
        raise AssertionError(f"expecting key weights shape of {(Eq, Ek)}, but got "
                             f"{w_k.shape}")
    if tuple(w_v.shape) != (Eq, Ev):
        raise AssertionError(f"expecting value weights shape of {(Eq, Ev)}, but got "
                             f"{w_v.shape}")
    if b_q is not None and tuple(b_q.shape) != (Eq,):
        raise AssertionError(f"expecting query bias shape of {(Eq,)}, but got {b_q.shape}")
    if b_k is not None and tuple(b_k.shape) != (Eq,):
        raise AssertionError(f"expecting key bias shape of {(Eq,)}, but got {b_k.shape}")
    if b_v is not None and tuple(b_v.shape) != (Eq,):
        raise AssertionError(f"expecting value bias shape of {(Eq,)}, but got {b_v.shape}")
    return _linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)


def _pad_last(mask):
    """Append one 0 column (an always-allowed extra key) to a float mask."""
    zeros = _creation.zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype,
                            device=mask.device)
    return _shape.cat([mask, zeros], -1)


def _heads(x, length, bsz, num_heads, head_dim):
    """(length, bsz, E) -> (bsz, num_heads, length, head_dim), a view where possible."""
    return x.reshape(length, bsz, num_heads, head_dim).permute(1, 2, 0, 3)


def _static_heads(t, bsz, num_heads, head_dim, name):
    if t.size(0) != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got "
                             f"{t.size(0)}")
    if t.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.size(2)}")
    return t.reshape(bsz, num_heads, t.size(1), head_dim)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention on (L, N, E) query and (S, N, E) key/value (or unbatched)."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)

    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]

    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None      # the is_causal hint alone drives the kernel
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False

    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape "
                             f"{value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for w, n in ((q_proj_weight, "q"), (k_proj_weight, "k"), (v_proj_weight, "v")):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {n}_proj_weight "
                                     "is None")
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            correct_2d_size = (tgt_len, src_len)
            if tuple(attn_mask.shape) != correct_2d_size:
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {correct_2d_size}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            correct_3d_size = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != correct_3d_size:
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {correct_3d_size}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = _shape.cat([k, bias_k.repeat(1, bsz, 1)])
        v = _shape.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    else:
        if bias_k is not None:
            raise AssertionError("bias_k is set but bias_v is None")
        if bias_v is not None:
            raise AssertionError("bias_v is set but bias_k is None")

    # heads: (bsz, num_heads, length, head_dim)
    q = _heads(q, tgt_len, bsz, num_heads, head_dim)
    k = _heads(k, k.shape[0], bsz, num_heads, head_dim) if static_k is None else \
        _static_heads(static_k, bsz, num_heads, head_dim, "static_k")
    v = _heads(v, v.shape[0], bsz, num_heads, head_dim) if static_v is None else \
        _static_heads(static_v, bsz, num_heads, head_dim, "static_v")

    if add_zero_attn:
        zshape = (bsz, num_heads, 1, head_dim)
        k = _shape.cat([k, _creation.zeros(zshape, dtype=k.dtype, device=k.device)], 2)
        v = _shape.cat([v, _creation.zeros(zshape, dtype=v.dtype, device=v.device)], 2)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)

    src_len = k.size(2)
    if attn_mask is not None:
        # (1 or bsz*num_heads, L, S) -> broadcastable over (bsz, num_heads, L, S)
        attn_mask = attn_mask.reshape(-1 if attn_mask.size(0) == 1 else bsz,
                                      1 if attn_mask.size(0) == 1 else num_heads,
                                      tgt_len, attn_mask.size(-1))
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.view(bsz, 1, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    if not training:
        dropout_p = 0.0

    scale = 1.0 / math.sqrt(head_dim)
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        out, weights = ScaledDotProductAttention.apply(q, k, v, attn_mask, None, scale,
                                                       float(dropout_p), False, True, False)
    else:
        out = ScaledDotProductAttention.apply(q, k, v, attn_mask, None, scale,
                                              float(dropout_p), bool(is_causal), False, True)
        weights = None
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.size(1))
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not is_batched:
        out = out.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return out, weights
