"""Tokenizers chosen by name (`get_tokenizer`) and n-gram expansion, as in torchtext.data.utils.

The built-in tokenizers are plain module-level functions so they pickle (DataLoader worker
processes, `ember.save`). Tokenizers from other libraries (spaCy, sacremoses, NLTK, revtok)
are imported only when asked for, with an ImportError naming the package when missing.
"""
import re
import warnings
from functools import partial

__all__ = ["get_tokenizer", "ngrams_iterator", "interleave_keys"]


def _split_tokenizer(x):
    """`get_tokenizer(None)`: split on runs of whitespace."""
    return x.split()


def _character_tokenizer(x):
    """`get_tokenizer('character')` (an ember addition): one token per character, spaces
    included, as a character-level language model wants them."""
    return list(x)


# basic_english: torchtext's substitutions, applied in this order to the lower-cased line,
# then the result is split on whitespace. A quote becomes its own token, a double quote is
# dropped, '.', ',', '(', ')', '!', '?' become tokens, ';' and ':' and HTML line breaks
# become spaces.
_BASIC_ENGLISH_RULES = [(re.compile(pattern), replacement) for pattern, replacement in (
    (r"\'", " '  "),
    (r"\"", ""),
    (r"\.", " . "),
    (r"<br \/>", " "),
    (r",", " , "),
    (r"\(", " ( "),
    (r"\)", " ) "),
    (r"\!", " ! "),
    (r"\?", " ? "),
    (r"\;", " "),
    (r"\:", " "),
    (r"\s+", " "),
)]


def _basic_english_normalize(line):
    """Lower-case `line`, put spaces around punctuation, split on whitespace."""
    line = line.lower()
    for pattern, replacement in _BASIC_ENGLISH_RULES:
        line = pattern.sub(replacement, line)
    return line.split()


def _spacy_tokenize(x, spacy):
    return [tok.text for tok in spacy.tokenizer(x)]


def _need(package, feature, hint=None):
    """Import `package` or raise an ImportError that says what needs it and how to get it."""
    import importlib
    try:
        return importlib.import_module(package)
    except ImportError as e:
        msg = f"{feature} needs the {package.split('.')[0]!r} package, which is not installed"
        raise ImportError(msg + (f": {hint}" if hint else "")) from e


# spaCy 3 dropped the short model names ('en'); torchtext maps them to the full names.
_SPACY_SHORTCUTS = {"en": "en_core_web_sm", "de": "de_core_news_sm", "fr": "fr_core_news_sm",
                    "es": "es_core_news_sm", "it": "it_core_news_sm", "nl": "nl_core_news_sm",
                    "pt": "pt_core_news_sm", "el": "el_core_news_sm", "xx": "xx_ent_wiki_sm"}


def _load_spacy(language):
    spacy = _need("spacy", "get_tokenizer('spacy')",
                  "pip install spacy, then python -m spacy download en_core_web_sm")
    try:
        return spacy.load(language)
    except OSError:
        if language not in _SPACY_SHORTCUTS:
            raise
        full = _SPACY_SHORTCUTS[language]
        warnings.warn(f'Spacy model "{language}" could not be loaded, trying "{full}" instead')
        return spacy.load(full)


def get_tokenizer(tokenizer, language="en"):
    """A function that splits a string into a list of tokens.

    tokenizer: None (split on whitespace), "basic_english" (lower-case and split off
    punctuation), "character" (one token per character; an ember addition), a callable
    (returned unchanged), or the name of a library tokenizer: "spacy", "moses"
    (sacremoses), "toktok" (NLTK), "revtok", "subword" (revtok, caps-aware).

    >>> get_tokenizer("basic_english")("You can now install TorchText using pip!")
    ['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
    """
    if tokenizer is None:
        return _split_tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError("Basic normalization is only available for English(en)")
        return _basic_english_normalize
    if tokenizer == "character":
        return _character_tokenizer
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "spacy":
        return partial(_spacy_tokenize, spacy=_load_spacy(language))
    if tokenizer == "moses":
        sacremoses = _need("sacremoses", "get_tokenizer('moses')", "pip install sacremoses")
        return sacremoses.MosesTokenizer().tokenize
    if tokenizer == "toktok":
        toktok = _need("nltk.tokenize.toktok", "get_tokenizer('toktok')", "pip install nltk")
        return toktok.ToktokTokenizer().tokenize
    if tokenizer == "revtok":
        return _need("revtok", "get_tokenizer('revtok')", "pip install revtok").tokenize
    if tokenizer == "subword":
        revtok = _need("revtok", "get_tokenizer('subword')", "pip install revtok")
        return partial(revtok.tokenize, decap=True)
    raise ValueError(
        f"Requested tokenizer {tokenizer}, valid choices are a callable that takes a single "
        "string as input, None for str.split, \"basic_english\", \"character\", \"revtok\" "
        "for the revtok reversible tokenizer, \"subword\" for the revtok caps-aware "
        "tokenizer, \"spacy\" for the SpaCy English tokenizer, \"toktok\" for NLTK's toktok, "
        "or \"moses\" for the NLTK port of the Moses tokenization script.")


def ngrams_iterator(token_list, ngrams):
    """Yield the tokens, then every n-gram for n = 2..ngrams joined by single spaces.

    >>> list(ngrams_iterator(['here', 'we', 'are'], 2))
    ['here', 'we', 'are', 'here we', 'we are']
    """
    yield from token_list
    for n in range(2, ngrams + 1):
        for i in range(len(token_list) - n + 1):
            yield " ".join(token_list[i:i + n])


def interleave_keys(a, b):
    """Interleave the bits of two 16-bit sort keys into one key, so that examples similar in
    both keys sort near each other (bucketing of sentence pairs)."""
    bits = "".join(x + y for x, y in zip(format(a, "016b"), format(b, "016b")))
    return int(bits, base=2)
