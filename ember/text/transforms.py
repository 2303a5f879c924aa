"""torchtext.transforms: text pipeline steps as `nn.Module`s, chained with `Sequential`.

    >>> pipeline = Sequential(VocabTransform(vocab), Truncate(254), AddToken(0, begin=True),
    ...                       AddToken(2, begin=False), ToTensor(padding_value=1))
    >>> pipeline([["hello", "world"], ["hi"]])      # LongTensor, batch x longest

Tokenizers: BERTTokenizer (WordPiece over a vocab.txt), GPT2BPETokenizer (encoder.json +
vocab.bpe), CLIPTokenizer (merges file, optional encoder.json), CharBPETokenizer,
RegexTokenizer, SentencePieceTokenizer (needs the `sentencepiece` package). Like torchtext,
the BPE / WordPiece tokenizers return ids as strings unless return_tokens=True (follow them
with StrToIntTransform to get ints). Asset paths may be local files or URLs (downloaded
into ~/.torchtext/cache by `utils.get_asset_local_path`).
"""
import json
import re

import ember

from ..nn import Module
from . import functional as F
from ._bpe import (CLIPEncoder, GPT2BPEEncoder, bpe_merge, bytes_to_unicode, read_encoder_json,
                   read_merges)
from ._wordpiece import BERTEncoder, read_bert_vocab
from .data.functional import load_sp_model
from .utils import get_asset_local_path
from .vocab import Vocab

__all__ = ["SentencePieceTokenizer", "VocabTransform", "ToTensor", "LabelToIndex", "Truncate",
           "AddToken", "PadTransform", "StrToIntTransform", "GPT2BPETokenizer", "CLIPTokenizer",
           "CharBPETokenizer", "BERTTokenizer", "RegexTokenizer", "Sequential", "MaskTransform",
           "bytes_to_unicode"]


def _str_or_batch(input, one):
    """Apply `one` to a string, or to each string of a list; TypeError otherwise."""
    if isinstance(input, str):
        return one(input)
    if isinstance(input, list) and all(isinstance(t, str) for t in input):
        return [one(t) for t in input]
    raise TypeError("Input type not supported")


class SentencePieceTokenizer(Module):
    """Pieces of a pre-trained SentencePiece model (needs the `sentencepiece` package)."""

    def __init__(self, sp_model_path):
        super().__init__()
        self.sp_model = load_sp_model(get_asset_local_path(sp_model_path))

    def forward(self, input):
        return _str_or_batch(input, self.sp_model.EncodeAsPieces)


class VocabTransform(Module):
    """Token lists (or one token list) to id lists through a `Vocab`."""

    def __init__(self, vocab):
        super().__init__()
        assert isinstance(vocab, Vocab)
        self.vocab = vocab

    def forward(self, input):
        if F._is_list_of(input, str):
            return self.vocab.lookup_indices(input)
        if F._is_batch_of(input, str):
            return [self.vocab.lookup_indices(tokens) for tokens in input]
        raise TypeError("Input type not supported")


class ToTensor(Module):
    """`functional.to_tensor` as a module."""

    def __init__(self, padding_value=None, dtype=ember.long):
        super().__init__()
        self.padding_value = padding_value
        self.dtype = dtype

    def forward(self, input):
        return F.to_tensor(input, padding_value=self.padding_value, dtype=self.dtype)


class LabelToIndex(Module):
    """Label names to ids, from `label_names` or a file with one label per line."""

    def __init__(self, label_names=None, label_path=None, sort_names=False):
        assert label_names or label_path, "label_names or label_path is required"
        assert not (label_names and label_path), "label_names and label_path are mutually exclusive"
        super().__init__()
        if label_path:
            with open(label_path, encoding="utf-8") as f:
                label_names = [line.strip() for line in f if line.strip()]
        if sort_names:
            label_names = sorted(label_names)
        self._label_vocab = Vocab(list(label_names))
        self._label_names = self._label_vocab.get_itos()

    def forward(self, input):
        if isinstance(input, str):
            return self._label_vocab[input]
        if F._is_list_of(input, str):
            return self._label_vocab.lookup_indices(input)
        raise TypeError("Input type not supported")

    @property
    def label_names(self):
        return self._label_names


