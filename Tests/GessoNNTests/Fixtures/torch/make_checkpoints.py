#!/usr/bin/env python3
"""Writes the PyTorch checkpoints that TorchCheckpointTests.swift reads, and expected.json with their contents.

- state-zip.pt / state-legacy.pt: one state dict in torch's zip format (torch >= 1.6) and in the legacy format
  (`_use_new_zipfile_serialization=False`). Its tensors cover what a reader must honour: a contiguous float32
  tensor, a transposed view (strides (1, 3)), views with a storage offset (a slice and a strided 2-D slice of a
  bigger tensor), two more views of that same storage, int64 (a scalar, like BatchNorm's num_batches_tracked, and
  a vector), a float32 scalar, float64, float16, bfloat16, bool, int32, uint8 and an empty tensor.
- nested-zip.pt / nested-legacy.pt: a training checkpoint {"epoch", "state_dict", "optimizer"} whose state dict
  holds nn.Parameters (saved through torch._utils._rebuild_parameter); the reader must return the inner dict.
- module-zip.pt: a whole nn.Linear saved with torch.save(model): not a state dict, so the reader refuses it.
- deflated-zip.pt: state-zip.pt re-zipped with compression, which torch never writes; Gesso refuses it.
- evil-zip.pt / evil-legacy.pt: built by hand, nothing executed: the state pickle calls os.system("echo owned").
  Torch's own loader would run it (with weights_only=False); Gesso must refuse the global.

expected.json: for each of "state" and "nested", the tensors in file order as {name, shape, values}, the values
being the float32 contiguous copy (`t.contiguous().to(torch.float32)`, so int64 and float64 values are rounded to
float32 as Gesso stores them). Every value is exact in float32, so the test compares exactly.

Run from anywhere: python3 make_checkpoints.py  (needs torch; writes next to this script)
"""
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def state_dict():
    big = torch.arange(20, dtype=torch.float32) * 0.5 - 4  # one storage, four views into it
    base = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    state = collections.OrderedDict()
    state["conv.weight"] = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) * 0.25 - 3
    state["fc.weight"] = base.t()                       # [3, 2], stride (1, 3)
    state["slice"] = big[5:11].view(2, 3)               # storage offset 5
    state["grid"] = big.view(4, 5)[1:3, ::2]            # [2, 3], offset 5, stride (5, 2)
    state["shared.row"] = big[:4]                       # offset 0 of the same storage
    state["shared.column"] = big.view(4, 5)[:, 1]       # [4], offset 1, stride 5
    state["bn.num_batches_tracked"] = torch.tensor(7)   # int64 scalar
    state["ids"] = torch.tensor([-3, 0, 5, 2 ** 40])    # int64
    state["scale"] = torch.tensor(1.5)                  # float32 scalar
    state["double"] = torch.tensor([0.25, -1e10], dtype=torch.float64)
    state["half"] = torch.tensor([0.5, -2.0, 65504.0], dtype=torch.float16)
    state["bfloat"] = torch.tensor([1.5, -3.0e38], dtype=torch.bfloat16)
    state["mask"] = torch.tensor([True, False, True])
    state["int32"] = torch.tensor([[-7], [9]], dtype=torch.int32)
    state["bytes"] = torch.tensor([0, 255], dtype=torch.uint8)
    state["empty"] = torch.zeros(0)
    return state


def nested():
    model = collections.OrderedDict()
    model["layer.weight"] = torch.nn.Parameter(torch.tensor([[0.5, -0.5], [2.0, 4.0]]).t())  # a transposed parameter
    model["layer.bias"] = torch.nn.Parameter(torch.tensor([0.125, -8.0]))
    return {"epoch": 3, "state_dict": model,
            "optimizer": {"state": {0: {"step": torch.tensor(3.0)}}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}}


def expected(tensors):
    return [{"name": name, "shape": list(t.shape), "values": t.contiguous().to(torch.float32).flatten().tolist()}
            for name, t in tensors.items()]


def evil_pickle():
    """protocol 2: GLOBAL os.system, the string, TUPLE1, REDUCE, STOP. Written as bytes, never loaded."""
    command = b"echo owned"
    return b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(command)) + command + b"\x85R."


def main():
    def save(obj, name, legacy):
        torch.save(obj, os.path.join(HERE, name), _use_new_zipfile_serialization=not legacy)

    save(state_dict(), "state-zip.pt", legacy=False)
    save(state_dict(), "state-legacy.pt", legacy=True)
    save(nested(), "nested-zip.pt", legacy=False)
    save(nested(), "nested-legacy.pt", legacy=True)
    torch.manual_seed(0)
    save(torch.nn.Linear(2, 1), "module-zip.pt", legacy=False)

    # The legacy header as torch writes it (magic number, protocol version, system info), then the evil pickle,
    # then an empty list of storage keys.
    header = io.BytesIO()
    for value in (0x1950A86A20F9469CFC6C, 1001,
                  {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(value, header, protocol=2)
    with open(os.path.join(HERE, "evil-legacy.pt"), "wb") as f:
        f.write(header.getvalue() + evil_pickle() + pickle.dumps([], protocol=2))
    with zipfile.ZipFile(os.path.join(HERE, "evil-zip.pt"), "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("evil/data.pkl", evil_pickle())
        archive.writestr("evil/version", "3\n")

    # state-zip.pt re-zipped with deflate: torch never writes that, Gesso says how to fix it.
    with zipfile.ZipFile(os.path.join(HERE, "state-zip.pt")) as source, \
            zipfile.ZipFile(os.path.join(HERE, "deflated-zip.pt"), "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, source.read(name))

    # Check what torch itself reads back before recording it.
    for name in ("state-zip.pt", "state-legacy.pt"):
        loaded = torch.load(os.path.join(HERE, name))
        assert all(torch.equal(loaded[k], v) for k, v in state_dict().items())
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"state": expected(state_dict()), "nested": expected(nested()["state_dict"])}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
