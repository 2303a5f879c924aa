"""A first taste of ember: tensors, the NumPy bridge and autograd, as in the seed tutorials.

Run: python examples/quickstart.py
"""
import numpy as np

import ember as torch

a = torch.tensor([[1, 2, 3], [4, 5, 6]])
print(a)
print(torch.zeros(2, 3))
print(torch.full((2, 3), 3))
print(torch.ones_like(a, dtype=torch.float))

x = torch.rand(2, 3)
print(x.shape, x.dtype)
print(x + torch.ones(2, 3))

t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(t, n)                                  # shared memory: both changed
n = np.ones(5)
print(torch.from_numpy(n))

x = torch.tensor(3.5, requires_grad=True)
y = (x - 1) * (x - 2) * (x - 3)
y.backward()
print("dy/dx at 3.5:", x.grad)               # 3x^2 - 12x + 11 = 5.75

a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)
z = 2 * (2 * a + 3 * b) + 3 * (5 * a * a + 3 * b * b * b)
z.backward()
print("dz/da at a=2:", a.grad)               # 4 + 30a = 64

x = torch.tensor([[1., -1.], [1., 1.]], requires_grad=True)
out = x.pow(2).sum()
out.backward()
print(x.grad)
