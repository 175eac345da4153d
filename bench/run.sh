#!/usr/bin/env bash
# Side-by-side throughput of the same load against the primary directly, Switchboard, and, when
# installed, HAProxy (role:master check) and twemproxy (nutcracker), all in front of the same
# local Sentinel deployment (the demo's). Rounds are interleaved so that drift on a shared machine
# hits every target alike; the table shows medians, ratios, and each proxy's CPU seconds per
# million requests (from /proc/<pid>/stat).
#
#   bench/run.sh                 # 2 rounds after a warm-up (about 15 minutes)
#   MORE=0 LATENCY=0 IDLE=0 bench/run.sh   # only SET/GET at P1 and P16 (about 3 minutes)
#   ROUNDS=3 bench/run.sh        # more rounds
#   LATENCY=0 IDLE=0 bench/run.sh  # without the fixed-rate latency and idle-connection parts
#   SWITCHBOARD_JAVA_OPTS=-Xmx1g bench/run.sh   # the proxy's JVM options (default -Xmx128m)
#   BASELINE_JAR=/tmp/old/switchboard.jar bench/run.sh  # also an earlier build, as "baseline",
#                                 # against the same Sentinels: a before/after in one run (both
#                                 # builds run as proxies of their own JVMs, as Switchboard always does)
#   SWITCHBOARD_VARIANT="-Dswitchboard.server.io-threads=2" bench/run.sh
#                                 # also this build with other settings, as target "variant"
#   apt-get install haproxy nutcracker   # to include the peers
#   PREDIXY=../shared/peers/predixy bench/run.sh  # predixy too (Sentinel mode, PREDIXY_CONF or the
#                                 # predixy.conf beside the binary as the template)
#   IDLE_CPU=0 bench/run.sh      # without the idle figures (each proxy alone for IDLE_SECONDS)
#   CLUSTER=1 bench/run.sh       # cluster mode instead: bench/cluster.sh
#   INSIGHT=1 MORE=0 LATENCY=0 IDLE=0 IDLE_CPU=0 ROUNDS=3 bench/run.sh
#                                 # the cost of the slow log, hot keys and big keys: one proxy with
#                                 # all three off, each alone on, all on, switched by hot reload
#                                 # (INSIGHT_VARIANTS="tools-off tools-on" for an A/B of all three)
#
# Also measured: heap bytes Switchboard's event loops allocate per request (its
# switchboard_io_allocated_bytes_total), latency at a fixed 5,000 requests/s (p50/p99/p999, each
# proxy minus direct; bench FixedRateLatency) and the resident memory with 10,000 idle clients
# (bench IdleClients). At the end, each proxy with no client at all, the others paused (SIGSTOP):
# its CPU (% of a core, from /proc) and the ROLE and INFO calls it makes each server answer per
# second (the servers' commandstats). The JMH microbenchmarks are separate: see the README.
#
# Figures are reported, never asserted. Every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${CLUSTER:-0}" = 1 ] && exec bench/cluster.sh

ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-50}
N_P1=${N_P1:-200000}
N_P16=${N_P16:-1000000}
PROXY_PORT=${PROXY_PORT:-7701}
HAPROXY_PORT=${HAPROXY_PORT:-7702}
TWEMPROXY_PORT=${TWEMPROXY_PORT:-7703}
ADMIN_PORT=${ADMIN_PORT:-7704}
BASELINE_PORT=${BASELINE_PORT:-7705}
BASELINE_ADMIN_PORT=${BASELINE_ADMIN_PORT:-7706}
CANDIDATE_PORT=${CANDIDATE_PORT:-7707}
CANDIDATE_ADMIN_PORT=${CANDIDATE_ADMIN_PORT:-7708}
LATENCY_RATE=${LATENCY_RATE:-5000}
LATENCY_SECONDS=${LATENCY_SECONDS:-20}
IDLE_CLIENTS=${IDLE_CLIENTS:-10000}
PREDIXY_PORT=${PREDIXY_PORT:-7709}
VARIANT_PORT=${VARIANT_PORT:-7713}
VARIANT_ADMIN_PORT=${VARIANT_ADMIN_PORT:-7714}
IDLE_SECONDS=${IDLE_SECONDS:-30}
JAR=proxy-core/target/switchboard.jar
TOOLS=bench/target/benchmarks.jar
WORK=$(mktemp -d /tmp/switchboard-bench-XXXXXX)
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

