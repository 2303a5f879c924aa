"""ember.text.data.functional: line-iterator helpers, to_map_style_dataset, sentencepiece
loading."""
import pytest

from ember.text.data import functional as DF
from ember.text.vocab import build_vocab_from_iterator
from ember.utils.data import DataLoader, IterableDataset


def test_custom_replace_and_simple_space_split():
    f = DF.custom_replace([(r"S", "s"), (r"\s+", " ")])
    assert list(f(["test cuStom   replace", "with   uSer instruction"])) == \
        ["test custom replace", "with user instruction"]
    assert list(DF.simple_space_split(["a b  c", ""])) == [["a", "b", "c"], []]


def test_numericalize_tokens_from_iterator():
    v = build_vocab_from_iterator([["a", "b", "b"]])         # b:0, a:1
    out = [list(ids) for ids in DF.numericalize_tokens_from_iterator(v, [["a", "b"], ["b"]])]
    assert out == [[1, 0], [0]]
    out = [list(ids) for ids in DF.numericalize_tokens_from_iterator(v, [["a", "b", "a"]],
                                                                     removed_tokens=["a"])]
    assert out == [[0]]


class _Stream(IterableDataset):
    def __iter__(self):
        return iter([(1, "x"), (2, "y"), (1, "z")])


def test_to_map_style_dataset():
    ds = DF.to_map_style_dataset(_Stream())
    assert len(ds) == 3 and ds[1] == (2, "y") and ds[-1] == (1, "z")
    batches = list(DataLoader(ds, batch_size=2, collate_fn=list))
    assert batches == [[(1, "x"), (2, "y")], [(1, "z")]]


def test_load_sp_model_from_path_and_file_object(tmp_path, monkeypatch):
    spm = pytest.importorskip("sentencepiece")
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(["the cat sat on the mat", "a dog sat too"] * 40), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    DF.generate_sp_model(str(corpus), vocab_size=20, model_type="bpe", model_prefix="sp")
    by_path = DF.load_sp_model(str(tmp_path / "sp.model"))
    with open(tmp_path / "sp.model", "rb") as f:
        by_file = DF.load_sp_model(f)
    assert isinstance(by_path, spm.SentencePieceProcessor)
    assert by_path.EncodeAsIds("the cat") == by_file.EncodeAsIds("the cat")
    assert list(DF.sentencepiece_tokenizer(by_path)(["the cat"])) == [by_path.EncodeAsPieces("the cat")]
    with pytest.raises(TypeError, match="Unsupported type for spm argument"):
        DF.load_sp_model(3)


def test_filter_wikipedia_xml_is_not_provided():
    with pytest.raises(NotImplementedError, match="filter_wikipedia_xml is not implemented"):
        DF.filter_wikipedia_xml(iter(["<page>"]))
