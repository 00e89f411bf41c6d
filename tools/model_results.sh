#!/usr/bin/env bash
# Regenerates the measurements behind docs/results.md: every format and method of the table on both
# Fashion-MNIST reference models, full 10k test set, one simulated inference each (energy/area vs the 8-bit
# baseline), two evaluations at a time. Then prints the Markdown tables (tools/results_table.py).
#   tools/model_results.sh [OUT_DIR]     (default out/results; build first: ./dlasim setup)
#   Environment: JOBS (default 2) evaluations at once, MODELS (default "fmnist_resnet fmnist_vit").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/out/results}"
DLASIM="${DLASIM:-$ROOT/build/sim/dlasim}"
JOBS="${JOBS:-2}"
MODELS="${MODELS:-fmnist_resnet fmnist_vit}"
mkdir -p "$OUT"

# name | --set overrides (formats, vector size, method)
ROWS=(
  "int8_pc|quant.weights.format=int8-pc quant.activations.format=int8"
  "int4_pc|quant.weights.format=int4-pc quant.activations.format=int4"
  "int4_pc_mse|quant.weights.format=int4-pc quant.activations.format=int4 quant.activations.calibrator=mse"
  "vsq_4446|quant.weights.format=int4-v16-s4 quant.activations.format=int4-v16-s6"
  "vsq_48610|quant.weights.format=int4-v16-s6 quant.activations.format=int8-v16-s10"
  "vsq_33_fp32|quant.weights.format=int3-v16 quant.activations.format=int3-v16"
  "mxint8|quant.weights.format=mxint8 quant.activations.format=mxint8 arch.vector_size=32"
  "mxfp4|quant.weights.format=mxfp4 quant.activations.format=mxfp4 arch.vector_size=32"
  "nvfp4|quant.weights.format=nvfp4 quant.activations.format=nvfp4"
  "mcq_k1|quant.weights.format=int8-pc quant.activations.format=int8 quant.method.name=mcq quant.method.mcq_sampling_amount=1"
  "mcq_k4|quant.weights.format=int8-pc quant.activations.format=int8 quant.method.name=mcq quant.method.mcq_sampling_amount=4"
  "eq_dfq_int4_pc|quant.weights.format=int4-pc quant.activations.format=int4 quant.method.name=equalization quant.method.equalization=dfq"
  "eq_meller2_int4_pc|quant.weights.format=int4-pc quant.activations.format=int4 quant.method.name=equalization quant.method.equalization=meller_two_step"
  "multipoint_int4_pc|quant.weights.format=int4-pc quant.activations.format=int4 quant.method.name=multipoint"
  "int4_pc_bias_corr|quant.weights.format=int4-pc quant.activations.format=int4 quant.method.bias_correction=true"
  "int4_pc_a8|quant.weights.format=int4-pc quant.activations.format=int8"
  "multipoint_int4_pc_a8|quant.weights.format=int4-pc quant.activations.format=int8 quant.method.name=multipoint"
)

run_one() {
  local model="$1" name="$2" sets="$3" args=()
  for s in $sets; do args+=(--set "$s"); done
  "$DLASIM" eval "$ROOT/configs/models/$model.yaml" --limit 0 --simulate 1 "${args[@]}" \
    --out "$OUT/$model/$name" --quiet
}
export -f run_one
export ROOT OUT DLASIM

for model in $MODELS; do
  for row in "${ROWS[@]}"; do
    printf '%s\t%s\t%s\n' "$model" "${row%%|*}" "${row#*|}"
  done
done | xargs -P "$JOBS" -d '\n' -n 1 bash -c 'IFS=$'"'"'\t'"'"' read -r m n s <<< "$0"; run_one "$m" "$n" "$s" && echo "done $m $n" >&2'

/usr/bin/python3 "$ROOT/tools/results_table.py" "$OUT"
