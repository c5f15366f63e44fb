"""Checks python/seedline_evaluator.py against independent references; run by
tests/evaluator/python_client_test.cpp (exit status 0 = all good, else the failing check).

  - conv2d against torch.nn.functional.conv2d (python3-torch), several kernels, strides and
    paddings, float32, tolerance 1e-5 relative to the output's scale;
  - build_policy on a conv -> flatten -> dense network against the same layers in torch;
  - the reply encoder: every accepted form of evaluate()'s return value and the refused ones.
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import seedline_evaluator as se  # noqa: E402

rng = np.random.default_rng(7)


def close(a, b, what):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(1.0, float(np.abs(b).max()))
    if a.shape != b.shape or not np.allclose(a, b, rtol=0, atol=1e-5 * scale):
        sys.exit("%s: max difference %g (shapes %s vs %s)" % (what, float(np.abs(a - b).max()) if a.shape == b.shape else -1,
                                                             a.shape, b.shape))


for (c, h, w, o, k, s, p) in [(3, 9, 9, 4, 3, 1, 0), (12, 16, 16, 8, 4, 2, 1), (2, 11, 7, 3, (3, 2), 2, 0),
                              (4, 84, 84, 8, 8, 4, 0), (1, 5, 5, 2, 5, 1, 2)]:
    x = rng.standard_normal((c, h, w)).astype(np.float32)
    kh, kw = (k, k) if isinstance(k, int) else k
    kernel = rng.standard_normal((o, c, kh, kw)).astype(np.float32)
    bias = rng.standard_normal(o).astype(np.float32)
    ours = se.conv2d(x, kernel, bias, stride=s, padding=p)
    ref = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(kernel), torch.from_numpy(bias), stride=s, padding=p)[0]
    close(ours, ref.numpy(), "conv2d c%d %dx%d k%s s%d p%d" % (c, h, w, k, s, p))

# A small pixel policy as seedline's HELLO describes it (tensor names from the architecture).
network = [
    {"type": "conv", "out": 4, "kernel": 4, "stride": 2, "padding": 1, "activation": "relu",
     "tensors": ["layers.0.weight", "layers.0.bias"]},
    {"type": "conv", "out": 6, "kernel": 3, "stride": 1, "activation": "tanh",
     "tensors": ["layers.1.weight", "layers.1.bias"]},
    {"type": "flatten", "tensors": []},
    {"type": "dense", "out": 5, "activation": "sigmoid", "tensors": ["layers.3.weight", "layers.3.bias"]},
    {"type": "dense", "out": 3, "tensors": ["layers.4.weight"]},
]
weights = {
    "layers.0.weight": rng.standard_normal((4, 3, 4, 4)).astype(np.float32) * 0.3,
    "layers.0.bias": rng.standard_normal(4).astype(np.float32) * 0.1,
    "layers.1.weight": rng.standard_normal((6, 4, 3, 3)).astype(np.float32) * 0.3,
    "layers.1.bias": rng.standard_normal(6).astype(np.float32) * 0.1,
    "layers.3.weight": rng.standard_normal((5, 6 * 4 * 4)).astype(np.float32) * 0.1,
    "layers.3.bias": rng.standard_normal(5).astype(np.float32) * 0.1,
    "layers.4.weight": rng.standard_normal((3, 5)).astype(np.float32),
}
obs = rng.standard_normal((3, 12, 12)).astype(np.float32)
ours = se.build_policy(weights, network)(obs)
t = {k: torch.from_numpy(v) for k, v in weights.items()}
y = torch.relu(F.conv2d(torch.from_numpy(obs)[None], t["layers.0.weight"], t["layers.0.bias"], stride=2, padding=1))
y = torch.tanh(F.conv2d(y, t["layers.1.weight"], t["layers.1.bias"]))
y = torch.sigmoid(F.linear(y.reshape(-1), t["layers.3.weight"], t["layers.3.bias"]))
y = F.linear(y, t["layers.4.weight"])
close(ours, y.numpy(), "build_policy conv network")
if ours.dtype != np.float32:
    sys.exit("build_policy returned %s, expected float32" % ours.dtype)

# The reply encoder.
head = struct.Struct("<QdqI")
for value, reward, steps, metrics in [(1.5, 1.5, 0, 0), ((2, 7), 2.0, 7, 0), ((np.float32(3), np.int64(4), {"a": 1}), 3.0, 4, 1),
                                      (np.float64(-1), -1.0, 0, 0), ((5,), 5.0, 0, 0)]:
    payload = se._encode_result(9, value)
    item, r, s, n = head.unpack(payload[:head.size])
    if (item, r, s, n) != (9, reward, steps, metrics):
        sys.exit("encoding %r gave %r" % (value, (item, r, s, n)))
for bad, says in [("abc", "the reward 'abc' (str)"), (True, "(bool)"), ((1, -2), "steps -2"), ((1, 2.5), "steps 2.5"),
                  ((1, 2, [1]), "metrics [1] (list)"), ((1, 2, {"": 1}), "metric name"), ((1, 2, {"m": "x"}), "metric 'm'"),
                  ((1, 2, 3, 4), "a tuple of 4 values"), (None, "(NoneType)")]:
    try:
        se._encode_result(1, bad)
    except (TypeError, ValueError) as e:
        if says not in str(e):
            sys.exit("refusing %r said %r, expected %r" % (bad, str(e), says))
    else:
        sys.exit("%r was accepted" % (bad,))
print("ok")
