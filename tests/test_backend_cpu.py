"""The CPU backend's glibc malloc tuning: on by default on glibc, off with
EMBER_MALLOC_TUNING=0, and never an error elsewhere."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tuned(env_value):
    env = dict(os.environ)
    if env_value is None:
        env.pop("EMBER_MALLOC_TUNING", None)
    else:
        env["EMBER_MALLOC_TUNING"] = env_value
    out = subprocess.run([sys.executable, "-c", "import ember.backends.cpu as c; "
                          "print(c.malloc_tuned)"], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def _is_glibc():
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError, AttributeError):
        return False


def test_malloc_tuning_opt_out():
    assert _tuned("0") == "False"


@pytest.mark.skipif(not _is_glibc(), reason="malloc tuning applies to glibc only")
def test_malloc_tuning_on_by_default_on_glibc():
    assert _tuned(None) == "True"
