"""The method table: every Tensor method that is an op, bound in one place.

"Where is Tensor.relu?" is answered by grepping this file. Sections follow ember/ops/ modules;
each line binds a function whose first argument is the tensor.
"""
from .tensor import Tensor
from .ops import (arith, blas, compare, convert, creation, index, pointwise, random, reduce,
                  shape, unary)

# ---------------------------------------------------------------- convert
Tensor.to = convert.to
Tensor.cpu = convert.cpu
Tensor.cuda = convert.cuda
Tensor.float = convert.float_
Tensor.double = convert.double
Tensor.half = convert.half
Tensor.bfloat16 = convert.bfloat16
Tensor.int = convert.int_
Tensor.long = convert.long
Tensor.short = convert.short
Tensor.char = convert.char
Tensor.byte = convert.byte
Tensor.bool = convert.bool_
Tensor.cfloat = convert.cfloat
Tensor.cdouble = convert.cdouble
Tensor.type_as = convert.type_as
Tensor.clone = convert.clone
Tensor.contiguous = convert.contiguous

# ---------------------------------------------------------------- arith
Tensor.add = arith.add
Tensor.add_ = arith.add_
Tensor.__add__ = arith.add
Tensor.__radd__ = lambda self, other: arith.add(other, self)
Tensor.__iadd__ = arith.add_
Tensor.sub = Tensor.subtract = arith.sub
Tensor.sub_ = Tensor.subtract_ = arith.sub_
Tensor.__sub__ = arith.sub
Tensor.__rsub__ = lambda self, other: arith.sub(other, self)
Tensor.__isub__ = arith.sub_
Tensor.mul = Tensor.multiply = arith.mul
Tensor.mul_ = Tensor.multiply_ = arith.mul_
Tensor.__mul__ = arith.mul
Tensor.__rmul__ = lambda self, other: arith.mul(other, self)
Tensor.__imul__ = arith.mul_
Tensor.div = Tensor.divide = arith.div
Tensor.div_ = Tensor.divide_ = arith.div_
Tensor.true_divide = arith.true_divide
Tensor.__truediv__ = arith.div
Tensor.__rtruediv__ = lambda self, other: arith.div(other, self)
Tensor.__itruediv__ = arith.div_
Tensor.neg = Tensor.negative = arith.neg
Tensor.neg_ = Tensor.negative_ = arith.neg_
Tensor.__neg__ = arith.neg

# ---------------------------------------------------------------- creation
Tensor.new_tensor = creation.new_tensor
Tensor.new_zeros = creation.new_zeros
Tensor.new_ones = creation.new_ones
Tensor.new_empty = creation.new_empty
Tensor.new_full = creation.new_full
Tensor.new_empty_strided = creation.new_empty_strided

# ---------------------------------------------------------------- reduce
Tensor.sum = reduce.sum
Tensor.mean = reduce.mean
Tensor.nansum = reduce.nansum
Tensor.nanmean = reduce.nanmean
Tensor.prod = reduce.prod
Tensor.std = reduce.std
Tensor.var = reduce.var
Tensor.max = reduce.max
Tensor.min = reduce.min
Tensor.amax = reduce.amax
Tensor.amin = reduce.amin
Tensor.aminmax = reduce.aminmax
Tensor.argmax = reduce.argmax
Tensor.argmin = reduce.argmin
Tensor.all = reduce.all
Tensor.any = reduce.any
Tensor.norm = reduce.norm
Tensor.logsumexp = reduce.logsumexp
Tensor.cumsum = reduce.cumsum
Tensor.cumsum_ = reduce.cumsum_
Tensor.cumprod = reduce.cumprod
Tensor.cumprod_ = reduce.cumprod_
Tensor.cummax = reduce.cummax
Tensor.cummin = reduce.cummin
Tensor.logcumsumexp = reduce.logcumsumexp
Tensor.median = reduce.median
Tensor.nanmedian = reduce.nanmedian
Tensor.mode = reduce.mode
Tensor.quantile = reduce.quantile
Tensor.nanquantile = reduce.nanquantile
Tensor.count_nonzero = reduce.count_nonzero
Tensor.diff = reduce.diff
Tensor.histc = reduce.histc
Tensor.bincount = reduce.bincount

