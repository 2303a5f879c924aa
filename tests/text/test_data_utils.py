"""ember.text.data.utils: get_tokenizer by name, ngrams_iterator, interleave_keys."""
import pickle
import sys

import pytest

from ember.text.data.utils import get_tokenizer, interleave_keys, ngrams_iterator


def test_basic_english_matches_torchtext_docstring():
    tok = get_tokenizer("basic_english")
    assert tok("You can now install TorchText using pip!") == \
        ["you", "can", "now", "install", "torchtext", "using", "pip", "!"]


def test_basic_english_punctuation_rules():
    tok = get_tokenizer("basic_english")
    # quote -> own token, double quote dropped, ; and : and <br /> -> space, . , ( ) ! ? split
    text = 'Don\'t "quote" me; a:b<br />(c) d.e, f? g!  TAB\there'
    assert tok(text) == ["don", "'", "t", "quote", "me", "a", "b", "(", "c", ")", "d", ".", "e",
                         ",", "f", "?", "g", "!", "tab", "here"]
    assert tok("") == []
    assert tok("ÀB Ünï") == ["àb", "ünï"]          # str.lower, no accent stripping
    assert tok("x-y_z/w 3.14") == ["x-y_z/w", "3", ".", "14"]   # other symbols stay


def test_basic_english_other_language_raises():
    with pytest.raises(ValueError, match="only available for English"):
        get_tokenizer("basic_english", language="de")


def test_none_splits_on_whitespace_and_callable_passes_through():
    assert get_tokenizer(None)("  a b\tc\nd  ") == ["a", "b", "c", "d"]
    fn = lambda s: s.split("-")        # noqa: E731
    assert get_tokenizer(fn) is fn


def test_character_tokenizer():
    assert get_tokenizer("character")("ab c!") == ["a", "b", " ", "c", "!"]


def test_builtin_tokenizers_pickle():
    for name in (None, "basic_english", "character"):
        tok = get_tokenizer(name)
        assert pickle.loads(pickle.dumps(tok))("A b.") == tok("A b.")


@pytest.mark.parametrize("name,module", [("spacy", "spacy"), ("moses", "sacremoses"),
                                         ("toktok", "nltk"), ("revtok", "revtok"),
                                         ("subword", "revtok")])
def test_library_tokenizer_missing_package_raises_clear_import_error(monkeypatch, name, module):
    for mod in list(sys.modules):
        if mod == module or mod.startswith(module + "."):
            monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, module, None)      # import of it fails
    with pytest.raises(ImportError, match=f"get_tokenizer\\('{name}'\\) needs the '{module}' package"):
        get_tokenizer(name)


def test_unknown_tokenizer_name_raises_value_error():
    with pytest.raises(ValueError, match="Requested tokenizer nope"):
        get_tokenizer("nope")


def test_ngrams_iterator():
    assert list(ngrams_iterator(["here", "we", "are"], 2)) == \
        ["here", "we", "are", "here we", "we are"]
    assert list(ngrams_iterator(["a", "b", "c"], 3)) == ["a", "b", "c", "a b", "b c", "a b c"]
    assert list(ngrams_iterator(["a"], 3)) == ["a"]
    assert list(ngrams_iterator(["a", "b"], 1)) == ["a", "b"]


def test_interleave_keys():
    assert interleave_keys(0, 0) == 0
    assert interleave_keys(1, 0) == 2 and interleave_keys(0, 1) == 1
    # a=0011, b=0101: bit pairs (a, b) from the top: 00 01 10 11
    assert interleave_keys(3, 5) == 0b00011011
