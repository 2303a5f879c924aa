"""The word-level language model of issue 8 part B (tests/programs/word_language_model/:
data.py, model.py, main.py, generate.py, after PyTorch's examples/word_language_model) runs
unchanged under `python -m ember.compat`, for every --model kind, on a small corpus that the
test writes: sentences from a tiny grammar, so a model that learns it predicts much better
than uniform guessing over the vocabulary."""
import math
import random
import re

import pytest

from ._program_runner import PROGRAMS, run_program

MAIN = "word_language_model/main.py"
GENERATE = "word_language_model/generate.py"

DET, ADJ = ["the", "a"], ["small", "red", "old", "happy"]
NOUN, VERB = ["cat", "dog", "bird", "fish", "child"], ["sees", "chases", "likes", "follows"]
PLACE = ["garden", "house", "park"]
VOCAB = set(DET + ADJ + NOUN + VERB + PLACE + ["in", ".", "<eos>"])     # 24 words


def _sentence(rng):
    return " ".join([rng.choice(DET), rng.choice(ADJ), rng.choice(NOUN), rng.choice(VERB),
                     rng.choice(DET), rng.choice(NOUN), "in", "the", rng.choice(PLACE), "."])


def _write_corpus(folder):
    """train.txt (100 lines), valid.txt and test.txt (20 lines each); 3 sentences a line."""
    rng = random.Random(0)
    folder.mkdir()
    for name, lines in (("train", 100), ("valid", 20), ("test", 20)):
        text = "\n".join(" ".join(_sentence(rng) for _ in range(3)) for _ in range(lines))
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf8")
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _write_corpus(tmp_path_factory.mktemp("wlm") / "corpus")


def _train(corpus, cwd, model, *extra):
    return run_program(MAIN, cwd, "--data", str(corpus), "--model", model, "--emsize", "32",
                       "--nhid", "32", "--nlayers", "2", "--lr", "5", "--clip", "0.25",
                       "--epochs", "10", "--batch_size", "10", "--bptt", "20", "--dropout",
                       "0.1", "--seed", "1", "--log-interval", "5", "--save", "model.pt", *extra)


# Uniform guessing over the 24 words has perplexity 24; the grammar's own entropy allows about
# 2.3.  10 epochs of 15 batches must bring every model's test perplexity under 4.
@pytest.mark.parametrize("model, extra", [
    ("LSTM", ()), ("GRU", ()), ("RNN_TANH", ()), ("RNN_RELU", ()), ("Transformer", ()),
    ("LSTM", ("--tied",)),
])
def test_word_language_model_learns(corpus, tmp_path, model, extra):
    r = _train(corpus, tmp_path, model, *extra)
    assert r.returncode == 0, r.stderr[-3000:]
    # only the warning PyTorch also gives for a TransformerEncoder without batch_first
    warnings = [re.sub(r":\d+: ", ":N: ", l) for l in r.stderr.splitlines() if "Warning" in l]
    assert warnings == ([] if model != "Transformer" else [
        f"{PROGRAMS}/word_language_model/model.py:N: UserWarning: enable_nested_tensor is True, "
        "but self.use_nested_tensor is False because encoder_layer.self_attn.batch_first was "
        "not True(use batch_first for better inference performance)"]), r.stderr
    # 3100 training tokens in 10 columns = 310 rows, bptt 20: 15 batches an epoch
    assert re.search(r"\| epoch   1 \|     5/   15 batches \| lr 5\.00 \|", r.stdout), r.stdout
    valid = [float(v) for v in re.findall(r"valid ppl +(\d+\.\d+)", r.stdout)]
    assert len(valid) == 10
    (test_loss, test_ppl), = re.findall(r"test loss +(\d+\.\d+) \| test ppl +(\d+\.\d+)", r.stdout)
    assert float(test_ppl) < 4.0 and float(test_ppl) < valid[0], r.stdout
    assert abs(math.exp(float(test_loss)) - float(test_ppl)) < 0.05 * float(test_ppl)
    assert (tmp_path / "model.pt").is_file()


@pytest.mark.parametrize("model", ["GRU", "Transformer"])
def test_generate_loads_the_pickled_model(corpus, tmp_path, model):
    r = _train(corpus, tmp_path, model, "--epochs", "3")
    assert r.returncode == 0, r.stderr[-3000:]
    g = run_program(GENERATE, tmp_path, "--data", str(corpus), "--checkpoint", "model.pt",
                    "--outf", "generated.txt", "--words", "45", "--temperature", "0.5",
                    "--log-interval", "20")
    assert g.returncode == 0, g.stderr[-3000:]
    assert g.stdout.splitlines() == [f"| Generated {i}/45 words" for i in (0, 20, 40)]
    lines = (tmp_path / "generated.txt").read_text().split("\n")
    assert [len(line.split()) for line in lines] == [20, 20, 5]       # a newline every 20 words
    words = " ".join(lines).split()
    assert set(words) <= VOCAB
    # a model that learnt the grammar puts "in the" before a place most of the time
    assert sum(w in PLACE for w in words) >= 2, words


def test_word_language_model_dry_run_and_bad_flags(corpus, tmp_path):
    r = run_program(MAIN, tmp_path, "--data", str(corpus), "--model", "GRU", "--emsize", "16",
                    "--nhid", "16", "--epochs", "1", "--dry-run", "--save", "dry.pt")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "end of epoch   1" in r.stdout and "End of training" in r.stdout
    r = run_program(MAIN, tmp_path, "--data", str(corpus), "--model", "LSTM", "--emsize", "16",
                    "--nhid", "24", "--tied", "--dry-run")
    assert r.returncode == 1
    assert "ValueError: When using the tied flag, nhid must be equal to emsize" in r.stderr
    r = run_program(MAIN, tmp_path, "--data", str(corpus), "--model", "RNN_SIGMOID", "--dry-run")
    assert r.returncode == 1 and "An invalid option for `--model` was supplied" in r.stderr
