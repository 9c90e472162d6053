"""Writes dcgan-steps.safetensors: three DCGAN training steps in PyTorch, the pytorch/examples recipe
(D step on real + fake with BCE-with-logits summed, then the non-saturating G step; Adam 2e-4, beta1 0.5),
for a tiny 16x16 grey DCGAN laid out exactly as Gesso's GANArchitecture.dcgan (nz 8, ngf = ndf = 8).

Tensors (Gesso names and layouts, NHWC images, HWIO / [k, k, out, in] filters):
  init.G.<name>, init.D.<name>   initial parameters
  real.<t>, z.<t>                the batch and latents of step t
  after.G.<name>, after.D.<name> parameters after the last step
  lossD, lossG, realScore, fakeScore   [steps] per-step values
BatchNorm epsilon is 1e-3 (Gesso's, TensorFlow's) in both. Run: python3 make_dcgan_steps.py (torch, safetensors).
"""
import torch, torch.nn as nn
from safetensors.torch import save_file

torch.manual_seed(7)
nz, ngf, ndf, nc, batch, steps = 8, 8, 8, 1, 4, 3
G = nn.Sequential(
    nn.Unflatten(1, (nz, 1, 1)),
    nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2, eps=1e-3), nn.ReLU(),
    nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf, eps=1e-3), nn.ReLU(),
    nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
D = nn.Sequential(
    nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
    nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2, eps=1e-3), nn.LeakyReLU(0.2),
    nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Flatten())
for m in list(G) + list(D):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):   # Gesso starts BatchNorm at gamma 1, beta 0; perturb to test the mapping
        nn.init.normal_(m.weight, 1.0, 0.02); nn.init.normal_(m.bias, 0.0, 0.02)

def gesso(model, prefix):
    out = {}
    for name, p in model.named_parameters():
        i, kind = name.split(".")
        m = model[int(i)]
        if isinstance(m, nn.BatchNorm2d):
            out[f"{prefix}{i}.{'gamma' if kind == 'weight' else 'beta'}"] = p.detach().clone()
        else:   # conv [out, in, k, k] and conv-transpose [in, out, k, k] both go to [k, k, second, first]
            out[f"{prefix}{i}.weight"] = p.detach().permute(2, 3, 1, 0).contiguous()
    return out

tensors = {**gesso(G, "init.G."), **gesso(D, "init.D.")}
optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
lossD, lossG, realScore, fakeScore = [], [], [], []
for t in range(steps):
    real = torch.rand(batch, nc, 16, 16) * 2 - 1
    z = torch.randn(batch, nz)
    tensors[f"real.{t}"] = real.permute(0, 2, 3, 1).contiguous()
    tensors[f"z.{t}"] = z
    D.zero_grad()
    out_real = D(real)
    fake = G(z)
    out_fake = D(fake.detach())
    errD = bce(out_real, torch.ones_like(out_real)) + bce(out_fake, torch.zeros_like(out_fake))
    errD.backward()
    optD.step()
    G.zero_grad()
    out = D(fake)
    errG = bce(out, torch.ones_like(out))
    errG.backward()
    optG.step()
    lossD.append(errD.item()); lossG.append(errG.item())
    realScore.append(torch.sigmoid(out_real).mean().item()); fakeScore.append(torch.sigmoid(out_fake).mean().item())

tensors.update(gesso(G, "after.G."))
tensors.update(gesso(D, "after.D."))
for k, v in [("lossD", lossD), ("lossG", lossG), ("realScore", realScore), ("fakeScore", fakeScore)]:
    tensors[k] = torch.tensor(v)
save_file({k: v.contiguous() for k, v in tensors.items()}, "dcgan-steps.safetensors")
print("lossD", lossD, "lossG", lossG)