# ---------------------------------------------------------------- shape
Tensor.view = shape.view
Tensor.view_as = shape.view_as
Tensor.reshape = shape.reshape
Tensor.reshape_as = shape.reshape_as
Tensor.expand = shape.expand
Tensor.expand_as = shape.expand_as
Tensor.broadcast_to = shape.broadcast_to
Tensor.permute = shape.permute
Tensor.transpose = shape.transpose
Tensor.swapaxes = Tensor.swapdims = shape.transpose
Tensor.t = shape.t
Tensor.T = property(shape._T)
Tensor.mT = property(shape._mT)
Tensor.H = property(shape._H)
Tensor.mH = property(shape._mH)
Tensor.adjoint = shape.adjoint
Tensor.unsqueeze = shape.unsqueeze
Tensor.squeeze = shape.squeeze
Tensor.t_ = shape.t_
Tensor.transpose_ = shape.transpose_
Tensor.swapaxes_ = Tensor.swapdims_ = shape.transpose_
Tensor.squeeze_ = shape.squeeze_
Tensor.unsqueeze_ = shape.unsqueeze_
Tensor.resize_ = shape.resize_
Tensor.resize_as_ = shape.resize_as_
Tensor.flatten = shape.flatten
Tensor.unflatten = shape.unflatten
Tensor.ravel = shape.ravel
Tensor.movedim = Tensor.moveaxis = shape.movedim
Tensor.repeat = shape.repeat
Tensor.repeat_interleave = shape.repeat_interleave
Tensor.tile = shape.tile
Tensor.split = shape._split_method
Tensor.chunk = shape.chunk
Tensor.tensor_split = shape.tensor_split
Tensor.hsplit = shape.hsplit
Tensor.vsplit = shape.vsplit
Tensor.dsplit = shape.dsplit
Tensor.unbind = shape.unbind
Tensor.narrow = shape.narrow
Tensor.narrow_copy = shape.narrow_copy
Tensor.select = shape.select
Tensor.flip = shape.flip
Tensor.fliplr = shape.fliplr
Tensor.flipud = shape.flipud
Tensor.roll = shape.roll
Tensor.rot90 = shape.rot90
Tensor.tril = shape._tril_method
Tensor.triu = shape._triu_method
Tensor.tril_ = shape.tril_
Tensor.triu_ = shape.triu_
Tensor.diagonal = shape.diagonal
Tensor.diag_embed = shape.diag_embed
Tensor.diag = shape.diag
Tensor.diagflat = shape.diagflat
Tensor.trace = shape.trace
Tensor.unfold = shape.unfold
Tensor.as_strided = shape.as_strided
Tensor.kron = shape.kron

# ---------------------------------------------------------------- blas
Tensor.matmul = blas.matmul
Tensor.__matmul__ = blas.matmul
Tensor.__rmatmul__ = lambda self, other: blas.matmul(other, self)
Tensor.mm = blas.mm
Tensor.bmm = blas.bmm
Tensor.mv = blas.mv
Tensor.dot = blas.dot
Tensor.vdot = blas.vdot
Tensor.inner = blas.inner
Tensor.outer = Tensor.ger = blas.outer
Tensor.addmm = blas.addmm
Tensor.addmm_ = blas.addmm_
Tensor.addbmm = blas.addbmm
Tensor.addbmm_ = blas.addbmm_
Tensor.baddbmm = blas.baddbmm
Tensor.baddbmm_ = blas.baddbmm_
Tensor.addmv = blas.addmv
Tensor.addmv_ = blas.addmv_
Tensor.addr = blas.addr
Tensor.addr_ = blas.addr_
Tensor.cross = blas.cross
Tensor.matrix_power = blas.matrix_power

