"""CartPole (the equations of gymnasium's CartPole-v1) in pure Python, evaluated for seedline.

    {"type": "external", "command": ["python3", "examples/external/cartpole.py"],
     "observation_shape": [4], "actions": 2, "workers": 2}

The network sees the 4 state values and its 2 outputs choose the push (argmax). The start
state is uniform in [-0.05, 0.05) from numpy's generator seeded with the episode seed, so an
episode depends on its seed alone and seedline's resume gives the same lineage. seedline's
built-in `cartpole` task runs the same physics in C++ (with its own start-state stream).
Run from the repository root (the command's path is relative to the daemon's directory).
Arguments: [MAX_STEPS (default 500)]; further arguments are ignored.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import seedline_evaluator as se  # noqa: E402


class CartPole:
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_limit = 12 * 2 * math.pi / 360
    x_limit = 2.4

    def __init__(self, max_steps=500):
        self.max_steps = max_steps
        self.state = None
        self.steps = 0

    def reset(self, seed=None):
        rng = np.random.default_rng(seed)
        self.state = [float(v) for v in rng.uniform(-0.05, 0.05, size=4)]
        self.steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        temp = (force + polemass_length * theta_dot**2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta**2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        terminated = x < -self.x_limit or x > self.x_limit or theta < -self.theta_limit or theta > self.theta_limit
        truncated = self.steps >= self.max_steps
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}


if __name__ == "__main__":
    max_steps = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    se.serve(se.GymEvaluator(lambda: CartPole(max_steps)), name="pure-python-cartpole", version="1.0")
