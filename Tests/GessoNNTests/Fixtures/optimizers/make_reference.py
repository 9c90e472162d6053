#!/usr/bin/env python3
"""Writes reference.json: five steps of PyTorch's optimizers on a small least-squares problem, for
OptimizerReferenceTests.swift.

Problem: parameters W [3, 4] and b [3] with the fixed values below; loss = sum((x @ W.T + b - t)^2) for the
fixed batch x [5, 4] and targets t [5, 3]. Each configuration starts from the same W and b and runs
`loss.backward(); optimizer.step()` five times in float32; the file holds the parameters after each step.

The options use Gesso's names (learningRate, weightDecay, ...) so that the Swift test builds its optimizer from
the same record; OPTIMIZERS maps them to torch's.

Run from anywhere: python3 make_reference.py  (needs torch; writes next to this script)
"""
import json
import os

import torch

W0 = [[0.50, -0.30, 0.80, 0.10],
      [-0.20, 0.40, 0.25, -0.60],
      [0.70, 0.15, -0.45, 0.35]]
B0 = [0.10, -0.20, 0.30]
X = [[1.0, -0.5, 0.25, 0.8],
     [-0.3, 0.9, 0.6, -0.2],
     [0.4, 0.1, -0.7, 0.5],
     [-0.8, -0.6, 0.3, 0.9],
     [0.2, 0.7, -0.4, -0.1]]
T = [[0.5, -1.0, 0.2],
     [1.2, 0.3, -0.4],
     [-0.6, 0.8, 1.1],
     [0.9, -0.2, -0.7],
     [-1.3, 0.4, 0.6]]
STEPS = 5

# name, Gesso optimizer, Gesso options
CONFIGURATIONS = [
    ("sgd", "SGD", {"learningRate": 0.01}),
    ("sgd-momentum", "SGD", {"learningRate": 0.01, "momentum": 0.9}),
    ("sgd-nesterov-weight-decay", "SGD", {"learningRate": 0.01, "momentum": 0.9, "nesterov": True, "weightDecay": 0.05}),
    ("adam", "Adam", {"learningRate": 0.05}),
    ("adamw", "Adam", {"learningRate": 0.05, "weightDecay": 0.1, "decoupledWeightDecay": True}),
    ("rmsprop", "RMSProp", {"learningRate": 0.01}),
    ("rmsprop-centered-momentum", "RMSProp", {"learningRate": 0.01, "momentum": 0.9, "centered": True}),
]

# Gesso option name -> torch keyword, per optimizer; decoupledWeightDecay picks AdamW instead.
OPTIMIZERS = {
    "SGD": {"learningRate": "lr", "momentum": "momentum", "nesterov": "nesterov", "weightDecay": "weight_decay"},
    "Adam": {"learningRate": "lr", "beta1": None, "beta2": None, "epsilon": "eps", "weightDecay": "weight_decay"},
    "RMSProp": {"learningRate": "lr", "alpha": "alpha", "epsilon": "eps", "momentum": "momentum",
                "centered": "centered", "weightDecay": "weight_decay"},
}

# Elements of the gradient at least this far from 0 at every step: Adam and RMSProp divide by the gradient's
# size, so a near-zero element would turn float32 rounding noise into a full step in either direction.
MIN_GRADIENT = 1e-3


def make_optimizer(kind, options, params):
    names = OPTIMIZERS[kind]
    kwargs = {names[k]: v for k, v in options.items() if k != "decoupledWeightDecay"}
    if kind == "SGD":
        return torch.optim.SGD(params, **kwargs)
    if kind == "Adam":
        if options.get("decoupledWeightDecay"):
            return torch.optim.AdamW(params, **kwargs)
        # torch.optim.AdamW's default weight decay is 0.01; plain Adam's is 0, like Gesso's.
        return torch.optim.Adam(params, **kwargs)
    return torch.optim.RMSprop(params, **kwargs)


def run(kind, options):
    W = torch.tensor(W0, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(B0, dtype=torch.float32, requires_grad=True)
    x = torch.tensor(X, dtype=torch.float32)
    t = torch.tensor(T, dtype=torch.float32)
    optimizer = make_optimizer(kind, options, [W, b])
    steps = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = ((x @ W.T + b - t) ** 2).sum()
        loss.backward()
        smallest = min(W.grad.abs().min().item(), b.grad.abs().min().item())
        assert smallest >= MIN_GRADIENT, f"{kind} {options}: gradient element {smallest} too close to 0"
        optimizer.step()
        steps.append({"loss": loss.item(),
                      "W": [float(v) for v in W.detach().flatten()],
                      "b": [float(v) for v in b.detach().flatten()]})
    return steps


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    reference = {
        "source": "make_reference.py, torch " + torch.__version__ + ", float32, CPU",
        "loss": "sum((x @ W.T + b - t)^2)",
        "initial": {"W": {"shape": [3, 4], "values": sum(W0, [])}, "b": {"shape": [3], "values": B0}},
        "x": {"shape": [5, 4], "values": sum(X, [])},
        "t": {"shape": [5, 3], "values": sum(T, [])},
        "configurations": [
            {"name": name, "optimizer": kind, "options": options, "steps": run(kind, options)}
            for name, kind, options in CONFIGURATIONS
        ],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
