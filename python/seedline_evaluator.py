"""seedline_evaluator: evaluate seedline's genomes in your own Python code.

seedline (the `external` task) starts this program as a long-lived worker process and sends
it work items: one individual's weights and one episode seed. Write a function

    def evaluate(weights, episode_seed):
        ...                      # weights: dict of tensor name -> numpy.ndarray (float32)
        return reward            # or (reward, steps) or (reward, steps, {"name": value, ...})

and call `serve(evaluate)`. The weights are read-only views of shared memory, valid during
the call (copy them to keep them). Use `episode_seed` for every random choice of the episode:
seedline's resume and statistics depend on it. `build_policy` turns the weights and the
network seedline describes into a numpy forward pass (dense, conv, flatten), and
`GymEvaluator` runs a gymnasium-style environment (`reset(seed=...)`, `step(action)`) with it.

seedline puts this file's folder first on the evaluator's PYTHONPATH, so
`import seedline_evaluator` works in any folder without setting anything.

The wire protocol (version 1) is in seedline's docs/evaluator-protocol.md. This file needs
the Python standard library and numpy only. Print freely: stdout and stderr go to seedline,
which shows their last lines when something fails. The process exits when seedline closes
the connection or dies.
"""

import json
import mmap
import numbers
import os
import struct
import sys
import threading
import time
import traceback

import numpy as np

PROTOCOL = 1
__version__ = "1.0"

HELLO, READY, EVAL, RESULT, ERROR = 1, 2, 3, 4, 5
_HEADER = struct.Struct("<II")       # type, payload length
_EVAL = struct.Struct("<QQIIQ")      # item, episode seed, member, episode, weights serial
_RESULT = struct.Struct("<QdqI")     # item, reward, steps, metric count
_NO_ITEM = 0xFFFFFFFFFFFFFFFF
_MAX_FRAME = 1 << 20


class ProtocolError(Exception):
    pass


class _Connection:
    """Length-prefixed frames over the socket seedline passed as a file descriptor."""

    def __init__(self, fd):
        self.fd = fd

    def read_exact(self, n):
        chunks = []
        while n > 0:
            chunk = os.read(self.fd, min(n, 1 << 16))
            if not chunk:
                return None  # seedline closed the connection: time to go
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def read_frame(self):
        header = self.read_exact(_HEADER.size)
        if header is None:
            return None, None
        kind, length = _HEADER.unpack(header)
        if length > _MAX_FRAME:
            raise ProtocolError("frame of %d bytes from seedline" % length)
        payload = self.read_exact(length) if length else b""
        if payload is None:
            return None, None
        return kind, payload

    def write_frame(self, kind, payload):
        data = memoryview(_HEADER.pack(kind, len(payload)) + payload)
        while data:
            written = os.write(self.fd, data)
            data = data[written:]


