#!/usr/bin/env python3
"""Exports a small traced feature network with python3-torch, with an input and its output.

usage: make_torchscript.py OUTDIR   (writes net.pt, input.csv, output.csv, resize.json)
"""
import json
import sys

import numpy as np
import torch

out = sys.argv[1]
torch.manual_seed(3)
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2 * 3 * 3, 5), torch.nn.Tanh())
x = torch.randn(7, 2, 3, 3, dtype=torch.float32)
torch.jit.trace(net, x).save(f"{out}/net.pt")
np.savetxt(f"{out}/input.csv", x.reshape(7, -1).numpy(), delimiter=",", fmt="%.9g")
np.savetxt(f"{out}/output.csv", net(x).detach().numpy(), delimiter=",", fmt="%.9g")

# The FID input convention: tile one channel to three, bilinear to 299 (align_corners=False),
# [-1, 1] -> [0, 1]. Positions and the mean are compared by the C++ test.
g = torch.linspace(-1, 1, 28 * 28).reshape(1, 1, 28, 28)
y = torch.nn.functional.interpolate(g.repeat(1, 3, 1, 1), size=(299, 299), mode="bilinear",
                                    align_corners=False)
y = (y + 1) / 2
json.dump({"mean": float(y.double().mean()),
           "values": [float(y[0, c, i, j]) for c, i, j in [(0, 0, 0), (1, 150, 7), (2, 298, 298), (0, 37, 260)]],
           "positions": [[0, 0, 0], [1, 150, 7], [2, 298, 298], [0, 37, 260]]},
          open(f"{out}/resize.json", "w"))
