"""torchtext.utils: download a file (with a hash check), extract archives, and resolve an
asset given as a local path or a URL (tokenizer vocabularies, sentencepiece models).

Datasets do not call the downloader (ember reads datasets from local files only); these are
for user code and for assets passed as URLs.
"""
import gzip
import hashlib
import logging
import os
import shutil
import tarfile
import zipfile

__all__ = ["download_from_url", "extract_archive", "validate_file", "get_asset_local_path"]

logger = logging.getLogger(__name__)
USER_AGENT = "pytorch/text"


def validate_file(file_obj, hash_value, hash_type="sha256"):
    """True if the hash (hashlib name `hash_type`) of the binary file object's contents is
    `hash_value`."""
    if hash_type not in hashlib.algorithms_available:
        raise ValueError(f"Invalid hash type {hash_type!r}")
    hasher = hashlib.new(hash_type)
    while chunk := file_obj.read(1024 * 1024):
        hasher.update(chunk)
    return hasher.hexdigest() == hash_value


def _check_hash(path, hash_value, hash_type):
    if hash_value is None:
        return
    with open(path, "rb") as f:
        if not validate_file(f, hash_value, hash_type):
            raise RuntimeError(f"The hash of {path} does not match. Delete the file manually "
                               "and retry.")


def download_from_url(url, path=None, root=".data", overwrite=False, hash_value=None,
                      hash_type="sha256"):
    """Download `url` to `path` (default: `root/<basename of url>`) unless it is already
    there, check its hash when `hash_value` is given, and return the path. The file is
    written beside the target and renamed when complete."""
    import urllib.request   # imported on first use: it costs ~15 ms at import time
    if path is None:
        path = os.path.join(os.fspath(root), os.path.basename(url.split("?")[0]))
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        logger.info("File %s already exists.", path)
        _check_hash(path, hash_value, hash_type)
        return path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    part = path + ".part"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out, 1024 * 64)
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)
    logger.info("File %s downloaded.", path)
    _check_hash(path, hash_value, hash_type)
    return path


def _extract_tar_member(tar, member, to_path):
    try:
        tar.extract(member, to_path, filter="data")    # refuses absolute paths and '..'
    except TypeError:                                   # Python without extraction filters
        target = os.path.realpath(os.path.join(to_path, member.name))
        if not target.startswith(os.path.realpath(to_path) + os.sep):
            raise RuntimeError(f"refusing to extract {member.name!r} outside {to_path}")
        tar.extract(member, to_path)


def extract_archive(from_path, to_path=None, overwrite=False):
    """Extract a .tar / .tar.gz / .tgz / .zip archive or decompress a .gz file into
    `to_path` (default: the archive's folder). Returns the extracted file paths; files
    already present are kept unless `overwrite`."""
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    if from_path.endswith((".tar.gz", ".tgz", ".tar")):
        files = []
        with tarfile.open(from_path, "r") as tar:
            for member in tar:
                file_path = os.path.join(to_path, member.name)
                if member.isfile():
                    files.append(file_path)
                    if os.path.exists(file_path) and not overwrite:
                        continue
                _extract_tar_member(tar, member, to_path)
        return files
    if from_path.endswith(".zip"):
        if not zipfile.is_zipfile(from_path):
            raise RuntimeError(f"{from_path} is not a zip file")
        files = []
        with zipfile.ZipFile(from_path) as zf:
            for name in zf.namelist():
                file_path = os.path.join(to_path, name)
                files.append(file_path)
                if os.path.exists(file_path) and not overwrite:
                    continue
                zf.extract(name, to_path)      # zipfile strips '..' and absolute prefixes
        return [f for f in files if os.path.isfile(f)]
    if from_path.endswith(".gz"):
        target = os.path.join(to_path, os.path.basename(from_path)[:-3])
        with gzip.open(from_path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 64)
        return [target]
    raise NotImplementedError("We currently only support tar.gz, .tgz, .gz and zip achives.")


def get_asset_local_path(asset_path, overwrite=False):
    """A local path for `asset_path`: itself when it exists on disk, else (a URL) the file
    downloaded into torchtext's cache folder (~/.torchtext/cache)."""
    from . import _CACHE_DIR
    asset_path = os.fspath(asset_path)
    if os.path.exists(asset_path):
        return asset_path
    if "://" not in asset_path:
        raise FileNotFoundError(f"No such file: {asset_path!r}")
    return download_from_url(asset_path, root=_CACHE_DIR, overwrite=overwrite)
