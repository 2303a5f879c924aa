"""Samplers and special functions the distributions need beyond ember's ops: standard
Gamma and Dirichlet samples with implicit reparameterisation gradients, binomial samples,
and the regularised incomplete gamma function.

Everything is computed in float64 on the host from the default generator's stream (so
`ember.manual_seed` makes it reproducible) and cast to the parameter's dtype.

Implicit reparameterisation (Figurnov et al. 2018): a sample x = F^-1(u; a) moves with the
parameter as dx/da = -(dF/da)(x; a) / p(x; a). For the Gamma CDF P(a, x) this is computed
from the power series of P (x < a + 1) or from the continued fraction of Q = 1 - P
(x >= a + 1), differentiated term by term in a; both give d(log x)/da without forming
exp(-x) x^a, so tiny samples (small a) keep full precision.
"""
import numpy as np

import ember
from ..autograd.function import Op
from ..backends import get_backend
from ..device import cpu as _cpu
from ..ops.random import _source
from ..tensor import _make

_EPS = 1e-16
_FPMIN = 1e-300


# ---------------------------------------------------------------- host <-> device
def _host(arr):
    return arr if isinstance(arr, np.ndarray) else arr.get()   # CuPy -> NumPy


def _to_device(arr, dev):
    return arr if dev is _cpu or dev.type == "cpu" else get_backend(dev).asarray(arr, dev)


def _host_rng(dev):
    """A NumPy Generator on the default generator's stream for `dev` (for a GPU, one seeded
    from that device's stream)."""
    src = _source(None, dev)
    rng = getattr(src, "rng", None)
    if rng is not None:
        return rng
    seed = int(_host(src.integers(0, (1 << 62), (1,)))[0])
    return np.random.Generator(np.random.PCG64(seed))


def _digamma(a):
    return ember.digamma(ember.from_numpy(np.asarray(a, np.float64))).numpy()


def _lgamma(a):
    return ember.lgamma(ember.from_numpy(np.asarray(a, np.float64))).numpy()


# ---------------------------------------------------------------- Gamma sampling
def _log_standard_gamma(alpha, rng):
    """log of Gamma(alpha, 1) samples (float64, alpha's shape) by Marsaglia and Tsang's
    squeeze method; alpha < 1 is boosted: G(a) = G(a + 1) * U^(1/a), done in logs so that
    samples far below the float64 range are still exact. Invalid alpha (<= 0, NaN) gives
    -inf, alpha = inf gives inf."""
    alpha = np.asarray(alpha, np.float64)
    out = np.full(alpha.shape, -np.inf)
    flat_a, flat_out = alpha.ravel(), out.reshape(-1)
    flat_out[np.isposinf(flat_a)] = np.inf
    todo = np.flatnonzero((flat_a > 0) & np.isfinite(flat_a))
    a = flat_a[todo]
    boosted = a < 1
    d = np.where(boosted, a + 1, a) - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    where = todo                  # the output slots still waiting for an accepted draw
    while where.size:             # each round accepts > 95% of what is left
        z = rng.standard_normal(where.size)
        u = rng.random(where.size)
        v = 1.0 + c * z
        ok = v > 0
        log_v3 = 3.0 * np.log(np.where(ok, v, 1.0))
        v3 = np.exp(log_v3)
        with np.errstate(divide="ignore"):
            accept = ok & (np.log(u) < 0.5 * z * z + d - d * v3 + d * log_v3)
        flat_out[where[accept]] = np.log(d[accept]) + log_v3[accept]
        reject = ~accept
        where, d, c = where[reject], d[reject], c[reject]
    if boosted.any():
        u = 1.0 - rng.random(int(boosted.sum()))   # (0, 1]: log stays finite
        flat_out[todo[boosted]] += np.log(u) / a[boosted]
    return out


