"""torchtext.datasets, read from local files (ember does not download datasets): each
function takes `root` (default ~/.torchtext/cache) and `split`, and returns an iterable
dataset per split. See _utils.py for the folder layout."""
from .language_modeling import PennTreebank, WikiText2, WikiText103
from .text_classification import AG_NEWS, IMDB

DATASETS = {
    "AG_NEWS": AG_NEWS,
    "IMDB": IMDB,
    "PennTreebank": PennTreebank,
    "WikiText103": WikiText103,
    "WikiText2": WikiText2,
}

# torchtext datasets ember has no reader for (yet)
_NOT_PROVIDED = ("AmazonReviewFull", "AmazonReviewPolarity", "CC100", "CNNDM", "CoLA",
                 "CoNLL2000Chunking", "DBpedia", "EnWik9", "IWSLT2016", "IWSLT2017", "MNLI",
                 "MRPC", "Multi30k", "QNLI", "QQP", "RTE", "SogouNews", "SQuAD1", "SQuAD2",
                 "SST2", "STSB", "UDPOS", "WNLI", "YahooAnswers", "YelpReviewFull",
                 "YelpReviewPolarity")

__all__ = sorted(DATASETS)


def __getattr__(name):
    if name in _NOT_PROVIDED:
        raise NotImplementedError(
            f"ember.text.datasets has no {name} reader; the datasets read from local files "
            f"are {', '.join(sorted(DATASETS))}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
