"""ember.vision.datasets: torchvision's root layouts, IDX parsing, download/verify/extract
against an HTTP server on 127.0.0.1 started by the tests, folder datasets, FakeData, reprs."""
import functools
import gzip
import hashlib
import http.server
import io
import os
import pickle
import shutil
import socket
import tarfile
import threading
import zipfile

import numpy as np
import pytest

import ember
import ember.vision as tv
from ember.vision.datasets import utils as dutils
from ember.vision.datasets.mnist import read_image_file, read_label_file, read_sn3_pascalvincent_tensor

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

MNIST_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                         "data", "mnist")
if not os.path.isdir(MNIST_DIR):
    MNIST_DIR = "/work/shared/data/mnist"
FULL_MNIST = os.path.isdir(MNIST_DIR)
if not FULL_MNIST:   # the real MNIST subset inside the package (same format, fewer images)
    MNIST_DIR = os.path.join(os.path.dirname(ember.__file__), "_data", "MNIST", "raw")
N = 64   # images per split in the small test files


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def _idx_bytes(arr, type_code=8, dtype=">u1"):
    header = bytes([0, 0, type_code, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return header + arr.astype(dtype).tobytes()


@functools.lru_cache(maxsize=None)
def _mnist_slice(prefix):
    """The first N images and labels of a real MNIST split (read from the .gz as a stream)."""
    with gzip.open(os.path.join(MNIST_DIR, f"{prefix}-images-idx3-ubyte.gz"), "rb") as f:
        head = f.read(16 + N * 784)
    images = np.frombuffer(head[16:], np.uint8).reshape(N, 28, 28)
    with gzip.open(os.path.join(MNIST_DIR, f"{prefix}-labels-idx1-ubyte.gz"), "rb") as f:
        labels = np.frombuffer(f.read(8 + N)[8:], np.uint8)
    return images, labels


def _write_mnist_raw(raw, compress=True, prefixes=("train", "t10k"), name_prefix=""):
    os.makedirs(raw, exist_ok=True)
    for prefix in prefixes:
        images, labels = _mnist_slice(prefix)
        for kind, data in (("images-idx3", images), ("labels-idx1", labels)):
            name = os.path.join(raw, f"{name_prefix}{prefix}-{kind}-ubyte")
            payload = _idx_bytes(data)
            if compress:
                with gzip.open(name + ".gz", "wb") as f:
                    f.write(payload)
            else:
                with open(name, "wb") as f:
                    f.write(payload)


needs_mnist = pytest.mark.skipif(not os.path.isdir(MNIST_DIR), reason="shared MNIST files not found")


# ---------------------------------------------------------------- MNIST
@needs_mnist
def test_mnist_reads_gz_files_in_torchvision_layout(tmp_path):
    _write_mnist_raw(str(tmp_path / "MNIST" / "raw"))
    ds = tv.datasets.MNIST(str(tmp_path), train=True)
    images, labels = _mnist_slice("train")
    assert len(ds) == N
    assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (N, 28, 28)
    assert ds.targets.dtype == ember.int64
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert type(target) is int and target == labels[3]
    np.testing.assert_array_equal(np.asarray(img), images[3])
    assert ds.class_to_idx["7 - seven"] == 7
    test = tv.datasets.MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(test.data.numpy(), _mnist_slice("t10k")[0])


@needs_mnist
@pytest.mark.skipif(not FULL_MNIST, reason="the full MNIST files (../shared/data/mnist) "
                                            "are not beside this checkout")
def test_mnist_full_test_split_from_shared_gz(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in os.listdir(MNIST_DIR):   # all four must be there, as for torchvision
        os.symlink(os.path.join(MNIST_DIR, name), raw / name)
    ds = tv.datasets.MNIST(str(tmp_path), train=False)
    assert len(ds) == 10000
    assert ds.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(ds.targets.numpy(), minlength=10).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@needs_mnist
def test_mnist_transforms_and_repr(tmp_path):
    _write_mnist_raw(str(tmp_path / "MNIST" / "raw"), compress=False)   # extracted files
    T = tv.transforms
    ds = tv.datasets.MNIST(str(tmp_path), train=True,
                           transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
                           target_transform=lambda y: y * 10)
    x, y = ds[0]
    images, labels = _mnist_slice("train")
    np.testing.assert_allclose(x.numpy()[0], (images[0] / np.float32(255) - np.float32(0.1307))
                               / np.float32(0.3081), rtol=1e-5, atol=1e-6)
    assert x.shape == (1, 28, 28) and y == labels[0] * 10
    ds = tv.datasets.MNIST(str(tmp_path), train=True,
                           transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]))
    assert repr(ds) == (
        "Dataset MNIST\n"
        "    Number of datapoints: 64\n"
        f"    Root location: {tmp_path}\n"
        "    Split: Train\n"
        "    StandardTransform\n"
        "Transform: Compose(\n"
        "               ToTensor()\n"
        "               Normalize(mean=(0.1307,), std=(0.3081,))\n"
        "           )")


@needs_mnist
def test_mnist_getitem_index_kinds_and_errors(tmp_path):
    _write_mnist_raw(str(tmp_path / "MNIST" / "raw"))
    ds = tv.datasets.MNIST(str(tmp_path), train=True)
    images, labels = _mnist_slice("train")
    for index in (0, 5, -1, np.int64(7), ember.tensor(3)):
        img, target = ds[index]
        assert type(target) is int and target == labels[int(index)]
        assert img.mode == "L" and img.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(img), images[int(index)])
    with pytest.raises(IndexError) as fast:
        ds[N]
    with pytest.raises(IndexError) as slow:
        ds.data[N]
    assert str(fast.value) == str(slow.value)
    # the image reads the dataset's memory, read-only: drawing on it leaves the data alone
    img, _ = ds[1]
    img.putpixel((0, 0), 255 - int(images[1][0, 0]))
    np.testing.assert_array_equal(ds.data[1].numpy(), images[1])


