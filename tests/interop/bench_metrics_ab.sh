#!/usr/bin/env bash
# Cost of metrics counting on the send path: one release rmq-broker binary, alternated
# between counting off (enableRequestMetrics=false, enableRemotingMetrics=false) and on
# (the defaults, with metricsPort serving /metrics, scraped once a second during the run),
# a fresh standalone broker and store per run; rmq-bench async (256 in flight), 2 s warm-up
# + 8 s. An optional third side runs another broker binary (e.g. a build from before the
# change). Prints one line per run and side: throughput, and the broker's CPU time (user +
# system, from /proc) per acknowledged message, which a loaded machine disturbs less than
# throughput; take medians.
# Build first: cargo build --release -p rmq --bin rmq-bench -p rmq-broker --bin rmq-broker
# usage: tests/interop/bench_metrics_ab.sh RUNS BROKER_BIN BENCH_BIN [BEFORE_BROKER_BIN]
set -u
runs=$1; broker=$2; bench=$3; before=${4:-}
port=29877; mport=29878
. "$(dirname "$0")/bench_metrics_sides.sh"
for r in $(seq 1 "$runs"); do
  for side in $(bench_sides); do
    side_setup "$side"
    "$bin" standalone -c "$tmp/b.conf" --namesrv-port $port > "$tmp/broker.log" 2>&1 &
    bpid=$!
    wait_registered 50
    scraper_start "$side"
    # the topic's route first, outside the measurement
    "$bench" producer -n 127.0.0.1:$port -t AB_metrics -m sync -d 1 --warmup 0 > /dev/null 2>&1
    cpu0=$(awk '{print $14 + $15}' /proc/$bpid/stat)
    line=$("$bench" producer -n 127.0.0.1:$port -t AB_metrics -m async --in-flight 256 --warmup 0 -d ${SECS:-8} 2>/dev/null | grep '^RESULT')
    cpu1=$(awk '{print $14 + $15}' /proc/$bpid/stat)
    echo "$line" | python3 -c '
import sys, json, os
r = json.loads(sys.stdin.read()[7:])
ticks = int(sys.argv[2]) - int(sys.argv[1])
us = ticks * 1e6 / os.sysconf("SC_CLK_TCK") / max(r["ok"], 1)
tps, ok = r["tps"], r["ok"]
print(f"run={sys.argv[3]} side={sys.argv[4]} tps={tps} ok={ok} broker_cpu_us_per_msg={us:.3f}")
' "$cpu0" "$cpu1" "$r" "$side"
    scraper_stop
    kill $bpid; wait $bpid 2>/dev/null; rm -rf "$tmp"
  done
done
