#!/usr/bin/env bash
# Regenerates the built-in command table from a running Redis:
#   routing/src/build/generate-commands.sh 6379 > routing/src/main/resources/io/switchboard/routing/redis-commands.tsv
# One line per command and per subcommand ("container|sub"), tab-separated:
# name, arity, Redis flags, first key, last key, key step, ACL categories.
# The proxy classifies these at start-up (CommandClassifier) and again from the primary's own
# COMMAND reply, so this file only has to be a good first guess.
set -euo pipefail
port="${1:-6379}"
version="$(redis-cli -p "$port" INFO server | tr -d '\r' | sed -n 's/^redis_version://p')"
echo "# Generated from Redis $version by routing/src/build/generate-commands.sh; do not edit."
redis-cli -p "$port" --json COMMAND | jq -r '
  def line: [(.[0] | ascii_upcase), .[1], (.[2] | join(",")), .[3], .[4], .[5], (.[6] | join(","))] | @tsv;
  sort_by(.[0])[] | (line, ((.[9] // []) | sort_by(.[0])[] | line))'
