"""BERT WordPiece: transforms.BERTTokenizer (engine in ember/text/_wordpiece.py). Expected
tokens are worked out by hand from a small vocab.txt; when the `tokenizers` package is
installed, output is also compared with its BertWordPieceTokenizer."""
import random

import pytest

from ember.text.transforms import BERTTokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "un", "##aff", "##able", "runn", "##ing",
         ",", "!", "hello", "world", "cafe", "café", "東", "京", "Hello", "a", "##b", "##c",
         "[", "]", "cls"]


def _vocab_file(tmp_path, tokens=VOCAB, name="vocab.txt"):
    path = tmp_path / name
    path.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return str(path)


def test_wordpiece_tokens_and_ids(tmp_path):
    path = _vocab_file(tmp_path)
    tok = BERTTokenizer(path, return_tokens=True)
    assert tok("UNaffable running, HELLO world!") == \
        ["un", "##aff", "##able", "runn", "##ing", ",", "hello", "world", "!"]
    ids = BERTTokenizer(path)
    assert ids("UNaffable running, HELLO world!") == ["5", "6", "7", "8", "9", "10", "12", "13", "11"]
    # greedy longest match first: 'abc' -> a ##b ##c; no cut at some position -> [UNK]
    assert tok("abc abx xyz") == ["a", "##b", "##c", "[UNK]", "[UNK]"]
    assert tok("  \t ") == [] and tok("") == []
    assert tok(["the", "東京"]) == [["the"], ["東", "京"]]      # batch; CJK split per character
    with pytest.raises(TypeError, match="Input type not supported"):
        tok(1)


def test_accents_case_and_never_split(tmp_path):
    path = _vocab_file(tmp_path)
    assert BERTTokenizer(path, return_tokens=True)("Café") == ["cafe"]   # lower + strip accents
    assert BERTTokenizer(path, strip_accents=False, return_tokens=True)("Café") == ["café"]
    cased = BERTTokenizer(path, do_lower_case=False, return_tokens=True)
    assert cased("Hello café") == ["Hello", "café"]                     # cased keeps accents
    assert BERTTokenizer(path, do_lower_case=False, strip_accents=True,
                         return_tokens=True)("café") == ["cafe"]
    # never_split: kept whole (no lower-casing, no split at punctuation)
    plain = BERTTokenizer(path, return_tokens=True)
    assert plain("[CLS] hello") == ["[", "cls", "]", "hello"]
    keep = BERTTokenizer(path, return_tokens=True, never_split=["[CLS]"])
    assert keep("[CLS] hello [SEP]") == ["[CLS]", "hello", "[", "[UNK]", "]"]


def test_cleaning_controls_and_whitespace(tmp_path):
    tok = BERTTokenizer(_vocab_file(tmp_path), return_tokens=True)
    # NUL, U+FFFD, zero-width space (Cf) are dropped; tabs/newlines/U+3000 separate words
    assert tok("he\x00llo\ufffd wor\u200bld\tthe\u3000the\nhello") == \
        ["hello", "world", "the", "the", "hello"]


def test_max_input_chars_per_word(tmp_path):
    path = _vocab_file(tmp_path, VOCAB + ["a" * 100, "a" * 101])
    tok = BERTTokenizer(path, return_tokens=True)
    assert tok("a" * 100) == ["a" * 100]
    assert tok("a" * 101) == ["[UNK]"]                  # longer than 100 characters
    short = BERTTokenizer(path, return_tokens=True, max_input_chars_per_word=5)
    assert short("hello runnings") == ["hello", "[UNK]"]


def test_vocab_file_reading_rules(tmp_path):
    # an empty line is the token '\n'; a repeated token keeps its first id
    path = tmp_path / "v.txt"
    path.write_text("[UNK]\na\n\nb\na\nc\n", encoding="utf-8")
    ids = BERTTokenizer(str(path))
    assert ids("a b c") == ["1", "3", "4"]
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"[UNK]\r\nhello\r\n")
    assert BERTTokenizer(str(crlf))("hello x") == ["1", "0"]


def test_bad_vocab_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        BERTTokenizer(str(tmp_path / "missing.txt"))
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="has no tokens"):
        BERTTokenizer(str(empty))
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("[UNK]\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not a UTF-8 BERT vocab file"):
        BERTTokenizer(str(latin))
    # no [UNK] in the vocab: an unknown word cannot be encoded (tokens still work)
    no_unk = _vocab_file(tmp_path, ["hello"], "no_unk.txt")
    assert BERTTokenizer(no_unk, return_tokens=True)("zzz") == ["[UNK]"]
    with pytest.raises(RuntimeError, match=r"Token \[UNK\] not found"):
        BERTTokenizer(no_unk)("zzz")


@pytest.mark.parametrize("lower", [True, False])
def test_matches_huggingface_tokenizers(tmp_path, lower):
    tokenizers = pytest.importorskip("tokenizers")
    corpus = ["The quick brown fox jumps over the lazy dog's back, isn't it?",
              "Hello world!  Numbers 12345 and 3.14 and naïve café résumé.",
              "I'll we've they're  multiple   spaces\tand\ttabs\nnewlines\n\nend",
              "Ünïcödé ßtraße 東京 データ ½ ² Ⅻ — “quotes” emoji 😀🎉 $5^2`x`",
              "tokenization tokenizer tokenize tokens token HELLO World"] * 10
    trainer = tokenizers.BertWordPieceTokenizer(lowercase=lower)
    trainer.train_from_iterator(corpus, vocab_size=300, min_frequency=1, show_progress=False)
    trainer.save_model(str(tmp_path), "bert")
    path = str(tmp_path / "bert-vocab.txt")
    ref = tokenizers.BertWordPieceTokenizer(path, lowercase=lower)
    tok = BERTTokenizer(path, do_lower_case=lower, return_tokens=True)
    ids = BERTTokenizer(path, do_lower_case=lower)
    rng = random.Random(1)
    words = " ".join(corpus).split()
    texts = corpus[:5] + ["", "ÀÉÎÕÜ àéîõü", "x\u0000y\ufffdz\u200bw", "a" * 120]
    texts += [" ".join(rng.choice(words) + rng.choice(["", ",", "!", "ü", "東"])
                       for _ in range(rng.randint(1, 8))) for _ in range(100)]
    for text in texts:
        expected = ref.encode(text, add_special_tokens=False)
        assert tok(text) == expected.tokens, text
        assert [int(i) for i in ids(text)] == expected.ids, text