def test_mnist_not_found(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True to download it"):
        tv.datasets.MNIST(str(tmp_path))


@needs_mnist
def test_mnist_family_use_their_class_folder(tmp_path):
    for cls in (tv.datasets.FashionMNIST, tv.datasets.KMNIST):
        _write_mnist_raw(str(tmp_path / cls.__name__ / "raw"))
        ds = cls(str(tmp_path), train=False)
        assert len(ds) == N and ds.classes == cls.classes
    assert tv.datasets.FashionMNIST.classes[9] == "Ankle boot"


@needs_mnist
def test_emnist_split_files_and_errors(tmp_path):
    _write_mnist_raw(str(tmp_path / "EMNIST" / "raw"), prefixes=("train",), name_prefix="emnist-letters-")
    ds = tv.datasets.EMNIST(str(tmp_path), split="letters")
    assert len(ds) == N and ds.classes[:3] == ["N/A", "a", "b"]
    assert len(tv.datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(tv.datasets.EMNIST.classes_split_dict["balanced"]) == 47
    with pytest.raises(ValueError, match="Unknown value 'bogus' for argument split. Valid values are "
                                         "{'byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist'}."):
        tv.datasets.EMNIST(str(tmp_path), split="bogus")


def test_qmnist_compat_targets(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    labels = np.arange(24, dtype=np.int32).reshape(3, 8)
    with gzip.open(raw / "qmnist-test-images-idx3-ubyte.gz", "wb") as f:
        f.write(_idx_bytes(images))
    (raw / "qmnist-test-labels-idx2-int").write_bytes(_idx_bytes(labels, 12, ">i4"))
    ds = tv.datasets.QMNIST(str(tmp_path), what="test")
    assert ds[1][1] == 8
    full = tv.datasets.QMNIST(str(tmp_path), what="test", compat=False)
    assert full[1][1].tolist() == list(range(8, 16))
    assert "Split: test" in repr(ds)


# ---------------------------------------------------------------- IDX parsing
def test_idx_dtypes_and_big_endian(tmp_path):
    for code, dt in [(8, ">u1"), (9, ">i1"), (11, ">i2"), (12, ">i4"), (13, ">f4"), (14, ">f8")]:
        arr = (np.arange(24).reshape(2, 3, 4) - 7).astype(dt)
        if code == 8:
            arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
        p = tmp_path / f"x{code}"
        p.write_bytes(_idx_bytes(arr, code, dt))
        t = read_sn3_pascalvincent_tensor(str(p))
        assert t.shape == (2, 3, 4)
        assert t.dtype == ember.dtypes.from_np(np.dtype(dt).newbyteorder("="))
        np.testing.assert_array_equal(t.numpy(), arr)


def test_idx_corrupt_files_raise(tmp_path):
    good = _idx_bytes(np.zeros((2, 3, 3), np.uint8))
    cases = {
        "magic": b"\x01\x02" + good[2:],
        "type": good[:2] + b"\x07" + good[3:],
        "dims": good[:3] + b"\x00" + good[4:],
        "short_header": good[:10],
        "truncated": good[:-5],
        "trailing": good + b"\x00",
        "tiny": b"\x00\x00",
    }
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(ValueError, match="corrupt IDX file"):
            read_sn3_pascalvincent_tensor(str(p))
    gz = tmp_path / "bad.gz"
    gz.write_bytes(gzip.compress(good)[:-12])   # cut inside the stream
    with pytest.raises(ValueError, match="corrupt IDX file"):
        read_sn3_pascalvincent_tensor(str(gz))


def test_idx_type_checks(tmp_path):
    p = tmp_path / "labels"
    p.write_bytes(_idx_bytes(np.zeros((2, 2), np.uint8)))
    with pytest.raises(ValueError, match="x should have 1 dimension instead of 2"):
        read_label_file(str(p))
    p.write_bytes(_idx_bytes(np.zeros((2, 2, 2), np.int16), 11, ">i2"))
    with pytest.raises(TypeError, match="x should be of dtype torch.uint8 instead of torch.int16"):
        read_image_file(str(p))


# ---------------------------------------------------------------- downloads over loopback
class _Handler(http.server.SimpleHTTPRequestHandler):
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _Handler.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def http_root(tmp_path):
    """(directory served, base URL) of an HTTP server on 127.0.0.1, stopped after the test."""
    served = tmp_path / "served"
    served.mkdir()
    _Handler.requests = []
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(served)))
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nothing listens there now: connections are refused at once
    return f"http://127.0.0.1:{port}/"


@needs_mnist
def test_mnist_download_tries_mirrors_and_verifies_md5(http_root, tmp_path, capsys):
    served, url = http_root
    _write_mnist_raw(str(served))
    resources = [(f, _md5(served / f)) for f in sorted(os.listdir(served))]

    class LocalMNIST(tv.datasets.MNIST):
        mirrors = [_dead_url(), url]

    LocalMNIST.resources = resources
    root = tmp_path / "root"
    ds = LocalMNIST(str(root), train=True, download=True)
    assert len(ds) == N
    raw = root / "LocalMNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").is_file()   # extracted next to the .gz
    assert (raw / "train-images-idx3-ubyte.gz").is_file()
    out = capsys.readouterr().out
    assert "Failed to download (trying next):" in out and f"Downloading {url}" in out
    n_requests = len(_Handler.requests)
    LocalMNIST(str(root), train=False, download=True)   # already there: no new request
    assert len(_Handler.requests) == n_requests


