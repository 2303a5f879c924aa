"""ember.text.vocab.Vectors / GloVe / CharNGram read from local word-vector files."""
import gzip
import os
import zipfile

import numpy as np
import pytest

import ember
from ember.text.vocab import CharNGram, GloVe, Vectors, build_vocab_from_iterator

TEXT = "the 0.1 0.2 0.3\ncat -1 2.5 0\nnon\u00a0breaking 1 1 1\n"


def test_vectors_from_a_text_file_and_cache(tmp_path):
    path = tmp_path / "vecs.txt"
    path.write_text("3 3\n" + TEXT, encoding="utf-8")      # a word2vec header is skipped
    cache = tmp_path / "cache"
    v = Vectors(str(path), cache=str(cache))
    assert v.itos == ["the", "cat", "non\u00a0breaking"] and v.dim == 3 and len(v) == 3
    assert v.vectors.dtype == ember.float32
    np.testing.assert_allclose(v["cat"].numpy(), [-1, 2.5, 0])
    assert v["unknown"].tolist() == [0.0, 0.0, 0.0]
    assert os.path.isfile(cache / "vecs.txt.pt")
    again = Vectors(str(path), cache=str(cache))          # from the .pt cache
    assert again.itos == v.itos and again.vectors.tolist() == v.vectors.tolist()
    ones = Vectors(str(path), cache=str(cache), unk_init=lambda t: t.fill_(1.0), max_vectors=2)
    assert ones.itos == ["the", "cat"] and ones["zzz"].tolist() == [1.0, 1.0, 1.0]
    stacked = v.get_vecs_by_tokens(["The", "cat"], lower_case_backup=True)
    assert stacked.shape == (2, 3)
    np.testing.assert_allclose(stacked[0].numpy(), [0.1, 0.2, 0.3], rtol=1e-6)
    assert v.get_vecs_by_tokens("cat").shape == (3,)


def test_vectors_with_vocab_build_embedding_matrix(tmp_path):
    path = tmp_path / "v.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(TEXT)
    v = Vectors(str(path), cache=str(tmp_path))
    vocab = build_vocab_from_iterator([["cat", "dog"]], specials=["<unk>"])
    emb = v.get_vecs_by_tokens(vocab.get_itos())
    layer = ember.nn.Embedding.from_pretrained(emb)
    assert layer(ember.tensor([vocab["cat"]])).tolist() == [[-1.0, 2.5, 0.0]]


def test_vectors_bad_files(tmp_path):
    with pytest.raises(RuntimeError, match="no vectors found at"):
        Vectors("missing.txt", cache=str(tmp_path))
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2\nb 1 2 3\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="has 3 dimensions, but previously read vectors have 2"):
        Vectors(str(bad), cache=str(tmp_path))
    bad.write_text("a 1 x\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="Bad vector for token 'a'"):
        Vectors(str(bad), cache=str(tmp_path))


def test_glove_reads_file_or_archive_and_names_url_when_missing(tmp_path):
    with pytest.raises(RuntimeError, match="http://nlp.stanford.edu/data/glove.6B.zip"):
        GloVe(name="6B", dim=50, cache=str(tmp_path))
    with zipfile.ZipFile(tmp_path / "glove.6B.zip", "w") as zf:
        zf.writestr("glove.6B.50d.txt", TEXT)
    g = GloVe(name="6B", dim=50, cache=str(tmp_path))
    assert g.itos[:2] == ["the", "cat"]


def test_charngram_mean_of_known_ngrams(tmp_path):
    (tmp_path / "charNgram.txt").write_text(
        "2gram-#BEGIN#a 1 0\n2gram-ab 3 0\n3gram-ab#END# 0 2\n", encoding="utf-8")
    c = CharNGram(cache=str(tmp_path))
    np.testing.assert_allclose(c["ab"].numpy(), [[4 / 3, 2 / 3]], rtol=1e-6)
    assert c["zz"].tolist() == [[0.0, 0.0]] and c["<unk>"].tolist() == [[0.0, 0.0]]
