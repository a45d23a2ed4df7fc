#!/usr/bin/env python3
"""Trajectories of torch.optim's optimisers on small fixed networks: the
fixtures the C harness (Tests/CHarness/test_optimizers.c) trains the
library's networks against.

Each network is written in the library's conventions (CKernels/README.md):
layer l computes Z = A·W + b with W n_in × n_out, then its activation; the
loss is the mean over the batch (softmax cross-entropy on integer labels,
over the rows; mean squared error, over every output). Everything is in
float64. For every case — an optimiser with its hyperparameters, a
learning rate and a batch size — the same initial parameters are trained
for 60 steps by torch.optim (its single-tensor implementation,
foreach=False), step s on rows (s·batch) mod 32 .. + batch of the
network's 32 fixed rows, and the parameters are recorded after every 10
steps, in the library's flat layout [W_0 (row-major) | b_0 | W_1 | b_1 | …].

Output: narrow.json (a 3-5-4-2 tanh/relu/softmax network, every layer at
most 8 wide: the library's narrow engine) and dense.json (a 4-12-3
tanh/identity network with MSE: the GEMM engine), each

    {"generator": …, "layers": [[n_in, n_out, activation], …], "loss": …,
     "rows": 32, "inputs": [32·n_in values], "labels": [32] or
     "targets": [32·n_out values], "initial": [n_params values],
     "steps": 60, "every": 10,
     "cases": [{"name": …, "optimizer": {"rule": …, field: value, …},
                "learning_rate": …, "batch": …,
                "params": [[n_params values after 10 steps], …, [after 60]]}]}

The optimizer's fields are bp_optimizer's (CKernels/include/bp_optimizer.h);
fields not given keep bp_optimizer_default's values, which are PyTorch's.

PyTorch is a development tool here, never a dependency of the library:
    pip install torch        # (CPU wheels: --index-url https://download.pytorch.org/whl/cpu)
    python3 Tests/Fixtures/optimizers/generate.py
"""

import json
import os

import torch

ROWS = 32
STEPS = 60
EVERY = 10

ACTIVATIONS = {
    "identity": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": None,  # applied by the loss (the fused softmax cross-entropy)
}


def make_optimizer(params, spec, lr):
    """torch.optim's optimiser for bp_optimizer's fields (PyTorch's defaults
    for the fields a case does not give)."""
    o = dict(spec)
    rule = o.pop("rule")
    if rule == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o.get("momentum", 0.0),
                               dampening=o.get("dampening", 0.0),
                               weight_decay=o.get("weight_decay", 0.0),
                               nesterov=bool(o.get("nesterov", 0)), foreach=False)
    if rule in ("adam", "adamw"):
        cls = torch.optim.Adam if rule == "adam" else torch.optim.AdamW
        kw = {"weight_decay": o["weight_decay"]} if "weight_decay" in o else {}
        return cls(params, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)),
                   eps=o.get("eps", 1e-8), amsgrad=bool(o.get("amsgrad", 0)), foreach=False, **kw)
    if rule == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o.get("alpha", 0.99),
                                   eps=o.get("eps", 1e-8), weight_decay=o.get("weight_decay", 0.0),
                                   momentum=o.get("momentum", 0.0),
                                   centered=bool(o.get("centered", 0)), foreach=False)
    if rule == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, lr_decay=o.get("lr_decay", 0.0),
                                   weight_decay=o.get("weight_decay", 0.0),
                                   initial_accumulator_value=o.get("initial_accumulator_value", 0.0),
                                   eps=o.get("eps", 1e-10), foreach=False)
    if rule == "rprop":
        return torch.optim.Rprop(params, lr=lr,
                                 etas=(o.get("eta_minus", 0.5), o.get("eta_plus", 1.2)),
                                 step_sizes=(o.get("step_min", 1e-6), o.get("step_max", 50.0)),
                                 foreach=False)
    raise ValueError(rule)


def flat(tensors):
    return [float(x) for t in tensors for x in t.detach().reshape(-1).tolist()]


