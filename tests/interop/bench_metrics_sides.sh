# Sourced by bench_metrics_ab.sh and bench_metrics_callgrind.sh: the three sides they
# alternate. Expects $broker, $before (may be empty) and $mport.
#   off    - $broker with counting off (enableRequestMetrics=false, enableRemotingMetrics=false)
#   on     - $broker with the defaults and /metrics on $mport, scraped once a second
#   before - the $before binary (a build from before the metrics)

# The sides to run: off, on, and before when a before binary was given.
bench_sides() {
  echo "off on${before:+ before}"
}

# side_setup SIDE: a fresh temp dir in $tmp with its broker.conf, the binary in $bin.
side_setup() {
  tmp=$(mktemp -d)
  bin=$broker
  printf 'storePathRootDir=%s/store\nlistenPort=0\nbrokerIP1=127.0.0.1\nautoCreateTopicEnable=true\n' "$tmp" > "$tmp/b.conf"
  case $1 in
    off) printf 'enableRequestMetrics=false\nenableRemotingMetrics=false\n' >> "$tmp/b.conf" ;;
    on) printf 'metricsPort=%s\nmetricsHost=127.0.0.1\n' "$mport" >> "$tmp/b.conf" ;;
    before) bin=$before ;;
  esac
}

# wait_registered TRIES: until the broker in $tmp logged its registration (0.1 s apart).
wait_registered() {
  for _ in $(seq 1 "$1"); do grep -q "registered" "$tmp/broker.log" && return; sleep 0.1; done
}

# scraper_start SIDE / scraper_stop: GET /metrics once a second on the `on` side.
scraper_start() {
  scraper=""
  if [ "$1" = on ]; then
    ( while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$mport/metrics"; done ) &
    scraper=$!
  fi
}
scraper_stop() {
  if [ -n "$scraper" ]; then kill "$scraper"; fi
}
