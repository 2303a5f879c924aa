"""Byte-level BPE: transforms.GPT2BPETokenizer, CLIPTokenizer, CharBPETokenizer (engine in
ember/text/_bpe.py). Expected pieces are worked out by hand from small merge files; when the
`tokenizers` package is installed, GPT-2 output is also compared with its ByteLevel BPE."""
import json
import random
import re

import pytest

from ember.text._bpe import _unicode_classes, bpe_merge, bytes_to_unicode
from ember.text.transforms import CharBPETokenizer, CLIPTokenizer, GPT2BPETokenizer

BYTE_SYMBOLS = list(bytes_to_unicode().values())
MERGES = ["Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "h e", "l l", "he ll", "hell o"]


def _gpt2_files(tmp_path, merges=MERGES, header="#version: 0.2"):
    encoder = {s: i for i, s in enumerate(BYTE_SYMBOLS)}
    for m in merges:
        encoder.setdefault(m.replace(" ", ""), len(encoder))
    enc, bpe = tmp_path / "encoder.json", tmp_path / "vocab.bpe"
    enc.write_text(json.dumps(encoder), encoding="utf-8")
    bpe.write_text("\n".join(([header] if header else []) + merges) + "\n", encoding="utf-8")
    return str(enc), str(bpe), encoder


def test_bytes_to_unicode_table():
    table = bytes_to_unicode()
    assert len(table) == 256 and len(set(table.values())) == 256
    assert table[ord("a")] == "a" and table[ord("!")] == "!"
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ" and table[0] == "Ā"
    assert list(table)[:3] == [33, 34, 35]            # printable bytes first, GPT-2's order
    assert all(c.isprintable() and not c.isspace() for c in table.values())


def test_unicode_classes_are_letters_and_numbers():
    letters, numbers = _unicode_classes()
    L, N = re.compile(f"[{letters}]"), re.compile(f"[{numbers}]")
    for ch in "aZéßΩж東ア한":
        assert L.fullmatch(ch) and not N.fullmatch(ch)
    for ch in "09٣½²Ⅻ":                                # Nd, No, Nl
        assert N.fullmatch(ch) and not L.fullmatch(ch)
    for ch in " _-!\u0301😀":
        assert not L.fullmatch(ch) and not N.fullmatch(ch)


def test_bpe_merge_takes_the_best_rank_first():
    ranks = {("l", "d"): 0, ("l", "l"): 1}
    assert bpe_merge(list("lld"), ranks) == ["l", "ld"]       # not the leftmost pair
    assert bpe_merge(list("aaa"), {("a", "a"): 0}) == ["aa", "a"]
    assert bpe_merge(list("aaaa"), {("a", "a"): 0, ("aa", "aa"): 1}) == ["aaaa"]
    assert bpe_merge(["x"], {}) == ["x"]


def test_gpt2_tokens_and_ids_worked_by_hand(tmp_path):
    enc, bpe, encoder = _gpt2_files(tmp_path)
    tok = GPT2BPETokenizer(enc, bpe, return_tokens=True)
    ids = GPT2BPETokenizer(enc, bpe)
    assert tok("hello world") == ["hello", "Ġworld"]
    assert ids("hello world") == [str(encoder["hello"]), str(encoder["Ġworld"])]
    assert tok("lld") == ["l", "ld"]
    # whitespace: a run before a word gives its last space to the word
    assert tok("a  b") == ["a", "Ġ", "Ġ", "b"]
    assert tok("a \n b") == ["a", "Ġ", "Ċ", "Ġ", "b"]
    assert tok("a\n\nb") == ["a", "Ċ", "Ċ", "b"]
    assert tok("a  ") == ["a", "Ġ", "Ġ"]
    assert tok("it's 42!!") == ["i", "t", "'", "s", "Ġ", "4", "2", "!", "!"]   # no merges
    assert tok("") == []
    # batch input
    assert ids(["hello", "world"]) == [[str(encoder["hello"])], [str(encoder[c]) for c in ["w", "or", "ld"]]]
    with pytest.raises(TypeError, match="Input type not supported"):
        tok(3)


def test_gpt2_pretokenizer_splits(tmp_path):
    enc, bpe, _ = _gpt2_files(tmp_path, merges=[])
    tok = GPT2BPETokenizer(enc, bpe, return_tokens=True)
    pre = tok.bpe.pre_tokenize
    assert pre("I'll say it's 3.14, ok?") == ["I", "'ll", " say", " it", "'s", " 3", ".", "14", ",", " ok", "?"]
    assert pre("naïve 東京 x²") == ["naïve", " 東京", " x", "²"]
    # GPT-2's whitespace rules: a run gives its last character to a following word
    assert pre("a\u3000\u3000b") == ["a", "\u3000", "\u3000", "b"]
    assert pre("a  'll") == ["a", " ", " '", "ll"]      # (torchtext: "a", " ", " 'll")
    # every byte of the text is covered by exactly one token
    text = "Mixed\tcase  TEXT, with émojis 😀 and\r\nCRLF "
    assert "".join(pre(text)) == text
    # UTF-8 bytes become byte symbols: é = c3 a9
    assert tok("é") == ["Ã", "©"]


def test_gpt2_decode_round_trip(tmp_path):
    enc, bpe, encoder = _gpt2_files(tmp_path)
    tok = GPT2BPETokenizer(enc, bpe)
    for text in ["hello world", "héllo  wörld\n\t😀 東京!", "", " lead", "trail "]:
        assert tok.decode(tok(text)) == text
    lone_lead_byte = encoder[bytes_to_unicode()[0xC3]]        # half of a 2-byte character
    assert tok.decode([str(lone_lead_byte)]) == "\ufffd"


def test_gpt2_special_tokens(tmp_path):
    enc, bpe, encoder = _gpt2_files(tmp_path)
    tok = GPT2BPETokenizer(enc, bpe, return_tokens=True)
    ids = GPT2BPETokenizer(enc, bpe)
    n = len(encoder)
    assert tok.add_special_tokens({"eos_token": "<|endoftext|>"}) == 1
    assert ids.add_special_tokens({"eos_token": "<|endoftext|>",
                                   "additional_special_tokens": ["<x>", "hello"]}) == 2
    # spaces next to a special token are dropped; the word after it has no 'Ġ'
    assert tok("hello <|endoftext|> world") == ["hello", "<|endoftext|>", "w", "or", "ld"]
    out = ids("hello<|endoftext|><x> world")
    assert out == [str(encoder["hello"]), str(n), str(n + 1), str(encoder["w"]),
                   str(encoder["or"]), str(encoder["ld"])]
    assert ids.decode(out) == "hello <|endoftext|> <x> world"
    assert ids.decode(ids("hello <|endoftext|> world")) == "hello <|endoftext|> world"
    with pytest.raises(AssertionError, match="not in the special token list"):
        tok.add_special_tokens({"weird_token": "<w>"})


def test_gpt2_bad_files(tmp_path):
    enc, bpe, encoder = _gpt2_files(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid BPE encoder JSON"):
        GPT2BPETokenizer(str(bad), bpe)
    bad.write_text('["a", "b"]', encoding="utf-8")
    with pytest.raises(ValueError, match="mapping BPE tokens to integer ids"):
        GPT2BPETokenizer(str(bad), bpe)
    badm = tmp_path / "bad.bpe"
    badm.write_text("#version: 0.2\nh e\nthree parts here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: expected a BPE merge"):
        GPT2BPETokenizer(enc, str(badm))
    with pytest.raises(FileNotFoundError):
        GPT2BPETokenizer(str(tmp_path / "missing.json"), bpe)
    # a merge whose result the encoder lacks
    small = {k: v for k, v in encoder.items() if k != "hello"}
    (tmp_path / "small.json").write_text(json.dumps(small), encoding="utf-8")
    tok = GPT2BPETokenizer(str(tmp_path / "small.json"), bpe)
    with pytest.raises(RuntimeError, match="'hello' is not in the encoder"):
        tok("hello")


def test_gpt2_merges_without_header(tmp_path):
    enc, bpe, _ = _gpt2_files(tmp_path, header=None)
    assert GPT2BPETokenizer(enc, bpe, return_tokens=True)(" world") == ["Ġworld"]


def test_gpt2_matches_huggingface_tokenizers(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    corpus = ["The quick brown fox jumps over the lazy dog's back, isn't it?",
              "Hello world!  Numbers 12345 and 3.14 and naïve café résumé.",
              "I'll we've they're she'd   spaces\tand\ttabs\nnewlines\n\nend",
              "Ünïcödé ßtraße 東京 データ ½ ² Ⅻ — “quotes” emoji 😀🎉"] * 10
    trainer = tokenizers.ByteLevelBPETokenizer()
    trainer.train_from_iterator(corpus, vocab_size=500, min_frequency=2, show_progress=False)
    trainer.save_model(str(tmp_path))
    enc, merges = str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt")
    ref = tokenizers.ByteLevelBPETokenizer(enc, merges)
    tok = GPT2BPETokenizer(enc, merges, return_tokens=True)
    ids = GPT2BPETokenizer(enc, merges)
    rng = random.Random(0)
    words = " ".join(corpus).split(" ")
    texts = corpus[:4] + ["", " a", "a ", "a  b", "x\n\ny", "it'S it's", "a  'll", "x\u3000\u3000y",
                          "nb\u00a0sp \u2028x\x1cy"]
    texts += ["".join(rng.choice(["", " ", "  ", "\n", "\t"]) + rng.choice(words)
                      for _ in range(rng.randint(1, 8))) for _ in range(100)]
    for text in texts:
        expected = ref.encode(text)
        assert tok(text) == expected.tokens, text
        assert [int(i) for i in ids(text)] == expected.ids, text


def _clip_merges(tmp_path):
    path = tmp_path / "merges.txt"
    path.write_text('"bpe_simple_vocab_16e6.txt#version: 0.2\nh e\nl l\nhe ll\nhell o</w>\n',
                    encoding="utf-8")
    return str(path)


def test_clip_tokenizer_builds_vocab_from_merges(tmp_path):
    merges = _clip_merges(tmp_path)
    tok = CLIPTokenizer(merges, return_tokens=True)
    ids = CLIPTokenizer(merges)
    text = "<|startoftext|>Hello  HELLO 42! <|endoftext|>"
    assert tok(text) == ["<|startoftext|>", "hello</w>", "hello</w>", "4</w>", "2</w>",
                         "!</w>", "<|endoftext|>"]
    # 256 byte symbols, the same with '</w>', 4 merges, then the two special tokens
    byte_id = {s: i for i, s in enumerate(BYTE_SYMBOLS)}
    assert ids(text) == [str(i) for i in (516, 515, 515, 256 + byte_id["4"], 256 + byte_id["2"],
                                          256 + byte_id["!"], 517)]
    assert tok("hel") == ["he", "l</w>"]
    assert tok(["a b", "héllo"]) == [["a</w>", "b</w>"], ["h", "Ã", "©", "ll", "o</w>"]]
    # num_merges keeps the first merges only
    assert CLIPTokenizer(merges, num_merges=2, return_tokens=True)("hello") == ["he", "ll", "o</w>"]


def test_clip_tokenizer_with_encoder_json(tmp_path):
    merges = _clip_merges(tmp_path)
    vocab = BYTE_SYMBOLS + [s + "</w>" for s in BYTE_SYMBOLS] + ["he", "ll", "<|startoftext|>",
                                                               "<|endoftext|>"]
    enc = tmp_path / "encoder.json"
    enc.write_text(json.dumps({t: i for i, t in enumerate(vocab)}), encoding="utf-8")
    # the encoder has room for 2 merges: 'he ll' and 'hell o</w>' are not used
    tok = CLIPTokenizer(str(merges), encoder_json_path=str(enc), return_tokens=True)
    assert tok("hello") == ["he", "ll", "o</w>"]
    o_end = 256 + BYTE_SYMBOLS.index("o")                   # 'o</w>'
    assert CLIPTokenizer(str(merges), encoder_json_path=str(enc))("hello") == ["512", "513", str(o_end)]


def test_char_bpe_tokenizer(tmp_path):
    encoder = {"<unk>": 0, "h": 1, "e": 2, "l": 3, "o</w>": 4, "he": 5, "hel": 6, "lo</w>": 7,
               "hello</w>": 8, "w": 9, "<s>": 10}
    enc = tmp_path / "vocab.json"
    enc.write_text(json.dumps(encoder), encoding="utf-8")
    merges = tmp_path / "merges.txt"
    merges.write_text("#version: 0.2\nh e\nl o</w>\nhe l\nhel lo</w>\n", encoding="utf-8")
    tok = CharBPETokenizer(str(enc), str(merges), return_tokens=True, suffix="</w>",
                           unk_token="<unk>", special_tokens=["<s>"])
    ids = CharBPETokenizer(str(enc), str(merges), suffix="</w>", unk_token="<unk>")
    assert tok("hello <s> lo") == ["hello</w>", "<s>", "lo</w>"]
    assert ids("hello lo wz") == [8, 7, 9, 0]
    assert ids.decode([8, 7]) == "hello lo "
    assert tok.vocab_size == 11
    with pytest.raises(RuntimeError, match="Unknown token <x> not found in encoder"):
        CharBPETokenizer(str(enc), str(merges), unk_token="<x>")
    with pytest.raises(RuntimeError, match="Special token <y> not found in encoder"):
        CharBPETokenizer(str(enc), str(merges), special_tokens=["<y>"])


def test_letter_number_classes_match_the_regex_module():
    regex = pytest.importorskip("regex")
    import unicodedata
    letters, numbers = _unicode_classes()
    ours_l, ours_n = re.compile(f"[{letters}]"), re.compile(f"[{numbers}]")
    ref_l, ref_n = regex.compile(r"\p{L}"), regex.compile(r"\p{N}")
    for cp in range(0x10000):                 # the BMP, where this Python's database has it
        ch = chr(cp)
        if unicodedata.category(ch) == "Cn":
            continue                          # unassigned here, maybe assigned in regex's
        assert bool(ours_l.match(ch)) == bool(ref_l.match(ch)), hex(cp)
        assert bool(ours_n.match(ch)) == bool(ref_n.match(ch)), hex(cp)


def test_pretokenizer_matches_openai_pattern(tmp_path):
    regex = pytest.importorskip("regex")
    openai = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
    enc, bpe, _ = _gpt2_files(tmp_path, merges=[])
    pre = GPT2BPETokenizer(enc, bpe).bpe.pre_tokenize
    rng = random.Random(3)
    pieces = ["a", "Zé", "東京", "12", "½", "!?", "'s", "'ll", "'X", "-", "😀", " ", "  ", "\n",
              "\t", "\r\n", " \n ", "x_y", "\u00a0", "\u3000", "\x1c", "\u200b"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert pre(text) == openai.findall(text), repr(text)
