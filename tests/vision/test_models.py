"""ember.vision.models and ember.hub.

torchvision is not installed (and must not be): the references are re-implementations of
torchvision's architectures in plain torch.nn below, written from torchvision's documented
structure. Their state_dicts fix the expected key names and shapes; their weights, copied
into ember through NumPy, fix the expected outputs and gradients.
"""
import hashlib
import http.server
import os
import threading
import warnings
import zipfile
from functools import partial

import numpy as np
import pytest

import ember
import ember.hub
import ember.vision as vision
from ember import nn
from ember.vision import models
from ember.vision.models import resnet as resnet_module
from ember.vision.models._utils import IntermediateLayerGetter, _make_divisible

try:
    import torch
    tnn = torch.nn
    _TModule = tnn.Module
except ImportError:            # the torch-free tests still run
    torch = tnn = None
    _TModule = object
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle here")


# ---------------------------------------------------------------- torch references

def _t_conv3x3(i, o, stride=1, groups=1, dilation=1):
    return tnn.Conv2d(i, o, 3, stride, padding=dilation, groups=groups, bias=False,
                      dilation=dilation)


class TBasicBlock(_TModule):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1):
        super().__init__()
        self.conv1 = _t_conv3x3(inplanes, planes, stride)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = _t_conv3x3(planes, planes)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class TBottleneck(_TModule):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = tnn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(width)
        self.conv2 = _t_conv3x3(width, width, stride, groups, dilation)
        self.bn2 = tnn.BatchNorm2d(width)
        self.conv3 = tnn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class TResNet(_TModule):
    def __init__(self, block, layers, num_classes=1000, groups=1, width_per_group=64):
        super().__init__()
        self.inplanes, self.groups, self.base_width = 64, groups, width_per_group
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(
                tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width)
                   for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def t_vgg_features(cfg, batch_norm=False):
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
        else:
            layers += [tnn.Conv2d(c, v, 3, padding=1)]
            layers += [tnn.BatchNorm2d(v)] if batch_norm else []
            layers += [tnn.ReLU(inplace=True)]
            c = v
    return tnn.Sequential(*layers)


