"""Iterator helpers of torchtext.data.functional: regex replacement and splitting over line
iterators, numericalizing token streams, turning an iterable dataset into a map-style one,
and SentencePiece model training / loading (the `sentencepiece` package, optional)."""
import io
import os
import re

from ...utils.data import Dataset

__all__ = ["generate_sp_model", "load_sp_model", "sentencepiece_numericalizer",
           "sentencepiece_tokenizer", "custom_replace", "simple_space_split",
           "numericalize_tokens_from_iterator", "filter_wikipedia_xml", "to_map_style_dataset"]


def _sentencepiece():
    try:
        import sentencepiece
    except ImportError as e:
        raise ImportError("SentencePiece models need the 'sentencepiece' package, which is not "
                          "installed: pip install sentencepiece") from e
    return sentencepiece


def generate_sp_model(filename, vocab_size=20000, model_type="unigram", model_prefix="m_user"):
    """Train a SentencePiece model on the text file `filename`; writes
    `<model_prefix>.model` and `<model_prefix>.vocab` in the working directory."""
    spm = _sentencepiece()
    spm.SentencePieceTrainer.train(f"--input={filename} --model_prefix={model_prefix} "
                                   f"--vocab_size={vocab_size} --model_type={model_type}")


def load_sp_model(spm):
    """A SentencePieceProcessor from a model path or a binary file object."""
    sp = _sentencepiece()
    if isinstance(spm, (str, os.PathLike)):
        return sp.SentencePieceProcessor(model_file=os.fspath(spm))
    if isinstance(spm, io.BufferedReader) or hasattr(spm, "read"):
        return sp.SentencePieceProcessor(model_proto=spm.read())
    raise TypeError(f"Unsupported type for spm argument: {type(spm).__name__}. "
                    "Supported types are: str, io.BufferedReader")


def sentencepiece_numericalizer(sp_model):
    """A function mapping an iterator of lines to an iterator of id lists."""
    def _internal_func(txt_iter):
        for line in txt_iter:
            yield sp_model.EncodeAsIds(line)
    return _internal_func


def sentencepiece_tokenizer(sp_model):
    """A function mapping an iterator of lines to an iterator of piece lists."""
    def _internal_func(txt_iter):
        for line in txt_iter:
            yield sp_model.EncodeAsPieces(line)
    return _internal_func


def custom_replace(replace_pattern):
    """A function applying the (regex, replacement) pairs in order to each line of an
    iterator.

    >>> f = custom_replace([(r'S', 's'), (r'\\s+', ' ')])
    >>> list(f(['test cuStom   replace', 'with   uSer instruction']))
    ['test custom replace', 'with user instruction']
    """
    rules = [(re.compile(p), r) for p, r in replace_pattern]

    def _internal_func(txt_iter):
        for line in txt_iter:
            for pattern, replacement in rules:
                line = pattern.sub(replacement, line)
            yield line
    return _internal_func


def simple_space_split(iterator):
    """Split each line of an iterator on whitespace."""
    for line in iterator:
        yield line.split()


def numericalize_tokens_from_iterator(vocab, iterator, removed_tokens=None):
    """For each token list of `iterator`, an iterator over the ids `vocab` gives the tokens
    (dropping those in `removed_tokens`)."""
    for tokens in iterator:
        if removed_tokens is None:
            yield iter(vocab[token] for token in tokens)
        else:
            yield iter(vocab[token] for token in tokens if token not in removed_tokens)


def filter_wikipedia_xml(text_iterator):
    """torchtext's enwik9 cleaner (fastText's wikifil.pl rules) is not provided."""
    raise NotImplementedError("ember.text.data.functional.filter_wikipedia_xml is not "
                              "implemented (it serves the EnWik9 dataset, which ember.text "
                              "does not read either)")


class _MapStyleDataset(Dataset):
    """Every item of an iterable, held in a list."""

    def __init__(self, iter_data):
        self._data = list(iter_data)

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


def to_map_style_dataset(iter_data):
    """Read an iterable dataset (e.g. `AG_NEWS(split='train')`) into a map-style dataset,
    so it can be shuffled, split with `random_split` and measured with `len`."""
    return _MapStyleDataset(iter_data)
