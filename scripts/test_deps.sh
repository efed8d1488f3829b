#!/usr/bin/env bash
# Installs the npm reference tools the tests compare against into tests/node/node_modules (ignored by
# git; exact versions pinned in tests/node/package.json and its lock file, every package checked
# against the lock file's sha512). Idempotent and offline-tolerant: if the install fails, the tests
# that need these tools say so and skip.
# --ignore-scripts: node-llama-cpp's postinstall would probe, and on failure download and build
# llama.cpp; the tests use only the prebuilt binary of @node-llama-cpp/linux-x64 (getLlama with
# build: "never"), so no install script needs to run.
set -uo pipefail
cd "$(dirname "$0")/../tests/node"
# npm writes node_modules/.package-lock.json last: newer than the lock file means the install is
# complete and matches it (a lock file pinned anew, or pulled, is newer and reinstalls).
if [ node_modules/.package-lock.json -nt package-lock.json ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "test_deps: npm not found; tests that compare with llama.cpp will skip" >&2
  exit 0
fi
npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error || \
  echo "test_deps: npm install failed; tests that compare with llama.cpp will skip" >&2
exit 0
