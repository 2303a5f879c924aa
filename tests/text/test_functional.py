"""ember.text.functional: to_tensor, truncate, add_token, str_to_int (and their pairing with
ember.nn.utils.rnn for batching)."""
import pytest

import ember
from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ember.text import functional as F


def test_to_tensor_sequence_and_padded_batch():
    t = F.to_tensor([1, 2, 3])
    assert t.dtype == ember.int64 and t.tolist() == [1, 2, 3]
    assert F.to_tensor([]).shape == (0,)
    b = F.to_tensor([[1, 2, 3], [4]], padding_value=0)
    assert b.dtype == ember.int64 and b.tolist() == [[1, 2, 3], [4, 0, 0]]
    assert F.to_tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    f = F.to_tensor([[1], [2, 3]], padding_value=-1, dtype=ember.float32)
    assert f.dtype == ember.float32 and f.tolist() == [[1.0, -1.0], [2.0, 3.0]]
    assert F.to_tensor([5, 6], dtype=ember.int32).dtype == ember.int32


def test_to_tensor_bad_input():
    with pytest.raises(ValueError, match="expected sequence of length 3 at dim 1"):
        F.to_tensor([[1, 2, 3], [4]])                 # ragged without a padding value
    for bad in ((1, 2), "abc", [1, "a"], [["a"]], [[1], 2], 3):
        with pytest.raises(TypeError, match="Input type not supported"):
            F.to_tensor(bad)


def test_truncate():
    assert F.truncate([1, 2, 3], 2) == [1, 2]
    assert F.truncate(["a", "b"], 5) == ["a", "b"]
    assert F.truncate([[1, 2, 3], [4]], 2) == [[1, 2], [4]]
    assert F.truncate([["a", "b", "c"]], 1) == [["a"]]
    with pytest.raises(TypeError, match="Input type not supported"):
        F.truncate([1, "a"], 1)
    with pytest.raises(TypeError):
        F.truncate("abc", 1)


def test_add_token():
    assert F.add_token([1, 2], 0) == [0, 1, 2]
    assert F.add_token([1, 2], 9, begin=False) == [1, 2, 9]
    assert F.add_token(["a"], "<s>") == ["<s>", "a"]
    assert F.add_token([[1], [2, 3]], 0, begin=False) == [[1, 0], [2, 3, 0]]
    assert F.add_token([["a"], []], "<s>") == [["<s>", "a"], ["<s>"]]
    with pytest.raises(TypeError, match="Input type not supported"):
        F.add_token([1, 2], "<s>")                    # a str token for an id list
    with pytest.raises(TypeError):
        F.add_token(["a"], 1.5)


def test_str_to_int():
    assert F.str_to_int(["1", "22"]) == [1, 22]
    assert F.str_to_int([["1"], ["2", "3"]]) == [[1], [2, 3]]
    with pytest.raises(TypeError):
        F.str_to_int([1, 2])
    with pytest.raises(ValueError):
        F.str_to_int(["x"])


def test_padded_batch_packs_for_an_rnn():
    ids = [[4, 5, 6], [7, 8], [9]]
    padded = F.to_tensor(ids, padding_value=0)
    lengths = ember.tensor([len(x) for x in ids])
    packed = pack_padded_sequence(padded, lengths, batch_first=True)
    assert packed.batch_sizes.tolist() == [3, 2, 1]
    unpacked, out_lengths = pad_packed_sequence(packed, batch_first=True)
    assert unpacked.tolist() == padded.tolist() and out_lengths.tolist() == [3, 2, 1]
