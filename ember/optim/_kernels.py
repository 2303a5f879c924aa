"""In-place array updates shared by the optimizers (NumPy or CuPy arrays, never Tensors).

Each helper follows the order of operations of the PyTorch op it stands for (`lerp_`,
`addcmul_`, `addcdiv_`, `add_(alpha=)`), so trajectories agree with PyTorch's to rounding.
Python-float coefficients stay weakly typed under NumPy 2 (NEP 50): a float32 array is
updated in float32, as PyTorch does with a Scalar argument.
"""
import numpy as np

from ..ops._util import xp_of


def xp_for(a):
    return np if a.__class__ is np.ndarray else xp_of(a)


def view(a):
    """The array an update works on: complex arrays through their real view (PyTorch's
    `view_as_real`), 0-dim arrays as 1-element views (NumPy ufuncs return scalars, not
    arrays, for 0-dim inputs, and those can't be updated in place)."""
    if a.ndim == 0:
        a = a.reshape(1)
    return a.view(a.real.dtype) if a.dtype.kind == "c" else a


def grad_with(xp, g, p, maximize, weight_decay):
    """The gradient an update uses: negated under `maximize`, plus `weight_decay * p`. A new
    array whenever it differs from the stored gradient, which is never modified."""
    if maximize:
        g = xp.negative(g)
    if weight_decay != 0:
        t = xp.multiply(p, weight_decay)
        xp.add(g, t, out=t)
        g = t
    return g


def add_(xp, a, b, alpha):
    """a += alpha * b  (`a.add_(b, alpha=alpha)`)."""
    if alpha == 1:
        xp.add(a, b, out=a)
    elif alpha == -1:
        xp.subtract(a, b, out=a)
    else:
        xp.add(a, xp.multiply(b, alpha), out=a)


def lerp_(xp, a, b, w):
    """a = lerp(a, b, w) with PyTorch's two-sided formula (exact at w = 0 and w = 1)."""
    t = xp.subtract(b, a)
    if abs(w) < 0.5:
        xp.multiply(t, w, out=t)
        xp.add(a, t, out=a)
    else:
        xp.multiply(t, 1 - a.dtype.type(w), out=t)
        xp.subtract(b, t, out=a)


def addcmul_(xp, a, t1, t2, value):
    """a += value * t1 * t2."""
    t = xp.multiply(t1, value) if value != 1 else xp.multiply(t1, t2)
    if value != 1:
        xp.multiply(t, t2, out=t)
    xp.add(a, t, out=a)


def addcdiv_(xp, a, t1, t2, value):
    """a += value * t1 / t2."""
    if value != 1:
        t = xp.multiply(t1, value)
        xp.divide(t, t2, out=t)
    else:
        t = xp.divide(t1, t2)
    xp.add(a, t, out=a)
