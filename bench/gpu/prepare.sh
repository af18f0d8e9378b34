#!/usr/bin/env bash
# GPU-host preparation for bench/gpu/convertBench.ts (issue 6): synthesizes full-size SigLIP so400m vision weights
# (no download) and converts them into one model repository per graph to compare:
#   repo-portable-fp32, repo-portable-fp16                   standard ONNX ops
#   repo-cuda-fp16-mha-separate                              cuda flavor, q/k/v MatMuls into MultiHeadAttention (default)
#   repo-cuda-fp16-mha-packed                                cuda flavor, one QKV MatMul into packed MultiHeadAttention
#   repo-cuda-fp16-attention                                 cuda flavor, com.microsoft.Attention
# The conversions run in parallel (each is one single-threaded node process streaming the checkpoint); with the
# synth, about 25 s on 16 cores, about 60 s on 2.
# Usage: bash bench/gpu/prepare.sh [WORKDIR]   (default /tmp/siglip-bench); it ends by printing the bench command.
set -euo pipefail
work=${1:-/tmp/siglip-bench}
ckpt="$work/so400m-synth"
siglip() { node bin/siglip.js "$@"; }
mkdir -p "$work/logs"

start=$SECONDS
siglip model synth --like so400m --towers vision --into "$ckpt"
echo "synth: $((SECONDS - start)) s"

# label → convert flags; the label names the repository directory and the bench row.
declare -A variants=(
  [portable-fp32]="--flavor portable --dtype fp32"
  [portable-fp16]="--flavor portable --dtype fp16"
  [cuda-fp16-mha-separate]="--flavor cuda --dtype fp16 --attention mha-separate"
  [cuda-fp16-mha-packed]="--flavor cuda --dtype fp16 --attention mha-packed"
  [cuda-fp16-attention]="--flavor cuda --dtype fp16 --attention attention"
)
order=(portable-fp32 portable-fp16 cuda-fp16-mha-separate cuda-fp16-mha-packed cuda-fp16-attention)

start=$SECONDS
declare -A pids=()
for label in "${order[@]}"; do
  # shellcheck disable=SC2086 # the flags are meant to split into words
  siglip model convert --from "$ckpt" --into "$work/repo-$label" ${variants[$label]} >"$work/logs/$label.log" 2>&1 &
  pids[$label]=$!
done
failed=0
for label in "${order[@]}"; do
  if ! wait "${pids[$label]}"; then
    echo "convert $label FAILED:" >&2
    cat "$work/logs/$label.log" >&2
    failed=1
  fi
done
echo "converts (parallel): $((SECONDS - start)) s"
# The checkpoint is only needed for the conversions; free the disk.
rm -rf "$ckpt"
[ "$failed" = 0 ] || exit 1

du -sh "$work"/repo-*/siglip_vision/1
repos=$(for label in "${order[@]}"; do printf '%s=%s,' "$label" "$work/repo-$label"; done)
echo "bench: node --import tsx bench/gpu/convertBench.ts --repos ${repos%,}"
