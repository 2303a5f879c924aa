"""ember.nn.parallel.data_parallel: the functional DataParallel (a function, as in PyTorch,
not the data_parallel submodule)."""
import pytest

import ember
from ember.nn.parallel import data_parallel


def test_data_parallel_is_the_function():
    assert callable(ember.nn.parallel.data_parallel) and data_parallel.__name__ == "data_parallel"
    assert "data_parallel" in ember.nn.parallel.__all__


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the no-GPU error")
def test_data_parallel_without_gpu_raises_like_torch():
    with pytest.raises(RuntimeError) as ours:
        data_parallel(ember.nn.Linear(2, 2), ember.ones(1, 2))
    assert str(ours.value) == "device type could not be determined"
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        return
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.parallel.data_parallel(torch.nn.Linear(2, 2), torch.ones(1, 2))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a GPU")
def test_data_parallel_one_gpu():
    ember.manual_seed(0)
    m = ember.nn.Linear(3, 2)
    x = ember.randn(4, 3)
    with pytest.raises(RuntimeError, match=r"module must have its parameters and buffers on "
                                           r"device cuda:0 \(device_ids\[0\]\) but found one "
                                           r"of them on device: cpu"):
        data_parallel(m, x)
    m = m.cuda()
    out = data_parallel(m, x)                       # the input moves to device_ids[0]
    assert out.device == ember.device("cuda", 0)
    assert ember.allclose(out.cpu(), m(x.cuda()).cpu())
    out = data_parallel(m, (x,), device_ids=[0], output_device=0)
    assert out.device == ember.device("cuda", 0)