# ---------------------------------------------------------------- pointwise
Tensor.floor_divide = pointwise.floor_divide
Tensor.floor_divide_ = pointwise.floor_divide_
Tensor.__floordiv__ = pointwise.floor_divide
Tensor.__rfloordiv__ = pointwise._rfloordiv
Tensor.__ifloordiv__ = pointwise.floor_divide_
Tensor.remainder = pointwise.remainder
Tensor.remainder_ = pointwise.remainder_
Tensor.__mod__ = pointwise.remainder
Tensor.__rmod__ = pointwise._rmod
Tensor.__imod__ = pointwise.remainder_
Tensor.fmod = pointwise.fmod
Tensor.fmod_ = pointwise.fmod_
Tensor.pow = pointwise.pow
Tensor.pow_ = pointwise.pow_
Tensor.__pow__ = pointwise.pow
Tensor.__rpow__ = pointwise._rpow
Tensor.__ipow__ = pointwise.pow_
Tensor.float_power = pointwise.float_power
Tensor.float_power_ = pointwise.float_power_
Tensor.maximum = pointwise.maximum
Tensor.minimum = pointwise.minimum
Tensor.fmax = pointwise.fmax
Tensor.fmin = pointwise.fmin
Tensor.atan2 = Tensor.arctan2 = pointwise.atan2
Tensor.atan2_ = Tensor.arctan2_ = pointwise.atan2_
Tensor.hypot = pointwise.hypot
Tensor.hypot_ = pointwise.hypot_
Tensor.logaddexp = pointwise.logaddexp
Tensor.logaddexp2 = pointwise.logaddexp2
Tensor.xlogy = pointwise.xlogy
Tensor.xlogy_ = pointwise.xlogy_
Tensor.copysign = pointwise.copysign
Tensor.copysign_ = pointwise.copysign_
Tensor.ldexp = pointwise.ldexp
Tensor.ldexp_ = pointwise.ldexp_
Tensor.lerp = pointwise.lerp
Tensor.lerp_ = pointwise.lerp_
Tensor.addcmul = pointwise.addcmul
Tensor.addcmul_ = pointwise.addcmul_
Tensor.addcdiv = pointwise.addcdiv
Tensor.addcdiv_ = pointwise.addcdiv_
Tensor.clamp = Tensor.clip = pointwise.clamp
Tensor.clamp_ = Tensor.clip_ = pointwise.clamp_
Tensor.clamp_min = pointwise.clamp_min
Tensor.clamp_min_ = pointwise.clamp_min_
Tensor.clamp_max = pointwise.clamp_max
Tensor.clamp_max_ = pointwise.clamp_max_
Tensor.bitwise_and = Tensor.__and__ = pointwise.bitwise_and
Tensor.bitwise_and_ = Tensor.__iand__ = pointwise.bitwise_and_
Tensor.__rand__ = pointwise._rand
Tensor.bitwise_or = Tensor.__or__ = pointwise.bitwise_or
Tensor.bitwise_or_ = Tensor.__ior__ = pointwise.bitwise_or_
Tensor.__ror__ = pointwise._ror
Tensor.bitwise_xor = Tensor.__xor__ = pointwise.bitwise_xor
Tensor.bitwise_xor_ = Tensor.__ixor__ = pointwise.bitwise_xor_
Tensor.__rxor__ = pointwise._rxor
Tensor.bitwise_not = pointwise.bitwise_not
Tensor.bitwise_not_ = pointwise.bitwise_not_
Tensor.__invert__ = pointwise._invert_op
Tensor.bitwise_left_shift = Tensor.__lshift__ = pointwise.bitwise_left_shift
Tensor.bitwise_left_shift_ = Tensor.__ilshift__ = pointwise.bitwise_left_shift_
Tensor.__rlshift__ = pointwise._rlshift
Tensor.bitwise_right_shift = Tensor.__rshift__ = pointwise.bitwise_right_shift
Tensor.bitwise_right_shift_ = Tensor.__irshift__ = pointwise.bitwise_right_shift_
Tensor.__rrshift__ = pointwise._rrshift
Tensor.logical_and = pointwise.logical_and
Tensor.logical_and_ = pointwise.logical_and_
Tensor.logical_or = pointwise.logical_or
Tensor.logical_or_ = pointwise.logical_or_
Tensor.logical_xor = pointwise.logical_xor
Tensor.logical_xor_ = pointwise.logical_xor_
Tensor.logical_not = pointwise.logical_not
Tensor.logical_not_ = pointwise.logical_not_
Tensor.nan_to_num = pointwise.nan_to_num
Tensor.nan_to_num_ = pointwise.nan_to_num_
Tensor.heaviside = pointwise.heaviside
Tensor.heaviside_ = pointwise.heaviside_

