# The sine-wave LSTM of PyTorch's examples/time_sequence_prediction: two stacked LSTMCells
# and a Linear layer, in float64, learn to continue sine waves; trained with LBFGS on the
# data generate_sine_wave.py wrote, then asked to predict `--future` steps past the end.
# Predictions are written with np.save (predict<step>.npy), and plotted to
# predict<step>.pdf with --plot when matplotlib is installed.
from __future__ import print_function
import argparse
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


class Sequence(nn.Module):
    def __init__(self, hidden=51):
        super(Sequence, self).__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):  # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=15, help='steps to run')
    parser.add_argument('--lr', type=float, default=0.8, help='LBFGS learning rate')
    parser.add_argument('--max-iter', type=int, default=20, help='LBFGS iterations per step')
    parser.add_argument('--hidden', type=int, default=51, help='LSTM hidden size')
    parser.add_argument('--future', type=int, default=1000, help='steps to predict')
    parser.add_argument('--test-size', type=int, default=3, help='sequences held out')
    parser.add_argument('--npy', action='store_true', help='read traindata.npy (np.load)')
    parser.add_argument('--plot', action='store_true', help='plot predictions (matplotlib)')
    parser.add_argument('--save-model', action='store_true', help='save sequence.pt')
    opt = parser.parse_args()
    # set random seed to 0
    np.random.seed(0)
    torch.manual_seed(0)
    # load data and make training set
    if opt.npy:
        data = np.load('traindata.npy')
    else:
        data = torch.load('traindata.pt', weights_only=False)
    n = opt.test_size
    input = torch.from_numpy(data[n:, :-1])
    target = torch.from_numpy(data[n:, 1:])
    test_input = torch.from_numpy(data[:n, :-1])
    test_target = torch.from_numpy(data[:n, 1:])
    # build the model
    seq = Sequence(opt.hidden)
    seq.double()
    criterion = nn.MSELoss()
    # use LBFGS as optimizer since we can load the whole data to train
    optimizer = optim.LBFGS(seq.parameters(), lr=opt.lr, max_iter=opt.max_iter)
    # begin to train
    for i in range(opt.steps):
        print('STEP: ', i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print('loss:', loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        # begin to predict, no need to track gradient here
        with torch.no_grad():
            future = opt.future
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print('test loss:', loss.item())
            y = pred.detach().numpy()
        np.save('predict%d.npy' % i, y)
        if opt.plot:
            import matplotlib
            matplotlib.use('Agg')
            import matplotlib.pyplot as plt
            plt.figure(figsize=(30, 10))
            plt.title('Predict future values for time sequences\n(Dashlines are predicted values)',
                      fontsize=30)
            plt.xlabel('x', fontsize=20)
            plt.ylabel('y', fontsize=20)
            plt.xticks(fontsize=20)
            plt.yticks(fontsize=20)

            def draw(yi, color):
                plt.plot(np.arange(input.size(1)), yi[:input.size(1)], color, linewidth=2.0)
                plt.plot(np.arange(input.size(1), input.size(1) + future),
                         yi[input.size(1):], color + ':', linewidth=2.0)
            for yi, color in zip(y, ['r', 'g', 'b']):
                draw(yi, color)
            plt.savefig('predict%d.pdf' % i)
            plt.close()
    if opt.save_model:
        torch.save(seq.state_dict(), 'sequence.pt')
