#!/usr/bin/env python3
"""Peer benchmark driver (`make bench-peers`): workloads W1–W5 trained by
Backprop (BackpropBench) and, side by side in the same run, by numpy, PyTorch
(CPU), an OpenBLAS composition in C and FANN (W5), on the same data from the
same initial parameters in the same sample order.

    Benchmarks/peers/run.py [--json FILE] [--rounds N] [--only W1,W5]
                            [--impls backprop,numpy,torch,openblas,fann]
                            [--optimizers sgd,adam]
                            [--no-install] [--quick] [--side-by-side]

Steps: install what is missing (apt: libfann-dev, libopenblas-dev, libgsl-dev;
pip: numpy, torch==2.13.0+cpu, threadpoolctl), build Backprop's C library, the
C peers and BackpropBench (release, scratch dir Benchmarks/Workloads/.build-peers),
export the workloads (export_data), then run every (workload, precision,
threads, optimiser) row in rounds: each round runs every implementation once, one after
the other, in a rotating order, so that all of them see the same machine
state; short runs (< 0.5 s) get extra rounds. Each run is a fresh process
that times its training loop only. The table shows, per row, Backprop's
figure and each peer's ratio peer time / Backprop time of the best runs
(> 1: Backprop is faster), and the final losses' agreement. Every row
trains with plain SGD, and again with Adam (PyTorch's defaults, learning
rate 0.001) where only Backprop and torch run: numpy, the OpenBLAS
composition and FANN have no Adam.

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the numpy, torch and
OpenBLAS processes only (the kernel each then uses is recorded); Backprop
and FANN run in the environment as it is.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = HERE / ".build-peers"
DATA = BUILD / "data"
WORKLOADS_PKG = ROOT / "Benchmarks" / "Workloads"
SWIFT_SCRATCH = WORKLOADS_PKG / ".build-peers"
BENCH = SWIFT_SCRATCH / "release" / "BackpropBench"
IMPLS = ["backprop", "numpy", "torch", "openblas", "fann"]
LABEL = {"backprop": "Backprop", "numpy": "numpy", "torch": "torch", "openblas": "OpenBLAS", "fann": "FANN"}
SHORT_RUN = 0.1        # seconds: runs shorter than this get extra rounds
EXTRA_ROUNDS = 4
FIRST_TIMEOUT = 180    # seconds for a run with nothing to compare with yet
TIMEOUT_FACTOR = 10    # later runs are stopped at max(15 s, 10 × the best so far)
SLOW_PEER = 20         # a peer this many times slower than Backprop, taking > 3 s,
                       # stops after one quiet run (more digits of "500x" help nobody)
BUSY_LOAD = 0.25       # other processes' CPU use (cores) above which a best run is flagged
MIN_LOAD_WINDOW = 0.5  # seconds: shorter processes get no load figure (tick resolution)
BUSY_RETRY_LIMIT = 20  # seconds: a best run taken on a busy machine gets extra rounds if shorter

# Rows: (workload, precision, threads, optimiser); threads None = each
# library's default. Every (workload, precision, threads) is run with plain
# SGD and with Adam.
CONFIGS = [
    ("W1", "f64", None), ("W2", "f64", None),
    ("W3", "f64", 1), ("W3", "f64", 2), ("W3", "f32", 1), ("W3", "f32", 2),
    ("W4", "f64", 1), ("W4", "f64", 2), ("W4", "f32", 1), ("W4", "f32", 2),
    ("W5", "f64", None),
]
OPTIMIZERS = ["sgd", "adam"]
ROWS = [(w, p, t, o) for o in OPTIMIZERS for (w, p, t) in CONFIGS]
# What each workload reports (the metric) and who runs it.
METRIC = {"W1": "epoch", "W2": "epoch", "W3": "samples", "W4": "samples", "W5": "total"}
RUNS = {"fann": {"W5"}}   # FANN has no softmax; W1 (ReLU hidden layers, BCE) is not faithful in FANN
# Who has each optimiser other than plain SGD (the others' cells read "—").
OPTIMIZER_IMPLS = {"adam": {"backprop", "torch"}}


def log(msg):
    print(msg, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# --------------------------------------------------------------------------- setup

def openblas_include():
    try:
        arch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    except OSError:
        arch = ""
    for d in [f"/usr/include/{arch}/openblas-pthread", "/usr/include/openblas"]:
        if os.path.exists(os.path.join(d, "cblas.h")):
            return d
    return None


def ensure_deps():
    missing = []
    if not os.path.exists("/usr/include/doublefann.h"):
        missing.append("libfann-dev")
    if openblas_include() is None:
        missing.append("libopenblas-dev")
    if subprocess.run(["pkg-config", "--exists", "gsl"]).returncode != 0:
        missing.append("libgsl-dev")
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        log(f"installing (apt):{' '.join([''] + missing)}")
        sh(sudo + ["apt-get", "update", "-qq"])
        sh(sudo + ["apt-get", "install", "-y", "-qq"] + missing,
           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    for module, spec in [("numpy", "numpy"), ("torch", "torch==2.13.0+cpu"), ("threadpoolctl", "threadpoolctl")]:
        if subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode != 0:
            log(f"installing (pip): {spec}")
            sh([sys.executable, "-m", "pip", "install", "-q", spec])


def build():
    BUILD.mkdir(parents=True, exist_ok=True)
    sh(["make", "-s", "-C", str(ROOT), ".build-c/libbackprop.a"])
    gsl = subprocess.run(["pkg-config", "--libs", "gsl"], capture_output=True, text=True).stdout.split()
    cc = os.environ.get("CC", "cc")
    ob = openblas_include()
    sh([cc, "-O2", "-std=c11", "-Wall", "-Wextra", f"-I{ROOT}/CKernels/include", str(HERE / "export_data.c"),
        str(ROOT / ".build-c" / "libbackprop.a")] + gsl + ["-lpthread", "-lm", "-o", str(BUILD / "export_data")])
    peer_flags = ["-O3", "-march=native", "-std=c11", "-Wall", "-Wextra"]
    for prec, extra in [("f64", []), ("f32", ["-DPEER_F32"])]:
        sh([cc] + peer_flags + extra + [f"-I{ob}", str(HERE / "openblas_mlp.c"), "-lopenblas", "-lm",
                                        "-o", str(BUILD / f"openblas_mlp_{prec}")])
    sh([cc] + peer_flags + [str(HERE / "fann_w5.c"), "-ldoublefann", "-lm", "-o", str(BUILD / "fann_w5")])
    log("building BackpropBench (swift build -c release)")
    # drop SwiftPM's build plan, which would miss CKernels files added since
    # it was made (see DROP_PLAN in the Makefile)
    for plan in ("debug.yaml", "release.yaml"):
        (SWIFT_SCRATCH / plan).unlink(missing_ok=True)
    sh(["swift", "build", "-c", "release", "--package-path", str(WORKLOADS_PKG),
        "--scratch-path", str(SWIFT_SCRATCH), "--product", "BackpropBench"], stdout=subprocess.DEVNULL)


def export():
    sh([str(BUILD / "export_data"), str(DATA)])


def side_by_side(rounds):
    """--side-by-side: W3 and W4 in one process per precision, one thread
    (side_by_side.c): the composition with OpenBLAS's GEMM and with
    Backprop's, and Backprop's own epoch, alternating; per-GEMM times.
    Backprop's C library built by clang when there is one, as SwiftPM builds
    it for BackpropBench."""
    if shutil.which("clang"):
        cc, lib_dir = "clang", ".build-c-clang"
        sh(["make", "-s", "-C", str(ROOT), "CC=clang", f"BUILD_C={lib_dir}", f"{lib_dir}/libbackprop.a"])
    else:
        cc, lib_dir = os.environ.get("CC", "cc"), ".build-c"
    gsl = subprocess.run(["pkg-config", "--libs", "gsl"], capture_output=True, text=True).stdout.split()
    for prec, extra in [("f64", []), ("f32", ["-DPEER_F32"])]:
        sh([cc, "-O3", "-march=native", "-std=c11", "-Wall", "-Wextra"] + extra +
           [f"-I{openblas_include()}", f"-I{ROOT}/CKernels/include", f"-I{HERE}", str(HERE / "side_by_side.c"),
            str(ROOT / lib_dir / "libbackprop.a"), "-lopenblas"] + gsl +
           ["-lpthread", "-lm", "-o", str(BUILD / f"side_by_side_{prec}")])
    # One thread only: with two, OpenBLAS's workers keep polling the second
    # core for a while after each of its calls (the composition's axpy
    # included), and slow whichever variant runs next.
    for workload in ("W3", "W4"):
        for prec in ("f32", "f64"):
            p = subprocess.run([str(BUILD / f"side_by_side_{prec}"), str(DATA / workload), "--threads", "1",
                                "--rounds", str(rounds)], capture_output=True, text=True, env=peer_env(1))
            print(p.stdout + p.stderr, flush=True)


# --------------------------------------------------------------------------- running

def peer_env(threads):
    """numpy / torch / OpenBLAS: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (this process only)."""
    env = dict(os.environ)
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                "MKL_NUM_THREADS"):
        env.pop(key, None)
    if threads:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
        env["OMP_NUM_THREADS"] = str(threads)
        env["MKL_NUM_THREADS"] = str(threads)
    env["PYTHONPATH"] = str(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def cpu_busy_seconds():
    """Busy CPU time of the whole machine (all processes, steal included), seconds."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def measured(run, timeout):
    """Runs run(timeout) and records how much CPU everything else on the machine
    used meanwhile (`other_load`, in cores): a best run taken while the machine
    was busy is flagged in the table."""
    busy0, t0 = cpu_busy_seconds(), time.monotonic()
    ours0 = sum(os.times()[2:4])
    try:
        r = run(timeout)
    except subprocess.TimeoutExpired:
        r = {"status": "timeout", "error": f"stopped after {timeout:.0f} s"}
    wall = time.monotonic() - t0
    other = (cpu_busy_seconds() - busy0) - (sum(os.times()[2:4]) - ours0)
    # /proc/stat counts in clock ticks (10 ms): too coarse for shorter processes.
    r["other_load"] = round(max(other, 0.0) / wall, 3) if wall >= MIN_LOAD_WINDOW else None
    return r


