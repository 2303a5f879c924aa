"""The tensor and autograd snippets of the seed tutorials (../shared/seeds), run with
`import ember as torch`; each checks what the tutorial says it prints."""
import numpy as np
import pytest

import ember as torch


def test_seed000_arithmetic(capsys):
    a = torch.tensor(2)
    b = torch.tensor(1)
    print(a + b)
    print(b - a)
    print(a * b)
    print(a / b)
    assert capsys.readouterr().out.split("\n")[:4] == ["tensor(3)", "tensor(-1)", "tensor(2)",
                                                       "tensor(2.)"]


def test_seed000_creation_and_item():
    z = torch.zeros([2, 4], dtype=torch.int32)
    assert repr(z) == "tensor([[0, 0, 0, 0],\n        [0, 0, 0, 0]], dtype=torch.int32)"
    assert torch.tensor([[1]]).item() == 1
    assert torch.tensor(2.5).item() == 2.5
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        torch.tensor([1, 2]).item()
    if not torch.cuda.is_available():
        with pytest.raises(AssertionError):
            torch.ones([2, 4], dtype=torch.float64, device=torch.device("cuda:0"))


def test_seed000_pow_sum_backward():
    x = torch.tensor([[1., -1.], [1., 1.]], requires_grad=True)
    out = x.pow(2).sum()
    out.backward()
    assert repr(x.grad) == "tensor([[ 2., -2.],\n        [ 2.,  2.]])"


def test_seed000_cubic(capsys):
    x = torch.tensor(3.5, requires_grad=True)
    y = (x - 1) * (x - 2) * (x - 3)
    y.backward()
    print(x.grad)
    assert capsys.readouterr().out == "tensor(5.7500)\n"


def test_seed000_graph_printout(capsys):
    x = torch.tensor(3.5, requires_grad=True)
    y = x * x
    z = 2 * y + 3
    print("x: ", x)
    print("y = x*x: ", y)
    print("z= 2*y + 3: ", z)
    z.backward()
    print("Working out gradients dz/dx")
    print("Gradient at x = 3.5: ", x.grad)
    assert capsys.readouterr().out == (
        "x:  tensor(3.5000, requires_grad=True)\n"
        "y = x*x:  tensor(12.2500, grad_fn=<MulBackward0>)\n"
        "z= 2*y + 3:  tensor(27.5000, grad_fn=<AddBackward0>)\n"
        "Working out gradients dz/dx\n"
        "Gradient at x = 3.5:  tensor(14.)\n")


def test_seed000_multipath(capsys):
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    x = 2 * a + 3 * b
    y = 5 * a * a + 3 * b * b * b
    z = 2 * x + 3 * y
    z.backward()
    print("Gradient at a=2.0:", a.grad)
    assert capsys.readouterr().out == "Gradient at a=2.0: tensor(64.)\n"


def test_seed000_sgd_snippet():
    import ember.optim as optim
    params = torch.tensor([1.0, 0.0], requires_grad=True)
    opt = optim.SGD([params], lr=1e-3)
    assert opt.param_groups[0]["lr"] == 1e-3


def test_seed004_creation():
    a = torch.tensor([[1, 2, 3], [4, 5, 6]])
    assert repr(a) == "tensor([[1, 2, 3],\n        [4, 5, 6]])"
    assert repr(torch.zeros(2, 3)) == "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"
    c = torch.full((2, 3), 3)
    assert repr(c) == "tensor([[3, 3, 3],\n        [3, 3, 3]])"
    d = torch.ones_like(a)
    assert repr(d) == "tensor([[1, 1, 1],\n        [1, 1, 1]])"
    assert torch.ones_like(a, dtype=torch.float).dtype == torch.float32


def test_seed004_attributes_and_ops():
    x = torch.rand(2, 3)
    assert repr(x.shape) == "torch.Size([2, 3])" and repr(x.size()) == "torch.Size([2, 3])"
    assert repr(x.dtype) == "torch.float32"
    np.testing.assert_allclose(x[:, 1].numpy(), x.numpy()[:, 1])
    np.testing.assert_allclose(torch.sum(x, dim=1).numpy(), x.numpy().sum(1), rtol=1e-6)
    y = torch.ones(2, 3)
    s = x + y
    np.testing.assert_allclose(torch.add(x, y).numpy(), s.numpy())
    before = x.numpy().copy()
    r = x.add_(y)
    assert r is x
    np.testing.assert_allclose(x.numpy(), before + 1)


