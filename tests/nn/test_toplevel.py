"""nn ops PyTorch exposes at top level (torch.softmax, torch.dropout, torch.conv2d, ...) and
as Tensor methods (x.softmax), with their top-level signatures."""
import numpy as np
import pytest

import ember
from tests.conformance.harness import check_op

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)).astype(np.float32)
IMG = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
W = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)


@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.softmax(x, 1),
    lambda lib, x: lib.log_softmax(x, 0),
    lambda lib, x: x.softmax(-1),
    lambda lib, x: x.log_softmax(dim=1),
    lambda lib, x: lib.softmax(x, 1, lib.float64),
    lambda lib, x: lib.dropout(x, 0.3, False),
    lambda lib, x: lib.selu(x),
    lambda lib, x: lib.celu(x, 0.5),
    lambda lib, x: lib.threshold(x, 0.1, 20.0),
    lambda lib, x: lib.hardshrink(x, 0.3),
    lambda lib, x: x.hardshrink(),
    lambda lib, x: lib.rrelu(x),
    lambda lib, x: lib.pdist(x),
    lambda lib, x: lib.cosine_similarity(x, x * 2 + 1),
    lambda lib, x: lib.layer_norm(x, (5,)),
    lambda lib, x: lib.group_norm(x.reshape(2, 2, 5), 1),
    lambda lib, x: lib.constant_pad_nd(x, (1, 2), 3.0),
    lambda lib, x: lib.kl_div(x.log_softmax(1), x.softmax(1), 2),
    lambda lib, x: lib.binary_cross_entropy_with_logits(x, (x > 0).float(), None, None, 0),
    lambda lib, x: lib.hinge_embedding_loss(x, (x > 0).float() * 2 - 1),
    lambda lib, x: lib.hinge_embedding_loss(x, (x > 0).float() * 2 - 1, 1.0, 1),
    lambda lib, x: lib.kl_div(x.log_softmax(1), x.softmax(1)),
    lambda lib, x: lib.triplet_margin_loss(x, x * 2, x + 1),
    lambda lib, x: lib.margin_ranking_loss(x, x * 2, (x > 0).float() * 2 - 1),
])
def test_matches_torch(fn):
    check_op(fn, [X])


def test_conv_pool_norm_embedding():
    check_op(lambda lib, x, w: lib.max_pool2d(lib.conv2d(x, w, None, 1, 1), 2), [IMG, W])
    check_op(lambda lib, x: lib.batch_norm(x, None, None, lib.zeros(3), lib.ones(3), False, 0.1,
                                           1e-5, True), [IMG])
    check_op(lambda lib, x: lib.adaptive_max_pool1d(x.reshape(2, 3, 64), 4), [IMG])
    idx = np.array([[0, 2], [3, 1]])
    check_op(lambda lib, w, i: lib.embedding(w, i), [X, idx])
    check_op(lambda lib, w, i: lib.embedding(w, i, 2), [X, idx])


def test_dropout_train_flag():
    x = ember.ones(1000)
    assert ember.dropout(x, 0.5, False).tolist() == x.tolist()
    y = ember.dropout(x, 0.5, True)
    assert 300 < int((y == 0).sum()) < 700
