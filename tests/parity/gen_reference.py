#!/usr/bin/python3
"""Writes the PyTorch reference dumps that tests/backend/test_parity.cpp matches.

Regenerate (Debian 12: `apt-get install python3-torch`, torch 1.13, CPU) from the
repository root:

    python3 tests/parity/gen_reference.py          # writes tests/parity/gpt2_tiny.bin
                                                   #    and tests/parity/gpt2_tiny_mup.bin
    python3 tests/parity/gen_reference.py --check  # only prints the fp32-vs-fp64 spread

then commit both .bin files. The output is deterministic (seeded torch generator, all
arithmetic in float64 on the CPU), so regenerating with an unchanged script gives the same
bytes. Bump VERSION (and the C++ reader) whenever the format below changes.

Cases (the model is tests/parity/torch_gpt.py, the same as scalelab's):
  gpt2_tiny.bin      SP:  L=2, C=32, NH=4, T=seq_len=16, V=64, B=4
  gpt2_tiny_mup.bin  muP: same shape, base width 16 (width_mult 2), output mult 2,
                     attention mult 2 (scale 2/8); T=12 < seq_len=16 and 5 targets = -1
                     (ignored), so the partial-sequence and ignore paths are covered too.
Weights: seeded, deliberately away from scalelab's init (std 0.1 matrices and embeddings,
LayerNorm weights 1 + 0.1 N(0,1), biases 0.1 N(0,1)) so every tensor, biases included,
influences the loss and attention is not uniform. They are rounded to float32 (what
scalelab holds) before the float64 reference computation.

Optimizer: 10 steps of AdamW on the same batch, constant lr 1e-2, betas (0.9, 0.95),
eps 1e-8, weight decay 0.1 on qkvw, attprojw, fcw, fcprojw only (scalelab's default),
no clipping; muP multiplies the hidden matrices' lr by 1/width_mult. torch.optim.AdamW is
exactly scalelab's Backend::adamw_update (decoupled decay on the old parameters).

Binary format (little-endian), version 1:
  int32   header[32]   magic 20261123, version, n_layer, d_model, n_head, seq_len, vocab,
                       B, T, parameterization (0 sp, 1 mup), mup_base_width, n_steps,
                       n_params (ParamLayout::total), then zeros
  float64 hparams[16]  mup_output_mult, mup_attn_mult, lr, beta1, beta2, eps,
                       weight_decay, attn_scale, logit_scale, then zeros
  int32   inputs[B*T], targets[B*T]     (targets < 0 are ignored)
  float32 params[n_params]              layout order (src/model/param_layout.h)
  float32 logits[B*T*V]                 lnf(x) @ wte^T, BEFORE the logit_scale multiplier
  float64 loss                          mean cross-entropy over targets >= 0, nats/token
  float32 grads[n_params]               d loss / d params, layout order
  float64 step_losses[n_steps]          loss at each step, before that step's update
  float32 params_after[n_params]        parameters after the n_steps updates; the key
                                        bias (qkvb rows C..2C of each layer) is noise here:
                                        its exact gradient is 0 (softmax ignores a shift
                                        shared by all keys), and Adam turns rounding noise
                                        into +-lr steps, so the test does not compare it
  int32   magic                         end marker (truncation check)
"""

import argparse
import os
import struct
import sys

try:
    import torch
