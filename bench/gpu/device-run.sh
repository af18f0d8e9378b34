#!/usr/bin/env bash
# The whole GPU-host measurement in one call (device time is scarce): full-size so400m vision with random weights,
# converted to each graph flavor; images/s per flavor and batch size in-process (issue 6); then the backend serving
# the fastest cuda graph at concurrency 60, binary and JSON, against the same session in-process (issue 3).
# Run through the carried runtime: bash .device-carry/pN/gpu-env.sh bash bench/gpu/device-run.sh
set -uo pipefail
out=${OUT:-/tmp/siglip-out}
mkdir -p "$out"
# tsx needs esbuild's binary, which the runtime pack leaves out; it travels in .device-extra.
export ESBUILD_BINARY_PATH="$PWD/.device-extra/esbuild"
export GPU_NAME="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
work=/tmp/siglip-bench
{
  echo "card: $GPU_NAME"; nproc; node --version
  time timeout 120 bash bench/gpu/prepare.sh "$work"
} > "$out/prepare.log" 2>&1
repos=""
for d in "$work"/repo-*; do
  label=${d##*/repo-}
  [ "$label" = portable-fp16 ] && continue
  repos="$repos${repos:+,}$label=$d"
done
if [ -z "${SKIP_CONVERT_BENCH:-}" ]; then
timeout 240 node --import tsx bench/gpu/convertBench.ts --repos "$repos" --seconds "${SECONDS_PER_BATCH:-3}" --json "$out/convert.json" \
  > "$out/convert.md" 2> "$out/convert.log"
best=$(node -e '
  const r = require(process.argv[1]); let best = "", v = 0;
  for (const [k, ips] of Object.entries(r)) { const [label, b] = k.split("@"); if (label.startsWith("cuda") && +b >= 32 && ips > v) { v = ips; best = label; } }
  console.log(best);' "$out/convert.json" 2>/dev/null)
echo "fastest cuda graph: ${best:-none}" >> "$out/convert.log"
else
  best=${BEST:-cuda-fp16-attention}
fi
if [ -n "$best" ]; then
  timeout 170 node --import tsx bench/gpuServe.ts --repo "$work/repo-$best" --seconds "${SERVE_SECONDS:-10}" ${SERVE_ARGS:-} \
    > "$out/serve.md" 2> "$out/serve.log"
fi
cat "$out/convert.md" "$out/serve.md" 2>/dev/null
tail -5 "$out/convert.log" "$out/serve.log" 2>/dev/null
