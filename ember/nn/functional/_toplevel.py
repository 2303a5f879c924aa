"""The nn ops PyTorch also exposes at top level (`torch.softmax`, `torch.conv2d`,
`torch.dropout`, ...). Where the top-level signature differs from `nn.functional`'s
(`torch.dropout(input, p, train)`, `torch.embedding(weight, indices)`, integer reduction codes
in losses, `torch.batch_norm`'s argument order), a thin adapter maps it; the rest are the
functional forms themselves. `ember/__init__.py` re-exports `__all__`."""
import sys

from . import activation, conv, loss, normalization, pooling, vision

# `linear` the submodule, not F.linear the function (the package re-exports the function
# under the same name)
linear = sys.modules[__package__ + ".linear"]

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(r):
    return _REDUCTIONS[r] if isinstance(r, int) else r


def _stride(s):
    return None if (s is None or (isinstance(s, (list, tuple)) and len(s) == 0)) else s


# ---------------------------------------------------------------- activations
def relu(input):
    """torch.relu: the same fast kernel as F.relu (ops.unary's relu is its fallback)."""
    return activation.relu(input)


def softmax(input, dim, dtype=None, *, _stacklevel=3):
    return activation.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    return activation.log_softmax(input, dim, dtype=dtype)


def selu(input):
    return activation.selu(input)


def selu_(input):
    return activation.selu_(input)


def celu(input, alpha=1.0):
    return activation.celu(input, alpha)


def celu_(input, alpha=1.0):
    return activation.celu_(input, alpha)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return activation.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return activation.rrelu_(input, lower, upper, training)


def threshold(input, threshold, value):
    return activation.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return activation.threshold_(input, threshold, value)


prelu = activation.prelu
hardshrink = activation.hardshrink


# ---------------------------------------------------------------- dropout (train, not training)
def dropout(input, p, train):
    return linear.dropout(input, p, train)


def dropout_(input, p, train):
    return linear.dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    return linear.alpha_dropout(input, p, train)


def feature_dropout(input, p, train):
    return linear.dropout2d(input, p, train) if input.ndim != 3 else \
        linear.dropout1d(input, p, train)


def feature_alpha_dropout(input, p, train):
    return linear.feature_alpha_dropout(input, p, train)


# ---------------------------------------------------------------- linear family
bilinear = linear.bilinear
cosine_similarity = linear.cosine_similarity
pairwise_distance = linear.pairwise_distance
pdist = linear.pdist


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return linear.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                            scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


# ---------------------------------------------------------------- conv and pooling
conv1d, conv2d, conv3d = conv.conv1d, conv.conv2d, conv.conv3d
conv_transpose1d = conv.conv_transpose1d
conv_transpose2d = conv.conv_transpose2d
conv_transpose3d = conv.conv_transpose3d


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return pooling.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return pooling.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return pooling.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


avg_pool1d = pooling.avg_pool1d
adaptive_avg_pool1d = pooling.adaptive_avg_pool1d


def adaptive_max_pool1d(input, output_size):
    return pooling.adaptive_max_pool1d(input, output_size, return_indices=True)


pixel_shuffle, pixel_unshuffle = vision.pixel_shuffle, vision.pixel_unshuffle
channel_shuffle = vision.channel_shuffle


def constant_pad_nd(input, pad, value=0):
    return vision.pad(input, pad, mode="constant", value=value)


# ---------------------------------------------------------------- normalization
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True):
    return normalization.batch_norm(input, running_mean, running_var, weight, bias, training,
                                    momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled=True):
    return normalization.instance_norm(input, running_mean, running_var, weight, bias,
                                       use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return normalization.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return normalization.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return normalization.rms_norm(input, normalized_shape, weight, eps)


# ---------------------------------------------------------------- losses
# The top-level aten forms take the reduction as an int code and default to 0 ('none'),
# unlike nn.functional's 'mean' (checked against torch 2.13).
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return loss.binary_cross_entropy_with_logits(input, target, weight,
                                                 reduction=_reduction(reduction),
                                                 pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return loss.cosine_embedding_loss(input1, input2, target, margin,
                                      reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return loss.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def kl_div(input, target, reduction=0, *, log_target=False):
    return loss.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return loss.margin_ranking_loss(input1, input2, target, margin,
                                    reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return loss.poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        reduction=0):
    return loss.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    return loss.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                         reduction=_reduction(reduction), zero_infinity=zero_infinity)


__all__ = [
    "relu",
    "softmax", "log_softmax", "selu", "selu_", "celu", "celu_", "rrelu", "rrelu_",
    "threshold", "threshold_", "prelu", "hardshrink", "dropout", "dropout_", "alpha_dropout",
    "feature_dropout", "feature_alpha_dropout", "bilinear", "cosine_similarity",
    "pairwise_distance", "pdist", "embedding", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "max_pool1d", "max_pool2d",
    "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "constant_pad_nd", "batch_norm", "instance_norm",
    "layer_norm", "group_norm", "rms_norm", "binary_cross_entropy_with_logits",
    "cosine_embedding_loss", "hinge_embedding_loss", "kl_div", "margin_ranking_loss",
    "poisson_nll_loss", "triplet_margin_loss", "ctc_loss",
]