# ---------------------------------------------------------------- unary
Tensor.abs = Tensor.absolute = unary.abs
Tensor.abs_ = unary.abs_
Tensor.absolute_ = unary.absolute_
Tensor.__abs__ = unary.abs
Tensor.__pos__ = unary.positive
Tensor.positive = unary.positive
Tensor.sign = unary.sign
Tensor.sign_ = unary.sign_
Tensor.sgn = unary.sgn
Tensor.sgn_ = unary.sgn_
Tensor.reciprocal = unary.reciprocal
Tensor.reciprocal_ = unary.reciprocal_
Tensor.sqrt = unary.sqrt
Tensor.sqrt_ = unary.sqrt_
Tensor.rsqrt = unary.rsqrt
Tensor.rsqrt_ = unary.rsqrt_
Tensor.square = unary.square
Tensor.square_ = unary.square_
Tensor.exp = unary.exp
Tensor.exp_ = unary.exp_
Tensor.exp2 = unary.exp2
Tensor.exp2_ = unary.exp2_
Tensor.expm1 = unary.expm1
Tensor.expm1_ = unary.expm1_
Tensor.log = unary.log
Tensor.log_ = unary.log_
Tensor.log2 = unary.log2
Tensor.log2_ = unary.log2_
Tensor.log10 = unary.log10
Tensor.log10_ = unary.log10_
Tensor.log1p = unary.log1p
Tensor.log1p_ = unary.log1p_
Tensor.sin = unary.sin
Tensor.sin_ = unary.sin_
Tensor.cos = unary.cos
Tensor.cos_ = unary.cos_
Tensor.tan = unary.tan
Tensor.tan_ = unary.tan_
Tensor.asin = Tensor.arcsin = unary.asin
Tensor.asin_ = Tensor.arcsin_ = unary.asin_
Tensor.acos = Tensor.arccos = unary.acos
Tensor.acos_ = Tensor.arccos_ = unary.acos_
Tensor.atan = Tensor.arctan = unary.atan
Tensor.atan_ = Tensor.arctan_ = unary.atan_
Tensor.sinh = unary.sinh
Tensor.sinh_ = unary.sinh_
Tensor.cosh = unary.cosh
Tensor.cosh_ = unary.cosh_
Tensor.tanh = unary.tanh
Tensor.tanh_ = unary.tanh_
Tensor.asinh = Tensor.arcsinh = unary.asinh
Tensor.asinh_ = Tensor.arcsinh_ = unary.asinh_
Tensor.acosh = Tensor.arccosh = unary.acosh
Tensor.acosh_ = Tensor.arccosh_ = unary.acosh_
Tensor.atanh = Tensor.arctanh = unary.atanh
Tensor.atanh_ = Tensor.arctanh_ = unary.atanh_
Tensor.sigmoid = unary.sigmoid
Tensor.sigmoid_ = unary.sigmoid_
Tensor.logit = unary.logit
Tensor.logit_ = unary.logit_
Tensor.erf = unary.erf
Tensor.erf_ = unary.erf_
Tensor.erfc = unary.erfc
Tensor.erfc_ = unary.erfc_
Tensor.erfinv = unary.erfinv
Tensor.erfinv_ = unary.erfinv_
Tensor.lgamma = unary.lgamma
Tensor.lgamma_ = unary.lgamma_
Tensor.digamma = unary.digamma
Tensor.digamma_ = unary.digamma_
Tensor.polygamma = lambda self, n: unary.polygamma(n, self)
Tensor.polygamma_ = unary.polygamma_
Tensor.mvlgamma = unary.mvlgamma
Tensor.mvlgamma_ = unary.mvlgamma_
Tensor.i0 = unary.i0
Tensor.i0_ = unary.i0_
Tensor.sinc = unary.sinc
Tensor.sinc_ = unary.sinc_
Tensor.floor = unary.floor
Tensor.floor_ = unary.floor_
Tensor.ceil = unary.ceil
Tensor.ceil_ = unary.ceil_
Tensor.round = unary.round
Tensor.round_ = unary.round_
Tensor.trunc = Tensor.fix = unary.trunc
Tensor.trunc_ = Tensor.fix_ = unary.trunc_
Tensor.frac = unary.frac
Tensor.frac_ = unary.frac_
Tensor.relu = unary.relu
Tensor.relu_ = unary.relu_
Tensor.conj = unary.conj
Tensor.conj_physical = unary.conj_physical
Tensor.conj_physical_ = unary.conj_physical_
Tensor.resolve_conj = unary.resolve_conj
Tensor.resolve_neg = unary.resolve_neg
Tensor.is_conj = unary.is_conj
Tensor.is_neg = unary.is_neg
Tensor.real = property(unary.real, unary._set_real)
Tensor.imag = property(unary.imag, unary._set_imag)
Tensor.angle = unary.angle
Tensor.deg2rad = unary.deg2rad
Tensor.deg2rad_ = unary.deg2rad_
Tensor.rad2deg = unary.rad2deg
Tensor.rad2deg_ = unary.rad2deg_
Tensor.signbit = unary.signbit

