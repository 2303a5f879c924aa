"""Byte-level BPE, the engine of transforms.GPT2BPETokenizer and transforms.CLIPTokenizer.

Text is cut into pre-tokens by a regex, each pre-token's UTF-8 bytes are mapped to printable
characters (`bytes_to_unicode`), and adjacent symbols are merged greedily by merge rank until
no ranked pair is left; the resulting pieces are looked up in the encoder (encoder.json).

The pre-tokenizer is GPT-2's own pattern,
`'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+`, with the
semantics of OpenAI's `regex`-module original (and of Hugging Face's tokenizers). Python's
`re` has no \\p{..} classes, so the letter (L*) and number (N*) classes are built once from
`unicodedata` (about 0.1 s, on first use); they equal the `regex` module's on every code
point this Python's Unicode database assigns. torchtext runs a look-ahead-free rewrite of the
pattern on RE2, which differs in two corner cases: it treats only ASCII whitespace as `\\s`
(U+00A0, U+3000, ... become symbols), and after a run of whitespace it gives the last space
to a following contraction (" 'll" where GPT-2 has " '" then "ll").
"""
import json
import os
import re
import unicodedata
from functools import lru_cache

__all__ = ["bytes_to_unicode", "bpe_merge", "GPT2BPEEncoder", "CLIPEncoder", "read_encoder_json",
           "read_merges"]

_ASCII_SPACE = "\t\n\x0b\x0c\r "
# Unicode's White_Space property, which `\s` means in the `regex` module (Python's `re` also
# counts U+001C..U+001F)
_WS = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


@lru_cache()
def bytes_to_unicode():
    """dict byte -> one printable character. The 188 printable Latin-1 bytes map to
    themselves; the other 68 (controls, space, 0x7f-0xa0, 0xad) to U+0100, U+0101, ... in
    byte order, so no BPE symbol is whitespace or a control character. The dict lists the
    printable bytes first, as GPT-2's does (CLIP builds its vocabulary in this order)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


@lru_cache(maxsize=None)
def _unicode_classes():
    """Bodies of regex character classes for \\p{L} and \\p{N} (ranges of code points of
    general category L* / N* in this Python's Unicode database)."""
    ranges = {"L": [], "N": []}
    category = unicodedata.category
    run_kind, run_start = None, 0
    for cp in range(0x110000 + 1):
        kind = category(chr(cp))[0] if cp < 0x110000 else None
        kind = kind if kind in ranges else None
        if kind != run_kind:
            if run_kind is not None:
                ranges[run_kind].append((run_start, cp - 1))
            run_kind, run_start = kind, cp
    return tuple("".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}"
                         for lo, hi in ranges[k]) for k in ("L", "N"))


@lru_cache(maxsize=None)
def _gpt2_pattern():
    L, N = _unicode_classes()
    return re.compile(rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+| ?[{N}]+| ?[^{_WS}{L}{N}]+"
                      rf"|[{_WS}]+(?![^{_WS}])|[{_WS}]+")


@lru_cache(maxsize=None)
def _clip_pattern():
    L, N = _unicode_classes()
    return re.compile(rf"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[{L}]+|[{N}]"
                      rf"|[^{_WS}{L}{N}]+", re.IGNORECASE)


def read_encoder_json(path):
    """The token -> id dict of a GPT-2 style encoder.json; ValueError naming the file when it
    is not a JSON object of integer ids."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        try:
            encoder = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"{path} is not a valid BPE encoder JSON file: {e}") from None
    if not isinstance(encoder, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in encoder.values()):
        raise ValueError(f"{path}: expected a JSON object mapping BPE tokens to integer ids")
    return encoder


def read_merges(path, limit=None):
    """The merge pairs of a vocab.bpe / merges.txt file, best (lowest rank) first. A first
    line containing '#version' is a header and skipped; blank lines are ignored; any other
    line must be two symbols separated by a space (ValueError naming the line otherwise).
    torchtext instead always drops the first and the last line."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not a UTF-8 BPE merges file: {e}") from None
    start = 1 if lines and "#version" in lines[0] else 0
    merges = []
    for lineno, line in enumerate(lines[start:], start + 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path}, line {lineno}: expected a BPE merge of two symbols "
                             f"separated by a space, got {line!r}")
        merges.append((parts[0], parts[1]))
        if limit is not None and len(merges) == limit:
            break
    return merges


