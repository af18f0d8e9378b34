#!/usr/bin/env bash
# GPU-host preparation for bench/gpu/convertBench.ts (issue 6): synthesizes full-size SigLIP so400m vision weights
# (no download) and converts them into one model repository per flavor. About 30 s on 2 CPU cores, less on 16.
# Usage: bash bench/gpu/prepare.sh [WORKDIR]   (default /tmp/siglip-bench); then:
#   node --import tsx bench/gpu/convertBench.ts --repos portable-fp32=W/repo-portable-fp32,portable-fp16=W/repo-portable-fp16,cuda-fp16=W/repo-cuda-fp16
set -euo pipefail
work=${1:-/tmp/siglip-bench}
siglip() { node bin/siglip.js "$@"; }
mkdir -p "$work"
siglip model synth --like so400m --towers vision --into "$work/so400m-synth"
siglip model convert --from "$work/so400m-synth" --into "$work/repo-portable-fp32" --flavor portable --dtype fp32
siglip model convert --from "$work/so400m-synth" --into "$work/repo-portable-fp16" --flavor portable --dtype fp16
siglip model convert --from "$work/so400m-synth" --into "$work/repo-cuda-fp16" --flavor cuda --dtype fp16
# The checkpoint is only needed for the conversions; free the disk.
rm -rf "$work/so400m-synth"
ls -la "$work"/repo-*/siglip_vision/1
