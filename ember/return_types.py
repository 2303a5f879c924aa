"""Named-tuple results of ops such as `max(dim)`, `sort`, `topk`: PyTorch's `torch.return_types`.

Each result is a real tuple (unpacking and indexing work) whose fields are also attributes
(`r.values`, `r.indices`) and whose repr is PyTorch's, e.g.

    torch.return_types.max(
    values=tensor([2., 4.]),
    indices=tensor([1, 1]))

Ops build results with `make_return_type(name, fields)` once at import time, then call the
class: `max(values, indices)`.
"""
import collections

__all__ = ["make_return_type", "aminmax", "cummax", "cummin", "frexp", "kthvalue", "max",
           "median", "min", "mode", "nanmedian", "sort", "topk", "histogram", "slogdet",
           "qr", "svd", "geqrf", "triangular_solve", "lu_unpack", "linalg_eigh", "linalg_eig",
           "linalg_qr", "linalg_svd", "linalg_slogdet", "linalg_inv_ex", "linalg_cholesky_ex",
           "linalg_lu", "linalg_lu_factor", "linalg_lu_factor_ex", "linalg_solve_ex",
           "linalg_lstsq", "linalg_ldl_factor", "linalg_ldl_factor_ex"]

_types = {}


def _repr(self):
    body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{body})"


def make_return_type(name, fields=("values", "indices")):
    """The result class `torch.return_types.<name>` with the given field names (cached, so two
    modules asking for the same name share one class)."""
    fields = tuple(fields)
    cls = _types.get(name)
    if cls is not None:
        if cls._fields != fields:
            raise ValueError(f"return type {name} already defined with fields {cls._fields}")
        return cls
    base = collections.namedtuple(name, fields)
    # `n_fields` etc. mirror PyTorch's structseq attributes; `__module__` makes pickling find
    # the class here.
    cls = type(name, (base,), {"__slots__": (), "__repr__": _repr, "__str__": _repr,
                               "__module__": __name__, "n_fields": len(fields),
                               "n_sequence_fields": len(fields), "n_unnamed_fields": 0})
    _types[name] = cls
    return cls


_VI = ("values", "indices")
max = make_return_type("max", _VI)
min = make_return_type("min", _VI)
sort = make_return_type("sort", _VI)
topk = make_return_type("topk", _VI)
kthvalue = make_return_type("kthvalue", _VI)
mode = make_return_type("mode", _VI)
median = make_return_type("median", _VI)
nanmedian = make_return_type("nanmedian", _VI)
cummax = make_return_type("cummax", _VI)
cummin = make_return_type("cummin", _VI)
aminmax = make_return_type("aminmax", ("min", "max"))
frexp = make_return_type("frexp", ("mantissa", "exponent"))
histogram = make_return_type("histogram", ("hist", "bin_edges"))
slogdet = make_return_type("slogdet", ("sign", "logabsdet"))
qr = make_return_type("qr", ("Q", "R"))
svd = make_return_type("svd", ("U", "S", "V"))
geqrf = make_return_type("geqrf", ("a", "tau"))
triangular_solve = make_return_type("triangular_solve", ("solution", "cloned_coefficient"))
lu_unpack = make_return_type("lu_unpack", ("P", "L", "U"))
linalg_eigh = make_return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_eig = make_return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_qr = make_return_type("linalg_qr", ("Q", "R"))
linalg_svd = make_return_type("linalg_svd", ("U", "S", "Vh"))
linalg_slogdet = make_return_type("linalg_slogdet", ("sign", "logabsdet"))
linalg_inv_ex = make_return_type("linalg_inv_ex", ("inverse", "info"))
linalg_cholesky_ex = make_return_type("linalg_cholesky_ex", ("L", "info"))
linalg_lu = make_return_type("linalg_lu", ("P", "L", "U"))
linalg_lu_factor = make_return_type("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = make_return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_solve_ex = make_return_type("linalg_solve_ex", ("result", "info"))
linalg_lstsq = make_return_type("linalg_lstsq",
                                ("solution", "residuals", "rank", "singular_values"))
linalg_ldl_factor = make_return_type("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = make_return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
