#!/usr/bin/env bash
# Installs the npm reference tools the tests compare against into tests/node/node_modules (ignored by
# git; versions pinned in tests/node/package.json and its lock file). Idempotent and offline-tolerant:
# if the install fails, the tests that need these tools say so and skip.
set -uo pipefail
cd "$(dirname "$0")/../tests/node"
if [ -d node_modules/node-llama-cpp ] && [ -d node_modules/@node-llama-cpp/linux-x64 ]; then exit 0; fi
npm ci --omit=optional --no-audit --no-fund --loglevel=error || \
  echo "test_deps: npm install failed; tests that compare with llama.cpp will skip" >&2
exit 0
