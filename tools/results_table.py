#!/usr/bin/env python3
"""Markdown tables of docs/results.md from the eval.json files tools/model_results.sh writes.

usage: results_table.py OUT_DIR   (OUT_DIR/<model>/<row>/eval.json)
"""
import json
import os
import sys

ROWS = [
    ("int8_pc", "per-channel INT8 (W8 per-channel, A8 per-tensor)"),
    ("int4_pc", "per-channel INT4 (W4 per-channel, A4 per-tensor, max calibration)"),
    ("int4_pc_mse", "per-channel INT4, MSE-calibrated activations"),
    ("vsq_4446", "VS-Quant 4/4/4/6 (two-level scales, V = 16)"),
    ("vsq_48610", "VS-Quant 4/8/6/10"),
    ("vsq_33_fp32", "VS-Quant 3/3, fp32 per-vector scales"),
    ("mxint8", "MXINT8 (V = 32)"),
    ("mxfp4", "MXFP4 (V = 32)"),
    ("nvfp4", "NVFP4 (V = 16)"),
    ("mcq_k1", "MCQ, K = 1 (W8 container, A8)"),
    ("mcq_k4", "MCQ, K = 4 (W8 container, A8)"),
    ("eq_dfq_int4_pc", "DFQ equalization + per-channel INT4"),
    ("eq_meller2_int4_pc", "Meller two-step equalization + per-channel INT4"),
    ("multipoint_int4_pc", "multipoint + per-channel INT4"),
    ("int4_pc_bias_corr", "per-channel INT4 + bias correction"),
    ("int4_pc_a8", "W4 per-channel, A8 per-tensor (weights-only study)"),
    ("multipoint_int4_pc_a8", "multipoint W4 per-channel, A8 per-tensor"),
]


def table(out, model):
    lines = []
    fp32 = None
    for key, _ in ROWS:
        path = os.path.join(out, model, key, "eval.json")
        if os.path.exists(path):
            fp32 = json.load(open(path))["fp32_top1"]
            break
    if fp32 is None:
        return f"(no results for {model})\n"
    lines.append("| design | top-1 % | Δ vs FP32 (pt) | weight bits | energy / 8-bit | area / 8-bit | cycles / 8-bit |")
    lines.append("|---|---|---|---|---|---|---|")
    lines.append(f"| FP32 | {100 * fp32:.2f} | – | 32 | – | – | – |")
    for key, label in ROWS:
        path = os.path.join(out, model, key, "eval.json")
        if not os.path.exists(path):
            lines.append(f"| {label} | (missing) | | | | | |")
            continue
        j = json.load(open(path))
        s = j.get("simulated", {})
        energy = s.get("energy_ratio", float("nan"))
        area = s.get("area_ratio", float("nan"))
        cycles = s.get("cycles_per_inference", float("nan")) / s.get("baseline_cycles_per_inference", float("nan"))
        lines.append(
            f"| {label} | {100 * j['top1']:.2f} | {100 * (j['top1'] - j['fp32_top1']):+.2f} | {j['weight_bits']:.2f} | "
            f"{energy:.3f} | {area:.3f} | {cycles:.3f} |")
    return "\n".join(lines) + "\n"


def main():
    out = sys.argv[1]
    for model in ("fmnist_resnet", "fmnist_vit"):
        print(f"### {model}\n")
        print(table(out, model))


if __name__ == "__main__":
    main()
