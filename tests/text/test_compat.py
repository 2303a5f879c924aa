"""A torchtext program runs unchanged under `python -m ember.compat` (torchtext -> ember.text
with torchtext's module paths)."""
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROGRAM = """
import torch
import torchtext
from collections import OrderedDict
from torchtext.data.utils import get_tokenizer, ngrams_iterator
from torchtext.data.functional import to_map_style_dataset
from torchtext.data.metrics import bleu_score
from torchtext.vocab import build_vocab_from_iterator, vocab, Vocab
import torchtext.transforms as T
import torchtext.functional as F
from torchtext.datasets import PennTreebank
from torch.nn.utils.rnn import pad_sequence

tokenizer = get_tokenizer("basic_english")
lines = list(PennTreebank(root={root!r}, split="train"))
v = build_vocab_from_iterator(map(tokenizer, lines), specials=["<unk>"])
v.set_default_index(v["<unk>"])
assert isinstance(v, Vocab) and isinstance(v, torch.nn.Module)
pipe = T.Sequential(T.VocabTransform(v), T.AddToken(0, begin=False), T.ToTensor(padding_value=0))
batch = pipe([tokenizer(l) for l in lines])
print(type(batch).__module__, tuple(batch.shape), batch.dtype)
print(vocab(OrderedDict([("a", 1)])).get_itos(), F.truncate([1, 2, 3], 2))
print(torchtext.__version__, torchtext.vocab.Vocab is Vocab)
"""


def test_torchtext_program_under_ember_compat(tmp_path):
    data = tmp_path / "PennTreebank"
    data.mkdir()
    (data / "ptb.train.txt").write_text(" the cat sat \n the dog \n", encoding="utf-8")
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(PROGRAM.format(root=str(tmp_path))), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "ember.compat", str(script)], capture_output=True,
                       text=True, timeout=120, cwd=str(tmp_path), env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    assert lines[0] == "ember.tensor (2, 4) torch.int64"
    assert lines[1] == "['a'] [1, 2]"
    assert lines[2] == "0.18.0 True"
