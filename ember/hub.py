"""Downloading and caching checkpoints by URL (`torch.hub`'s checkpoint half).

`load_state_dict_from_url` keeps one copy of each file in `<hub_dir>/checkpoints`: the hub
directory is `set_dir`'s, else `$TORCH_HOME/hub`, else `$XDG_CACHE_HOME/ember/hub` (with
`~/.cache` when XDG_CACHE_HOME is unset). A download goes to a temporary file beside the
target and is renamed only once complete (and, with `check_hash`, only once the SHA-256 of its
bytes starts with the hex digits after the last '-' of the file name, as in
`resnet18-f37072fd.pth`), so an interrupted or corrupted download never becomes the cached
file. The file is read with `ember.load`.

Loading models from GitHub repositories (`torch.hub.load`, `list`, `help`) is not provided.
"""
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
import zipfile
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "set_dir", "load_state_dict_from_url"]

ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
# `name-<sha256 prefix>.ext`: the prefix is what `check_hash` verifies.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
READ_DATA_CHUNK = 128 * 1024

_hub_dir = None


def _get_torch_home():
    return os.path.expanduser(os.getenv(
        ENV_TORCH_HOME, os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "ember")))


def get_dir():
    """The hub cache directory: `set_dir`'s choice, else `$TORCH_HOME/hub`, else
    `$XDG_CACHE_HOME/ember/hub` (`~/.cache/ember/hub`)."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    """Use `d` as the hub cache directory (checkpoints go to `d/checkpoints`)."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


class _Progress:
    """A byte counter on stderr (tqdm's when installed, else a percentage line)."""

    def __init__(self, total, disable):
        self.total, self.disable, self.n = total, disable, 0
        self._bar = None
        if not disable:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024)

    def update(self, n):
        if self.disable:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        self.n += n
        if self.total is None:
            sys.stderr.write(f"\r{self.n:.1f} bytes")
        else:
            sys.stderr.write(f"\r{100 * self.n / float(self.total):.1f}%")
        sys.stderr.flush()

    def close(self):
        if self.disable:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            sys.stderr.write("\n")
        self.disable = True


def _open_partial(dst):
    # A fresh name per attempt in the target's own directory, so the final rename stays on one
    # filesystem; NamedTemporaryFile is avoided for its owner-only permissions.
    for _ in range(tempfile.TMP_MAX):
        tmp = dst + "." + uuid.uuid4().hex + ".partial"
        try:
            return open(tmp, "x+b")
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "No usable temporary file name found")


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download `url` to the path `dst`. With `hash_prefix`, the SHA-256 hex digest of the
    downloaded bytes must start with it (RuntimeError otherwise, and `dst` is left alone)."""
    dst = os.path.expanduser(dst)
    f = _open_partial(dst)
    req = Request(url, headers={"User-Agent": "ember.hub"})
    try:
        with urlopen(req) as u:
            length = u.info().get_all("Content-Length")
            file_size = int(length[0]) if length else None
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            bar = _Progress(file_size, disable=not progress)
            try:
                while True:
                    buffer = u.read(READ_DATA_CHUNK)
                    if len(buffer) == 0:
                        break
                    f.write(buffer)
                    if sha256 is not None:
                        sha256.update(buffer)
                    bar.update(len(buffer))
            finally:
                bar.close()
            f.close()
            if sha256 is not None:
                digest = sha256.hexdigest()
                if digest[:len(hash_prefix)] != hash_prefix:
                    raise RuntimeError(
                        f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def _is_legacy_zip_format(filename):
    # Checkpoints from before the zip serialization were sometimes published zipped: one
    # member file holding the legacy stream. PyTorch's own zip format has many members.
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as z:
            infolist = z.infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    from .serialization import load
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        f.extractall(model_dir)
        extracted_file = os.path.join(model_dir, members[0].filename)
    return load(extracted_file, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """Load the checkpoint at `url`, downloading it into `model_dir` (default
    `<get_dir()>/checkpoints`) unless a file of that name is already there.

    `check_hash=True` verifies the download against the hex digits in the file name
    (`name-<sha256 prefix>.ext`); `file_name` overrides the name taken from the URL;
    `map_location` and `weights_only` are passed to `ember.load`.
    """
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)

    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)

    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    from .serialization import load
    return load(cached_file, map_location=map_location, weights_only=weights_only)
