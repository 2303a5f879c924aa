"""`torchvision.datasets`: MNIST family, CIFAR, SVHN, folder datasets and FakeData, with
torchvision's root layout and download/verify helpers (`datasets.utils`)."""
from . import utils  # noqa: F401
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .svhn import SVHN
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST", "CIFAR10", "CIFAR100", "SVHN",
           "ImageFolder", "DatasetFolder", "FakeData", "VisionDataset"]
