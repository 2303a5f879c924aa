import numpy as np
import pytest

from .harness import check_op, gradcheck_op


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)),
                                    ((), (3,))])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary(op, shapes, rng):
    a = rng.standard_normal(shapes[0]).astype(np.float32)
    b = rng.standard_normal(shapes[1]).astype(np.float32) + 3
    check_op(lambda lib, x, y: getattr(lib, op)(x, y), [a, b])
    gradcheck_op(lambda lib, x, y: getattr(lib, op)(x, y), [a, b], gradgrad=True)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                                   ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))])
def test_matmul(sa, sb, rng):
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    check_op(lambda lib, x, y: lib.matmul(x, y), [a, b])
    gradcheck_op(lambda lib, x, y: lib.matmul(x, y), [a, b], gradgrad=True)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_broadcast_mismatch_message(op):
    import ember
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of "
                                           "tensor b \\(4\\) at non-singleton dimension 1"):
        getattr(ember, op)(ember.ones(2, 3), ember.ones(4))