def _iterate(state, step, done, outputs):
    """Run `step` on the arrays of `state` (a dict of equal-length arrays) until `done`
    holds everywhere, and return the `outputs` arrays. Finished elements are dropped only
    once they are a tenth of those left (dropping costs more than an extra step, which
    changes a converged element by less than rounding)."""
    n = next(iter(state.values())).size
    result = {k: np.empty(n) for k in outputs}
    where = np.arange(n)
    for _ in range(100000):
        if not where.size:
            break
        step(state)
        fin = done(state)
        n_fin = np.count_nonzero(fin)
        if n_fin == where.size or n_fin * 10 >= where.size:
            for k in outputs:
                result[k][where[fin]] = state[k][fin]
            keep = ~fin
            where = where[keep]
            state = {k: v[keep] for k, v in state.items()}
    for k in outputs:   # not converged: keep what there is
        result[k][where] = state[k]
    return result


def _dlog_gamma_series(logx, a):
    """d(log x)/da from P(a, x) = x^a e^-x / Gamma(a+1) * S, S = sum_n x^n / (a+1)_n;
    dS/da follows term by term (d(log term_n)/da = -sum_k<=n 1/(a+k))."""
    state = {"x": np.exp(logx), "a": a.copy(), "S": np.ones_like(a), "dS": np.zeros_like(a),
             "term": np.ones_like(a), "dlog_term": np.zeros_like(a)}

    def step(st):
        st["a"] += 1.0            # a + n
        st["term"] *= st["x"] / st["a"]
        st["dlog_term"] -= 1.0 / st["a"]
        st["S"] += st["term"]
        st["dS"] += st["term"] * st["dlog_term"]

    r = _iterate(state, step, lambda st: st["term"] <= _EPS * st["S"], ("S", "dS"))
    return -((logx - _digamma(a + 1)) * r["S"] + r["dS"]) / a


def _dlog_gamma_cf(logx, a):
    """d(log x)/da from Q(a, x) = x^a e^-x / Gamma(a) * h, h Lentz's continued fraction,
    carried along with its derivative in a (b' = -1, an' = i)."""
    b = np.exp(logx) + 1.0 - a
    state = {"a": a.copy(), "b": b, "c": np.full_like(a, 1.0 / _FPMIN),
             "dc": np.zeros_like(a), "d": 1.0 / b, "dd": 1.0 / (b * b), "h": 1.0 / b,
             "dh": 1.0 / (b * b), "i": np.zeros_like(a), "delta": np.zeros_like(a)}

    def step(st):
        st["i"] += 1.0
        i = st["i"]
        an = -i * (i - st["a"])
        st["b"] += 2.0
        D = an * st["d"] + st["b"]
        dD = i * st["d"] + an * st["dd"] - 1.0
        D[np.abs(D) < _FPMIN] = _FPMIN
        C = st["b"] + an / st["c"]
        dC = -1.0 + i / st["c"] - (an / st["c"]) * (st["dc"] / st["c"])
        C[np.abs(C) < _FPMIN] = _FPMIN
        st["d"], st["dd"] = 1.0 / D, -dD / (D * D)
        st["c"], st["dc"] = C, dC
        delta = st["d"] * C
        st["dh"] = st["dh"] * delta + st["h"] * (st["dd"] * C + st["d"] * dC)
        st["h"] = st["h"] * delta
        st["delta"] = delta

    r = _iterate(state, step, lambda st: np.abs(st["delta"] - 1.0) < _EPS, ("h", "dh"))
    return (logx - _digamma(a)) * r["h"] + r["dh"]


def dlog_standard_gamma(logx, alpha):
    """d(log x)/d(alpha) for Gamma(alpha, 1) samples x = exp(logx) (float64 arrays)."""
    logx, alpha = np.broadcast_arrays(np.asarray(logx, np.float64),
                                      np.asarray(alpha, np.float64))
    out = np.zeros(logx.shape)
    fl, fa, fo = logx.ravel(), alpha.ravel(), out.reshape(-1)
    valid = np.isfinite(fl) & np.isfinite(fa) & (fa > 0)
    with np.errstate(over="ignore"):
        series = valid & (np.exp(np.minimum(fl, 700.0)) < fa + 1)
    cf = valid & ~series
    if series.any():
        fo[series] = _dlog_gamma_series(fl[series], fa[series])
    if cf.any():
        fo[cf] = _dlog_gamma_cf(fl[cf], fa[cf])
    return out


