"""PyTorch's side of bench/lm_bench: forward + loss tokens/s of the Table 1 transformer
(docs/language-models.md) on a batch of B sequences of T tokens (random ids), float32,
torch.inference_mode, torch.set_num_threads(N). --factorized applies the rank-4 attention and
feed-forward weights as (x @ B.T) @ A.T and develops the rank-32 embedding, as seedline does.

--mode fair (the anchor lm_bench compares against first; bench/torch_fair.py): jemalloc that
keeps freed memory (no page faults per pass), 2 warm-up passes, best of 5 timed passes, and the
forward as a skilled user writes it for 1.13 (no scaled_dot_product_attention yet): F.linear
(bias fused into the GEMM), scores by one baddbmm onto an additive causal mask (measured faster
than matmul + masked_fill under load), the logits into a preallocated output (addmm out=),
F.cross_entropy, layer norm with its scale and bias as seedline's. Flush-denormal is left off
(it would change the arithmetic; random weights make no denormals) and MKLDNN does not enter:
1.13 runs float32 matmul on BLAS (OpenBLAS here) whatever torch.backends.mkldnn says.
--mode plain: glibc malloc, 1 warm-up, best of 3, the straightforward forward (x @ W.T + b,
matmul + masked_fill): the anchor lm_bench reported before issue 19.

Prints one JSON object: tokens_per_second, the minor page faults (whole process up to the end of
timing, and per timed pass), the allocator, and reference_max_rel: the largest relative difference
between this forward's loss and tests/nn/reference/transformer_ref.py's (float64, one sequence at
a time: the definition seedline's forward is tested against) on a 4 x 37 batch of the same model.
"""
import argparse
import math
import os
import sys
import time

import torch_fair


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--length', type=int, default=241)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--factorized', action='store_true')
    p.add_argument('--mode', choices=['fair', 'plain'], default='fair')
    a = p.parse_args()
    fair = a.mode == 'fair'
    allocator = torch_fair.use_allocator('jemalloc' if fair else 'glibc')
    torch = torch_fair.import_torch()
    import torch.nn.functional as F  # noqa: PLC0415

    torch.set_num_threads(a.threads)
    V, C, NB, NH, HD, FF = 2051, 32, 3, 4, 4, 128
    H = NH * HD
    gen = torch.Generator().manual_seed(0)

    def make_weight(out, inp):
        if a.factorized:
            return (torch.randn(out, 4, generator=gen) * 0.5, torch.randn(4, inp, generator=gen) * 0.1)
        return torch.randn(out, inp, generator=gen) * math.sqrt(2 / inp)

    emb = torch.randn(V, C, generator=gen) * math.sqrt(2 / C)
    blocks = []
    for _ in range(NB):
        blocks.append({
            'q': make_weight(H, C), 'k': make_weight(H, C), 'v': make_weight(H, C), 'o': make_weight(C, H),
            'f1': make_weight(FF, C), 'f2': make_weight(C, FF),
            'bq': torch.randn(H, generator=gen) * 0.1, 'bk': torch.randn(H, generator=gen) * 0.1,
            'bv': torch.randn(H, generator=gen) * 0.1, 'bo': torch.randn(C, generator=gen) * 0.1,
            'b1': torch.randn(FF, generator=gen) * 0.1, 'b2': torch.randn(C, generator=gen) * 0.1,
            'ln1s': 1 + torch.randn(C, generator=gen) * 0.1, 'ln1b': torch.randn(C, generator=gen) * 0.1,
            'ln2s': 1 + torch.randn(C, generator=gen) * 0.1, 'ln2b': torch.randn(C, generator=gen) * 0.1})
    out_bias = torch.randn(V, generator=gen) * 0.1

    def linear(x, w, b):
        if isinstance(w, tuple):
            wa, wb = w
            return F.linear(F.linear(x, wb), wa, b) if fair else (x @ wb.T) @ wa.T + b
        return F.linear(x, w, b) if fair else x @ w.T + b

    def make_forward(tokens):
        B, T = tokens.shape
        inv = 1.0 / (10000.0 ** (torch.arange(0, HD, 2, dtype=torch.float32) / HD))
        ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
        cos = torch.cat([ang.cos(), ang.cos()], -1)[None, :, None, :]
        sin = torch.cat([ang.sin(), ang.sin()], -1)[None, :, None, :]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        causal = torch.zeros(T, T).masked_fill(~mask, float('-inf'))
        logits = torch.empty(B * T, V)
        targets = tokens[:, 1:].reshape(-1)

        def rope(x):
            half = HD // 2
            return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin

        def forward_loss():
            x = emb[tokens]
            for blk in blocks:
                q = rope(linear(x, blk['q'], blk['bq']).view(B, T, NH, HD)).transpose(1, 2)
                k = rope(linear(x, blk['k'], blk['bk']).view(B, T, NH, HD)).transpose(1, 2)
                v = linear(x, blk['v'], blk['bv']).view(B, T, NH, HD).transpose(1, 2)
                if fair:
                    s = torch.baddbmm(causal, q.reshape(B * NH, T, HD), k.reshape(B * NH, T, HD).transpose(1, 2),
                                      alpha=1 / math.sqrt(HD))
                    att = torch.bmm(s.softmax(-1), v.reshape(B * NH, T, HD)).view(B, NH, T, HD)
                else:
                    s = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
                    att = s.masked_fill(~mask, float('-inf')).softmax(-1) @ v
                att = att.transpose(1, 2).reshape(B, T, H)
                x = F.layer_norm(x + linear(att, blk['o'], blk['bo']), (C,), blk['ln1s'], blk['ln1b'], eps=1e-5)
                h = torch.relu(linear(x, blk['f1'], blk['b1']))
                x = F.layer_norm(x + linear(h, blk['f2'], blk['b2']), (C,), blk['ln2s'], blk['ln2b'], eps=1e-5)
            if fair:
                lg = torch.addmm(out_bias, x.reshape(B * T, C), emb.T, out=logits).view(B, T, V)
            else:
                lg = x @ emb.T + out_bias
            return F.cross_entropy(lg[:, :-1].reshape(-1, V), targets)

        return forward_loss

    B, T = a.batch, a.length
    forward_loss = make_forward(torch.randint(3, V, (B, T), generator=gen))
    warmups, timed = (2, 5) if fair else (1, 3)
    best, faults = 0.0, 0
    with torch.inference_mode():
        for r in range(warmups + timed):
            f0 = torch_fair.minor_faults()
            t0 = time.perf_counter()
            loss = forward_loss()
            dt = time.perf_counter() - t0
            assert math.isfinite(loss.item())
            if r >= warmups:
                best = max(best, B * T / dt)
                faults += torch_fair.minor_faults() - f0
        faults_total = torch_fair.minor_faults()
        check = reference_difference(torch, F, make_forward, emb, blocks, out_bias, a.factorized, gen, V)
    torch_fair.emit({'tokens_per_second': best, 'threads': a.threads, 'batch': B, 'length': T, 'mode': a.mode,
                     'allocator': allocator, 'minor_faults_total': faults_total,
                     'minor_faults_per_pass': faults / timed, 'warmup_passes': warmups, 'timed_passes': timed,
                     'reference_max_rel': check})