@needs_mnist
def test_mnist_download_bad_md5_and_all_mirrors_down(http_root, tmp_path):
    served, url = http_root
    _write_mnist_raw(str(served))

    class BadMD5(tv.datasets.MNIST):
        mirrors = [url]
        resources = [(f, "0" * 32) for f in sorted(os.listdir(served))]

    with pytest.raises(RuntimeError, match="File not found or corrupted."):
        BadMD5(str(tmp_path / "r1"), download=True)

    class Down(tv.datasets.MNIST):
        mirrors = [_dead_url()]

    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz"):
        Down(str(tmp_path / "r2"), download=True)


def test_download_url_and_archives(http_root, tmp_path):
    served, url = http_root
    (served / "hello.txt").write_bytes(b"hello world")
    dutils.download_url(url + "hello.txt", str(tmp_path / "dl"), md5=_md5(served / "hello.txt"))
    assert (tmp_path / "dl" / "hello.txt").read_bytes() == b"hello world"
    n = len(_Handler.requests)
    dutils.download_url(url + "hello.txt", str(tmp_path / "dl"), md5=_md5(served / "hello.txt"))
    assert len(_Handler.requests) == n   # present and verified: not fetched again
    assert dutils.check_integrity(str(tmp_path / "dl" / "hello.txt"), _md5(served / "hello.txt"))
    assert not dutils.check_integrity(str(tmp_path / "dl" / "hello.txt"), "0" * 32)
    assert not dutils.check_integrity(str(tmp_path / "nope"))
    with pytest.raises(Exception) as e:   # urllib's HTTPError (a URLError) for a missing file
        dutils.download_url(url + "missing.bin", str(tmp_path / "dl"))
    assert "404" in str(e.value)

    payload = {"a/one.txt": b"1", "a/b/two.txt": b"22"}
    with tarfile.open(served / "arch.tar.gz", "w:gz") as tar:
        for name, data in payload.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(served / "arch.zip", "w") as zf:
        for name, data in payload.items():
            zf.writestr(name, data)
    for archive in ("arch.tar.gz", "arch.zip"):
        dest = tmp_path / archive.replace(".", "_")
        dutils.download_and_extract_archive(url + archive, str(dest), md5=_md5(served / archive))
        assert (dest / "a" / "b" / "two.txt").read_bytes() == b"22"
    (tmp_path / "f.bin.gz").write_bytes(gzip.compress(b"xyz"))
    out = dutils.extract_archive(str(tmp_path / "f.bin.gz"))
    assert out == str(tmp_path / "f.bin") and (tmp_path / "f.bin").read_bytes() == b"xyz"
    with pytest.raises(RuntimeError, match="Unknown compression or archive type: '.foo'"):
        dutils.extract_archive(str(tmp_path / "f.foo"))


