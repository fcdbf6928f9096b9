#!/usr/bin/env python3
"""Emulates the index arithmetic of the CUDA attention kernels in numpy, on the CPU, and
checks it against plain causal attention and its gradient in float64.

The GPU tests (tests/gpu/) run the kernels themselves, but only on a machine with a GPU;
this check runs everywhere. It mirrors, line for line, the tiling, the causal masks, the
online softmax (Milakov and Gimelshein 2018), the saved logsumexp and the split backward
(Dao 2023) of
  src/backend/cuda/attention.cu     (32 x 32 tiles, 8 warps x 4 rows, a key per lane, fp32)
  src/backend/cuda/attention_tc.cu  (64 x 64 tiles, 4 warps x 16 rows, bf16 operands)
so a change to either kernel's algorithm must be made here too. Exit 0 when every case is
within its bound (fp32: 1e-5, bf16: 1e-2 relative), 1 otherwise.
    python3 tests/gpu/emulate_attention.py
"""
import math
import sys

import numpy as np

FM = -3.4028235e38  # -FLT_MAX, the kernels' "masked" score


# ---- attention.cu: fp32 on the CUDA cores ----------------------------------------------
class CoreTiles:
    TILE = 32
    WARPS = 8
    RPW = TILE // WARPS


def core_load_tile(src_flat, stride, col, r0, T, hs, ld):
    dst=np.zeros((CoreTiles.TILE, ld), np.float32)
    for r in range(CoreTiles.TILE):
        if r0+r < T: dst[r,:hs]=src_flat[(r0+r)*stride+col:(r0+r)*stride+col+hs]
    return dst