# ---------------------------------------------------------------- index
Tensor.__getitem__ = index.getitem
Tensor.__setitem__ = index.setitem
Tensor.index_select = index.index_select
Tensor.masked_select = index.masked_select
Tensor.masked_fill = index.masked_fill
Tensor.masked_fill_ = index.masked_fill_
Tensor.masked_scatter = index.masked_scatter
Tensor.masked_scatter_ = index.masked_scatter_
Tensor.gather = index.gather
Tensor.scatter = index.scatter
Tensor.scatter_ = index.scatter_
Tensor.scatter_add = index.scatter_add
Tensor.scatter_add_ = index.scatter_add_
Tensor.scatter_reduce = index.scatter_reduce
Tensor.scatter_reduce_ = index.scatter_reduce_
Tensor.index_add = index.index_add
Tensor.index_add_ = index.index_add_
Tensor.index_copy = index.index_copy
Tensor.index_copy_ = index.index_copy_
Tensor.index_fill = index.index_fill
Tensor.index_fill_ = index.index_fill_
Tensor.index_put = index.index_put
Tensor.index_put_ = index.index_put_
Tensor.index_reduce = index.index_reduce
Tensor.index_reduce_ = index.index_reduce_
Tensor.take = index.take
Tensor.take_along_dim = index.take_along_dim
Tensor.put = index.put
Tensor.put_ = index.put_
Tensor.nonzero = index.nonzero
Tensor.argwhere = index.argwhere
Tensor.where = index._tensor_where
Tensor.fill_ = index.fill_
Tensor.zero_ = index.zero_
Tensor.copy_ = index.copy_

# ---------------------------------------------------------------- compare
Tensor.eq = compare.eq
Tensor.ne = Tensor.not_equal = compare.ne
Tensor.lt = Tensor.less = compare.lt
Tensor.le = Tensor.less_equal = compare.le
Tensor.gt = Tensor.greater = compare.gt
Tensor.ge = Tensor.greater_equal = compare.ge
Tensor.eq_ = compare.eq_
Tensor.ne_ = Tensor.not_equal_ = compare.ne_
Tensor.lt_ = Tensor.less_ = compare.lt_
Tensor.le_ = Tensor.less_equal_ = compare.le_
Tensor.gt_ = Tensor.greater_ = compare.gt_
Tensor.ge_ = Tensor.greater_equal_ = compare.ge_
# Assigning __eq__ after the class exists keeps Tensor.__hash__ (identity), as PyTorch's does.
Tensor.__eq__ = compare.__eq__
Tensor.__ne__ = compare.__ne__
Tensor.__lt__ = compare.__lt__
Tensor.__le__ = compare.__le__
Tensor.__gt__ = compare.__gt__
Tensor.__ge__ = compare.__ge__
Tensor.isclose = compare.isclose
Tensor.allclose = compare.allclose
Tensor.equal = compare.equal
Tensor.isnan = compare.isnan
Tensor.isinf = compare.isinf
Tensor.isfinite = compare.isfinite
Tensor.isposinf = compare.isposinf
Tensor.isneginf = compare.isneginf
Tensor.isreal = compare.isreal
Tensor.sort = compare.sort
Tensor.argsort = compare.argsort
Tensor.msort = compare.msort
Tensor.topk = compare.topk
Tensor.kthvalue = compare.kthvalue
Tensor.unique = compare.unique
Tensor.unique_consecutive = compare.unique_consecutive

