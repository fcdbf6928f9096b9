#!/usr/bin/env bash
# bench/gpu_train_vs_pytorch.sh: GPT-2 124M training throughput on one GPU, scalelab's CUDA
# backend (bf16) beside PyTorch (bf16 autocast, fused AdamW, scaled_dot_product_attention)
# eager and under torch.compile (issue 5). Run it ON THE GPU MACHINE from the repo root,
# after scripts/gpu_bundle built .gpu-bundle/ here; it needs no Debian package there, only
# the machine's CUDA toolkit libraries, nvidia-smi and its PyTorch. The device tool call:
#
#   run(command="bash bench/gpu_train_vs_pytorch.sh 2>&1 | tee ${OUT:-/tmp}/gpu_bench.log",
#       carry=[".gpu-bundle"], timeout_s=600)
#
# (scripts/gpu_check runs the GPU tests, a short training run and then this script.)
#
#   bench/gpu_train_vs_pytorch.sh [PATH_TO_bench_train_step]   # default: the bundle's, unpacked
#                                                              # by scripts/gpu_check --unpack
#   STEPS=20 WARMUP=5 PEAK_TFLOPS=790 PYTHON=python3 bench/gpu_train_vs_pytorch.sh
#
# Both sides train the same model: n_layer 12, d_model 768, n_head 12, seq_len 1024,
# vocab 50257 (GPT-2's, unpadded, on both sides), tied embeddings, GELU tanh, pre-LN,
# biases; random tokens; per step zero_grad, forward+backward, global-norm clipping to 1,
# AdamW. WARMUP untimed steps, then STEPS timed ones, each side at the largest micro-batch
# that fits (searched downward; an out-of-memory run exits non-zero on scalelab's side and
# raises torch.cuda.OutOfMemoryError on PyTorch's).
#
# MFU = tokens/s x (6 N + 6 L C T) / peak, N = every parameter (124,439,808 here), the
# convention of llm.c's gpt2_estimate_mfu; peak = this card's measured bf16 matmul rate
# (an 8192^3 torch.matmul, bench/gpu/train_torch_gpu.py --measure-peak), not the datasheet.
# Targets on an H100: scalelab >= 1.0x torch.compile's tokens/s (aim 1.15x), MFU >= 50%.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${1:-${SCALELAB_GPU_BUNDLE:-/tmp/scalelab-gpu-bundle}/bin/bench_train_step}"
STEPS="${STEPS:-20}"
WARMUP="${WARMUP:-5}"
BATCHES="${BATCHES:-64 48 32 24 16 12 8 4 2 1}"
MODEL=(--n_layer 12 --d_model 768 --n_head 12 --seq_len 1024 --vocab 50257)
TORCH_PY="$root/bench/gpu/train_torch_gpu.py"

die() { echo "gpu_train_vs_pytorch.sh: $*" >&2; exit 1; }
field() { awk -v k="$2" '{ for (i = 1; i < NF; ++i) if ($i == k) v = $(i + 1) } END { print v }' <<<"$1"; }

