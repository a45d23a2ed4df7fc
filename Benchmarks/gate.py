#!/usr/bin/env python3
"""The performance regression gate behind `make bench` and `make bench-update`.

These machines are shared and noisy, so the gate never looks at absolute
times. It gates on two kinds of figures that are stable from run to run:

* instruction counts of fixed workloads (W1–W5 in their --quick sizes, f64
  and f32, and W3 again trained by Adam), measured by valgrind's callgrind
  with collection switched on only inside Network.train — deterministic for
  a given binary and input; a figure the baseline does not have yet is
  printed, not gated;
* ratios measured side by side in one run: our GEMM against OpenBLAS
  (Benchmarks/results/gemm.json, written by `make bench-gemm`), and heap
  allocations per training step (must stay 0), with plain SGD and with Adam.

It also reports, without gating, the cost of an optimiser's step against
plain SGD's (Benchmarks/results/optimizers.json, written by `make
bench-optimizers`: momentum / SGD and Adam / SGD epoch times on W3 and W4,
measured side by side in one process) against the target of 1.15: time
ratios of a few per cent move with the other processes on this shared
machine, so they are read, not gated.

    gate.py measure OUT.json [W1,W5]
                                    measure everything (or the named
                                    workloads' instruction counts) into OUT.json
    gate.py compare BASE.json NEW.json
                                    fail (exit 1) on a regression beyond the
                                    thresholds below, printing a table
    gate.py update BASE.json        measure, then make that the baseline: the
                                    instruction counts and allocations, and
                                    this machine's GEMM ratios (other
                                    machines' kept)

GEMM ratios belong to a machine: the same code measured 1.23× OpenBLAS on one
CPU (dgemm NT n = 512 on a Zen 5 EPYC) and 1.05× on another (Zen 4), where
OpenBLAS runs the same "Cooperlake" kernels. So the baseline keeps them per
machine, under a key naming the CPU (model name and family), our kernel set
and OpenBLAS's core; `compare` gates the ratios against this machine's entry
and, on a machine that has none, prints them without gating (instruction
counts and allocations are gated everywhere). `make bench-update` adds the
entry.

Thresholds: an instruction count may grow by at most 3 % (callgrind counts
are exact; 3 % leaves room for toolchain noise such as different inlining);
a 1-thread GEMM ratio may drop by at most 15 % of its baseline value (the
±15 % run-to-run noise the issue measured on one thread), 30 % for n ≤ 32,
where one call takes 0.1–0.5 µs and OpenBLAS's own figure moved by up to
30 % between runs of the same binary here (f32 NN n = 16: 101, 135 and 132
GFLOP/s in three runs of one afternoon); allocations per
step must be 0. The 2-thread over 1-thread scaling is printed but not gated:
it halves whenever another process holds the second core.
"""
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "Benchmarks/Workloads/.build-release/release/BackpropBench")
GEMM_JSON = os.path.join(ROOT, "Benchmarks/results/gemm.json")
OPTIMIZERS_JSON = os.path.join(ROOT, "Benchmarks/results/optimizers.json")
STEP_COST_TARGET = 1.15          # an optimiser's step / plain SGD's step (reported, not gated)
# Workloads counted again with each of these optimisers (key "W3 f64 adam").
OPTIMIZER_COUNTS = {"W3": ["adam"]}
# Workloads whose allocations per step are also counted with Adam.
OPTIMIZER_ALLOCATIONS = ["adam"]
INSTRUCTION_TOLERANCE = 0.03
RATIO_TOLERANCE = 0.15
RATIO_TOLERANCE_SMALL = 0.30     # n ≤ SMALL_N
SMALL_N = 32
WORKLOADS = ["W1", "W2", "W3", "W4", "W5"]
PRECISIONS = ["f64", "f32"]
# Network.train(on:epochs:learningRate:…), whose generic entry dispatches
# to its specialisation for the scalar type; collecting only inside it
# leaves out process start-up and data generation.
TOGGLE = "$s12BackpropCore7NetworkV5train2on6epochs12learningRate*"


