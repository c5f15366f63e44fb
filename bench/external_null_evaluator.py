"""The cheapest possible evaluator for bench/external_bench: returns (0.0, 1) without reading
the weights, so a round trip measures seedline's per-item overhead (weights copy into shared
memory, one EVAL and one RESULT frame, the client's loop) and nothing of an environment.
With "touch" it sums the weights once per item (reads every byte of the shared region)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import seedline_evaluator as se  # noqa: E402

TOUCH = len(sys.argv) > 1 and sys.argv[1] == "touch"


def evaluate(weights, seed):
    if TOUCH:
        return float(sum(float(w.sum(dtype=np.float64)) for w in weights.values())), 1
    return 0.0, 1


se.serve(evaluate, name="null-evaluator", version="1")
