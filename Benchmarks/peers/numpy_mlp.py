#!/usr/bin/env python3
"""The numpy peer: a multilayer perceptron written the way the tutorials
write it (seed 01's `mlp` class with forward / backward / update and lists
z, W, b, a, dz, dW, db, da; seed 05's fused softmax + cross-entropy
gradient), with the tutorials' defects fixed: the sigmoid derivative is
s·(1 − s) (seed 01 had a factor 2), losses are means over the batch (seed
01 summed), db is the sum of dz matching dW (seed 01 mixed a mean into it),
and the input gradient of the first layer is not computed (nobody uses it;
Backprop skips it too).

    numpy_mlp.py DATADIR/Wk [--precision f64|f32] [--threads N] [--warmup STEPS]

Trains the workload exported by export_data once (after an untimed warm-up
of a few steps on a throwaway copy) and prints one JSON line: the seconds of
the training loop, the final-epoch mean loss, and the BLAS numpy runs on
(threadpoolctl). --threads N limits that BLAS to N threads (threadpoolctl);
without it numpy keeps its default. The driver also sets
OPENBLAS_NUM_THREADS and unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for
this process only.
"""
import argparse
import json
import sys
import time

import numpy as np

import workload_data

# Find a small float to keep away from division by zero
epsilon = None


# Sigmoid function and its differentiation
def sigmoid(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z.clip(-500, 500)))


def dsigmoid(z):
    s = sigmoid(z)
    return s * (1 - s)


# ReLU function and its differentiation
def relu(z):
    return np.maximum(0, z)


def drelu(z):
    return (z > 0).astype(z.dtype)


# Softmax over each row (seed 05), shifted by the row maximum for stability
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# Losses L(y, yhat), averaged over the batch, and dL/dz of the output layer
def binary_cross_entropy(y, yhat):
    return -np.mean(y * np.log(yhat.clip(epsilon)) + (1 - y) * np.log((1 - yhat).clip(epsilon)))


def d_binary_cross_entropy(y, yhat, z):
    """sigmoid output + BCE: dL/dz = (yhat - y) / (n k)"""
    return (yhat - y) / y.size


def cross_entropy(y, yhat):
    return -np.sum(y * np.log(yhat.clip(epsilon))) / y.shape[0]


def d_cross_entropy(y, yhat, z):
    """softmax output + categorical cross-entropy: dL/dz = (yhat - y) / n (seed 05's T - Y)"""
    return (yhat - y) / y.shape[0]


def mean_squared_error(y, yhat):
    return np.mean((yhat - y) ** 2)


def d_mean_squared_error(y, yhat, z):
    """sigmoid output + MSE: dL/dyhat = 2 (yhat - y) / (n k), times sigmoid'(z)"""
    return 2 * (yhat - y) / y.size * dsigmoid(z)


