"""LAPACK's symmetric eigenvalues (scipy.linalg.eigvalsh: dsyevr, values only -> dsytrd + dsterf)
timed like bench/eigen.ts times ours: best of R runs on a random symmetric n x n matrix.
Prints one line "n seconds" per size. Threads: set OPENBLAS_NUM_THREADS before starting."""
import sys
import time

import numpy as np
import scipy.linalg as sl

rng = np.random.default_rng(1)
for arg in sys.argv[1:]:
    n, reps = (int(v) for v in arg.split(':'))
    a = rng.standard_normal((n, n))
    a = a + a.T
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        sl.eigvalsh(a)
        best = min(best, time.perf_counter() - t)
    print(n, best, flush=True)