class _NotDifferentiable(Op):
    """A precomputed factor of a backward formula whose own derivative PyTorch does not
    implement (so double backward through it raises, as there)."""

    @staticmethod
    def forward(ctx, *inputs, value, what):
        ctx.what = what
        return value

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for '{ctx.what}' is not implemented.")


class _StandardGamma(Op):
    @staticmethod
    def forward(ctx, alpha):
        npdt = alpha.dtype
        logx = _log_standard_gamma(_host(alpha), _host_rng(ctx._device))
        with np.errstate(over="ignore"):
            x = np.asarray(np.exp(logx)).astype(npdt)   # NumPy makes 0-dim results scalars
        np.maximum(x, np.finfo(npdt).tiny, out=x)
        if ctx.needs_input_grad:
            ctx.logx = logx
        out = _to_device(x, ctx._device)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        dlog = dlog_standard_gamma(ctx.logx, _host(alpha._data))
        with np.errstate(over="ignore", invalid="ignore"):
            dx = np.asarray(np.exp(ctx.logx) * dlog).astype(x.dtype.np)
        factor = _NotDifferentiable.apply(alpha, x, value=_to_device(dx, x.device),
                                          what="_standard_gamma_grad")
        return g * factor


def standard_gamma(alpha):
    """Gamma(alpha, 1) samples with the implicit reparameterisation gradient (PyTorch's
    torch._standard_gamma); samples are clamped to the dtype's smallest normal number."""
    return _StandardGamma.apply(alpha)


