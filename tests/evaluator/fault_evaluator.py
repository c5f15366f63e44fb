"""A deliberately misbehaving seedline evaluator for tests/evaluator/*_test.cpp.

    fault_evaluator.py MODE MARKER [ARG]

MARKER is a unique string (the test's temporary directory) so that a test can find every
process it started in /proc and prove none is left behind. MODE:
  ok            reward = -sum(w^2) + (seed % 1000) / 1000 (deterministic), steps = 1 + seed % 7,
                metrics {"norm2": sum(w^2)}
  crash         ok, but the process dies (exit status 3) on its first item, after printing
  crash_once    crash on the first item of the first process only (ARG: a flag file), then ok
  hang          prints a line, then sleeps forever on its first item
  garbage       writes text (not a frame) to the protocol socket on its first item
  nan           returns NaN
  wrongtype     returns a string
  raise         evaluate raises ValueError
  exit_at_start prints a reason and exits with status 3 before the handshake
  slow          ok, sleeping ARG seconds per item
  grandchild    ok, after starting a sleeping Python grandchild that also carries MARKER
  tamper        ok, after trying every way to change the shared weights (truncate, grow, write,
                reopen /proc/self/fd/N for writing, a writable shared mmap, numpy memmap w+), each
                expected to fail; metrics also hold "tampered": how many of them succeeded
  tamper_setup  the audit's case: the setup hook opens /proc/self/fd/N "wb" and lets the error out
  policy        reward 0; metrics out0, out1, ... = build_policy(weights, network) applied to
                the observation x_i = 0.1 * (i + 1) (checks the weight layout end to end)
  count         ok, and creates the file ARG/<pid> at start (counts the processes started)
  long_name     ok, but READY's name has 500,000 characters
  control_name  ok, but READY's name and version carry NUL, ESC and BEL
The raw modes below answer every EVAL with a hand-made frame (the audit's hostile texts,
issue 21), bypassing the Python client's checks:
  error_nul           ERROR "before<NUL>after ..."
  error_control       ERROR with terminal escapes (ESC, BEL, CR); also prints escapes to stderr
  error_invalid_utf8  ERROR whose message is not UTF-8 (0xe9, 0xff 0xfe)
  error_huge          ERROR of 1 MiB (the largest frame): 'E' * (1 MiB - 8)
  error_wrong_id      ERROR about the item id + 1 (garbage per the protocol)
  metric_invalid_utf8 RESULT with a metric name that is not UTF-8
  metric_control      RESULT with a metric name carrying ESC
"""
import json
import struct
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import seedline_evaluator as se  # noqa: E402

MODE, MARKER = sys.argv[1], sys.argv[2]
ARG = sys.argv[3] if len(sys.argv) > 3 else None


def deterministic(weights, seed):
    norm2 = float(sum(float(np.dot(w.reshape(-1).astype(np.float64), w.reshape(-1).astype(np.float64)))
                      for w in weights.values()))
    return -norm2 + (seed % 1000) / 1000.0, 1 + seed % 7, {"norm2": norm2}


NETWORK = []
WEIGHTS_FD = []


def setup(hello):
    NETWORK[:] = hello["network"]
    WEIGHTS_FD[:] = [int(hello["weights"].get("fd", 4))]
    if MODE == "tamper_setup":
        open("/proc/self/fd/%d" % WEIGHTS_FD[0], "wb").close()


def write_through(path, data):
    with open(path, "r+b", buffering=0) as f:
        f.write(data)


