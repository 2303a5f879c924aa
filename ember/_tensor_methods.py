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
Tensor.new_tensor = lambda self, data, dtype=None, device=None, requires_grad=False: \
    creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

# ---------------------------------------------------------------- reduce
Tensor.sum = reduce.sum
Tensor.mean = reduce.mean

# ---------------------------------------------------------------- shape
Tensor.view = shape.view
Tensor.reshape = shape.reshape
Tensor.expand = shape.expand
Tensor.permute = shape.permute
Tensor.transpose = shape.transpose
Tensor.swapaxes = Tensor.swapdims = shape.transpose
Tensor.t = shape.t
Tensor.T = property(shape._T)
Tensor.mT = property(shape._mT)
Tensor.unsqueeze = shape.unsqueeze
Tensor.squeeze = shape.squeeze

# ---------------------------------------------------------------- blas
Tensor.matmul = blas.matmul
Tensor.__matmul__ = blas.matmul
Tensor.__rmatmul__ = lambda self, other: blas.matmul(other, self)
Tensor.mm = blas.mm
Tensor.bmm = blas.bmm
Tensor.mv = blas.mv
Tensor.dot = blas.dot

# ---------------------------------------------------------------- pointwise

# ---------------------------------------------------------------- unary

# ---------------------------------------------------------------- index

# ---------------------------------------------------------------- compare

# ---------------------------------------------------------------- random
