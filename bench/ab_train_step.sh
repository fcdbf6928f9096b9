#!/usr/bin/env bash
# A/B of two builds of bench_train_step on the same shapes, interleaved in one run: did a
# change make training faster or slower on this machine? Each side runs REPEATS times per
# shape, alternating A, B, A, B (so a busy moment hits both), and the best of each is kept.
#
#   bench/ab_train_step.sh OLD_BIN NEW_BIN                      # the three shapes of issue 2
#   A_ENV="OPENBLAS_CORETYPE=Haswell" B_ENV="SCALELAB_SIMD=avx2 OPENBLAS_CORETYPE=Haswell" \
#     bench/ab_train_step.sh old/bench_train_step build/bench/bench_train_step
#   bench/ab_train_step.sh OLD NEW "2 64 2 128 16"              # own shapes: "L C NH T B" ...
# A_ENV and B_ENV are extra environment settings for each side (e.g. a SIMD path pinned on
# one side only). THREADS (2), STEPS (20), WARMUP (3), REPEATS (3).
set -euo pipefail
if [ "$#" -lt 2 ]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
A="$1"; B="$2"; shift 2
for bin in "$A" "$B"; do
  [ -x "$bin" ] || { echo "ab_train_step.sh: $bin: not an executable (build bench_train_step first)" >&2; exit 2; }
done
THREADS="${THREADS:-2}" STEPS="${STEPS:-20}" WARMUP="${WARMUP:-3}" REPEATS="${REPEATS:-3}"
if [ "$#" -gt 0 ]; then SHAPES=("$@"); else SHAPES=("2 64 2 128 16" "4 128 4 128 16" "6 256 8 256 8"); fi
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
read -r -a a_env <<<"${A_ENV:-}"
read -r -a b_env <<<"${B_ENV:-}"

tps() {  # tokens/s of one run: tps BIN ENV... -- ARGS...
  local bin="$1"; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$bin" "$@" | awk '/^train_step/ { for (i = 1; i < NF; ++i) if ($i == "tokens_per_s") print $(i + 1) }'
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

echo "A: ${A_ENV:-} $A"
echo "B: ${B_ENV:-} $B"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); ${THREADS} threads, ${STEPS} steps after ${WARMUP}, best of ${REPEATS}"
printf '%-22s %12s %12s %8s\n' "(L, C, NH, T, B)" "A tok/s" "B tok/s" "B / A"
for shape in "${SHAPES[@]}"; do
  read -r L C NH T Bt <<<"$shape"
  args=(--n_layer "$L" --d_model "$C" --n_head "$NH" --seq_len "$T" --batch "$Bt" --steps "$STEPS" --warmup "$WARMUP"
        --threads "$THREADS")
  ba=0; bb=0
  for ((r = 0; r < REPEATS; ++r)); do
    ba="$(best "$(tps "$A" "${a_env[@]}" -- "${args[@]}")" "$ba")"
    bb="$(best "$(tps "$B" "${b_env[@]}" -- "${args[@]}")" "$bb")"
  done
  awk -v s="($L, $C, $NH, $T, $Bt)" -v a="$ba" -v b="$bb" 'BEGIN { printf "%-22s %12.0f %12.0f %7.2fx\n", s, a, b, b / a }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
