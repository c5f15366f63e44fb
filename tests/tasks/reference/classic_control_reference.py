#!/usr/bin/python3
"""Reference trajectories for tests/tasks/classic_control_test.cpp.

Gymnasium is not installed here, so this script transcribes the published equations of
gymnasium/envs/classic_control/cartpole.py (CartPole-v1, step()) and pendulum.py
(Pendulum-v1, step()) with the same constants, the same float64 arithmetic and the same order
of operations, and prints the states the C++ tests pin. Run with /usr/bin/python3 (numpy):

    /usr/bin/python3 tests/tasks/reference/classic_control_reference.py
"""
import math

import numpy as np

# --- CartPole-v1 -------------------------------------------------------------------------
GRAVITY = 9.8
MASSCART = 1.0
MASSPOLE = 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


def cartpole_step(state, action):
    x, x_dot, theta, theta_dot = state
    force = FORCE_MAG if action == 1 else -FORCE_MAG
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + POLEMASS_LENGTH * np.square(theta_dot) * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * np.square(costheta) / TOTAL_MASS))
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    x = x + TAU * x_dot
    x_dot = x_dot + TAU * xacc
    theta = theta + TAU * theta_dot
    theta_dot = theta_dot + TAU * thetaacc
    state = np.array((x, x_dot, theta, theta_dot), dtype=np.float64)
    terminated = bool(x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD
                      or theta > THETA_THRESHOLD)
    return state, terminated


# --- Pendulum-v1 -------------------------------------------------------------------------
MAX_SPEED = 8.0
MAX_TORQUE = 2.0
DT = 0.05
G = 10.0
M = 1.0
L = 1.0


def angle_normalize(x):
    return ((x + np.pi) % (2 * np.pi)) - np.pi


def pendulum_step(state, u):
    th, thdot = state
    u = np.clip(u, -MAX_TORQUE, MAX_TORQUE)
    costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2)
    newthdot = thdot + (3 * G / (2 * L) * np.sin(th) + 3.0 / (M * L**2) * u) * DT
    newthdot = np.clip(newthdot, -MAX_SPEED, MAX_SPEED)
    newth = th + newthdot * DT
    return np.array([newth, newthdot]), -costs


# --- Episode initial states (seedline's own derivation, src/tasks/episode_random.hpp) --------
# Philox4x32-10 transcribed from the Random123 paper (Salmon et al. 2011): 10 rounds, key
# bumped by the Weyl constants between rounds.
MASK = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    ctr = list(ctr)
    key = list(key)
    for r in range(10):
        if r > 0:
            key = [(key[0] + 0x9E3779B9) & MASK, (key[1] + 0xBB67AE85) & MASK]
        p0 = 0xD2511F53 * ctr[0]
        p1 = 0xCD9E8D57 * ctr[2]
        ctr = [((p1 >> 32) ^ ctr[1] ^ key[0]) & MASK, p1 & MASK,
               ((p0 >> 32) ^ ctr[3] ^ key[1]) & MASK, p0 & MASK]
    return ctr


def episode_unit(seed, index):
    out = philox4x32_10([index, 0x45504953, 0, 0], [seed & MASK, seed >> 32])
    bits = (out[1] << 32) | out[0]
    return (bits >> 11) * 2.0**-53


def episode_uniform(seed, index, low, high):
    return low + (high - low) * episode_unit(seed, index)


def fmt(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


def main():
    # CartPole: a fixed action pattern from a fixed start, every state printed.
    state = np.array([0.01, -0.02, 0.03, 0.04], dtype=np.float64)
    actions = [1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0]
    print("// cartpole pattern trajectory, actions", actions)
    for a in actions:
        state, terminated = cartpole_step(state, a)
        assert not terminated
        print(fmt(state) + ",")

    # CartPole: always push right until the pole falls.
    state = np.array([0.01, -0.02, 0.03, 0.04], dtype=np.float64)
    steps = 0
    terminated = False
    while not terminated:
        state, terminated = cartpole_step(state, 1)
        steps += 1
    print("// cartpole push-right: steps", steps, "final", fmt(state))

    # Pendulum: torques including an out-of-range one (clipped) from a fixed start.
    state = np.array([2.5, -0.7])
    torques = [0.0, 2.0, -2.0, 1.5, 3.0, -0.25, 0.75, -1.0]
    print("// pendulum torques", torques)
    total = 0.0
    for u in torques:
        state, reward = pendulum_step(state, u)
        total += reward
        print(fmt([state[0], state[1], reward]) + ",")
    print("// pendulum total", repr(float(total)))

    # Pendulum: a fall from nearly upright with full torque along the fall hits the speed clip.
    state = np.array([0.1, 0.0])
    clipped_at = None
    for k in range(40):
        state, reward = pendulum_step(state, 2.0)
        if abs(state[1]) == MAX_SPEED and clipped_at is None:
            clipped_at = k + 1
    print("// pendulum fall: first clipped step", clipped_at, "state after 40", fmt(state))

    # Pendulum episode with a constant network output 0.3: u = float32(2 tanh(0.3)).
    u = float(np.float32(2.0 * math.tanh(np.float64(np.float32(0.3)))))
    state = np.array([-1.2, 0.4])
    total = 0.0
    for _ in range(200):
        state, reward = pendulum_step(state, u)
        total += reward
    print("// pendulum constant 0.3 for 200 steps: u", repr(u), "total", repr(float(total)),
          "final", fmt(state))

    # Initial states derived from episode seeds.
    for seed in [0, 1, 0xDEADBEEFCAFEF00D]:
        cart = [episode_uniform(seed, i, -0.05, 0.05) for i in range(4)]
        pend = [episode_uniform(seed, 0, -np.pi, np.pi), episode_uniform(seed, 1, -1.0, 1.0)]
        print("// seed %#x: cartpole %s pendulum %s" % (seed, fmt(cart), fmt(pend)))

    # angle_normalize at a few points, including negative angles (floor modulo).
    for x in [-7.0, -3.5, -math.pi, 0.0, 3.0, math.pi, 4.0, 10.0]:
        print("// angle_normalize(%r) = %r" % (x, float(angle_normalize(np.float64(x)))))


if __name__ == "__main__":
    main()
