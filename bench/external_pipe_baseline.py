"""Baseline for bench/external_bench: one work item = the weights (float32, N values) sent to a
worker process over multiprocessing.Pipe and a (reward, steps) reply, the way gymnasium's
AsyncVectorEnv and EvoTorch's process pools pass work. Prints "items_per_second seconds_per_item".
Usage: external_pipe_baseline.py N ITEMS"""
import multiprocessing as mp
import sys
import time

import numpy as np


def worker(conn):
    while True:
        message = conn.recv()
        if message is None:
            return
        weights, seed = message
        conn.send((0.0, 1))


def main():
    n, items = int(sys.argv[1]), int(sys.argv[2])
    parent, child = mp.Pipe()
    process = mp.Process(target=worker, args=(child,), daemon=True)
    process.start()
    members = [np.full(n, 0.5, dtype=np.float32), np.full(n, -0.5, dtype=np.float32)]
    for i in range(min(items, 20)):  # warm-up
        parent.send((members[i % 2], i))
        parent.recv()
    start = time.perf_counter()
    for i in range(items):
        parent.send((members[i % 2], i))
        parent.recv()
    elapsed = time.perf_counter() - start
    parent.send(None)
    process.join()
    print(items / elapsed, elapsed / items)


if __name__ == "__main__":
    main()
