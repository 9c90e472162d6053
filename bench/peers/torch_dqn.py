#!/usr/bin/env python3
"""PyTorch peer of `gesso bench dqn`: the same DQN agent and game, agent steps per second while learning.

The game is Gesso's FlappyGame (Sources/GessoRL/FlappyGame.swift) ported line by line (default config, frame skip 2,
rewards 0.1 alive / +1 pipe / -1 crash, 80x80 grey frames: background 0, pipes 128, bird 255); the network is the
lecture's createNetwork() (conv3x3 4->32, 32->64, 64->64, each ReLU + 2x2 max-pool SAME, fc 6400->512 ReLU, fc 512->2)
in channels-last; the agent: replay of byte frames (4-frame states, oldest first), epsilon-greedy, Huber loss against
r + 0.99 max Q_target(s'), Adam 1e-4, batch 32, one update every 4 agent steps, target sync every 1,000 steps.
A measured step = act (one forward of one state), play frameSkip frames, store, and every 4th step sample a batch
of 32 and update (a target forward of 32 states, forward + backward of 32, Adam).

Measurement: --warmup agent steps (default 200, after filling the replay with --fill random steps), then --repeats
(3) runs of --steps (400) agent steps; steps/s of the median run. 2 threads unless --threads.
Compare (repository root): .build/release/gesso bench dqn && python3 bench/peers/torch_dqn.py
"""
import argparse
import random
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CL = torch.channels_last


