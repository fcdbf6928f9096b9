#!/usr/bin/env python3
"""PyTorch's GPU training throughput on GPT-2 124M, the peer of `bench_train_step --device cuda`.

The model is GPT-2 small (Radford et al. 2019) as scalelab builds it (src/backend/gpt.h):
12 pre-LayerNorm blocks, d_model 768, 12 heads, context 1024, learned position embeddings,
GELU (tanh approximation) MLP of width 4C, biases on every linear and LayerNorm, the token
embedding tied to the readout. The vocabulary is exactly --vocab (default 50257, GPT-2's),
the same number scalelab is given: llm.c and nanoGPT pad it to 50304 for faster matrix
shapes, which would be a different (larger) model than the one scalelab trains.

Each step is what a competent PyTorch user writes (and what scalelab's step does):
    x, y = random tokens; with autocast(bf16): loss = model(x, y); loss.backward()
    clip_grad_norm_(1.0); AdamW step (fused=True); zero_grad(set_to_none=True)
with bf16 autocast (fp32 master weights, as scalelab's bf16 mode), F.scaled_dot_product_
attention(is_causal=True) (flash attention on Hopper), torch.optim.AdamW(fused=True),
betas (0.9, 0.95), weight decay 0.1 on the 2-D weights (GPT-2/nanoGPT; scalelab decays the
four hidden matrices of each block, the embeddings not: the fused update does the same
work either way). Two modes: eager, and the module under torch.compile (inductor).

    python3 bench/gpu/train_torch_gpu.py --measure-peak          # bf16_matmul_tflops X
    python3 bench/gpu/train_torch_gpu.py --mode eager --batch 0 --peak-tflops 790
    python3 bench/gpu/train_torch_gpu.py --device cpu --tiny      # shape check, any torch
On the GPU machine, alone, through the device tool:
    run(command="python3 bench/gpu/train_torch_gpu.py --measure-peak --mode both", timeout_s=600)
bench/gpu_train_vs_pytorch.sh runs it beside scalelab.

prints, per mode, a human line and a machine line
    torch_gpu mode <eager|compile> batch B tokens_per_s X mfu Y peak_mib Z ms_per_step W
MFU = tokens/s x (6 N + 6 L C T) / peak, with N every parameter (the tied embedding counted
once, the position embedding included), the convention of llm.c's gpt2_estimate_mfu and of
bench_train_step; peak is --peak-tflops (the measured bf16 matmul rate) or else, on the
GPU, the rate measured in this process first (as --measure-peak does). peak_mib is
torch.cuda.max_memory_allocated (MiB = 2^20 bytes) over the timed mode.

--batch 0 finds the largest micro-batch that fits: it tries 64, 48, 32, 24, 16, 12, 8, 6,
4, 2, 1 (from --start-batch down; in --mode both, compile from eager's fit down), catching
torch.cuda.OutOfMemoryError, and reports the first that runs; --batch B runs B only.
"""

import argparse
import gc
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("train_torch_gpu.py needs PyTorch (the GPU machine's python3 has it)")

BATCHES = [64, 48, 32, 24, 16, 12, 8, 6, 4, 2, 1]


class Config:
    def __init__(self, n_layer, d_model, n_head, seq_len, vocab):
        assert d_model % n_head == 0, "d_model must be divisible by n_head"
        self.n_layer, self.d_model, self.n_head, self.seq_len, self.vocab = n_layer, d_model, n_head, seq_len, vocab


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)  # (3C, C): [q | k | v], head h at columns h*hs
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        # (B, T, 3C) -> three (B, NH, T, hs)
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in self.qkv(x).split(C, dim=2))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch < 2.0 (Debian's 1.13, the --device cpu shape check only): the same function
            s = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            y = s.masked_fill(~mask, float("-inf")).softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg.d_model
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)  # eps 1e-5, weight and bias
        self.attn = CausalSelfAttention(cfg)
        self.fc, self.fc_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab, cfg.d_model)  # (V, C), also the readout
        self.wpe = nn.Embedding(cfg.seq_len, cfg.d_model)  # (T, C)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        # GPT-2 initialisation: N(0, 0.02) weights, zero biases, unit LayerNorm gains; the
        # residual projections scaled by 1/sqrt(2 L) (Radford et al. 2019, sec. 2.3). The
        # values do not change the speed.
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * cfg.n_layer) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)  # (B, T, V), tied readout
        # autocast runs cross_entropy in fp32 (it is on its fp32 list), as scalelab's
        # fused classifier accumulates in fp32.
        return F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))


