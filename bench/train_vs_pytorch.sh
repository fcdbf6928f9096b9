#!/usr/bin/env bash
# Training throughput, scalelab vs PyTorch, on the CPU (issue 2, "Benchmark").
#
# Trains the same GPT-2 model (fp32, AdamW, global-norm clipping, random byte tokens,
# vocab 256) in scalelab (build/bench/bench_train_step) and in PyTorch
# (bench/train_pytorch.py, Debian's python3-torch 1.13 with OpenBLAS), both with the same
# thread count, and prints per shape: tokens/s of each, the ratio, scalelab's achieved
# GFLOP/s and its fraction of the measured sgemm ceiling (bench/bench_sgemm_ceiling).
#
# It does so once per SIMD path this CPU runs (issue 13), one table each, so an AVX-512
# machine measures the AVX2 path too. On each path both sides are held to that
# instruction set: scalelab's kernels by SCALELAB_SIMD, OpenBLAS (both sides' matrix
# products) by OPENBLAS_CORETYPE, PyTorch's own kernels by ATEN_CPU_CAPABILITY:
#   avx512  SCALELAB_SIMD=avx512, OpenBLAS as the environment has it, ATEN its own choice
#   avx2    SCALELAB_SIMD=avx2,   OPENBLAS_CORETYPE=Haswell,           ATEN avx2
#   sse4    SCALELAB_SIMD=sse4,   OPENBLAS_CORETYPE=Nehalem,           ATEN default
#   scalar  SCALELAB_SIMD=scalar, OPENBLAS_CORETYPE=Nehalem,           ATEN default
# (PyTorch 1.13 picks AVX2 for its own kernels even on AVX-512 CPUs; it is left to its own
# best choice on the top path. scalar has no real CPU of its own: it measures the kernels
# without vectors.)
# FLOPs are the full count of Hoffmann et al. 2022, appendix F (model/accounting.h
# count_flops().per_token_full): every matmul including attention and output logits,
# backward = 2 x forward.
#
#   bench/train_vs_pytorch.sh                      # the three shapes of issue 2, every path
#   THREADS=2 STEPS=20 WARMUP=3 REPEATS=2 BUILD_DIR=build bench/train_vs_pytorch.sh
#   PATHS="avx512 avx2" bench/train_vs_pytorch.sh  # some paths only
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
if ! cmake --build "$BUILD_DIR" --target scalelab bench_train_step bench_sgemm_ceiling -j "$THREADS" \
     >"$build_log" 2>&1; then
  cat "$build_log" >&2
  echo "train_vs_pytorch.sh: building scalelab, bench_train_step and bench_sgemm_ceiling in $BUILD_DIR failed" >&2
  exit 1
fi

# The SIMD paths to measure: PATHS, or every path this CPU runs (scalelab info).
available="$(SCALELAB_SIMD=auto "$BUILD_DIR/scalelab" info --json | "$PY" -c \
             'import json, sys; print(" ".join(json.load(sys.stdin)["simd_paths_available"]))')"
read -r -a PATH_LIST <<<"${PATHS:-$available}"
env_coretype="${OPENBLAS_CORETYPE:-}"
blas_for() {  # OPENBLAS_CORETYPE for a path ("" = as the environment has it)
  case "$1" in
    avx2) echo Haswell ;;
    sse4 | scalar) echo Nehalem ;;
    *) echo "$env_coretype" ;;
  esac
}
aten_for() {  # ATEN_CPU_CAPABILITY for a path ("" = PyTorch's own choice)
  case "$1" in
    avx512) echo "" ;;
    avx2) echo avx2 ;;
    *) echo default ;;
  esac
}
with_path() {  # run a command with the path's three settings
  local path="$1" core aten
  shift
  core="$(blas_for "$path")"
  aten="$(aten_for "$path")"
  (
    unset OPENBLAS_CORETYPE ATEN_CPU_CAPABILITY
    [ -n "$core" ] && export OPENBLAS_CORETYPE="$core"
    [ -n "$aten" ] && export ATEN_CPU_CAPABILITY="$aten"
    SCALELAB_SIMD="$path" "$@"
  )
}

