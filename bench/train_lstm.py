"""A 2-layer LSTM language model (vocab 10k, embedding and hidden 256, seq 35, batch 20,
tied-free decoder, gradient clipping 0.25 as in PyTorch's word_language_model example),
SGD: training steps/s, ember vs PyTorch (issue: CPU performance, workload 7).

Run: python bench/train_lstm.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from _common import compare, try_torch  # noqa: E402

VOCAB, HIDDEN, SEQ, BATCH = 10_000, 256, 35, 20


def make(lib, x_np, y_np):
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(VOCAB, HIDDEN)
            self.rnn = nn.LSTM(HIDDEN, HIDDEN, 2)
            self.decoder = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x, hidden):
            out, hidden = self.rnn(self.encoder(x), hidden)
            return self.decoder(out).view(-1, VOCAB), hidden

    lib.manual_seed(0)
    model = LM()
    opt = lib.optim.SGD(model.parameters(), lr=20.0)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    state = {"h": (lib.zeros(2, BATCH, HIDDEN), lib.zeros(2, BATCH, HIDDEN))}

    def step():
        h = tuple(t.detach() for t in state["h"])   # truncated BPTT, as the example does
        opt.zero_grad()
        out, state["h"] = model(x, h)
        loss = loss_fn(out, y.view(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
    return step


def main():
    torch = try_torch()
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (SEQ, BATCH)).astype(np.int64)
    y = rng.integers(0, VOCAB, (SEQ, BATCH)).astype(np.int64)
    e, t = compare("2-layer LSTM LM train step (10k, 256, 35x20)", make(ember, x, y),
                   make(torch, x, y) if torch else None, number=5, rounds=5, unit="ms",
                   workload=7, target=1.3)
    print(f"{'':<44} ember {1 / e:8.1f} steps/s   torch {1 / t if torch else float('nan'):8.1f}"
          " steps/s")


if __name__ == "__main__":
    main()