def test_seed004_numpy_bridge(capsys):
    t = torch.ones(5)
    n = t.numpy()
    print(t)
    print(repr(n))
    n = np.ones(5)
    t = torch.from_numpy(n)
    print(t)
    assert capsys.readouterr().out == (
        "tensor([1., 1., 1., 1., 1.])\n"
        "array([1., 1., 1., 1., 1.], dtype=float32)\n"
        "tensor([1., 1., 1., 1., 1.], dtype=torch.float64)\n")


def test_seed004_autograd(capsys):
    x = torch.tensor(3., requires_grad=True)
    y = 3 * x ** 2
    y.backward()
    print(x.grad)
    x = torch.tensor(3., requires_grad=True)
    y = torch.tensor(4., requires_grad=True)
    z = 3 * x ** 2 + 2 * y ** 2
    z.backward()
    print(x.grad)
    print(y.grad)
    assert capsys.readouterr().out == "tensor(18.)\ntensor(18.)\ntensor(16.)\n"


def test_seed004_nonscalar_and_mean(capsys):
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    y = torch.tensor([2., 3., 4.], requires_grad=True)
    z = 3 * x ** 2 + 2 * y ** 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        z.backward()
    L = z.mean()
    L.backward()
    print(x.grad)
    print(y.grad)
    assert capsys.readouterr().out == "tensor([2., 4., 6.])\ntensor([2.6667, 4.0000, 5.3333])\n"


def test_seed004_external_grad():
    a = torch.tensor([2., 3.], requires_grad=True)
    b = torch.tensor([6., 4.], requires_grad=True)
    Q = 3 * a ** 3 - b ** 2
    external_grad = torch.tensor([1., 1.])
    Q.backward(gradient=external_grad)
    assert a.grad.tolist() == [36.0, 81.0]
    assert b.grad.tolist() == [-12.0, -8.0]


def test_seed001_tensor_snippets():
    pytorch_tensor = torch.Tensor(10, 20)
    assert pytorch_tensor.shape == (10, 20)
    numpy_tensor = pytorch_tensor.numpy()
    assert type(numpy_tensor) is np.ndarray and numpy_tensor.shape == (10, 20)
    assert torch.Tensor(numpy_tensor).shape == (10, 20)
    t = torch.rand(2, 4, 3, 5)
    a = t.numpy()
    np.testing.assert_array_equal(t[0, 1:3, :, 4].numpy(), a[0, 1:3, :, 4])
    t = t - 0.5
    a = t.numpy()
    np.testing.assert_array_equal(t[t > 0].numpy(), a[a > 0])
    assert t.view([6, 5, 4]).shape == (6, 5, 4)
    np.testing.assert_array_equal(t.view([6, 5, 4]).numpy(), a.reshape([6, 5, 4]))


def test_seed001_variables():
    from ember.autograd import Variable
    x = Variable(torch.randn(4, 1), requires_grad=False)
    w1 = Variable(torch.randn(5, 4), requires_grad=True)
    assert w1.data.shape == (5, 4) and w1.grad is None
    assert (w1 @ x).shape == (5, 1)


def test_seed001_cuda_query(capsys):
    cuda_gpu = torch.cuda.is_available()
    if cuda_gpu:
        print("Great, you have a GPU!")
    else:
        print("Life is short -- consider a GPU!")
    assert capsys.readouterr().out.strip() in ("Great, you have a GPU!",
                                               "Life is short -- consider a GPU!")


def test_seed003_variable_and_linspace():
    from ember.autograd import Variable
    tensor = torch.FloatTensor([[1, 2], [3, 4]])
    variable = Variable(tensor, requires_grad=True)
    assert torch.mean(tensor * tensor).item() == 7.5
    v_out = torch.mean(variable * variable)
    v_out.backward()
    assert variable.grad.tolist() == [[0.5, 1.0], [1.5, 2.0]]
    assert variable.data.numpy().tolist() == [[1, 2], [3, 4]]
    x = torch.unsqueeze(torch.linspace(-1, 1, 100), dim=1)
    assert x.shape == (100, 1)
    y = x.pow(2) + 0.2 * torch.rand(x.size())
    assert y.shape == (100, 1)
    n_data = torch.ones(100, 2)
    x0 = torch.normal(2 * n_data, 1)
    y0 = torch.zeros(100)
    x1 = torch.normal(-2 * n_data, 1)
    y1 = torch.ones(100)
    x = torch.cat((x0, x1), 0).type(torch.FloatTensor)
    y = torch.cat((y0, y1), ).type(torch.LongTensor)
    assert x.shape == (200, 2) and x.dtype == torch.float32
    assert y.shape == (200,) and y.dtype == torch.int64
