#!/usr/bin/python3
"""Writes tests/stats/golden_vectors.json: reference values for src/stats from SciPy.

Run with Debian's interpreter, which has numpy and scipy (the `python3` on PATH may not):

    /usr/bin/python3 tests/stats/make_golden.py

Every number in the output comes from scipy.stats / numpy as installed (the versions are
recorded in the file's "generator" field; the committed file was made with scipy 1.10.1).
The samples come from numpy.random.default_rng with the fixed seeds below, so rerunning
the script reproduces the file byte for byte on the same scipy version.

For method='auto' SciPy does not say which method it chose; the script infers it by
comparing the auto p-value with the exact and asymptotic ones; where both are equal (e.g.
p = 1) it records "either".

Mean confidence intervals use a t quantile refined beyond scipy's t.ppf, whose root finder
stops at about 1e-9 relative error (see t_quantile_975); t.interval's own bounds are kept
alongside as *_scipy_ppf.
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats

SEED = 20240601
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_vectors.json")


def sample(rng, n, kind):
    """One sample of size n; 'ties' draws small integers so ranks tie often."""
    if kind == "ties":
        return [float(v) for v in rng.integers(0, 6, size=n)]
    if kind == "continuous":
        return [float(v) for v in np.round(rng.normal(0.0, 1.0, size=n), 6)]
    if kind == "shifted":
        return [float(v) for v in np.round(rng.normal(1.5, 2.0, size=n), 6)]
    raise ValueError(kind)


def mwu_case(name, a, b):
    exact = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact")
    asym = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic",
                              use_continuity=True)
    auto = stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")
    if auto.pvalue == exact.pvalue == asym.pvalue:
        used = "either"  # both methods agree (e.g. p = 1), so the choice is invisible
    elif auto.pvalue == exact.pvalue:
        used = "exact"
    elif auto.pvalue == asym.pvalue:
        used = "asymptotic"
    else:
        raise AssertionError(f"{name}: cannot tell which method auto used")
    rs = stats.ranksums(a, b)
    return {
        "name": name, "a": a, "b": b,
        "U": float(exact.statistic),
        "p_exact": float(exact.pvalue),
        "p_asymptotic": float(asym.pvalue),
        "p_auto": float(auto.pvalue), "auto_method": used,
        "ranksums_z": float(rs.statistic), "ranksums_p": float(rs.pvalue),
        "glass_delta": float((np.mean(a) - np.mean(b)) / np.std(b, ddof=1)),
    }


def two_sample_cases(rng):
    cases = []
    # The worked example of scipy's mannwhitneyu docstring (Shier 2004).
    cases.append(mwu_case("shier_example", [19.0, 22.0, 16.0, 29.0, 24.0],
                          [20.0, 11.0, 17.0, 12.0]))
    # Complete separation: the smallest possible p-values, to check tail precision.
    for n in (5, 12, 25):
        a = [float(i) for i in range(n)]
        b = [float(i + 100) for i in range(n + 1)]
        cases.append(mwu_case(f"separated_{n}_vs_{n + 1}", a, b))
    sizes = [(2, 2), (2, 3), (3, 8), (8, 3), (8, 8), (8, 9), (9, 8), (9, 9), (4, 20),
             (20, 4), (1, 7), (7, 2), (12, 15), (30, 30), (17, 42), (50, 50), (50, 3),
             (6, 50), (25, 31), (40, 45), (10, 11),
             # C(n1+n2, n1) > 2**128: the exact counts no longer fit 128-bit integers.
             (66, 70), (80, 75)]
    for (n1, n2) in sizes:
        for kind_a, kind_b in (("continuous", "continuous"), ("continuous", "shifted"),
                               ("ties", "ties")):
            if n1 + n2 < 4 and kind_a == "ties":
                continue  # too few values: ties would often make b's sd zero
            a = sample(rng, n1, kind_a)
            b = sample(rng, n2, kind_b)
            if len(set(b)) < 2:
                b[0] += 1.0  # Glass's delta needs a control with spread
            if kind_a == "ties" and len(set(a + b)) == 1:
                continue
            cases.append(mwu_case(f"n{n1}_n{n2}_{kind_a}_{kind_b}", a, b))
    return cases


def kruskal_cases(rng):
    cases = []
    for k in (2, 3, 4, 5):
        for rep, kind in enumerate(("continuous", "ties", "shifted", "ties")):
            sizes = [int(s) for s in rng.integers(1 if rep == 3 else 2, 31, size=k)]
            groups = [sample(rng, n, kind if i % 2 == 0 else "continuous")
                      for i, n in enumerate(sizes)]
            res = stats.kruskal(*groups)
            cases.append({"name": f"kruskal_k{k}_{rep}_{kind}", "groups": groups,
                          "H": float(res.statistic), "p": float(res.pvalue)})
    # Strongly separated groups: a small chi-square survival probability.
    groups = [[float(10 * g + i) for i in range(12)] for g in range(4)]
    groups = [[v + 100.0 * g for v in grp] for g, grp in enumerate(groups)]
    res = stats.kruskal(*groups)
    cases.append({"name": "kruskal_separated_4x12", "groups": groups,
                  "H": float(res.statistic), "p": float(res.pvalue)})
    return cases


def t_quantile_975(df):
    """t(0.975, df), refined from scipy's t.ppf by Newton steps on t.sf.

    scipy 1.10's t.ppf (cdflib's iterative cdft) is only accurate to about 1e-9 relative:
    for df = 2, where t = 0.95 / sqrt(2 * 0.975 * 0.025) = 4.302652729749462 exactly, it
    returns 4.302652729911275. t.sf and t.pdf are accurate to ~1e-15, so two Newton steps on
    sf(q) = 0.025 give the quantile to full double precision.
    """
    q = stats.t.ppf(0.975, df)
    for _ in range(2):
        q += (stats.t.sf(q, df) - 0.025) / stats.t.pdf(q, df)
    return float(q)


def mean_ci_cases(rng):
    cases = []
    q2 = t_quantile_975(2)
    assert abs(q2 - 0.95 / math.sqrt(2 * 0.975 * 0.025)) < 1e-14, q2
    for n in (2, 3, 4, 5, 7, 10, 16, 30, 50):
        x = sample(rng, n, "shifted")
        mean = float(np.mean(x))
        sem = float(stats.sem(x))
        q = t_quantile_975(n - 1)
        lo_scipy, hi_scipy = stats.t.interval(0.95, n - 1, loc=mean, scale=sem)
        cases.append({"name": f"mean_ci_n{n}", "x": x, "mean": mean,
                      "lo": mean - q * sem, "hi": mean + q * sem,
                      "lo_scipy_ppf": float(lo_scipy), "hi_scipy_ppf": float(hi_scipy)})
    return cases


def main():
    rng = np.random.default_rng(SEED)
    doc = {
        "generator": {
            "script": "tests/stats/make_golden.py",
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "seed": SEED,
            "note": "mannwhitneyu(a, b, alternative='two-sided', method=...), "
                    "ranksums(a, b), kruskal(*groups); mean CI = mean -/+ t(0.975, n-1) * sem with "
                    "t refined from t.ppf (see t_quantile_975), *_scipy_ppf = t.interval as is; "
                    "glass_delta = (mean(a) - mean(b)) / std(b, ddof=1)",
        },
        "two_sample": two_sample_cases(rng),
        "kruskal": kruskal_cases(rng),
        "mean_ci": mean_ci_cases(rng),
    }
    for section in ("two_sample", "kruskal", "mean_ci"):
        for case in doc[section]:
            for key, value in case.items():
                if isinstance(value, float) and not math.isfinite(value):
                    raise AssertionError(f"{case['name']}: {key} is not finite")
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(doc['two_sample'])} two-sample, {len(doc['kruskal'])} kruskal, "
          f"{len(doc['mean_ci'])} mean-CI cases (scipy {scipy.__version__})")


if __name__ == "__main__":
    main()
