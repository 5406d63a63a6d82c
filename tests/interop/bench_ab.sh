#!/usr/bin/env bash
# Before/after benchmark of a change: the rmq-broker and rmq-bench release binaries of two
# checkouts (e.g. a `git worktree` at the old commit and this one), alternated, a fresh
# standalone broker and store per run; rmq-bench async (256 in flight), oneway and batch
# (4 threads), 2 s warm-up + 8 s each. Prints one line per run, side and mode; take medians.
# Build both first: cargo build --release -p rmq --bin rmq-bench -p rmq-broker --bin rmq-broker
# usage: tests/interop/bench_ab.sh RUNS BEFORE_DIR AFTER_DIR
set -u
runs=$1; before=$2; after=$3
port=29877
for r in $(seq 1 "$runs"); do
  for side in before after; do
    dir=$([ $side = before ] && echo "$before" || echo "$after")
    tmp=$(mktemp -d)
    printf 'storePathRootDir=%s/store\nlistenPort=0\nbrokerIP1=127.0.0.1\nautoCreateTopicEnable=true\n' "$tmp" > "$tmp/b.conf"
    "$dir/target/release/rmq-broker" standalone -c "$tmp/b.conf" --namesrv-port $port > "$tmp/broker.log" 2>&1 &
    bpid=$!
    for i in $(seq 1 100); do grep -q "registered" "$tmp/broker.log" && break; sleep 0.05; done
    for mode in async oneway batch; do
      extra=""; [ $mode = async ] && extra="--in-flight 256"; [ $mode = batch ] && extra="-w 4"
      line=$("$dir/target/release/rmq-bench" producer -n 127.0.0.1:$port -t AB_$mode -m $mode $extra --warmup 2 -d 8 2>/dev/null | grep '^RESULT')
      tps=$(echo "$line" | python3 -c 'import sys,json; print(json.loads(sys.stdin.read()[7:])["tps"])')
      echo "run=$r side=$side mode=$mode tps=$tps"
    done
    kill $bpid; wait $bpid 2>/dev/null; rm -rf "$tmp"
  done
done
