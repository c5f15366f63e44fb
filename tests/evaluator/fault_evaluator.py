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
"""
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


if __name__ == "__main__":
    if MODE == "exit_at_start":
        print("fault_evaluator: cannot start: no licence for the simulator", file=sys.stderr)
        sys.exit(3)
    if MODE == "grandchild":
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", MARKER])
    se.serve(evaluate, name="fault-evaluator", version=os.environ.get("FAULT_EVALUATOR_VERSION", "1.0"), setup=setup)