def quiet(sample):
    return (sample.get("other_load") or 0) <= BUSY_LOAD


def run_peer(impl, workload, precision, threads, optimizer, timeout):
    data = str(DATA / workload)
    targs = ["--threads", str(threads)] if threads else []
    if impl == "numpy":
        cmd = [sys.executable, str(HERE / "numpy_mlp.py"), data, "--precision", precision] + targs
    elif impl == "torch":
        cmd = [sys.executable, str(HERE / "torch_mlp.py"), data, "--precision", precision,
               "--optimizer", optimizer] + targs
    elif impl == "openblas":
        cmd = [str(BUILD / f"openblas_mlp_{precision}"), data] + targs
    else:  # fann: single-threaded, f64 only, environment untouched
        if precision != "f64" or threads:
            return {"status": "n/a"}
        p = subprocess.run([str(BUILD / "fann_w5"), data], capture_output=True, text=True, timeout=timeout)
        return parse_line(p)
    p = subprocess.run(cmd, capture_output=True, text=True, env=peer_env(threads), timeout=timeout)
    return parse_line(p)


def parse_line(p):
    if p.returncode != 0:
        return {"status": "error", "error": (p.stderr or p.stdout).strip()[-400:]}
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    r = json.loads(line)
    r["status"] = "ok"
    return r


