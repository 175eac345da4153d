#!/usr/bin/env bash
# Cluster mode side by side, in one run with interleaved rounds: Switchboard in front of a local
# Redis Cluster of 3 primaries and 3 replicas (the `demo --cluster`), the same cluster direct with
# `redis-benchmark --cluster`, and Switchboard in front of the Sentinel demo (the target for cluster
# mode's CPU per request: within about 10% of it). Each proxy's CPU seconds per million requests
# come from its own /proc/<pid>/stat. Also: MSET and MGET of 10 keys across slots through the proxy
# (split per slot and merged), beside the same 10 keys in one slot ({hash tag}) direct.
#
#   bench/cluster.sh              # 3 rounds (about 8 minutes)
#   CLUSTER=1 bench/run.sh        # the same
#   ROUNDS=1 bench/cluster.sh     # one round
#
# Figures are reported, never asserted. Every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N_P1=${N_P1:-200000}
N_P16=${N_P16:-1000000}
N_MULTI=${N_MULTI:-100000}
# SET and GET use random keys of this many (-r), so that they spread over every slot and shard and
# a pipeline switches shards as a real one does (without -r every request names one key, one slot).
KEYSPACE=${KEYSPACE:-1000000}
CLUSTER_PORT=${CLUSTER_PORT:-7711}
CLUSTER_ADMIN=${CLUSTER_ADMIN:-7712}
SENTINEL_PORT=${SENTINEL_PORT:-7713}
SENTINEL_ADMIN=${SENTINEL_ADMIN:-7714}
JAR=proxy-core/target/switchboard.jar
WORK=$(mktemp -d /tmp/switchboard-cluster-bench-XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v redis-benchmark >/dev/null || { echo "redis-benchmark is needed (apt-get install redis-tools)"; exit 2; }
[ -f "$JAR" ] || ./mvnw -B -q -DskipTests package

# demo <name> <port> <admin port> [--cluster]: the proxy and its servers in one JVM (the Redis
# processes are its children; /proc/<pid>/stat of the JVM counts the proxy alone).
demo() {
  local name=$1 port=$2 admin=$3
  shift 3
  # shellcheck disable=SC2086
  java ${SWITCHBOARD_JAVA_OPTS:--Xmx128m} -Dswitchboard.listen.host=127.0.0.1 \
    -Dswitchboard.listen.port="$port" -Dswitchboard.admin.port="$admin" \
    -jar "$JAR" demo "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  echo "$!" >"$WORK/$name.pid"
}
echo "Starting the cluster demo on port $CLUSTER_PORT and the Sentinel demo on port $SENTINEL_PORT..."
demo cluster "$CLUSTER_PORT" "$CLUSTER_ADMIN" --cluster
demo sentinel "$SENTINEL_PORT" "$SENTINEL_ADMIN"
for name in cluster sentinel; do
  for _ in $(seq 1 180); do
    grep -q "Ctrl-C stops" "$WORK/$name.log" 2>/dev/null && break
    sleep 0.5
  done
  grep -q "Ctrl-C stops" "$WORK/$name.log" || { echo "the $name demo did not start:"; cat "$WORK/$name.log"; exit 1; }
done
NODE=$(awk '$1 == "primaries" {sub(",", "", $2); print $2}' "$WORK/cluster.log")

declare -A PORT PID
TARGETS=(direct-cluster switchboard-cluster switchboard-sentinel)
PORT[switchboard-cluster]=$CLUSTER_PORT
PORT[switchboard-sentinel]=$SENTINEL_PORT
PID[switchboard-cluster]=$(cat "$WORK/cluster.pid")
PID[switchboard-sentinel]=$(cat "$WORK/sentinel.pid")
for target in switchboard-cluster switchboard-sentinel; do
  for _ in $(seq 1 60); do
    [ "$(redis-cli -p "${PORT[$target]}" set bench:ready 1 2>/dev/null)" = "OK" ] && break
    sleep 0.5
  done
done

# The redis-benchmark options that reach a target.
reach() {
  if [ "$1" = direct-cluster ]; then
    echo "--cluster -h ${NODE%:*} -p ${NODE##*:}"
  else
    echo "-h 127.0.0.1 -p ${PORT[$1]}"
  fi
}

TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
RESULTS=$WORK/results
: >"$RESULTS"

# measure <target> <label> <requests> <redis-benchmark arguments...>: the rate of each test, and the
# proxy's CPU per million requests over the run.
measure() {
  local target=$1 label=$2 requests=$3 before after
  shift 3
  [ -n "${PID[$target]:-}" ] && before=$(cpu_ticks "${PID[$target]}")
  # shellcheck disable=SC2046
  redis-benchmark $(reach "$target") -c "$CLIENTS" --csv "$@" 2>/dev/null |
    awk -F'"' -v t="$target" -v l="$label" 'NR > 1 && $4 != "" {n = split($2, w, " "); print t, w[1] "_" l, $4}' >>"$RESULTS"
  if [ -n "${PID[$target]:-}" ]; then
    after=$(cpu_ticks "${PID[$target]}")
    echo "$target CPU_$label $(awk -v d=$((after - before)) -v hz="$TICKS" -v r="$requests" 'BEGIN {printf "%.3f", d / hz / r * 1000000}')" >>"$RESULTS"
  fi
}

# Ten keys: across slots through the proxies, in one slot ({tag}) for the cluster direct (it
# refuses keys of several slots), each key a random one of a million.
keys() {
  local tag="" i
  [ "$1" = direct-cluster ] && tag="{tag}"
  for i in $(seq 0 9); do printf ' k%s%s:__rand_int__' "$tag" "$i"; done
}
multi() {
  local target=$1 pairs="" key
  for key in $(keys "$target"); do pairs="$pairs $key v"; done
  # shellcheck disable=SC2086
  measure "$target" MSET10 "$N_MULTI" -n "$N_MULTI" -r 1000000 MSET $pairs
  # shellcheck disable=SC2046
  measure "$target" MGET10 "$N_MULTI" -n "$N_MULTI" -r 1000000 MGET $(keys "$target")
}

for target in "${TARGETS[@]}"; do # warm-up, not measured
  # shellcheck disable=SC2046
  redis-benchmark $(reach "$target") -c "$CLIENTS" -n 300000 -P 16 -d 16 -t set,get -q >/dev/null 2>&1
done
echo "Targets: ${TARGETS[*]}; $ROUNDS rounds, $CLIENTS clients, -n $N_P1 at P1, $N_P16 at P16, $N_MULTI for MSET/MGET of 10 keys."
for round in $(seq 1 "$ROUNDS"); do
  for target in "${TARGETS[@]}"; do
    echo "  round $round: $target"
    measure "$target" P1 $((2 * N_P1)) -n "$N_P1" -r "$KEYSPACE" -d 16 -t set,get
    measure "$target" P16 $((2 * N_P16)) -n "$N_P16" -r "$KEYSPACE" -P 16 -d 16 -t set,get
    multi "$target"
  done
done

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
value() { awk -v t="$1" -v m="$2" '$1 == t && $2 == m {print $3}' "$RESULTS" | median; }
krps() { awk -v v="$1" 'BEGIN {if (v == "-") print "-"; else printf "%.0fk", v / 1000}'; }

echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, everything on loopback, with \`bench/cluster.sh\`"
echo "(redis-benchmark -c $CLIENTS, 16-byte values, SET/GET on random keys of $KEYSPACE, medians of $ROUNDS interleaved rounds; MSET/MGET: 10 random keys of a million):"
echo
echo "| target | SET P1 | GET P1 | SET P16 | GET P16 | MSET 10 keys | MGET 10 keys | CPU s per M requests P1 | P16 | MSET/MGET |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for target in "${TARGETS[@]}"; do
  row="| $target"
  for metric in SET_P1 GET_P1 SET_P16 GET_P16 MSET_MSET10 MGET_MGET10; do
    row="$row | $(krps "$(value "$target" "$metric")")"
  done
  echo "$row | $(value "$target" CPU_P1) | $(value "$target" CPU_P16) | $(value "$target" CPU_MSET10) / $(value "$target" CPU_MGET10) |"
done
echo
echo "MSET/MGET go across slots through the proxies (split per slot, one part per slot) and in one slot direct."
for label in P1 P16; do
  awk -v l="$label" -v c="$(value switchboard-cluster "CPU_$label")" -v s="$(value switchboard-sentinel "CPU_$label")" \
    'BEGIN {if (c != "-" && s != "-" && s > 0) printf "- CPU per request %s: cluster mode / Sentinel mode = %.2f\n", l, c / s}'
done