command -v redis-benchmark >/dev/null || { echo "redis-benchmark is needed (apt-get install redis-tools)"; exit 2; }
[ -f "$JAR" ] && [ -f "$TOOLS" ] || ./mvnw -B -q -DskipTests package

echo "Starting the demo topology and Switchboard on port $PROXY_PORT..."
# A heap cap as a deployment would set one: with 10,000 clients the live heap is about 40 MB, but
# an uncapped G1 heap on a large machine grows to whatever the allocation rate suggests.
# shellcheck disable=SC2086
java ${SWITCHBOARD_JAVA_OPTS:--Xmx128m} -Dswitchboard.listen.host=127.0.0.1 -Dswitchboard.listen.port="$PROXY_PORT" \
  -Dswitchboard.admin.port="$ADMIN_PORT" -Dswitchboard.limits.max-clients=$((IDLE_CLIENTS + 100)) \
  -jar "$JAR" demo >"$WORK/switchboard.log" 2>&1 &
SWITCHBOARD_PID=$!
PIDS+=("$SWITCHBOARD_PID")
for _ in $(seq 1 120); do
  grep -q "^  replicas" "$WORK/switchboard.log" 2>/dev/null && break
  sleep 0.5
done
PRIMARY=$(awk '$1 == "primary" {print $2}' "$WORK/switchboard.log")
REPLICAS=$(awk '$1 == "replicas" {gsub(",", ""); print $2, $3}' "$WORK/switchboard.log")
[ -n "$PRIMARY" ] || { echo "the demo did not start:"; cat "$WORK/switchboard.log"; exit 1; }
for _ in $(seq 1 60); do
  [ "$(redis-cli -p "$PROXY_PORT" set bench:ready 1 2>/dev/null)" = "OK" ] && break
  sleep 0.5
done