def run_backprop(workload, precision, threads, optimizer, timeout):
    args = [str(BENCH), "--only", workload]
    if precision != "f64":
        args += ["--precision", precision]
    if threads:
        args += ["--threads", str(threads)]
    if optimizer != "sgd":
        args += ["--optimizer", optimizer]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        p = subprocess.run(args + ["--json", out], capture_output=True, text=True, timeout=timeout)
        if p.returncode == 2:
            return {"status": "n/a", "error": p.stderr.strip()}
        if p.returncode != 0 or not os.path.exists(out):
            return {"status": "error", "error": (p.stderr or p.stdout).strip()[-400:]}
        with open(out) as f:
            results = [r for r in json.load(f) if r.get("name") == workload]
    if not results:
        return {"status": "error", "error": "no result for " + workload}
    r = results[0]
    if r.get("precision", "f64") != precision:
        return {"status": "n/a", "error": f"BackpropBench ran {r.get('precision')}, not {precision}"}
    if r.get("optimizer", "sgd") != optimizer:
        return {"status": "n/a", "error": f"BackpropBench ran {r.get('optimizer')}, not {optimizer}"}
    return {"status": "ok", "seconds": r["seconds"], "final_loss": r["finalLoss"], "threads": r.get("threads"),
            "allocations_per_step": r.get("allocationsPerStep"), "impl": "backprop"}


