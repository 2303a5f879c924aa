"""nn.utils: gradient clipping, parameter vectors, rnn packing, weight/spectral norm."""
from . import rnn