class Truncate(Module):
    """`functional.truncate` as a module."""

    def __init__(self, max_seq_len):
        super().__init__()
        self.max_seq_len = max_seq_len

    def forward(self, input):
        return F.truncate(input, self.max_seq_len)


class AddToken(Module):
    """`functional.add_token` as a module."""

    def __init__(self, token, begin=True):
        super().__init__()
        self.token = token
        self.begin = begin

    def forward(self, input):
        return F.add_token(input, self.token, self.begin)


class PadTransform(Module):
    """Pad the last dimension of a tensor on the right with `pad_value` up to
    `max_length` (longer tensors are returned unchanged)."""

    def __init__(self, max_length, pad_value):
        super().__init__()
        self.max_length = max_length
        self.pad_value = float(pad_value)

    def forward(self, x):
        length = x.size(-1)
        if length < self.max_length:
            x = ember.nn.functional.pad(x, (0, self.max_length - length), value=self.pad_value)
        return x


class StrToIntTransform(Module):
    """String ids (a list or a batch of lists) to ints."""

    def forward(self, input):
        return F.str_to_int(input)


class GPT2BPETokenizer(Module):
    """GPT-2's byte-level BPE from an encoder.json (token -> id) and a vocab.bpe (ranked
    merges, '#version' header first). Returns id strings, or BPE tokens with
    return_tokens=True ('Ġ' marks a leading space)."""
    SPECIAL_TOKENS_ATTRIBUTES = ["bos_token", "eos_token", "unk_token", "sep_token",
                                 "pad_token", "cls_token", "mask_token",
                                 "additional_special_tokens"]

    def __init__(self, encoder_json_path, vocab_bpe_path, return_tokens=False):
        super().__init__()
        encoder = read_encoder_json(get_asset_local_path(encoder_json_path))
        merges = read_merges(get_asset_local_path(vocab_bpe_path))
        self.bpe = GPT2BPEEncoder(encoder, merges)
        self._return_tokens = return_tokens

    @property
    def is_jitable(self):
        return False

    def _encode(self, text):
        return [str(i) for i in self.bpe.encode(text)]

    def _tokenize(self, text):
        return self.bpe.tokenize(text)

    def add_special_tokens(self, special_tokens_dict):
        """Register special tokens (kept whole; new ones get the next ids). Keys must be
        among SPECIAL_TOKENS_ATTRIBUTES. Returns the number of ids added."""
        for key in special_tokens_dict:
            assert key in self.SPECIAL_TOKENS_ATTRIBUTES, \
                f"Key '{key}' is not in the special token list: {self.SPECIAL_TOKENS_ATTRIBUTES}"
        standard = {k: v for k, v in special_tokens_dict.items()
                    if k != "additional_special_tokens"}
        return self.bpe.add_special_tokens(
            standard, special_tokens_dict.get("additional_special_tokens", []))

    def forward(self, input):
        return _str_or_batch(input, self._tokenize if self._return_tokens else self._encode)

    def decode(self, tokens):
        """Text of a list of id strings."""
        return self.bpe.decode([int(t) for t in tokens])

    def __prepare_scriptable__(self):
        return self


class CLIPTokenizer(Module):
    """CLIP's byte-level BPE (lower-cased input, '</w>' end-of-word marks). The vocabulary
    is the encoder JSON when given (and the number of merges follows from its size), else
    built from the merges: the 256 byte symbols, the same with '</w>', each merge result,
    then <|startoftext|> and <|endoftext|>."""

    def __init__(self, merges_path, encoder_json_path=None, num_merges=None,
                 return_tokens=False):
        super().__init__()
        if encoder_json_path:
            encoder = read_encoder_json(get_asset_local_path(encoder_json_path))
            # 256 byte symbols, each with and without '</w>', and the two special tokens
            num_merges = len(encoder) - (256 * 2 + 2)
            merges = read_merges(get_asset_local_path(merges_path), limit=num_merges)
        else:
            merges = read_merges(get_asset_local_path(merges_path), limit=num_merges or None)
            symbols = list(bytes_to_unicode().values())
            vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
            vocab += ["<|startoftext|>", "<|endoftext|>"]
            encoder = {token: i for i, token in enumerate(vocab)}
        self.bpe = CLIPEncoder(encoder, merges)
        self._return_tokens = return_tokens

    @property
    def is_jitable(self):
        return False

    def _encode(self, text):
        return [str(i) for i in self.bpe.encode(text.lower().strip())]

    def _tokenize(self, text):
        return self.bpe.tokenize(text.lower().strip())

    def forward(self, input):
        return _str_or_batch(input, self._tokenize if self._return_tokens else self._encode)

    def __prepare_scriptable__(self):
        return self


