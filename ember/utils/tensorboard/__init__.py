"""ember.utils.tensorboard: torch.utils.tensorboard's `SummaryWriter`, writing real
TensorBoard event files (scalars, histograms, images, text, audio, graphs, hparams, PR
curves, embeddings) through the optional `tensorboard` package
(`pip install "ember[tensorboard]"`). Importing this module does not import tensorboard;
making a writer does, and raises ImportError naming the extra when it is missing."""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