class Game:
    gap, speed, spacing, pipe_w = 0.36, 0.01, 0.5, 0.14
    lo, hi, gravity, flap_v, max_fall = 0.32, 0.68, 0.0016, -0.022, 0.03
    bird_x, r, first_x = 0.25, 0.035, 0.75

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.y, self.v, self.score, self.over = 0.5, 0.0, 0, False
        self.pipes = []
        x = self.first_x
        while x < 1 + self.spacing:
            self.pipes.append([x, self.centre(), False])
            x += self.spacing

    def centre(self):
        return self.lo + (self.hi - self.lo) * self.rng.random()

    def advance(self, flap):
        self.v = self.flap_v if flap else min(self.v + self.gravity, self.max_fall)
        self.y += self.v
        event = "alive"
        for p in self.pipes:
            p[0] -= self.speed
            if not p[2] and p[0] + self.pipe_w < self.bird_x - self.r:
                p[2] = True
                self.score += 1
                event = "pipe"
        if self.pipes[0][0] + self.pipe_w < 0:
            self.pipes.pop(0)
            self.pipes.append([self.pipes[-1][0] + self.spacing, self.centre(), False])
        if self.collides():
            self.over = True
            return "crash"
        return event

    def collides(self):
        r, bx, by = self.r, self.bird_x, self.y
        if by + r >= 1 or by - r <= 0:
            return True
        for x, c, _ in self.pipes:
            for y0, y1 in ((-1.0, c - self.gap / 2), (c + self.gap / 2, 2.0)):
                cx, cy = min(max(bx, x), x + self.pipe_w), min(max(by, y0), y1)
                if (bx - cx) ** 2 + (by - cy) ** 2 < r * r:
                    return True
        return False

    def grey(self, side=80):
        img = np.zeros((side, side), np.uint8)
        for x, c, _ in self.pipes:
            x0, x1 = max(0, round(x * side)), min(side, round((x + self.pipe_w) * side))
            if x0 >= x1:
                continue
            top, bottom = round((c - self.gap / 2) * side), round((c + self.gap / 2) * side)
            img[:max(top, 0), x0:x1] = 128
            img[max(bottom, 0):, x0:x1] = 128
        s = side
        cy, cx, rr = self.y * s, self.bird_x * s, self.r * s
        yy, xx = np.mgrid[0:side, 0:side]
        img[((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2) <= rr * rr] = 255
        return img


def env_step(game, action, skip=2):
    reward = 0.0
    for _ in range(skip):
        e = game.advance(action == 1)
        if e == "pipe":
            reward += 1
        if e == "crash":
            return game.grey(), reward - 1, True
    return game.grey(), reward + 0.1, False


class Net(nn.Module):   # the lecture's createNetwork()
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv2d(4, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)
        self.f1, self.f2 = nn.Linear(6400, 512), nn.Linear(512, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)   # TF's NHWC flatten
        return self.f2(F.relu(self.f1(x)))


class Replay:
    def __init__(self, capacity):
        self.frames = np.zeros((capacity, 80, 80), np.uint8)
        self.a, self.r = np.zeros(capacity, np.int64), np.zeros(capacity, np.float32)
        self.d, self.s = np.zeros(capacity, bool), np.zeros(capacity, bool)
        self.cap, self.n, self.next = capacity, 0, 0

    def add(self, f, a, r, d, start):
        i = self.next
        self.frames[i], self.a[i], self.r[i], self.d[i], self.s[i] = f, a, r, d, start
        self.next, self.n = (i + 1) % self.cap, min(self.n + 1, self.cap)

    def stack(self, i):
        oldest = 0 if self.n < self.cap else self.next
        idx, j = [i], i
        for _ in range(3):
            if not (self.s[j] or j == oldest):
                j = (j - 1) % self.cap
            idx.insert(0, j)
        return self.frames[idx]

    def sample(self, b):
        oldest = 0 if self.n < self.cap else self.next
        ids = [(oldest + random.randrange(self.n - 1)) % self.cap for _ in range(b)]
        s = np.stack([self.stack(i) for i in ids])
        n = np.stack([self.stack(i) if self.d[i] else self.stack((i + 1) % self.cap) for i in ids])
        return s, n, self.a[ids], self.r[ids], self.d[ids]


def tensor(states):   # [B, 4, 80, 80] bytes -> channels-last float in [0, 1]
    return (torch.from_numpy(states).float() / 255).contiguous(memory_format=CL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fill", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    random.seed(1)
    online, target = Net().to(memory_format=CL), Net().to(memory_format=CL)
    target.load_state_dict(online.state_dict())
    opt = torch.optim.Adam(online.parameters(), lr=1e-4)
    replay = Replay(50_000)
    state = {"game": Game(0), "episode": 0, "start": True, "frames": None, "step": 0}

    def reset():
        state["episode"] += 1
        state["game"] = Game(state["episode"])
        f = state["game"].grey()
        state["frame"], state["frames"], state["start"] = f, [f] * 4, True

    reset()

    def agent_step(epsilon, learn):
        if random.random() < epsilon:
            a = 1 if random.random() < 0.15 else 0   # exploration flaps with probability 0.15, as in Gesso
        else:
            with torch.no_grad():
                a = int(online(tensor(np.stack(state["frames"])[None])).argmax(1)[0])
        f, r, d = env_step(state["game"], a)
        replay.add(state["frame"], a, r, d, state["start"])
        state["step"] += 1
        if d:
            reset()
        else:
            state["frame"], state["frames"], state["start"] = f, state["frames"][1:] + [f], False
        if learn and state["step"] % 4 == 0:
            s, n, acts, rews, dones = replay.sample(32)
            with torch.no_grad():
                nq = target(tensor(n)).max(1).values
            y = torch.from_numpy(rews) + 0.99 * nq * torch.from_numpy(~dones).float()
            q = online(tensor(s)).gather(1, torch.from_numpy(acts)[:, None])[:, 0]
            loss = F.huber_loss(q, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if state["step"] % 1000 == 0:
            target.load_state_dict(online.state_dict())

    for _ in range(args.fill):
        agent_step(1.0, False)
    for _ in range(args.warmup):
        agent_step(0.5, True)
    rates = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        for _ in range(args.steps):
            agent_step(0.5, True)
        rates.append(args.steps / (time.perf_counter() - t))
    print(f"torch dqn: {statistics.median(rates):.1f} agent steps/s (runs: {', '.join(f'{r:.1f}' for r in rates)}), "
          f"{args.threads} threads, torch {torch.__version__}")


if __name__ == "__main__":
    main()
