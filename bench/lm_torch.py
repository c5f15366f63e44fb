"""PyTorch's side of bench/lm_bench: forward + loss tokens/s of the Table 1 transformer
(docs/language-models.md) on a batch of B sequences of T tokens (random ids), float32,
torch.inference_mode, torch.set_num_threads(N). --factorized applies the rank-4 attention and
feed-forward weights as (x @ B.T) @ A.T and develops the rank-32 embedding, as seedline does.
Prints {"tokens_per_second": best of 3 timed passes after a warm-up}.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F


def linear(x, w, b):
    if isinstance(w, tuple):
        a, bb = w
        return (x @ bb.T) @ a.T + b
    return x @ w.T + b


def make_weight(out, inp, rank, factorized, gen):
    if factorized:
        return (torch.randn(out, rank, generator=gen) * 0.5, torch.randn(rank, inp, generator=gen) * 0.1)
    return torch.randn(out, inp, generator=gen) * math.sqrt(2 / inp)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--length', type=int, default=241)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--factorized', action='store_true')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    V, C, NB, NH, HD, FF = 2051, 32, 3, 4, 4, 128
    H = NH * HD
    gen = torch.Generator().manual_seed(0)
    emb = torch.randn(V, C, generator=gen) * math.sqrt(2 / C)
    blocks = []
    for _ in range(NB):
        blocks.append({
            'q': make_weight(H, C, 4, a.factorized, gen), 'k': make_weight(H, C, 4, a.factorized, gen),
            'v': make_weight(H, C, 4, a.factorized, gen), 'o': make_weight(C, H, 4, a.factorized, gen),
            'f1': make_weight(FF, C, 4, a.factorized, gen), 'f2': make_weight(C, FF, 4, a.factorized, gen),
            'bq': torch.zeros(H), 'bk': torch.zeros(H), 'bv': torch.zeros(H), 'bo': torch.zeros(C),
            'b1': torch.zeros(FF), 'b2': torch.zeros(C)})
    out_bias = torch.zeros(V)
    B, T = a.batch, a.length
    tokens = torch.randint(3, V, (B, T), generator=gen)
    inv = 1.0 / (10000.0 ** (torch.arange(0, HD, 2, dtype=torch.float32) / HD))
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1)[None, :, None, :]
    sin = torch.cat([ang.sin(), ang.sin()], -1)[None, :, None, :]
    mask = torch.ones(T, T, dtype=torch.bool).tril()

    def rope(x):
        half = HD // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin

    def forward_loss():
        x = emb[tokens]
        for blk in blocks:
            q = rope(linear(x, blk['q'], blk['bq']).view(B, T, NH, HD)).transpose(1, 2)
            k = rope(linear(x, blk['k'], blk['bk']).view(B, T, NH, HD)).transpose(1, 2)
            v = linear(x, blk['v'], blk['bv']).view(B, T, NH, HD).transpose(1, 2)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
            att = s.masked_fill(~mask, float('-inf')).softmax(-1) @ v
            att = att.transpose(1, 2).reshape(B, T, H)
            x = F.layer_norm(x + linear(att, blk['o'], blk['bo']), (C,), eps=1e-5)
            h = torch.relu(linear(x, blk['f1'], blk['b1']))
            x = F.layer_norm(x + linear(h, blk['f2'], blk['b2']), (C,), eps=1e-5)
        logits = x @ emb.T + out_bias
        return F.cross_entropy(logits[:, :-1].reshape(-1, V), tokens[:, 1:].reshape(-1))

    best = 0.0
    with torch.inference_mode():
        for r in range(4):
            t0 = time.perf_counter()
            loss = forward_loss()
            dt = time.perf_counter() - t0
            assert math.isfinite(loss.item())
            if r > 0:
                best = max(best, B * T / dt)
    print(json.dumps({'tokens_per_second': best, 'threads': a.threads, 'batch': B, 'length': T}))


if __name__ == '__main__':
    main()
