"""ember.text.vocab: Vocab, vocab(ordered_dict), build_vocab_from_iterator."""
import pickle
from collections import OrderedDict

import pytest

import ember
from ember.text.vocab import Vocab, build_vocab_from_iterator, vocab


def _sample():
    return build_vocab_from_iterator([["b", "a", "b"], ["c", "a", "d"], ["b"]],
                                     specials=["<unk>", "<pad>"])


def test_build_orders_by_frequency_then_lexicographically():
    v = build_vocab_from_iterator([["b", "a", "b"], ["c", "a", "d"], ["b"]])
    # b:3, a:2, c:1, d:1 -> ties (c, d) in lexicographic order
    assert v.get_itos() == ["b", "a", "c", "d"]
    v = build_vocab_from_iterator([["zeta", "alpha", "mid"]])
    assert v.get_itos() == ["alpha", "mid", "zeta"]


def test_build_specials_first_last_min_freq_and_max_tokens():
    it = [["b", "a", "b"], ["c", "a", "d"], ["b"]]
    assert _sample().get_itos() == ["<unk>", "<pad>", "b", "a", "c", "d"]
    v = build_vocab_from_iterator(it, specials=["<unk>"], special_first=False)
    assert v.get_itos() == ["b", "a", "c", "d", "<unk>"]
    assert build_vocab_from_iterator(it, min_freq=2).get_itos() == ["b", "a"]
    v = build_vocab_from_iterator(it, specials=["<unk>"], max_tokens=3)
    assert v.get_itos() == ["<unk>", "b", "a"]
    with pytest.raises(AssertionError, match="entirely special tokens"):
        build_vocab_from_iterator(it, specials=["<unk>", "<pad>"], max_tokens=2)
    # a special that also occurs in the data appears once, where specials go
    v = build_vocab_from_iterator([["x", "<unk>", "<unk>"]], specials=["<unk>"])
    assert v.get_itos() == ["<unk>", "x"]
    # any iterable of token iterables
    assert build_vocab_from_iterator(iter([iter("aab")])).get_itos() == ["a", "b"]


def test_vocab_factory_keeps_dict_order_and_pops_specials():
    od = OrderedDict([("z", 5), ("<unk>", 9), ("a", 1), ("m", 3)])
    v = vocab(od, min_freq=2, specials=["<unk>", "<s>"])
    assert v.get_itos() == ["<unk>", "<s>", "z", "m"]
    assert "<unk>" not in od                          # removed from the caller's dict
    assert vocab(OrderedDict([("a", 1)]), specials=["<s>"], special_first=False).get_itos() == ["a", "<s>"]
    assert len(vocab(OrderedDict())) == 0


def test_lookup_and_default_index():
    v = _sample()
    assert v["b"] == 2 and v(["a", "d"]) == [3, 5] and v.forward(["c"]) == [4]
    assert v.lookup_indices(["b", "b"]) == [2, 2]
    assert "a" in v and "zz" not in v and len(v) == 6
    assert v.get_default_index() is None
    with pytest.raises(RuntimeError, match="Token zz not found and default index is not set"):
        v["zz"]
    with pytest.raises(RuntimeError, match="Token zz not found"):
        v(["a", "zz"])
    v.set_default_index(v["<unk>"])
    assert v["zz"] == 0 and v(["zz", "a"]) == [0, 3] and v.get_default_index() == 0
    v.set_default_index(-1)
    assert v["zz"] == -1
    v.set_default_index(None)
    with pytest.raises(RuntimeError):
        v["zz"]


def test_lookup_tokens_and_errors():
    v = _sample()
    assert v.lookup_token(2) == "b"
    assert v.lookup_tokens([0, 5, 2]) == ["<unk>", "d", "b"]
    with pytest.raises(RuntimeError, match="Specified index 6 is out of bounds for vocab of size 6"):
        v.lookup_token(6)
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.lookup_token(-1)
    with pytest.raises(RuntimeError, match="Specified index 9 at position 1 is out of bounds"):
        v.lookup_tokens([0, 9])


def test_insert_and_append_token():
    v = _sample()
    v.insert_token("new", 1)
    assert v.get_itos() == ["<unk>", "new", "<pad>", "b", "a", "c", "d"]
    assert v.get_stoi() == {t: i for i, t in enumerate(v.get_itos())}
    v.insert_token("last", len(v))
    assert v.lookup_token(len(v) - 1) == "last"
    v.append_token("app")
    assert v["app"] == len(v) - 1
    with pytest.raises(RuntimeError, match="Token b already exists in the Vocab with index: 3"):
        v.append_token("b")
    with pytest.raises(RuntimeError, match="already exists"):
        v.insert_token("b", 0)
    with pytest.raises(RuntimeError, match="Specified index 99 is out of bounds"):
        v.insert_token("q", 99)
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.insert_token("q", -1)


def test_get_stoi_itos_are_copies():
    v = _sample()
    v.get_itos().append("x")
    v.get_stoi()["x"] = 99
    assert "x" not in v and len(v) == 6


def test_vocab_is_module_pickles_and_builds_from_list():
    v = _sample()
    v.set_default_index(0)
    assert isinstance(v, ember.nn.Module) and repr(v) == "Vocab()"
    w = pickle.loads(pickle.dumps(v))
    assert w.get_itos() == v.get_itos() and w["unknown"] == 0
    u = Vocab(["x", "y"])
    assert u(["y", "x"]) == [1, 0]
    assert Vocab(u).get_itos() == ["x", "y"]
    with pytest.raises(RuntimeError, match="Duplicate token found in tokens list: x"):
        Vocab(["x", "y", "x"])
    with pytest.raises(TypeError, match="Vocab expects"):
        Vocab(123)


def test_vocab_in_a_data_pipeline_with_tensors():
    v = _sample()
    ids = ember.tensor(v(["a", "b", "d"]), dtype=ember.long)
    assert ids.tolist() == [3, 2, 5] and ids.dtype == ember.int64
