"""Text-classification corpora: AG_NEWS (4 news topics, CSV) and IMDB (movie-review
sentiment, one file per review). Items are (label, text) with 1-based labels, as in
torchtext."""
import csv
import os

from .. import _CACHE_DIR
from ._utils import TextDataPipe, find_file, split_datasets

__all__ = ["AG_NEWS", "IMDB"]

AG_NEWS_URL = {
    "train": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
    "test": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv",
}
IMDB_URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_LABELS = {"neg": 1, "pos": 2}

NUM_LINES = {"AG_NEWS": {"train": 120000, "test": 7600}, "IMDB": {"train": 25000, "test": 25000}}


def _read_ag_news(path):
    with open(path, encoding="utf-8", newline="") as f:
        for lineno, row in enumerate(csv.reader(f), 1):
            try:
                label = int(row[0])
            except (IndexError, ValueError):
                raise ValueError(f"{path}, line {lineno}: expected 'label,title,description' "
                                 f"with an integer label, got {row!r}") from None
            yield label, " ".join(row[1:])


def AG_NEWS(root=_CACHE_DIR, split=("train", "test")):
    """AG News topic classification, from root/AG_NEWS/<split>.csv. Items are
    (label in 1..4: World, Sports, Business, Sci/Tech; title and description joined by a
    space)."""
    def make(dataset_root, s):
        path = find_file("AG_NEWS", dataset_root, f"{s}.csv", AG_NEWS_URL[s])
        return TextDataPipe(f"AG_NEWS({s!r}) from {path}", _read_ag_news, path)
    return split_datasets("AG_NEWS", root, split, ("train", "test"), make)


def _read_imdb(folder):
    for name, label in IMDB_LABELS.items():
        sub = os.path.join(folder, name)
        for fname in sorted(os.listdir(sub)):
            if fname.endswith(".txt"):
                with open(os.path.join(sub, fname), encoding="utf-8") as f:
                    yield label, f.read()


def IMDB(root=_CACHE_DIR, split=("train", "test")):
    """IMDB movie-review sentiment, from root/IMDB/aclImdb/<split>/{neg,pos}/*.txt (or the
    aclImdb_v1.tar.gz archive there, extracted on first use). Items are (1 for negative,
    2 for positive, review text); negative reviews come first, files in name order."""
    def make(dataset_root, s):
        folder = find_file("IMDB", dataset_root, os.path.join("aclImdb", s), IMDB_URL)
        for name in IMDB_LABELS:
            if not os.path.isdir(os.path.join(folder, name)):
                raise FileNotFoundError(f"IMDB: {os.path.join(folder, name)} is missing (the "
                                        f"{s} split needs neg/ and pos/ folders)")
        return TextDataPipe(f"IMDB({s!r}) from {folder}", _read_imdb, folder)
    return split_datasets("IMDB", root, split, ("train", "test"), make)