def test_verify_str_arg_messages():
    assert dutils.verify_str_arg("a", "x", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="Unknown value 'c' for argument x. Valid values are {'a', 'b'}."):
        dutils.verify_str_arg("c", "x", ("a", "b"))
    with pytest.raises(ValueError, match="Expected type str for argument x, but got type <class 'int'>."):
        dutils.verify_str_arg(1, "x")


# ---------------------------------------------------------------- CIFAR and SVHN
def _write_cifar(folder, files, label_key, meta_name, meta_key, n_classes):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    md5 = {}
    for i, name in enumerate(files):
        data = rng.integers(0, 256, (5, 3072), dtype=np.uint8)
        entry = {"data": data, label_key: [(i * 5 + k) % n_classes for k in range(5)]}
        (folder / name).write_bytes(pickle.dumps(entry))
        md5[name] = _md5(folder / name)
    (folder / meta_name).write_bytes(pickle.dumps({meta_key: [f"c{k}" for k in range(n_classes)]}))
    md5[meta_name] = _md5(folder / meta_name)
    return md5


def test_cifar10_and_cifar100(tmp_path):
    files = ["data_batch_1", "data_batch_2", "test_batch"]
    md5 = _write_cifar(tmp_path / "cifar-10-batches-py", files, "labels", "batches.meta", "label_names", 10)

    class C10(tv.datasets.CIFAR10):
        base_folder = "cifar-10-batches-py"
        train_list = [[f, md5[f]] for f in files[:2]]
        test_list = [["test_batch", md5["test_batch"]]]
        meta = {"filename": "batches.meta", "key": "label_names", "md5": md5["batches.meta"]}

    ds = C10(str(tmp_path), train=True)
    assert len(ds) == 10 and ds.data.shape == (10, 32, 32, 3) and ds.classes[3] == "c3"
    img, target = ds[7]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and target == 7
    raw = pickle.loads((tmp_path / "cifar-10-batches-py" / "data_batch_2").read_bytes())["data"][2]
    np.testing.assert_array_equal(np.asarray(img), raw.reshape(3, 32, 32).transpose(1, 2, 0))
    assert "Split: Train" in repr(ds) and len(C10(str(tmp_path), train=False)) == 5
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(b"corrupt")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted. You can use download=True"):
        C10(str(tmp_path))

    md5 = _write_cifar(tmp_path / "cifar-100-python", ["train", "test"], "fine_labels", "meta",
                       "fine_label_names", 100)

    class C100(tv.datasets.CIFAR100):
        train_list = [["train", md5["train"]]]
        test_list = [["test", md5["test"]]]
        meta = {"filename": "meta", "key": "fine_label_names", "md5": md5["meta"]}

    ds = C100(str(tmp_path), train=False)
    assert ds.targets == [5, 6, 7, 8, 9] and len(ds.classes) == 100


