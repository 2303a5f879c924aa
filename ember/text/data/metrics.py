"""BLEU (Papineni et al., 2002) over tokenized corpora, as torchtext.data.metrics.bleu_score."""
import math
from collections import Counter

import numpy as np

from .utils import ngrams_iterator

__all__ = ["bleu_score"]


def _ngram_counts(tokens, max_n):
    """Counter of the 1..max_n-grams of `tokens`, each n-gram a tuple."""
    assert max_n > 0
    return Counter(tuple(g.split(" ")) for g in ngrams_iterator(list(tokens), max_n))


def bleu_score(candidate_corpus, references_corpus, max_n=4, weights=[0.25] * 4):
    """Corpus BLEU of candidate translations against one or more references each.

    candidate_corpus: an iterable of token lists; references_corpus: for each candidate a
    list of reference token lists. Clipped n-gram precisions for n = 1..max_n are combined
    with `weights` (a geometric mean by default) and multiplied by the brevity penalty,
    which uses, per sentence, the reference length closest to the candidate's. The counts
    and the mean are float32, as torchtext computes them with float tensors.

    >>> bleu_score([['My', 'full', 'pytorch', 'test'], ['Another', 'Sentence']],
    ...            [[['My', 'full', 'pytorch', 'test'], ['Completely', 'Different']],
    ...             [['No', 'Match']]])
    0.8408964276313782
    """
    assert max_n == len(weights), 'Length of the "weights" list has be equal to max_n'
    assert len(candidate_corpus) == len(references_corpus), \
        "The length of candidate and reference corpus should be the same"
    clipped = np.zeros(max_n, np.float32)
    total = np.zeros(max_n, np.float32)
    candidate_len = refs_len = 0.0
    for candidate, refs in zip(candidate_corpus, references_corpus):
        candidate_len += len(candidate)
        refs_len += min((float(len(r)) for r in refs), key=lambda n: abs(len(candidate) - n))
        ref_counts = Counter()
        for ref in refs:
            ref_counts |= _ngram_counts(ref, max_n)          # max count over references
        cand_counts = _ngram_counts(candidate, max_n)
        for ngram, count in (cand_counts & ref_counts).items():
            clipped[len(ngram) - 1] += count
        for ngram, count in cand_counts.items():
            total[len(ngram) - 1] += count
    if clipped.min() == 0:
        return 0.0
    # float32 steps like torchtext's tensors; log and exp are taken in float64 and rounded,
    # which is what a correctly rounded float32 log/exp (PyTorch's) gives
    precision = clipped / total
    log_precision = np.log(precision.astype(np.float64)).astype(np.float32)
    log_p = np.asarray(weights, np.float32) * log_precision
    acc = np.float32(0)
    for v in log_p:          # summed left to right in float32, as Python's sum() over tensors
        acc = np.float32(acc + v)
    score = float(np.float32(np.exp(np.float64(acc))))
    brevity = math.exp(min(1 - refs_len / candidate_len, 0))
    return brevity * score
