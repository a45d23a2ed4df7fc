#!/usr/bin/env bash
# run.sh BENCH_BINARY [args...] — runs the GEMM benchmark with the fairest
# OpenBLAS setting: OPENBLAS_NUM_THREADS=1 (the 2-thread columns set their
# own count), and OPENBLAS_CORETYPE kept only if it does not slow OpenBLAS
# down (probed with dgemm n = 512 both ways, best of 3 probes each).
set -euo pipefail
bin=$1; shift
export OPENBLAS_NUM_THREADS=1
probe() { local best=0 core="" r; for _ in 1 2 3; do
            r=$("$@" --probe); g=${r%% *}
            if awk "BEGIN{exit !($g > $best)}"; then best=$g; core=${r#* }; fi
          done; echo "$best $core"; }
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
  with=$(probe "$bin"); without=$(probe env -u OPENBLAS_CORETYPE "$bin")
  echo "# OpenBLAS dgemm n=512: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE -> ${with} GFLOP/s; unset -> ${without} GFLOP/s"
  if awk "BEGIN{exit !(${without%% *} > ${with%% *})}"; then
    echo "# unsetting OPENBLAS_CORETYPE for the comparison (faster OpenBLAS)"
    unset OPENBLAS_CORETYPE
  fi
fi
exec "$bin" "$@"
