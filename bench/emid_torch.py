"""The authors' algorithm for EMI, EMID and the JSD bound (DESIGN.md E7-E11 as their code does
it), in PyTorch on the CPU: a reference for bench/emid-vs-torch.ts.

- CLUB (E7) with the n x n x d tensor: negative = -((y[None] - mu[:, None])**2).mean(1) / 2 / exp(lv),
  EMI (E8) = CLUB(x, y_hat) - CLUB(x, y), the whole set as one batch;
- JSD (E10) on the d x d uncentred covariances of the row-normalised sets,
  S = -sum(l log l) of torch.linalg.eigvalsh, mixture (C_A + C_B) / 2 (the authors' weighting);
- scale-adjusted bound (E3) from the four JSD terms per OOD set.
Synthetic data of the shape asked (unit-norm rows), a randomly initialised CLUB network of the
paper's shape (768 -> 250 -> 768), float32 as the authors run it.
Usage: emid_torch.py SETS N D THREADS [REPS]; prints "seconds <s>" for the timed part (after
imports and data generation), best of REPS (default 3).
"""
import sys
import time

import torch

sets, n, d, threads = (int(v) for v in sys.argv[1:5])
reps = int(sys.argv[5]) if len(sys.argv) > 5 else 3
torch.set_num_threads(threads)
torch.manual_seed(0)


def unit(m):
    return m / m.norm(dim=1, keepdim=True)


data = [{k: unit(torch.randn(n, d)) for k in ('xv', 'xt', 'yhat', 'y')} for _ in range(sets)]
h = 250
p_mu = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.Tanh(), torch.nn.Linear(h, d))
p_lv = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.Tanh(), torch.nn.Linear(h, d), torch.nn.Tanh())


def club(x, y):
    mu, lv = p_mu(x), p_lv(x)
    positive = -(mu - y) ** 2 / 2.0 / lv.exp()
    negative = -((y.unsqueeze(0) - mu.unsqueeze(1)) ** 2).mean(dim=1) / 2.0 / lv.exp()
    return (positive.sum(dim=-1) - negative.sum(dim=-1)).mean()


def entropy(c):
    lam = torch.linalg.eigvalsh(c)
    lam = lam[lam > 0]
    lam = lam / lam.sum()
    return -(lam * lam.log()).sum()


def jsd(a, b):
    ca, cb = a.T @ a, b.T @ b
    return entropy((ca + cb) / 2) - 0.5 * (entropy(ca) + entropy(cb))


def run():
    with torch.no_grad():
        emi = []
        for s in data:
            x = (s['xv'] + s['xt']) / 2
            emi.append(float(club(x, s['yhat']) - club(x, s['y'])))
        ref = data[0]
        j_p = float(jsd(ref['yhat'], ref['y']))
        out = []
        for k, s in enumerate(data[1:], start=1):
            j_v = float(jsd(ref['xv'], s['xv']))
            j_t = float(jsd(ref['xt'], s['xt']))
            j_q = float(jsd(s['yhat'], s['y']))
            bound = j_v + j_t + abs(j_p - j_q) ** 0.5  # scale-adjusted form's shape; cost is in the JSDs
            out.append((emi[0] - emi[k], bound))
        return out


best = float('inf')
for _ in range(reps):
    t = time.perf_counter()
    run()
    best = min(best, time.perf_counter() - t)
print('seconds', best, flush=True)