# ---------------------------------------------------------------- random
Tensor.uniform_ = random.uniform_
Tensor.normal_ = random.normal_
Tensor.random_ = random.random_
Tensor.bernoulli = random.bernoulli_method
Tensor.bernoulli_ = random.bernoulli_
Tensor.exponential_ = random.exponential_
Tensor.geometric_ = random.geometric_
Tensor.cauchy_ = random.cauchy_
Tensor.log_normal_ = random.log_normal_
Tensor.multinomial = random.multinomial

# ---------------------------------------------------------------- nn
# Tensor methods PyTorch defines whose implementations live in ember.nn.functional
from .nn.functional import _toplevel as _nn  # noqa: E402  (nn sits above the ops layer)
Tensor.softmax = lambda self, dim, dtype=None: _nn.softmax(self, dim, dtype)
Tensor.log_softmax = lambda self, dim, dtype=None: _nn.log_softmax(self, dim, dtype)
Tensor.prelu = _nn.prelu
Tensor.relu = _nn.relu   # replaces unary.relu bound above: nn's relu has the faster kernel
Tensor.hardshrink = _nn.hardshrink

# ---------------------------------------------------------------- misc
from .ops import misc  # noqa: E402  (this section's module)

Tensor.cov = misc.cov
Tensor.corrcoef = misc.corrcoef
Tensor.dist = misc.dist
Tensor.histogram = misc.histogram
Tensor.gcd = misc.gcd
Tensor.gcd_ = misc.gcd_
Tensor.lcm = misc.lcm
Tensor.lcm_ = misc.lcm_
Tensor.nextafter = misc.nextafter
Tensor.nextafter_ = misc.nextafter_
Tensor.frexp = misc.frexp
Tensor.renorm = misc.renorm
Tensor.renorm_ = misc.renorm_
Tensor.true_divide_ = misc.true_divide_
Tensor.select_scatter = misc.select_scatter
Tensor.slice_scatter = misc.slice_scatter
Tensor.diagonal_scatter = misc.diagonal_scatter
Tensor.as_strided_scatter = misc.as_strided_scatter
Tensor.fill_diagonal_ = misc.fill_diagonal_
Tensor.split_with_sizes = misc.split_with_sizes
Tensor.unsafe_split = misc.unsafe_split
Tensor.unsafe_split_with_sizes = misc.unsafe_split_with_sizes
Tensor.unsafe_chunk = misc.unsafe_chunk
Tensor.sum_to_size = misc.sum_to_size
Tensor.is_nonzero = misc.is_nonzero
Tensor.is_same_size = misc.is_same_size
Tensor.is_inference = misc.is_inference
Tensor.is_distributed = misc.is_distributed
Tensor.is_set_to = misc.is_set_to
Tensor.apply_ = misc.apply_
Tensor.map_ = misc.map_
Tensor.map2_ = misc.map2_
Tensor.new = misc.new
Tensor.as_subclass = misc.as_subclass
Tensor.to_dense = misc.to_dense
Tensor.module_load = misc.module_load
Tensor.const_data_ptr = misc.const_data_ptr
Tensor.dim_order = misc.dim_order
Tensor.output_nr = property(misc.output_nr)
Tensor.storage = misc.storage
Tensor.untyped_storage = misc.untyped_storage
Tensor.set_ = misc.set_
from . import _shared_memory  # noqa: E402
Tensor.share_memory_ = _shared_memory.share_memory_
Tensor.is_shared = _shared_memory.is_shared
Tensor.__dlpack__ = misc._dlpack
Tensor.__dlpack_device__ = misc._dlpack_device
Tensor.volatile = property(misc._volatile)
Tensor.name = None
Tensor.is_xpu = False
Tensor.is_mps = False
Tensor.is_ipu = False
Tensor.is_xla = False
Tensor.is_vulkan = False
Tensor.is_maia = False
Tensor.is_mtia = False
Tensor.is_sparse_csr = False
Tensor.igamma = misc.igamma
Tensor.igamma_ = misc.igamma_
Tensor.igammac = misc.igammac
Tensor.igammac_ = misc.igammac_
Tensor.as_strided_ = misc.as_strided_
Tensor.nonzero_static = misc.nonzero_static
