"""ember.text.data.metrics.bleu_score against torchtext's documented value and hand counts."""
import math

import pytest

from ember.text.data.metrics import bleu_score


def test_bleu_docstring_value():
    candidate = [["My", "full", "pytorch", "test"], ["Another", "Sentence"]]
    refs = [[["My", "full", "pytorch", "test"], ["Completely", "Different"]], [["No", "Match"]]]
    assert bleu_score(candidate, refs) == 0.8408964276313782      # torchtext's docs


def test_bleu_perfect_no_match_and_brevity_penalty():
    sent = ["the", "cat", "sat", "on", "the", "mat"]
    assert bleu_score([sent], [[sent]]) == pytest.approx(1.0)
    assert bleu_score([["a", "b"]], [[["c", "d"]]]) == 0.0
    # unigram/bigram BLEU of a 2-token candidate against a 4-token reference:
    # p1 = 2/2, p2 = 1/1, brevity penalty exp(1 - 4/2)
    got = bleu_score([["a", "b"]], [[["a", "b", "c", "d"]]], max_n=2, weights=[0.5, 0.5])
    assert got == pytest.approx(math.exp(1 - 2), rel=1e-6)


def test_bleu_clips_counts_by_the_best_reference():
    # candidate 'the the the': unigram 'the' counts at most 2 (max over references)
    got = bleu_score([["the", "the", "the"]], [[["the", "cat", "the"], ["the", "x", "y"]]],
                     max_n=1, weights=[1.0])
    assert got == pytest.approx(2 / 3, rel=1e-6)


def test_bleu_bad_arguments():
    with pytest.raises(AssertionError, match="weights"):
        bleu_score([["a"]], [[["a"]]], max_n=2, weights=[1.0])
    with pytest.raises(AssertionError, match="same"):
        bleu_score([["a"]], [])
