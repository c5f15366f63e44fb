"""The ES update of docs/es.md in plain numpy (float64), as an independent reference.

Usage: es_reference.py DIR. DIR holds what tests/es/es_update_test.cpp exported from seedline:
case.json (settings, block layout, population, generations), center0.npy, and per generation g
fitness{g}.npy, and per block b of each perturbation p its noise: noise{g}_{b}.npy (P x size)
for full blocks or A{g}_{b}.npy (P x m x r) and B{g}_{b}.npy (P x n x r) for low-rank blocks.
Writes members{g}.npy (the members' genotypes) and center{g+1}.npy for every generation, and
m.npy / v.npy (Adam's moments after the last update), all float32.

Only numpy; nothing here calls seedline code.
"""
import json
import os
import sys

import numpy as np


def average_ranks(key):
    """Ranks 0..n-1 in ascending order, tied values sharing the mean of their ranks."""
    n = len(key)
    order = np.argsort(key, kind="stable")
    ranks = np.empty(n)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and key[order[j + 1]] == key[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0
        i = j + 1
    return ranks


def shaped(kind, f):
    f = np.asarray(f, dtype=np.float64)
    n = len(f)
    if kind == "centered_ranks":
        if n < 2:
            return np.zeros(n)
        # NaN ranks below every number; ties share their average rank.
        key = np.where(np.isnan(f), -np.inf, f)
        ranks = average_ranks(key)
        return ranks / (n - 1) - 0.5
    sd = f.std()
    return np.zeros(n) if sd == 0 else (f - f.mean()) / sd


def eps_of(d, case, g, p):
    """Perturbation p of generation g as one genotype-sized vector (float64)."""
    eps = np.zeros(case["genotype_size"])
    for b, blk in enumerate(case["blocks"]):
        lo, hi = blk["offset"], blk["offset"] + blk["size"]
        if blk["lowrank"]:
            a = np.load(os.path.join(d, f"A{g}_{b}.npy"))[p].astype(np.float64)
            bb = np.load(os.path.join(d, f"B{g}_{b}.npy"))[p].astype(np.float64)
            eps[lo:hi] = (a @ bb.T / np.sqrt(blk["rank"])).ravel()
        else:
            eps[lo:hi] = np.load(os.path.join(d, f"noise{g}_{b}.npy"))[p].astype(np.float64)
    return eps


def main(d):
    with open(os.path.join(d, "case.json")) as fh:
        case = json.load(fh)
    sigma, lr, wd = case["sigma"], case["learning_rate"], case["weight_decay"]
    n = case["population"]
    x = np.load(os.path.join(d, "center0.npy")).astype(np.float64)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for g in range(case["generations"]):
        pert = [i // 2 if case["antithetic"] else i for i in range(n)]
        sign = [(-1.0 if (case["antithetic"] and i % 2) else 1.0) for i in range(n)]
        eps = [eps_of(d, case, g, p) for p in range(max(pert) + 1)]
        members = np.stack([x + sign[i] * sigma * eps[pert[i]] for i in range(n)])
        np.save(os.path.join(d, f"members{g}.npy"), members.astype(np.float32))
        f = np.load(os.path.join(d, f"fitness{g}.npy"))
        s = shaped(case["shaping"], f)
        grad = sum(s[i] * sign[i] * eps[pert[i]] for i in range(n)) / (n * sigma)
        step_dir = grad - wd * x
        if case["optimizer"] == "sgd":
            x = x + lr * step_dir
        else:
            t = g + 1
            m = 0.9 * m + 0.1 * step_dir
            v = 0.999 * v + 0.001 * step_dir ** 2
            x = x + lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        np.save(os.path.join(d, f"center{g + 1}.npy"), x.astype(np.float32))
    np.save(os.path.join(d, "m.npy"), m.astype(np.float32))
    np.save(os.path.join(d, "v.npy"), v.astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1])