def run_once(impl, row, timeout):
    if impl == "backprop":
        return measured(lambda t: run_backprop(*row, t), timeout)
    return measured(lambda t: run_peer(impl, *row, t), timeout)


# --------------------------------------------------------------------------- reporting

def fmt_time(s):
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_metric(workload, seconds, meta):
    kind = METRIC[workload]
    if kind == "epoch":
        return fmt_time(seconds / meta["epochs"]) + "/ep"
    if kind == "samples":
        sps = meta["n"] * meta["epochs"] / seconds
        return f"{sps / 1e3:.1f}k smp/s"
    return fmt_time(seconds)


def meta_of(workload):
    meta = {}
    for line in open(DATA / workload / "meta.txt"):
        k, *v = line.split()
        meta[k] = v
    return {"n": int(meta["samples"][0]), "epochs": int(meta["epochs"][0])}


def machine_info(results):
    cpu = "?"
    family = model = None
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and cpu == "?":
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("cpu family") and family is None:
                family = line.split(":", 1)[1].strip()
            elif line.startswith("model\t") and model is None:
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass

    def first(impl, key):
        for r in results:
            for s in r["runs"].get(impl, {}).get("samples", []):
                if s.get(key):
                    return s[key]
        return None

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return None

    def dpkg(name):
        return version(["dpkg-query", "-W", "-f=${Version}", name])

    git = version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "cpu": f"{cpu} (family {family}, model {model})",
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "swift": version(["swift", "--version"]),
        "cc": version([os.environ.get("CC", "cc"), "--version"]),
        "backprop_commit": (git or "?") + (" (+ uncommitted changes)" if dirty else ""),
        "numpy": first("numpy", "library"), "numpy_openblas_kernel": first("numpy", "kernel"),
        "torch": first("torch", "library"), "torch_cpu_capability": first("torch", "kernel"),
        "torch_adam_implementation": next((s.get("optimizer_implementation") for r in results
                                           if r["optimizer"] == "adam"
                                           for s in r["runs"].get("torch", {}).get("samples", [])
                                           if s.get("optimizer_implementation")), None),
        "openblas": first("openblas", "library"), "openblas_kernel": first("openblas", "kernel"),
        "fann": "libfann2 " + (dpkg("libfann2") or "?"),
        "environment": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "note": "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for the numpy, torch and OpenBLAS runs only",
    }


def summarize(result, impls):
    """Best / median per implementation, ratios against Backprop, loss agreement."""
    runs = result["runs"]
    for impl in impls:
        r = runs.get(impl)
        if not r:
            continue
        ok = [s for s in r["samples"] if s.get("status") == "ok"]
        if ok:
            secs = [s["seconds"] for s in ok]
            best = min(ok, key=lambda s: s["seconds"])
            r.update(status="ok", best=best["seconds"], median=statistics.median(secs),
                     final_loss=ok[0]["final_loss"], repeats=len(secs),
                     best_other_load=best.get("other_load"))
            losses = {round(s["final_loss"], 12) for s in ok}
            if len(losses) > 1:
                r["final_loss_varies"] = sorted(losses)
        else:
            r["status"] = r["samples"][0].get("status", "error") if r["samples"] else "n/a"
            r["error"] = r["samples"][0].get("error") if r["samples"] else None
    bp = runs.get("backprop", {})
    for impl in impls:
        r = runs.get(impl)
        if impl != "backprop" and r and r.get("status") == "ok" and bp.get("status") == "ok":
            r["ratio_best"] = r["best"] / bp["best"]
            r["ratio_median"] = r["median"] / bp["median"]
    ref_impl = next((i for i in ["backprop", "openblas", "numpy", "torch", "fann"]
                     if runs.get(i, {}).get("status") == "ok"), None)
    if ref_impl:
        ref = runs[ref_impl]["final_loss"]
        diffs = {i: abs(runs[i]["final_loss"] - ref) / max(abs(ref), 1e-300)
                 for i in impls if i != ref_impl and runs.get(i, {}).get("status") == "ok"}
        result["loss"] = {"reference": ref_impl, "value": ref, "relative_diff": diffs}


