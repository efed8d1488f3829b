#!/usr/bin/env bash
# The main job, `greenllm run`, on a model that needs no download: the shared stories260K model
# (a real 260K-parameter Llama trained on TinyStories) when it is beside the checkout, otherwise a
# tiny model that `greenllm synth` writes with random weights (its text is noise; it shows the path
# from file to tokens and the speed). Usage: scripts/demo.sh [extra `greenllm run` flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${GREENLLM_BIN:-build/greenllm}
if [ ! -x "$bin" ]; then
  echo "demo: $bin is not built; run scripts/setup.sh first" >&2
  exit 1
fi
models=${GREENLLM_TEST_MODELS:-../shared/models}
model=$models/stories260K.gguf

if [ -f "$model" ]; then
  echo "demo: greenllm run on $model (stories260K, trained on TinyStories), greedy, 256 tokens from BOS" >&2
  echo "demo: ----------------------------------------------------------------------------------------" >&2
  "$bin" run -m "$model" -p "" -n 256 --temp 0 "$@"
else
  synth=build/demo-tiny-random.gguf
  echo "demo: $model not found; making a tiny model with RANDOM weights instead:" >&2
  "$bin" synth --like tiny --type f16 -o "$synth"
  echo "demo: greenllm run on $synth. Its weights are random, so the text below is meaningless:" >&2
  echo "demo: it shows the whole path (GGUF -> tokenizer -> forward pass -> sampler -> text) and the speed." >&2
  echo "demo: ----------------------------------------------------------------------------------------" >&2
  "$bin" run -m "$synth" -p "" -n 64 --seed 1 "$@"
fi