def bpe_merge(symbols, ranks):
    """Merge adjacent symbols of the list `symbols`, best-ranked pair (lowest rank in the
    dict `ranks`: (a, b) -> rank) first, every occurrence left to right, until no ranked pair
    is left. Returns the list of merged symbols."""
    word = symbols
    while len(word) > 1:
        best, best_rank = None, None
        for pair in zip(word, word[1:]):
            rank = ranks.get(pair)
            if rank is not None and (best_rank is None or rank < best_rank):
                best, best_rank = pair, rank
        if best is None:
            break
        first, second = best
        merged, i, n = [], 0, len(word)
        while i < n:
            if i < n - 1 and word[i] == first and word[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(word[i])
                i += 1
        word = merged
    return word


class GPT2BPEEncoder:
    """GPT-2 byte-level BPE over an encoder (token -> id) and ranked merges, with special
    tokens that are never split (`add_special_tokens`)."""

    def __init__(self, encoder, merges, caching_enabled=True):
        self.encoder = dict(encoder)
        self.decoder = {i: t for t, i in self.encoder.items()}
        self.ranks = {tuple(pair): rank for rank, pair in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        self.caching_enabled = caching_enabled
        self.cache = {}
        self.never_split = set()          # special tokens: kept whole by the pre-tokenizer
        self.added_encoder = {}           # special tokens that were not in the encoder
        self.added_decoder = {}
        self._special_re = None

    def bpe(self, pretoken):
        """The BPE pieces of one pre-token (a str of raw text)."""
        if pretoken in self.never_split:
            return [pretoken]
        cached = self.cache.get(pretoken)
        if cached is not None:
            return cached
        symbols = [self.byte_encoder[b] for b in pretoken.encode("utf-8")]
        pieces = bpe_merge(symbols, self.ranks)
        if self.caching_enabled:
            self.cache[pretoken] = pieces
        return pieces

    # ------------------------------------------------------------------ pre-tokenization
    def _split_special(self, text):
        """Chunks of `text`: runs of ordinary text and single special tokens. One whitespace
        character on each side of a special token is dropped (torchtext's rule)."""
        if not self.never_split:
            return [text]
        chunks, last = [], 0
        for m in self._special_re.finditer(text):
            start, end = m.span()
            if start > last:
                cut = start - 1 if text[start - 1] in _ASCII_SPACE else start
                chunks.append(text[last:cut])
            chunks.append(m.group())
            last = end + 1 if end < len(text) and text[end] in _ASCII_SPACE else end
        if last < len(text):
            chunks.append(text[last:])
        return chunks

    def pre_tokenize(self, text):
        pattern = _gpt2_pattern()
        tokens = []
        for chunk in self._split_special(text):
            if chunk in self.never_split:
                tokens.append(chunk)
            else:
                tokens.extend(pattern.findall(chunk))
        return tokens

    # ------------------------------------------------------------------ public API
    def _id(self, piece):
        try:
            return self.encoder[piece]
        except KeyError:
            raise RuntimeError(f"BPE token {piece!r} is not in the encoder: the encoder "
                               "JSON and the merges file do not belong together") from None

    def tokenize(self, text):
        out = []
        for pretoken in self.pre_tokenize(text):
            out.extend(self.bpe(pretoken))
        return out

    def encode(self, text):
        ids = []
        for pretoken in self.pre_tokenize(text):
            added = self.added_encoder.get(pretoken)
            if added is not None:
                ids.append(added)
                continue
            ids.extend(self._id(piece) for piece in self.bpe(pretoken))
        return ids

    def decode(self, ids):
        """Text of a list of ids; special tokens are set off by single spaces, matching the
        spaces the pre-tokenizer removed around them."""
        # bytes of ordinary pieces are gathered before decoding: one character's UTF-8
        # bytes may be spread over several pieces
        out, prev_special = bytearray(), False
        for pos, token_id in enumerate(ids):
            if token_id in self.added_decoder:
                piece, special = self.added_decoder[token_id], True
            else:
                try:
                    piece = self.decoder[token_id]
                except KeyError:
                    raise RuntimeError(f"Token id {token_id} is not in the BPE encoder") from None
                special = piece in self.never_split
            if special:
                if pos > 0 and not prev_special:
                    out += b" "
                out += piece.encode("utf-8")
                if pos != len(ids) - 1:
                    out += b" "
            else:
                out.extend(self.byte_decoder[c] for c in piece)
            prev_special = special
        return out.decode("utf-8", errors="replace")

    def add_special_tokens(self, standard_special_tokens, additional_special_tokens=()):
        """Register special tokens (never split). Tokens missing from the encoder get the
        next free ids. Returns how many new ids were added."""
        added = 0
        for token in [*standard_special_tokens.values(), *additional_special_tokens]:
            if token in self.added_encoder:
                continue
            self.never_split.add(token)
            if token not in self.encoder:
                new_id = len(self.encoder) + len(self.added_encoder)
                self.added_encoder[token] = new_id
                self.added_decoder[new_id] = token
                added += 1
        # longest first, so a special token that contains another one wins
        alternatives = sorted(self.never_split, key=len, reverse=True)
        self._special_re = re.compile("|".join(map(re.escape, alternatives)))
        return added


class CLIPEncoder(GPT2BPEEncoder):
    """CLIP's byte-level BPE: the last symbol of each word carries the end-of-word mark
    '</w>', numbers are split into single digits, whitespace only separates words, and
    <|startoftext|> / <|endoftext|> are kept whole."""
    SPECIAL = ("<|startoftext|>", "<|endoftext|>")

    def pre_tokenize(self, text):
        return _clip_pattern().findall(text)

    def bpe(self, pretoken):
        if pretoken in self.SPECIAL:
            return [pretoken]
        cached = self.cache.get(pretoken)
        if cached is not None:
            return cached
        symbols = [self.byte_encoder[b] for b in pretoken.encode("utf-8")]
        symbols[-1] += "</w>"
        pieces = bpe_merge(symbols, self.ranks)
        if self.caching_enabled:
            self.cache[pretoken] = pieces
        return pieces
