# Data for the sine-wave LSTM (train.py), in the style of PyTorch's
# examples/time_sequence_prediction: N sine waves of length L with random phase shifts, made
# with NumPy and written with torch.save (traindata.pt) and np.save (traindata.npy).
import argparse
import numpy as np
import torch

parser = argparse.ArgumentParser(description='generate sine-wave training data')
parser.add_argument('--T', type=int, default=20, help='period scale (default: 20)')
parser.add_argument('--L', type=int, default=1000, help='sequence length (default: 1000)')
parser.add_argument('--N', type=int, default=100, help='number of sequences (default: 100)')
parser.add_argument('--seed', type=int, default=2, help='NumPy seed (default: 2)')
args = parser.parse_args()

np.random.seed(args.seed)
T, L, N = args.T, args.L, args.N
x = np.empty((N, L), 'int64')
x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
data = np.sin(x / 1.0 / T).astype('float64')
torch.save(data, open('traindata.pt', 'wb'))
np.save('traindata.npy', data)
print('wrote traindata.pt and traindata.npy: {} sequences of length {}'.format(N, L))
