#!/usr/bin/env python3
"""PyTorch reference for seedline's pixel networks (tests/nn/conv_test.cpp).

Reads a JSON document from the file named by argv[1]:
  {"cases": [{"name": str, "input": [floats], "input_shape": [C, H, W] or [n],
              "layers": [{"type": "conv", "weight": [...], "weight_shape": [O, C, KH, KW],
                          "bias": [...] or null, "stride": [SH, SW], "padding": [PH, PW],
                          "activation": "linear|relu|tanh|sigmoid"},
                         {"type": "flatten"},
                         {"type": "dense", "weight": [...], "weight_shape": [out, in],
                          "bias": [...] or null, "activation": ...}]}]}
and writes {"name": [outputs], ...} to argv[2]: torch.nn.functional.conv2d / linear in
float64 (the inputs are float32 values), flatten as torch.flatten (channel-major), so the
C++ float32 results are compared with an independent, more precise computation.
"""
import json
import sys

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "linear": lambda t: t,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def tensor(values, shape):
    return torch.tensor(values, dtype=torch.float64).reshape(shape)


def run(case):
    x = tensor(case["input"], case["input_shape"]).unsqueeze(0)  # batch of one
    for layer in case["layers"]:
        kind = layer["type"]
        if kind == "flatten":
            x = torch.flatten(x, start_dim=1)
            continue
        w = tensor(layer["weight"], layer["weight_shape"])
        b = None if layer.get("bias") is None else tensor(layer["bias"], [layer["weight_shape"][0]])
        if kind == "conv":
            x = F.conv2d(x, w, b, stride=tuple(layer["stride"]), padding=tuple(layer["padding"]))
        elif kind == "dense":
            x = F.linear(x, w, b)
        else:
            raise ValueError("unknown layer type " + kind)
        x = ACTIVATIONS[layer.get("activation", "linear")](x)
    return x.flatten().tolist()


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    out = {case["name"]: run(case) for case in doc["cases"]}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