declare -A PORT PID ADMIN
TARGETS=(direct switchboard)
PORT[direct]=${PRIMARY##*:}

# A proxy of its own JVM, against the demo's Sentinels:
# start_standalone <target> <jar> <port> <admin port> [-Dswitchboard... settings].
start_standalone() {
  local target=$1 jar=$2 port=$3 admin=$4 sentinels
  local settings=("${@:5}")
  sentinels=$(awk '$1 == "sentinels" {$1 = ""; gsub(/[][ ]/, ""); print}' "$WORK/switchboard.log")
  echo "Starting $target ($jar) on port $port, Sentinels $sentinels..."
  # shellcheck disable=SC2086
  java ${SWITCHBOARD_JAVA_OPTS:--Xmx128m} -Dswitchboard.listen.host=127.0.0.1 \
    -Dswitchboard.listen.port="$port" -Dswitchboard.admin.port="$admin" \
    -Dswitchboard.sentinel.hosts="$sentinels" -Dswitchboard.limits.max-clients=$((IDLE_CLIENTS + 100)) \
    "${settings[@]}" -jar "$jar" >"$WORK/standalone-$target.log" 2>&1 &
  PID[$target]=$!
  PIDS+=("${PID[$target]}")
  PORT[$target]=$port
  ADMIN[$target]=$admin
}

# Switchboard as it is deployed: a JVM of its own with the default configuration. The demo's proxy,
# which shares its JVM with the demo, stays idle (it measured 5-30% apart from a standalone one).
start_standalone switchboard "$JAR" "$CANDIDATE_PORT" "$CANDIDATE_ADMIN_PORT"
if [ -n "${BASELINE_JAR:-}" ]; then
  # Before/after: both builds run alike, so the comparison is between builds, not placements.
  start_standalone baseline "$BASELINE_JAR" "$BASELINE_PORT" "$BASELINE_ADMIN_PORT"
  TARGETS+=(baseline)
fi
if [ -n "${SWITCHBOARD_VARIANT:-}" ]; then
  # The same build with other settings, as target "variant": an A/B of a setting in one run.
  # shellcheck disable=SC2086
  start_standalone variant "$JAR" "$VARIANT_PORT" "$VARIANT_ADMIN_PORT" $SWITCHBOARD_VARIANT
  TARGETS+=(variant)
fi

# Settings reloaded into the "tools" proxy before a target's run (INSIGHT=1): target -> "slow log
# max-len, hot keys enabled, big keys max-len".
declare -A TOOLS_SETTINGS=()
TOOLS_CONF=$WORK/tools.conf
tools_conf() {
  printf 'switchboard.slowlog.max-len = %s\nswitchboard.hotkeys.enabled = %s\nswitchboard.bigkeys.max-len = %s\n' \
    "$@" >"$TOOLS_CONF"
}
if [ "${INSIGHT:-0}" = 1 ]; then
  # Issue #20's cost of each tool when on. One JVM whose tools are switched by a hot reload before
  # each run: every variant then has the same process, JIT and placement, which separate JVMs on
  # two cores do not (their spread was +-15%, far above the tools' own cost).
  tools_conf 0 false 0
  start_standalone tools "$JAR" 7711 7712 -Dconfig.file="$TOOLS_CONF" \
    -Dswitchboard.admin.token=bench -Dswitchboard.server.config-reload-interval=0
  TOOLS_SETTINGS=([tools-off]="0 false 0" [slowlog-on]="128 false 0" [hotkeys-on]="0 true 0"
    [bigkeys-on]="0 false 128" [tools-on]="128 true 128")
  for variant in ${INSIGHT_VARIANTS:-tools-off slowlog-on hotkeys-on bigkeys-on tools-on}; do
    PORT[$variant]=7711
    PID[$variant]=${PID[tools]}
    ADMIN[$variant]=7712
    TARGETS+=("$variant")
  done
fi

if command -v haproxy >/dev/null && [ "${INSIGHT:-0}" != 1 ]; then
  {
    echo "global"
    echo "  maxconn 8000" # two descriptors per connection; containers often cap at 20000
    echo "defaults"
    echo "  mode tcp"
    echo "  timeout connect 2s"
    echo "  timeout client 1h"
    echo "  timeout server 1h"
    echo "frontend redis"
    echo "  bind 127.0.0.1:$HAPROXY_PORT"
    echo "  default_backend primary"
    echo "backend primary"
    echo "  option tcp-check"
    echo "  tcp-check connect"
    echo "  tcp-check send PING\\r\\n"
    echo "  tcp-check expect string +PONG"
    echo "  tcp-check send info\\ replication\\r\\n"
    echo "  tcp-check expect string role:master"
    echo "  tcp-check send QUIT\\r\\n"
    echo "  tcp-check expect string +OK"
    i=0
    for node in $PRIMARY $REPLICAS; do
      echo "  server node$i $node check inter 1s"
      i=$((i + 1))
    done
  } >"$WORK/haproxy.cfg"
  haproxy -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
  PID[haproxy]=$!
  PIDS+=("${PID[haproxy]}")
  PORT[haproxy]=$HAPROXY_PORT
  TARGETS+=(haproxy)
fi

if command -v nutcracker >/dev/null && [ "${INSIGHT:-0}" != 1 ]; then
  cat >"$WORK/nutcracker.yml" <<EOF
switchboard-bench:
  listen: 127.0.0.1:$TWEMPROXY_PORT
  hash: fnv1a_64
  distribution: ketama
  redis: true
  auto_eject_hosts: false
  servers:
    - $PRIMARY:1
EOF
  nutcracker -c "$WORK/nutcracker.yml" -o "$WORK/nutcracker.log" &
  PID[twemproxy]=$!
  PIDS+=("${PID[twemproxy]}")
  PORT[twemproxy]=$TWEMPROXY_PORT
  TARGETS+=(twemproxy)
fi

if [ -n "${PREDIXY:-}" ]; then
  # Sentinel mode against the demo's Sentinels, from the template beside the binary.
  for sentinel in $(awk '$1 == "sentinels" {$1 = ""; gsub(/[][]/, ""); gsub(",", " "); print}' "$WORK/switchboard.log"); do
    echo "        + $sentinel"
  done >"$WORK/predixy-sentinels"
  sed -e "s/127.0.0.1:PORT/127.0.0.1:$PREDIXY_PORT/" -e "/^SENTINELS$/r $WORK/predixy-sentinels" \
    -e "/^SENTINELS$/d" "${PREDIXY_CONF:-$(dirname "$PREDIXY")/predixy.conf}" >"$WORK/predixy.conf"
  "$PREDIXY" "$WORK/predixy.conf" >"$WORK/predixy.log" 2>&1 &
  PID[predixy]=$!
  PIDS+=("${PID[predixy]}")
  PORT[predixy]=$PREDIXY_PORT
  TARGETS+=(predixy)
fi

sleep 1
for target in haproxy twemproxy predixy; do
  if [ -n "${PID[$target]:-}" ] && ! kill -0 "${PID[$target]}" 2>/dev/null; then
    echo "$target did not start; left out:"
    case $target in twemproxy) cat "$WORK/nutcracker.log" ;; *) cat "$WORK/$target.log" ;; esac
    unset "PID[$target]"
    TARGETS=("${TARGETS[@]/$target/}")
  fi
