"""Reads a workload directory written by export_data (see export_data.c).

Every peer trains the same network from the same initial parameters on the
same data in the same sample order as BackpropBench: all of it comes from
these files, none of it is drawn here.
"""
import os

import numpy as np


def load(directory):
    meta = {}
    with open(os.path.join(directory, "meta.txt")) as f:
        for line in f:
            key, *values = line.split()
            meta[key] = values
    w = {
        "name": meta["name"][0],
        "n": int(meta["samples"][0]),
        "sizes": [int(s) for s in meta["sizes"]],
        "acts": meta["acts"],
        "loss": meta["loss"][0],
        "epochs": int(meta["epochs"][0]),
        "batch": int(meta["batch"][0]),
        "lr": float(meta["lr"][0]),
    }
    n, sizes = w["n"], w["sizes"]
    d, k = sizes[0], sizes[-1]
    w["X"] = np.fromfile(os.path.join(directory, "X.bin"), dtype=np.float64).reshape(n, d)
    w["Y"] = np.fromfile(os.path.join(directory, "Y.bin"), dtype=np.float64).reshape(n, k)
    w["labels"] = (np.fromfile(os.path.join(directory, "labels.bin"), dtype=np.int64)
                   if meta["labels"][0] == "1" else None)
    w["order"] = (np.fromfile(os.path.join(directory, "order.bin"), dtype=np.int64).reshape(w["epochs"], n)
                  if meta["shuffled"][0] == "1" else None)
    # Backprop's parameter layout: [W0 (n_in x n_out, row-major) | b0 | W1 | b1 ...]
    flat = np.fromfile(os.path.join(directory, "params.bin"), dtype=np.float64)
    w["W"], w["b"] = [], []
    offset = 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        w["W"].append(flat[offset:offset + n_in * n_out].reshape(n_in, n_out))
        offset += n_in * n_out
        w["b"].append(flat[offset:offset + n_out])
        offset += n_out
    assert offset == flat.size, "params.bin does not match the layer sizes"
    return w


def batches(w, epoch):
    """(start, rows, indices or None) of each batch of an epoch, as Network.train visits them."""
    n, batch = w["n"], w["batch"]
    order = None if w["order"] is None else w["order"][epoch]
    for start in range(0, n, batch):
        rows = min(batch, n - start)
        yield start, rows, (None if order is None else order[start:start + rows])
