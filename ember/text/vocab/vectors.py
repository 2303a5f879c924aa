"""Pre-trained word vectors read from local text files (GloVe / fastText / word2vec text
format: one `word v1 v2 ... vd` line per word), as torchtext.vocab.Vectors.

The parsed table is cached next to the file as `<name>.pt` (`ember.save`), so a second load
is fast. ember does not download: GloVe / FastText / CharNGram look for their file (or the
published archive, which is extracted) in `cache`, and name the URL to fetch when missing.
"""
import gzip
import logging
import os
from functools import partial

import numpy as np

import ember

from ..utils import extract_archive

__all__ = ["Vectors", "GloVe", "FastText", "CharNGram", "pretrained_aliases"]

logger = logging.getLogger(__name__)


def _zero_(t):
    return t.zero_()


def _parse_vectors(path, max_vectors):
    """(itos, float32 array of shape (n, dim), dim) from a word-vector text file. Tokens are
    split on ' ' only (not all whitespace), so non-breaking spaces inside words survive; a
    leading word2vec header `count dim` is skipped."""
    opener = gzip.open if path.endswith(".gz") else open
    itos, rows, dim = [], [], None
    with opener(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            entries = line.rstrip().split(b" ")
            word, values = entries[0], entries[1:]
            if len(values) <= 1:
                logger.warning("Skipping token %r with 1-dimensional vector %r; likely a header",
                               word, values)
                continue
            if dim is None:
                dim = len(values)
            elif len(values) != dim:
                raise RuntimeError(
                    f"Vector for token {word!r} has {len(values)} dimensions, but previously "
                    f"read vectors have {dim} dimensions. All vectors must have the same number "
                    f"of dimensions. ({path}, line {lineno})")
            try:
                word = word.decode("utf-8")
            except UnicodeDecodeError:
                logger.info("Skipping non-UTF8 token %r", word)
                continue
            try:
                rows.append(np.array(values, dtype=np.float32))
            except ValueError as e:
                raise RuntimeError(f"Bad vector for token {word!r} in {path}, line {lineno}: "
                                   f"{e}") from None
            itos.append(word)
            if max_vectors and len(itos) == max_vectors:
                break
    if dim is None:
        raise RuntimeError(f"no vectors found in {path}")
    return itos, np.stack(rows), dim


class Vectors:
    """Word vectors from the text file `name` (a path, or a file name inside `cache`).

    Attributes: itos (list of words), stoi (word -> row), vectors (float32 Tensor n x dim),
    dim. `vectors[word]` is the word's row, or `unk_init(zeros(dim))` for an unknown word.
    max_vectors keeps only the first (usually most frequent) words.
    """

    def __init__(self, name, cache=None, url=None, unk_init=None, max_vectors=None):
        cache = ".vector_cache" if cache is None else os.fspath(cache)
        self.itos = None
        self.stoi = None
        self.vectors = None
        self.dim = None
        self.unk_init = _zero_ if unk_init is None else unk_init
        self.cache(os.fspath(name), cache, url=url, max_vectors=max_vectors)

    def __getitem__(self, token):
        if token in self.stoi:
            return self.vectors[self.stoi[token]]
        return self.unk_init(ember.zeros(self.dim))

    def __len__(self):
        return len(self.vectors)

    def cache(self, name, cache, url=None, max_vectors=None):
        suffix = f"_{max_vectors}.pt" if max_vectors else ".pt"
        if os.path.isfile(name):
            path = name
            path_pt = os.path.join(cache, os.path.basename(name)) + suffix
        else:
            path = os.path.join(cache, name)
            path_pt = path + suffix
        if os.path.isfile(path_pt):
            self.itos, self.stoi, self.vectors, self.dim = ember.load(path_pt, weights_only=True)
            return
        if not os.path.isfile(path) and url:
            archive = os.path.join(cache, os.path.basename(url))
            if os.path.isfile(archive) and archive != path:
                extract_archive(archive, cache)
            if not os.path.isfile(path):
                raise RuntimeError(
                    f"no vectors found at {path}: ember does not download; fetch {url} into "
                    f"{cache} (the archive is extracted on first use)")
        if not os.path.isfile(path):
            raise RuntimeError(f"no vectors found at {path}")
        logger.info("Loading vectors from %s", path)
        itos, array, dim = _parse_vectors(path, max_vectors)
        self.itos = itos
        self.stoi = {word: i for i, word in enumerate(itos)}
        self.vectors = ember.from_numpy(array)
        self.dim = dim
        os.makedirs(cache, exist_ok=True)
        ember.save((self.itos, self.stoi, self.vectors, self.dim), path_pt)

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """The vectors of a token (1-D) or a list of tokens (2-D). With lower_case_backup an
        unknown token is looked up again lower-cased."""
        single = not isinstance(tokens, list)
        if single:
            tokens = [tokens]
        if lower_case_backup:
            vecs = [self[t] if t in self.stoi else self[t.lower()] for t in tokens]
        else:
            vecs = [self[t] for t in tokens]
        out = ember.stack(vecs)
        return out[0] if single else out


class GloVe(Vectors):
    """GloVe vectors `glove.<name>.<dim>d.txt` (Stanford NLP)."""
    url = {
        "42B": "http://nlp.stanford.edu/data/glove.42B.300d.zip",
        "840B": "http://nlp.stanford.edu/data/glove.840B.300d.zip",
        "twitter.27B": "http://nlp.stanford.edu/data/glove.twitter.27B.zip",
        "6B": "http://nlp.stanford.edu/data/glove.6B.zip",
    }

    def __init__(self, name="840B", dim=300, **kwargs):
        url = self.url[name]
        super().__init__(f"glove.{name}.{dim}d.txt", url=url, **kwargs)


class FastText(Vectors):
    """fastText Wikipedia vectors `wiki.<language>.vec`."""
    url_base = "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.{}.vec"

    def __init__(self, language="en", **kwargs):
        url = self.url_base.format(language)
        super().__init__(os.path.basename(url), url=url, **kwargs)


class CharNGram(Vectors):
    """Character n-gram vectors (Hashimoto et al.); a word's vector is the mean of its known
    2-, 3- and 4-gram vectors (with #BEGIN# / #END# markers)."""
    name = "charNgram.txt"
    url = ("http://www.logos.t.u-tokyo.ac.jp/~hassy/publications/arxiv2016jmt/"
           "jmt_pre-trained_embeddings.tar.gz")

    def __init__(self, **kwargs):
        super().__init__(self.name, url=self.url, **kwargs)

    def __getitem__(self, token):
        vector = ember.zeros(1, self.dim)
        if token == "<unk>":
            return self.unk_init(vector)
        chars = ["#BEGIN#"] + list(token) + ["#END#"]
        found = 0
        for n in (2, 3, 4):
            for i in range(len(chars) - n + 1):
                key = f"{n}gram-{''.join(chars[i:i + n])}"
                if key in self.stoi:
                    vector += self.vectors[self.stoi[key]]
                    found += 1
        return vector / found if found else self.unk_init(vector)


pretrained_aliases = {
    "charngram.100d": partial(CharNGram),
    "fasttext.en.300d": partial(FastText, language="en"),
    "fasttext.simple.300d": partial(FastText, language="simple"),
    "glove.42B.300d": partial(GloVe, name="42B", dim="300"),
    "glove.840B.300d": partial(GloVe, name="840B", dim="300"),
    "glove.twitter.27B.25d": partial(GloVe, name="twitter.27B", dim="25"),
    "glove.twitter.27B.50d": partial(GloVe, name="twitter.27B", dim="50"),
    "glove.twitter.27B.100d": partial(GloVe, name="twitter.27B", dim="100"),
    "glove.twitter.27B.200d": partial(GloVe, name="twitter.27B", dim="200"),
    "glove.6B.50d": partial(GloVe, name="6B", dim="50"),
    "glove.6B.100d": partial(GloVe, name="6B", dim="100"),
    "glove.6B.200d": partial(GloVe, name="6B", dim="200"),
    "glove.6B.300d": partial(GloVe, name="6B", dim="300"),
}