done
TARGETS=(${TARGETS[@]})
for target in "${TARGETS[@]}"; do
  for _ in $(seq 1 60); do
    [ "$(redis-cli -p "${PORT[$target]}" set bench:ready 1 2>/dev/null)" = "OK" ] && break
    sleep 0.5
  done
done

TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
allocated() {
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^switchboard_io_allocated_bytes_total/ {printf "%.0f", $2}'
}

# One run: prints "SET <rps>" and "GET <rps>" lines into the results file.
RESULTS=$WORK/results
: >"$RESULTS"
run() {
  local target=$1 pipeline=$2 n=$3 before after requests allocated_before
  if [ -n "${TOOLS_SETTINGS[$target]:-}" ]; then
    # shellcheck disable=SC2086
    tools_conf ${TOOLS_SETTINGS[$target]}
    curl -sf -X POST -H "Authorization: Bearer bench" "http://127.0.0.1:${ADMIN[$target]}/admin/reload" >/dev/null
  fi
  [ -n "${PID[$target]:-}" ] && before=$(cpu_ticks "${PID[$target]}")
  [ -n "${ADMIN[$target]:-}" ] && allocated_before=$(allocated "${ADMIN[$target]}")
  redis-benchmark -p "${PORT[$target]}" -c "$CLIENTS" -n "$n" -P "$pipeline" -d 16 -t set,get --csv 2>/dev/null |
    awk -F'"' -v t="$target" -v p="$pipeline" '$2 == "SET" || $2 == "GET" {print t, $2 "_P" p, $4}' >>"$RESULTS"
  if [ -n "${PID[$target]:-}" ]; then
    after=$(cpu_ticks "${PID[$target]}")
    requests=$((2 * n))
    echo "$target CPU_P$pipeline $(awk -v d=$((after - before)) -v hz="$TICKS" -v r="$requests" 'BEGIN {printf "%.3f", d / hz / r * 1000000}')" >>"$RESULTS"
  fi
  if [ -n "${ADMIN[$target]:-}" ]; then
    echo "$target ALLOC_P$pipeline $(awk -v a="$allocated_before" -v b="$(allocated "${ADMIN[$target]}")" -v r="$((2 * n))" 'BEGIN {printf "%.0f", (b - a) / r}')" >>"$RESULTS"
  fi
}

# Latency at a fixed, moderate rate (open loop): p50, p99 and p999 in microseconds.
latency() {
  local target=$1
  java -cp "$TOOLS" io.switchboard.bench.FixedRateLatency "${PORT[$target]}" "$LATENCY_RATE" "$LATENCY_SECONDS" 3 |
    awk -v t="$target" '{print t, "L50", $1; print t, "L99", $2; print t, "L999", $3}' >>"$RESULTS"
}

