"""`ember.random`, like `torch.random`: the default generator's seeding functions and
`fork_rng`, which restores the random state when its block ends."""
import contextlib

from .ops.random import (default_generator, get_rng_state, initial_seed, manual_seed, seed,
                         set_rng_state)

__all__ = ["default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed",
           "seed", "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Run a block with the CPU (and CUDA, when available) random state saved and restored."""
    if not enabled:
        yield
        return
    from . import cuda
    cpu_state = get_rng_state()
    cuda_states = None
    if cuda.is_available():
        import cupy
        cuda_states = cupy.random.get_random_state()
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        if cuda_states is not None:
            import cupy
            cupy.random.set_random_state(cuda_states)
