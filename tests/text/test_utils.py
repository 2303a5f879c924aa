"""ember.text.utils: download_from_url (against an HTTP server on 127.0.0.1), hash checks,
extract_archive, get_asset_local_path."""
import functools
import gzip
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from ember.text import utils


@pytest.fixture
def http_root(tmp_path):
    """(directory served, base URL) of an HTTP server on 127.0.0.1, stopped after the test."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_download_from_url_checks_hash_and_reuses_file(http_root, tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    served, url = http_root
    (served / "vocab.txt").write_bytes(b"[UNK]\nhello\n")
    sha = hashlib.sha256(b"[UNK]\nhello\n").hexdigest()
    root = tmp_path / "cache"
    path = utils.download_from_url(url + "vocab.txt", root=str(root), hash_value=sha)
    assert path == os.path.join(str(root), "vocab.txt") and open(path, "rb").read() == b"[UNK]\nhello\n"
    (served / "vocab.txt").write_bytes(b"changed")
    assert utils.download_from_url(url + "vocab.txt", root=str(root)) == path   # kept
    assert open(path, "rb").read() == b"[UNK]\nhello\n"
    with pytest.raises(RuntimeError, match="The hash of .* does not match"):
        utils.download_from_url(url + "vocab.txt", root=str(root), hash_value="0" * 64,
                                overwrite=True)
    md5 = hashlib.md5(b"changed").hexdigest()
    other = tmp_path / "x.bin"
    assert utils.download_from_url(url + "vocab.txt", path=str(other), hash_value=md5,
                                   hash_type="md5") == str(other)
    assert not os.path.exists(str(other) + ".part")


def test_validate_file():
    data = b"abc"
    assert utils.validate_file(io.BytesIO(data), hashlib.sha256(data).hexdigest())
    assert not utils.validate_file(io.BytesIO(data), "0", "md5")
    with pytest.raises(ValueError, match="Invalid hash type"):
        utils.validate_file(io.BytesIO(data), "0", "nohash")


def test_extract_archive_zip_tar_gz(tmp_path):
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("d/x.txt", "x")
        zf.writestr("y.txt", "y")
    files = utils.extract_archive(str(z))
    assert sorted(os.path.relpath(f, tmp_path) for f in files) == [os.path.join("d", "x.txt"), "y.txt"]
    t = tmp_path / "b.tar.gz"
    with tarfile.open(t, "w:gz") as tar:
        info = tarfile.TarInfo("t/z.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"z"))
    out = tmp_path / "out"
    assert utils.extract_archive(str(t), str(out)) == [os.path.join(str(out), "t", "z.txt")]
    assert (out / "t" / "z.txt").read_text() == "z"
    g = tmp_path / "c.txt.gz"
    with gzip.open(g, "wb") as f:
        f.write(b"gz")
    assert utils.extract_archive(str(g)) == [str(tmp_path / "c.txt")]
    assert (tmp_path / "c.txt").read_bytes() == b"gz"
    bad = tmp_path / "d.rar"
    bad.write_bytes(b"")
    with pytest.raises(NotImplementedError):
        utils.extract_archive(str(bad))


def test_extract_archive_refuses_paths_outside(tmp_path):
    t = tmp_path / "evil.tar"
    with tarfile.open(t, "w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"e"))
    with pytest.raises(Exception):
        utils.extract_archive(str(t), str(tmp_path / "inside"))
    assert not (tmp_path / "escape.txt").exists()


def test_get_asset_local_path(tmp_path):
    p = tmp_path / "v.txt"
    p.write_text("x")
    assert utils.get_asset_local_path(str(p)) == str(p)
    with pytest.raises(FileNotFoundError, match="No such file"):
        utils.get_asset_local_path(str(tmp_path / "missing.txt"))
