#!/usr/bin/env bash
# Prompt (pp) and generation (tg) throughput of greenllm against llama.cpp on the same GGUF file,
# alternating the two tools run by run, R repetitions each; prints the median tok/s of each and the
# median ratio greenllm / llama.cpp.
#   usage: bench/vs_llamacpp.sh MODEL.gguf [REPS=5] [THREADS=2] [PP=128] [TG=128]
# Needs: build/greenllm (default build; `greenllm bench speed`) and llama-bench from
# ../shared/tools/llama-cpp-peer.sh (or LLAMA_BENCH=/path/to/llama-bench), python3.
set -euo pipefail
model=$1 reps=${2:-5} threads=${3:-2} pp=${4:-128} tg=${5:-128}
here=$(cd "$(dirname "$0")/.." && pwd)
greenllm=${GREENLLM_BIN:-$here/build/greenllm}
llama_bench=${LLAMA_BENCH:-/tmp/llama-cpp-peer/llama.cpp/build/bin/llama-bench}
[ -x "$greenllm" ] || { echo "missing $greenllm: build the default preset first" >&2; exit 1; }
[ -x "$llama_bench" ] || { echo "missing llama-bench: run ../shared/tools/llama-cpp-peer.sh or set LLAMA_BENCH" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$reps"); do
  "$llama_bench" -m "$model" -t "$threads" -p "$pp" -n "$tg" -r 1 -o json >"$tmp/llama_$r.json" 2>/dev/null
  "$greenllm" bench speed -m "$model" -t "$threads" -p "$pp" -n "$tg" -r 1 --json >"$tmp/greenllm_$r.json"
  echo "rep $r/$reps done" >&2
done
python3 - "$tmp" "$reps" "$pp" "$tg" <<'PY'
import json, statistics, sys
tmp, reps, pp, tg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
g = {"pp": [], "tg": []}; l = {"pp": [], "tg": []}
for r in range(1, reps + 1):
    gj = json.load(open(f"{tmp}/greenllm_{r}.json"))
    g["pp"].append(gj["tests"][f"pp{pp}"]["mean_tok_s"]); g["tg"].append(gj["tests"][f"tg{tg}"]["mean_tok_s"])
    for t in json.load(open(f"{tmp}/llama_{r}.json")):
        kind = "pp" if t["n_prompt"] > 0 else "tg"
        l[kind].append(t["avg_ts"])
print(f"model: {gj['model']}  threads: {gj['threads']}  greenllm kernels: {gj['kernels']}  reps: {reps}  "
      f"read bandwidth: {gj['read_bandwidth_gb_s']:.1f} GB/s (generation ceiling {gj['generation_ceiling_tok_s']:.1f} tok/s)")
print(f"{'test':8} {'llama.cpp tok/s':>16} {'greenllm tok/s':>15} {'median ratio':>13}")
for kind, n in (("pp", pp), ("tg", tg)):
    ratios = [a / b for a, b in zip(g[kind], l[kind])]
    print(f"{kind}{n:<6} {statistics.median(l[kind]):16.2f} {statistics.median(g[kind]):15.2f} {statistics.median(ratios):13.2f}")
PY
