#!/usr/bin/env bash
# Cost of metrics counting on the send path in instructions, which valgrind's callgrind counts
# the same whatever else the machine does (seconds and throughput on a shared 2-core machine
# spread by ±15 % between runs). One release rmq-broker binary runs under callgrind, alternated
# between counting off (enableRequestMetrics=false, enableRemotingMetrics=false) and on (the
# defaults, with metricsPort serving /metrics, scraped once a second); an optional third side
# runs another broker binary (a build from before the metrics, e.g. `git worktree add` of an
# older commit). A fresh standalone broker and store per run; instrumentation is switched on
# (callgrind_control -i on) only while rmq-bench sends async at a fixed rate (RATE msg/s for
# SECS s, so every side handles the same load), then the broker's user-space instructions are
# divided by the acknowledged messages. Prints one line per run and side; take medians.
# Build first: cargo build --release -p rmq --bin rmq-bench -p rmq-broker --bin rmq-broker
# usage: tests/interop/bench_metrics_callgrind.sh RUNS BROKER_BIN BENCH_BIN [BEFORE_BROKER_BIN]
set -u
runs=$1; broker=$2; bench=$3; before=${4:-}
rate=${RATE:-1000}; secs=${SECS:-10}
port=29887; mport=29888
. "$(dirname "$0")/bench_metrics_sides.sh"
for r in $(seq 1 "$runs"); do
  for side in $(bench_sides); do
    side_setup "$side"
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/cg.out" \
      "$bin" standalone -c "$tmp/b.conf" --namesrv-port $port > "$tmp/broker.log" 2>&1 &
    bpid=$!
    wait_registered 600
    scraper_start "$side"
    # the topic's route first, outside the measurement
    "$bench" producer -n 127.0.0.1:$port -t AB_metrics -m sync -d 1 --warmup 0 > /dev/null 2>&1
    callgrind_control -i on $bpid > /dev/null 2>&1
    line=$("$bench" producer -n 127.0.0.1:$port -t AB_metrics -m async --rate "$rate" --warmup 0 -d "$secs" 2>/dev/null | grep '^RESULT')
    callgrind_control -i off $bpid > /dev/null 2>&1
    callgrind_control -d $bpid > /dev/null 2>&1
    scraper_stop
    kill $bpid; wait $bpid 2>/dev/null
    ir=$(grep -h '^totals:' "$tmp"/cg.out* | awk '{s += $2} END {print s}')
    echo "$line" | python3 -c '
import sys, json
r = json.loads(sys.stdin.read()[7:])
ir, ok, failed = int(sys.argv[1]), r["ok"], r["failed"]
print(f"run={sys.argv[2]} side={sys.argv[3]} ok={ok} failed={failed} broker_instructions_per_msg={ir / max(ok, 1):.0f}")
' "$ir" "$r" "$side"
    [ -n "${KEEP:-}" ] && cp "$tmp"/cg.out.* "$KEEP/cg-$side-$r.out" 2>/dev/null
    rm -rf "$tmp"
  done
done
