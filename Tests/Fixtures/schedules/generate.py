#!/usr/bin/env python3
"""Trajectories of torch.optim.lr_scheduler's schedules on a small fixed
network: the fixtures Tests/BackpropCoreTests/ScheduleTests.swift trains
the library's networks against.

The network, its data and initial parameters are those of
../optimizers/generate.py's "dense" network (a 4-12-3 tanh/identity network
with mean squared error, 32 fixed rows), everything in float64. Each case
trains for EPOCHS epochs of 4 unshuffled batches of 8 rows with an optimiser
and a schedule stepped once per epoch — after the epoch's steps, with the
epoch's mean training loss (each batch's loss measured before its update,
weighted by its rows) for ReduceLROnPlateau — and records the learning rate
every epoch used and, after every EVERY epochs, the parameters (the
library's flat layout).

Output: dense.json,

    {"generator": …, "layers": …, "loss": "mse", "rows": 32, "inputs": […],
     "targets": […], "initial": […], "epochs": EPOCHS, "batch": 8,
     "cases": [{"name": …, "optimizer": {…bp_optimizer fields…},
                "learning_rate": …, "schedule": {"kind": …, …},
                "rates": [EPOCHS rates], "params": [[after epoch EVERY], …]}]}

Schedules: {"kind": "step", "every": k, "factor": γ} (StepLR),
{"kind": "exponential", "factor": γ} (ExponentialLR), {"kind": "cosine",
"period": T, "minimum": η_min, "warm_up": w, "start": s}
(SequentialLR([LinearLR(s, 1, w), CosineAnnealingLR(T, η_min)], [w]), or
CosineAnnealingLR alone for w = 0), {"kind": "plateau", "factor": …,
"patience": …, "threshold": …, "cooldown": …, "minimum": …}
(ReduceLROnPlateau, mode "min", threshold_mode "rel").

PyTorch is a development tool here, never a dependency of the library:
    python3 Tests/Fixtures/schedules/generate.py
"""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "optimizers"))
import generate as optimizers  # noqa: E402

EPOCHS = 24
EVERY = 3
BATCH = 8


def make_schedule(opt, spec):
    kind = spec["kind"]
    sched = torch.optim.lr_scheduler
    if kind == "step":
        return sched.StepLR(opt, step_size=spec["every"], gamma=spec["factor"])
    if kind == "exponential":
        return sched.ExponentialLR(opt, gamma=spec["factor"])
    if kind == "cosine":
        cosine = sched.CosineAnnealingLR(opt, T_max=spec["period"], eta_min=spec["minimum"])
        if spec["warm_up"] == 0:
            return cosine
        warm = sched.LinearLR(opt, start_factor=spec["start"], end_factor=1.0,
                              total_iters=spec["warm_up"])
        return sched.SequentialLR(opt, [warm, cosine], milestones=[spec["warm_up"]])
    if kind == "plateau":
        return sched.ReduceLROnPlateau(opt, mode="min", factor=spec["factor"],
                                       patience=spec["patience"], threshold=spec["threshold"],
                                       threshold_mode="rel", cooldown=spec["cooldown"],
                                       min_lr=spec["minimum"])
    raise ValueError(kind)


def run(net, case):
    params = [t.clone().requires_grad_(True) for t in net["initial"]]
    opt = optimizers.make_optimizer(params, case["optimizer"], case["learning_rate"])
    schedule = make_schedule(opt, case["schedule"])
    rows = optimizers.ROWS
    rates, recorded = [], []
    for _ in range(EPOCHS):
        rates.append(opt.param_groups[0]["lr"])
        total = 0.0
        for start in range(0, rows, BATCH):
            A = net["X"][start:start + BATCH]
            for l, (_, _, act) in enumerate(net["layers"]):
                A = optimizers.ACTIVATIONS[act](A @ params[2 * l] + params[2 * l + 1])
            loss = torch.nn.functional.mse_loss(A, net["Y"][start:start + BATCH])
            total += float(loss.detach()) * BATCH
            opt.zero_grad()
            loss.backward()
            opt.step()
        if case["schedule"]["kind"] == "plateau":
            schedule.step(total / rows)
        else:
            schedule.step()
        if len(rates) % EVERY == 0:
            recorded.append(optimizers.flat(params))
    return rates, recorded


def case(name, lr, optimizer, **schedule):
    return {"name": name, "optimizer": optimizer, "learning_rate": lr, "schedule": schedule}


CASES = [
    case("adam-step", 0.02, {"rule": "adam"}, kind="step", every=5, factor=0.5),
    case("sgd-momentum-exponential", 0.05, {"rule": "sgd", "momentum": 0.9}, kind="exponential",
         factor=0.9),
    case("adam-cosine", 0.02, {"rule": "adam"}, kind="cosine", period=10, minimum=0.001, warm_up=0,
         start=1.0),
    case("adamw-cosine-warm-up", 0.02, {"rule": "adamw"}, kind="cosine", period=16, minimum=0.0,
         warm_up=4, start=0.25),
    case("sgd-plateau", 0.05, {"rule": "sgd"}, kind="plateau", factor=0.5, patience=1,
         threshold=0.05, cooldown=1, minimum=0.004),
    case("rmsprop-plateau", 0.01, {"rule": "rmsprop"}, kind="plateau", factor=0.3, patience=2,
         threshold=0.1, cooldown=0, minimum=0.0),
]


def main():
    torch.set_default_dtype(torch.float64)
    net = optimizers.network("dense", [[4, 12, "tanh"], [12, 3, "identity"]], "mse", 2002)
    out = {
        "generator": f"torch {torch.__version__}, Tests/Fixtures/schedules/generate.py",
        "layers": net["layers"],
        "loss": net["loss"],
        "rows": optimizers.ROWS,
        "inputs": optimizers.flat([net["X"]]),
        "targets": optimizers.flat([net["Y"]]),
        "initial": optimizers.flat(net["initial"]),
        "epochs": EPOCHS,
        "every": EVERY,
        "batch": BATCH,
        "cases": [],
    }
    for c in CASES:
        rates, params = run(net, c)
        out["cases"].append(dict(c, rates=rates, params=params))
    with open(os.path.join(HERE, "dense.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