class CharBPETokenizer(Module):
    """Character-level BPE over whitespace-separated words (the `tokenizers` library's
    CharBPETokenizer files): `suffix` (e.g. '</w>') marks word ends, `unk_token` replaces
    unknown pieces, `special_tokens` are kept whole. Returns ids (as the encoder stores
    them) or tokens with return_tokens=True."""

    def __init__(self, bpe_encoder_path, bpe_merges_path, return_tokens=False, unk_token=None,
                 suffix=None, special_tokens=None):
        super().__init__()
        with open(get_asset_local_path(bpe_encoder_path), encoding="utf-8") as f:
            self._encoder = dict(json.load(f))
        with open(get_asset_local_path(bpe_merges_path), encoding="utf-8") as f:
            lines = f.read().split("\n")
        # the file's first line is a '#version' header and it ends with a newline
        merges = [tuple(line.split()) for line in lines[1:-1]]
        self._decoder = {v: k for k, v in self._encoder.items()}
        self._bpe_ranks = {m: i for i, m in enumerate(merges)}
        self._return_tokens = return_tokens
        self._cache = {}
        self._pat = r"\S+\n?"
        if unk_token and unk_token not in self._encoder:
            raise RuntimeError(f"Unknown token {unk_token} not found in encoder. Special tokens "
                               "must be in encoder.")
        self._unk_token = unk_token
        self._suffix = suffix
        for token in special_tokens or []:
            if token not in self._encoder:
                raise RuntimeError(f"Special token {token} not found in encoder. Special "
                                   "tokens must be in encoder.")
            self._cache[token] = token

    @property
    def vocab_size(self):
        return len(self._encoder)

    def _bpe(self, token):
        """The space-separated BPE pieces of one word."""
        if token in self._cache:
            return self._cache[token]
        if self._suffix:
            word = list(token[:-1]) + [token[-1] + self._suffix]
        else:
            word = list(token)
        pieces = " ".join(bpe_merge(word, self._bpe_ranks))
        self._cache[token] = pieces
        return pieces

    def _tokenize(self, text):
        return [piece for token in re.findall(self._pat, text)
                for piece in self._bpe(token).split(" ")]

    def encode(self, text):
        if self._unk_token:
            unk = self._encoder.get(self._unk_token)
            return [self._encoder.get(t, unk) for t in self._tokenize(text)]
        return [self._encoder[t] for t in self._tokenize(text)]

    def decode(self, tokens):
        if self._unk_token:
            words = [self._decoder.get(t, self._unk_token) for t in tokens]
        else:
            words = [self._decoder[t] for t in tokens]
        if self._suffix:
            return "".join(words).replace(self._suffix, " ")
        return " ".join(words)

    def forward(self, input):
        return _str_or_batch(input, self._tokenize if self._return_tokens else self.encode)


