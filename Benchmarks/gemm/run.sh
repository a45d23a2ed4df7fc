#!/usr/bin/env bash
# run.sh BENCH_BINARY RESULTS_DIR [args...] — runs the GEMM benchmark
# against OpenBLAS with OPENBLAS_NUM_THREADS=1 (the 2-thread columns set
# their own count through openblas_set_num_threads).
#
# OpenBLAS picks its kernels by core type once, at load time, so each
# setting needs its own process. OPENBLAS_CORETYPE is kept only if it does
# not slow OpenBLAS down: both settings are probed (dgemm n = 512, best of
# 3 probes) and the main comparison, RESULTS_DIR/gemm.json, runs with the
# faster one. When the environment forces a core type and the faster
# OpenBLAS is another one (e.g. Haswell forced on a CPU where OpenBLAS
# would pick an AVX-512 core), the same-ISA comparison against the forced
# core is written too, to RESULTS_DIR/gemm_openblas_<core>.json.
#
# OPENBLAS_THREAD_TIMEOUT=20: after a 2-thread call OpenBLAS's worker keeps
# spinning for 2^n cycles (default n = 28, about 0.07 s here) before it
# sleeps. Within a sample the calls follow each other closely, so 2^20
# cycles (~0.25 ms) costs OpenBLAS nothing there; but the default left the
# worker spinning on the second core while the next round timed our
# 2-thread product, which then measured ~0.95× our 1-thread time.
set -euo pipefail
bin=$1; out=$2; shift 2
export OPENBLAS_NUM_THREADS=1
export OPENBLAS_THREAD_TIMEOUT=20
probe() { local best=0 core="" r g; for _ in 1 2 3; do
            r=$("$@" --probe); g=${r%% *}
            if awk "BEGIN{exit !($g > $best)}"; then best=$g; core=${r#* }; fi
          done; echo "$best $core"; }
forced=${OPENBLAS_CORETYPE:-}
if [ -z "$forced" ]; then
  exec "$bin" --json "$out/gemm.json" "$@"
fi
with=$(probe "$bin"); without=$(probe env -u OPENBLAS_CORETYPE "$bin")
echo "# OpenBLAS dgemm n=512, 1 thread: OPENBLAS_CORETYPE=$forced -> ${with#* } ${with%% *} GFLOP/s;" \
     "unset -> ${without#* } ${without%% *} GFLOP/s"
if awk "BEGIN{exit !(${without%% *} > ${with%% *})}"; then
  echo "# main comparison: OPENBLAS_CORETYPE unset (OpenBLAS is faster that way)"
  env -u OPENBLAS_CORETYPE "$bin" --json "$out/gemm.json" "$@"
  core=$(echo "${with#* }" | tr 'A-Z' 'a-z')
  echo
  echo "# same-ISA comparison: OPENBLAS_CORETYPE=$forced (as set in the environment)"
  "$bin" --json "$out/gemm_openblas_${core}.json" "$@"
else
  echo "# main comparison: OPENBLAS_CORETYPE=$forced kept (it does not slow OpenBLAS)"
  "$bin" --json "$out/gemm.json" "$@"
fi
