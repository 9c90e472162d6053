#!/usr/bin/env python3
"""PyTorch peer timings for the layers that `gesso bench ops` measures.

Each layer case is timed as forward + backward: the forward pass, then
`.backward(upstream)` with a fixed random upstream gradient. The input and the
weights require grad, so backward computes both the data and the weight
gradients. Gradients are cleared before each run, outside the timed region.
4-D tensors use torch.channels_last (NHWC in memory, like Gesso), fp32, on the
CPU with `--threads` threads (default 2). The reported time is the median of
`--repeats` timed runs after `--warmup` untimed runs, in milliseconds.

GFLOP/s = flops / time, where flops counts forward + backward data + backward
weights (3 x the forward multiply-adds x 2):
  conv:            3 * 2 * N*OH*OW*OC*IC*KH*KW
  transposed conv: 3 * 2 * N*IH*IW*IC * OC*KH*KW
  linear:          3 * 2 * M*N*K
Pooling and the whole training step (`lecture.step`: zero grads, forward,
MSE loss, backward, SGD step; input does not require grad) print '-'.
Shapes are printed NHWC (batch x height x width x channels), as in Gesso.

Run next to Gesso (from the repository root):
  swift build -c release && .build/release/gesso bench ops --json /tmp/gesso.json \
    && python3 bench/peers/torch_layers.py --gesso /tmp/gesso.json
Gesso's JSON is a list of {"name": ..., "ms": ..., "gflops": ...}; the
"Gesso / PyTorch" column is Gesso ms / PyTorch ms, so < 1 means Gesso is faster.
Other flags: --repeats 7 --warmup 3 --threads 2 --only PREFIX --json OUT
(OUT gets PyTorch's results in the same list-of-objects format).
"""
import argparse
import datetime
import json
import statistics
import time

import torch
import torch.nn as nn

CL = torch.channels_last


def nhwc(t):
    n, c, h, w = t.shape
    return f"{n}x{h}x{w}x{c}"


def layer_case(module, x):
    """Forward + backward of one module on input x (NCHW dims, channels-last if 4-D)."""
    if x.dim() == 4:
        module = module.to(memory_format=CL)
        x = x.contiguous(memory_format=CL)
    x.requires_grad_(True)
    with torch.no_grad():
        out = module(x)
    upstream = torch.randn_like(out)  # preserves channels-last

    def reset():
        x.grad = None
        module.zero_grad(set_to_none=True)

    def run():
        module(x).backward(upstream)

    fmt = nhwc if x.dim() == 4 else (lambda t: "x".join(map(str, t.shape)))
    return f"{fmt(x)} -> {fmt(out)}", reset, run


def conv(n, ic, oc, hw, k, s, p, bias=True):
    oh = (hw + 2 * p - k) // s + 1
    shape, reset, run = layer_case(nn.Conv2d(ic, oc, k, s, p, bias=bias), torch.randn(n, ic, hw, hw))
    return shape, 3 * 2 * n * oh * oh * oc * ic * k * k, reset, run


def tconv(n, ic, oc, hw, k, s, p):
    m = nn.ConvTranspose2d(ic, oc, k, s, p, bias=False)
    shape, reset, run = layer_case(m, torch.randn(n, ic, hw, hw))
    return shape, 3 * 2 * n * hw * hw * ic * oc * k * k, reset, run


def pool(n, c, hw):
    shape, reset, run = layer_case(nn.MaxPool2d(2, 2), torch.randn(n, c, hw, hw))
    return shape, 0, reset, run


def linear(m, k, n):
    shape, reset, run = layer_case(nn.Linear(k, n), torch.randn(m, k))
    return shape, 3 * 2 * m * n * k, reset, run


def lecture_step():
    net = nn.Sequential(
        nn.Conv2d(4, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6400, 512), nn.ReLU(), nn.Linear(512, 2),
    ).to(memory_format=CL)
    x = torch.randn(32, 4, 80, 80).contiguous(memory_format=CL)
    target = torch.randn(32, 2)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def run():
        opt.zero_grad()
        loss_fn(net(x), target).backward()
        opt.step()

    return f"{nhwc(x)} -> 32x2", 0, (lambda: None), run


CASES = {  # name -> factory returning (shape, flops, reset, run)
    "lecture.conv1": lambda: conv(32, 4, 32, 80, 3, 1, 1),
    "lecture.pool1": lambda: pool(32, 32, 80),
    "lecture.conv2": lambda: conv(32, 32, 64, 40, 3, 1, 1),
    "lecture.pool2": lambda: pool(32, 64, 40),
    "lecture.conv3": lambda: conv(32, 64, 64, 20, 3, 1, 1),
    "lecture.pool3": lambda: pool(32, 64, 20),
    "lecture.fc1": lambda: linear(32, 6400, 512),
    "lecture.fc2": lambda: linear(32, 512, 2),
    "dcgan.d1": lambda: conv(64, 3, 64, 64, 4, 2, 1, bias=False),
    "dcgan.d2": lambda: conv(64, 64, 128, 32, 4, 2, 1, bias=False),
    "dcgan.d3": lambda: conv(64, 128, 256, 16, 4, 2, 1, bias=False),
    "dcgan.d4": lambda: conv(64, 256, 512, 8, 4, 2, 1, bias=False),
    "dcgan.g1": lambda: tconv(64, 100, 512, 1, 4, 1, 0),
    "dcgan.g2": lambda: tconv(64, 512, 256, 4, 4, 2, 1),
    "dcgan.g3": lambda: tconv(64, 256, 128, 8, 4, 2, 1),
    "dcgan.g4": lambda: tconv(64, 128, 64, 16, 4, 2, 1),
    "dcgan.g5": lambda: tconv(64, 64, 3, 32, 4, 2, 1),
    "lecture.step": lecture_step,
}


def time_ms(reset, run, warmup, repeats):
    for _ in range(warmup):
        reset()
        run()
    times = []
    for _ in range(repeats):
        reset()
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def fmt(v, spec):
    return "-" if not v else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gesso", help="JSON written by `gesso bench ops --json FILE`")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="run only layers whose name starts with this")
    ap.add_argument("--json", dest="out", help="write PyTorch results here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gesso = {}
    if args.gesso:
        with open(args.gesso) as f:
            gesso = {e["name"]: e for e in json.load(f)}

    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_model()}")
    print(f"Date: {datetime.datetime.now().isoformat(timespec='seconds')}; "
          f"median of {args.repeats} after {args.warmup} warmup, fp32, channels-last, fwd+bwd\n")
    cols = ["layer", "shape", "PyTorch ms", "PyTorch GFLOP/s"]
    if args.gesso:
        cols += ["Gesso ms", "Gesso GFLOP/s", "Gesso / PyTorch"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("---" for _ in cols) + "|")

    results = []
    for name, factory in CASES.items():
        if not name.startswith(args.only):
            continue
        shape, flops, reset, run = factory()
        ms = time_ms(reset, run, args.warmup, args.repeats)
        gflops = flops / (ms * 1e6) if flops else 0.0
        results.append({"name": name, "ms": round(ms, 4), "gflops": round(gflops, 3)})
        row = [name, shape, f"{ms:.3f}", fmt(gflops, ".1f")]
        if args.gesso:
            g = gesso.get(name, {})
            gms = g.get("ms")
            row += [fmt(gms, ".3f"), fmt(g.get("gflops"), ".1f"),
                    fmt(gms / ms if gms else None, ".2f")]
        print("| " + " | ".join(row) + " |", flush=True)

    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
