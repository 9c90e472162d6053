#!/usr/bin/env python3
"""PyTorch time per CycleGAN training step (ms/step), the peer of `gesso bench cyclegan`.

Exactly the pytorch-CycleGAN-and-pix2pix (junyanz) CycleGANModel: netG resnet (--blocks, default 6), netD
basic (n_layers 3), instance norm, no dropout, gan_mode lsgan, lambda_A = lambda_B = 10, lambda_identity 0.5,
pool_size 50; --size (64) square images, --batch-size (1), --ngf (64), --ndf (64); fp32, CPU with --threads
(default 2). Instance norm is InstanceNorm2d(affine=False, track_running_stats=False), so every conv has a bias.
  G (G_A: A -> B and G_B: B -> A): ReflectionPad2d(3), Conv(3,ngf,7), IN, ReLU; Conv(ngf,2ngf,3,2,1) IN ReLU,
     Conv(2ngf,4ngf,3,2,1) IN ReLU; --blocks x ResnetBlock(4ngf): x + [ReflectionPad2d(1), Conv3x3, IN, ReLU,
     ReflectionPad2d(1), Conv3x3, IN]; ConvT(4ngf,2ngf,3,2,1,output_padding=1) IN ReLU,
     ConvT(2ngf,ngf,3,2,1,output_padding=1) IN ReLU; ReflectionPad2d(3), Conv(ngf,3,7), Tanh.
  D (D_A judges domain B, D_B judges A): PatchGAN on 3 channels: Conv(3,ndf,4,2,1) LReLU(0.2),
     Conv(ndf,2ndf,4,2,1) IN LReLU, Conv(2ndf,4ndf,4,2,1) IN LReLU, Conv(4ndf,8ndf,4,1,1) IN LReLU,
     Conv(8ndf,1,4,1,1) -> patch map.
Init as the reference's 'normal' init_weights: convs N(0, 0.02), bias 0. Adam lr 2e-4, betas (0.5, 0.999),
one for chain(G_A, G_B) and one for chain(D_A, D_B). One step = optimize_parameters: fake_B = G_A(A),
rec_A = G_B(fake_B), fake_A = G_B(B), rec_B = G_A(fake_A); D_A, D_B requires_grad False; optG.zero_grad;
idt_A = G_A(B), idt_B = G_B(A); loss_G = MSE(D_A(fake_B), 1) + MSE(D_B(fake_A), 1) + 10 L1(rec_A, A)
+ 10 L1(rec_B, B) + 5 L1(idt_A, B) + 5 L1(idt_B, A), backward; optG.step; D_A, D_B requires_grad True;
optD.zero_grad; 0.5 (MSE(D_A(B), 1) + MSE(D_A(pool_B(fake_B).detach()), 0)), backward; the same for D_B with A
and pool_A(fake_A), backward; optD.step. The pools are the reference's ImagePool(50) (util/image_pool.py):
the first 50 images pass through and are stored; after that each image is, with probability 1/2, swapped
for a random stored one. MSE targets are 1/0 tensors the shape of the patch map. Real data: fixed seeded
random tensors A, B in [-1, 1] (no data loading); Python's random (the pool) is seeded too. --channels-last
(default) or --nchw. The parameter counts of one G and one D are printed first. After --warmup (3) untimed
steps, each of --repeats (3) runs times --steps (10) steps; the median ms/step is reported.
--json OUT writes {"name": "cyclegan64.step", "ms_per_step", "images_per_second"} (images = A/B pairs).
"""
import argparse
import datetime
import functools
import itertools
import json
import random
import statistics
import time

import torch
import torch.nn as nn

NORM = functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=True), NORM(dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=True), NORM(dim))

    def forward(self, x):
        return x + self.conv_block(x)


def resnet_generator(input_nc, output_nc, ngf, n_blocks):
    model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0, bias=True),
             NORM(ngf), nn.ReLU(True)]
    for i in range(2):
        mult = 2 ** i
        model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=True),
                  NORM(ngf * mult * 2), nn.ReLU(True)]
    model += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
    for i in range(2):
        mult = 2 ** (2 - i)
        model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, kernel_size=3, stride=2, padding=1,
                                     output_padding=1, bias=True),
                  NORM(ngf * mult // 2), nn.ReLU(True)]
    model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
    return nn.Sequential(*model)


def nlayer_discriminator(input_nc, ndf, n_layers=3):
    seq = [nn.Conv2d(input_nc, ndf, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2 ** n, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=2, padding=1, bias=True),
                NORM(ndf * mult), nn.LeakyReLU(0.2, True)]
    prev, mult = mult, min(2 ** n_layers, 8)
    seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=1, padding=1, bias=True),
            NORM(ndf * mult), nn.LeakyReLU(0.2, True)]
    seq += [nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1)]
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


