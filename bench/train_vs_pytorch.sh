#!/usr/bin/env bash
# Training throughput, scalelab vs PyTorch, on the CPU (issue 2, "Benchmark").
#
# Trains the same GPT-2 model (fp32, AdamW, global-norm clipping, random byte tokens,
# vocab 256) in scalelab (build/bench/bench_train_step) and in PyTorch
# (bench/train_pytorch.py, Debian's python3-torch 1.13 with OpenBLAS), both with the same
# thread count, and prints per shape: tokens/s of each, the ratio, scalelab's achieved
# GFLOP/s and its fraction of the measured sgemm ceiling (bench/bench_sgemm_ceiling).
# FLOPs are the full count of Hoffmann et al. 2022, appendix F (model/accounting.h
# count_flops().per_token_full): every matmul including attention and output logits,
# backward = 2 x forward.
#
#   bench/train_vs_pytorch.sh                      # the three shapes of issue 2
#   THREADS=2 STEPS=20 WARMUP=3 REPEATS=2 BUILD_DIR=build bench/train_vs_pytorch.sh
#   bench/train_vs_pytorch.sh "2 64 2 128 16"      # own shapes: "L C NH T B" ...
#
# Figures mean something only on an otherwise idle machine: the script prints the load
# average before and after. REPEATS > 1 keeps each side's best run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
THREADS="${THREADS:-2}"
STEPS="${STEPS:-20}"
WARMUP="${WARMUP:-3}"
REPEATS="${REPEATS:-1}"

if [ "$#" -gt 0 ]; then
  SHAPES=("$@")
else
  SHAPES=("2 64 2 128 16" "4 128 4 128 16" "6 256 8 256 8")
fi

# A Python that can import torch (Debian's python3-torch lives in /usr/bin/python3).
PY=""
for cand in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import torch" >/dev/null 2>&1; then
    PY="$cand"
    break
  fi
done
if [ -z "$PY" ]; then
  echo "train_vs_pytorch.sh: no python3 can import torch; install Debian's python3-torch" \
       "(sudo apt-get install python3-torch) or set PYTHON=/path/to/python3" >&2
  exit 2
fi

if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! cmake --build "$BUILD_DIR" --target bench_train_step bench_sgemm_ceiling -j "$THREADS" >"$build_log" 2>&1; then
  cat "$build_log" >&2
  echo "train_vs_pytorch.sh: building bench_train_step and bench_sgemm_ceiling in $BUILD_DIR failed" >&2
  exit 1
fi

export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (${THREADS} threads per run, $(nproc) cores)"
echo "OpenBLAS kernels: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset (chosen from the CPU)}, the same for both sides"

# Field after a key in the machine line of a program's output ("key value").
field() { awk -v k="$2" '{ for (i = 1; i < NF; ++i) if ($i == k) print $(i + 1) }' <<<"$1" | tail -n1; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

# The ceiling is measured before every shape and the best kept: on a shared machine a
# single measurement can land in a busy moment (bench/sgemm_ceiling.cpp).
ceiling=0
measure_ceiling() {
  local out
  out="$("$BUILD_DIR/bench/bench_sgemm_ceiling" --threads "$THREADS" --seconds 0.5)"
  echo "$out" | tail -n1
  ceiling="$(best "$(field "$out" sgemm_ceiling_gflops)" "$ceiling")"
}

rows=()
for shape in "${SHAPES[@]}"; do
  read -r L C NH T B <<<"$shape"
  measure_ceiling
  sl_tps=0; sl_gf=0; pt_tps=0
  for ((r = 0; r < REPEATS; ++r)); do
    out="$("$BUILD_DIR/bench/bench_train_step" --n_layer "$L" --d_model "$C" --n_head "$NH" --seq_len "$T" \
           --batch "$B" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")"
    echo "$out" | head -n1
    tps="$(field "$out" tokens_per_s)"
    if [ "$(best "$tps" "$sl_tps")" = "$tps" ]; then sl_tps="$tps"; sl_gf="$(field "$out" gflops)"; fi
    out="$("$PY" "$ROOT/bench/train_pytorch.py" --n_layer "$L" --d_model "$C" --n_head "$NH" --seq_len "$T" \
           --batch "$B" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")"
    echo "$out" | head -n1
    pt_tps="$(best "$(field "$out" tokens_per_s)" "$pt_tps")"
  done
  rows+=("$L $C $NH $T $B $sl_tps $pt_tps $sl_gf")
done
measure_ceiling
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "GPT training on the CPU, fp32, AdamW, ${THREADS} threads, ${STEPS} steps after ${WARMUP} warm-up" \
     "(best of ${REPEATS}); GFLOP/s by the full count of Hoffmann et al. 2022, app. F;" \
     "sgemm ceiling ${ceiling} GFLOP/s (best cblas_sgemm product, bench/sgemm_ceiling.cpp)"
printf '%-22s %14s %14s %7s %10s %9s\n' "(L, C, NH, T, B)" "scalelab tok/s" "PyTorch tok/s" "ratio" "GFLOP/s" "%ceiling"
for row in "${rows[@]}"; do
  read -r L C NH T B sl pt gf <<<"$row"
  awk -v s="($L, $C, $NH, $T, $B)" -v sl="$sl" -v pt="$pt" -v gf="$gf" -v ce="$ceiling" 'BEGIN {
    printf "%-22s %14.0f %14.0f %6.2fx %10.1f %8.1f%%\n", s, sl, pt, sl / pt, gf, 100 * gf / ce }'
done
