"""`torch.version`: what ember is and what it was built with.

`__version__` is ember's own version.  `torch_api` is the PyTorch release whose API and
behaviour ember follows (the oracle its tests compare against); `python -m ember.compat`
reports it as `torch.__version__` (see `ember.compat.install`), so version checks in PyTorch
programs take their modern branches.
"""
import re

__all__ = ["__version__", "torch_api", "cuda", "hip", "debug", "git_version", "TorchVersion"]

_EMBER = "0.1.0"
_TORCH_API = "2.13.0"
debug = False
hip = None
git_version = "Unknown"


class TorchVersion(str):
    """A version string that compares as a version (`v >= "2.0"`, `v >= (2, 0)`), like
    PyTorch's `torch.torch_version.TorchVersion`. Release numbers compare numerically, missing
    ones count as 0; pre-releases (`.dev`, `a`, `b`, `rc`) sort before the release and a
    local part (`+cpu`) after it, as PEP 440 orders them."""

    _PHASES = (("dev", 0), ("a", 1), ("alpha", 1), ("b", 2), ("beta", 2), ("rc", 3), ("c", 3))

    @classmethod
    def _key(cls, v):
        if isinstance(v, tuple):
            v = ".".join(str(p) for p in v)
        if isinstance(v, int) or not isinstance(v, str):
            raise TypeError(f"'<' not supported between instances of 'TorchVersion' and "
                            f"'{type(v).__name__}'")
        m = re.match(r"\s*v?(\d+(?:\.\d+)*)(.*)$", v)
        if m is None:
            raise ValueError(f"Invalid version: {v!r}")
        release = tuple(int(p) for p in m.group(1).split("."))
        rest = m.group(2).lower().lstrip(".-_")
        phase, num = 4, 0                      # a final release
        if rest.startswith("+"):
            phase = 5                          # a local version sorts after its release
        elif rest:
            for name, rank in cls._PHASES:
                if rest.startswith(name):
                    digits = re.match(r"\d*", rest[len(name):].lstrip(".-_")).group(0)
                    phase, num = rank, int(digits or 0)
                    break
        return release, phase, num

    def _cmp(self, other):
        (ra, pa, na), (rb, pb, nb) = self._key(str(self)), self._key(other)
        n = max(len(ra), len(rb))
        ka = (ra + (0,) * (n - len(ra)), pa, na)
        kb = (rb + (0,) * (n - len(rb)), pb, nb)
        return (ka > kb) - (ka < kb)

    def __lt__(self, other):
        return self._cmp(other) < 0

    def __le__(self, other):
        return self._cmp(other) <= 0

    def __gt__(self, other):
        return self._cmp(other) > 0

    def __ge__(self, other):
        return self._cmp(other) >= 0

    def __eq__(self, other):
        if isinstance(other, (str, tuple)):
            try:
                return self._cmp(other) == 0
            except ValueError:
                return str.__eq__(self, other)
        return NotImplemented

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    __hash__ = str.__hash__


__version__ = TorchVersion(_EMBER)
torch_api = TorchVersion(_TORCH_API)


def __getattr__(name):
    # `torch.version.cuda`: the CUDA runtime CuPy uses, None without a usable CuPy (like a
    # CPU build of PyTorch). Computed on first use so importing ember never imports CuPy.
    if name == "cuda":
        from .backends import cuda as _cuda_backend
        value = None
        if _cuda_backend._cupy_importable():
            try:
                import cupy
                v = cupy.cuda.runtime.runtimeGetVersion()
                value = f"{v // 1000}.{(v % 1000) // 10}"
            except Exception:
                value = None
        globals()["cuda"] = value
        return value
    raise AttributeError(f"module 'ember.version' has no attribute '{name}'")
