"""Build the MNIST subset that ships inside the package (ember/_data/MNIST/raw), from the real
MNIST IDX files. The main job (examples/mnist.py) trains on it when no --data-dir is given.

usage: python tools/make_mnist_subset.py [MNIST_DIR] [--train N] [--test N]

A seeded random subset (not the first N) keeps both parts representative: the official test
set's first half comes from an easier writer population than its second half.
"""
import argparse
import gzip
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# torchvision's layout, so `vision.datasets.MNIST(ember._data_root())` reads it as is
OUT = os.path.join(HERE, "..", "ember", "_data", "MNIST", "raw")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype_code == 0x08, f"{path}: not an unsigned-byte IDX file"
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim,
                                                                    *array.shape)
    # mtime=0: the same input gives byte-identical files (reproducible builds)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mnist_dir", nargs="?",
                   default=os.path.join(HERE, "..", "..", "shared", "data", "mnist"))
    p.add_argument("--train", type=int, default=15000)
    p.add_argument("--test", type=int, default=5000)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    os.makedirs(OUT, exist_ok=True)
    for split, n in (("train", args.train), ("t10k", args.test)):
        images = read_idx(os.path.join(args.mnist_dir, f"{split}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(args.mnist_dir, f"{split}-labels-idx1-ubyte.gz"))
        idx = np.sort(rng.permutation(len(labels))[:n])
        write_idx(os.path.join(OUT, f"{split}-images-idx3-ubyte.gz"), images[idx])
        write_idx(os.path.join(OUT, f"{split}-labels-idx1-ubyte.gz"), labels[idx])
        print(f"{split}: {n} of {len(labels)} images, classes {np.bincount(labels[idx]).tolist()}")


if __name__ == "__main__":
    main()