export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (${THREADS} threads per run, $(nproc) cores)"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); SIMD flags:" \
     "$(grep -m1 -o -w 'avx512[a-z_0-9]*\|avx2\|fma\|sse4_2\|asimd\|sve' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "OPENBLAS_CORETYPE in the environment: ${env_coretype:-unset}; paths measured: ${PATH_LIST[*]}"

# Field after a key in the machine line of a program's output ("key value").
field() { awk -v k="$2" '{ for (i = 1; i < NF; ++i) if ($i == k) print $(i + 1) }' <<<"$1" | tail -n1; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

# The ceiling is measured before every shape and the best kept: on a shared machine a
# single measurement can land in a busy moment (bench/sgemm_ceiling.cpp).
measure_ceiling() {
  local out
  out="$(with_path "$1" "$BUILD_DIR/bench/bench_sgemm_ceiling" --threads "$THREADS" --seconds 0.5)"
  echo "$out" | tail -n1
  ceiling="$(best "$(field "$out" sgemm_ceiling_gflops)" "$ceiling")"
}

tables=()
for path in "${PATH_LIST[@]}"; do
  echo
  echo "== SIMD path $path: SCALELAB_SIMD=$path OPENBLAS_CORETYPE=$(blas_for "$path" | sed 's/^$/(unset)/')" \
       "ATEN_CPU_CAPABILITY=$(aten_for "$path" | sed 's/^$/(unset)/')"
  ceiling=0
  rows=()
  blas_core=""
  for shape in "${SHAPES[@]}"; do
    read -r L C NH T B <<<"$shape"
    measure_ceiling "$path"
    sl_tps=0; sl_gf=0; pt_tps=0
    for ((r = 0; r < REPEATS; ++r)); do
      out="$(with_path "$path" "$BUILD_DIR/bench/bench_train_step" --n_layer "$L" --d_model "$C" --n_head "$NH" \
             --seq_len "$T" --batch "$B" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")"
      echo "$out" | head -n1
      if [ "$(field "$out" simd)" != "$path" ]; then
        echo "train_vs_pytorch.sh: bench_train_step ran the $(field "$out" simd) path, not $path" >&2
        exit 1
      fi
      blas_core="$(field "$out" blas)"
      tps="$(field "$out" tokens_per_s)"
      if [ "$(best "$tps" "$sl_tps")" = "$tps" ]; then sl_tps="$tps"; sl_gf="$(field "$out" gflops)"; fi
      out="$(with_path "$path" "$PY" "$ROOT/bench/train_pytorch.py" --n_layer "$L" --d_model "$C" --n_head "$NH" \
             --seq_len "$T" --batch "$B" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")"
      echo "$out" | head -n1
      pt_cap="$(field "$out" capability)"
      pt_tps="$(best "$(field "$out" tokens_per_s)" "$pt_tps")"
    done
    rows+=("$L $C $NH $T $B $sl_tps $pt_tps $sl_gf")
  done
  measure_ceiling "$path"
  table="GPT training on the CPU, SIMD path $path (OpenBLAS $blas_core kernels for both; PyTorch's own kernels $pt_cap), fp32, AdamW, ${THREADS} threads, ${STEPS} steps after ${WARMUP} warm-up (best of ${REPEATS}); GFLOP/s by the full count of Hoffmann et al. 2022, app. F; sgemm ceiling ${ceiling} GFLOP/s (best cblas_sgemm product, bench/sgemm_ceiling.cpp)"
  table+=$'\n'"$(printf '%-22s %14s %14s %7s %10s %9s' "(L, C, NH, T, B)" "scalelab tok/s" "PyTorch tok/s" "ratio" \
                 "GFLOP/s" "%ceiling")"
  for row in "${rows[@]}"; do
    read -r L C NH T B sl pt gf <<<"$row"
    table+=$'\n'"$(awk -v s="($L, $C, $NH, $T, $B)" -v sl="$sl" -v pt="$pt" -v gf="$gf" -v ce="$ceiling" 'BEGIN {
      printf "%-22s %14.0f %14.0f %6.2fx %10.1f %8.1f%%", s, sl, pt, sl / pt, gf, 100 * gf / ce }')"
  done
  tables+=("$table")
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for table in "${tables[@]}"; do
  echo
  echo "$table"
done
