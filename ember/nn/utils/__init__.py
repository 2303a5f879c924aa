"""nn.utils: gradient clipping, parameter vectors, rnn packing, weight/spectral norm."""
from . import rnn
from . import clip_grad, convert_parameters, fusion, parametrizations, parametrize
# as in PyTorch, the names spectral_norm / weight_norm below are the functions, which
# shadow their submodules
from .clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm,
                        clip_grads_with_norm_)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,
                     fuse_linear_bn_weights)
from .spectral_norm import spectral_norm, remove_spectral_norm
from .weight_norm import weight_norm, remove_weight_norm
