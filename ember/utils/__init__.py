from . import data
from . import safetensors
