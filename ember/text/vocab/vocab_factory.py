"""Factories for `Vocab`: from an ordered token -> frequency mapping, or from an iterator of
token lists (counted here)."""
from collections import Counter, OrderedDict

from .vocab import Vocab, _VocabTable

__all__ = ["vocab", "build_vocab_from_iterator"]


def vocab(ordered_dict, min_freq=1, specials=None, special_first=True):
    """A `Vocab` of the tokens of `ordered_dict` (token -> frequency) whose frequency is at
    least `min_freq`, in the dict's order, with `specials` (kept in their given order) put
    first or last. Specials are removed from `ordered_dict` itself first, as torchtext does.

    >>> v = vocab(OrderedDict([("b", 3), ("a", 2), ("c", 1)]), specials=["<unk>"])
    >>> v.get_itos()
    ['<unk>', 'b', 'a', 'c']
    """
    specials = list(specials or [])
    for token in specials:
        ordered_dict.pop(token, None)
    tokens = [token for token, freq in ordered_dict.items() if freq >= min_freq]
    tokens = specials + tokens if special_first else tokens + specials
    return Vocab(_VocabTable(tokens, None))


def build_vocab_from_iterator(iterator, min_freq=1, specials=None, special_first=True,
                              max_tokens=None):
    """Count the tokens of an iterator of token lists and build a `Vocab` ordered by
    descending frequency, ties broken lexicographically (then `min_freq`, `specials` as in
    `vocab`). `max_tokens` keeps only the `max_tokens - len(specials)` most frequent tokens.

    >>> v = build_vocab_from_iterator([["b", "a", "b"], ["c", "a"]], specials=["<unk>"])
    >>> v.set_default_index(v["<unk>"])
    >>> v.get_itos(), v["zzz"]
    (['<unk>', 'a', 'b', 'c'], 0)
    """
    counter = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = specials or []
    by_freq = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    if max_tokens is not None:
        assert len(specials) < max_tokens, \
            "len(specials) >= max_tokens, so the vocab will be entirely special tokens."
        by_freq = by_freq[:max_tokens - len(specials)]
    return vocab(OrderedDict(by_freq), min_freq=min_freq, specials=specials,
                 special_first=special_first)