def num_params(model):
    return sum(p.numel() for p in model.parameters())  # parameters() yields a shared tensor once


def make_optimizer(model, device):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}]
    kw = {"fused": True} if device == "cuda" else {}
    return torch.optim.AdamW(groups, lr=3e-4, betas=(0.9, 0.95), eps=1e-8, **kw)


class Trainer:
    """One model and optimizer at micro-batch B; step() is one training step."""

    def __init__(self, cfg, B, mode, device):
        torch.manual_seed(1337)
        self.cfg, self.B, self.device = cfg, B, device
        self.model = Gpt(cfg).to(device)
        self.n_params = num_params(self.model)
        self.opt = make_optimizer(self.model, device)
        self.fwd = self.model
        if mode == "compile":
            if not hasattr(torch, "compile"):
                raise SystemExit("train_torch_gpu.py: torch.compile needs PyTorch >= 2.0")
            self.fwd = torch.compile(self.model)
        self.autocast_dtype = torch.bfloat16 if device == "cuda" else None

    def step(self):
        seq = torch.randint(0, self.cfg.vocab, (self.B, self.cfg.seq_len + 1), device=self.device)
        x, y = seq[:, :-1], seq[:, 1:]
        if self.autocast_dtype is not None:
            with torch.autocast(device_type=self.device, dtype=self.autocast_dtype):
                loss = self.fwd(x, y)
        else:
            loss = self.fwd(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return loss


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def release(device):
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        if hasattr(torch, "_dynamo"):
            torch._dynamo.reset()  # drop compiled graphs that hold the failed batch's buffers


def is_oom(e):
    oom = getattr(torch.cuda, "OutOfMemoryError", ())
    return (oom and isinstance(e, oom)) or "out of memory" in str(e).lower()


def measure_peak(n=8192, runs=10, warmup=3):
    """bf16 n^3 matrix product through torch.matmul (cuBLAS), 2 n^3 FLOPs each: TFLOP/s."""
    g = torch.Generator(device="cuda").manual_seed(0)
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16, generator=g)  # random, never zeros
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16, generator=g)
    for _ in range(warmup):
        torch.matmul(a, b)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(runs):
        torch.matmul(a, b)
    end.record()
    torch.cuda.synchronize()
    secs = start.elapsed_time(end) / 1e3 / runs
    del a, b
    torch.cuda.empty_cache()
    return 2.0 * n**3 / secs / 1e12


