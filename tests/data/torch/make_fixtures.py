#!/usr/bin/python3
"""Writes the torch-made fixtures of test_malformed.c (run with Debian's
/usr/bin/python3, which has torch 1.13; the outputs are committed so that the
tests need no Python).  Values are exact in every dtype, so the C test states
them literally.

  dtypes.pth    torch.save of a dict written through a file object: archive
                prefix "archive" (the golden files use the file stem), float16,
                bfloat16 and int64 tensors, a scalar, an empty tensor, two views
                of one storage at offsets 2 and 6, and an nn.Parameter
                (_rebuild_parameter)
  my-model.pth  the same dict saved to a path: prefix "my-model"
  transposed.pth  a non-contiguous tensor (t.T): must be refused, not misread
  wrapper.pth   {'model': state_dict, 'epoch': 3}: a training checkpoint
  float64.pth   a float64 tensor: DoubleStorage, refused"""
import io
import os
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def tensors():
    base = torch.arange(12, dtype=torch.float32)
    return OrderedDict([
        ("f32", torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1.0),
        ("f16", torch.tensor([1.0, -2.5, 65504.0, 2.0 ** -24], dtype=torch.float16)),
        ("bf16", torch.tensor([1.0, -3.0, 2.0 ** 100], dtype=torch.bfloat16)),
        ("i64", torch.tensor([[0, 1], [2, -3], [2 ** 40, -(2 ** 40)]], dtype=torch.int64)),
        ("scalar", torch.tensor(5.0)),
        ("empty", torch.zeros(0, 4)),
        ("view_a", base[2:6]),
        ("view_b", base[6:12].view(2, 3)),
        ("param", torch.nn.Parameter(torch.tensor([[7.0, 8.0]]), requires_grad=False)),
    ])


def main():
    with open(os.path.join(HERE, "dtypes.pth"), "wb") as f:
        torch.save(tensors(), f)
    torch.save(tensors(), os.path.join(HERE, "my-model.pth"))
    torch.save(OrderedDict([("t", torch.arange(6, dtype=torch.float32).reshape(2, 3).T)]),
               os.path.join(HERE, "transposed.pth"))
    torch.save({"model": OrderedDict([("w", torch.ones(2))]), "epoch": 3}, os.path.join(HERE, "wrapper.pth"))
    torch.save(OrderedDict([("d", torch.ones(3, dtype=torch.float64))]), os.path.join(HERE, "float64.pth"))


if __name__ == "__main__":
    main()