# The default binary is the bundle's, which scripts/gpu_check unpacks from .gpu-bundle/.
if [[ $# -eq 0 && ! -x "$BENCH" && -f "$root/.gpu-bundle/scalelab-gpu.tar.xz" ]]; then
  bash "$root/scripts/gpu_check" --unpack >/dev/null
fi
[[ -x "$BENCH" ]] || die "no bench_train_step at $BENCH (build it here with scripts/gpu_bundle and carry .gpu-bundle)"
# PyTorch: python3 on the GPU machine; its venv's interpreter when python3 is another one.
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  [[ -x /opt/torch/.venv/bin/python3 ]] && PYTHON=/opt/torch/.venv/bin/python3
  "$PYTHON" -c "import torch" 2>/dev/null || die "no python3 with PyTorch (set PYTHON)"
fi
# scalelab's programs get the bundle's libraries and the toolkit's CUDA libraries; nothing
# else does (python3 must keep its own libstdc++ and BLAS).
cuda_lib=""
for d in "${CUDA_HOME:-/usr/local/cuda}/lib64" /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda/lib \
  /usr/local/cuda-13*/lib64 /usr/local/cuda-13*/targets/x86_64-linux/lib; do
  if [[ -e "$d/libcublasLt.so.13" && -e "$d/libcudart.so.13" ]]; then cuda_lib="$d"; break; fi
done
[[ -n "$cuda_lib" ]] || echo "gpu_train_vs_pytorch.sh: WARNING: no CUDA 13 libcudart/libcublasLt found; relying on the loader's default paths" >&2
bundle_lib="$(cd "$(dirname "$BENCH")/.." && pwd)/lib"
scalelab_env=(env "LD_LIBRARY_PATH=$bundle_lib${cuda_lib:+:$cuda_lib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")

echo "== gpu_train_vs_pytorch.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,utilization.gpu \
  --format=csv 2>/dev/null || echo "(nvidia-smi not available)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); python: $PYTHON; CUDA libs: ${cuda_lib:-default}"

# 1. The ceiling: this card's bf16 matmul rate.
if [[ -z "${PEAK_TFLOPS:-}" ]]; then
  out="$("$PYTHON" "$TORCH_PY" --measure-peak --mode none 2>&1)" || { echo "$out"; die "measuring the bf16 matmul rate failed"; }
  echo "$out"
  PEAK_TFLOPS="$(field "$out" bf16_matmul_tflops)"
fi
[[ -n "$PEAK_TFLOPS" ]] || die "no bf16_matmul_tflops figure"
echo "bf16 matmul ceiling: $PEAK_TFLOPS TFLOP/s (8192^3, torch.matmul)"

# 2. scalelab, bf16, the largest micro-batch that fits.
sl_line="" sl_batch=""
for B in $BATCHES; do
  out="$("${scalelab_env[@]}" "$BENCH" --device cuda --precision bf16 "${MODEL[@]}" --batch "$B" --steps "$STEPS" \
    --warmup "$WARMUP" --peak-tflops "$PEAK_TFLOPS" 2>&1)"
  rc=$?
  if ((rc == 0)) && grep -q '^train_step ' <<<"$out"; then
    echo "$out"
    sl_line="$(grep '^train_step ' <<<"$out")" sl_batch="$B"
    break
  fi
  echo "scalelab batch $B: exit $rc: $(grep -v '^$' <<<"$out" | tail -n1)"
done
[[ -n "$sl_line" ]] || echo "gpu_train_vs_pytorch.sh: scalelab ran at no batch size" >&2

# 3. PyTorch eager, then torch.compile starting from eager's fit (each compile try costs a
# minute or so). A separate process per mode: a failure of one leaves the other's figures.
run_torch() {  # mode start_batch timeout_s
  timeout "$3" "$PYTHON" "$TORCH_PY" --mode "$1" --batch 0 --start-batch "$2" --steps "$STEPS" --warmup "$WARMUP" \
    --peak-tflops "$PEAK_TFLOPS" "${MODEL[@]}" 2>&1
}
out="$(run_torch eager 64 150)" || echo "(torch eager exited $?)"
echo "$out" | grep -v '^\s*$' | tail -n 8
eager_line="$(grep '^torch_gpu mode eager ' <<<"$out" | tail -n1)"
eager_batch="$(field "$eager_line" batch)"
out="$(run_torch compile "${eager_batch:-64}" 270)" || echo "(torch compile exited $?)"
echo "$out" | grep -v '^\s*$' | tail -n 8
compile_line="$(grep '^torch_gpu mode compile ' <<<"$out" | tail -n1)"

# 4. The table. scalelab's machine line: tokens_per_s, mfu (a fraction), peak_mib.
echo
echo "GPT-2 124M (L 12, C 768, NH 12, T 1024, V 50257), $STEPS steps after $WARMUP, bf16; MFU against $PEAK_TFLOPS TFLOP/s"
row() {  # name batch line
  if [[ -z "$3" ]]; then printf '| %-16s | %5s | %12s | %6s | %9s |\n' "$1" "-" "failed" "-" "-"; return; fi
  awk -v n="$1" -v b="$2" -v t="$(field "$3" tokens_per_s)" -v m="$(field "$3" mfu)" -v p="$(field "$3" peak_mib)" \
    'BEGIN { printf "| %-16s | %5s | %12.0f | %5.1f%% | %9.0f |\n", n, b, t, 100 * m, p }'
}
echo "| run              | batch |     tokens/s |    MFU |  peak MiB |"
echo "| ---------------- | ----: | -----------: | -----: | --------: |"
row "scalelab bf16" "$sl_batch" "$sl_line"
row "torch eager" "$eager_batch" "$eager_line"
row "torch compile" "$(field "$compile_line" batch)" "$compile_line"
ratio() { awk -v a="$(field "$1" tokens_per_s)" -v b="$(field "$2" tokens_per_s)" 'BEGIN { if (a > 0 && b > 0) printf "%.3fx", a / b; else printf "n/a" }'; }
r_eager="$(ratio "$sl_line" "$eager_line")"
r_compile="$(ratio "$sl_line" "$compile_line")"
sl_mfu="$(awk -v m="$(field "$sl_line" mfu)" 'BEGIN { if (m != "") printf "%.1f%%", 100 * m; else printf "n/a" }')"
echo
echo "scalelab / torch eager:   ${r_eager}"
echo "scalelab / torch compile: ${r_compile}   (target >= 1.00x, aim 1.15x)"
echo "scalelab MFU:             ${sl_mfu}   (target >= 50%)"
echo "gpu_bench scalelab_tokens_per_s $(field "$sl_line" tokens_per_s) eager_tokens_per_s $(field "$eager_line" tokens_per_s)" \
  "compile_tokens_per_s $(field "$compile_line" tokens_per_s) ratio_eager $r_eager ratio_compile $r_compile" \
  "scalelab_mfu $(field "$sl_line" mfu) peak_tflops $PEAK_TFLOPS"
[[ -n "$sl_line" ]]  # exit status: whether scalelab produced its figure
