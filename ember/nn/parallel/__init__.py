"""`ember.nn.parallel`: DistributedDataParallel (processes, over ember.distributed) and
DataParallel (one process; a pass-through without several GPUs)."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
