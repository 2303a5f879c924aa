"""torchvision's download and verification helpers: md5 checks, downloads over urllib (with
redirect following and an https -> http retry), and extraction of .gz/.bz2/.xz files and
.tar(.gz/.bz2/.xz)/.tgz/.zip archives."""
import bz2
import gzip
import hashlib
import lzma
import os
import pathlib
import tarfile
import urllib.error
import zipfile

__all__ = ["check_integrity", "calculate_md5", "check_md5", "download_url", "list_dir",
           "list_files", "extract_archive", "download_and_extract_archive", "iterable_to_str",
           "verify_str_arg"]

USER_AGENT = "pytorch/vision"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """True if `fpath` is a file and (when md5 is given) its MD5 matches."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _urlretrieve(url, filename, chunk_size=1024 * 32):
    # Written beside the target and renamed when complete, so an interrupted download never
    # leaves a truncated file under the final name.
    import urllib.request   # imported on first download: it costs ~15 ms at import time
    part = os.fspath(filename) + ".part"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request) as response, open(part, "wb") as fh:
            while chunk := response.read(chunk_size):
                fh.write(chunk)
        os.replace(part, filename)
    finally:
        if os.path.exists(part):
            os.remove(part)


def _get_redirect_url(url, max_hops=3):
    """Follow up to `max_hops` redirects with HEAD requests; the final URL."""
    import urllib.request
    initial_url = url
    for _ in range(max_hops + 1):
        request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request) as response:
                if response.url == url or response.url is None:
                    return url
                url = response.url
        except urllib.error.HTTPError:
            # servers that refuse HEAD: let the real request report any problem
            return url
    raise RecursionError(f"Request to {initial_url} exceeded {max_hops} redirects. The last "
                         f"redirect points to {url}.")


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Download `url` to `root/filename` unless a file with the right md5 is already there;
    raise RuntimeError("File not found or corrupted.") if the result fails the md5 check."""
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    url = _get_redirect_url(url, max_hops=max_redirect_hops)
    try:
        print("Downloading " + url + " to " + fpath)
        _urlretrieve(url, fpath)
    except (urllib.error.URLError, OSError) as e:
        if url[:5] == "https":
            url = url.replace("https:", "http:")
            print("Failed download. Trying https -> http instead. Downloading " + url + " to "
                  + fpath)
            _urlretrieve(url, fpath)
        else:
            raise e
    if not check_integrity(fpath, md5):
        raise RuntimeError("File not found or corrupted.")


def list_dir(root, prefix=False):
    """Directories in `root` (full paths when prefix=True)."""
    root = os.path.expanduser(root)
    directories = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    if prefix is True:
        directories = [os.path.join(root, d) for d in directories]
    return directories


def list_files(root, suffix, prefix=False):
    """Files in `root` ending with `suffix` (a string or tuple of strings)."""
    root = os.path.expanduser(root)
    files = [p for p in os.listdir(root)
             if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    if prefix is True:
        files = [os.path.join(root, d) for d in files]
    return files


# ---------------------------------------------------------------- extraction
def _extract_tar(from_path, to_path, compression):
    with tarfile.open(from_path, f"r:{compression[1:]}" if compression else "r") as tar:
        # the "data" filter refuses absolute paths, '..' and links leaving to_path
        if hasattr(tarfile, "data_filter"):
            tar.extractall(to_path, filter="data")
        else:
            tar.extractall(to_path)


_ZIP_COMPRESSION_MAP = {".bz2": zipfile.ZIP_BZIP2, ".xz": zipfile.ZIP_LZMA}


def _extract_zip(from_path, to_path, compression):
    with zipfile.ZipFile(from_path, "r", compression=_ZIP_COMPRESSION_MAP[compression]
                         if compression else zipfile.ZIP_STORED) as zf:
        zf.extractall(to_path)


_ARCHIVE_EXTRACTORS = {".tar": _extract_tar, ".zip": _extract_zip}
_COMPRESSED_FILE_OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
_FILE_TYPE_ALIASES = {".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2"), ".tgz": (".tar", ".gz")}


def _detect_file_type(file):
    """(suffix, archive type or None, compression or None) from the file name."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the "
                           "archive type and compression.")
    suffix = suffixes[-1]
    if suffix in _FILE_TYPE_ALIASES:
        return (suffix, *_FILE_TYPE_ALIASES[suffix])
    if suffix in _ARCHIVE_EXTRACTORS:
        return suffix, suffix, None
    if suffix in _COMPRESSED_FILE_OPENERS:
        if len(suffixes) > 1:
            suffix2 = suffixes[-2]
            if suffix2 in _ARCHIVE_EXTRACTORS:
                return suffix2 + suffix, suffix2, suffix
        return suffix, None, suffix
    valid_suffixes = sorted(set(_FILE_TYPE_ALIASES) | set(_ARCHIVE_EXTRACTORS)
                            | set(_COMPRESSED_FILE_OPENERS))
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\n"
                       f"Known suffixes are: '{valid_suffixes}'.")


def _decompress(from_path, to_path=None, remove_finished=False):
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not compression:
        raise RuntimeError(f"Couldn't detect a compression from suffix {suffix}.")
    if to_path is None:
        to_path = os.fspath(from_path).replace(suffix, archive_type if archive_type is not None else "")
    opener = _COMPRESSED_FILE_OPENERS[compression]
    with opener(from_path, "rb") as rfh, open(to_path, "wb") as wfh:
        while chunk := rfh.read(1024 * 1024):
            wfh.write(chunk)
    if remove_finished:
        os.remove(from_path)
    return to_path


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract an archive, or decompress a single compressed file; returns the target path."""
    def path_or_str(ret_path):
        return str(ret_path) if isinstance(from_path, str) else ret_path

    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not archive_type:
        ret = _decompress(from_path, os.path.join(to_path, os.path.basename(from_path).replace(suffix, "")),
                          remove_finished=remove_finished)
        return path_or_str(ret)
    _ARCHIVE_EXTRACTORS[archive_type](from_path, to_path, compression)
    if remove_finished:
        os.remove(from_path)
    return path_or_str(pathlib.Path(to_path))


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None,
                                 remove_finished=False):
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    print(f"Extracting {archive} to {extract_root}")
    extract_archive(archive, extract_root, remove_finished)


def iterable_to_str(iterable):
    return "'" + "', '".join([str(item) for item in iterable]) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    """Check that `value` is a str (and one of `valid_values`), with torchvision's messages."""
    if not isinstance(value, str):
        if arg is None:
            msg = "Expected type str, but got type {type}."
        else:
            msg = "Expected type str for argument {arg}, but got type {type}."
        raise ValueError(msg.format(type=type(value), arg=arg))
    if valid_values is None:
        return value
    if value not in valid_values:
        if custom_msg is not None:
            msg = custom_msg
        else:
            msg = ("Unknown value '{value}' for argument {arg}. Valid values are "
                   "{{{valid_values}}}.").format(value=value, arg=arg,
                                                valid_values=iterable_to_str(valid_values))
        raise ValueError(msg)
    return value
