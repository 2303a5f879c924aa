"""torchtext.functional: turn token-id lists into tensors, truncate, add begin/end tokens.

Inputs are a sequence (a list of ints or of strs) or a batch (a list of such lists); the
type test follows torchtext's TorchScript one (lists only, every element of the same kind),
and anything else raises TypeError("Input type not supported").
"""
import ember

from ..nn.utils.rnn import pad_sequence

__all__ = ["to_tensor", "truncate", "add_token", "str_to_int"]


def _is_list_of(x, kind):
    return isinstance(x, list) and all(isinstance(e, kind) for e in x)


def _is_batch_of(x, kind):
    return isinstance(x, list) and all(_is_list_of(e, kind) for e in x)


def to_tensor(input, padding_value=None, dtype=ember.long):
    """A tensor of token ids: 1-D from a list of ints; 2-D (batch x longest) from a list of
    lists, padded on the right with `padding_value` (ragged input without a padding value
    raises ValueError, as `ember.tensor` does).

    Unlike torchtext, which always returns int64 for a single sequence, `dtype` is honoured
    for both forms.

    >>> to_tensor([[1, 2, 3], [4]], padding_value=0)
    tensor([[1, 2, 3],
            [4, 0, 0]])
    """
    if _is_list_of(input, int):
        return ember.tensor(input, dtype=dtype)
    if _is_batch_of(input, int):
        if padding_value is None:
            return ember.tensor(input, dtype=dtype)
        return pad_sequence([ember.tensor(ids, dtype=dtype) for ids in input],
                            batch_first=True, padding_value=float(padding_value))
    raise TypeError("Input type not supported")


def truncate(input, max_seq_len):
    """Keep the first `max_seq_len` items of a sequence, or of each sequence of a batch."""
    if _is_list_of(input, int) or _is_list_of(input, str):
        return input[:max_seq_len]
    if _is_batch_of(input, int) or _is_batch_of(input, str):
        return [ids[:max_seq_len] for ids in input]
    raise TypeError("Input type not supported")


def add_token(input, token_id, begin=True):
    """Put `token_id` before (begin=True) or after each sequence. The token must be of the
    sequences' kind: an int for id lists, a str for token lists."""
    kind = int if isinstance(token_id, int) else str if isinstance(token_id, str) else None
    if kind is not None and _is_list_of(input, kind):
        return [token_id] + input if begin else input + [token_id]
    if kind is not None and _is_batch_of(input, kind):
        return [[token_id] + ids if begin else ids + [token_id] for ids in input]
    raise TypeError("Input type not supported")


def str_to_int(input):
    """Convert string ids (what the BPE / WordPiece tokenizers return) to ints."""
    if _is_list_of(input, str):
        return [int(x) for x in input]
    if _is_batch_of(input, str):
        return [[int(x) for x in ids] for ids in input]
    raise TypeError("Input type not supported")