def core_forward(qkv, B,T,C,NH,scale):
    hs=C//NH; out=np.zeros(B*T*C,np.float32); lse=np.zeros(B*NH*T,np.float32)
    stride=3*C
    for bh in range(B*NH):
        b,h=bh//NH,bh%NH
        base=qkv[b*T*stride:(b+1)*T*stride]
        for qt in range((T+CoreTiles.TILE-1)//CoreTiles.TILE):
            q0=qt*CoreTiles.TILE
            Qs=core_load_tile(base,stride,h*hs,q0,T,hs,hs+1)
            m=np.full((CoreTiles.WARPS,CoreTiles.RPW),FM,np.float32); l=np.zeros((CoreTiles.WARPS,CoreTiles.RPW),np.float32); o=np.zeros((CoreTiles.WARPS,CoreTiles.RPW,hs),np.float32)
            for kt in range(qt+1):
                j0=kt*CoreTiles.TILE
                Ks=core_load_tile(base,stride,C+h*hs,j0,T,hs,hs+1); Vs=core_load_tile(base,stride,2*C+h*hs,j0,T,hs,hs)
                for w in range(CoreTiles.WARPS):
                    for i in range(CoreTiles.RPW):
                        r=w*CoreTiles.RPW+i; row=q0+r
                        if row>=T: continue
                        lanes=np.arange(32); j=j0+lanes
                        s=(Qs[r,:hs][None,:]*Ks[lanes,:hs]).sum(1)
                        valid=j<=row
                        s=np.where(valid,s*scale,FM)
                        mnew=max(m[w,i],s.max())
                        p=np.where(valid,np.exp(s-mnew),0)
                        corr=np.exp(m[w,i]-mnew)
                        l[w,i]=l[w,i]*corr+p.sum(); m[w,i]=mnew
                        o[w,i]*=corr
                        o[w,i]+= (p[:,None]*Vs[:,:hs]).sum(0)
            for w in range(CoreTiles.WARPS):
                for i in range(CoreTiles.RPW):
                    row=q0+w*CoreTiles.RPW+i
                    if row>=T: continue
                    out[(b*T+row)*C+h*hs:(b*T+row)*C+h*hs+hs]=o[w,i]/l[w,i]
                    lse[bh*T+row]=m[w,i]+math.log(l[w,i])
    return out,lse
def core_backward(dqkv,dout,qkv,out,lse,B,T,C,NH,scale):
    hs=C//NH; stride=3*C
    D=np.zeros(B*NH*T,np.float32)
    for b in range(B):
        for t in range(T):
            for h in range(NH):
                D[(b*NH+h)*T+t]=(dout[(b*T+t)*C+h*hs:(b*T+t)*C+h*hs+hs]*out[(b*T+t)*C+h*hs:(b*T+t)*C+h*hs+hs]).sum()
    nt=(T+CoreTiles.TILE-1)//CoreTiles.TILE
    for bh in range(B*NH):
        b,h=bh//NH,bh%NH
        base=qkv[b*T*stride:(b+1)*T*stride]; dbase=dout[b*T*C:(b+1)*T*C]
        for kt in range(nt):  # dkdv kernel
            j0=kt*CoreTiles.TILE
            Ks=core_load_tile(base,stride,C+h*hs,j0,T,hs,hs+1); Vs=core_load_tile(base,stride,2*C+h*hs,j0,T,hs,hs+1)
            dk=np.zeros((CoreTiles.WARPS,CoreTiles.RPW,hs),np.float32); dv=np.zeros((CoreTiles.WARPS,CoreTiles.RPW,hs),np.float32)
            for qt in range(kt,nt):
                q0=qt*CoreTiles.TILE
                Qs=core_load_tile(base,stride,h*hs,q0,T,hs,hs+1); dOs=core_load_tile(dbase,C,h*hs,q0,T,hs,hs+1)
                lanes=np.arange(32); q=q0+lanes
                lse_s=np.where(q<T, lse[bh*T+np.minimum(q,T-1)],0); D_s=np.where(q<T,D[bh*T+np.minimum(q,T-1)],0)
                for w in range(CoreTiles.WARPS):
                    for i in range(CoreTiles.RPW):
                        kr=w*CoreTiles.RPW+i; j=j0+kr
                        if j>=T: continue
                        valid=(q<T)&(q>=j)
                        s=(Qs[lanes,:hs]*Ks[kr,:hs][None,:]).sum(1)
                        dp=(dOs[lanes,:hs]*Vs[kr,:hs][None,:]).sum(1)
                        p=np.where(valid,np.exp(s*scale-lse_s),0)
                        ds=p*(dp-D_s)
                        dv[w,i]+=(p[:,None]*dOs[:,:hs]).sum(0)
                        dk[w,i]+=(ds[:,None]*Qs[:,:hs]).sum(0)
            for w in range(CoreTiles.WARPS):
                for i in range(CoreTiles.RPW):
                    j=j0+w*CoreTiles.RPW+i
                    if j>=T: continue
                    rowo=(b*T+j)*stride
                    dqkv[rowo+C+h*hs:rowo+C+h*hs+hs]+=scale*dk[w,i]
                    dqkv[rowo+2*C+h*hs:rowo+2*C+h*hs+hs]+=dv[w,i]
        for qt in range(nt):  # dq kernel
            q0=qt*CoreTiles.TILE
            Qs=core_load_tile(base,stride,h*hs,q0,T,hs,hs+1); dOs=core_load_tile(dbase,C,h*hs,q0,T,hs,hs+1)
            dq=np.zeros((CoreTiles.WARPS,CoreTiles.RPW,hs),np.float32)
            for kt in range(qt+1):
                j0=kt*CoreTiles.TILE
                Ks=core_load_tile(base,stride,C+h*hs,j0,T,hs,hs+1); Vs=core_load_tile(base,stride,2*C+h*hs,j0,T,hs,hs+1)
                for w in range(CoreTiles.WARPS):
                    for i in range(CoreTiles.RPW):
                        r=w*CoreTiles.RPW+i; qq=q0+r
                        if qq>=T: continue
                        lanes=np.arange(32); j=j0+lanes
                        valid=j<=qq
                        s=(Qs[r,:hs][None,:]*Ks[lanes,:hs]).sum(1); dp=(dOs[r,:hs][None,:]*Vs[lanes,:hs]).sum(1)
                        p=np.where(valid,np.exp(s*scale-lse[bh*T+qq]),0); ds=p*(dp-D[bh*T+qq])
                        dq[w,i]+=(ds[:,None]*Ks[:,:hs]).sum(0)
            for w in range(CoreTiles.WARPS):
                for i in range(CoreTiles.RPW):
                    qq=q0+w*CoreTiles.RPW+i
                    if qq>=T: continue
                    rowo=(b*T+qq)*stride
                    dqkv[rowo+h*hs:rowo+h*hs+hs]+=scale*dq[w,i]

# ---- attention_tc.cu: bf16 operands on the tensor cores ---------------------------------
class TcTiles:
    TILE = 64
    WARPS = 4
    ROWS = 16


def bf(x):  # round to bf16 (nearest even) and back to float32
    x=np.asarray(x,np.float32); u=x.view(np.uint32).astype(np.uint64)
    r=((u+0x7fff+((u>>16)&1))>>16)<<16
    return r.astype(np.uint32).view(np.float32)
def tc_load(src,stride,col,r0,T,hs):
    t=np.zeros((TcTiles.TILE,hs),np.float32)
    for r in range(TcTiles.TILE):
        if r0+r<T: t[r]=src[(r0+r)*stride+col:(r0+r)*stride+col+hs]
    return bf(t)
def tc_forward(qkv,B,T,C,NH,scale):
    hs=C//NH; st=3*C; out=np.zeros(B*T*C,np.float32); lse=np.zeros(B*NH*T,np.float32)
    for bh in range(B*NH):
        b,h=divmod(bh,NH); base=qkv[b*T*st:(b+1)*T*st]
        for qt in range((T+TcTiles.TILE-1)//TcTiles.TILE):
            q0=qt*TcTiles.TILE; Qs=tc_load(base,st,h*hs,q0,T,hs)
            for w in range(TcTiles.WARPS):
                O=np.zeros((TcTiles.ROWS,hs),np.float32); m=np.full(TcTiles.ROWS,FM,np.float32); l=np.zeros(TcTiles.ROWS,np.float32)
                rows=q0+w*TcTiles.ROWS+np.arange(TcTiles.ROWS)
                for kt in range(qt+1):
                    j0=kt*TcTiles.TILE; Ks=tc_load(base,st,C+h*hs,j0,T,hs); Vs=tc_load(base,st,2*C+h*hs,j0,T,hs)
                    S=Qs[w*TcTiles.ROWS:(w+1)*TcTiles.ROWS]@Ks.T
                    valid=(j0+np.arange(TcTiles.TILE))[None,:]<=rows[:,None]
                    S=np.where(valid,S*scale,FM)
                    mnew=np.maximum(m,S.max(1))
                    P=np.where(S>FM,np.exp(S-mnew[:,None]),0); P=bf(P)
                    corr=np.exp(m-mnew); l=l*corr+P.sum(1); m=mnew
                    O=O*corr[:,None]+P@Vs
                for r in range(TcTiles.ROWS):
                    row=rows[r]
                    if row<T:
                        out[(b*T+row)*C+h*hs:(b*T+row)*C+h*hs+hs]=bf(O[r]/l[r]); lse[bh*T+row]=m[r]+math.log(l[r])
    return out,lse
def tc_backward(dqkv,dout,qkv,out,lse,B,T,C,NH,scale):
    hs=C//NH; st=3*C; D=np.zeros(B*NH*T,np.float32)
    for b in range(B):
        for t in range(T):
            for h in range(NH):
                D[(b*NH+h)*T+t]=(dout[(b*T+t)*C+h*hs:(b*T+t)*C+h*hs+hs]*out[(b*T+t)*C+h*hs:(b*T+t)*C+h*hs+hs]).sum()
    nt=(T+TcTiles.TILE-1)//TcTiles.TILE
    for bh in range(B*NH):
        b,h=divmod(bh,NH); base=qkv[b*T*st:(b+1)*T*st]; dbase=dout[b*T*C:(b+1)*T*C]
        for kt in range(nt):
            j0=kt*TcTiles.TILE; Ks=tc_load(base,st,C+h*hs,j0,T,hs); Vs=tc_load(base,st,2*C+h*hs,j0,T,hs)
            for w in range(TcTiles.WARPS):
                dK=np.zeros((TcTiles.ROWS,hs),np.float32); dV=np.zeros((TcTiles.ROWS,hs),np.float32)
                js=j0+w*TcTiles.ROWS+np.arange(TcTiles.ROWS)
                for qt in range(kt,nt):
                    q0=qt*TcTiles.TILE; Qs=tc_load(base,st,h*hs,q0,T,hs); dOs=tc_load(dbase,C,h*hs,q0,T,hs)
                    qs=q0+np.arange(TcTiles.TILE)
                    ls=np.where(qs<T,lse[bh*T+np.minimum(qs,T-1)],0); Ds=np.where(qs<T,D[bh*T+np.minimum(qs,T-1)],0)
                    St=Ks[w*TcTiles.ROWS:(w+1)*TcTiles.ROWS]@Qs.T; dPt=Vs[w*TcTiles.ROWS:(w+1)*TcTiles.ROWS]@dOs.T
                    valid=(qs[None,:]<T)&(js[:,None]<T)&(qs[None,:]>=js[:,None])
                    p=np.where(valid,np.exp(St*scale-ls[None,:]),0)
                    Pt=bf(p); dSt=bf(p*(dPt-Ds[None,:]))
                    dV+=Pt@dOs; dK+=dSt@Qs
                for kr in range(TcTiles.ROWS):
                    j=js[kr]
                    if j>=T: continue
                    ro=(b*T+j)*st
                    dqkv[ro+C+h*hs:ro+C+h*hs+hs]=bf(dqkv[ro+C+h*hs:ro+C+h*hs+hs]+scale*dK[kr])
                    dqkv[ro+2*C+h*hs:ro+2*C+h*hs+hs]=bf(dqkv[ro+2*C+h*hs:ro+2*C+h*hs+hs]+dV[kr])
        for qt in range(nt):
            q0=qt*TcTiles.TILE; Qs=tc_load(base,st,h*hs,q0,T,hs); dOs=tc_load(dbase,C,h*hs,q0,T,hs)
            for w in range(TcTiles.WARPS):
                dQ=np.zeros((TcTiles.ROWS,hs),np.float32); qs=q0+w*TcTiles.ROWS+np.arange(TcTiles.ROWS)
                ls=np.where(qs<T,lse[bh*T+np.minimum(qs,T-1)],0); Ds=np.where(qs<T,D[bh*T+np.minimum(qs,T-1)],0)
                for kt in range(qt+1):
                    j0=kt*TcTiles.TILE; Ks=tc_load(base,st,C+h*hs,j0,T,hs); Vs=tc_load(base,st,2*C+h*hs,j0,T,hs)
                    S=Qs[w*TcTiles.ROWS:(w+1)*TcTiles.ROWS]@Ks.T; dP=dOs[w*TcTiles.ROWS:(w+1)*TcTiles.ROWS]@Vs.T
                    valid=(qs[:,None]<T)&((j0+np.arange(TcTiles.TILE))[None,:]<=qs[:,None])
                    p=np.where(valid,np.exp(S*scale-ls[:,None]),0); dS=bf(p*(dP-Ds[:,None]))
                    dQ+=dS@Ks
                for r in range(TcTiles.ROWS):
                    q=qs[r]
                    if q>=T: continue
                    ro=(b*T+q)*st
                    dqkv[ro+h*hs:ro+h*hs+hs]=bf(dqkv[ro+h*hs:ro+h*hs+hs]+scale*dQ[r])

# ---- the reference: causal softmax attention in float64 --------------------------------
def reference(qkv, dout, B, T, C, NH, scale):
    hs = C // NH
    x = qkv.astype(np.float64).reshape(B, T, 3, NH, hs).transpose(2, 0, 3, 1, 4)  # (3, B, NH, T, hs)
    q, k, v = x[0], x[1], x[2]
    s = np.einsum("bhtd,bhjd->bhtj", q, k) * scale
    s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    y = np.einsum("bhtj,bhjd->bhtd", p, v)
    dy = dout.astype(np.float64).reshape(B, T, NH, hs).transpose(0, 2, 1, 3)
    dv = np.einsum("bhtj,bhtd->bhjd", p, dy)
    dp = np.einsum("bhtd,bhjd->bhtj", dy, v)
    ds = p * (dp - (dp * p).sum(-1, keepdims=True))
    dq = np.einsum("bhtj,bhjd->bhtd", ds, k) * scale
    dk = np.einsum("bhtj,bhtd->bhjd", ds, q) * scale
    grad = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(-1)
    return y.transpose(0, 2, 1, 3).reshape(-1), grad


def main():
    rng = np.random.default_rng(0)
    worst = 0.0
    failed = False
    cases = [("core", (2, 33, 16, 2)), ("core", (1, 70, 48, 2)), ("core", (1, 1, 8, 1)),
             ("tc", (1, 70, 32, 2)), ("tc", (2, 33, 64, 1)), ("tc", (1, 1, 16, 1))]
    for kind, (B, T, C, NH) in cases:
        qkv = rng.standard_normal(B * T * 3 * C).astype(np.float32)
        dout = rng.standard_normal(B * T * C).astype(np.float32)
        if kind == "tc":
            qkv, dout = bf(qkv), bf(dout)
        scale = 1 / math.sqrt(C // NH)
        dqkv = np.zeros_like(qkv)
        if kind == "core":
            out, lse = core_forward(qkv, B, T, C, NH, scale)
            core_backward(dqkv, dout, qkv, out, lse, B, T, C, NH, scale)
            bound = 1e-5
        else:
            out, lse = tc_forward(qkv, B, T, C, NH, scale)
            tc_backward(dqkv, dout, qkv, out, lse, B, T, C, NH, scale)
            bound = 1e-2
        y, g = reference(qkv, dout, B, T, C, NH, scale)
        e_out = np.abs(out - y).max() / np.abs(y).max()
        e_grad = np.abs(dqkv - g).max() / np.abs(g).max()
        ok = e_out <= bound and e_grad <= bound
        failed |= not ok
        print(f"{kind:4s} B={B} T={T} C={C} NH={NH}: out {e_out:.2e}, dqkv {e_grad:.2e} (bound {bound:g})"
              f"{'' if ok else '  FAILED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
