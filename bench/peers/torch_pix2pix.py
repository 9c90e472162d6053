#!/usr/bin/env python3
"""PyTorch time per pix2pix training step (ms/step), the peer of `gesso bench pix2pix`.

Exactly the pytorch-CycleGAN-and-pix2pix (junyanz) Pix2PixModel: netG unet, netD basic (n_layers 3),
gan_mode vanilla, lambda_L1 100, dropout on; --size (64) square images, --batch-size (1), --ngf (64),
--ndf (64), --norm batch (default) or instance; fp32, CPU with --threads (default 2).
  G: UnetGenerator(3 -> 3) with num_downs = log2(size) (64 -> 6), nested UnetSkipConnectionBlocks; level i
     has ngf*min(2^i, 8) channels; all convs 4x4 stride 2 padding 1, bias only with instance norm
     (use_bias), except the outermost upconv (bias=True):
       outermost  [Conv(3, ngf)] sub [ReLU, ConvT(2ngf, 3, bias=True), Tanh]
       middle     [LReLU(0.2), Conv, norm] sub [ReLU, ConvT(2*inner, outer), norm] (+ Dropout(0.5) on the
                  num_downs-5 ngf*8 blocks under the innermost)
       innermost  [LReLU(0.2), Conv(8ngf, 8ngf)] [ReLU, ConvT(8ngf, 8ngf), norm]   (1x1 bottleneck)
     and every block but the outermost returns cat(x, block(x)). As in the reference the activations are
     in-place, so the skip half of that cat is LeakyReLU(x) (the block's first layer overwrote x), not x.
  D: PatchGAN on cat(A, B), 6 channels: Conv(6,ndf,4,2,1,bias) LReLU(0.2), Conv(ndf,2ndf,4,2,1) norm LReLU,
     Conv(2ndf,4ndf,4,2,1) norm LReLU, Conv(4ndf,8ndf,4,1,1) norm LReLU, Conv(8ndf,1,4,1,1,bias) -> logits.
Norms: BatchNorm2d, or InstanceNorm2d(affine=False, track_running_stats=False). Init as the reference's
'normal' init_weights: convs N(0, 0.02) and bias 0, BN weight N(1, 0.02) and bias 0. Adam lr 2e-4, betas
(0.5, 0.999) for both nets. One step = optimize_parameters: fake_B = G(A); D.requires_grad True;
optD.zero_grad; loss_D = 0.5 * (BCE(D(cat(A, fake_B.detach())), 0) + BCE(D(cat(A, B)), 1)), backward;
optD.step; D.requires_grad False; optG.zero_grad; loss_G = BCE(D(cat(A, fake_B)), 1) + 100 * L1(fake_B, B),
backward; optG.step. BCE is BCEWithLogitsLoss against a target the shape of the patch map. Real data: fixed
seeded random tensors A, B in [-1, 1] (no data loading). --channels-last (default) or --nchw. The parameter
counts of G and D are printed first. After --warmup (3) untimed steps, each of --repeats (3) runs times
--steps (10) steps; the median ms/step is reported.
--json OUT writes {"name": "pix2pix64.step", "ms_per_step", "images_per_second"}.
"""
import argparse
import datetime
import functools
import json
import statistics
import time

import torch
import torch.nn as nn


def norm_layer(kind):
    if kind == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False,
                 innermost=False, norm=None, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        use_bias = norm.func == nn.InstanceNorm2d
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = norm(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = norm(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1,
                                        bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1,
                                        bias=use_bias)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if use_dropout:
                model += [nn.Dropout(0.5)]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, num_downs, ngf, norm, use_dropout=True):
        super().__init__()
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, norm=norm, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm=norm,
                                            use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm=norm)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block,
                                             outermost=True, norm=norm)

    def forward(self, x):
        return self.model(x)


def nlayer_discriminator(input_nc, ndf, norm, n_layers=3):
    use_bias = norm.func == nn.InstanceNorm2d
    seq = [nn.Conv2d(input_nc, ndf, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2 ** n, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=2, padding=1, bias=use_bias),
                norm(ndf * mult), nn.LeakyReLU(0.2, True)]
    prev, mult = mult, min(2 ** n_layers, 8)
    seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=1, padding=1, bias=use_bias),
            norm(ndf * mult), nn.LeakyReLU(0.2, True)]
    seq += [nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1)]  # logits
    return nn.Sequential(*seq)


def weights_init(m):
    name = m.__class__.__name__
    if hasattr(m, "weight") and ("Conv" in name or "Linear" in name):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif "BatchNorm2d" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def param_count(net):
    return sum(p.numel() for p in net.parameters())


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=64, help="a power of two, at least 32")
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--norm", choices=["batch", "instance"], default="batch")
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--channels-last", dest="cl", action="store_true", default=True)
    fmt.add_argument("--nchw", dest="cl", action="store_false")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args()
    s, b = args.size, args.batch_size
    num_downs = s.bit_length() - 1
    if s < 32 or s != 1 << num_downs:
        ap.error("--size must be a power of two, at least 32 (the U-Net needs num_downs >= 5)")

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    mf = torch.channels_last if args.cl else torch.contiguous_format
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_model()}, "
          f"{datetime.datetime.now().isoformat(timespec='seconds')}")

    norm = norm_layer(args.norm)
    netG = UnetGenerator(3, 3, num_downs, args.ngf, norm, use_dropout=True)
    netD = nlayer_discriminator(6, args.ndf, norm)
    netG.apply(weights_init).to(memory_format=mf)
    netD.apply(weights_init).to(memory_format=mf)
    print(f"# parameters: G {param_count(netG):,} (unet, num_downs {num_downs}, {args.norm} norm), "
          f"D {param_count(netD):,} (PatchGAN n_layers 3)")
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
    real_A = (torch.rand(b, 3, s, s) * 2 - 1).contiguous(memory_format=mf)
    real_B = (torch.rand(b, 3, s, s) * 2 - 1).contiguous(memory_format=mf)

    def gan_loss(pred, real):
        return bce(pred, torch.full_like(pred, 1.0 if real else 0.0))

    def set_requires_grad(net, flag):
        for p in net.parameters():
            p.requires_grad = flag

    def step():
        fake_B = netG(real_A)
        set_requires_grad(netD, True)
        optD.zero_grad()
        loss_D_fake = gan_loss(netD(torch.cat((real_A, fake_B), 1).detach()), False)
        loss_D_real = gan_loss(netD(torch.cat((real_A, real_B), 1)), True)
        ((loss_D_fake + loss_D_real) * 0.5).backward()
        optD.step()
        set_requires_grad(netD, False)
        optG.zero_grad()
        loss_G = gan_loss(netD(torch.cat((real_A, fake_B), 1)), True) + l1(fake_B, real_B) * 100.0
        loss_G.backward()
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
    print(f"pytorch pix2pix {s}x{s} batch {b} {args.norm} norm "
          f"{'channels-last' if args.cl else 'NCHW'}: {ms:.1f} ms/step ({ips:.1f} images/s), "
          f"median of {args.repeats}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"name": f"pix2pix{s}.step", "ms_per_step": ms,
                       "images_per_second": ips}, f)


if __name__ == "__main__":
    main()