echo "Targets: ${TARGETS[*]}; $ROUNDS rounds, $CLIENTS clients, -n $N_P1 at P1 and $N_P16 at P16."
# Resident memory with many idle clients, before any load has grown the heap (HAProxy is left
# out: its maxconn here is 8,000).
if [ "${IDLE:-1}" = 1 ]; then
  for target in switchboard twemproxy; do
    [ -n "${PID[$target]:-}" ] || continue
    echo "  idle clients: $target"
    java -cp "$TOOLS" io.switchboard.bench.IdleClients "${PORT[$target]}" "${PID[$target]}" "$IDLE_CLIENTS" |
      awk -v t="$target" '{print t, "RSS0", $1; print t, "RSS1", $2}' >>"$RESULTS" || true
    sleep 2
  done
fi

# Not measured: lets the JVM compile the hot path (and every target fill its buffers) first, at
# both pipeline depths: a JVM's first P1 run after P16 alone still compiled for a third of its CPU.
for target in "${TARGETS[@]}"; do
  redis-benchmark -p "${PORT[$target]}" -c "$CLIENTS" -n "${WARMUP:-300000}" -P 16 -d 16 -t set,get -q >/dev/null 2>&1 || true
  redis-benchmark -p "${PORT[$target]}" -c "$CLIENTS" -n "${WARMUP_P1:-100000}" -d 16 -t set,get -q >/dev/null 2>&1 || true
done
# The other loads: many clients, larger values, a read-heavy mix, latency of one client.
more() {
  local target=$1 port=${PORT[$1]}
  bench() { redis-benchmark -p "$port" "$@" --csv 2>/dev/null; }
  bench -c 1000 -n 200000 -d 16 -t set,get |
    awk -F'"' -v t="$target" '$2 == "SET" || $2 == "GET" {print t, $2 "_C1000", $4}' >>"$RESULTS"
  bench -c "$CLIENTS" -n 300000 -P 16 -d 1024 -t set,get |
    awk -F'"' -v t="$target" '$2 == "SET" || $2 == "GET" {print t, $2 "_1K", $4}' >>"$RESULTS"
  bench -c "$CLIENTS" -n 20000 -d 102400 -t set,get |
    awk -F'"' -v t="$target" '$2 == "SET" || $2 == "GET" {print t, $2 "_100K", $4}' >>"$RESULTS"
  # 80/20: two benchmarks at once, 40 clients reading and 10 writing; their rates add up.
  bench -c 40 -n 400000 -d 16 -t get >"$WORK/mix-get" &
  local reader=$!
  bench -c 10 -n 100000 -d 16 -t set >"$WORK/mix-set"
  wait "$reader"
  awk -F'"' -v t="$target" '$2 == "GET" || $2 == "SET" {sum += $4} END {print t, "MIX", sum}' \
    "$WORK/mix-get" "$WORK/mix-set" >>"$RESULTS"
  # One client, one command at a time: latency percentiles (ms) without queueing.
  bench -c 1 -n 50000 -d 16 -t get |
    awk -F'"' -v t="$target" '$2 == "GET" {print t, "P50", $10; print t, "P99", $14}' >>"$RESULTS"
}

for round in $(seq 1 "$ROUNDS"); do
  for target in "${TARGETS[@]}"; do
    echo "  round $round: $target"
    run "$target" 1 "$N_P1"
    run "$target" 16 "$N_P16"
    [ "${MORE:-1}" = 1 ] && more "$target"
    [ "${LATENCY:-1}" = 1 ] && latency "$target"
  done
done

