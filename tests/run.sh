#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs the official C++ client
# (PyPI wheel rocketmq==0.4.4) into a venv for the interop tests, then runs cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(bash tests/interop/install.sh | tail -n 1)"
export RMQ_INTEROP_PYTHON="$python"
cargo test --workspace --no-fail-fast "$@"