def instructions(binary, workload, precision, optimizer="sgd"):
    """Instructions executed inside Network.train for one --quick workload."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--collect-atstart=no",
               f"--toggle-collect={TOGGLE}", binary, "--quick", "--only", workload, "--precision", precision,
               "--optimizer", optimizer]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"callgrind failed for {workload} {precision}:\n{run.stderr[-2000:]}")
        match = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
        if not match:
            sys.exit(f"no instruction count in callgrind output for {workload} {precision}")
        count = int(match.group(1).replace(",", ""))
        if count < 1000:
            sys.exit(f"callgrind counted only {count} instructions for {workload}: the toggle "
                     f"pattern {TOGGLE} no longer matches Network.train")
        return count


def allocations(binary):
    """Heap allocations per training step (full-size W1 and W5, f64 and f32;
    plain SGD, then each optimiser of OPTIMIZER_ALLOCATIONS)."""
    out = {}
    for optimizer in ["sgd"] + OPTIMIZER_ALLOCATIONS:
        for precision in PRECISIONS:
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                subprocess.run([binary, "--only", "W1,W5", "--precision", precision, "--optimizer", optimizer,
                                "--json", f.name], check=True, capture_output=True)
                for r in json.load(open(f.name)):
                    suffix = "" if optimizer == "sgd" else " " + optimizer
                    out[f"{r['name']} {precision}{suffix}"] = r["allocationsPerStep"]
    return out


def cpu_name():
    """The CPU as /proc/cpuinfo names it: model name and family (the model
    number varies within a generation; the family does not)."""
    name, family = platform.machine(), "?"
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "model name" and name == platform.machine():
                name = value
            elif key == "cpu family" and family == "?":
                family = value
    except OSError:
        pass
    return f"{name} (family {family})"


def machine_key(gemm):
    """The key of this machine's GEMM ratios: CPU, our kernels, OpenBLAS's core."""
    return (f"{cpu_name()}; ours: {gemm.get('our_kernels', '?')}; "
            f"OpenBLAS: {gemm.get('openblas_core', '?')}")


def measure(path, only=None):
    # valgrind 3.19 cannot read the DWARF 5 the Swift toolchain emits: count
    # instructions on a copy without debug information.
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "BackpropBench")
        shutil.copy(BENCH, binary)
        subprocess.run(["strip", "-g", binary], check=True)
        counts = {f"{w} {p}": instructions(binary, w, p)
                  for w in (only or WORKLOADS) for p in PRECISIONS}
        counts.update({f"{w} {p} {o}": instructions(binary, w, p, o)
                       for w in (only or WORKLOADS) for o in OPTIMIZER_COUNTS.get(w, []) for p in PRECISIONS})
        allocs = allocations(binary)
    ratios = {}
    if os.path.exists(GEMM_JSON):
        gemm = json.load(open(GEMM_JSON))
        ratios[machine_key(gemm)] = machine = {}
        for r in gemm["results"]:
            machine[f"{r['precision']} {r['variant']} n={r['n']} 1T"] = r["ratio_1t"]
            if "scaling_2t_over_1t" in r:
                machine[f"{r['precision']} {r['variant']} n={r['n']} 2T/1T"] = r["scaling_2t_over_1t"]
    figures = {"instructions": counts, "gemm_ratio_vs_openblas": ratios, "allocations_per_step": allocs}
    if os.path.exists(OPTIMIZERS_JSON):
        figures["optimizer_step_cost"] = {
            f"{c['name']} {c['precision']} {c['threads']}T {o}/sgd": c["ratioBest"][o]
            for c in json.load(open(OPTIMIZERS_JSON)) for o in sorted(c["ratioBest"])}
    json.dump(figures, open(path, "w"), indent=2, sort_keys=True)
    print(f"wrote {path}")


def compare(base_path, new_path):
    base, new = json.load(open(base_path)), json.load(open(new_path))
    failures = []
    print(f"{'figure':44} {'baseline':>16} {'now':>16} {'change':>9}  verdict")
    for name, now in sorted(new["instructions"].items()):
        was = base["instructions"].get(name)
        if was is None:
            print(f"{'instructions ' + name:44} {'-':>16} {now:>16,} {'':>9}  new (no baseline)")
            continue
        change = (now - was) / was
        bad = change > INSTRUCTION_TOLERANCE
        print(f"{'instructions ' + name:44} {was:>16,} {now:>16,} {change:>+8.1%}  {'REGRESSION' if bad else 'ok'}")
        if bad:
            failures.append(f"instructions {name}: {was:,} -> {now:,} ({change:+.1%} > {INSTRUCTION_TOLERANCE:.0%})")
    unmatched = []
    for key, ratios in sorted(new["gemm_ratio_vs_openblas"].items()):
        known = base["gemm_ratio_vs_openblas"].get(key)
        print(f"GEMM ratios on {key}" + ("" if known else ": no baseline for this machine"))
        if not known:
            unmatched.append(key)
        for name, now in sorted(ratios.items()):
            failures += compare_ratio(name, now, (known or {}).get(name), gated=known is not None)
    for name, now in sorted(new["allocations_per_step"].items()):
        bad = now is not None and now != 0
        print(f"{'allocations/step ' + name:44} {'0':>16} {str(now):>16} {'':>9}  {'REGRESSION' if bad else 'ok'}")
        if bad:
            failures.append(f"allocations per step {name}: {now}")
    for name, now in sorted(new.get("optimizer_step_cost", {}).items()):
        verdict = "info: within target" if now <= STEP_COST_TARGET else "info: above target"
        print(f"{'step cost ' + name:44} {'≤ ' + str(STEP_COST_TARGET):>16} {now:>16.3f} {'':>9}  {verdict}")
    for key in unmatched:
        print(f"\nGEMM ratios not gated: the baseline has none for this machine ({key}); it has "
              f"{', '.join(sorted(base['gemm_ratio_vs_openblas'])) or 'none'}. "
              "`make bench-update` records this machine's.")
    if failures:
        print("\nperformance regression:\n  " + "\n  ".join(failures))
        return 1
    print("\nno regression beyond the thresholds")
    return 0


def compare_ratio(name, now, was, gated):
    """Prints one GEMM ratio's row; returns its failure, if any."""
    change = (now - was) / was if was else 0.0
    # 2-thread scaling needs the second core free: another process on it
    # halves the figure, so it is reported, not gated.
    informational = "2T/1T" in name or not gated
    n = int(re.search(r"n=(\d+)", name).group(1))
    tolerance = RATIO_TOLERANCE_SMALL if n <= SMALL_N else RATIO_TOLERANCE
    bad = was is not None and change < -tolerance and not informational
    verdict = "info" if informational else ("REGRESSION" if bad else "ok")
    shown = f"{was:>16.3f}" if was is not None else f"{'-':>16}"
    print(f"{'gemm ' + name:44} {shown} {now:>16.3f} {change:>+8.1%}  {verdict}")
    return [f"GEMM ratio {name}: {was:.3f} -> {now:.3f} ({change:+.1%} < -{tolerance:.0%})"] if bad else []


def update(base_path):
    """Measures, then writes the baseline: this run's instruction counts and
    allocations, this machine's GEMM ratios, other machines' ratios as they were."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "fresh.json")
        measure(fresh)
        figures = json.load(open(fresh))
    if os.path.exists(base_path):
        kept = json.load(open(base_path)).get("gemm_ratio_vs_openblas", {})
        kept.update(figures["gemm_ratio_vs_openblas"])
        figures["gemm_ratio_vs_openblas"] = kept
    figures.pop("optimizer_step_cost", None)   # reported, never a baseline
    json.dump(figures, open(base_path, "w"), indent=2, sort_keys=True)
    print(f"wrote {base_path}")


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3].split(",") if len(sys.argv) == 4 else None)
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "update":
        update(sys.argv[2])
    else:
        sys.exit(__doc__)