except ImportError:
    sys.exit("gen_reference.py needs PyTorch: apt-get install python3-torch (Debian 12), "
             "and run it with /usr/bin/python3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpt import Gpt, GptConfig  # noqa: E402

MAGIC = 20261123
VERSION = 1
HERE = os.path.dirname(os.path.abspath(__file__))

OPT = dict(lr=1e-2, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1)
N_STEPS = 10

CASES = [
    dict(file="gpt2_tiny.bin", seed=1337, B=4, T=16, n_ignored=0,
         cfg=dict(n_layer=2, d_model=32, n_head=4, seq_len=16, vocab=64, parameterization="sp")),
    dict(file="gpt2_tiny_mup.bin", seed=4242, B=4, T=12, n_ignored=5,
         cfg=dict(n_layer=2, d_model=32, n_head=4, seq_len=16, vocab=64, parameterization="mup",
                  mup_base_width=16, mup_output_mult=2.0, mup_attn_mult=2.0)),
]


def make_case(case):
    """Seeded float32 weights and a batch: (cfg, flat params, inputs, targets)."""
    cfg = GptConfig(**case["cfg"])
    g = torch.Generator().manual_seed(case["seed"])
    model = Gpt(cfg)
    parts = []
    for name, t in model.tensors_in_layout_order():
        noise = torch.randn(t.shape, generator=g, dtype=torch.float64)
        if name in ("ln1w", "ln2w", "lnfw"):
            parts.append(1.0 + 0.1 * noise)
        else:  # matrices, embeddings and biases
            parts.append(0.1 * noise)
    params = torch.cat([p.reshape(-1) for p in parts]).float()
    B, T, V = case["B"], case["T"], cfg.vocab
    inputs = torch.randint(0, V, (B, T), generator=g, dtype=torch.int64)
    targets = torch.randint(0, V, (B, T), generator=g, dtype=torch.int64)
    if case["n_ignored"]:
        pos = torch.randperm(B * T, generator=g)[:case["n_ignored"]]
        targets.view(-1)[pos] = -1
    return cfg, params, inputs, targets


def run(cfg, params, inputs, targets, dtype):
    """Forward, backward and N_STEPS AdamW steps in `dtype`; returns float64 results."""
    model = Gpt(cfg).to(dtype)
    model.load_flat(params.to(dtype))
    model.zero_grad(set_to_none=True)
    loss, logits = model(inputs, targets)
    loss.backward()
    out = dict(loss=loss.item(), logits=(logits / cfg.logit_scale).detach().double(),
               grads=model.flat_grads().double())
    model.zero_grad(set_to_none=True)
    opt = torch.optim.AdamW(model.param_groups(OPT["lr"], OPT["weight_decay"]),
                            betas=(OPT["beta1"], OPT["beta2"]), eps=OPT["eps"])
    step_losses = []
    for _ in range(N_STEPS):
        opt.zero_grad(set_to_none=True)
        loss, _ = model(inputs, targets)
        loss.backward()
        opt.step()
        step_losses.append(loss.item())
    out["step_losses"] = torch.tensor(step_losses, dtype=torch.float64)
    out["params_after"] = model.flat_params().double()
    return out


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


def spread_report(cfg, ref, f32):
    """Relative error of a float32 PyTorch run against the float64 reference: the noise
    floor that the C++ test's 1e-4 tolerance must sit well above."""
    model = Gpt(cfg)
    worst = [("logits", rel(f32["logits"], ref["logits"])),
             ("loss", abs(f32["loss"] - ref["loss"]) / abs(ref["loss"])),
             ("step_losses", rel(f32["step_losses"], ref["step_losses"]))]
    off = 0
    for name, t in model.tensors_in_layout_order():
        n = t.numel()
        sl = slice(off, off + n)
        off += n
        if ref["grads"][sl].norm() > 0:
            worst.append(("grad " + name, rel(f32["grads"][sl], ref["grads"][sl])))
        a, b = f32["params_after"][sl].clone(), ref["params_after"][sl].clone()
        if name == "qkvb":  # the key bias is undetermined after Adam steps (see the format)
            C = cfg.d_model
            a.view(cfg.n_layer, 3 * C)[:, C:2 * C] = 0
            b.view(cfg.n_layer, 3 * C)[:, C:2 * C] = 0
        worst.append(("after " + name, rel(a, b)))
    name, err = max(worst, key=lambda x: x[1])
    return f"fp32 vs fp64: worst rel. error {err:.2e} ({name})"


def write_dump(path, case, cfg, params, inputs, targets, ref):
    B, T = case["B"], case["T"]
    header = [MAGIC, VERSION, cfg.n_layer, cfg.d_model, cfg.n_head, cfg.seq_len, cfg.vocab, B, T,
              1 if cfg.parameterization == "mup" else 0, cfg.mup_base_width, N_STEPS, params.numel()]
    header += [0] * (32 - len(header))
    hp = [cfg.mup_output_mult, cfg.mup_attn_mult, OPT["lr"], OPT["beta1"], OPT["beta2"], OPT["eps"],
          OPT["weight_decay"], cfg.attn_scale, cfg.logit_scale]
    hp += [0.0] * (16 - len(hp))

    def f32(t):
        return t.to(torch.float32).contiguous().numpy().astype("<f4").tobytes()

    def i32(t):
        return t.to(torch.int32).contiguous().numpy().astype("<i4").tobytes()

    blob = b"".join([
        struct.pack("<32i", *header), struct.pack("<16d", *hp),
        i32(inputs), i32(targets), f32(params), f32(ref["logits"]), struct.pack("<d", ref["loss"]),
        f32(ref["grads"]), struct.pack(f"<{N_STEPS}d", *ref["step_losses"].tolist()),
        f32(ref["params_after"]), struct.pack("<i", MAGIC)])
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, path)  # never a half-written dump
    return len(blob)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=HERE, help="where the .bin files go (default: next to this script)")
    ap.add_argument("--check", action="store_true", help="print the fp32-vs-fp64 spread, write nothing")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for case in CASES:
        cfg, params, inputs, targets = make_case(case)
        ref = run(cfg, params, inputs, targets, torch.float64)
        f32 = run(cfg, params, inputs, targets, torch.float32)
        msg = (f"{case['file']}: loss {ref['loss']:.6f}, step losses {ref['step_losses'][0]:.4f} -> "
               f"{ref['step_losses'][-1]:.4f}; {spread_report(cfg, ref, f32)}")
        if not args.check:
            n = write_dump(os.path.join(args.out_dir, case["file"]), case, cfg, params, inputs, targets, ref)
            msg += f"; wrote {n} bytes"
        print(msg)


if __name__ == "__main__":
    main()
