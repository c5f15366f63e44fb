"""CarRacing-v3 / Atari evaluators for users who have gymnasium installed.

UNTESTED HERE: gymnasium is not available offline on seedline's build machine, so this file
is an example to adapt, not part of the test suite. It needs `pip install "gymnasium[box2d]"`
(CarRacing) or `pip install "gymnasium[atari]"` (Atari) in the Python that runs it.

The paper's setup (Garbus & Pollack, Table 2): observations are 4 stacked frames of 64x64
RGB (CarRacing) or 84x84 (Atari), i.e. 12 channels, as the task's observation_shape:

    "task": {"type": "external", "workers": 4, "episodes": 1, "timeout": 300,
             "command": ["python3", "examples/external/gymnasium_carracing.py", "CarRacing-v3"],
             "observation_shape": [12, 64, 64], "actions": 3},
    "network": [{"type": "conv", "out": 32, "kernel": 4, "stride": 2, "activation": "relu"},
                {"type": "conv", "out": 64, "kernel": 4, "stride": 2, "activation": "relu"},
                {"type": "conv", "out": 128, "kernel": 4, "stride": 2, "activation": "relu"},
                {"type": "conv", "out": 256, "kernel": 4, "stride": 2, "activation": "relu"},
                {"type": "flatten"},
                {"type": "dense", "out": 256, "activation": "relu"},
                {"type": "dense", "out": 3}]

For Atari use e.g. "ALE/Pong-v5", observation_shape [12, 84, 84] and actions 18 (the full
action set: pass full_action_space=True), with the paper's conv 32 k8 s4, 64 k4 s2, 64 k3 s1.
The episode seed seeds the environment (reset(seed=...)); sticky actions and other sources
of randomness must come from it too, or resumed runs will not reproduce.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import seedline_evaluator as se  # noqa: E402


class FrameStack:
    """Frame stacking: the last 4 RGB frames -> (12, h, w) float32 in [0, 1], each frame resized
    to (h, w) by nearest-neighbour sampling (adapt to your preprocessing)."""

    def __init__(self, env, size, frames=4):
        self.env, self.size, self.frames = env, size, frames
        self.stack = None

    def _frame(self, obs):
        h, w = self.size
        rows = (np.arange(h) * obs.shape[0]) // h
        cols = (np.arange(w) * obs.shape[1]) // w
        small = obs[rows][:, cols, :]
        return np.transpose(small, (2, 0, 1)).astype(np.float32) / 255.0

    def reset(self, seed=None):
        obs, info = self.env.reset(seed=seed)
        f = self._frame(obs)
        self.stack = [f] * self.frames
        return np.concatenate(self.stack, axis=0), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.stack = self.stack[1:] + [self._frame(obs)]
        return np.concatenate(self.stack, axis=0), reward, terminated, truncated, info


def main():
    import gymnasium as gym  # imported here so that `--help` works without gymnasium

    env_id = sys.argv[1] if len(sys.argv) > 1 else "CarRacing-v3"
    if env_id.startswith("CarRacing"):
        def make():
            return FrameStack(gym.make(env_id), (64, 64))
        # Steering in [-1, 1], gas and brake in [0, 1], from the 3 raw outputs.
        def to_action(out):
            return np.array([np.tanh(out[0]), 1 / (1 + np.exp(-out[1])), 1 / (1 + np.exp(-out[2]))])
        evaluator = se.GymEvaluator(make, discrete=False, max_steps=1000, action_transform=to_action)
    else:
        def make():
            return FrameStack(gym.make(env_id, full_action_space=True, obs_type="rgb"), (84, 84))
        evaluator = se.GymEvaluator(make, discrete=True, max_steps=27000)
    se.serve(evaluator, name="gymnasium-" + env_id, version=gym.__version__)


if __name__ == "__main__":
    main()