class ImagePool:
    """The reference's util/image_pool.py: a buffer of previously generated images."""

    def __init__(self, pool_size):
        self.pool_size = pool_size
        if self.pool_size > 0:
            self.num_imgs = 0
            self.images = []

    def query(self, images):
        if self.pool_size == 0:
            return images
        return_images = []
        for image in images:
            image = torch.unsqueeze(image.data, 0)
            if self.num_imgs < self.pool_size:
                self.num_imgs = self.num_imgs + 1
                self.images.append(image)
                return_images.append(image)
            else:
                p = random.uniform(0, 1)
                if p > 0.5:
                    random_id = random.randint(0, self.pool_size - 1)
                    tmp = self.images[random_id].clone()
                    self.images[random_id] = image
                    return_images.append(tmp)
                else:
                    return_images.append(image)
        return torch.cat(return_images, 0)


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
    ap.add_argument("--size", type=int, default=64, help="a multiple of 8, at least 32")
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--blocks", type=int, default=6, help="ResNet blocks per generator")
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
    if s < 32 or s % 8:
        ap.error("--size must be a multiple of 8, at least 32")

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    mf = torch.channels_last if args.cl else torch.contiguous_format
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_model()}, "
          f"{datetime.datetime.now().isoformat(timespec='seconds')}")

    netG_A = resnet_generator(3, 3, args.ngf, args.blocks)
    netG_B = resnet_generator(3, 3, args.ngf, args.blocks)
    netD_A = nlayer_discriminator(3, args.ndf)
    netD_B = nlayer_discriminator(3, args.ndf)
    for net in (netG_A, netG_B, netD_A, netD_B):
        net.apply(weights_init).to(memory_format=mf)
    print(f"# parameters: G {param_count(netG_A):,} each (resnet, {args.blocks} blocks), "
          f"D {param_count(netD_A):,} each (PatchGAN n_layers 3); two of each")
    optG = torch.optim.Adam(itertools.chain(netG_A.parameters(), netG_B.parameters()),
                            lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(itertools.chain(netD_A.parameters(), netD_B.parameters()),
                            lr=2e-4, betas=(0.5, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    pool_A, pool_B = ImagePool(50), ImagePool(50)
    real_A = (torch.rand(b, 3, s, s) * 2 - 1).contiguous(memory_format=mf)
    real_B = (torch.rand(b, 3, s, s) * 2 - 1).contiguous(memory_format=mf)
    lambda_A = lambda_B = 10.0
    lambda_idt = 0.5

    def gan_loss(pred, real):
        return mse(pred, torch.full_like(pred, 1.0 if real else 0.0))

    def set_requires_grad(nets, flag):
        for net in nets:
            for p in net.parameters():
                p.requires_grad = flag

    def backward_D_basic(netD, real, fake):
        loss_D = (gan_loss(netD(real), True) + gan_loss(netD(fake.detach()), False)) * 0.5
        loss_D.backward()

    def step():
        fake_B = netG_A(real_A)
        rec_A = netG_B(fake_B)
        fake_A = netG_B(real_B)
        rec_B = netG_A(fake_A)
        set_requires_grad([netD_A, netD_B], False)
        optG.zero_grad()
        idt_A = netG_A(real_B)
        idt_B = netG_B(real_A)
        loss_G = (gan_loss(netD_A(fake_B), True) + gan_loss(netD_B(fake_A), True)
                  + l1(rec_A, real_A) * lambda_A + l1(rec_B, real_B) * lambda_B
                  + l1(idt_A, real_B) * lambda_B * lambda_idt + l1(idt_B, real_A) * lambda_A * lambda_idt)
        loss_G.backward()
        optG.step()
        set_requires_grad([netD_A, netD_B], True)
        optD.zero_grad()
        backward_D_basic(netD_A, real_B, pool_B.query(fake_B).contiguous(memory_format=mf))
        backward_D_basic(netD_B, real_A, pool_A.query(fake_A).contiguous(memory_format=mf))
        optD.step()

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
    print(f"pytorch cyclegan {s}x{s} batch {b} {args.blocks} blocks "
          f"{'channels-last' if args.cl else 'NCHW'}: {ms:.1f} ms/step ({ips:.1f} image pairs/s), "
          f"median of {args.repeats}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"name": f"cyclegan{s}.step", "ms_per_step": ms,
                       "images_per_second": ips}, f)


if __name__ == "__main__":
    main()
