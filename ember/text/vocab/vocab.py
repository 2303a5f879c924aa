"""`Vocab`: a token <-> index table, an `nn.Module` whose forward maps a token list to ids.

The table itself is `_VocabTable` (torchtext keeps it in C++; `Vocab.vocab` holds it here
too), so that `Vocab` stays a thin module and the table pickles on its own.
"""
import operator

from ...nn import Module

__all__ = ["Vocab"]


class _VocabTable:
    """itos (a list) + stoi (a dict) + an optional default index for unknown tokens. Errors
    are RuntimeErrors with torchtext's messages."""

    def __init__(self, tokens, default_index=None):
        self.itos_ = []
        self._stoi = {}
        for token in tokens:
            if token in self._stoi:
                raise RuntimeError(f"Duplicate token found in tokens list: {token}")
            self._add(token)
        self.default_index_ = default_index

    def _add(self, token):
        self._stoi[token] = len(self.itos_)
        self.itos_.append(token)

    def __len__(self):
        return len(self.itos_)

    def __contains__(self, token):
        return token in self._stoi

    def __getitem__(self, token):
        index = self._stoi.get(token)
        if index is not None:
            return index
        if self.default_index_ is None:
            raise RuntimeError(f"Token {token} not found and default index is not set")
        return self.default_index_

    def lookup_indices(self, tokens):
        stoi, default = self._stoi, self.default_index_
        if default is not None:
            return [stoi.get(t, default) for t in tokens]
        return [self[t] for t in tokens]

    def set_default_index(self, index):
        self.default_index_ = None if index is None else operator.index(index)

    def get_default_index(self):
        return self.default_index_

    def _check_index(self, index, upper, where=""):
        index = operator.index(index)
        if not 0 <= index < upper:
            raise RuntimeError(f"Specified index {index}{where} is out of bounds for vocab of "
                               f"size {len(self.itos_)}")
        return index

    def append_token(self, token):
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: "
                               f"{self._stoi[token]}")
        self._add(token)

    def insert_token(self, token, index):
        index = self._check_index(index, len(self.itos_) + 1)
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: "
                               f"{self._stoi[token]}")
        self.itos_.insert(index, token)
        for i in range(index, len(self.itos_)):       # shift the tokens after it by one
            self._stoi[self.itos_[i]] = i

    def lookup_token(self, index):
        return self.itos_[self._check_index(index, len(self.itos_))]

    def lookup_tokens(self, indices):
        n = len(self.itos_)
        checked = [self._check_index(i, n, f" at position {pos}") for pos, i in enumerate(indices)]
        return [self.itos_[i] for i in checked]

    def get_stoi(self):
        return dict(self._stoi)

    def get_itos(self):
        return list(self.itos_)


class Vocab(Module):
    """Maps tokens to indices (`vocab[token]`, `vocab(tokens)`) and back
    (`lookup_token`, `lookup_tokens`). Build one with `build_vocab_from_iterator` or
    `vocab(ordered_dict)`; `Vocab(tokens)` from a list of unique tokens also works.

    A token not in the vocab maps to the default index when one is set
    (`set_default_index(vocab['<unk>'])`), and raises RuntimeError otherwise.
    """

    def __init__(self, vocab):
        super().__init__()
        if isinstance(vocab, Vocab):
            vocab = vocab.vocab
        if isinstance(vocab, (list, tuple)):
            vocab = _VocabTable(vocab)
        if not isinstance(vocab, _VocabTable):
            raise TypeError("Vocab expects the table built by ember.text.vocab.vocab() / "
                            "build_vocab_from_iterator() or a list of unique tokens, got "
                            f"{type(vocab).__name__}")
        self.vocab = vocab

    @property
    def is_jitable(self):
        return False

    def forward(self, tokens):
        """The indices of a list of tokens (same as `lookup_indices`)."""
        return self.vocab.lookup_indices(tokens)

    def __len__(self):
        return len(self.vocab)

    def __contains__(self, token):
        return token in self.vocab

    def __getitem__(self, token):
        return self.vocab[token]

    def set_default_index(self, index):
        """Index returned for out-of-vocabulary tokens (None: raise RuntimeError instead)."""
        self.vocab.set_default_index(index)

    def get_default_index(self):
        return self.vocab.get_default_index()

    def insert_token(self, token, index):
        """Insert `token` at `index` in [0, len(vocab)], shifting later tokens up by one.
        RuntimeError if the index is out of range or the token is already present."""
        self.vocab.insert_token(token, index)

    def append_token(self, token):
        """Add `token` at the end. RuntimeError if it is already present."""
        self.vocab.append_token(token)

    def lookup_token(self, index):
        """The token at `index`; RuntimeError outside [0, len(vocab))."""
        return self.vocab.lookup_token(index)

    def lookup_tokens(self, indices):
        return self.vocab.lookup_tokens(indices)

    def lookup_indices(self, tokens):
        return self.vocab.lookup_indices(tokens)

    def get_stoi(self):
        """A new dict token -> index."""
        return self.vocab.get_stoi()

    def get_itos(self):
        """A new list index -> token."""
        return self.vocab.get_itos()

    def __prepare_scriptable__(self):
        return self
