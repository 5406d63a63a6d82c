#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs the official C++ client
# (PyPI wheel rocketmq==0.4.4) into a venv for the interop tests, then runs cargo test and
# prints one closing line with the totals of every test binary. The tests against the
# reference implementation resolve Apache RocketMQ, the Java client and
# rocketmq-spring-boot-starter from Maven Central themselves (tests/java/, examples/spring-boot/).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "tests/run.sh: '$tool' is required: the tests run Apache RocketMQ and its Java clients (Java 17 and Maven)" >&2
    exit 1
  fi
done
# The dashboard's browser tests (tests/dashboard.rs, tests/apache_broker/dashboard.rs) drive
# Debian's chromium with playwright-core (pinned in tests/dashboard/package-lock.json).
if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
(cd tests/dashboard && npm ci --no-audit --no-fund)
python="$(bash tests/interop/install.sh | tail -n 1)"
export RMQ_INTEROP_PYTHON="$python"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
