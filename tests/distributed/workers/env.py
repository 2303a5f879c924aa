"""Prints what a rank sees: torchrun's variables, ember.distributed's ranks, argv."""
import json
import os
import sys

import ember.distributed as dist

dist.init_process_group()
keys = ["RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR",
        "MASTER_PORT", "OMP_NUM_THREADS", "TORCHELASTIC_RUN_ID"]
print("ENV " + json.dumps({"env": {k: os.environ.get(k) for k in keys}, "argv": sys.argv[1:],
                          "rank": dist.get_rank(), "world": dist.get_world_size(),
                          "name": __name__, "elastic": dist.is_torchelastic_launched()}),
      flush=True)
dist.destroy_process_group()
