"""ember.text: torchtext's API on ember (`import ember.text as torchtext`; under
`python -m ember.compat` a script's `import torchtext` gives this package).

data (tokenizers by name, n-grams, BLEU, iterator helpers), vocab (`Vocab`,
`build_vocab_from_iterator`, pre-trained word vectors from local files), transforms (the
`nn.Module` text pipeline: vocab lookup, truncation, padding, WordPiece / GPT-2 / CLIP BPE
tokenizers), functional (`to_tensor`, `truncate`, `add_token`), datasets (WikiText-2/103,
PennTreebank, AG_NEWS, IMDB read from local files) and utils (download / extract helpers).
Everything is pure Python over NumPy; sentencepiece, spaCy, etc. are imported only when a
feature that needs them is asked for. See docs/text.md.
"""
import os

# Where torchtext keeps datasets and downloaded assets; ember reads the same layout.
_CACHE_DIR = os.path.expanduser("~/.torchtext/cache")
_TEXT_BUCKET = "https://download.pytorch.org/models/text/"

from . import data, datasets, functional, transforms, utils, vocab  # noqa: E402,F401

# torchtext's last release (0.18, paired with torch 2.3): the API this package follows.
__version__ = "0.18.0"

__all__ = ["data", "datasets", "utils", "vocab", "transforms", "functional"]
