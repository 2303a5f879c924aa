"""Draw autograd graphs with ember.utils.viz.make_dot (torchviz's API).

Two graphs, like the computation-graph figures of the PyTorch tutorials:

* the multi-path expression z = 2x + 3y with x = 2a + 3b and y = 5a^2 + 3b^3, whose
  gradient dz/da = 4 + 30a adds the contributions of both paths;
* one forward pass of the tutorial's LeNet (conv -> pool -> relu, twice; two linear layers;
  log_softmax), with the parameters labelled by name.

Each is written as a Graphviz .dot file in the output directory (default: graphs/), and as
.svg too when the graphviz Python package and Graphviz's `dot` program are installed.

    python examples/graph_viz.py [out_dir]
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember as torch                       # noqa: E402
import ember.nn as nn                       # noqa: E402
import ember.nn.functional as F             # noqa: E402
from ember.utils.viz import make_dot        # noqa: E402


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def write(dot, out_dir, name):
    """Save the DOT source; render SVG when graphviz (package and `dot`) is available."""
    path = os.path.join(out_dir, name + ".dot")
    with open(path, "w", encoding="utf-8") as f:
        f.write(dot.source)
    written = [path]
    if hasattr(dot, "pipe") and shutil.which("dot"):     # a real graphviz.Digraph
        svg = os.path.join(out_dir, name + ".svg")
        with open(svg, "wb") as f:
            f.write(dot.pipe(format="svg"))
        written.append(svg)
    return written


def main(out_dir="graphs"):
    os.makedirs(out_dir, exist_ok=True)

    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    x = 2 * a + 3 * b
    y = 5 * a * a + 3 * b * b * b
    z = 2 * x + 3 * y
    dot = make_dot(z, params={"a": a, "b": b})
    z.backward()
    print("dz/da at a=2.0:", a.grad)            # 4 + 30a = 64
    files = write(dot, out_dir, "multipath")

    torch.manual_seed(0)
    model = LeNet()
    out = model(torch.randn(1, 1, 28, 28))
    dot = make_dot(out, params=dict(model.named_parameters()))
    files += write(dot, out_dir, "lenet")
    print("wrote", ", ".join(files))


if __name__ == "__main__":
    main(*sys.argv[1:])
