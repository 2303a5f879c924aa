"""Tensor.share_memory_ / is_shared (ember/_shared_memory.py): memory with no name, shared
with forked processes by inheritance and with spawned ones (or through queues and pipes) by
passing its file descriptor; freed when the last user lets go, leaving nothing behind."""
import gc
import multiprocessing
import os
import subprocess
import sys
import textwrap

import pytest

import ember
from ember import _shared_memory

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
posix = pytest.mark.skipif(os.name != "posix", reason="file descriptors are passed on POSIX")


def _open_fds():
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


def _child_update(t, p, q):
    """In the child: both tensors arrived shared, with their types; write into them."""
    q.put((t.is_shared(), type(p).__name__, p.requires_grad, p.is_shared()))
    t.mul_(10)
    p.data.add_(1)
    t[0] = -1


@posix
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_in_place_updates_cross_processes(method):
    x = ember.arange(6.)
    v = x[1:5]                              # a view: its bytes move, offset kept
    p = ember.nn.Parameter(ember.zeros(2, 2))
    v.share_memory_()
    p.share_memory_()
    ctx = multiprocessing.get_context(method)
    q = ctx.Queue()
    proc = ctx.Process(target=_child_update, args=(v, p, q))
    proc.start()
    assert q.get(timeout=60) == (True, "Parameter", True, True)
    proc.join(60)
    assert proc.exitcode == 0
    assert v.tolist() == [-1., 20., 30., 40.]
    assert p.tolist() == [[1., 1.], [1., 1.]]
    assert x.tolist() == [0., 1., 2., 3., 4., 5.]   # x kept the old memory (documented)


def test_share_memory_in_place_keeps_identity_and_graph_fields():
    w = ember.ones(3, requires_grad=True)
    before = w._version
    assert w.share_memory_() is w and w.is_shared()
    assert w.is_leaf and w.requires_grad and w._version == before
    arr = w._data
    assert w.share_memory_() is w and w._data is arr        # already shared: no copy
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2., 2., 2.] and not w.grad.is_shared()
    c = w.detach().clone()
    assert not c.is_shared()


def test_plain_pickle_and_deepcopy_copy_the_bytes():
    import copy
    import pickle
    t = ember.arange(4.).share_memory_()
    u = pickle.loads(pickle.dumps(t))
    d = copy.deepcopy(t)
    t.add_(1)
    assert u.tolist() == [0., 1., 2., 3.] and d.tolist() == [0., 1., 2., 3.]
    assert not u.is_shared() and not d.is_shared()


@posix
def test_forking_pickler_sends_a_handle_to_the_same_memory():
    from multiprocessing.reduction import ForkingPickler
    import ember.multiprocessing  # noqa: F401  (registers the reducers)
    t = ember.zeros(2, 3)
    assert not t.is_shared()
    u = ForkingPickler.loads(ForkingPickler.dumps(t[1]))   # a non-shared tensor moves
    assert u.is_shared() and u.shape == (3,)
    u.fill_(7)
    assert t[1].tolist() == [0., 0., 0.]      # t's view moved, not t (documented)
    s = ember.arange(6.).view(2, 3)
    back = ForkingPickler.loads(ForkingPickler.dumps(s.t()))
    assert s.is_shared() is False and back.stride() == (1, 3)


@posix
def test_a_buffer_received_twice_is_mapped_once():
    from multiprocessing.reduction import ForkingPickler
    import ember.multiprocessing  # noqa: F401
    t = ember.zeros(4).share_memory_()
    a = ForkingPickler.loads(ForkingPickler.dumps(t))
    b = ForkingPickler.loads(ForkingPickler.dumps(t))
    root_t = _shared_memory._lookup(t._data)[0]
    assert _shared_memory._lookup(a._data)[0] is root_t
    assert _shared_memory._lookup(b._data)[0] is root_t
    a[0] = 5
    assert t[0].item() == 5 and b[0].item() == 5


def test_non_leaf_requiring_grad_refuses_to_cross():
    from multiprocessing.reduction import ForkingPickler
    import ember.multiprocessing  # noqa: F401
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(y)
    torch = pytest.importorskip("torch")
    import torch.multiprocessing  # noqa: F401
    with pytest.raises(RuntimeError) as e:
        ForkingPickler.dumps(torch.ones(2, requires_grad=True) * 2)
    with pytest.raises(RuntimeError) as ee:
        ForkingPickler.dumps(y)
    assert str(ee.value) == str(e.value)


@posix
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_descriptor_closed_when_the_tensor_dies():
    gc.collect()
    n = _open_fds()
    t = ember.ones(1000).share_memory_()
    v = t[10:20]
    assert _open_fds() == n + 1
    del t
    gc.collect()
    assert _open_fds() == n + 1 and v.is_shared()      # the view keeps the memory
    del v
    gc.collect()
    assert _open_fds() == n


@posix
def test_no_named_memory_left_after_a_spawn_program(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing as mp
        import ember

        def child(t):
            t.add_(1)

        if __name__ == "__main__":
            ctx = mp.get_context("spawn")
            t = ember.zeros(100000).share_memory_()
            ps = [ctx.Process(target=child, args=(t,)) for _ in range(2)]
            for p in ps:
                p.start()
            for p in ps:
                p.join()
            print(t.sum().item())
    """))
    listing = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, PYTHONPATH=REPO))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "200000.0"
    if os.path.isdir("/dev/shm"):
        new = set(os.listdir("/dev/shm")) - listing
        assert not [n for n in new if n.startswith(("ember_shared", "psm_"))], new
