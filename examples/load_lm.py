#!/usr/bin/env python3
"""Rebuilds a seedline language model in PyTorch from an exported phenotype and prints its
loss on a token file (docs/language-models.md).

    seedline genome 4711 --phenotype --out best.safetensors
    python3 examples/load_lm.py best.safetensors data/fortunes.tokens --sequences 256

The export's __metadata__ carries the network (the transformer layer's JSON) and the
vocabulary layout (<unk> 0, <s> 1, </s> 2, BPE token t at t + 3); the tensors carry the
names of docs/language-models.md. The printed loss is the token-weighted mean next-token
cross-entropy in nats over the first N sequences: minus the individual's fitness.
Needs python3-torch and python3-numpy (Debian).
"""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    tensors = {}
    for name, t in header.items():
        b, e = t['data_offsets']
        arr = np.frombuffer(data[8 + n + b:8 + n + e], dtype='<f4').reshape(t['shape'])
        tensors[name] = torch.from_numpy(arr.copy())
    return tensors, meta


class Block(nn.Module):
    def __init__(self, d, heads, head_dim, ff, activation):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.q = nn.Linear(d, heads * head_dim)
        self.k = nn.Linear(d, heads * head_dim)
        self.v = nn.Linear(d, heads * head_dim)
        self.o = nn.Linear(heads * head_dim, d)
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.act = {'relu': torch.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid,
                    'linear': lambda x: x}[activation]

    def rotary(self, x):
        # x: (T, heads, head_dim); rotate-half, base 10000, positions from 0.
        T, hd = x.shape[0], self.head_dim
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
        cos = torch.cat([ang.cos(), ang.cos()], -1).float()[:, None, :]
        sin = torch.cat([ang.sin(), ang.sin()], -1).float()[:, None, :]
        half = hd // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin

    def forward(self, x):
        T = x.shape[0]
        q = self.rotary(self.q(x).view(T, self.heads, self.head_dim)).transpose(0, 1)
        k = self.rotary(self.k(x).view(T, self.heads, self.head_dim)).transpose(0, 1)
        v = self.v(x).view(T, self.heads, self.head_dim).transpose(0, 1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, 'scaled_dot_product_attention') \
            else (q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)).masked_fill(
                ~torch.ones(T, T, dtype=torch.bool).tril(), float('-inf')).softmax(-1) @ v
        x = self.ln1(x + self.o(a.transpose(0, 1).reshape(T, -1)))
        return self.ln2(x + self.ff2(self.act(self.ff1(x))))


class LanguageModel(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.context = layer.get('context', 0)
        self.embed = nn.Embedding(layer['vocab'], layer['d_model'])
        self.blocks = nn.ModuleList(Block(layer['d_model'], layer['heads'], layer['head_dim'], layer['ff'],
                                          layer.get('activation', 'relu')) for _ in range(layer['blocks']))
        self.out_bias = nn.Parameter(torch.zeros(layer['vocab']))

    def load_seedline(self, tensors):
        names = {'embed.weight': self.embed.weight, 'out.bias': self.out_bias}
        for i, b in enumerate(self.blocks):
            for ours, theirs in [('attn.q', b.q), ('attn.k', b.k), ('attn.v', b.v), ('attn.o', b.o),
                                 ('ff1', b.ff1), ('ff2', b.ff2)]:
                names[f'blocks.{i}.{ours}.weight'] = theirs.weight
                names[f'blocks.{i}.{ours}.bias'] = theirs.bias
            for ln, mod in [('ln1', b.ln1), ('ln2', b.ln2)]:
                names[f'blocks.{i}.{ln}.scale'] = mod.weight
                names[f'blocks.{i}.{ln}.bias'] = mod.bias
        missing = set(names) - set(tensors)
        if missing:
            raise SystemExit(f'not a phenotype export (use seedline genome ID --phenotype): missing {sorted(missing)[:3]}')
        with torch.no_grad():
            for name, p in names.items():
                p.copy_(tensors[name])

    def forward(self, tokens):
        x = self.embed(tokens)
        for b in self.blocks:
            x = b(x)
        return x @ self.embed.weight.T + self.out_bias


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('model', help='a phenotype export (.safetensors)')
    p.add_argument('tokens', help='token file: one sequence of BPE ids per line')
    p.add_argument('--sequences', type=int, default=0, help='use the first N lines (default: all)')
    a = p.parse_args()
    tensors, meta = read_safetensors(a.model)
    if 'network' not in meta:
        raise SystemExit('the export has no network metadata (export it with a newer seedline)')
    layer = json.loads(meta['network'])[0]
    vocab = json.loads(meta.get('vocabulary', '{"bpe_offset": 3}'))
    model = LanguageModel(layer)
    model.load_seedline(tensors)
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode(), open(a.tokens) as f:
        for n, line in enumerate(f):
            if a.sequences and n >= a.sequences:
                break
            seq = [vocab.get('<s>', 1)] + [int(t) + vocab['bpe_offset'] for t in line.split()] + [vocab.get('</s>', 2)]
            if model.context:
                seq = seq[:model.context]
            x = torch.tensor(seq)
            total += F.cross_entropy(model(x)[:-1].double(), x[1:], reduction='sum').item()
            count += len(seq) - 1
    print(json.dumps({'loss': total / count, 'predicted_positions': count}))


if __name__ == '__main__':
    main()
