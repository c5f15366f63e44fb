#!/usr/bin/env python3
"""The numpy version of bench/replay_bench.cpp's replay: genotype += std * eps for STEPS steps
over PARAMS float32 parameters, eps from numpy.random.default_rng(seed).standard_normal with
dtype float32 (numpy's ziggurat, on one thread). Prints "numpy <param*steps per second> <ns>".
Usage: replay_numpy.py [PARAMS] [STEPS]"""
import sys
import time

import numpy as np

params = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
genotype = np.random.default_rng(1).standard_normal(params, dtype=np.float32)
scale = np.float32(0.01 * (2.0 / params) ** 0.5)
eps = np.empty(params, dtype=np.float32)
best = float("inf")
for _ in range(5):
    t0 = time.perf_counter()
    for s in range(steps):
        np.random.default_rng(s).standard_normal(dtype=np.float32, out=eps)
        eps *= scale
        genotype += eps
    best = min(best, time.perf_counter() - t0)
work = params * steps
print(f"numpy     {work / best:.4e} {best * 1e9 / work:.3f}  # guard {genotype[0]}")