# Idle: each proxy alone (the others paused), no client connected, after a settling spell.
server_calls() {
  local node total=0
  for node in $PRIMARY $REPLICAS; do
    total=$((total + $(redis-cli -p "${node##*:}" info commandstats |
      awk -F'[:=,]' '/^cmdstat_(role|info):/ {s += $3} END {print s + 0}')))
  done
  echo "$total"
}
if [ "${IDLE_CPU:-1}" = 1 ]; then
  NODES=$(echo $PRIMARY $REPLICAS | wc -w)
  # "none": every proxy paused, for what the Sentinels themselves ask (INFO every 10 s each).
  PID[none]=0
  for target in none "${TARGETS[@]}"; do
    [ -n "${PID[$target]:-}" ] || continue
    echo "  idle: $target"
    # Every other proxy, the demo's own included when a standalone one is measured.
    others=()
    for pid in "${PID[@]}" "$SWITCHBOARD_PID"; do
      [ "$pid" != "${PID[$target]}" ] && [ "$pid" != 0 ] && others+=("$pid")
    done
    kill -STOP "${others[@]}" 2>/dev/null || true
    sleep "${IDLE_SETTLE:-15}"
    calls=$(server_calls)
    [ "$target" != none ] && before=$(cpu_ticks "${PID[$target]}")
    sleep "$IDLE_SECONDS"
    [ "$target" != none ] && after=$(cpu_ticks "${PID[$target]}")
    # Less the INFO that server_calls itself sends each node once per reading.
    calls=$(($(server_calls) - calls - NODES))
    kill -CONT "${others[@]}" 2>/dev/null || true
    [ "$target" != none ] && echo "$target IDLE_CPU $(awk -v d=$((after - before)) -v hz="$TICKS" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f", d / hz / s * 100}')" >>"$RESULTS"
    echo "$target IDLE_CALLS $(awk -v c="$calls" -v n="$NODES" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f", c / n / s}')" >>"$RESULTS"
  done
  unset "PID[none]"
fi

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
value() { awk -v t="$1" -v m="$2" '$1 == t && $2 == m {print $3}' "$RESULTS" | median; }
krps() { awk -v v="$1" 'BEGIN {if (v == "-") print "-"; else printf "%.0fk", v / 1000}'; }

echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m), $(awk -F": " '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB), everything on loopback, with"
echo "\`bench/run.sh\` (redis-benchmark -c $CLIENTS -d 16 -t set,get, 16-byte values unless said, medians of $ROUNDS interleaved rounds):"
echo
echo "| target | SET P1 | GET P1 | SET P16 | GET P16 | CPU s per M requests P1 | CPU s per M requests P16 |"
echo "|---|---|---|---|---|---|---|"
for target in "${TARGETS[@]}"; do
  row="| $target"
  for metric in SET_P1 GET_P1 SET_P16 GET_P16; do
    row="$row | $(krps "$(value "$target" "$metric")")"
  done
  echo "$row | $(value "$target" CPU_P1) | $(value "$target" CPU_P16) |"
done
if [ "${MORE:-1}" = 1 ]; then
  echo
  echo "| target | 1,000 clients SET / GET | 1 KB values P16 SET / GET | 100 KB values SET / GET | 80/20 GET/SET mix | one client GET p50 / p99 (ms) |"
  echo "|---|---|---|---|---|---|"
  for target in "${TARGETS[@]}"; do
    echo "| $target | $(krps "$(value "$target" SET_C1000)") / $(krps "$(value "$target" GET_C1000)") |" \
      "$(krps "$(value "$target" SET_1K)") / $(krps "$(value "$target" GET_1K)") |" \
      "$(krps "$(value "$target" SET_100K)") / $(krps "$(value "$target" GET_100K)") |" \
      "$(krps "$(value "$target" MIX)") | $(value "$target" P50) / $(value "$target" P99) |"
  done
  awk -v a="$(value switchboard P50)" -v b="$(value direct P50)" -v c="$(value switchboard P99)" \
    -v d="$(value direct P99)" 'BEGIN {printf "\nAdded latency through Switchboard (one client): p50 %+.0f us, p99 %+.0f us\n", (a - b) * 1000, (c - d) * 1000}'
fi
if [ "${LATENCY:-1}" = 1 ]; then
  echo
  echo "Latency at a fixed $LATENCY_RATE requests/s (one connection, SET and GET of 16 B, open loop, $LATENCY_SECONDS s), microseconds:"
  echo
  echo "| target | p50 | p99 | p999 | added p50 | added p99 | added p999 |"
  echo "|---|---|---|---|---|---|---|"
  for target in "${TARGETS[@]}"; do
    awk -v t="$target" -v a="$(value "$target" L50)" -v b="$(value "$target" L99)" -v c="$(value "$target" L999)" \
      -v x="$(value direct L50)" -v y="$(value direct L99)" -v z="$(value direct L999)" \
      'BEGIN {if (t == "direct") printf "| %s | %.0f | %.0f | %.0f | | | |\n", t, a, b, c;
              else printf "| %s | %.0f | %.0f | %.0f | %+.0f | %+.0f | %+.0f |\n", t, a, b, c, a - x, b - y, c - z}'
  done
