"""ember.multiprocessing (torch.multiprocessing): the stdlib API, sharing strategies, and
spawn()/start_processes() with PyTorch's error reporting."""
import os
import sys

import pytest

import ember
import ember.multiprocessing as mp


def test_reexports_the_standard_library():
    import multiprocessing
    for name in multiprocessing.__all__:
        assert hasattr(mp, name), name
    assert mp.Process is multiprocessing.Process
    assert ember.multiprocessing is mp
    pytest.importorskip("torch")
    import torch.multiprocessing as tmp
    missing = [n for n in tmp.__all__ if not hasattr(mp, n)]
    assert missing == [], missing


def test_sharing_strategies():
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    try:
        mp.set_sharing_strategy("file_system")
        assert mp.get_sharing_strategy() == "file_system"
    finally:
        mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError, match="invalid sharing strategy 'x'"):
        mp.set_sharing_strategy("x")
    pytest.importorskip("torch")
    import torch.multiprocessing as tmp
    assert tmp.get_all_sharing_strategies() == mp.get_all_sharing_strategies()
    assert tmp.get_sharing_strategy() == mp.get_sharing_strategy()


# spawn targets: module level, so the children can import them
def _fill(i, t):
    t[i] = i + 1


def _fail(i):
    if i == 1:
        raise ValueError("child one failed")


def _exit(i):
    sys.exit(3 if i == 0 else 0)


@pytest.mark.skipif(os.name != "posix", reason="POSIX start methods")
def test_spawn_runs_fn_with_the_index_and_shared_args():
    t = ember.zeros(3)
    assert mp.spawn(_fill, args=(t,), nprocs=3) is None
    assert t.tolist() == [1., 2., 3.]          # the argument went over as shared memory
    ctx = mp.start_processes(_fill, args=(t,), nprocs=1, join=False, start_method="fork")
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 1
    while not ctx.join():
        pass


@pytest.mark.skipif(os.name != "posix", reason="POSIX start methods")
def test_spawn_reports_a_childs_exception_and_exit_code():
    with pytest.raises(mp.ProcessRaisedException) as e:
        mp.start_processes(_fail, nprocs=2, start_method="fork")
    assert e.value.error_index == 1
    assert str(e.value).startswith("\n\n-- Process 1 terminated with the following error:\n"
                                   "Traceback (most recent call last):")
    assert "ValueError: child one failed" in str(e.value)
    with pytest.raises(mp.ProcessExitedException,
                       match="^process 0 terminated with exit code 3$") as e:
        mp.start_processes(_exit, nprocs=2, start_method="fork")
    assert e.value.exit_code == 3 and e.value.error_index == 0


def test_spawn_warns_for_other_start_methods():
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        mp.spawn(_fill, args=(ember.zeros(1),), nprocs=1, start_method="fork")
