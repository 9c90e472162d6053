#!/usr/bin/env python3
"""PyTorch training throughput (images/s) for Gesso's `small-cnn` classifier.

Same model as `gesso bench classifier`: conv 3x3 1->32 pad 1 (no bias),
BatchNorm2d(eps=1e-3, momentum=0.01), ReLU, max-pool 2x2; conv 3x3 32->64
likewise; flatten (3136); linear 3136->128, ReLU, dropout 0.3; linear 128->10.
Input 28x28x1, channels_last (NHWC in memory, like Gesso), fp32, CPU with
--threads (default 2). Cross-entropy, Adam lr 1e-3, --batch-size 64.
A step = zero_grad, forward, loss, backward, optimizer.step. After --warmup
untimed steps (10, once), each of --repeats (3) runs times --steps (200) steps;
images/s = steps * batch / seconds, and the median run is reported.
Data: a fixed seeded random batch (no data loading measured), or with
--fashion-mnist shuffled batches of the real training set (gzip'd IDX from
/usr/share/datasets/fashion-mnist, pixels scaled to [0, 1]).

Compare (from the repository root; both print images/s, higher is faster):
  swift build -c release && .build/release/gesso bench classifier \
    && python3 bench/peers/torch_small_cnn.py
--json OUT writes {"name": "small-cnn.train", "images_per_second", "ms_per_step"}.
"""
import argparse
import datetime
import gzip
import json
import statistics
import time

import numpy as np
import torch
import torch.nn as nn

CL = torch.channels_last
DATA = "/usr/share/datasets/fashion-mnist"


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64, eps=1e-3, momentum=0.01),
        nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]  # magic: 0, 0, type (0x08 = ubyte), ndim; then big-endian u32 dims
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def batches(args, gen):
    """Yields (x, y) batches forever."""
    b = args.batch_size
    if not args.fashion_mnist:
        x = torch.rand(b, 1, 28, 28, generator=gen).contiguous(memory_format=CL)
        y = torch.randint(0, 10, (b,), generator=gen)
        while True:
            yield x, y
    xs = torch.from_numpy(read_idx(f"{DATA}/train-images-idx3-ubyte.gz").astype(np.float32) / 255)
    xs = xs.unsqueeze(1)
    ys = torch.from_numpy(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64))
    while True:
        perm = torch.randperm(len(xs), generator=gen)
        for i in range(0, len(xs) - b + 1, b):
            idx = perm[i:i + b]
            yield xs[idx].contiguous(memory_format=CL), ys[idx]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fashion-mnist", action="store_true", help="train on real Fashion-MNIST")
    ap.add_argument("--json", dest="out", help="write the result here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = small_cnn().to(memory_format=CL).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    data = batches(args, gen)

    def step():
        x, y = next(data)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_model()}")
    print(f"Date: {datetime.datetime.now().isoformat(timespec='seconds')}; batch {args.batch_size}, "
          f"{'Fashion-MNIST' if args.fashion_mnist else 'random data'}, fp32, channels-last, "
          f"{args.warmup} warmup, {args.steps} steps x {args.repeats}")
    for _ in range(args.warmup):
        step()
    rates = []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            loss = step()
        elapsed = time.perf_counter() - t0
        rates.append(args.steps * args.batch_size / elapsed)
        print(f"  run {r + 1}: {rates[-1]:.0f} images/s ({1000 * elapsed / args.steps:.1f} ms/step), "
              f"loss {loss.item():.3f}")
    ips = statistics.median(rates)
    ms = 1000 * args.batch_size / ips
    print(f"pytorch small-cnn: {ips:.0f} images/s ({ms:.1f} ms/step), median of {args.repeats}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"name": "small-cnn.train", "images_per_second": ips, "ms_per_step": ms}, f)
            f.write("\n")


if __name__ == "__main__":
    main()