class TVGG(_TModule):
    def __init__(self, features, num_classes=1000):
        super().__init__()
        self.features = features
        self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
        self.classifier = tnn.Sequential(
            tnn.Linear(512 * 7 * 7, 4096), tnn.ReLU(True), tnn.Dropout(),
            tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(), tnn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TAlexNet(_TModule):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(3, 64, 11, 4, 2), tnn.ReLU(True), tnn.MaxPool2d(3, 2),
            tnn.Conv2d(64, 192, 5, padding=2), tnn.ReLU(True), tnn.MaxPool2d(3, 2),
            tnn.Conv2d(192, 384, 3, padding=1), tnn.ReLU(True),
            tnn.Conv2d(384, 256, 3, padding=1), tnn.ReLU(True),
            tnn.Conv2d(256, 256, 3, padding=1), tnn.ReLU(True), tnn.MaxPool2d(3, 2))
        self.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
        self.classifier = tnn.Sequential(
            tnn.Dropout(), tnn.Linear(256 * 36, 4096), tnn.ReLU(True), tnn.Dropout(),
            tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def t_conv_bn_relu6(i, o, k=3, stride=1, groups=1):
    # torchvision.ops.Conv2dNormActivation(..., activation_layer=nn.ReLU6)
    return tnn.Sequential(tnn.Conv2d(i, o, k, stride, (k - 1) // 2, groups=groups, bias=False),
                          tnn.BatchNorm2d(o), tnn.ReLU6(inplace=True))


class TInvertedResidual(_TModule):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res = stride == 1 and inp == oup
        layers = [t_conv_bn_relu6(inp, hidden, 1)] if t != 1 else []
        layers += [t_conv_bn_relu6(hidden, hidden, 3, stride, hidden),
                   tnn.Conv2d(hidden, oup, 1, bias=False), tnn.BatchNorm2d(oup)]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class TMobileNetV2(_TModule):
    SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
               [6, 160, 3, 2], [6, 320, 1, 1]]

    def __init__(self, num_classes=1000):
        super().__init__()
        c_in, feats = 32, [t_conv_bn_relu6(3, 32, stride=2)]
        for t, c, n, s in self.SETTING:
            for i in range(n):
                feats.append(TInvertedResidual(c_in, c, s if i == 0 else 1, t))
                c_in = c
        feats.append(t_conv_bn_relu6(c_in, 1280, 1))
        self.features = tnn.Sequential(*feats)
        self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, num_classes))

    def forward(self, x):
        x = tnn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class TLeNet5(_TModule):
    def __init__(self):
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2), tnn.Tanh(), tnn.AvgPool2d(2, 2),
            tnn.Conv2d(6, 16, 5), tnn.Tanh(), tnn.AvgPool2d(2, 2))
        self.classifier = tnn.Sequential(tnn.Linear(400, 120), tnn.Tanh(), tnn.Linear(120, 84),
                                         tnn.Tanh(), tnn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# ---------------------------------------------------------------- helpers

def n_params(model):
    return sum(p.numel() for p in model.parameters())


def randomize_bn(tmodel, seed=0):
    """Non-trivial BN affine parameters and running statistics, so eval outputs test them."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in tmodel.modules():
            if isinstance(m, tnn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.rand(c, generator=g) - 0.5)
                m.running_mean.copy_(torch.rand(c, generator=g) * 0.2 - 0.1)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
    return tmodel


def load_from_torch(emodel, tmodel):
    """Copy torch weights into ember through NumPy; also checks key names and shapes."""
    sd = {k: ember.tensor(v.detach().numpy()) for k, v in tmodel.state_dict().items()}
    emodel.load_state_dict(sd)
    return emodel


def assert_same_state_dict_layout(emodel, tmodel):
    esd, tsd = emodel.state_dict(), tmodel.state_dict()
    assert list(esd.keys()) == list(tsd.keys())
    for k in tsd:
        assert tuple(esd[k].shape) == tuple(tsd[k].shape), k


def compare_eval(emodel, tmodel, shape, rtol=1e-4, atol=1e-4, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    emodel.eval()
    tmodel.eval()
    with ember.no_grad():
        ey = emodel(ember.tensor(x)).numpy()
    with torch.no_grad():
        ty = tmodel(torch.tensor(x)).numpy()
    assert ey.shape == ty.shape
    np.testing.assert_allclose(ey, ty, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def vgg16():
    """One ember vgg16 for the module (the costly build: 138M parameters)."""
    ember.manual_seed(0)
    return models.vgg16()


@pytest.fixture(scope="module")
def vgg16_pair(vgg16):
    """The ember vgg16 and a torch re-implementation holding the same weights."""
    if torch is None:
        pytest.skip("PyTorch is the oracle here")
    emodel = vgg16
    tmodel = TVGG(t_vgg_features(models.vgg.cfgs["D"]))
    with torch.no_grad():
        for k, v in tmodel.state_dict().items():
            v.copy_(torch.from_numpy(emodel.state_dict()[k].numpy()))
    return emodel, tmodel


# ---------------------------------------------------------------- parameter counts

@pytest.mark.parametrize("builder, expected", [
    (models.resnet18, 11_689_512), (models.resnet34, 21_797_672), (models.resnet50, 25_557_032),
    (models.resnet101, 44_549_160), (models.alexnet, 61_100_840),
    (models.mobilenet_v2, 3_504_872), (models.resnext50_32x4d, 25_028_904),
    (models.lenet5, 61_706),
])
def test_parameter_counts(builder, expected):
    assert n_params(builder()) == expected


def test_vgg16_parameter_count(vgg16):
    assert n_params(vgg16) == 138_357_544
    assert models.VGG16_Weights.IMAGENET1K_V1.meta["num_params"] == 138_357_544


@pytest.mark.parametrize("cfg, bn, weights", [
    ("A", False, models.VGG11_Weights), ("A", True, models.VGG11_BN_Weights),
    ("B", False, models.VGG13_Weights), ("B", True, models.VGG13_BN_Weights),
    ("D", True, models.VGG16_BN_Weights),
    ("E", False, models.VGG19_Weights), ("E", True, models.VGG19_BN_Weights),
])
def test_vgg_cfg_table(cfg, bn, weights):
    # features from the table; the classifier is the same fixed head in every VGG
    features = models.vgg.make_layers(models.vgg.cfgs[cfg], batch_norm=bn)
    head = (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    assert n_params(features) + head == weights.DEFAULT.meta["num_params"]
    if torch is not None:
        assert_same_state_dict_layout(features, t_vgg_features(models.vgg.cfgs[cfg], bn))


def test_weights_meta_num_params_match_models():
    for builder, enum in [(models.resnet18, models.ResNet18_Weights),
                          (models.resnet50, models.ResNet50_Weights),
                          (models.alexnet, models.AlexNet_Weights),
                          (models.mobilenet_v2, models.MobileNet_V2_Weights)]:
        n = n_params(builder())
        assert all(w.meta["num_params"] == n for w in enum)
        assert all(len(w.meta["categories"]) == 1000 for w in enum)


# ---------------------------------------------------------------- state_dict keys

@needs_torch
def test_resnet18_state_dict_keys():
    emodel = models.resnet18()
    assert_same_state_dict_layout(emodel, TResNet(TBasicBlock, [2, 2, 2, 2]))
    keys = list(emodel.state_dict())
    assert len(keys) == 122
    assert keys[:7] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                        "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight"]
    assert "layer2.0.downsample.1.running_mean" in keys and keys[-2:] == ["fc.weight", "fc.bias"]


@needs_torch
def test_resnet50_state_dict_keys():
    emodel = models.resnet50()
    assert_same_state_dict_layout(emodel, TResNet(TBottleneck, [3, 4, 6, 3]))
    keys = emodel.state_dict().keys()
    assert len(keys) == 320
    assert "layer1.0.downsample.1.running_mean" in keys and "layer4.2.bn3.weight" in keys


@needs_torch
def test_resnext_state_dict_keys():
    emodel = models.resnext50_32x4d()
    assert_same_state_dict_layout(
        emodel, TResNet(TBottleneck, [3, 4, 6, 3], groups=32, width_per_group=4))
    assert emodel.layer1[0].conv2.groups == 32


@needs_torch
def test_alexnet_mobilenet_lenet_state_dict_keys():
    assert_same_state_dict_layout(models.alexnet(), TAlexNet())
    emodel = models.mobilenet_v2()
    assert_same_state_dict_layout(emodel, TMobileNetV2())
    keys = list(emodel.state_dict())
    assert len(keys) == 314
    assert keys[:2] == ["features.0.0.weight", "features.0.1.weight"]
    assert "features.1.conv.0.0.weight" in keys and "features.2.conv.3.running_var" in keys
    assert keys[-2:] == ["classifier.1.weight", "classifier.1.bias"]
    assert_same_state_dict_layout(models.lenet5(), TLeNet5())


@needs_torch
def test_module_reprs_match_torchvision_structure():
    # torchvision prints its own class names; the references differ only in the T prefix
    def untorch(m):
        return repr(m).replace("TResNet", "ResNet").replace("TBasicBlock", "BasicBlock") \
            .replace("TBottleneck", "Bottleneck").replace("TAlexNet", "AlexNet")
    assert repr(models.resnet18()) == untorch(TResNet(TBasicBlock, [2, 2, 2, 2]))
    assert repr(models.resnet50()) == untorch(TResNet(TBottleneck, [3, 4, 6, 3]))
    assert repr(models.alexnet()) == untorch(TAlexNet())
    assert repr(models.vgg.make_layers(models.vgg.cfgs["A"], True)) == \
        repr(t_vgg_features(models.vgg.cfgs["A"], True))


def test_vgg16_state_dict_keys(vgg16_pair):
    emodel, tmodel = vgg16_pair
    assert_same_state_dict_layout(emodel, tmodel)
    keys = list(emodel.state_dict())
    assert keys[:2] == ["features.0.weight", "features.0.bias"]
    assert keys[-6:] == ["classifier.0.weight", "classifier.0.bias", "classifier.3.weight",
                         "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"]


# ---------------------------------------------------------------- outputs against torch

@needs_torch
def test_resnet18_eval_output_matches_torch():
    torch.manual_seed(0)
    tmodel = randomize_bn(TResNet(TBasicBlock, [2, 2, 2, 2]))
    emodel = load_from_torch(models.resnet18(), tmodel)
    compare_eval(emodel, tmodel, (2, 3, 64, 64))


@needs_torch
def test_resnet18_train_step_matches_torch():
    # batch statistics, running-stat updates and every parameter's gradient
    # in float64: with a batch of 4, layer4's BN normalizes over 4 values, and float32
    # rounding differences between the two libraries' kernels grow large there
    torch.manual_seed(1)
    tmodel = TResNet(TBasicBlock, [2, 2, 2, 2], num_classes=10).double()
    emodel = load_from_torch(models.resnet18(num_classes=10).double(), tmodel)
    x = np.random.default_rng(1).standard_normal((4, 3, 32, 32))
    y = np.array([0, 3, 5, 9])
    tloss = tnn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
    eloss = nn.functional.cross_entropy(emodel(ember.tensor(x)), ember.tensor(y))
    np.testing.assert_allclose(eloss.item(), tloss.item(), rtol=1e-10)
    tloss.backward()
    eloss.backward()
    tparams = dict(tmodel.named_parameters())
    for name, p in emodel.named_parameters():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(),
                                   rtol=1e-7, atol=1e-10, err_msg=name)
    tbuf = dict(tmodel.named_buffers())
    for name, b in emodel.named_buffers():
        np.testing.assert_allclose(b.numpy(), tbuf[name].numpy(), rtol=1e-10, err_msg=name)


@needs_torch
def test_resnet50_eval_output_matches_torch():
    torch.manual_seed(2)
    tmodel = randomize_bn(TResNet(TBottleneck, [3, 4, 6, 3]))
    emodel = load_from_torch(models.resnet50(), tmodel)
    compare_eval(emodel, tmodel, (1, 3, 64, 64))


@needs_torch
def test_mobilenet_v2_eval_output_matches_torch():
    torch.manual_seed(3)
    tmodel = randomize_bn(TMobileNetV2())
    emodel = load_from_torch(models.mobilenet_v2(), tmodel)
    compare_eval(emodel, tmodel, (2, 3, 64, 64))


@needs_torch
def test_alexnet_eval_output_matches_torch():
    torch.manual_seed(4)
    tmodel = TAlexNet()
    emodel = load_from_torch(models.alexnet(), tmodel)
    compare_eval(emodel, tmodel, (1, 3, 63, 63))   # AlexNet's min_size


def test_vgg16_eval_output_matches_torch(vgg16_pair):
    emodel, tmodel = vgg16_pair
    compare_eval(emodel, tmodel, (1, 3, 32, 32), rtol=1e-4, atol=1e-6)


@needs_torch
def test_lenet5_output_matches_torch():
    torch.manual_seed(5)
    tmodel = TLeNet5()
    emodel = load_from_torch(models.lenet5(), tmodel)
    compare_eval(emodel, tmodel, (3, 1, 28, 28))
    assert models.LeNet5(padding=0)(ember.randn(2, 1, 32, 32)).shape == (2, 10)


# ---------------------------------------------------------------- shapes and training

@pytest.mark.parametrize("builder, shape, kwargs", [
    (models.resnet18, (1, 3, 64, 64), {}),
    (models.resnet34, (1, 3, 32, 32), {"num_classes": 7}),
    (models.resnet50, (2, 3, 32, 32), {"num_classes": 5}),
    (models.mobilenet_v2, (1, 3, 32, 32), {}),
    (models.alexnet, (1, 3, 63, 63), {"num_classes": 3}),
])
def test_forward_shapes(builder, shape, kwargs):
    model = builder(**kwargs).eval()
    with ember.no_grad():
        out = model(ember.randn(*shape))
    assert out.shape == (shape[0], kwargs.get("num_classes", 1000))
    assert out.dtype == ember.float32


@pytest.mark.parametrize("builder, shape", [
    (partial(models.resnet18, num_classes=10), (2, 3, 32, 32)),
    (partial(models.mobilenet_v2, num_classes=10, width_mult=0.5), (2, 3, 32, 32)),
    (partial(models.lenet5), (4, 1, 28, 28)),
])
def test_training_step_reaches_every_parameter(builder, shape):
    ember.manual_seed(0)
    model = builder().train()
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = ember.randn(*shape)
    y = ember.tensor([i % 10 for i in range(shape[0])])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert p.grad.abs().sum().item() > 0, name
    opt.step()
    after = model.state_dict()
    for name, _ in model.named_parameters():
        assert not ember.equal(before[name], after[name]), name


def test_zero_init_residual():
    m18 = models.resnet18(zero_init_residual=True)
    for block in [b for layer in (m18.layer1, m18.layer4) for b in layer]:
        assert (block.bn2.weight == 0).all() and (block.bn1.weight == 1).all()
    m50 = models.resnet50(zero_init_residual=True)
    assert (m50.layer3[2].bn3.weight == 0).all() and (m50.layer3[2].bn2.weight == 1).all()
    assert (models.resnet18().layer1[0].bn2.weight == 1).all()


def test_resnet_initialisation():
    ember.manual_seed(0)
    model = models.resnet50()
    w = model.layer3[0].conv2.weight          # 256 x 256 x 3 x 3: fan_out = 256*9
    assert abs(w.std().item() - np.sqrt(2.0 / (256 * 9))) < 0.02 * np.sqrt(2.0 / (256 * 9))
    assert abs(w.mean().item()) < 1e-3
    assert (model.bn1.weight == 1).all() and (model.bn1.bias == 0).all()
    # fc keeps Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert model.fc.weight.abs().max().item() <= 1 / np.sqrt(2048)


def test_vgg_and_mobilenet_initialisation(vgg16):
    vgg = vgg16
    w = vgg.classifier[3].weight
    assert abs(w.std().item() - 0.01) < 1e-4 and (vgg.classifier[3].bias == 0).all()
    assert (vgg.features[0].bias == 0).all()
    c = vgg.features[28].weight                # 512 x 512 x 3 x 3
    assert abs(c.std().item() - np.sqrt(2.0 / (512 * 9))) < 0.02 * np.sqrt(2.0 / (512 * 9))

    ember.manual_seed(0)
    mnv2 = models.mobilenet_v2()
    lin = mnv2.classifier[1]
    assert abs(lin.weight.std().item() - 0.01) < 5e-4 and (lin.bias == 0).all()
    c = mnv2.features[18][0].weight            # 1280 x 320 x 1 x 1: fan_out = 1280
    assert abs(c.std().item() - np.sqrt(2.0 / 1280)) < 0.02 * np.sqrt(2.0 / 1280)


def test_resnet_dilation_groups_and_norm_layer():
    model = models.resnet50(replace_stride_with_dilation=[False, True, True]).eval()
    assert model.layer4[0].conv2.dilation == (2, 2) and model.layer4[0].conv2.stride == (1, 1)
    assert model.layer4[1].conv2.dilation == (4, 4)
    assert model.layer3[0].conv2.dilation == (1, 1) and model.layer3[1].conv2.dilation == (2, 2)
    getter = IntermediateLayerGetter(model, {"layer1": "c2", "layer4": "out"})
    with ember.no_grad():
        feats = getter(ember.randn(1, 3, 64, 64))
    assert list(feats) == ["c2", "out"]
    assert feats["c2"].shape == (1, 256, 16, 16) and feats["out"].shape == (1, 2048, 8, 8)

    wide = models.wide_resnet50_2()
    assert wide.layer4[2].conv2.weight.shape == (1024, 1024, 3, 3)
    assert n_params(wide) == 68_883_240

    gn = models.resnet18(norm_layer=lambda c: nn.GroupNorm(8, c), num_classes=4)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in gn.modules())
    assert gn(ember.randn(1, 3, 32, 32)).shape == (1, 4)

    with pytest.raises(ValueError, match="replace_stride_with_dilation should be None or a "
                                         r"3-element tuple, got \[True\]"):
        models.resnet50(replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        models.resnet18(groups=2)
    with pytest.raises(NotImplementedError, match="Dilation > 1 not supported in BasicBlock"):
        models.resnet18(replace_stride_with_dilation=[False, False, True])
    with pytest.raises(ValueError, match="The parameter 'groups' expected value 32 but got 8"):
        models.resnext50_32x4d(groups=8)


def test_mobilenet_v2_options():
    assert [_make_divisible(v, 8) for v in (32 * 0.5, 16 * 0.5, 24 * 0.35, 1280 * 1.4, 3)] == \
        [16, 8, 8, 1792, 8]
    half = models.mobilenet_v2(width_mult=0.5)
    assert half.features[0][0].out_channels == 16 and half.last_channel == 1280
    assert half.features[1].conv[1].out_channels == 8
    assert models.mobilenet_v2(width_mult=1.4).last_channel == 1792
    block = models.mobilenetv2.InvertedResidual(16, 16, 1, expand_ratio=6)
    assert block.use_res_connect and len(block.conv) == 4 and block.conv[1][0].groups == 96
    assert not models.mobilenetv2.InvertedResidual(16, 24, 2, expand_ratio=6).use_res_connect
    assert repr(block.conv[0]).startswith("Conv2dNormActivation(\n  (0): Conv2d(16, 96, "
                                          "kernel_size=(1, 1), stride=(1, 1), bias=False)")
    assert "ReLU6(inplace=True)" in repr(block.conv[0])
    with pytest.raises(ValueError, match="stride should be 1 or 2 instead of 3"):
        models.mobilenetv2.InvertedResidual(16, 16, 3, expand_ratio=6)
    with pytest.raises(ValueError, match="inverted_residual_setting should be non-empty"):
        models.MobileNetV2(inverted_residual_setting=[[1, 16, 1]])
    small = models.MobileNetV2(num_classes=3, inverted_residual_setting=[[1, 16, 1, 1],
                                                                         [6, 24, 2, 2]])
    assert small(ember.randn(1, 3, 32, 32)).shape == (1, 3)


# ---------------------------------------------------------------- weights API

def test_weights_enum_api():
    W = models.ResNet50_Weights
    assert W.DEFAULT is W.IMAGENET1K_V2 and list(W) == [W.IMAGENET1K_V1, W.IMAGENET1K_V2]
    assert repr(W.DEFAULT) == "ResNet50_Weights.IMAGENET1K_V2"
    assert W.IMAGENET1K_V1.url == "https://download.pytorch.org/models/resnet50-0676ba61.pth"
    assert W.IMAGENET1K_V2.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 80.858
    assert models.ResNet18_Weights.DEFAULT is models.ResNet18_Weights.IMAGENET1K_V1
    assert models.ResNet18_Weights.IMAGENET1K_V1.url.endswith("resnet18-f37072fd.pth")
    cats = W.DEFAULT.meta["categories"]
    assert (cats[0], cats[207], cats[281], cats[999]) == \
        ("tench", "golden retriever", "tabby", "toilet tissue")
    assert W.verify("IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert W.verify("ResNet50_Weights.DEFAULT") is W.IMAGENET1K_V2 and W.verify(None) is None
    with pytest.raises(TypeError, match="Invalid Weight class provided; expected "
                                        "ResNet50_Weights but received ResNet18_Weights."):
        W.verify(models.ResNet18_Weights.DEFAULT)
    assert models.get_weight("MobileNet_V2_Weights.IMAGENET1K_V1") is \
        models.MobileNet_V2_Weights.IMAGENET1K_V1
    assert models.get_model_weights("resnet50") is W
    assert models.get_model_weights(models.vgg16) is models.VGG16_Weights
    assert vision.models.mobilenet.mobilenet_v2 is models.mobilenet_v2
    assert models.VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None
    assert {"resnet18", "resnet50", "vgg16", "vgg11_bn", "alexnet", "mobilenet_v2",
            "lenet5"} <= set(models.list_models())
    assert models.list_models(include="vgg1*", exclude="*_bn") == ["vgg11", "vgg13", "vgg16",
                                                                  "vgg19"]
    assert models.list_models(module=models) == models.list_models()
    assert isinstance(models.get_model("ResNet18", num_classes=3), models.ResNet)
    with pytest.raises(ValueError, match="Unknown model nope"):
        models.get_model("nope")
    with pytest.raises(ValueError, match="No weights available for model lenet5"):
        models.lenet5(weights="DEFAULT")
    import copy
    import pickle
    assert copy.deepcopy(W.DEFAULT) is W.DEFAULT
    assert pickle.loads(pickle.dumps(W.DEFAULT)) is W.DEFAULT


@needs_torch
def test_weights_transforms_preset():
    preset = models.ResNet50_Weights.IMAGENET1K_V2.transforms()
    assert repr(preset) == ("ImageClassification(\n    crop_size=[224]\n    resize_size=[232]\n"
                            "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
                            "    interpolation=InterpolationMode.BILINEAR\n)")
    img = np.random.default_rng(0).integers(0, 256, (3, 240, 320), dtype=np.uint8)
    out = preset(ember.tensor(img))
    assert out.shape == (3, 224, 224) and out.dtype == ember.float32
    # torchvision's tensor path: resize the smaller edge (antialiased bilinear; uint8 images
    # are rounded back to uint8), center crop, scale to [0, 1], normalize
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]

    def reference(t, rounded):
        t = tnn.functional.interpolate(t[None], size=(232, 309), mode="bilinear",
                                       align_corners=False, antialias=True)[0]
        if rounded:
            t = t.round().clamp(0, 255) / 255.0
        top, left = int(round((232 - 224) / 2.0)), int(round((309 - 224) / 2.0))
        return ((t[:, top:top + 224, left:left + 224] - mean) / std).numpy()

    # uint8 rounding may land one level apart where float32 resize results straddle .5
    expected = reference(torch.tensor(img, dtype=torch.float32), rounded=True)
    diff = np.abs(out.numpy() - expected)
    assert diff.max() < 1.01 / 255 / 0.224 and (diff > 1e-5).mean() < 1e-2
    fimg = np.random.default_rng(1).random((3, 240, 320)).astype(np.float32)
    np.testing.assert_allclose(preset(ember.tensor(fimg)).numpy(),
                               reference(torch.tensor(fimg), rounded=False), atol=3e-4)


def _messages(record):
    return [str(w.message) for w in record]


def test_legacy_pretrained_argument(tmp_path, monkeypatch):
    monkeypatch.setattr(ember.hub, "_hub_dir", str(tmp_path))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = models.resnet18(pretrained=False)
    assert isinstance(model, models.ResNet)
    assert _messages(record) == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
        "please use 'weights' instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 "
        "and may be removed in the future. The current behavior is equivalent to passing "
        "`weights=None`."]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        models.vgg11_bn(False, False, num_classes=3)
    assert _messages(record)[0] == ("Using 'weights' and 'progress' as positional parameter(s) "
                                    "is deprecated since 0.13 and may be removed in the future. "
                                    "Please use keyword parameter(s) instead.")
    assert len(record) == 2      # and the positional `pretrained` maps to weights=None
    # pretrained=True means IMAGENET1K_V1: served here from a pre-filled cache
    ember.manual_seed(3)
    source = models.resnet18()
    os.makedirs(tmp_path / "checkpoints")
    ember.save(source.state_dict(), tmp_path / "checkpoints" / "resnet18-f37072fd.pth")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded = models.resnet18(pretrained=True)
    assert _messages(record)[1] == (
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 "
        "and may be removed in the future. The current behavior is equivalent to passing "
        "`weights=ResNet18_Weights.IMAGENET1K_V1`. You can also use "
        "`weights=ResNet18_Weights.DEFAULT` to get the most up-to-date weights.")
    assert ember.equal(loaded.fc.weight, source.fc.weight)
    assert ember.equal(loaded.layer4[1].bn2.running_var, source.layer4[1].bn2.running_var)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
        assert ember.equal(again.conv1.weight, source.conv1.weight)
        assert ember.equal(models.resnet18(weights="DEFAULT").conv1.weight, source.conv1.weight)
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000"):
        models.resnet18(weights="DEFAULT", num_classes=10)


# ---------------------------------------------------------------- ember.hub

class _Server:
    """An http.server on 127.0.0.1 serving `root`, counting requests."""

    def __init__(self, root):
        self.hits = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(root), **kw)

            def do_GET(self):
                server.hits.append(self.path)
                return super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    s = _Server(root)
    s.root = root
    yield s
    s.close()


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hub_downloads_checks_hash_and_caches(server, tmp_path, capsys):
    state = {"w": ember.arange(6, dtype=ember.float32).reshape(2, 3), "n": ember.tensor(7)}
    plain = server.root / "ckpt.pth"
    ember.save(state, plain)
    name = f"ckpt-{_sha256(plain)[:8]}.pth"
    os.rename(plain, server.root / name)
    cache = tmp_path / "cache"

    sd = ember.hub.load_state_dict_from_url(server.url + name, model_dir=str(cache),
                                            check_hash=True, progress=False)
    assert ember.equal(sd["w"], state["w"]) and sd["n"].item() == 7
    assert (cache / name).read_bytes() == (server.root / name).read_bytes()
    assert f'Downloading: "{server.url + name}" to {cache / name}' in capsys.readouterr().out
    assert server.hits == ["/" + name]
    # cached: no second request
    sd = ember.hub.load_state_dict_from_url(server.url + name, model_dir=str(cache))
    assert ember.equal(sd["w"], state["w"]) and len(server.hits) == 1
    # file_name renames the cached copy
    ember.hub.load_state_dict_from_url(server.url + name, model_dir=str(cache),
                                       file_name="other.pth", progress=False)
    assert (cache / "other.pth").exists() and len(server.hits) == 2


def test_hub_rejects_wrong_hash(server, tmp_path):
    bad = server.root / "bad-deadbeef.pth"
    ember.save({"x": ember.ones(3)}, bad)
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match=r'invalid hash value \(expected "deadbeef", got "'
                                           + _sha256(bad) + '"\\)'):
        ember.hub.load_state_dict_from_url(server.url + "bad-deadbeef.pth",
                                           model_dir=str(cache), check_hash=True,
                                           progress=False)
    assert os.listdir(cache) == []       # neither the file nor a partial download is left
    import urllib.error
    with pytest.raises(urllib.error.HTTPError, match="404"):
        ember.hub.load_state_dict_from_url(server.url + "missing.pth", model_dir=str(cache))
    assert os.listdir(cache) == []
    # without check_hash the name's digits are not verified
    sd = ember.hub.load_state_dict_from_url(server.url + "bad-deadbeef.pth",
                                            model_dir=str(cache), progress=False)
    assert ember.equal(sd["x"], ember.ones(3))


def test_hub_progress_and_legacy_zip(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "tqdm", None)   # the built-in counter
    legacy = tmp_path / "legacy.pt"
    ember.save({"a": ember.tensor([1.0, 2.0])}, legacy, _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(server.root / "old.zip", "w") as z:
        z.write(legacy, "legacy.pt")
    cache = tmp_path / "cache"
    sd = ember.hub.load_state_dict_from_url(server.url + "old.zip", model_dir=str(cache))
    assert ember.equal(sd["a"], ember.tensor([1.0, 2.0]))
    assert (cache / "legacy.pt").exists()
    assert capsys.readouterr().err.endswith("100.0%\n")
    ember.hub.download_url_to_file(server.url + "old.zip", str(tmp_path / "copy.zip"),
                                   hash_prefix=_sha256(server.root / "old.zip")[:10],
                                   progress=False)
    assert (tmp_path / "copy.zip").read_bytes() == (server.root / "old.zip").read_bytes()


def test_hub_dirs(tmp_path, monkeypatch):
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("TORCH_HUB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ember.hub.get_dir() == str(tmp_path / "xdg" / "ember" / "hub")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert ember.hub.get_dir() == os.path.expanduser("~/.cache/ember/hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert ember.hub.get_dir() == str(tmp_path / "th" / "hub")
    ember.hub.set_dir(tmp_path / "mine")
    assert ember.hub.get_dir() == str(tmp_path / "mine")


@needs_torch
def test_pretrained_weights_from_torch_checkpoint(server, tmp_path, monkeypatch):
    """A checkpoint written by torch.save, fetched through a weights enum with hash check,
    gives torch's outputs."""
    torch.manual_seed(6)
    tmodel = randomize_bn(TResNet(TBasicBlock, [2, 2, 2, 2], num_classes=3)).eval()
    plain = server.root / "tmp.pth"
    torch.save(tmodel.state_dict(), plain)
    name = f"tiny_resnet18-{_sha256(plain)[:8]}.pth"
    os.rename(plain, server.root / name)

    class Tiny_Weights(models.WeightsEnum):
        V1 = models.Weights(url=server.url + name, transforms=None,
                            meta={"categories": ["a", "b", "c"]})
        DEFAULT = V1

    monkeypatch.setattr(ember.hub, "_hub_dir", str(tmp_path / "hub"))
    emodel = resnet_module._resnet(resnet_module.BasicBlock, [2, 2, 2, 2], Tiny_Weights.DEFAULT,
                                   progress=False)
    assert emodel.fc.out_features == 3
    assert (tmp_path / "hub" / "checkpoints" / name).exists()
    compare_eval(emodel, tmodel, (1, 3, 64, 64))
