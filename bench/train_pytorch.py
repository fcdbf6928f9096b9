#!/usr/bin/python3
"""PyTorch's training throughput on one GPT shape, the peer of bench/bench_train_step.

The model is tests/parity/torch_gpt.py, the module whose parity with scalelab is tested
(tests/backend/test_parity.cpp), so both sides train the same architecture: fp32, GELU
tanh, hand-written causal attention (torch 1.13 has no scaled_dot_product_attention),
tied readout. Each step is the usual loop a PyTorch user writes, matching scalelab's step:
    zero_grad(set_to_none); loss = model(x, y); backward; clip_grad_norm_(1.0); AdamW step
with torch.optim.AdamW (foreach=True: the multi-tensor implementation), decay on the four
hidden matrices only, on random tokens.

    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 python3 bench/train_pytorch.py \\
        --n_layer 6 --d_model 256 --n_head 8 --seq_len 256 --batch 8 --steps 20 --warmup 3

prints a human line and a machine line `train_pytorch tokens_per_s <x> ms_per_step <y>`.
"""

import argparse
import os
import sys
import time

try:
    import torch
except ImportError:
    sys.exit("train_pytorch.py needs PyTorch: apt-get install python3-torch (Debian 12)")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity"))
from torch_gpt import Gpt, GptConfig  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="PyTorch GPT training throughput (tokens/s)")
    for k, v in [("n_layer", 2), ("d_model", 64), ("n_head", 2), ("seq_len", 128), ("batch", 16),
                 ("vocab", 256), ("steps", 20), ("warmup", 3), ("threads", 2)]:
        ap.add_argument("--" + k, type=int, default=v)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)

    model = Gpt(GptConfig(a.n_layer, a.d_model, a.n_head, a.seq_len, a.vocab))
    with torch.no_grad():  # GPT-2 init (the values do not change the speed)
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.02)
    opt = torch.optim.AdamW(model.param_groups(3e-4, 0.1), betas=(0.9, 0.95), eps=1e-8, foreach=True)
    B, T = a.batch, a.seq_len

    def step():
        seq = torch.randint(0, a.vocab, (B, T + 1))
        x, y = seq[:, :-1], seq[:, 1:]
        opt.zero_grad(set_to_none=True)
        loss, _ = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    secs = time.perf_counter() - t0
    tps = B * T * a.steps / secs
    # The instruction set of PyTorch's own kernels (ATEN_CPU_CAPABILITY pins it).
    capability = next((line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                       if "CPU capability usage" in line), "unknown").replace(" ", "_")
    print(f"pytorch {torch.__version__} L={a.n_layer} C={a.d_model} NH={a.n_head} T={T} B={B} V={a.vocab} "
          f"threads={torch.get_num_threads()} capability={capability}: {a.steps} steps in {secs:.3f} s, "
          f"loss {loss:.4f}, {tps:.0f} tokens/s")
    print(f"train_pytorch tokens_per_s {tps:.1f} ms_per_step {1e3 * secs / a.steps:.3f} capability {capability}")


if __name__ == "__main__":
    main()
