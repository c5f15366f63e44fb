"""An independent PyTorch implementation of seedline's language model (docs/language-models.md),
the reference the C++ forward pass is checked against (tests/nn/transformer_test.cpp).

Usage: transformer_ref.py MODEL.safetensors CONFIG.json TOKENS OUT.json
Reads a phenotype (every architecture tensor by its name) and the token file in the data
format (one sequence per line, BPE ids), feeds each sequence alone (no packing, no padding)
as <s> t+3 .. </s> cut to the context, in float64, and writes
{"per_sequence": [summed loss in nats], "mean": token-weighted mean loss, "logits": [flat]}.
"""
import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, t in header.items():
        b, e = t['data_offsets']
        arr = np.frombuffer(data[8 + n + b:8 + n + e], dtype='<f4').reshape(t['shape'])
        out[name] = torch.from_numpy(arr.astype(np.float64))
    return out


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rotary(x, hd):
    # x: (T, NH, HD); rotate-half form, base 10000, over all HD dims, positions from 0.
    T = x.shape[0]
    inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], dim=-1)[:, None, :]
    sin = torch.cat([ang.sin(), ang.sin()], dim=-1)[:, None, :]
    return x * cos + rotate_half(x) * sin


ACTIVATIONS = {'relu': torch.relu, 'tanh': torch.tanh, 'linear': lambda x: x, 'sigmoid': torch.sigmoid}


def forward(w, cfg, seq):
    C, NH, HD = cfg['d_model'], cfg['heads'], cfg['head_dim']
    act = ACTIVATIONS[cfg.get('activation', 'relu')]
    x = w['embed.weight'][seq]
    T = len(seq)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for i in range(cfg['blocks']):
        p = f'blocks.{i}.'
        lin = lambda name, z: z @ w[p + name + '.weight'].T + w[p + name + '.bias']
        q = rotary(lin('attn.q', x).view(T, NH, HD), HD)
        k = rotary(lin('attn.k', x).view(T, NH, HD), HD)
        v = lin('attn.v', x).view(T, NH, HD)
        scores = torch.einsum('thd,shd->hts', q, k) / math.sqrt(HD)
        scores = scores.masked_fill(~mask, float('-inf'))
        a = torch.einsum('hts,shd->thd', scores.softmax(dim=-1), v).reshape(T, NH * HD)
        x = F.layer_norm(x + lin('attn.o', a), (C,), w[p + 'ln1.scale'], w[p + 'ln1.bias'], eps=1e-5)
        h = act(lin('ff1', x))
        x = F.layer_norm(x + lin('ff2', h), (C,), w[p + 'ln2.scale'], w[p + 'ln2.bias'], eps=1e-5)
    return x @ w['embed.weight'].T + w['out.bias']


def main():
    model, config, tokens, out = sys.argv[1:5]
    w = load_safetensors(model)
    cfg = json.load(open(config))
    context = cfg.get('context', 0)
    per_sequence, logits, total, count = [], [], 0.0, 0
    with torch.inference_mode():
        for line in open(tokens):
            seq = [1] + [int(t) + 3 for t in line.split()] + [2]
            if context:
                seq = seq[:context]
            lg = forward(w, cfg, torch.tensor(seq))
            loss = F.cross_entropy(lg[:-1], torch.tensor(seq[1:]), reduction='sum').item()
            per_sequence.append(loss)
            total += loss
            count += len(seq) - 1
            logits.extend(lg.reshape(-1).tolist())
    json.dump({'per_sequence': per_sequence, 'mean': total / count, 'logits': logits}, open(out, 'w'))


if __name__ == '__main__':
    main()
