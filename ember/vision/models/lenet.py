"""LeNet-5 (LeCun et al., `Gradient-Based Learning Applied to Document Recognition`, 1998).
torchvision has no LeNet; this is the form the network is usually trained in today.

Variant: C1 5x5 conv to 6 maps, S2 2x2 average pool, C3 5x5 conv to 16 maps (full connection
table, not the paper's partial one), S4 2x2 average pool, C5 as a Linear 16*5*5 -> 120, F6
Linear 120 -> 84, and a Linear output layer instead of the paper's Euclidean RBF units; tanh
activations throughout, and no trainable coefficients in the pooling. That is 61,706
parameters for 10 classes.

The paper's input is 32x32. For 28x28 images (MNIST) C1 pads by 2, which gives the same
28x28 C1 maps as a 32x32 input would: `padding=2` (the default) expects 1x28x28 inputs,
`padding=0` 1x32x32 inputs.
"""
from typing import Optional

import ember
from ember import nn

from ._api import WeightsEnum, register_model

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """LeNet-5 on `in_channels` x 28x28 (`padding=2`) or x 32x32 (`padding=0`) images.
    `features` (Sequential: conv, tanh, pool, conv, tanh, pool) and `classifier`
    (Sequential: linear, tanh, linear, tanh, linear) hold the layers."""

    def __init__(self, num_classes=10, in_channels=1, padding=2):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding),
            nn.Tanh(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.Tanh(),
            nn.AvgPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120),
            nn.Tanh(),
            nn.Linear(120, 84),
            nn.Tanh(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)


@register_model()
def lenet5(*, weights: Optional[WeightsEnum] = None, progress: bool = True, **kwargs):
    """LeNet-5 (see the module docstring for the variant); `kwargs` (num_classes,
    in_channels, padding) go to `LeNet5`. No pretrained weights are published for it, so
    `weights` must be None; `progress` is accepted for the builders' common signature."""
    if weights is not None:
        raise ValueError("No weights available for model lenet5")
    return LeNet5(**kwargs)
