#!/usr/bin/env python3
"""Trajectories of regularised training in PyTorch: the fixtures the C
harness (Tests/CHarness/test_optimizers.c) trains the library's networks
against with an L2 penalty and gradient clipping (bp_regularization.h).

The networks, rows, initial parameters, schedule and file format are those
of ../optimizers/generate.py (imported from there), with one more field per
case, "regularization": {"l2": α, "max_grad_norm": c}. Each step on a batch
of r rows, in float64:

    L = mean loss + α/(2r)·Σ_l ‖W_l‖²_F       (weights only, not the biases)
    g = ∂L/∂params by autograd
    torch.nn.utils.clip_grad_norm_(params, c)  (when c > 0)
    the torch.optim optimiser's step

and the clipping cases' norms are small enough that clipping binds (the
generator checks that it does, in most steps).

    python3 Tests/Fixtures/regularization/generate.py
"""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "optimizers"))
import generate as base  # noqa: E402  (../optimizers/generate.py)


def trajectory(net, c):
    params = [t.clone().requires_grad_(True) for t in net["initial"]]
    opt = base.make_optimizer(params, c["optimizer"], c["learning_rate"])
    alpha = c["regularization"].get("l2", 0.0)
    clip = c["regularization"].get("max_grad_norm", 0.0)
    batch = c["batch"]
    recorded, clipped = [], 0
    for s in range(base.STEPS):
        start = (s * batch) % base.ROWS
        A = net["X"][start:start + batch]
        for l, (_, _, act) in enumerate(net["layers"]):
            Z = A @ params[2 * l] + params[2 * l + 1]
            A = Z if act == "softmax" else base.ACTIVATIONS[act](Z)
        if net["loss"] == "softmax_cce":
            loss = torch.nn.functional.cross_entropy(Z, net["labels"][start:start + batch])
        else:
            loss = torch.nn.functional.mse_loss(A, net["Y"][start:start + batch])
        if alpha > 0:
            loss = loss + alpha / (2 * batch) * sum((W ** 2).sum() for W in params[0::2])
        opt.zero_grad()
        loss.backward()
        if clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(params, clip)
            clipped += int(clip / (float(norm) + 1e-6) < 1)
        opt.step()
        if (s + 1) % base.EVERY == 0:
            recorded.append(base.flat(params))
    if clip > 0 and clipped < base.STEPS // 2:
        raise SystemExit(f"{c['name']}: clipping bound in only {clipped} steps")
    return recorded


def case(name, lr, batch, regularization, **optimizer):
    c = base.case(name, lr, batch, **optimizer)
    c["regularization"] = regularization
    return c


CASES = [
    case("l2-sgd", 0.1, 8, {"l2": 0.05}, rule="sgd"),
    case("l2-sgd-online", 0.02, 1, {"l2": 0.02}, rule="sgd"),
    case("l2-adam", 0.01, 8, {"l2": 0.1}, rule="adam"),
    case("clip-sgd", 0.1, 8, {"max_grad_norm": 0.05}, rule="sgd"),
    case("clip-sgd-full-batch", 0.2, 32, {"max_grad_norm": 0.02}, rule="sgd"),
    case("l2-clip-momentum", 0.05, 8, {"l2": 0.02, "max_grad_norm": 0.1}, rule="sgd",
         momentum=0.9),
]


def write(net, cases, path):
    base.trajectory = trajectory  # the regularised steps, in base.write's loop
    base.write(net, cases, path)
    with open(path) as f:
        out = json.load(f)
    out["generator"] = f"torch {torch.__version__}, Tests/Fixtures/regularization/generate.py"
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


def main():
    torch.set_default_dtype(torch.float64)
    write(base.network("narrow", [[3, 5, "tanh"], [5, 4, "relu"], [4, 2, "softmax"]],
                       "softmax_cce", 2001), CASES, os.path.join(HERE, "narrow.json"))
    write(base.network("dense", [[4, 12, "tanh"], [12, 3, "identity"]], "mse", 2002), CASES,
          os.path.join(HERE, "dense.json"))


if __name__ == "__main__":
    main()
