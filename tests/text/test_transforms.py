"""ember.text.transforms: the generic pipeline modules (tokenizer modules are tested in
test_bpe.py and test_wordpiece.py)."""
import pytest

import ember
from ember.text import transforms as T
from ember.text.vocab import build_vocab_from_iterator


@pytest.fixture
def vocab():
    v = build_vocab_from_iterator([["hello", "world", "hello"], ["hi"]], specials=["<pad>", "<unk>"])
    v.set_default_index(v["<unk>"])
    return v            # ['<pad>', '<unk>', 'hello', 'hi', 'world']


def test_vocab_transform(vocab):
    vt = T.VocabTransform(vocab)
    assert isinstance(vt, ember.nn.Module)
    assert vt(["hello", "zzz"]) == [2, 1]
    assert vt([["hello", "world"], ["hi"]]) == [[2, 4], [3]]
    with pytest.raises(TypeError, match="Input type not supported"):
        vt("hello")
    with pytest.raises(AssertionError):
        T.VocabTransform({"hello": 0})


def test_sequential_pipeline_to_padded_tensor(vocab):
    pipeline = T.Sequential(T.VocabTransform(vocab), T.Truncate(2), T.AddToken(9, begin=True),
                            T.AddToken(8, begin=False), T.ToTensor(padding_value=0))
    out = pipeline([["hello", "world", "hi"], ["hi"]])
    assert out.dtype == ember.int64
    assert out.tolist() == [[9, 2, 4, 8], [9, 3, 8, 0]]
    assert len(pipeline) == 5 and isinstance(pipeline[0], T.VocabTransform)
    assert T.ToTensor(dtype=ember.float32)([1, 2]).dtype == ember.float32


def test_pad_transform():
    pad = T.PadTransform(max_length=4, pad_value=-1)
    assert pad(ember.tensor([1, 2])).tolist() == [1, 2, -1, -1]
    assert pad(ember.tensor([[1], [2]])).tolist() == [[1, -1, -1, -1], [2, -1, -1, -1]]
    assert pad(ember.tensor([1, 2, 3, 4, 5])).tolist() == [1, 2, 3, 4, 5]   # longer: unchanged


def test_str_to_int_and_label_to_index(tmp_path):
    assert T.StrToIntTransform()(["1", "2"]) == [1, 2]
    lti = T.LabelToIndex(label_names=["pos", "neg"])
    assert lti("neg") == 1 and lti(["pos", "neg"]) == [0, 1] and lti.label_names == ["pos", "neg"]
    assert T.LabelToIndex(label_names=["pos", "neg"], sort_names=True)("neg") == 0
    path = tmp_path / "labels.txt"
    path.write_text("b\n\na\n", encoding="utf-8")
    assert T.LabelToIndex(label_path=str(path)).label_names == ["b", "a"]
    with pytest.raises(RuntimeError, match="Token zz not found"):
        lti("zz")
    with pytest.raises(AssertionError, match="required"):
        T.LabelToIndex()
    with pytest.raises(AssertionError, match="mutually exclusive"):
        T.LabelToIndex(label_names=["a"], label_path=str(path))


def test_regex_tokenizer():
    tok = T.RegexTokenizer([(r"[,._+ ]+", r" ")])
    assert tok("Basic.Regex,Tokenization_for+a..Line,,of  Text") == \
        ["Basic", "Regex", "Tokenization", "for", "a", "Line", "of", "Text"]
    tok = T.RegexTokenizer([(r"\'", " '  "), (r"\"", ""), (r"(\d+)", r"<\1>")])
    assert tok("It's \"42\"") == ["It", "'", "s", "<42>"]


def test_mask_transform_invariants():
    ember.manual_seed(0)
    tokens = ember.tensor([[6, 0, 1, 2, 3, 0, 1, 2, 3, 0], [6, 0, 1, 4, 4, 4, 4, 4, 4, 4]])
    mt = T.MaskTransform(vocab_len=7, mask_idx=5, bos_idx=6, pad_idx=4, mask_prob=0.5)
    masked, target, mask = mt(tokens)
    assert masked.shape == tokens.shape and mask.shape == tokens.shape
    assert mask.sum().item() == target.numel() >= 1
    assert (mask[:, 0] == 0).all()                    # BOS is not masked
    assert (mask[tokens == 4] == 0).all()             # padding is not masked
    assert (masked[mask == 0] == tokens[mask == 0]).all()
    assert target.tolist() == tokens[mask.bool()].tolist()
    assert masked.max().item() < 7


def test_sentencepiece_tokenizer(tmp_path, monkeypatch):
    spm = pytest.importorskip("sentencepiece")
    from ember.text.data.functional import generate_sp_model, sentencepiece_numericalizer
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["hello world", "attention is all you need", "hello again"] * 50),
                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    generate_sp_model(str(corpus), vocab_size=20, model_prefix="m")
    tok = T.SentencePieceTokenizer(str(tmp_path / "m.model"))
    ref = spm.SentencePieceProcessor(model_file=str(tmp_path / "m.model"))
    assert tok("hello world") == ref.EncodeAsPieces("hello world")
    assert tok(["hello", "need"]) == [ref.EncodeAsPieces("hello"), ref.EncodeAsPieces("need")]
    assert list(sentencepiece_numericalizer(ref)(["hello"])) == [ref.EncodeAsIds("hello")]


def test_sentencepiece_missing_package_is_a_clear_error(monkeypatch, tmp_path):
    import sys
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    with pytest.raises(ImportError, match="pip install sentencepiece"):
        T.SentencePieceTokenizer(__file__)
