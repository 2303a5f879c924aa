"""Launching (mpiexec and `python -m ember.distributed.run`) and failures: a rank that
raises, exits or is killed stops the others promptly with a clear message; a rank that
hangs makes the others raise a timeout error after the configured timeout."""
import json

import pytest


def _envs(stdout):
    """The ENV records the ranks printed (mpiexec may join their lines)."""
    dec = json.JSONDecoder()
    return sorted((dec.raw_decode(part)[0] for part in stdout.split("ENV ")[1:]),
                  key=lambda d: d["rank"])


def test_launcher_sets_torchrun_variables(ranks):
    r = ranks("env.py", "--lr", "0.1", "--", "x", launcher="run")
    assert r.returncode == 0, r
    envs = _envs(r.stdout)
    assert [e["rank"] for e in envs] == [0, 1] and all(e["world"] == 2 for e in envs)
    for i, e in enumerate(envs):
        assert e["env"]["RANK"] == e["env"]["LOCAL_RANK"] == str(i)
        assert e["env"]["WORLD_SIZE"] == e["env"]["LOCAL_WORLD_SIZE"] == "2"
        assert e["env"]["MASTER_ADDR"] and e["env"]["MASTER_PORT"] == "29500"
        assert e["env"]["OMP_NUM_THREADS"] == "1" and e["elastic"]
        assert e["argv"] == ["--lr", "0.1", "--", "x"] and e["name"] == "__main__"


def test_plain_mpiexec_launch(ranks):
    r = ranks("env.py")
    assert r.returncode == 0, r
    envs = _envs(r.stdout)
    assert [(e["rank"], e["world"]) for e in envs] == [(0, 2), (1, 2)]


def test_launcher_rejects_several_nodes(mpiexec):
    import sys
    from subprocess import run
    p = run([sys.executable, "-m", "ember.distributed.run", "--nnodes", "2", "x.py"],
            capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "mpiexec" in p.stderr


@pytest.mark.parametrize("launcher", ["mpiexec", "run"])
def test_rank_that_raises_stops_the_others(ranks, launcher):
    r = ranks("failures.py", "raise", launcher=launcher, timeout=60,
              env={"WORKER_TIMEOUT": "60"})
    assert r.returncode != 0, r
    assert "deliberate failure on rank 1" in r.stderr, r
    assert "was not stopped" not in r.stdout, r
    assert r.seconds < 30, r            # stopped at once, not after the 60 s timeout


@pytest.mark.parametrize("mode,launcher", [("kill", "mpiexec"), ("exit", "run"),
                                           ("sysexit", "run")])
def test_rank_that_dies_stops_the_others(ranks, mode, launcher):
    r = ranks("failures.py", mode, launcher=launcher, timeout=60,
              env={"WORKER_TIMEOUT": "60"})
    assert r.returncode != 0, r
    assert "was not stopped" not in r.stdout, r
    assert r.seconds < 30, r
    if launcher == "run":
        assert "the job failed" in r.stderr, r


def test_rank_that_hangs_times_out(ranks):
    r = ranks("failures.py", "hang", timeout=60, env={"WORKER_TIMEOUT": "3"})
    assert r.returncode != 0, r
    assert "Watchdog caught collective operation timeout" in r.stderr, r
    assert "Timeout(ms)=3000" in r.stderr, r
    assert "was not stopped" not in r.stdout, r
    assert r.seconds < 40, r


def test_monitored_barrier_names_the_missing_rank(ranks):
    r = ranks("failures.py", "monitored", timeout=60, env={"WORKER_TIMEOUT": "60"})
    assert r.returncode != 0, r
    assert "Rank 1 failed to pass monitoredBarrier in 2000 ms" in r.stderr, r
    assert r.seconds < 30, r
