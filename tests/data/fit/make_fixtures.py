#!/usr/bin/env python3
"""Writes the synthetic fixtures of tests/data/fit/ (run from this folder).

Both are drawn from Hoffmann et al. 2022's published Chinchilla law (eq. 10):
L(N, D) = 1.69 + 406.4 / N^0.34 + 410.7 / D^0.28, whose compute-optimal allocation is
N_opt = G (C/6)^a with a = 0.28 / 0.62 = 0.4516 and G = (0.34 * 406.4 / (0.28 * 410.7))^(1/0.62) = 1.344.
Loss carries log-normal noise (sigma 0.005) from a fixed seed, so the files are reproducible.

isoflop.csv: 7 budgets 1e18..1e21 (half-decade steps), 7 sizes per budget spanning
  N_opt e^-1.5 .. N_opt e^1.5, D = C / (6N)  (approach 2).
curves.csv:  14 runs, N log-spaced 1e7..1e9, 12 points per run from D = N to D = 300 N,
  columns run, step, N, D, loss  (approach 1).
"""
import csv
import math
import random

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28
G = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
a = BETA / (ALPHA + BETA)
rng = random.Random(20240601)
NRUN, NPT = 14, 12


def loss(n, d):
    return (E + A * n ** -ALPHA + B * d ** -BETA) * math.exp(0.005 * rng.gauss(0, 1))


with open("isoflop.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["N", "C", "loss"])
    for k in range(7):
        c = 1e18 * 10 ** (k / 2)
        n_opt = G * (c / 6) ** a
        for j in range(7):
            n = n_opt * math.exp(-1.5 + 3 * j / 6)
            w.writerow([f"{n:.6g}", f"{c:.6g}", f"{loss(n, c / (6 * n)):.6f}"])

with open("curves.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["run", "step", "N", "D", "loss"])
    for i in range(NRUN):
        n = 1e7 * 100 ** (i / (NRUN - 1))
        for s in range(NPT):
            d = n * 300 ** (s / (NPT - 1))
            w.writerow([f"size{i}", s, f"{n:.6g}", f"{d:.6g}", f"{loss(n, d):.6f}"])