class mlp:
    '''Multilayer perceptron using numpy'''

    def __init__(self, layersizes, activations, derivatives, loss, lossderiv):
        """remember config, then initialize array to hold NN parameters without init"""
        self.layersizes = tuple(layersizes)
        self.activations = tuple(activations)
        self.derivatives = tuple(derivatives)
        self.loss = loss
        self.lossderiv = lossderiv
        assert len(self.layersizes) - 1 == len(self.activations), \
            "number of layers and the number of activation functions does not match"
        L = len(self.layersizes)
        self.z = [None] * L
        self.W = [None] * L
        self.b = [None] * L
        self.a = [None] * L
        self.dz = [None] * L
        self.dW = [None] * L
        self.db = [None] * L
        self.da = [None] * L

    def initialize(self, W, b, dtype):
        """start from given weights (Backprop's initial parameters) instead of random ones"""
        for l in range(1, len(self.layersizes)):
            self.W[l] = np.array(W[l - 1], dtype=dtype)
            self.b[l] = np.array(b[l - 1], dtype=dtype).reshape(1, -1)

    def forward(self, x):
        """Feed forward using current `W` and `b`, and overwrite the result variables `a` and `z`"""
        self.a[0] = x
        for l, func in enumerate(self.activations, 1):
            # z = a W + b, with `a` the output of the previous layer (one sample per row)
            self.z[l] = (self.a[l - 1] @ self.W[l]) + self.b[l]
            self.a[l] = func(self.z[l])
        return self.a[-1]

    def backward(self, y, yhat):
        """back propagation using NN output yhat and the reference output y, generates dW, dz, db, da"""
        L = len(self.layersizes) - 1
        # dL/dz on the output (fused with the output activation)
        self.dz[L] = self.lossderiv(y, yhat, self.z[L])
        for l in range(L, 0, -1):
            if l < L:
                self.dz[l] = self.da[l] * self.derivatives[l - 1](self.z[l])
            self.dW[l] = self.a[l - 1].T @ self.dz[l]
            self.db[l] = np.sum(self.dz[l], axis=0, keepdims=True)
            if l > 1:
                self.da[l - 1] = self.dz[l] @ self.W[l].T

    def update(self, eta):
        """Updates W and b: gradient descent with learning rate eta"""
        for l in range(1, len(self.W)):
            self.W[l] -= eta * self.dW[l]
            self.b[l] -= eta * self.db[l]


ACTIVATIONS = {"relu": (relu, drelu), "sigmoid": (sigmoid, dsigmoid), "softmax": (softmax, None)}
LOSSES = {"bce": (binary_cross_entropy, d_binary_cross_entropy),
          "cce": (cross_entropy, d_cross_entropy),
          "mse": (mean_squared_error, d_mean_squared_error)}


def build(w, dtype):
    acts = [ACTIVATIONS[a] for a in w["acts"]]
    loss, lossderiv = LOSSES[w["loss"]]
    model = mlp(w["sizes"], [a for a, _ in acts], [d for _, d in acts], loss, lossderiv)
    model.initialize(w["W"], w["b"], dtype)
    return model


def train(model, w, X, Y, epochs, max_steps=None):
    """SGD as Network.train: batches in the exported order; returns the last epoch's mean batch loss."""
    eta = w["lr"]
    steps = 0
    mean = float("nan")
    for epoch in range(epochs):
        total = 0.0
        for start, rows, idx in workload_data.batches(w, epoch):
            if idx is None:
                xb, yb = X[start:start + rows], Y[start:start + rows]
            else:
                xb, yb = X[idx], Y[idx]
            yhat = model.forward(xb)
            total += float(model.loss(yb, yhat)) * rows
            model.backward(yb, yhat)
            model.update(eta)
            steps += 1
            if max_steps is not None and steps >= max_steps:
                return float("nan")
        mean = total / w["n"]
    return mean


def main():
    global epsilon
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--precision", choices=["f64", "f32"], default="f64")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()

    dtype = np.float64 if args.precision == "f64" else np.float32
    epsilon = np.finfo(dtype).eps
    w = workload_data.load(args.data)
    X = np.ascontiguousarray(w["X"], dtype=dtype)
    Y = np.ascontiguousarray(w["Y"], dtype=dtype)

    from threadpoolctl import threadpool_info, threadpool_limits
    limits = threadpool_limits(limits=args.threads, user_api="blas") if args.threads > 0 else None

    if args.warmup:
        train(build(w, dtype), w, X, Y, 1, max_steps=args.warmup)
    model = build(w, dtype)
    t0 = time.perf_counter()
    loss = train(model, w, X, Y, w["epochs"])
    seconds = time.perf_counter() - t0

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    info = blas[0] if blas else {}
    print(json.dumps({
        "impl": "numpy", "workload": w["name"], "precision": args.precision, "seconds": seconds,
        "final_loss": loss, "threads": info.get("num_threads"), "kernel": info.get("architecture"),
        "library": "numpy %s, %s %s" % (np.__version__, info.get("internal_api", "?"), info.get("version", "?")),
    }))
    if limits is not None:
        limits.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