def test_cifar_download_extracts_tarball(http_root, tmp_path):
    served, url = http_root
    src = tmp_path / "src"
    md5 = _write_cifar(src / "cifar-10-batches-py", ["data_batch_1", "test_batch"], "labels",
                       "batches.meta", "label_names", 10)
    with tarfile.open(served / "c.tar.gz", "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")

    class C10(tv.datasets.CIFAR10):
        url = http_root[1] + "c.tar.gz"
        filename = "c.tar.gz"
        tgz_md5 = _md5(served / "c.tar.gz")
        train_list = [["data_batch_1", md5["data_batch_1"]]]
        test_list = [["test_batch", md5["test_batch"]]]
        meta = {"filename": "batches.meta", "key": "label_names", "md5": md5["batches.meta"]}

    ds = C10(str(tmp_path / "root"), download=True)
    assert len(ds) == 5


def test_svhn_from_mat(tmp_path):
    sio = pytest.importorskip("scipy.io")
    x = np.random.default_rng(0).integers(0, 256, (32, 32, 3, 4), dtype=np.uint8)
    y = np.array([[10], [1], [2], [10]], np.uint8)
    sio.savemat(str(tmp_path / "test_32x32.mat"), {"X": x, "y": y})

    class S(tv.datasets.SVHN):
        split_list = {"test": ["unused", "test_32x32.mat", _md5(tmp_path / "test_32x32.mat")]}

    ds = S(str(tmp_path), split="test")
    assert ds.labels.tolist() == [0, 1, 2, 0] and ds.data.shape == (4, 3, 32, 32)
    img, target = ds[1]
    assert target == 1 and img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), x[:, :, :, 1])
    assert "Split: test" in repr(ds)


# ---------------------------------------------------------------- folders
def _make_tree(root, spec):
    for rel in spec:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith((".png", ".PNG", ".jpg")):
            Image.fromarray(np.full((4, 5), len(rel), np.uint8)).save(path)
        else:
            path.write_bytes(b"x")


def test_image_folder(tmp_path):
    _make_tree(tmp_path, ["dog/b.png", "dog/a.PNG", "cat/z/deep.png", "cat/c.jpg", "cat/notes.txt",
                          "bird/x.png"])
    ds = tv.datasets.ImageFolder(str(tmp_path))
    assert ds.classes == ["bird", "cat", "dog"]
    assert ds.class_to_idx == {"bird": 0, "cat": 1, "dog": 2}
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == [
        "bird/x.png", "cat/c.jpg", "cat/z/deep.png", "dog/a.PNG", "dog/b.png"]
    assert ds.targets == [0, 1, 1, 2, 2] and ds.imgs is ds.samples
    img, target = ds[4]
    assert img.mode == "RGB" and img.size == (5, 4) and target == 2
    assert repr(ds).splitlines()[:3] == ["Dataset ImageFolder", "    Number of datapoints: 5",
                                         f"    Root location: {tmp_path}"]