class BERTTokenizer(Module):
    """BERT's WordPiece tokenizer over a vocab.txt (one token per line, id = line number).
    Returns id strings, or WordPiece tokens ('##' marks a continuation) with
    return_tokens=True. strip_accents=None strips accents exactly when lower-casing;
    never_split tokens are neither lower-cased nor split at punctuation. A word longer than
    max_input_chars_per_word characters (an ember addition; torchtext fixes it at 100)
    becomes [UNK]. Unlike torchtext, whose C++ treats strip_accents=False like True,
    strip_accents=False keeps accents."""

    def __init__(self, vocab_path, do_lower_case=True, strip_accents=None, return_tokens=False,
                 never_split=None, *, max_input_chars_per_word=100):
        super().__init__()
        never_split = [] if never_split is None else list(never_split)
        tokens = read_bert_vocab(get_asset_local_path(vocab_path))
        self.bert_model = BERTEncoder(tokens, do_lower_case, strip_accents, never_split,
                                      max_input_chars_per_word)
        self._return_tokens = return_tokens
        self._vocab_path = vocab_path
        self._do_lower_case = do_lower_case
        self._strip_accents = strip_accents
        self._never_split = never_split

    @property
    def is_jitable(self):
        return False

    def _encode(self, text):
        return [str(i) for i in self.bert_model.encode(text.strip())]

    def _batch_encode(self, text):
        return [self._encode(t) for t in text]

    def _tokenize(self, text):
        return self.bert_model.tokenize(text.strip())

    def _batch_tokenize(self, text):
        return [self._tokenize(t) for t in text]

    def forward(self, input):
        return _str_or_batch(input, self._tokenize if self._return_tokens else self._encode)

    def __prepare_scriptable__(self):
        return self


class RegexTokenizer(Module):
    """Apply (pattern, replacement) regex substitutions in order, then split on spaces.
    Patterns are Python `re` syntax (torchtext uses RE2, which has no look-around or
    back-references; everything RE2 accepts means the same here)."""

    def __init__(self, patterns_list):
        super().__init__()
        self._rules = [(re.compile(p), r) for p, r in patterns_list]

    @property
    def is_jitable(self):
        return False

    def forward(self, line):
        for pattern, replacement in self._rules:
            line = pattern.sub(replacement, line)
        return [t for t in line.split(" ") if t]


class Sequential(ember.nn.Sequential):
    """A chain of text transforms: the output of each is the input of the next."""

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class MaskTransform(Module):
    """BERT-style masking of a (batch x seq_len) id tensor: `mask_prob` of the positions
    (not padding, not BOS unless mask_bos) are chosen; of those 80% become `mask_idx`, 10% a
    random id, 10% stay. Returns (masked tokens, the chosen original tokens, the 0/1 mask)."""
    mask_mask_prob = 0.8
    rand_mask_prob = 0.1

    def __init__(self, vocab_len, mask_idx, bos_idx, pad_idx, mask_bos=False, mask_prob=0.15):
        super().__init__()
        self.vocab_len = vocab_len
        self.mask_idx = mask_idx
        self.bos_idx = bos_idx
        self.pad_idx = pad_idx
        self.mask_prob = mask_prob
        self.mask_bos = mask_bos

    def forward(self, tokens):
        mask, mask_mask, rand_mask = self._generate_mask(tokens)
        masked = self._mask_input(tokens, mask_mask, self.mask_idx)
        masked = self._mask_input(masked, rand_mask,
                                  ember.randint_like(tokens, high=self.vocab_len))
        target = ember.masked_select(tokens, mask.bool())
        return masked, target, mask

    def _random_masking(self, tokens, mask_prob):
        batch_size, seq_len = tokens.size()
        per_seq = int(seq_len * mask_prob)
        mask = ember.zeros((batch_size, seq_len), dtype=ember.int)
        mask[:, :per_seq] = 1
        for i in range(batch_size):
            mask[i] = mask[i, ember.randperm(seq_len)]
        return mask

    def _select_tokens_to_mask(self, tokens, mask_prob):
        mask = self._random_masking(tokens, mask_prob)
        if not self.mask_bos:
            mask *= (tokens != self.bos_idx).long()
        return mask

    def _generate_mask(self, tokens):
        mask = self._select_tokens_to_mask(tokens, self.mask_prob)
        mask *= (tokens != self.pad_idx).long()
        # keep at least one masked position so a loss over the targets is defined
        if not mask.bool().any():
            mask[0, 0] = 1
        probs = ember.rand_like(tokens, dtype=ember.float)
        mask_mask = (probs >= (1 - self.mask_mask_prob)).long() * mask
        rand_mask = (probs < self.rand_mask_prob).long() * mask
        return mask, mask_mask, rand_mask

    def _mask_input(self, tokens, mask, replacement):
        return tokens * (1 - mask) + replacement * mask
