"""The sphere function as an external evaluator: fitness = -sum_i (x_i - shift)^2 over every
weight, in the network's tensor order, summed one by one in float64, exactly as seedline's
built-in `sphere` task does (same bits for the same genome).

    {"type": "external", "command": ["python3", "examples/external/sphere.py", "0.5"]}

Without observation_shape the network's first layer gives its own "in", as for `sphere`.
A NaN or infinite cost gives -inf, like the built-in. Arguments after the shift are ignored.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import seedline_evaluator as se  # noqa: E402

SHIFT = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0


def sphere(weights, episode_seed):
    x = np.concatenate([w.reshape(-1) for w in weights.values()]).astype(np.float64)
    z = x - SHIFT
    # cumsum adds left to right like the built-in's loop (np.sum would add pairwise: other bits).
    cost = float(np.cumsum(z * z)[-1]) if z.size else 0.0
    return -cost if math.isfinite(cost) else -math.inf


if __name__ == "__main__":
    se.serve(sphere, name="sphere-example", version="1.0")
