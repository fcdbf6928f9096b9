"""The scalelab GPT-2 model written as an ordinary PyTorch nn.Module.

One definition serves two users, so the model benchmarked against scalelab is the very one
whose parity with scalelab is tested:
  - tests/parity/gen_reference.py  (the reference dump for tests/backend/test_parity.cpp)
  - bench/train_pytorch.py         (the PyTorch side of bench/train_vs_pytorch.sh)

Architecture (src/model/model_config.h, Radford et al. 2019): token + learned position
embeddings; n_layer pre-LayerNorm blocks x = x + attproj(attn(ln1(x))),
x = x + fcproj(gelu_tanh(fc(ln2(x)))); final LayerNorm; logits = logit_scale * lnf(x) @ wte^T
(tied readout); mean cross-entropy over targets >= 0 (target -1 is ignored).
LayerNorm eps 1e-5. Attention is written out by hand (torch 1.13 has no
scaled_dot_product_attention): softmax(attn_scale * q k^T + causal mask) v.

muP (Yang et al. 2022) changes three numbers only, taken from scalelab's ModelConfig:
attn_scale = mup_attn_mult / head_size (1/sqrt(head_size) under SP), logit_scale =
mup_output_mult / width_mult (1 under SP) and Adam learning-rate multiplier 1/width_mult
on the hidden matrices (param_groups below).

flat_params / load_flat / flat_grads map the module to scalelab's single parameter buffer
(src/model/param_layout.h), in its order:
  wte (V,C), wpe (T,C), ln1w (L,C), ln1b (L,C), qkvw (L,3C,C), qkvb (L,3C),
  attprojw (L,C,C), attprojb (L,C), ln2w (L,C), ln2b (L,C), fcw (L,4C,C), fcb (L,4C),
  fcprojw (L,C,4C), fcprojb (L,C), lnfw (C), lnfb (C).
nn.Linear stores its weight as (out, in), which is scalelab's (OC, C), so no transposes.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# Names in scalelab's layout order (ParamInfo::name); DECAYED are the hidden matrices,
# the only tensors AdamW decays by default (src/model/init.cpp, decays()).
PARAM_NAMES = ["wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
               "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"]
DECAYED = {"qkvw", "attprojw", "fcw", "fcprojw"}

# Per-block tensor name -> attribute path inside Block.
_BLOCK_ATTRS = {
    "ln1w": ("ln1", "weight"), "ln1b": ("ln1", "bias"),
    "qkvw": ("qkv", "weight"), "qkvb": ("qkv", "bias"),
    "attprojw": ("attproj", "weight"), "attprojb": ("attproj", "bias"),
    "ln2w": ("ln2", "weight"), "ln2b": ("ln2", "bias"),
    "fcw": ("fc", "weight"), "fcb": ("fc", "bias"),
    "fcprojw": ("fcproj", "weight"), "fcprojb": ("fcproj", "bias"),
}


class GptConfig:
    """The knobs of scalelab's ModelConfig that change the computation."""

    def __init__(self, n_layer, d_model, n_head, seq_len, vocab, parameterization="sp",
                 mup_base_width=64, mup_output_mult=1.0, mup_attn_mult=1.0):
        assert d_model % n_head == 0, "n_head must divide d_model"
        assert parameterization in ("sp", "mup")
        self.n_layer, self.d_model, self.n_head = n_layer, d_model, n_head
        self.seq_len, self.vocab = seq_len, vocab
        self.parameterization = parameterization
        self.mup_base_width = mup_base_width
        self.mup_output_mult, self.mup_attn_mult = mup_output_mult, mup_attn_mult

    @property
    def head_size(self):
        return self.d_model // self.n_head

    @property
    def width_mult(self):  # ModelConfig::width_mult
        return self.d_model / self.mup_base_width if self.parameterization == "mup" else 1.0

    @property
    def attn_scale(self):  # ModelConfig::attn_scale
        if self.parameterization == "sp":
            return 1.0 / math.sqrt(self.head_size)
        return self.mup_attn_mult / self.head_size

    @property
    def logit_scale(self):  # ModelConfig::logit_scale
        return 1.0 if self.parameterization == "sp" else self.mup_output_mult / self.width_mult


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg.d_model
        self.n_head, self.attn_scale = cfg.n_head, cfg.attn_scale
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.qkv = nn.Linear(C, 3 * C)
        self.attproj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.fc = nn.Linear(C, 4 * C)
        self.fcproj = nn.Linear(4 * C, C)
        mask = torch.triu(torch.ones(cfg.seq_len, cfg.seq_len, dtype=torch.bool), diagonal=1)
        self.register_buffer("future", mask, persistent=False)  # True above the diagonal

    def attention(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.qkv(x).split(C, dim=2)  # rows [q; k; v] of qkvw; head h = columns h*hs
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, NH, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * self.attn_scale  # (B, NH, T, T)
        att = att.masked_fill(self.future[:T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.attproj(y)

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab, cfg.d_model)
        self.wpe = nn.Embedding(cfg.seq_len, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.lnf = nn.LayerNorm(cfg.d_model, eps=1e-5)

    def logits(self, idx):
        """idx (B, T) int64 -> logits (B, T, V), already multiplied by logit_scale."""
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.lnf(x) @ self.wte.weight.t()
        if self.cfg.logit_scale != 1.0:
            logits = logits * self.cfg.logit_scale
        return logits

    def forward(self, idx, targets):
        """Mean cross-entropy (nats/token) over positions with targets >= 0, and the logits."""
        logits = self.logits(idx)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
        return loss, logits

    # ---- scalelab's flat parameter layout ------------------------------------------
    def tensors_in_layout_order(self, grads=False):
        """[(name, tensor)] in layout order; per-block tensors stacked to (L, ...)."""
        def get(t):
            if not grads:
                return t.detach()
            return t.grad if t.grad is not None else torch.zeros_like(t)
        out = [("wte", get(self.wte.weight)), ("wpe", get(self.wpe.weight))]
        for name in PARAM_NAMES[2:14]:
            mod, attr = _BLOCK_ATTRS[name]
            out.append((name, torch.stack([get(getattr(getattr(b, mod), attr)) for b in self.blocks])))
        out += [("lnfw", get(self.lnf.weight)), ("lnfb", get(self.lnf.bias))]
        return out

    def flat_params(self):
        return torch.cat([t.reshape(-1) for _, t in self.tensors_in_layout_order()])

    def flat_grads(self):
        return torch.cat([t.reshape(-1) for _, t in self.tensors_in_layout_order(grads=True)])

    @torch.no_grad()
    def load_flat(self, flat):
        """Copies a buffer laid out as scalelab's ParamLayout into the module."""
        off = 0
        for name, t in self.tensors_in_layout_order():
            n = t.numel()
            chunk = flat[off:off + n].view(t.shape)
            off += n
            if name == "wte":
                self.wte.weight.copy_(chunk)
            elif name == "wpe":
                self.wpe.weight.copy_(chunk)
            elif name == "lnfw":
                self.lnf.weight.copy_(chunk)
            elif name == "lnfb":
                self.lnf.bias.copy_(chunk)
            else:
                mod, attr = _BLOCK_ATTRS[name]
                for l, b in enumerate(self.blocks):
                    getattr(getattr(b, mod), attr).copy_(chunk[l])
        assert off == flat.numel(), f"buffer has {flat.numel()} floats, layout needs {off}"

    def param_groups(self, lr, weight_decay):
        """AdamW groups as scalelab's default: decay (and the muP LR multiplier 1/width_mult)
        on the four hidden matrices only; embeddings, biases and norms undecayed."""
        decayed, other = [], []
        for b in self.blocks:
            decayed += [b.qkv.weight, b.attproj.weight, b.fc.weight, b.fcproj.weight]
            other += [b.ln1.weight, b.ln1.bias, b.qkv.bias, b.attproj.bias,
                      b.ln2.weight, b.ln2.bias, b.fc.bias, b.fcproj.bias]
        other += [self.wte.weight, self.wpe.weight, self.lnf.weight, self.lnf.bias]
        return [{"params": decayed, "lr": lr / self.cfg.width_mult, "weight_decay": weight_decay},
                {"params": other, "lr": lr, "weight_decay": 0.0}]
