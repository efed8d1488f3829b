#!/usr/bin/env bash
# Installs what the tests need, builds, and runs the fast test suite (what CI runs):
#   1. the default (portable Release) build and its `fast` tests;
#   2. the GGUF fuzz and parser tests again under AddressSanitizer + UBSan (sanitize preset).
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
scripts/test_deps.sh
jobs=$(nproc)

cmake --preset default >/dev/null
cmake --build --preset default -j"$jobs"
ctest --preset fast -j"$jobs"

if [ "${1:-}" != "--no-sanitize" ]; then
  cmake --preset sanitize >/dev/null
  cmake --build --preset sanitize -j"$jobs" --target test_formats_fast test_tokenizer_fast
  ctest --preset sanitize -j"$jobs" -R 'Gguf|Fuzz|Tokenizer|Spm'
fi
