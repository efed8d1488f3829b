#!/usr/bin/env bash
# Installs the Debian packages greenllm needs to build and test (idempotent: only what is missing),
# then configures and builds the default preset. Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  nlohmann-json3-dev   # JSON (config files, --json output)
  libcli11-dev         # command-line parsing
  libfmt-dev           # formatting
  libgtest-dev libgmock-dev  # tests
  libbenchmark-dev     # micro-benchmarks
  qemu-user            # the portability test runs greenllm on an emulated CPU without AVX
  unicode-data         # UnicodeData.txt: scripts/gen_unicode_data.py regenerates src/tokenizer/unicode_data.cpp
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js + npm run the reference clients in tests (node-llama-cpp; later the openai SDK). A machine
# may already have them from another source; only install Debian's when there is none.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" != "--no-build" ]; then
  cmake --preset default >/dev/null
  cmake --build --preset default
fi
