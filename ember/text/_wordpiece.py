"""BERT's WordPiece tokenizer, the engine of transforms.BERTTokenizer.

Basic tokenization of each space-separated word: (when stripping accents) NFD decomposition
and removal of combining marks (Mn); removal of NUL, U+FFFD and control characters;
whitespace normalised to ' '; spaces put around punctuation and CJK ideographs; lower-casing.
Then each word is cut greedily into the longest vocabulary pieces, continuation pieces
prefixed '##'; a word with no such cut, or longer than `max_input_chars_per_word`
characters, becomes [UNK]. The order of the steps and the character classes follow torchtext.
"""
import os
import unicodedata

__all__ = ["BERTEncoder", "read_bert_vocab"]

UNK = "[UNK]"

# Code-point blocks of CJK ideographs (BERT splits each into its own token). Hangul, kana
# and others are not in them and are handled as ordinary letters.
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
               (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_cjk(cp):
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_punctuation(ch):
    cp = ord(ch)
    # all non-alphanumeric ASCII counts ('$', '^', '`' are not category P in Unicode)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_whitespace(ch):
    return ch in "\t\n\r " or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    # U+0D04: torchtext's utf8proc says 'Lo' where older unicodedata said 'Cn'; torchtext
    # keeps the older answer, so it is dropped as a control character here too.
    return ord(ch) == 0x0D04 or unicodedata.category(ch).startswith("C")


def _lower(text):
    """Per-character (simple) lower-casing, as utf8proc_tolower: 'İ' -> 'i', and a final
    'Σ' stays 'σ' (str.lower() would give 'i̇' and 'ς')."""
    if text.isascii():
        return text.lower()
    return "".join(c.lower()[0] for c in text)


def read_bert_vocab(path):
    """Tokens of a BERT vocab.txt, one per line in id order. An empty line is the token
    '\\n' (as torchtext reads it); a repeated token keeps its first id and later tokens
    move up (torchtext's de-duplication). A missing file raises FileNotFoundError, a file
    that is not UTF-8 or has no tokens ValueError."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not a UTF-8 BERT vocab file: {e}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()                       # the newline that ends the last line
    tokens = dict.fromkeys(line.rstrip("\r") or "\n" for line in lines)
    if not tokens:
        raise ValueError(f"{path}: BERT vocab file has no tokens")
    return list(tokens)


class BERTEncoder:
    def __init__(self, vocab_tokens, do_lower_case=True, strip_accents=None, never_split=(),
                 max_input_chars_per_word=100):
        self.stoi = {t: i for i, t in enumerate(vocab_tokens)}
        self.itos = list(vocab_tokens)
        self.do_lower_case = do_lower_case
        # None: strip accents exactly when lower-casing (BERT uncased models)
        self.strip_accents = do_lower_case if strip_accents is None else bool(strip_accents)
        self.never_split = set(never_split)
        self.max_input_chars_per_word = max_input_chars_per_word

    def _basic(self, word):
        """The basic-tokenizer pieces of one space-separated word."""
        keep = word in self.never_split
        if self.strip_accents:
            word = unicodedata.normalize("NFD", word)
        out = []
        for ch in word:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if self.strip_accents and not keep and unicodedata.category(ch) == "Mn":
                continue
            if _is_whitespace(ch):
                out.append(" ")
            elif _is_cjk(cp) or (not keep and _is_punctuation(ch)):
                out.extend((" ", ch, " "))
            else:
                out.append(ch)
        text = "".join(out)
        if self.do_lower_case and not keep:
            text = _lower(text)
        return text.split()

    def _wordpiece(self, word, out):
        """Greedy longest-match-first split of `word` into vocabulary pieces, appended to
        `out`; the whole word becomes [UNK] when some position has no match."""
        if len(word) > self.max_input_chars_per_word:
            out.append(UNK)
            return
        stoi, pieces, start, n = self.stoi, [], 0, len(word)
        while start < n:
            end = n
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in stoi:
                    break
                end -= 1
            if end == start:
                out.append(UNK)
                return
            pieces.append(piece)
            start = end
        out.extend(pieces)

    def tokenize(self, text):
        words = []
        for word in text.split(" "):
            if word:
                words.extend(self._basic(word))
        out = []
        for word in words:
            self._wordpiece(word, out)
        return out

    def encode(self, text):
        stoi = self.stoi
        ids = []
        for token in self.tokenize(text):
            index = stoi.get(token)
            if index is None:
                raise RuntimeError(f"Token {token} not found and default index is not set")
            ids.append(index)
        return ids
