#!/usr/bin/env python3
"""PyTorch time per DCGAN training step (ms/step), the peer of `gesso bench gan --size 64`.

Exactly the pytorch/examples dcgan architecture (nz=100, ngf=64, ndf=64, nc=3),
64x64 images, --batch-size 64, fp32, CPU with --threads (default 2):
  G: ConvT(100,512,4,1,0) BN ReLU, ConvT(512,256,4,2,1) BN ReLU, ConvT(256,128,4,2,1)
     BN ReLU, ConvT(128,64,4,2,1) BN ReLU, ConvT(64,3,4,2,1) Tanh   (all bias=False)
  D: Conv(3,64,4,2,1) LeakyReLU(0.2), Conv(64,128,4,2,1) BN LReLU, Conv(128,256,4,2,1)
     BN LReLU, Conv(256,512,4,2,1) BN LReLU, Conv(512,1,4,1,0)       (all bias=False)
D has no final Sigmoid: the loss is BCEWithLogitsLoss (the example's Sigmoid + BCELoss,
fused). --size 32 drops one up/down layer: G starts at 4x4 with ngf*4 channels, D ends
at 4x4 after three stride-2 convs. Init as in the example: convs N(0, 0.02), BN weight
N(1, 0.02), bias 0. Adam lr 2e-4, betas (0.5, 0.999) for both nets. One step = the
example's: D.zero_grad; D(real) vs 1, backward; fake = G(noise); D(fake.detach()) vs 0,
backward; optD.step; G.zero_grad; D(fake) vs 1, backward; optG.step. Real data: a fixed
seeded random tensor in [-1, 1] (no data loading); fresh noise each step. --channels-last
(default) or --nchw. After --warmup (3) untimed steps, each of --repeats (3) runs times
--steps (10) steps; the median ms/step is reported.
--json OUT writes {"name": "dcgan64.step", "ms_per_step", "images_per_second"}.
"""
import argparse
import datetime
import json
import statistics
import time

import torch
import torch.nn as nn

NZ, NGF, NDF, NC = 100, 64, 64, 3


def generator(size):
    mults = [8, 4, 2, 1] if size == 64 else [4, 2, 1]
    layers = [nn.ConvTranspose2d(NZ, NGF * mults[0], 4, 1, 0, bias=False),
              nn.BatchNorm2d(NGF * mults[0]), nn.ReLU(True)]
    for a, b in zip(mults, mults[1:]):
        layers += [nn.ConvTranspose2d(NGF * a, NGF * b, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(NGF * b), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(size):
    mults = [1, 2, 4, 8] if size == 64 else [1, 2, 4]
    layers = [nn.Conv2d(NC, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    for a, b in zip(mults, mults[1:]):
        layers += [nn.Conv2d(NDF * a, NDF * b, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(NDF * b), nn.LeakyReLU(0.2, inplace=True)]
    layers += [nn.Conv2d(NDF * mults[-1], 1, 4, 1, 0, bias=False)]  # logits, no Sigmoid
    return nn.Sequential(*layers)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, choices=[32, 64], default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--channels-last", dest="cl", action="store_true", default=True)
    fmt.add_argument("--nchw", dest="cl", action="store_false")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    mf = torch.channels_last if args.cl else torch.contiguous_format
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_model()}, "
          f"{datetime.datetime.now().isoformat(timespec='seconds')}")

    b, s = args.batch_size, args.size
    netG, netD = generator(s), discriminator(s)
    netG.apply(weights_init).to(memory_format=mf)
    netD.apply(weights_init).to(memory_format=mf)
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    crit = nn.BCEWithLogitsLoss()
    real = (torch.rand(b, NC, s, s) * 2 - 1).contiguous(memory_format=mf)
    ones, zeros = torch.ones(b), torch.zeros(b)

    def step():
        netD.zero_grad()
        crit(netD(real).view(-1), ones).backward()
        noise = torch.randn(b, NZ, 1, 1).contiguous(memory_format=mf)
        fake = netG(noise)
        crit(netD(fake.detach()).view(-1), zeros).backward()
        optD.step()
        netG.zero_grad()
        crit(netD(fake).view(-1), ones).backward()
        optG.step()

    for _ in range(args.warmup):
        step()
    runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        runs.append((time.perf_counter() - t0) * 1000 / args.steps)
    ms = statistics.median(runs)
    ips = b * 1000 / ms
    print(f"# runs (ms/step): {', '.join(f'{r:.1f}' for r in runs)}")
    print(f"pytorch dcgan {s}x{s} batch {b} {'channels-last' if args.cl else 'NCHW'}: {ms:.1f} ms/step "
          f"({ips:.1f} images/s), median of {args.repeats}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"name": f"dcgan{s}.step", "ms_per_step": ms,
                       "images_per_second": ips}, f)


if __name__ == "__main__":
    main()
