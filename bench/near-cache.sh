#!/usr/bin/env bash
# The near cache, on and off, side by side in one run: a 90/10 GET/SET load over 1,000 hot keys
# (bench MixedLoad) through two proxies of their own JVMs against the same demo Sentinel
# deployment, one with switchboard.cache.enabled = true. Rounds are interleaved. Reports
# throughput, CPU seconds per million requests for each proxy and for the primary's redis-server
# (from /proc/<pid>/stat), reads older than the reader's own write (must be 0) and the longest
# time another client's acknowledged write stayed invisible to a reader.
#
#   bench/near-cache.sh                     # 3 rounds of 10 s per target
#   ROUNDS=5 SECONDS_PER_RUN=20 bench/near-cache.sh
#   CONNECTIONS=8 PIPELINE=16 KEYS=1000 WRITE_PERCENT=10 bench/near-cache.sh
#
# Figures are reported, never asserted. Every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-8}
PIPELINE=${PIPELINE:-16}
KEYS=${KEYS:-1000}
WRITE_PERCENT=${WRITE_PERCENT:-10}
DEMO_PORT=${DEMO_PORT:-7801}
OFF_PORT=${OFF_PORT:-7802}
ON_PORT=${ON_PORT:-7803}
ON_ADMIN_PORT=${ON_ADMIN_PORT:-7804}
JAR=proxy-core/target/switchboard.jar
TOOLS=bench/target/benchmarks.jar
WORK=$(mktemp -d /tmp/switchboard-near-cache-XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -f "$JAR" ] && [ -f "$TOOLS" ] || ./mvnw -B -q -DskipTests package

echo "Starting the demo topology..."
java -Xmx128m -Dswitchboard.listen.host=127.0.0.1 -Dswitchboard.listen.port="$DEMO_PORT" \
  -Dswitchboard.admin.port=0 -jar "$JAR" demo >"$WORK/demo.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do
  grep -q "^  replicas" "$WORK/demo.log" 2>/dev/null && break
  sleep 0.5
done
PRIMARY=$(awk '$1 == "primary" {print $2}' "$WORK/demo.log")
[ -n "$PRIMARY" ] || { echo "the demo did not start:"; cat "$WORK/demo.log"; exit 1; }
SENTINELS=$(awk '$1 == "sentinels" {$1 = ""; gsub(/[][ ]/, ""); print}' "$WORK/demo.log")
REDIS_PID=$(ss -ltnpH "sport = :${PRIMARY##*:}" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)

declare -A PORT PID
start_proxy() {
  local target=$1 port=$2 cache=$3 admin=$4
  java -Xmx256m -Dswitchboard.listen.host=127.0.0.1 -Dswitchboard.listen.port="$port" \
    -Dswitchboard.admin.port="$admin" -Dswitchboard.sentinel.hosts="$SENTINELS" \
    -Dswitchboard.cache.enabled="$cache" -jar "$JAR" >"$WORK/$target.log" 2>&1 &
  PID[$target]=$!
  PIDS+=("${PID[$target]}")
  PORT[$target]=$port
}
start_proxy off "$OFF_PORT" false 0
start_proxy on "$ON_PORT" true "$ON_ADMIN_PORT"
for target in off on; do
  for _ in $(seq 1 60); do
    grep -q "writes go there" "$WORK/$target.log" 2>/dev/null && break
    sleep 0.5
  done
done
sleep 2 # the cache's broadcast connects once the primary is known

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The "on" proxy's near cache hits or misses so far: metric <hits|misses>.
metric() {
  curl -s "http://127.0.0.1:$ON_ADMIN_PORT/metrics" | awk -v m="switchboard_cache_$1_total" '$1 == m {printf "%d", $2}'
}
TICKS=$(getconf CLK_TCK)
RESULTS="$WORK/results"
load() {
  java -cp "$TOOLS" io.switchboard.bench.MixedLoad "$1" "$CONNECTIONS" "$SECONDS_PER_RUN" \
    "$PIPELINE" "$KEYS" "$WRITE_PERCENT" "${2:-$1}"
}
echo "Warm-up..."
load "${PORT[off]}" >/dev/null
load "${PORT[on]}" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
  for target in off on; do
    proxy_before=$(cpu_ticks "${PID[$target]}")
    redis_before=$(cpu_ticks "$REDIS_PID")
    hits_before=$(metric hits) misses_before=$(metric misses)
    line=$(load "${PORT[$target]}")
    proxy_after=$(cpu_ticks "${PID[$target]}")
    redis_after=$(cpu_ticks "$REDIS_PID")
    hits=$(($(metric hits) - hits_before)) misses=$(($(metric misses) - misses_before))
    extra=""
    [ "$target" = on ] && extra=" (near cache hits $hits, misses $misses)"
    echo "round $round $target: $line$extra"
    echo "$target $line $((proxy_after - proxy_before)) $((redis_after - redis_before))" >>"$RESULTS"
  done
done

# Writes straight to the primary, reads through the cache: how long the proxy served a value
# after Redis acknowledged its replacement (its invalidation latency), longest of the rounds.
for round in $(seq 1 "$ROUNDS"); do
  line=$(load "${PORT[on]}" "${PRIMARY##*:}")
  echo "round $round on, writes straight to Redis: $line"
  echo "$line" >>"$WORK/direct"
done

median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# Fields: target ops N seconds S reads R writes W ownStale O maxInvisibleMicros M proxyTicks redisTicks
figure() {
  awk -v t="$1" -v tck="$TICKS" '$1 == t {
    ops = $3; s = $5
    if ($2 == "ops") {
      if (which == "rate") print ops / s
      else if (which == "proxy") print ($14 / tck) / (ops / 1e6)
      else if (which == "redis") print ($15 / tck) / (ops / 1e6)
      else if (which == "stale") print $11
      else if (which == "invisible") print $13 / 1000
    }
  }' which="$2" "$RESULTS" | median
}
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, loopback; $CONNECTIONS connections, pipeline $PIPELINE,"
echo "$KEYS keys, $WRITE_PERCENT% SET, $SECONDS_PER_RUN s per run, medians of $ROUNDS rounds:"
echo
echo "| near cache | requests/s | proxy CPU s/M | redis CPU s/M | reads older than own write | longest invisible write (ms) |"
echo "|---|---|---|---|---|---|"
for target in off on; do
  printf "| %s | %.0fk | %.2f | %.2f | %s | %.2f |\n" "$target" \
    "$(awk -v v="$(figure "$target" rate)" 'BEGIN {print v / 1000}')" \
    "$(figure "$target" proxy)" "$(figure "$target" redis)" \
    "$(awk -v t="$target" '$1 == t {s += $11} END {print s}' "$RESULTS")" \
    "$(awk -v t="$target" '$1 == t && $13 > m {m = $13} END {print m / 1000}' "$RESULTS")"
done
echo
printf "Writes straight to Redis, reads through the near cache: longest a replaced value was still served %.2f ms (invalidation latency; reads older than the reader's own write: %s).\n" \
  "$(awk '$12 > m {m = $12} END {print m / 1000}' "$WORK/direct")" \
  "$(awk '{s += $10} END {print s}' "$WORK/direct")"