def tamper():
    """Tries to shrink, grow and overwrite the shared weights; returns how many tries worked."""
    import mmap
    fd = WEIGHTS_FD[0]
    size = os.fstat(fd).st_size
    tries = [
        lambda: os.ftruncate(fd, 0),
        lambda: os.ftruncate(fd, size + 4096),
        lambda: os.pwrite(fd, b"\xff" * 4, 0),
        lambda: open("/proc/self/fd/%d" % fd, "wb").close(),
        lambda: write_through("/proc/self/fd/%d" % fd, b"\xff" * 4),
        lambda: mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE).write(b"\xff" * 4),
        lambda: np.memmap("/proc/self/fd/%d" % fd, dtype="<f4", mode="w+", shape=(size // 4,)),
    ]
    worked = 0
    for attempt in tries:
        try:
            attempt()
            worked += 1
        except (OSError, ValueError):
            pass
    return worked


def first_to_claim(path):
    """True for exactly one process (O_EXCL), however many workers race for the flag file."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def evaluate(weights, seed):
    if MODE == "policy":
        width = NETWORK[0]["in"]
        out = se.build_policy(weights, NETWORK)(np.arange(1, width + 1, dtype=np.float32) * np.float32(0.1))
        return 0.0, 0, {"out%d" % i: float(v) for i, v in enumerate(out)}
    if MODE == "crash" or (MODE == "crash_once" and first_to_claim(ARG)):
        print("fault_evaluator: crashing on purpose", file=sys.stderr)
        os._exit(3)
    if MODE == "hang":
        print("fault_evaluator: hanging on purpose", file=sys.stderr)
        while True:
            time.sleep(100)
    if MODE == "garbage":
        print("fault_evaluator: writing garbage", file=sys.stderr)
        os.write(int(os.environ["SEEDLINE_EVALUATOR_FD"]), b"this is not a seedline frame\n" * 4)
        time.sleep(100)
    if MODE == "nan":
        return float("nan"), 1
    if MODE == "wrongtype":
        return "abc"
    if MODE == "raise":
        raise ValueError("the environment refused these weights")
    if MODE == "tamper":
        worked = tamper()
        reward, steps, metrics = deterministic(weights, seed)
        metrics["tampered"] = float(worked)
        return reward, steps, metrics
    if MODE == "slow":
        time.sleep(float(ARG))
    return deterministic(weights, seed)


def raw_reply(item):
    """The frame (type, payload) a raw mode sends for EVAL `item`."""
    def error(about, text):
        return se.ERROR, struct.pack("<Q", about) + text

    def result(metric_name):
        return se.RESULT, (struct.pack("<QdqI", item, 0.5, 1, 1) + struct.pack("<I", len(metric_name)) + metric_name
                           + struct.pack("<d", 1.0))

    if MODE == "error_nul":
        return error(item, b"before\x00after: the evaluator's message goes on")
    if MODE == "error_control":
        return error(item, b"\x1b[2J\x1b[31mred alert\x1b[0m\x07 bell\rover")
    if MODE == "error_invalid_utf8":
        return error(item, b"caf\xe9 \xff\xfe broken")
    if MODE == "error_huge":
        return error(item, b"E" * ((1 << 20) - 8))
    if MODE == "error_wrong_id":
        return error(item + 1, b"an error about another item")
    if MODE == "metric_invalid_utf8":
        return result(b"bad\xffname")
    if MODE == "metric_control":
        return result(b"m\x1b[31m")
    raise SystemExit("fault_evaluator: unknown mode " + MODE)


def serve_raw():
    connection = se._Connection(int(os.environ["SEEDLINE_EVALUATOR_FD"]))
    kind, _ = connection.read_frame()
    if kind != se.HELLO:
        sys.exit(2)
    connection.write_frame(se.READY, json.dumps({"protocol": 1, "name": "fault-evaluator", "version": "1.0"}).encode())
    while True:
        kind, payload = connection.read_frame()
        if kind is None:
            return
        if MODE == "error_control":
            print("\x1b[31mstderr in red\x1b[0m", file=sys.stderr)
        connection.write_frame(*raw_reply(struct.unpack_from("<Q", payload)[0]))


if __name__ == "__main__":
    if MODE.startswith("error_") or MODE.startswith("metric_"):
        serve_raw()
        sys.exit(0)
    if MODE == "count":
        open(os.path.join(ARG, str(os.getpid())), "w").close()
    name, version = "fault-evaluator", os.environ.get("FAULT_EVALUATOR_VERSION", "1.0")
    if MODE == "long_name":
        name = "N" * 500000
    if MODE == "control_name":
        name, version = "evil\x1b]0;title\x07\x00name", "1.0\x1b[31m"
    if MODE == "exit_at_start":
        print("fault_evaluator: cannot start: no licence for the simulator", file=sys.stderr)
        sys.exit(3)
    if MODE == "grandchild":
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", MARKER])
    se.serve(evaluate, name=name, version=version, setup=setup)