fi
echo
echo "Switchboard heap allocation per request (event-loop threads): P1 $(value switchboard ALLOC_P1) B, P16 $(value switchboard ALLOC_P16) B"
if [ -n "${PID[baseline]:-}" ]; then
  echo "Baseline heap allocation per request (event-loop threads): P1 $(value baseline ALLOC_P1) B, P16 $(value baseline ALLOC_P16) B"
fi
if [ "${IDLE:-1}" = 1 ]; then
  for target in switchboard twemproxy; do
    [ "$(value "$target" RSS1)" = "-" ] && continue
    echo "$target resident memory: $(value "$target" RSS0) MB idle, $(value "$target" RSS1) MB with $IDLE_CLIENTS idle clients"
  done
fi
if [ "${IDLE_CPU:-1}" = 1 ]; then
  echo
  echo "With no client at all ($IDLE_SECONDS s, the other proxies paused):"
  echo
  echo "| target | CPU (% of a core) | ROLE and INFO calls it adds per server per second |"
  echo "|---|---|---|"
  for target in "${TARGETS[@]}"; do
    [ "$(value "$target" IDLE_CPU)" = "-" ] && continue
    echo "| $target | $(value "$target" IDLE_CPU) | $(awk -v c="$(value "$target" IDLE_CALLS)" -v b="$(value none IDLE_CALLS)" 'BEGIN {printf "%.2f", c - b}') |"
  done
  echo
  echo "(Less the $(value none IDLE_CALLS) per server per second the Sentinels ask with every proxy paused.)"
fi
echo
for ours in switchboard variant baseline; do
  [ "$(value "$ours" CPU_P1)" = "-" ] && continue
  for metric in CPU_P1 CPU_P16; do
    best=-
    for target in twemproxy predixy; do # the peers that parse RESP, as Switchboard does
      v=$(value "$target" "$metric")
      [ "$v" != "-" ] && best=$(awk -v a="$best" -v b="$v" 'BEGIN {print (a == "-" || b < a) ? b : a}')
    done
    [ "$best" != "-" ] && awk -v t="$ours" -v m="$metric" -v o="$(value "$ours" "$metric")" -v b="$best" \
      'BEGIN {printf "- %s: %s / best parsing peer = %.2f (%s vs %s s per million)\n", m, t, o / b, o, b}'
  done
done
for metric in SET_P1 GET_P1 SET_P16 GET_P16; do
  ours=$(value switchboard "$metric")
  direct=$(value direct "$metric")
  best=0
  for target in haproxy twemproxy predixy; do
    v=$(value "$target" "$metric")
    [ "$v" != "-" ] && best=$(awk -v a="$best" -v b="$v" 'BEGIN {print (b > a) ? b : a}')
  done
  awk -v m="$metric" -v o="$ours" -v d="$direct" -v b="$best" -v base="$(value baseline "$metric")" \
    -v h="$(value haproxy "$metric")" 'BEGIN {
    line = sprintf("- %s: Switchboard / direct = %.2f", m, o / d)
    if (b > 0) line = line sprintf(", / best peer = %.2f", o / b)
    if (h != "-") line = line sprintf(", / haproxy = %.2f", o / h)
    if (base != "-") line = line sprintf(", / baseline = %.2f", o / base)
    print line
  }'
done
if [ "${INSIGHT:-0}" = 1 ]; then
  for target in slowlog-on hotkeys-on bigkeys-on tools-on; do
    [ "$(value "$target" CPU_P1)" = "-" ] && continue
    for metric in CPU_P1 CPU_P16; do
      awk -v t="$target" -v m="$metric" -v on="$(value "$target" "$metric")" -v off="$(value tools-off "$metric")" \
        'BEGIN {printf "- %s %s: %+.1f%% CPU per request against tools-off (%s vs %s s per million)\n", t, m, (on / off - 1) * 100, on, off}'
    done
  done
fi