def row_label(res):
    """"W3 f64 t1", "W3 adam f64 t1", "W5 f64 def": the table's name of a row."""
    opt = "" if res["optimizer"] == "sgd" else " " + res["optimizer"]
    thr = res["threads"]
    return f"{res['workload']}{opt} {res['precision']} {('t' + str(thr)) if thr else 'def'}"


def busy(r):
    return "~" if (r.get("best_other_load") or 0) > BUSY_LOAD else ""


def print_table(results, impls, info):
    log("")
    log("Peer benchmark — ratio = peer time / Backprop time (best of the repeats; > 1: Backprop is faster)")
    log(f"machine: {info['cpu']}, {info['cores']} cores; {info['os']}")
    log(f"Backprop {info['backprop_commit']}, {info['swift']}")
    log(f"numpy: {info['numpy']} kernel {info['numpy_openblas_kernel']} | torch: {info['torch']} {info['torch_cpu_capability']}")
    log(f"OpenBLAS composition: {info['openblas']} | kernel {info['openblas_kernel']} | FANN: {info['fann']}")
    env = ", ".join(f"{k}={v}" for k, v in info["environment"].items() if v)
    log(f"environment: {env or '(no OPENBLAS_* overrides)'}; unset for numpy/torch/OpenBLAS runs only")
    peers = [i for i in impls if i != "backprop"]
    head = f"{'row':<15} {'Backprop':>17}"
    for p in peers:
        head += f" | {LABEL[p]:>20}"
    head += " | final loss: reference, max rel. diff of the others"
    log("")
    log(head)
    log("-" * len(head))
    for res in results:
        w, meta = res["workload"], res["meta"]
        bp = res["runs"].get("backprop", {})
        cell = fmt_metric(w, bp["best"], meta) + busy(bp) if bp.get("status") == "ok" else bp.get("status", "-")
        line = f"{row_label(res):<15} {cell:>17}"
        for p in peers:
            r = res["runs"].get(p)
            if p not in OPTIMIZER_IMPLS.get(res["optimizer"], {p}):
                c = "—"
            elif not r or r.get("status") != "ok":
                c = "n/a" if not r or r.get("status") == "n/a" else r.get("status", "-")
            elif "ratio_best" in r:
                c = f"{r['ratio_best']:.2f}x ({fmt_metric(w, r['best'], meta)}){busy(r)}"
            else:
                c = f"({fmt_metric(w, r['best'], meta)}){busy(r)}"
            line += f" | {c:>20}"
        loss = res.get("loss")
        if loss:
            diffs = loss["relative_diff"]
            worst = max(diffs.items(), key=lambda kv: kv[1]) if diffs else None
            ref = "" if loss["reference"] == "backprop" else f" ({LABEL[loss['reference']]})"
            line += f" | {loss['value']:.6g}{ref}"
            if worst:
                line += f", {worst[1]:.1e} ({LABEL[worst[0]]})"
        log(line)
    log("")
    log("cells: ratio (peer's own figure); figures: W1/W2 time per epoch, W3/W4 samples/s, W5 total time.")
    bp_threads = sorted({s.get("threads") for r in results if r["threads"] is None
                         for s in r["runs"].get("backprop", {}).get("samples", []) if s.get("threads")})
    log(f"def = default thread counts: Backprop {'/'.join(map(str, bp_threads)) or '?'} (BackpropBench's default), "
        f"numpy/torch/OpenBLAS one per core ({info['cores']}); tN = N threads for every implementation.")
    log("n/a = not run: BackpropBench rejects the option (f32 / --threads), or the peer cannot run the workload.")
    if any(r["optimizer"] == "adam" for r in results):
        log(f"adam rows: torch.optim.Adam's defaults and Backprop's .adam(), learning rate 0.001 "
            f"(torch's implementation: {info.get('torch_adam_implementation') or '?'}); "
            "— = the peer has no Adam.")
    log(f"~ = other processes used > {BUSY_LOAD} core during that best run (noisy machine: read with care).")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default=str(ROOT / "Benchmarks" / "results" / "peers.json"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--budget", type=float, default=600,
                    help="seconds after which no extra rounds start (the main rounds always finish)")
    ap.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W5")
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--optimizers", default=",".join(OPTIMIZERS),
                    help="which rows: sgd (every peer), adam (Backprop and torch)")
    ap.add_argument("--no-install", action="store_true", help="do not apt-get / pip install")
    ap.add_argument("--no-build", action="store_true", help="reuse the built binaries and exported data")
    ap.add_argument("--quick", action="store_true", help="one round, no extra rounds, f64 rows only (W3/W4: 1 thread)")
    ap.add_argument("--side-by-side", action="store_true",
                    help="instead of the table: W3/W4 in one process, the composition with either "
                         "library's GEMM and Backprop's epoch (side_by_side.c), --rounds rounds")
    args = ap.parse_args()

    impls = [i for i in IMPLS if i in args.impls.split(",")]
    only = set(filter(None, args.only.split(",")))
    optimizers = set(args.optimizers.split(","))
    rows = [r for r in ROWS if (not only or r[0] in only) and r[3] in optimizers]
    if args.quick:
        rows = [r for r in rows if r[2] is None or (r[1], r[2]) == ("f64", 1)]
        args.rounds = 1

    if not args.no_install:
        ensure_deps()
    if not args.no_build:
        build()
        export()
    if args.side_by_side:
        side_by_side(max(args.rounds, 1))
        return

    results = [{"workload": w, "precision": p, "threads": t, "optimizer": o, "meta": meta_of(w),
                "runs": {i: {"samples": []} for i in impls
                         if w in RUNS.get(i, {w}) and i in OPTIMIZER_IMPLS.get(o, {i})}}
               for (w, p, t, o) in rows]
    started = datetime.datetime.now()
    clock0 = time.monotonic()

    def best_of(res, impl):
        """(best seconds, number of good runs taken on a quiet machine)"""
        ok = [s for s in res["runs"].get(impl, {}).get("samples", []) if s.get("status") == "ok"]
        return (min(s["seconds"] for s in ok), sum(quiet(s) for s in ok)) if ok else (None, 0)

    def slow(res, impl):
        best, _ = best_of(res, impl)
        bp_best, _ = best_of(res, "backprop")
        return impl != "backprop" and best is not None and bool(bp_best) and best > 3 and best > SLOW_PEER * bp_best

    def best_sample(res, impl):
        ok = [s for s in res["runs"][impl]["samples"] if s.get("status") == "ok"]
        return min(ok, key=lambda s: s["seconds"]) if ok else None

    def do_round(res, which, rnd):
        row = (res["workload"], res["precision"], res["threads"], res["optimizer"])
        order = which[rnd % len(which):] + which[:rnd % len(which)]
        for impl in order:
            samples = res["runs"][impl]["samples"]
            if samples and samples[-1].get("status") in ("n/a", "error"):
                continue   # unsupported or broken: do not retry
            best, good = best_of(res, impl)
            if slow(res, impl) and good >= 1:
                continue   # far slower than Backprop: one quiet run is enough
            timeout = FIRST_TIMEOUT if best is None else max(15.0, TIMEOUT_FACTOR * best)
            samples.append(run_once(impl, row, timeout))

    for rnd in range(args.rounds):
        log(f"round {rnd + 1}/{args.rounds}")
        for res in results:
            do_round(res, list(res["runs"]), rnd)
    if not args.quick:
        for res in results:
            # Extra rounds for short runs (noise is large against them) and for
            # implementations whose best run so far was taken on a busy machine.
            if time.monotonic() - clock0 > args.budget:
                log(f"time budget ({args.budget:.0f} s) spent: no more extra rounds")
                break
            short = []
            for impl in res["runs"]:
                b = best_sample(res, impl)
                if b and (b["seconds"] < SHORT_RUN or
                          (not quiet(b) and b["seconds"] < BUSY_RETRY_LIMIT and not slow(res, impl))):
                    short.append(impl)
            if short:
                log(f"extra rounds for {row_label(res)}: {', '.join(short)}")
                for rnd in range(EXTRA_ROUNDS):
                    do_round(res, short, rnd)

    for res in results:
        summarize(res, impls)
    info = machine_info(results)
    print_table(results, impls, info)

    out = {"generated": started.isoformat(timespec="seconds"),
           "duration_seconds": (datetime.datetime.now() - started).total_seconds(),
           "machine": info, "rounds": args.rounds, "extra_rounds_below_seconds": SHORT_RUN,
           "ratio": "peer seconds / Backprop seconds (best of the repeats); > 1 means Backprop is faster",
           "rows": results}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=2)
    log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
