#!/usr/bin/env bash
# Smoke test of the sample CLI against a real server: the demo of scripts/zkcli.sh (scripts/zkcli.sh demo) must
# run cleanly and print what it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(env -u ZK_HOSTS bash scripts/zkcli.sh demo 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "hello again" <<<"$out"
grep -q "imok" <<<"$out"
