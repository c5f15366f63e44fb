"""PyTorch's side of bench/conv_bench: frames/s of one forward pass of a Table 2 pixel network
(docs/networks.md: the same network JSON as seedline's experiment file, with its conv, flatten
and dense layers, each with a bias) on one observation (batch 1: seedline evaluates one frame at a time), float32, one thread
(torch.set_num_threads(1)), torch.inference_mode, random weights and input.

--mode fair (bench/torch_fair.py): jemalloc keeping freed memory, 50 warm-up forwards, and the
fastest of the ways a skilled user runs a 1.13 model for inference, each measured here and all
reported: eager with MKLDNN (oneDNN) on, eager with MKLDNN off (THNN's im2col + BLAS), and the
TorchScript graph frozen by torch.jit.freeze and torch.jit.optimize_for_inference (MKLDNN
layouts, folded ops). --mode plain: glibc malloc, eager, default backends, 5 warm-up forwards.

Usage: conv_torch.py --network JSON --input C H W [--reps R] [--mode fair|plain]
  JSON: the "network" array of docs/networks.md (conv: out, kernel, stride, padding, activation;
        flatten; dense: out, activation; square kernels, strides and paddings).
Prints one JSON object: frames_per_second (1 / the best of R forwards of the fastest variant),
the variant, every variant's frames/s, the parameter count, the allocator and the minor page
faults per timed forward.
"""
import argparse
import json
import time

import torch_fair


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--network', required=True)
    p.add_argument('--input', type=int, nargs=3, required=True)
    p.add_argument('--reps', type=int, default=20)
    p.add_argument('--mode', choices=['fair', 'plain'], default='fair')
    a = p.parse_args()
    fair = a.mode == 'fair'
    allocator = torch_fair.use_allocator('jemalloc' if fair else 'glibc')
    torch = torch_fair.import_torch()
    from torch import nn  # noqa: PLC0415

    torch.set_num_threads(1)
    torch.manual_seed(0)
    activations = {'linear': None, 'relu': nn.ReLU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid}
    c, h, w = a.input
    width = None  # set by the flatten
    layers = []
    for layer in json.loads(a.network):
        if layer['type'] == 'conv':
            k, s, pad = layer['kernel'], layer.get('stride', 1), layer.get('padding', 0)
            layers.append(nn.Conv2d(c, layer['out'], k, s, pad))
            c, h, w = layer['out'], (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1
        elif layer['type'] == 'flatten':
            layers.append(nn.Flatten())
            width = c * h * w
            continue
        elif layer['type'] == 'dense':
            layers.append(nn.Linear(width, layer['out']))
            width = layer['out']
        else:
            torch_fair.unavailable('conv_torch.py: layer type %r is not supported' % layer['type'])
        act = activations[layer.get('activation', 'linear')]
        if act is not None:
            layers.append(act())
    model = nn.Sequential(*layers).eval()
    params = sum(t.numel() for t in model.parameters())
    x = torch.rand(1, *a.input)

    def measure(run, warmups):
        with torch.inference_mode():
            for _ in range(warmups):
                run(x)
            best, f0 = 1e30, torch_fair.minor_faults()
            for _ in range(a.reps):
                t0 = time.perf_counter()
                y = run(x)
                best = min(best, time.perf_counter() - t0)
            assert torch.isfinite(y).all()
            return 1.0 / best, (torch_fair.minor_faults() - f0) / a.reps

    variants = {}
    if fair:
        torch.backends.mkldnn.enabled = True
        variants['eager, mkldnn on'] = measure(model, 50)
        torch.backends.mkldnn.enabled = False
        variants['eager, mkldnn off'] = measure(model, 50)
        torch.backends.mkldnn.enabled = True
        with torch.inference_mode(False), torch.no_grad():
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
        variants['jit freeze + optimize_for_inference'] = measure(frozen, 50)
    else:
        variants['eager, defaults'] = measure(model, 5)
    name = max(variants, key=lambda v: variants[v][0])
    torch_fair.emit({'frames_per_second': variants[name][0], 'variant': name, 'mode': a.mode,
                     'variants': {v: f for v, (f, _) in variants.items()}, 'parameters': params,
                     'allocator': allocator, 'minor_faults_per_forward': variants[name][1], 'reps': a.reps,
                     'threads': 1, 'batch': 1})


if __name__ == '__main__':
    main()
