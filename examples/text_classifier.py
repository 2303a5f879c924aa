"""Text classification with ember.text, in the style of torchtext's AG_NEWS tutorial: a
bag-of-embeddings model (EmbeddingBag + Linear) over a basic_english tokenizer and a vocab
built from the training set.

The corpus is made here: templated news-like sentences on four topics (world, sports,
business, sci/tech), written as AG_NEWS-style CSV files (label,title,description) and read
back with ember.text.datasets.AG_NEWS, so the whole torchtext pipeline runs offline. Each
sentence mixes topic words with shared filler words and, one time in five, a word from
another topic. It reaches about 97% test accuracy in a few seconds (5 epochs).

Run: python examples/text_classifier.py [--epochs 5] [--root DIR]
"""
import argparse
import csv
import os
import random
import tempfile
import time

import ember as torch
from ember import nn
from ember.text.data.functional import to_map_style_dataset
from ember.text.data.utils import get_tokenizer
from ember.text.datasets import AG_NEWS
from ember.text.vocab import build_vocab_from_iterator
from ember.utils.data import DataLoader
from ember.utils.data.dataset import random_split

TOPICS = {   # label 1..4, as AG_NEWS numbers them
    1: ("World", ["minister", "election", "treaty", "embassy", "parliament", "border",
                  "refugees", "summit", "diplomats", "sanctions", "ceasefire", "president"]),
    2: ("Sports", ["coach", "striker", "championship", "tournament", "goal", "league",
                   "referee", "stadium", "season", "playoffs", "medal", "quarterback"]),
    3: ("Business", ["shares", "profit", "merger", "investors", "revenue", "bank", "market",
                     "earnings", "stocks", "inflation", "dividend", "retailer"]),
    4: ("Sci/Tech", ["software", "researchers", "satellite", "processor", "internet",
                     "genome", "robot", "browser", "chip", "telescope", "algorithm", "virus"]),
}
FILLER = ["the", "a", "new", "on", "after", "said", "today", "report", "officials", "week",
          "plans", "big", "early", "late", "major", "expected", "in", "for", "with", "more"]
TEMPLATES = [
    "{f} {t} {f} {t} {f} {t}.",
    "{t} {f} {f} {t}, {f} {t} {f}!",
    "{f} {f} {t} ({t}) {f} {t} {f} {f}.",
    "Why {t} {f} {t}? {f} {t} {f}.",
]


def make_sentence(rng, label):
    def topic_word(_):
        other = rng.random() < 0.2            # noise: a word from another topic
        source = rng.choice([k for k in TOPICS if k != label]) if other else label
        return rng.choice(TOPICS[source][1])
    template = rng.choice(TEMPLATES)
    text = template
    while "{t}" in text or "{f}" in text:
        text = text.replace("{t}", topic_word(None), 1).replace("{f}", rng.choice(FILLER), 1)
    title = f"{rng.choice(TOPICS[label][1]).capitalize()} {rng.choice(FILLER)}"
    return title, text[0].upper() + text[1:]


def write_corpus(root, n_train=4000, n_test=800, seed=0):
    """root/AG_NEWS/train.csv and test.csv, in AG_NEWS's format."""
    rng = random.Random(seed)
    folder = os.path.join(root, "AG_NEWS")
    os.makedirs(folder, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        with open(os.path.join(folder, f"{split}.csv"), "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_ALL)
            for _ in range(n):
                label = rng.randint(1, 4)
                writer.writerow([label, *make_sentence(rng, label)])


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5.0)
    parser.add_argument("--emsize", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", default=None, help="where to write the corpus (default: a "
                                                     "temporary folder)")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    start = time.time()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or tmp
        write_corpus(root, seed=args.seed)
        train_iter, test_iter = AG_NEWS(root=root)            # (label, text) pairs
        tokenizer = get_tokenizer("basic_english")
        vocab = build_vocab_from_iterator((tokenizer(text) for _, text in train_iter),
                                          specials=["<unk>"])
        vocab.set_default_index(vocab["<unk>"])
        train_dataset = to_map_style_dataset(train_iter)
        test_dataset = to_map_style_dataset(test_iter)

    def collate_batch(batch):
        """Labels 0..3, all token ids of the batch in one 1-D tensor, and the offset where
        each text starts in it (what EmbeddingBag takes)."""
        labels, texts, offsets = [], [], [0]
        for label, text in batch:
            labels.append(label - 1)
            ids = torch.tensor(vocab(tokenizer(text)), dtype=torch.int64)
            texts.append(ids)
            offsets.append(ids.size(0))
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        return torch.tensor(labels, dtype=torch.int64), torch.cat(texts), offsets

    num_train = int(len(train_dataset) * 0.95)
    split_train, split_valid = random_split(
        train_dataset, [num_train, len(train_dataset) - num_train],
        generator=torch.Generator().manual_seed(args.seed))
    train_loader = DataLoader(split_train, batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate_batch)
    valid_loader = DataLoader(split_valid, batch_size=args.batch_size, collate_fn=collate_batch)
    test_loader = DataLoader(test_dataset, batch_size=args.batch_size, collate_fn=collate_batch)

    model = TextClassificationModel(len(vocab), args.emsize, len(TOPICS))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)

    def evaluate(loader):
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for labels, text, offsets in loader:
                correct += (model(text, offsets).argmax(1) == labels).sum().item()
                total += labels.size(0)
        return correct / total

    best_valid = None
    for epoch in range(1, args.epochs + 1):
        model.train()
        for labels, text, offsets in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(text, offsets), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
        valid_acc = evaluate(valid_loader)
        if best_valid is not None and valid_acc <= best_valid:
            scheduler.step()             # the tutorial's schedule: decay when it stalls
        else:
            best_valid = valid_acc
        print(f"| epoch {epoch:3d} | loss {loss.item():8.4f} | valid accuracy {valid_acc:8.3f}")

    test_acc = evaluate(test_loader)
    print(f"vocab size: {len(vocab)}")
    print(f"test accuracy: {test_acc:.3f}")
    print(f"time: {time.time() - start:.1f}s")
    return test_acc


if __name__ == "__main__":
    main()
