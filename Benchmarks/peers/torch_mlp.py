#!/usr/bin/env python3
"""The PyTorch (CPU) peer: nn.Linear layers in an nn.Sequential, plain
torch.optim.SGD (no momentum, no weight decay) or, with --optimizer adam,
torch.optim.Adam with PyTorch's defaults at learning rate 0.001 (as
BackpropBench's --optimizer adam), eager mode (no torch.compile), the
idiomatic losses: BCEWithLogitsLoss for a sigmoid output
with binary cross-entropy, CrossEntropyLoss on class labels for a softmax
output with categorical cross-entropy (both fused on the logits, as Backprop
fuses them), nn.Sigmoid + MSELoss for W5. All losses are means, as
Backprop's.

    torch_mlp.py DATADIR/Wk [--precision f64|f32] [--threads N] [--warmup STEPS]
                 [--optimizer sgd|adam]

Trains the workload exported by export_data once (after an untimed warm-up of
a few steps on a throwaway copy) and prints one JSON line: the seconds of the
training loop, the final-epoch mean loss, the thread count, the BLAS torch
was built with and the optimiser's implementation. --threads N calls
torch.set_num_threads(N); without it torch keeps its default (one thread per
core). Adam is left to choose its implementation (foreach and fused unset):
on CPU tensors torch takes the single-tensor loop, one parameter tensor at a
time (its foreach kernels are for CUDA and XPU; fused=True would take its
fused CPU kernel, which is not the default).
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
from torch import nn

import workload_data

ADAM_LEARNING_RATE = 0.001   # BackpropBench's --optimizer adam, every workload


def build(w, dtype):
    sizes, acts = w["sizes"], w["acts"]
    layers = []
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(n_in, n_out)
        with torch.no_grad():
            # Backprop's W is n_in x n_out; nn.Linear keeps n_out x n_in.
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(w["W"][l].T)))
            linear.bias.copy_(torch.from_numpy(w["b"][l]))
        layers.append(linear)
        last = l == len(acts) - 1
        if acts[l] == "relu":
            layers.append(nn.ReLU())
        elif acts[l] == "sigmoid" and not (last and w["loss"] == "bce"):
            layers.append(nn.Sigmoid())
        # softmax output: left to CrossEntropyLoss (log-softmax on the logits)
    model = nn.Sequential(*layers).to(dtype)
    if w["loss"] == "bce":
        loss_fn = nn.BCEWithLogitsLoss()
    elif w["loss"] == "cce":
        loss_fn = nn.CrossEntropyLoss()
    else:
        loss_fn = nn.MSELoss()
    return model, loss_fn


def make_optimizer(model, w, name):
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=ADAM_LEARNING_RATE)
    return torch.optim.SGD(model.parameters(), lr=w["lr"])


def implementation(model):
    """Which of torch's optimiser implementations (SGD's and Adam's alike) the
    defaults pick for these parameters."""
    try:
        from torch.optim.optimizer import _default_to_fused_or_foreach
        fused, foreach = _default_to_fused_or_foreach(list(model.parameters()), False, False)
    except ImportError:
        return "?"
    return "fused" if fused else "foreach" if foreach else "single-tensor"


def train(model, loss_fn, w, X, T, epochs, optimizer, max_steps=None):
    opt = make_optimizer(model, w, optimizer)
    order = None if w["order"] is None else torch.from_numpy(w["order"])
    n, batch = w["n"], w["batch"]
    steps = 0
    mean = float("nan")
    for epoch in range(epochs):
        total = 0.0
        for start in range(0, n, batch):
            rows = min(batch, n - start)
            if order is None:
                xb, tb = X[start:start + rows], T[start:start + rows]
            else:
                idx = order[epoch, start:start + rows]
                xb, tb = X[idx], T[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), tb)
            loss.backward()
            opt.step()
            total += loss.item() * rows
            steps += 1
            if max_steps is not None and steps >= max_steps:
                return float("nan")
        mean = total / n
    return mean


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--precision", choices=["f64", "f32"], default="f64")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    dtype = torch.float64 if args.precision == "f64" else torch.float32
    w = workload_data.load(args.data)
    X = torch.from_numpy(w["X"]).to(dtype).contiguous()
    if w["loss"] == "cce":
        T = torch.from_numpy(w["labels"])            # class indices
    else:
        T = torch.from_numpy(w["Y"]).to(dtype).contiguous()

    if args.warmup:
        model, loss_fn = build(w, dtype)
        train(model, loss_fn, w, X, T, 1, args.optimizer, max_steps=args.warmup)
    model, loss_fn = build(w, dtype)
    t0 = time.perf_counter()
    loss = train(model, loss_fn, w, X, T, w["epochs"], args.optimizer)
    seconds = time.perf_counter() - t0

    config = torch.__config__.show()
    blas = "mkl" if "BLAS_INFO=mkl" in config else "?"
    for line in config.splitlines():
        if "Math Kernel Library Version" in line:
            blas = "MKL " + line.split("Version")[1].split("-")[0].strip()
    print(json.dumps({
        "impl": "torch", "workload": w["name"], "precision": args.precision, "seconds": seconds,
        "final_loss": loss, "threads": torch.get_num_threads(), "optimizer": args.optimizer,
        "optimizer_implementation": implementation(model),
        "kernel": torch.backends.cpu.get_cpu_capability(),
        "library": "torch %s (%s)" % (torch.__version__, blas),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