def reference_difference(torch, F, make_forward, emb, blocks, out_bias, factorized, gen, V):
    """Largest relative difference of the mean loss on a 4 x 37 batch between this script's forward
    and transformer_ref.forward (float64, per sequence) with the same weights, developed."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'nn', 'reference'))
    import transformer_ref  # noqa: PLC0415

    def dev(w):
        return (w[0] @ w[1] if isinstance(w, tuple) else w).double()

    w = {'embed.weight': emb.double(), 'out.bias': out_bias.double()}
    names = {'q': 'attn.q', 'k': 'attn.k', 'v': 'attn.v', 'o': 'attn.o', 'f1': 'ff1', 'f2': 'ff2'}
    for i, blk in enumerate(blocks):
        for key, name in names.items():
            w[f'blocks.{i}.{name}.weight'] = dev(blk[key])
            w[f'blocks.{i}.{name}.bias'] = blk['b' + key[-1] if key in 'qkvo' else 'b' + key[1]].double()
        for ln in ('ln1', 'ln2'):
            w[f'blocks.{i}.{ln}.scale'] = blk[ln + 's'].double()
            w[f'blocks.{i}.{ln}.bias'] = blk[ln + 'b'].double()
    cfg = {'d_model': 32, 'heads': 4, 'head_dim': 4, 'blocks': len(blocks)}
    tokens = torch.randint(3, V, (4, 37), generator=gen)
    ours = make_forward(tokens)().item()
    ref = sum(F.cross_entropy(transformer_ref.forward(w, cfg, seq)[:-1], seq[1:], reduction='sum').item()
              for seq in tokens) / (tokens.shape[0] * (tokens.shape[1] - 1))
    return abs(ours - ref) / abs(ref)


if __name__ == '__main__':
    main()
