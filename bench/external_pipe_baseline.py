"""Baselines for bench/external_bench: one work item = the weights (float32, N values) delivered to
a worker process and a (reward, steps) reply, one item at a time, in one of three ways:
  bytes   multiprocessing.Pipe done well: send_bytes of the array's buffer (no pickling, no copy
          into a Python object) and recv_bytes_into a buffer the worker preallocated once;
          the reply is 12 packed bytes the same way.
  shm     multiprocessing.shared_memory, as seedline does it: the parent copies the weights into
          a region the worker mapped once (np.copyto) and sends a 12-byte message over the Pipe
          saying which item; the worker answers without reading the weights (like
          bench/external_null_evaluator.py).
  pickle  what gymnasium's AsyncVectorEnv and EvoTorch's process pools do: conn.send((array,
          seed)) pickles the array, conn.recv() unpickles it into a fresh array every item.
Each mode warms up for min(ITEMS, 200) items (page faults, Python's caches) before timing.
Prints "items_per_second seconds_per_item".
Usage: external_pipe_baseline.py N ITEMS [bytes|shm|pickle (default pickle)]
"""
import multiprocessing as mp
import struct
import sys
import time
from multiprocessing import shared_memory

import numpy as np

REPLY = struct.Struct('<dI')  # reward, steps
REQUEST = struct.Struct('<qI')  # seed, member


def worker_pickle(conn):
    while True:
        message = conn.recv()
        if message is None:
            return
        weights, seed = message
        conn.send((0.0, 1))


def worker_bytes(conn, n):
    buffer = bytearray(n * 4 + REQUEST.size)  # the weights, then the request
    while True:
        size = conn.recv_bytes_into(buffer)
        if size == 0:
            return
        conn.send_bytes(REPLY.pack(0.0, 1))


def worker_shm(conn, name):
    region = shared_memory.SharedMemory(name=name)
    message = bytearray(REQUEST.size)
    try:
        while conn.recv_bytes_into(message) != 0:
            conn.send_bytes(REPLY.pack(0.0, 1))
    finally:
        region.close()


def main():
    n, items = int(sys.argv[1]), int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else 'pickle'
    parent, child = mp.Pipe()
    members = [np.full(n, 0.5, dtype=np.float32), np.full(n, -0.5, dtype=np.float32)]
    region = None
    if mode == 'pickle':
        process = mp.Process(target=worker_pickle, args=(child,), daemon=True)

        def item(i):
            parent.send((members[i % 2], i))
            parent.recv()
    elif mode == 'bytes':
        process = mp.Process(target=worker_bytes, args=(child, n), daemon=True)
        reply = bytearray(REPLY.size)
        # One message per item: the weights followed by the request (a second message would be a
        # second system call and wake-up; a skilled user packs them).
        messages = [bytearray(m.tobytes() + REQUEST.pack(0, k)) for k, m in enumerate(members)]
        views = [np.frombuffer(msg, dtype=np.float32, count=n) for msg in messages]

        def item(i):
            np.copyto(views[i % 2], members[i % 2])  # the weights change every item in a real run
            parent.send_bytes(messages[i % 2])
            parent.recv_bytes_into(reply)
    elif mode == 'shm':
        region = shared_memory.SharedMemory(create=True, size=n * 4)
        weights = np.ndarray((n,), dtype=np.float32, buffer=region.buf)
        process = mp.Process(target=worker_shm, args=(child, region.name), daemon=True)
        reply = bytearray(REPLY.size)

        def item(i):
            np.copyto(weights, members[i % 2])
            parent.send_bytes(REQUEST.pack(i, i % 2))
            parent.recv_bytes_into(reply)
    else:
        sys.exit('external_pipe_baseline.py: unknown mode %r (bytes, shm or pickle)' % mode)
    process.start()
    try:
        for i in range(min(items, 200)):  # warm-up
            item(i)
        start = time.perf_counter()
        for i in range(items):
            item(i)
        elapsed = time.perf_counter() - start
        if mode == 'pickle':
            parent.send(None)
        else:
            parent.send_bytes(b'')
        process.join()
    finally:
        if region is not None:
            del weights  # noqa: F821 (the view must go before the region closes)
            region.close()
            region.unlink()
    print(items / elapsed, elapsed / items)


if __name__ == '__main__':
    main()