def test_dataset_folder_selection_and_errors(tmp_path):
    _make_tree(tmp_path, ["a/1.txt", "a/2.bin", "b/3.txt", "c/4.bin"])
    ds = tv.datasets.DatasetFolder(str(tmp_path), loader=lambda p: os.path.basename(p),
                                   extensions=(".txt",), allow_empty=True)
    assert [s for s, _ in ds] == ["1.txt", "3.txt"] and ds.targets == [0, 1]
    with pytest.raises(FileNotFoundError, match=r"Found no valid file for the classes c. Supported extensions are: .txt"):
        tv.datasets.DatasetFolder(str(tmp_path), loader=open, extensions=".txt")
    ds = tv.datasets.DatasetFolder(str(tmp_path), loader=len, is_valid_file=lambda p: p.endswith(".bin"),
                                   allow_empty=True)
    assert ds.targets == [0, 2]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        tv.datasets.DatasetFolder(str(tmp_path), loader=len)
    empty = tmp_path / "empty"
    (empty / "f").mkdir(parents=True)
    shutil.rmtree(empty / "f")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        tv.datasets.ImageFolder(str(empty))


# ---------------------------------------------------------------- FakeData and the base class
def test_fake_data_is_deterministic_and_restores_rng():
    ds = tv.datasets.FakeData(size=5, image_size=(3, 8, 6), num_classes=4,
                              transform=tv.transforms.PILToTensor())
    ember.manual_seed(0)
    before = ember.rand(3)
    ember.manual_seed(0)
    a, ta = ds[2]
    after = ember.rand(3)
    np.testing.assert_array_equal(before.numpy(), after.numpy())   # global state untouched
    b, tb = ds[2]
    assert ta == tb and 0 <= ta < 4 and a.shape == (3, 8, 6)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(ds[3][0].numpy(), a.numpy())
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[5]
    assert repr(ds).splitlines() == ["Dataset FakeData", "    Number of datapoints: 5",
                                     "    StandardTransform", "Transform: PILToTensor()"]


def test_fake_data_target_transform_gets_a_tensor():
    # torchvision applies target_transform to the 0-dim int64 target tensor and returns
    # .item() of the result: an int, and a multi-element result fails in .item()
    seen = []

    def record(t):
        seen.append(t)
        return t + 100

    ds = tv.datasets.FakeData(size=3, image_size=(1, 4, 4), num_classes=5, target_transform=record)
    img, target = ds[1]
    assert isinstance(seen[0], ember.Tensor) and seen[0].dim() == 0
    assert seen[0].dtype == ember.int64
    assert type(target) is int and target == seen[0].item() + 100
    assert isinstance(img, Image.Image) and img.size == (4, 4) and img.mode == "L"
    assert type(tv.datasets.FakeData(size=1)[0][1]) is int
    one_hot = tv.datasets.FakeData(size=1, target_transform=lambda t: ember.zeros(10))
    with pytest.raises(RuntimeError, match="a Tensor with 10 elements cannot be converted to Scalar"):
        one_hot[0]


def test_vision_dataset_transform_arguments():
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform can be passed as argument"):
        tv.datasets.VisionDataset("r", transforms=lambda x, y: (x, y), transform=lambda x: x)
    st = tv.datasets.vision.StandardTransform(tv.transforms.ToTensor(), tv.transforms.Lambda(int))
    assert repr(st) == "StandardTransform\nTransform: ToTensor()\nTarget transform: Lambda()"
    assert st(np.zeros((2, 2), np.uint8), 3.7)[1] == 3
    assert isinstance(tv.datasets.FakeData(1), ember.utils.data.dataset.Dataset)