def _watch_parent(parent):
    """Exits when seedline is gone, even while evaluate() is busy (a wrapper shell or a
    simulator in between would otherwise keep this process alive)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def _map_weights(hello):
    layout = hello["weights"]
    size = int(layout["bytes"])
    region = mmap.mmap(int(layout.get("fd", 4)), max(size, 1), mmap.MAP_SHARED, mmap.PROT_READ)
    weights = {}
    for t in layout["tensors"]:
        shape = tuple(int(d) for d in t["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        weights[t["name"]] = np.frombuffer(region, dtype="<f4", count=count, offset=int(t["offset"])).reshape(shape)
    return region, weights


def _is_number(x):
    return isinstance(x, (numbers.Real, np.floating, np.integer)) and not isinstance(x, (bool, np.bool_))


def _describe(value):
    text = repr(value)
    return (text[:60] + "...") if len(text) > 60 else text


def _encode_result(item, value):
    """RESULT payload for evaluate()'s return value; raises TypeError/ValueError when the value
    is not a reward, (reward, steps) or (reward, steps, metrics)."""
    expected = "expected a number, (reward, steps) or (reward, steps, metrics_dict)"
    steps, metrics = 0, {}
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise TypeError("evaluate returned a tuple of %d values; %s" % (len(value), expected))
        reward = value[0]
        if len(value) >= 2:
            steps = value[1]
        if len(value) == 3:
            metrics = value[2]
    else:
        reward = value
    if not _is_number(reward):
        raise TypeError("evaluate returned the reward %s (%s); %s" % (_describe(reward), type(reward).__name__, expected))
    if not isinstance(steps, (numbers.Integral, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise TypeError("evaluate returned steps %s (%s); expected a non-negative integer"
                        % (_describe(steps), type(steps).__name__))
    if not isinstance(metrics, dict):
        raise TypeError("evaluate returned metrics %s (%s); expected a dict of name -> number"
                        % (_describe(metrics), type(metrics).__name__))
    if len(metrics) > 64:
        raise ValueError("evaluate returned %d metrics; at most 64 are allowed" % len(metrics))
    parts = [_RESULT.pack(item, float(reward), int(steps), len(metrics))]
    for name, v in metrics.items():
        if not isinstance(name, str) or not name or len(name.encode()) > 128:
            raise TypeError("metric name %s: expected a non-empty string of at most 128 bytes" % _describe(name))
        if not _is_number(v):
            raise TypeError("metric %r is %s (%s); expected a number" % (name, _describe(v), type(v).__name__))
        encoded = name.encode()
        parts.append(struct.pack("<I", len(encoded)) + encoded + struct.pack("<d", float(v)))
    return b"".join(parts)


def _error_text(text):
    """The message of an ERROR frame: UTF-8, cut to fit one frame (seedline keeps the first
    16 KiB of it anyway, docs/evaluator-protocol.md), so a huge exception message still
    arrives as an error and not as an oversized frame."""
    data = text.encode("utf-8", "replace")
    limit = _MAX_FRAME - 8 - 64
    if len(data) <= limit:
        return data
    return data[:limit] + ("... (%d bytes more)" % (len(data) - limit)).encode()


def serve(evaluate, name=None, version=None, setup=None):
    """Serves seedline's work items with `evaluate(weights, episode_seed)` until seedline
    closes the connection. `name` and `version` identify your evaluator (seedline stores them
    and warns when a resumed run meets another version): default the script's file name and
    "unversioned". `setup(hello)` (or a `setup` method of `evaluate`) is called once with the
    HELLO dict: "network" (the layers, each with "tensors"), "observation_shape", "actions",
    "task", "worker"."""
    fd_text = os.environ.get("SEEDLINE_EVALUATOR_FD")
    if fd_text is None:
        sys.stderr.write("%s is a seedline evaluator: run it through a task of type 'external' "
                         "(see seedline's docs/evaluator-protocol.md)\n" % sys.argv[0])
        sys.exit(2)
    connection = _Connection(int(fd_text))
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    kind, payload = connection.read_frame()
    if kind is None:
        return
    if kind != HELLO:
        raise ProtocolError("expected HELLO from seedline, got frame type %d" % kind)
    hello = json.loads(payload.decode("utf-8"))
    if hello.get("protocol") != PROTOCOL:
        raise ProtocolError("seedline speaks protocol %r, this client %d" % (hello.get("protocol"), PROTOCOL))
    region, weights = _map_weights(hello)
    hook = setup if setup is not None else getattr(evaluate, "setup", None)
    if callable(hook):
        hook(hello)
    identity = {"protocol": PROTOCOL,
                "name": name or os.path.basename(sys.argv[0] or "python"),
                "version": version if version is not None else "unversioned"}
    connection.write_frame(READY, json.dumps(identity).encode("utf-8"))

    while True:
        kind, payload = connection.read_frame()
        if kind is None:
            break
        if kind != EVAL:
            raise ProtocolError("expected EVAL from seedline, got frame type %d" % kind)
        item, seed, _member, _episode, _serial = _EVAL.unpack(payload)
        try:
            reply = (RESULT, _encode_result(item, evaluate(weights, seed)))
        except Exception:  # the traceback goes back to seedline, which names the individual
            reply = (ERROR, struct.pack("<Q", item) + _error_text(traceback.format_exc(limit=20)))
        connection.write_frame(*reply)
    del weights
    region.close()


# ---------------------------------------------------------------------------------------
# Policies: seedline's network description + weights -> a numpy forward pass (float32).

_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, np.float32(0)),
    "tanh": np.tanh,
    "sigmoid": lambda x: (np.float32(1) / (np.float32(1) + np.exp(-x))).astype(np.float32),
}


def dense(x, weight, bias=None):
    """y = W x + b with W of shape (out, in), as seedline stores dense weights."""
    y = weight @ x
    return y + bias if bias is not None else y


def conv2d(x, kernel, bias=None, stride=1, padding=0):
    """2-D cross-correlation of x (C, H, W) with kernel (O, C, kh, kw), as torch.nn.functional.conv2d:
    output (O, (H + 2p - kh) // s + 1, (W + 2p - kw) // s + 1)."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    kh, kw = kernel.shape[2], kernel.shape[3]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    y = np.einsum("chwij,ocij->ohw", windows, kernel, optimize=True).astype(np.float32, copy=False)
    return y + bias[:, None, None] if bias is not None else y


def build_policy(weights, network):
    """A function observation -> network outputs (float32 numpy) for the layers seedline sent in
    HELLO["network"] (dense, conv with kernel/stride/padding, flatten). Layer i's tensors are
    named in its "tensors" list (weight first, then bias)."""
    steps = []
    for i, layer in enumerate(network):
        kind = layer.get("type")
        names = layer.get("tensors", [])
        w = weights[names[0]] if names else None
        b = weights[names[1]] if len(names) > 1 else None
        act = _ACTIVATIONS[layer.get("activation", "linear")]
        if kind == "dense":
            steps.append(lambda x, w=w, b=b, act=act: act(dense(x.reshape(-1), w, b)))
        elif kind == "conv":
            stride, padding = layer.get("stride", 1), layer.get("padding", 0)
            steps.append(lambda x, w=w, b=b, act=act, s=stride, p=padding: act(conv2d(x, w, b, s, p)))
        elif kind == "flatten":
            steps.append(lambda x: x.reshape(-1))
        else:
            raise ValueError("network[%d]: build_policy does not know layer type %r" % (i, kind))

    def policy(observation):
        x = np.asarray(observation, dtype=np.float32)
        for step in steps:
            x = step(x)
        return x

    return policy


class GymEvaluator:
    """An `evaluate` for serve() that runs one episode of a gymnasium-style environment with the
    network as policy: `env.reset(seed=episode_seed)` returns (observation, info) and
    `env.step(action)` returns (observation, reward, terminated, truncated, info). With
    `discrete` the action is the argmax of the outputs (ties: the lowest index), else the
    outputs themselves (`action_transform` may map them). Returns (reward, steps)."""

    def __init__(self, make_env, discrete=True, max_steps=None, action_transform=None):
        self.make_env = make_env
        self.discrete = discrete
        self.max_steps = max_steps
        self.action_transform = action_transform
        self.env = None
        self.network = None

    def setup(self, hello):
        self.network = hello["network"]
        self.env = self.make_env()

    def __call__(self, weights, episode_seed):
        policy = build_policy(weights, self.network)
        observation, _ = self.env.reset(seed=int(episode_seed))
        total, steps = 0.0, 0
        while self.max_steps is None or steps < self.max_steps:
            out = policy(observation)
            if self.discrete:
                action = int(np.argmax(np.where(np.isnan(out), -np.inf, out)))
            else:
                action = self.action_transform(out) if self.action_transform else out
            observation, reward, terminated, truncated, _ = self.env.step(action)
            total += float(reward)
            steps += 1
            if terminated or truncated:
                break
        return total, steps