# ---------------------------------------------------------------- Dirichlet
class _Dirichlet(Op):
    @staticmethod
    def forward(ctx, conc):
        npdt = conc.dtype
        logg = _log_standard_gamma(_host(conc), _host_rng(ctx._device))
        m = np.max(logg, axis=-1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        e = np.exp(logg - m)
        with np.errstate(invalid="ignore"):
            x = e / e.sum(-1, keepdims=True)
        x = np.maximum(x.astype(npdt), np.finfo(npdt).tiny)
        if ctx.needs_input_grad:
            ctx.logg = logg
        out = _to_device(x, ctx._device)
        ctx.save_for_backward(conc, out)
        return out

    @staticmethod
    def backward(ctx, g):
        # x = G / sum(G): dx_i/da_j = x_j dlogG_j/da_j (delta_ij - x_i)
        conc, x = ctx.saved_tensors
        dlog = dlog_standard_gamma(ctx.logg, _host(conc._data))
        xd = _host(x._data).astype(np.float64) * dlog
        factor = _NotDifferentiable.apply(conc, x, value=_to_device(xd.astype(x.dtype.np),
                                                                     x.device),
                                          what="_dirichlet_grad")
        return factor * (g - (x * g).sum(-1, True))


def sample_dirichlet(conc):
    """Dirichlet(conc) samples (normalised Gamma samples) with reparameterisation
    gradients."""
    return _Dirichlet.apply(conc)


# ---------------------------------------------------------------- Binomial
def binomial(count, prob):
    """Binomial(count, prob) samples in prob's dtype (PyTorch's torch.binomial); both
    tensors have the same shape. No gradient (the sample is discrete)."""
    rng = _host_rng(prob.device)
    n = _host(count._data).astype(np.float64)
    p = _host(prob._data).astype(np.float64)
    bad = ~((n >= 0) & np.isfinite(n) & (p >= 0) & (p <= 1))
    n_int = np.where(bad, 0, n).astype(np.int64)
    k = np.asarray(rng.binomial(n_int, np.where(bad, 0.0, p)), np.float64)
    k[bad] = np.nan
    return _make(_to_device(k.astype(prob.dtype.np), prob.device), prob.device)


# ---------------------------------------------------------------- incomplete gamma
def _gammainc_series(a, x):
    """P(a, x) = x^a e^-x / Gamma(a+1) * sum_n x^n / (a+1)_n, for x < a + 1."""
    state = {"x": x, "an": a.copy(), "S": np.ones_like(a), "term": np.ones_like(a)}

    def step(st):
        st["an"] += 1.0
        st["term"] *= st["x"] / st["an"]
        st["S"] += st["term"]

    S = _iterate(state, step, lambda st: st["term"] <= _EPS * st["S"], ("S",))["S"]
    with np.errstate(divide="ignore"):
        return np.exp(a * np.log(x) - x - _lgamma(a + 1)) * S


def _gammaincc_cf(a, x):
    """Q(a, x) by Lentz's continued fraction, for x >= a + 1."""
    b = x + 1.0 - a
    state = {"a": a.copy(), "b": b, "c": np.full_like(a, 1.0 / _FPMIN), "d": 1.0 / b,
             "h": 1.0 / b, "i": np.zeros_like(a), "delta": np.zeros_like(a)}

    def step(st):
        st["i"] += 1.0
        an = -st["i"] * (st["i"] - st["a"])
        st["b"] += 2.0
        D = an * st["d"] + st["b"]
        D[np.abs(D) < _FPMIN] = _FPMIN
        C = st["b"] + an / st["c"]
        C[np.abs(C) < _FPMIN] = _FPMIN
        st["d"], st["c"] = 1.0 / D, C
        st["delta"] = st["d"] * C
        st["h"] = st["h"] * st["delta"]

    h = _iterate(state, step, lambda st: np.abs(st["delta"] - 1.0) < _EPS, ("h",))["h"]
    return np.exp(a * np.log(x) - x - _lgamma(a)) * h


def _gammainc_array(a, x):
    """Regularised lower incomplete gamma P(a, x) (float64), PyTorch's edge values:
    P(0, x > 0) = 1, P(a, 0) = 0, P(a, inf) = 1, P(inf, finite x) = 0, NaN for a < 0,
    x < 0 or NaN inputs."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    fa, fx, fo = a.ravel(), x.ravel(), out.reshape(-1)
    ok = (fa >= 0) & (fx >= 0)
    fo[ok & (fx == 0) & (fa > 0)] = 0.0
    fo[ok & (fa == 0) & (fx > 0)] = 1.0
    fo[ok & np.isposinf(fx) & (fa > 0)] = 1.0
    fo[ok & np.isposinf(fa) & np.isfinite(fx)] = 0.0
    reg = ok & (fa > 0) & (fx > 0) & np.isfinite(fa) & np.isfinite(fx)
    series = reg & (fx < fa + 1)
    cf = reg & ~series
    if series.any():
        fo[series] = _gammainc_series(fa[series], fx[series])
    if cf.any():
        fo[cf] = 1.0 - _gammaincc_cf(fa[cf], fx[cf])
    return out


class _Gammainc(Op):
    _name = "IgammaBackward0"

    @staticmethod
    def forward(ctx, a, x):
        dt = np.result_type(a.dtype, x.dtype)
        r = _gammainc_array(_host(a), _host(x)).astype(dt)
        ctx.save_for_backward(a, x)
        return _to_device(r, ctx._device)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        # dP/dx is the Gamma(a, 1) density
        return None, g * ember.exp(-x + ember.xlogy(a - 1, x) - ember.lgamma(a))


def _local_gammainc(a, x):
    return _Gammainc.apply(a, x)


def gammainc(a, x):
    """The regularised lower incomplete gamma function (ember.special.gammainc when there
    is one, else the local op)."""
    fn = getattr(getattr(ember, "special", None), "gammainc", None)
    return fn(a, x) if fn is not None else _local_gammainc(a, x)