def run_mode(cfg, mode, B, steps, warmup, peak_tflops, device):
    """Times `steps` steps after `warmup`; prints the lines; returns False on out-of-memory."""
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t, oom = None, False
    try:
        t = Trainer(cfg, B, mode, device)
        for _ in range(warmup):  # compile mode compiles in the first step
            t.step()
        sync(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = t.step()
        sync(device)
        secs = time.perf_counter() - t0
    except (RuntimeError, MemoryError) as e:  # torch.cuda.OutOfMemoryError is a RuntimeError
        if not is_oom(e):
            raise
        oom = True  # released below, once the exception (and the frames it holds) is gone
    if oom:
        del t
        release(device)
        print(f"  batch {B} ({mode}): out of memory", flush=True)
        return False
    tps = B * cfg.seq_len * steps / secs
    flops_per_token = 6.0 * t.n_params + 6.0 * cfg.n_layer * cfg.d_model * cfg.seq_len
    tflops = tps * flops_per_token / 1e12
    mfu = tflops / peak_tflops if peak_tflops else float("nan")
    peak_mib = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0.0
    print(f"pytorch {torch.__version__} {mode} L={cfg.n_layer} C={cfg.d_model} NH={cfg.n_head} T={cfg.seq_len} "
          f"B={B} V={cfg.vocab} N={t.n_params}: {steps} steps in {secs:.3f} s, loss {loss.item():.4f}, "
          f"{tps:.0f} tokens/s, {tflops:.1f} TFLOP/s at 6N + 6LCT ({flops_per_token:.4g} FLOPs/token)"
          + (f", MFU {100 * mfu:.1f}% of {peak_tflops:.1f}" if peak_tflops else "")
          + (f", peak {peak_mib:.0f} MiB" if device == "cuda" else ""), flush=True)
    print(f"torch_gpu mode {mode} batch {B} tokens_per_s {tps:.1f} mfu {mfu:.4f} peak_mib {peak_mib:.1f} "
          f"ms_per_step {1e3 * secs / steps:.3f}", flush=True)
    del t
    release(device)
    return True


def main():
    ap = argparse.ArgumentParser(description="PyTorch GPT-2 training throughput on a GPU (tokens/s, MFU, memory)")
    for k, v in [("n_layer", 12), ("d_model", 768), ("n_head", 12), ("seq_len", 1024), ("vocab", 50257),
                 ("batch", 0)]:
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default 20; --tiny: 1)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 5; --tiny: 0)")
    ap.add_argument("--start-batch", type=int, default=BATCHES[0],
                    help="with --batch 0: search from this micro-batch down (e.g. eager's fit for compile)")
    ap.add_argument("--mode", choices=["eager", "compile", "both", "none"], default="both")
    ap.add_argument("--peak-tflops", type=float, default=0.0, help="bf16 matmul rate for MFU (TFLOP/s)")
    ap.add_argument("--measure-peak", action="store_true", help="time an 8192^3 bf16 matmul first")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--tiny", action="store_true", help="debug: a tiny model, batch 2, one step")
    a = ap.parse_args()

    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("train_torch_gpu.py: no CUDA device (use --device cpu --tiny for a shape check)")
    if a.tiny:
        a.n_layer, a.d_model, a.n_head, a.seq_len, a.vocab = 2, 64, 2, 32, 256
        a.batch = a.batch or 2
    a.steps = a.steps if a.steps is not None else (1 if a.tiny else 20)
    a.warmup = a.warmup if a.warmup is not None else (0 if a.tiny else 5)
    if a.steps < 1 or a.warmup < 0:
        sys.exit("train_torch_gpu.py: --steps must be >= 1 and --warmup >= 0")
    if a.device == "cpu" and a.mode == "both":
        a.mode = "eager"
    if a.device == "cuda":
        print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}", flush=True)
        # fp32 products outside autocast (none in this model) would use TF32, as nanoGPT sets.
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    modes = {"both": ["eager", "compile"], "none": []}.get(a.mode, [a.mode])
    peak = a.peak_tflops
    if a.measure_peak and a.device != "cuda":
        sys.exit("train_torch_gpu.py: --measure-peak needs --device cuda")
    # MFU needs a ceiling: measured here unless --peak-tflops gives one.
    if a.measure_peak or (a.device == "cuda" and not peak and modes):
        peak = measure_peak()
        print(f"bf16_matmul_tflops {peak:.1f}", flush=True)

    cfg = Config(a.n_layer, a.d_model, a.n_head, a.seq_len, a.vocab)
    fit = a.start_batch
    for mode in modes:
        if a.batch > 0:
            if not run_mode(cfg, mode, a.batch, a.steps, a.warmup, peak, a.device):
                sys.exit(f"train_torch_gpu.py: batch {a.batch} does not fit ({mode})")
            continue
        if a.device != "cuda":
            sys.exit("train_torch_gpu.py: --batch 0 (search) needs --device cuda")
        # The timed run at each candidate is the try: the first that fits is the figure. A
        # later mode starts from the earlier one's fit (inductor's fused kernels keep no more
        # activations than eager's), so compile mode rarely compiles more than once.
        for B in [b for b in BATCHES if b <= fit]:
            if run_mode(cfg, mode, B, a.steps, a.warmup, peak, a.device):
                fit = B
                print(f"  largest micro-batch that fits ({mode}): {B}", flush=True)
                break
        else:
            sys.exit(f"train_torch_gpu.py: not even batch 1 fits ({mode})")

if __name__ == "__main__":
    main()
