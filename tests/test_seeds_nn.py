"""The seed tutorials' neural-network programs, run with `import ember as torch`: they print
what the seeds print and they learn."""
import numpy as np
import pytest

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
from ember.autograd import Variable


class Net000(nn.Module):
    """seed 000 / 004's Net."""

    def __init__(self):
        super(Net000, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 6 * 6, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


NET000_REPR = """Net000(
  (conv1): Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))
  (conv2): Conv2d(6, 16, kernel_size=(3, 3), stride=(1, 1))
  (fc1): Linear(in_features=576, out_features=120, bias=True)
  (fc2): Linear(in_features=120, out_features=84, bias=True)
  (fc3): Linear(in_features=84, out_features=10, bias=True)
)"""


def test_seed000_net_prints_and_runs():
    net = Net000()
    assert repr(net) == NET000_REPR
    out = net(torch.randn(1, 1, 32, 32))
    assert out.shape == (1, 10)
    net.zero_grad()
    out.backward(torch.randn(1, 10))
    assert net.conv1.bias.grad.shape == (6,)


class LeNet(nn.Module):
    """seed 001's LeNet."""

    def __init__(self):
        super(LeNet, self).__init__()
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


def test_seed001_lenet_prints_like_pytorch(capsys):
    model = LeNet()
    print(model)
    assert capsys.readouterr().out == (
        "LeNet(\n"
        "  (conv1): Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2): Conv2d(10, 20, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2_drop): Dropout2d(p=0.5, inplace=False)\n"
        "  (fc1): Linear(in_features=320, out_features=50, bias=True)\n"
        "  (fc2): Linear(in_features=50, out_features=10, bias=True)\n"
        ")\n")


def test_seed001_named_modules(capsys):
    model = LeNet()
    for idx, m in enumerate(model.named_modules()):
        print(idx, '->', m)
    lines = capsys.readouterr().out.split("\n")
    assert lines[0] == "0 -> ('', LeNet("
    assert "1 -> ('conv1', Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1)))" in lines
    assert "3 -> ('conv2_drop', Dropout2d(p=0.5, inplace=False))" in lines
    assert "5 -> ('fc2', Linear(in_features=50, out_features=10, bias=True))" in lines


def test_seed001_lenet_state_dict_keys_match_torch():
    tnn = pytest.importorskip("torch").nn

    class TLeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = tnn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = tnn.Dropout2d()
            self.fc1 = tnn.Linear(320, 50)
            self.fc2 = tnn.Linear(50, 10)
    sd_e, sd_t = LeNet().state_dict(), TLeNet().state_dict()
    assert list(sd_e) == list(sd_t)
    assert [tuple(v.shape) for v in sd_e.values()] == [tuple(v.shape) for v in sd_t.values()]


def test_seed001_two_layer_variable_model():
    torch.manual_seed(0)
    x = Variable(torch.randn(4, 1), requires_grad=False)
    y = Variable(torch.randn(3, 1), requires_grad=False)
    w1 = Variable(torch.randn(5, 4), requires_grad=True)
    w2 = Variable(torch.randn(3, 5), requires_grad=True)

    def model_forward(x):
        return F.sigmoid(w2 @ F.sigmoid(w1 @ x))

    assert w1.data.shape == (5, 4) and w1.grad is None
    criterion = nn.MSELoss()
    optimizer = optim.SGD([w1, w2], lr=0.001)
    before = criterion(model_forward(x), y).item()
    w1_before = w1.detach().clone()
    for epoch in range(10):
        loss = criterion(model_forward(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert criterion(model_forward(x), y).item() < before
    assert not np.array_equal(w1.detach().numpy(), w1_before.numpy())


def test_seed001_linear_regression_learns():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train = rng.standard_normal((100, 1))
    y_train = 3.0 * x_train[:, 0] + rng.standard_normal(100) * 0.1
    x_torch = torch.FloatTensor(x_train)
    y_torch = torch.FloatTensor(y_train)
    y_torch = y_torch.view(y_torch.size()[0], 1)

    class LinearRegression(torch.nn.Module):
        def __init__(self, input_size, output_size):
            super(LinearRegression, self).__init__()
            self.linear = torch.nn.Linear(input_size, output_size)

        def forward(self, x):
            return self.linear(x)

    model = LinearRegression(1, 1)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(50):
        data, target = Variable(x_torch), Variable(y_torch)
        output = model(data)
        optimizer.zero_grad()
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
    predicted = model(Variable(x_torch)).data.numpy()
    assert predicted.shape == (100, 1)
    assert abs(model.linear.weight.item() - 3.0) < 0.1
    assert loss.item() < 0.05


class RegressionNet(torch.nn.Module):
    """seed 003's regression net."""

    def __init__(self, n_feature, n_hidden, n_output):
        super(RegressionNet, self).__init__()
        self.hidden = torch.nn.Linear(n_feature, n_hidden)
        self.predict = torch.nn.Linear(n_hidden, n_output)

    def forward(self, x):
        x = F.relu(self.hidden(x))
        x = self.predict(x)
        return x


def test_seed003_regression_loss_falls(capsys):
    # (with lr 0.5 some initialisations stall in a dead-ReLU plateau, in PyTorch too)
    torch.manual_seed(0)
    x = torch.unsqueeze(torch.linspace(-1, 1, 100), dim=1)
    y = x.pow(2) + 0.2 * torch.rand(x.size())
    x, y = Variable(x), Variable(y)
    net = RegressionNet(1, 10, 1)
    print(net)
    assert capsys.readouterr().out == (
        "RegressionNet(\n"
        "  (hidden): Linear(in_features=1, out_features=10, bias=True)\n"
        "  (predict): Linear(in_features=10, out_features=1, bias=True)\n"
        ")\n")
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    loss_func = torch.nn.MSELoss()
    losses = []
    for t in range(100):
        prediction = net(x)
        loss = loss_func(prediction, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5
    assert losses[-1] < 0.01


def test_seed003_classifier_accuracy():
    torch.manual_seed(1)
    n_data = torch.ones(100, 2)
    x0 = torch.normal(2 * n_data, 1)
    y0 = torch.zeros(100)
    x1 = torch.normal(-2 * n_data, 1)
    y1 = torch.ones(100)
    x = torch.cat((x0, x1), 0).type(torch.FloatTensor)
    y = torch.cat((y0, y1), ).type(torch.LongTensor)
    x, y = Variable(x), Variable(y)
    net = RegressionNet(2, 10, 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.02)
    loss_func = torch.nn.CrossEntropyLoss()
    for t in range(100):
        out = net(x)
        loss = loss_func(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    prediction = torch.max(F.softmax(out, dim=1), 1)[1]
    accuracy = (prediction == y).float().mean().item()
    assert accuracy > 0.95


def test_seed000_manual_sgd_loop():
    model = RegressionNet(1, 4, 1)
    learning_rate = 1e-3
    model(torch.ones(3, 1)).sum().backward()
    with torch.no_grad():
        for params in model.parameters():
            params -= params.grad * learning_rate