def trajectory(net, case):
    params = [t.clone().requires_grad_(True) for t in net["initial"]]
    opt = make_optimizer(params, case["optimizer"], case["learning_rate"])
    batch = case["batch"]
    recorded = []
    for s in range(STEPS):
        start = (s * batch) % ROWS
        X = net["X"][start:start + batch]
        A = X
        for l, (_, _, act) in enumerate(net["layers"]):
            Z = A @ params[2 * l] + params[2 * l + 1]
            A = Z if act == "softmax" else ACTIVATIONS[act](Z)
        if net["loss"] == "softmax_cce":
            loss = torch.nn.functional.cross_entropy(Z, net["labels"][start:start + batch])
        else:
            loss = torch.nn.functional.mse_loss(A, net["Y"][start:start + batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (s + 1) % EVERY == 0:
            recorded.append(flat(params))
    return recorded


def network(name, layers, loss, seed):
    g = torch.Generator().manual_seed(seed)
    net = {"name": name, "layers": layers, "loss": loss}
    n_in, n_out = layers[0][0], layers[-1][1]
    net["X"] = torch.rand(ROWS, n_in, generator=g, dtype=torch.float64) * 2 - 1
    if loss == "softmax_cce":
        net["labels"] = torch.randint(0, n_out, (ROWS,), generator=g)
    else:
        net["Y"] = torch.rand(ROWS, n_out, generator=g, dtype=torch.float64) * 2 - 1
    initial = []
    for (i, o, _) in layers:
        bound = 1.0 / i ** 0.5
        initial.append((torch.rand(i, o, generator=g, dtype=torch.float64) * 2 - 1) * 2 * bound)
        initial.append((torch.rand(o, generator=g, dtype=torch.float64) * 2 - 1) * 0.5)
    net["initial"] = initial
    return net


def case(name, lr, batch, **optimizer):
    return {"name": name, "optimizer": optimizer, "learning_rate": lr, "batch": batch}


NARROW_CASES = [
    case("sgd-weight-decay", 0.1, 8, rule="sgd", weight_decay=0.01),
    case("sgd-momentum-dampening", 0.05, 8, rule="sgd", momentum=0.9, dampening=0.1),
    case("sgd-nesterov-weight-decay", 0.05, 8, rule="sgd", momentum=0.9, nesterov=1,
         weight_decay=1e-3),
    case("sgd-momentum-online", 0.02, 1, rule="sgd", momentum=0.8),
    case("adam-defaults", 0.01, 8, rule="adam"),
    case("adam-amsgrad-weight-decay", 0.01, 8, rule="adam", beta1=0.8, beta2=0.99, amsgrad=1,
         weight_decay=1e-2),
    case("adam-low-beta1", 0.01, 8, rule="adam", beta1=0.3, beta2=0.9, eps=1e-6),
    case("adam-online", 0.005, 1, rule="adam"),
    case("adamw-defaults", 0.01, 8, rule="adamw"),
    case("adamw-amsgrad", 0.01, 8, rule="adamw", weight_decay=0.1, amsgrad=1),
    case("rmsprop-defaults", 0.01, 8, rule="rmsprop"),
    case("rmsprop-centered-momentum", 0.002, 8, rule="rmsprop", centered=1, momentum=0.9,
         weight_decay=1e-3),
    case("rmsprop-momentum", 0.005, 8, rule="rmsprop", alpha=0.9, momentum=0.5),
    case("rmsprop-centered-low-alpha", 0.002, 8, rule="rmsprop", alpha=0.4, centered=1,
         eps=1e-6),
    case("adagrad-defaults", 0.1, 8, rule="adagrad"),
    case("adagrad-decay", 0.1, 8, rule="adagrad", lr_decay=0.01, initial_accumulator_value=0.1,
         weight_decay=1e-3),
    case("rprop-defaults", 0.01, 32, rule="rprop"),
    case("rprop-etas-steps", 0.02, 32, rule="rprop", eta_minus=0.3, eta_plus=1.5, step_min=1e-4,
         step_max=0.05),
]

DENSE_CASES = [
    case("sgd-nesterov-weight-decay", 0.05, 8, rule="sgd", momentum=0.9, nesterov=1,
         weight_decay=1e-3),
    case("adam-defaults", 0.01, 8, rule="adam"),
    case("adamw-amsgrad", 0.01, 8, rule="adamw", weight_decay=0.1, amsgrad=1),
    case("rmsprop-centered-momentum", 0.002, 8, rule="rmsprop", centered=1, momentum=0.9,
         weight_decay=1e-3),
    case("adagrad-decay", 0.1, 8, rule="adagrad", lr_decay=0.01, initial_accumulator_value=0.1,
         weight_decay=1e-3),
    case("rprop-defaults", 0.01, 32, rule="rprop"),
]


def write(net, cases, path):
    out = {
        "generator": f"torch {torch.__version__}, Tests/Fixtures/optimizers/generate.py",
        "layers": net["layers"],
        "loss": net["loss"],
        "rows": ROWS,
        "inputs": flat([net["X"]]),
    }
    if "labels" in net:
        out["labels"] = [int(x) for x in net["labels"].tolist()]
    else:
        out["targets"] = flat([net["Y"]])
    out["initial"] = flat(net["initial"])
    out["steps"] = STEPS
    out["every"] = EVERY
    out["cases"] = [dict(c, params=trajectory(net, c)) for c in cases]
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


def main():
    torch.set_default_dtype(torch.float64)
    here = os.path.dirname(os.path.abspath(__file__))
    write(network("narrow", [[3, 5, "tanh"], [5, 4, "relu"], [4, 2, "softmax"]], "softmax_cce",
                  2001), NARROW_CASES, os.path.join(here, "narrow.json"))
    write(network("dense", [[4, 12, "tanh"], [12, 3, "identity"]], "mse", 2002), DENSE_CASES,
          os.path.join(here, "dense.json"))


if __name__ == "__main__":
    main()
